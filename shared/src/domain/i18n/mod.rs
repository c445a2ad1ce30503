//! Localisation: language negotiation, message templates and human-readable texts.
//! One file per language (`en.rs`…), each a `Language` table; adding a language is a file
//! plus its line in `LANGUAGES`. The compiler sees that every table has every key.
//!
//! SMS texts are worded within the GSM-7 alphabet (no `á í ó ú ç ã ê`…), so each one, with a
//! 10-character code and the autofill line, fits one 160-character segment; UCS-2 would allow
//! only 70 (see `sms`).

mod de;
mod en;
mod es;
mod fr;
mod pt;

use super::session::Template;

/// Every shipped language; the first is the fallback of last resort.
pub const LANGUAGES: &[&Language] = &[&en::EN, &es::ES, &pt::PT, &fr::FR, &de::DE];

/// One language's texts.
pub struct Language {
    /// ISO 639-1.
    pub code: &'static str,
    /// The SMS of each contact-verification template, with `{code}`.
    pub sms: Purposes,
    /// The email subject of each template (the email's first line too).
    pub subject: Purposes,
    /// The email's closing line.
    pub warning: &'static str,
    /// The SMS when the caller gives no text of its own (Verify API, RAO).
    pub default_sms: &'static str,
    pub texts: Texts,
}

/// One text per template key (`TEMPLATE_KEYS`).
pub struct Purposes {
    pub verification: &'static str,
    pub login: &'static str,
    pub password_reset: &'static str,
    pub contact_update: &'static str,
}

impl Purposes {
    fn get(&self, key: &str) -> Option<&'static str> {
        Some(match key {
            "verification" => self.verification,
            "login" => self.login,
            "password-reset" => self.password_reset,
            "contact-update" => self.contact_update,
            _ => return None,
        })
    }
}

/// Human-readable texts of the API responses, one per `Text`.
pub struct Texts {
    pub bad_request: &'static str,
    pub unauthorized: &'static str,
    pub forbidden: &'static str,
    pub contact_not_found: &'static str,
    pub session_not_found: &'static str,
    pub channel_missing: &'static str,
    pub unknown_template: &'static str,
    pub invalid_code: &'static str,
    pub resend_too_soon: &'static str,
    pub too_many_sends: &'static str,
    pub already_verified: &'static str,
    pub attempts_exhausted: &'static str,
    pub expired: &'static str,
    pub delivery_failed: &'static str,
    pub rate_limited: &'static str,
    pub country_refused: &'static str,
    pub unavailable: &'static str,
    pub key_reused: &'static str,
    pub key_in_flight: &'static str,
    pub method_not_allowed: &'static str,
    pub too_large: &'static str,
    pub suppressed: &'static str,
}

/// Codes of the shipped languages.
pub fn supported_codes() -> impl Iterator<Item = &'static str> {
    LANGUAGES.iter().map(|l| l.code)
}

/// The table of `code`, else the first language's.
pub fn language(code: &str) -> &'static Language {
    LANGUAGES
        .iter()
        .copied()
        .find(|l| l.code == code)
        .unwrap_or(LANGUAGES[0])
}

/// Picks the language: the `language` query parameter, then `Accept-Language`
/// (highest q first, `es-MX` matching `es`), then `fallback` (the contact's or the default).
pub fn negotiate(query: Option<&str>, accept_language: Option<&str>, fallback: &str) -> String {
    if let Some(lang) = query.and_then(supported) {
        return lang.to_string();
    }
    if let Some(header) = accept_language {
        let mut ranges: Vec<(f32, usize, &str)> = header
            .split(',')
            .enumerate()
            .filter_map(|(i, part)| {
                let mut pieces = part.split(';');
                let tag = pieces.next()?.trim();
                let q = pieces
                    .filter_map(|p| p.trim().strip_prefix("q="))
                    .find_map(|q| q.trim().parse::<f32>().ok())
                    .unwrap_or(1.0);
                (q > 0.0 && !tag.is_empty()).then_some((q, i, tag))
            })
            .collect();
        ranges.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        if let Some(lang) = ranges.iter().find_map(|(_, _, tag)| supported(tag)) {
            return lang.to_string();
        }
    }
    supported(fallback).unwrap_or(LANGUAGES[0].code).to_string()
}

/// The shipped language of a tag (`pt-BR` → `pt`).
fn supported(tag: &str) -> Option<&'static str> {
    let primary = tag.split(['-', '_']).next()?.trim().to_ascii_lowercase();
    supported_codes().find(|l| *l == primary)
}

/// Template keys the contact-verification family accepts as `templateMetadataKey`.
pub const TEMPLATE_KEYS: &[&str] = &["verification", "login", "password-reset", "contact-update"];

/// The template for `key` (`None`: unknown key) in `lang`: its `text` is the SMS when `sms`,
/// else the email's plain-text part.
pub fn template(key: &str, lang: &str, sms: bool) -> Option<Template> {
    let l = language(lang);
    let subject = l.subject.get(key)?;
    if sms {
        return Some(Template::sms(l.sms.get(key)?.to_string()));
    }
    let warning = l.warning;
    Some(Template {
        subject: Some(subject.to_string()),
        html: Some(format!(
            "<!doctype html><html lang=\"{lang}\"><body><p>{subject}: <strong>{{code}}</strong></p><p><small>{warning}</small></p></body></html>",
            lang = l.code
        )),
        text: format!("{subject}: {{code}}\n\n{warning}"),
    })
}

/// Default SMS text when a caller gives no content of its own.
pub fn default_sms(lang: &str) -> String {
    language(lang).default_sms.to_string()
}

/// Human-readable texts of the API responses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Text {
    BadRequest,
    Unauthorized,
    Forbidden,
    ContactNotFound,
    SessionNotFound,
    ChannelMissing,
    UnknownTemplate,
    InvalidCode,
    ResendTooSoon,
    TooManySends,
    AlreadyVerified,
    AttemptsExhausted,
    Expired,
    DeliveryFailed,
    RateLimited,
    CountryRefused,
    Unavailable,
    KeyReused,
    KeyInFlight,
    MethodNotAllowed,
    TooLarge,
    /// The email address bounced or complained: sends to it are refused for a while.
    Suppressed,
}

impl Text {
    pub fn in_language(self, lang: &str) -> &'static str {
        let t = &language(lang).texts;
        match self {
            Text::BadRequest => t.bad_request,
            Text::Unauthorized => t.unauthorized,
            Text::Forbidden => t.forbidden,
            Text::ContactNotFound => t.contact_not_found,
            Text::SessionNotFound => t.session_not_found,
            Text::ChannelMissing => t.channel_missing,
            Text::UnknownTemplate => t.unknown_template,
            Text::InvalidCode => t.invalid_code,
            Text::ResendTooSoon => t.resend_too_soon,
            Text::TooManySends => t.too_many_sends,
            Text::AlreadyVerified => t.already_verified,
            Text::AttemptsExhausted => t.attempts_exhausted,
            Text::Expired => t.expired,
            Text::DeliveryFailed => t.delivery_failed,
            Text::RateLimited => t.rate_limited,
            Text::CountryRefused => t.country_refused,
            Text::Unavailable => t.unavailable,
            Text::KeyReused => t.key_reused,
            Text::KeyInFlight => t.key_in_flight,
            Text::MethodNotAllowed => t.method_not_allowed,
            Text::TooLarge => t.too_large,
            Text::Suppressed => t.suppressed,
        }
    }

    /// Every text, for tests that walk them all.
    pub const ALL: [Text; 22] = [
        Text::BadRequest,
        Text::Unauthorized,
        Text::Forbidden,
        Text::ContactNotFound,
        Text::SessionNotFound,
        Text::ChannelMissing,
        Text::UnknownTemplate,
        Text::InvalidCode,
        Text::ResendTooSoon,
        Text::TooManySends,
        Text::AlreadyVerified,
        Text::AttemptsExhausted,
        Text::Expired,
        Text::DeliveryFailed,
        Text::RateLimited,
        Text::CountryRefused,
        Text::Unavailable,
        Text::KeyReused,
        Text::KeyInFlight,
        Text::MethodNotAllowed,
        Text::TooLarge,
        Text::Suppressed,
    ];
}

#[cfg(test)]
mod tests;

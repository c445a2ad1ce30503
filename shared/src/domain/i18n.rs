//! Localisation: language negotiation, message templates and human-readable texts.
//! Ships `en` and `es`; anything else falls back to the configured default.

use super::session::Template;

/// Languages with templates and texts.
pub const SUPPORTED: &[&str] = &["en", "es"];

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
    supported(fallback).unwrap_or("en").to_string()
}

fn supported(tag: &str) -> Option<&'static str> {
    let primary = tag.split(['-', '_']).next()?.trim().to_ascii_lowercase();
    SUPPORTED.iter().copied().find(|l| *l == primary)
}

/// Template keys the contact-verification family accepts as `templateMetadataKey`.
pub const TEMPLATE_KEYS: &[&str] = &["verification", "login", "password-reset", "contact-update"];

/// The template for `key` (`None`: unknown key) in `lang`.
pub fn template(key: &str, lang: &str) -> Option<Template> {
    let es = lang == "es";
    let purpose = match (key, es) {
        ("verification", false) => "verification",
        ("verification", true) => "verificación",
        ("login", false) => "sign-in",
        ("login", true) => "inicio de sesión",
        ("password-reset", false) => "password reset",
        ("password-reset", true) => "restablecimiento de contraseña",
        ("contact-update", false) => "contact update",
        ("contact-update", true) => "actualización de contacto",
        _ => return None,
    };
    let (line, subject, warning) = if es {
        (
            format!("Tu código de {purpose} es {{code}}"),
            format!("Tu código de {purpose}"),
            "Si no lo solicitaste, ignora este mensaje.",
        )
    } else {
        (
            format!("Your {purpose} code is {{code}}"),
            format!("Your {purpose} code"),
            "If you did not ask for it, ignore this message.",
        )
    };
    Some(Template {
        subject: Some(subject),
        html: Some(format!(
            "<!doctype html><html lang=\"{lang}\"><body><p>{line}</p><p><small>{warning}</small></p></body></html>",
            line = line.replace("{code}", "<strong>{code}</strong>")
        )),
        text: format!("{line}. {warning}"),
    })
}

/// Default SMS text when a caller gives no content of its own.
pub fn default_sms(lang: &str) -> String {
    match lang {
        "es" => "Tu código de verificación es {code}".into(),
        _ => "Your verification code is {code}".into(),
    }
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
}

impl Text {
    pub fn in_language(self, lang: &str) -> &'static str {
        let es = lang == "es";
        match (self, es) {
            (Text::BadRequest, false) => "The request was not in the required format",
            (Text::BadRequest, true) => "La solicitud no tiene el formato requerido",
            (Text::Unauthorized, false) => "Missing or invalid bearer token",
            (Text::Unauthorized, true) => "Falta el token de portador o no es válido",
            (Text::Forbidden, false) => "This client may not use this operation",
            (Text::Forbidden, true) => "Este cliente no puede usar esta operación",
            (Text::ContactNotFound, false) => "Contact not found",
            (Text::ContactNotFound, true) => "Contacto no encontrado",
            (Text::SessionNotFound, false) => "Verification session not found",
            (Text::SessionNotFound, true) => "Sesión de verificación no encontrada",
            (Text::ChannelMissing, false) => "The contact has no address for that channel",
            (Text::ChannelMissing, true) => "El contacto no tiene dirección para ese canal",
            (Text::UnknownTemplate, false) => "Unknown template metadata key",
            (Text::UnknownTemplate, true) => "Clave de plantilla desconocida",
            (Text::InvalidCode, false) => "The code is not valid",
            (Text::InvalidCode, true) => "El código no es válido",
            (Text::ResendTooSoon, false) => "A code was sent moments ago; wait before asking again",
            (Text::ResendTooSoon, true) => {
                "Se envió un código hace poco; espera antes de pedir otro"
            }
            (Text::TooManySends, false) => "Too many codes sent for this session",
            (Text::TooManySends, true) => "Se enviaron demasiados códigos para esta sesión",
            (Text::AlreadyVerified, false) => "This session is already verified",
            (Text::AlreadyVerified, true) => "Esta sesión ya está verificada",
            (Text::AttemptsExhausted, false) => "No verification attempts left",
            (Text::AttemptsExhausted, true) => "No quedan intentos de verificación",
            (Text::Expired, false) => "The code has expired",
            (Text::Expired, true) => "El código ha caducado",
            (Text::DeliveryFailed, false) => "The code could not be delivered",
            (Text::DeliveryFailed, true) => "No se pudo entregar el código",
            (Text::RateLimited, false) => "Too many codes requested; try again later",
            (Text::RateLimited, true) => "Se solicitaron demasiados códigos; inténtalo más tarde",
            (Text::CountryRefused, false) => "Codes cannot be sent by SMS to this country",
            (Text::CountryRefused, true) => "No se pueden enviar códigos por SMS a este país",
            (Text::Unavailable, false) => "The service is temporarily unavailable",
            (Text::Unavailable, true) => "El servicio no está disponible temporalmente",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parameter_wins_then_accept_language_by_q_then_fallback() {
        assert_eq!(negotiate(Some("es"), Some("en"), "en"), "es");
        assert_eq!(negotiate(Some("fr"), Some("es-MX"), "en"), "es");
        assert_eq!(
            negotiate(None, Some("fr;q=1, en;q=0.5, es;q=0.8"), "en"),
            "es"
        );
        assert_eq!(negotiate(None, Some("es;q=0, en"), "es"), "en");
        assert_eq!(negotiate(None, Some("de, fr"), "es"), "es");
        assert_eq!(negotiate(None, None, "xx"), "en");
    }

    #[test]
    fn every_template_exists_in_every_language_with_the_placeholder() {
        for key in TEMPLATE_KEYS {
            for lang in SUPPORTED {
                let t = template(key, lang).unwrap();
                assert!(
                    t.text.contains("{code}") && t.html.unwrap().contains("{code}"),
                    "{key}/{lang}"
                );
            }
        }
        assert!(template("nope", "en").is_none());
        assert!(template("login", "es")
            .unwrap()
            .text
            .starts_with("Tu código"));
    }
}

//! Where codes go: channels, phone and email rules, masking for logs and reports.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Sms,
    Email,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Email => "email",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        match s {
            "sms" => Some(Channel::Sms),
            "email" => Some(Channel::Email),
            _ => None,
        }
    }
}

/// Normalises a phone number to E.164 (`+` and 8–15 digits, no leading zero).
/// Spaces, dashes, dots and parentheses are dropped; the `+` is optional on input.
pub fn e164(input: &str) -> Option<String> {
    let trimmed = input.trim();
    let digits_part = trimmed.strip_prefix('+').unwrap_or(trimmed);
    let mut digits = String::with_capacity(16);
    for c in digits_part.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => return None,
        }
    }
    if !(8..=15).contains(&digits.len()) || digits.starts_with('0') {
        return None;
    }
    Some(format!("+{digits}"))
}

/// A plausible email address: one `@`, a non-empty local part, a dotted domain, no spaces.
pub fn email(input: &str) -> Option<String> {
    let s = input.trim();
    let (local, domain) = s.split_once('@')?;
    let ok = !local.is_empty()
        && local.len() <= 64
        && s.len() <= 254
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && s.chars().all(|c| c.is_ascii_graphic());
    ok.then(|| s.to_string())
}

/// Masks a destination for logs and status reports: `+4477******89`, `j***@example.com`.
pub fn mask(destination: &str) -> String {
    if let Some((local, domain)) = destination.split_once('@') {
        let first: String = local.chars().take(1).collect();
        return format!("{first}***@{domain}");
    }
    let chars: Vec<char> = destination.chars().collect();
    if chars.len() <= 6 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 2..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 6))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_normalise_to_e164() {
        assert_eq!(e164("+44 7700-900123").as_deref(), Some("+447700900123"));
        assert_eq!(e164("971501234567").as_deref(), Some("+971501234567"));
        for bad in [
            "",
            "+",
            "12345",
            "0044770090012",
            "+44abc",
            "+1234567890123456",
            "++4477009001",
        ] {
            assert_eq!(e164(bad), None, "{bad}");
        }
    }

    #[test]
    fn emails_are_checked() {
        assert_eq!(
            email(" ana@example.com ").as_deref(),
            Some("ana@example.com")
        );
        for bad in [
            "",
            "ana",
            "@example.com",
            "ana@example",
            "ana@@x.com",
            "a na@x.com",
            "ana@.com",
        ] {
            assert_eq!(email(bad), None, "{bad}");
        }
    }

    #[test]
    fn masks_hide_most_of_the_destination() {
        assert_eq!(mask("+447700900123"), "+447*******23");
        assert_eq!(mask("ana@example.com"), "a***@example.com");
        assert_eq!(mask("+123"), "****");
    }
}

//! `OTP_TEST_RECIPIENTS`: destinations that always accept a fixed code, for app-store
//! reviewers, QA and CI. A send to one delivers nothing and spends no budget.

use crate::domain::{Destination, Email};
use std::collections::BTreeMap;

/// Destination (E.164 number or lower-case email) → its fixed code and, optionally, the
/// session id the service uses for it where it would draw one. `Debug` hides the codes.
#[derive(Clone, Default)]
pub struct TestRecipients(BTreeMap<String, Fixed>);

#[derive(Clone)]
struct Fixed {
    code: String,
    session: Option<String>,
}

impl std::fmt::Debug for TestRecipients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

impl TestRecipients {
    /// Parses `destination=code[:session][,…]`: an E.164 number (`+` and 8-15 digits;
    /// spaces and dashes ignored) or an email address; 4-11 letters or digits; a session id
    /// as a lower-case hyphenated UUID. Numbers are checked by their form, not
    /// libphonenumber, so functions that only read sessions never load it.
    pub fn parse(spec: &str) -> Result<TestRecipients, String> {
        let mut out = BTreeMap::new();
        for entry in spec.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (to, code) = entry
                .rsplit_once('=')
                .ok_or_else(|| format!("`{entry}` is not destination=code"))?;
            let (code, session) = match code.split_once(':') {
                Some((code, session)) => (code, Some(session.trim())),
                None => (code, None),
            };
            let (to, code) = (to.trim(), code.trim());
            let key = normalise(to).ok_or_else(|| {
                format!(
                    "`{to}` is neither an E.164 number (+ and 8-15 digits) nor an email address"
                )
            })?;
            if !(4..=11).contains(&code.len()) || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(format!("the code of `{to}` must be 4-11 letters or digits"));
            }
            if session.is_some_and(|s| !is_session_id(s)) {
                return Err(format!(
                    "the session of `{to}` must be a lower-case hyphenated UUID"
                ));
            }
            let fixed = Fixed {
                code: code.to_string(),
                session: session.map(str::to_string),
            };
            if out.insert(key, fixed).is_some() {
                return Err(format!("`{to}` is listed twice"));
            }
        }
        Ok(TestRecipients(out))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The fixed code of `to`, when it is a test recipient.
    pub fn code_for(&self, to: &Destination) -> Option<&str> {
        self.get(to).map(|f| f.code.as_str())
    }

    /// The session id configured for `to`, used where the service would draw one, so that a
    /// sample event naming it tells a true story.
    pub fn session_for(&self, to: &Destination) -> Option<&str> {
        self.get(to).and_then(|f| f.session.as_deref())
    }

    fn get(&self, to: &Destination) -> Option<&Fixed> {
        if self.0.is_empty() {
            return None;
        }
        let key = match to {
            Destination::Phone(p) => p.as_str().to_string(),
            Destination::Email(e) => e.folded(),
        };
        self.0.get(&key)
    }
}

/// A UUID as the service draws them (lower-case, hyphenated), so a configured one fits every
/// family's id rule.
fn is_session_id(s: &str) -> bool {
    uuid::Uuid::try_parse(s).is_ok_and(|u| u.hyphenated().to_string() == s)
}

fn normalise(to: &str) -> Option<String> {
    if let Some(rest) = to.strip_prefix('+') {
        let digits: String = rest.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        let ok = (8..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        return ok.then(|| format!("+{digits}"));
    }
    Email::parse(to).map(|e| e.folded())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::E164;

    #[test]
    fn numbers_and_addresses_map_to_their_codes() {
        let t = TestRecipients::parse("+1 202-555-0100=246810, Review@Example.com=AB12cd").unwrap();
        let phone = Destination::Phone(E164::parse("+12025550100").unwrap());
        assert_eq!(t.code_for(&phone), Some("246810"));
        let mail = Destination::Email(Email::parse("review@example.COM").unwrap());
        assert_eq!(t.code_for(&mail), Some("AB12cd"));
        let other = Destination::Phone(E164::parse("+12025550101").unwrap());
        assert_eq!(t.code_for(&other), None);
        assert_eq!(t.session_for(&phone), None);
        assert!(
            !format!("{t:?}").contains("246810"),
            "Debug hides the codes"
        );
    }

    #[test]
    fn a_test_recipient_may_name_its_session() {
        let id = "86b24910-2d1e-4257-b6d4-e6b829e50e84";
        let t = TestRecipients::parse(&format!("+971501234567=48291637052:{id}")).unwrap();
        let phone = Destination::Phone(E164::parse("+971501234567").unwrap());
        assert_eq!(t.code_for(&phone), Some("48291637052"));
        assert_eq!(t.session_for(&phone), Some(id));
    }

    #[test]
    fn a_bad_entry_is_named() {
        for (spec, named) in [
            ("+12025550100=123", "+12025550100"),
            ("+12025550100=123456789012", "+12025550100"),
            ("+12025550100=123456:sample", "+12025550100"),
            (
                "+12025550100=123456:86B24910-2D1E-4257-B6D4-E6B829E50E84",
                "+12025550100",
            ),
            ("+12025550100=12 34", "+12025550100"),
            ("12025550100=123456", "12025550100"),
            ("+1202=123456", "+1202"),
            ("not-an-address=123456", "not-an-address"),
            ("+12025550100", "+12025550100"),
            ("+12025550100=1234,+12025550100=5678", "+12025550100"),
        ] {
            let error = TestRecipients::parse(spec).unwrap_err();
            assert!(error.contains(named), "{spec}: {error}");
        }
    }
}

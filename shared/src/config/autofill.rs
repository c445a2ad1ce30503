//! `OTP_SMS_AUTOFILL_DOMAIN`: the site whose pages may fill in a code from the SMS (the WICG
//! "sms-one-time-codes" last line `@domain #code`), for every client or per client.

use crate::domain::sms::MAX_AUTOFILL_DOMAIN;
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Autofill {
    /// Every client's domain, unless it has its own.
    pub default: Option<String>,
    pub by_client: BTreeMap<String, String>,
}

impl Autofill {
    /// Parses `domain`, `client=domain` pairs, or both: `example.com,acme=login.acme.com`.
    pub fn parse(spec: &str) -> Result<Autofill, String> {
        let mut out = Autofill::default();
        for entry in spec.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (client, domain) = match entry.split_once('=') {
                Some((c, d)) => (Some(c.trim()), d.trim()),
                None => (None, entry),
            };
            let domain = domain.to_ascii_lowercase();
            if !valid_domain(&domain) {
                return Err(format!(
                    "`{domain}` is not a host name of at most {MAX_AUTOFILL_DOMAIN} characters (letters, digits, `-`, dots)"
                ));
            }
            let duplicate = match client {
                None => out.default.replace(domain).is_some(),
                Some("") => return Err(format!("`{entry}` names no client")),
                Some(c) => out.by_client.insert(c.to_string(), domain).is_some(),
            };
            if duplicate {
                return Err(format!(
                    "`{entry}`: a domain is set twice for the same clients"
                ));
            }
        }
        Ok(out)
    }

    /// The domain of `client`'s SMS, if any.
    pub fn domain(&self, client: &str) -> Option<&str> {
        self.by_client
            .get(client)
            .or(self.default.as_ref())
            .map(String::as_str)
    }
}

fn valid_domain(d: &str) -> bool {
    d.len() <= MAX_AUTOFILL_DOMAIN
        && d.contains('.')
        && d.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_default_and_per_client_domains() {
        let a = Autofill::parse("Example.com, acme=login.acme.com").unwrap();
        assert_eq!(a.domain("acme"), Some("login.acme.com"));
        assert_eq!(a.domain("beta"), Some("example.com"));
        let only = Autofill::parse("acme=acme.com").unwrap();
        assert_eq!(only.domain("beta"), None);
    }

    #[test]
    fn bad_domains_are_refused() {
        let long = format!("{}.com", "a".repeat(MAX_AUTOFILL_DOMAIN));
        for bad in [
            "localhost",
            "a..com",
            "-a.com",
            "exa mple.com",
            "=a.com",
            &long,
            "a.com,b.com",
        ] {
            assert!(Autofill::parse(bad).is_err(), "{bad}");
        }
    }
}

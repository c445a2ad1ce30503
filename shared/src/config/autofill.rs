//! `OTP_SMS_AUTOFILL_DOMAIN`: the site whose pages may fill in a code from the SMS (the WICG
//! "sms-one-time-codes" last line `@domain #code`), for every client or per client.

use super::per_client::PerClient;
use crate::domain::sms::MAX_AUTOFILL_DOMAIN;

/// The autofill domain of every client, or per client.
pub type Autofill = PerClient<String>;

impl Autofill {
    /// Parses `domain`, `client=domain` pairs, or both: `example.com,acme=login.acme.com`.
    pub fn parse_domains(spec: &str) -> Result<Autofill, String> {
        PerClient::parse(spec, |domain| {
            let domain = domain.to_ascii_lowercase();
            match valid_domain(&domain) {
                true => Ok(domain),
                false => Err(format!(
                    "`{domain}` is not a host name of at most {MAX_AUTOFILL_DOMAIN} characters (letters, digits, `-`, dots)"
                )),
            }
        })
    }

    /// The domain of `client`'s SMS, if any.
    pub fn domain(&self, client: &str) -> Option<&str> {
        self.get(client).map(String::as_str)
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
        let a = Autofill::parse_domains("Example.com, acme=login.acme.com").unwrap();
        assert_eq!(a.domain("acme"), Some("login.acme.com"));
        assert_eq!(a.domain("beta"), Some("example.com"));
        let only = Autofill::parse_domains("acme=acme.com").unwrap();
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
            assert!(Autofill::parse_domains(bad).is_err(), "{bad}");
        }
    }
}

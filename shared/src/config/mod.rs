//! Configuration from the environment; every error names its variable.

pub mod access;
pub mod autofill;
pub mod fraud;
pub mod per_client;
pub mod test_recipients;
pub mod webhook;

pub use access::Access;
pub use autofill::Autofill;
pub use fraud::{CountryRules, Fraud, FraudMode};
pub use per_client::PerClient;
pub use test_recipients::TestRecipients;
pub use webhook::{WebhookKey, WebhookUrl, WebhookUrls};

use crate::domain::{Alphabet, Pepper, Policy, SendBudget};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("environment variable {0} is required")]
    Missing(&'static str),
    #[error("environment variable {var} is invalid: {reason}")]
    Invalid { var: &'static str, reason: String },
}

/// API clients of the Bearer-token families: a name and the SHA-256 of its token.
#[derive(Clone, Debug, Default)]
pub struct Tokens(Vec<(String, [u8; 32])>);

impl Tokens {
    /// Parses `name:sha256hex[,name:sha256hex…]`.
    pub fn parse(spec: &str) -> Result<Tokens, String> {
        let mut out = Vec::new();
        for entry in spec.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (name, digest) = entry
                .split_once(':')
                .ok_or("each entry is name:sha256hex")?;
            let valid_name = !name.is_empty()
                && name.len() <= 32
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !valid_name {
                return Err(format!(
                    "client name `{name}` must be 1-32 of [A-Za-z0-9_-]"
                ));
            }
            let mut bytes = [0u8; 32];
            hex::decode_to_slice(digest, &mut bytes)
                .map_err(|_| format!("client `{name}`: the digest must be 64 hex characters"))?;
            out.push((name.to_string(), bytes));
        }
        if out.is_empty() {
            return Err("no client configured".into());
        }
        Ok(Tokens(out))
    }

    /// A single client `name` whose token is `token` (local server, tests).
    pub fn single(name: &str, token: &str) -> Tokens {
        Tokens(vec![(
            name.to_string(),
            Sha256::digest(token.as_bytes()).into(),
        )])
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The client a bearer token belongs to. Compares every entry in constant time.
    pub fn client_of(&self, token: &str) -> Option<&str> {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let mut found = None;
        for (name, expected) in &self.0 {
            if bool::from(expected.ct_eq(&digest)) {
                found = Some(name.as_str());
            }
        }
        found
    }
}

/// The Verify API's own defaults (its documentation: 600 s, 60 s, 5 resends).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerifyDefaults {
    pub expiry_secs: u32,
    pub retry_delay_secs: u32,
    pub retry_count: u32,
}

/// Everything the use cases and dialects need to know.
#[derive(Clone, Debug)]
pub struct Config {
    pub pepper: Pepper,
    /// Clients of the Bearer-token families (empty when `OTP_API_TOKENS` is unset).
    pub tokens: Tokens,
    /// Clients of the header-contract families (empty when `OTP_ACCESS` is unset).
    pub access: Access,
    /// Characters of the telemarketing family's 11-character codes.
    pub telemarketing_alphabet: Alphabet,
    pub default_language: String,
    /// Limits of sessions whose API does not set its own.
    pub policy: Policy,
    /// Sends allowed per destination (phone/email) per window.
    pub destination_budget: SendBudget,
    /// Sends allowed per API client per window.
    pub client_budget: SendBudget,
    /// The fraud shield: country rules, pumping limits, cross-session guessing.
    pub fraud: Fraud,
    /// Verify API defaults for requests that leave `expiry`, `retry_delay`, `retry_count` out.
    pub verify_defaults: VerifyDefaults,
    pub sms_sender_id: Option<String>,
    /// The site each client's SMS is bound to for autofill.
    pub autofill: Autofill,
    /// Destinations that accept a fixed code and are never sent anything.
    pub test_recipients: TestRecipients,
    /// The RAO private key, PEM (local runs; never printed).
    pub rao_private_key: Option<Secret>,
    /// Where each client's SMS go instead of SNS (`OTP_SMS_WEBHOOK_URL`).
    pub sms_webhook: WebhookUrls,
    /// The webhooks' signing key: `OTP_SMS_WEBHOOK_SECRET` (local runs) or, in AWS, the secret
    /// `OTP_SMS_WEBHOOK_SECRET_ARN` names, fetched at start.
    pub sms_webhook_key: Option<WebhookKey>,
    /// How long an email address that hard-bounced or complained is refused sends
    /// (`OTP_EMAIL_SUPPRESSION_DAYS`; 0: never).
    pub email_suppression_secs: i64,
}

/// A configured secret: `Debug` never shows it.
#[derive(Clone)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Variable `var` through `parse`, if set; a value it refuses is a startup error naming `var`.
fn parsed<T>(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<Option<T>, ConfigError> {
    get(var)
        .map(|v| parse(&v))
        .transpose()
        .map_err(|reason| ConfigError::Invalid { var, reason })
}

impl Config {
    /// Reads the configuration through `var` (the process environment in production).
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let get = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let pepper_text = get("OTP_PEPPER").ok_or(ConfigError::Missing("OTP_PEPPER"))?;
        let pepper = Pepper::new(pepper_text.as_bytes()).ok_or(ConfigError::Invalid {
            var: "OTP_PEPPER",
            reason: format!("must be at least {} bytes", Pepper::MIN_LEN),
        })?;
        let tokens = match get("OTP_API_TOKENS") {
            None => Tokens::default(),
            Some(spec) => Tokens::parse(&spec).map_err(|reason| ConfigError::Invalid {
                var: "OTP_API_TOKENS",
                reason,
            })?,
        };
        let access = match get("OTP_ACCESS") {
            None => Access::default(),
            Some(doc) => Access::parse(&doc).map_err(|reason| ConfigError::Invalid {
                var: "OTP_ACCESS",
                reason,
            })?,
        };
        let telemarketing_alphabet = match get("OTP_TELEMARKETING_ALPHABET") {
            None => Alphabet::Numeric,
            Some(v) => Alphabet::parse(v.trim()).ok_or(ConfigError::Invalid {
                var: "OTP_TELEMARKETING_ALPHABET",
                reason: "one of numeric, alpha, alphanumeric".into(),
            })?,
        };
        let number = |name: &'static str, default: u32, range: std::ops::RangeInclusive<u32>| {
            match get(name) {
                None => Ok(default),
                Some(v) => match v.trim().parse::<u32>() {
                    Ok(n) if range.contains(&n) => Ok(n),
                    _ => Err(ConfigError::Invalid {
                        var: name,
                        reason: format!(
                            "`{v}` is not a whole number in {}..={}",
                            range.start(),
                            range.end()
                        ),
                    }),
                },
            }
        };
        let default_language = get("OTP_DEFAULT_LANGUAGE").unwrap_or_else(|| "en".into());
        if !crate::domain::i18n::supported_codes().any(|l| l == default_language) {
            let shipped: Vec<_> = crate::domain::i18n::supported_codes().collect();
            return Err(ConfigError::Invalid {
                var: "OTP_DEFAULT_LANGUAGE",
                reason: format!("supported: {}", shipped.join(", ")),
            });
        }
        let window_secs = number("OTP_RATE_WINDOW_SECONDS", 3_600, 60..=86_400)?;
        let invalid = |var: &'static str| move |reason| ConfigError::Invalid { var, reason };
        let countries = CountryRules {
            allowed: get("OTP_SMS_ALLOWED_COUNTRIES")
                .map(|v| fraud::parse_countries(&v))
                .transpose()
                .map_err(invalid("OTP_SMS_ALLOWED_COUNTRIES"))?,
            blocked: get("OTP_SMS_BLOCKED_COUNTRIES")
                .map(|v| fraud::parse_countries(&v))
                .transpose()
                .map_err(invalid("OTP_SMS_BLOCKED_COUNTRIES"))?
                .unwrap_or_default(),
        };
        let fraud_window = number("OTP_FRAUD_WINDOW_SECONDS", 3_600, 60..=86_400)?;
        let fraud = Fraud {
            mode: get("OTP_FRAUD_MODE")
                .map(|v| fraud::parse_mode(&v))
                .transpose()
                .map_err(invalid("OTP_FRAUD_MODE"))?
                .unwrap_or(FraudMode::Enforce),
            client_countries: get("OTP_SMS_COUNTRIES_BY_CLIENT")
                .map(|v| fraud::parse_client_countries(&v, &countries))
                .transpose()
                .map_err(invalid("OTP_SMS_COUNTRIES_BY_CLIENT"))?
                .unwrap_or_default(),
            countries,
            prefix_digits: number("OTP_PREFIX_DIGITS", 6, 3..=12)? as usize,
            prefix: SendBudget {
                limit: number("OTP_PREFIX_UNVERIFIED_PER_WINDOW", 20, 1..=1_000_000)?,
                window_secs: fraud_window,
            },
            country: SendBudget {
                limit: number("OTP_COUNTRY_UNVERIFIED_PER_WINDOW", 300, 1..=10_000_000)?,
                window_secs: fraud_window,
            },
            sms_per_minute: number("OTP_SMS_PER_MINUTE", 600, 1..=1_000_000)?,
            safe_list: get("OTP_SMS_SAFE_LIST")
                .map(|v| fraud::parse_safe_list(&v))
                .transpose()
                .map_err(invalid("OTP_SMS_SAFE_LIST"))?
                .unwrap_or_default(),
            guesses: number("OTP_DESTINATION_GUESSES_PER_WINDOW", 20, 1..=10_000)?,
        };
        Ok(Config {
            fraud,
            verify_defaults: VerifyDefaults {
                expiry_secs: number("OTP_VERIFY_EXPIRY_SECONDS", 600, 30..=86_400)?,
                retry_delay_secs: number("OTP_VERIFY_RETRY_DELAY_SECONDS", 60, 0..=3_600)?,
                retry_count: number("OTP_VERIFY_RETRY_COUNT", 5, 0..=20)?,
            },
            destination_budget: SendBudget {
                limit: number("OTP_DESTINATION_SENDS_PER_WINDOW", 10, 1..=10_000)?,
                window_secs,
            },
            client_budget: SendBudget {
                limit: number("OTP_CLIENT_SENDS_PER_WINDOW", 10_000, 1..=100_000_000)?,
                window_secs,
            },
            pepper,
            tokens,
            access,
            telemarketing_alphabet,
            default_language,
            policy: Policy {
                code_length: number("OTP_CODE_LENGTH", 6, 4..=10)? as u8,
                validity_secs: number("OTP_CODE_TTL_SECONDS", 300, 30..=86_400)?,
                max_attempts: number("OTP_MAX_ATTEMPTS", 5, 1..=20)?,
                max_sends: number("OTP_MAX_SENDS", 5, 1..=20)?,
                resend_cooldown_secs: number("OTP_RESEND_COOLDOWN_SECONDS", 30, 0..=3_600)?,
                retention_secs: number("OTP_RETENTION_SECONDS", 86_400, 0..=2_592_000)?,
                alphabet: Alphabet::Numeric,
                caller_part_len: 0,
            },
            sms_sender_id: get("OTP_SMS_SENDER_ID"),
            autofill: parsed(&get, "OTP_SMS_AUTOFILL_DOMAIN", Autofill::parse_domains)?
                .unwrap_or_default(),
            test_recipients: parsed(&get, "OTP_TEST_RECIPIENTS", TestRecipients::parse)?
                .unwrap_or_default(),
            rao_private_key: get("OTP_RAO_PRIVATE_KEY").map(Secret),
            sms_webhook: parsed(&get, "OTP_SMS_WEBHOOK_URL", WebhookUrls::parse_urls)?
                .unwrap_or_default(),
            sms_webhook_key: parsed(&get, "OTP_SMS_WEBHOOK_SECRET", WebhookKey::parse)?,
            email_suppression_secs: i64::from(number("OTP_EMAIL_SUPPRESSION_DAYS", 30, 0..=3_650)?)
                * 86_400,
        })
    }

    /// A startup error unless the Bearer families' clients (`bearer`) or the header-contract
    /// families' clients are configured.
    pub fn require_clients(&self, bearer: bool) -> Result<(), ConfigError> {
        let none = |var| ConfigError::Invalid {
            var,
            reason: "must be set and list at least one client".into(),
        };
        match bearer {
            true if self.tokens.is_empty() => Err(none("OTP_API_TOKENS")),
            false if self.access.is_empty() => Err(none("OTP_ACCESS")),
            _ => Ok(()),
        }
    }

    /// `var`'s value or a startup error naming it.
    pub fn require<'a>(
        value: &'a Option<String>,
        var: &'static str,
    ) -> Result<&'a str, ConfigError> {
        value.as_deref().ok_or(ConfigError::Missing(var))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const DIGEST: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"; // sha256("test")

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    fn base() -> Vec<(&'static str, &'static str)> {
        vec![
            ("OTP_PEPPER", "0123456789abcdef0123456789abcdef"),
            (
                "OTP_API_TOKENS",
                "acme:9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08",
            ),
        ]
    }

    #[test]
    fn defaults_apply() {
        let c = config(&base()).unwrap();
        assert_eq!(
            (
                c.policy.validity_secs,
                c.policy.max_attempts,
                c.policy.resend_cooldown_secs
            ),
            (300, 5, 30)
        );
        assert_eq!(c.default_language, "en");
    }

    #[test]
    fn a_missing_or_weak_pepper_is_a_startup_error() {
        assert_eq!(
            config(&base()[1..]).unwrap_err(),
            ConfigError::Missing("OTP_PEPPER")
        );
        let mut vars = base();
        vars[0].1 = "short";
        assert!(matches!(
            config(&vars),
            Err(ConfigError::Invalid {
                var: "OTP_PEPPER",
                ..
            })
        ));
    }

    #[test]
    fn each_family_kind_requires_its_clients() {
        let c = config(&base()).unwrap();
        assert!(c.require_clients(true).is_ok());
        assert!(matches!(
            c.require_clients(false),
            Err(ConfigError::Invalid {
                var: "OTP_ACCESS",
                ..
            })
        ));
        let mut vars = base();
        vars.push(("OTP_ACCESS", "{\"x\": 1}"));
        assert!(matches!(
            config(&vars),
            Err(ConfigError::Invalid {
                var: "OTP_ACCESS",
                ..
            })
        ));
        let c = config(&base()[..1]).unwrap();
        assert!(matches!(
            c.require_clients(true),
            Err(ConfigError::Invalid {
                var: "OTP_API_TOKENS",
                ..
            })
        ));
    }

    #[test]
    fn bad_numbers_name_their_variable() {
        let mut vars = base();
        vars.push(("OTP_MAX_ATTEMPTS", "lots"));
        assert!(matches!(
            config(&vars),
            Err(ConfigError::Invalid {
                var: "OTP_MAX_ATTEMPTS",
                ..
            })
        ));
    }

    #[test]
    fn a_bad_test_recipient_or_autofill_domain_stops_the_start_naming_it() {
        for (var, value, named) in [
            ("OTP_TEST_RECIPIENTS", "+12025550100=12", "+12025550100"),
            ("OTP_TEST_RECIPIENTS", "nobody=123456", "nobody"),
            (
                "OTP_SMS_AUTOFILL_DOMAIN",
                "acme=not a domain",
                "not a domain",
            ),
        ] {
            let mut vars = base();
            vars.push((var, value));
            match config(&vars) {
                Err(ConfigError::Invalid { var: v, reason }) => {
                    assert_eq!(v, var);
                    assert!(reason.contains(named), "{reason}");
                }
                other => panic!("{var}={value}: {other:?}"),
            }
        }
    }

    #[test]
    fn tokens_are_matched_by_hash() {
        let tokens = Tokens::parse(&format!("acme:{DIGEST}, beta:{}", "0".repeat(64))).unwrap();
        assert_eq!(tokens.client_of("test"), Some("acme"));
        assert_eq!(tokens.client_of("Test"), None);
        assert!(Tokens::parse("acme").is_err());
        assert!(Tokens::parse("a b:00").is_err());
    }
}

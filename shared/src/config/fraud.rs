//! The fraud shield's settings: country rules (global and per client), SMS-pumping velocity
//! limits, the safe list, cross-session guessing, and whether refusals are enforced.

pub use crate::domain::destination::NON_GEOGRAPHIC;
use crate::domain::SendBudget;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FraudMode {
    /// Refuse what a rule refuses.
    Enforce,
    /// Log what a rule would refuse; refuse nothing (tuning on real traffic).
    Record,
}

/// Which countries SMS may go to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CountryRules {
    /// `None`: every country not blocked.
    pub allowed: Option<BTreeSet<String>>,
    pub blocked: BTreeSet<String>,
}

impl CountryRules {
    /// Whether a number of `country` (ISO 3166-1 alpha-2, or `001`) may receive SMS.
    pub fn allows(&self, country: &str) -> bool {
        !self.blocked.contains(country) && self.allowed.as_ref().is_none_or(|a| a.contains(country))
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fraud {
    pub mode: FraudMode,
    pub countries: CountryRules,
    /// Clients whose rules differ; a list a client's entry gives replaces the global one.
    pub client_countries: BTreeMap<String, CountryRules>,
    /// Digits of the E.164 number (country code included) that make its prefix.
    pub prefix_digits: usize,
    /// Unverified SMS per prefix per window.
    pub prefix: SendBudget,
    /// Unverified SMS per country per window.
    pub country: SendBudget,
    /// SMS per minute for the whole deployment.
    pub sms_per_minute: u32,
    /// E.164 numbers or prefixes (`+1202555`) the velocity limits do not count.
    pub safe_list: Vec<String>,
    /// Wrong codes per destination per destination-budget window, across sessions.
    pub guesses: u32,
}

impl Fraud {
    /// The country rules `client` is held to.
    pub fn countries_of(&self, client: &str) -> &CountryRules {
        self.client_countries.get(client).unwrap_or(&self.countries)
    }

    pub fn safe(&self, number: &str) -> bool {
        self.safe_list
            .iter()
            .any(|p| number.starts_with(p.as_str()))
    }

    pub fn enforced(&self) -> bool {
        self.mode == FraudMode::Enforce
    }
}

/// `enforce` or `record`.
pub fn parse_mode(v: &str) -> Result<FraudMode, String> {
    match v.trim() {
        "enforce" => Ok(FraudMode::Enforce),
        "record" => Ok(FraudMode::Record),
        other => Err(format!("`{other}` is neither enforce nor record")),
    }
}

/// A comma-separated list of ISO 3166-1 alpha-2 codes (or `001`), upper-cased.
pub fn parse_countries(v: &str) -> Result<BTreeSet<String>, String> {
    v.split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(country)
        .collect()
}

fn country(code: &str) -> Result<String, String> {
    let upper = code.to_ascii_uppercase();
    if upper == NON_GEOGRAPHIC || crate::domain::regions::known(&upper) {
        Ok(upper)
    } else {
        Err(format!(
            "`{code}` is not an ISO 3166-1 alpha-2 country code"
        ))
    }
}

/// `{"client": {"allowed": ["US"], "blocked": ["CU"]}}`; a list left out takes `global`'s.
pub fn parse_client_countries(
    doc: &str,
    global: &CountryRules,
) -> Result<BTreeMap<String, CountryRules>, String> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Entry {
        allowed: Option<Vec<String>>,
        blocked: Option<Vec<String>>,
    }
    let doc: BTreeMap<String, Entry> =
        serde_json::from_str(doc).map_err(|e| format!("not the documented JSON: {e}"))?;
    let list = |codes: Vec<String>| -> Result<BTreeSet<String>, String> {
        codes.iter().map(|c| country(c)).collect()
    };
    doc.into_iter()
        .map(|(client, e)| {
            let rules = CountryRules {
                allowed: match e.allowed {
                    Some(codes) => Some(list(codes)?),
                    None => global.allowed.clone(),
                },
                blocked: match e.blocked {
                    Some(codes) => list(codes)?,
                    None => global.blocked.clone(),
                },
            };
            Ok((client, rules))
        })
        .collect()
}

/// Comma-separated E.164 numbers or prefixes, each `+` and 2-15 digits.
pub fn parse_safe_list(v: &str) -> Result<Vec<String>, String> {
    v.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            let digits = p.strip_prefix('+').unwrap_or("");
            let ok = (2..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
            ok.then(|| p.to_string())
                .ok_or_else(|| format!("`{p}` is not + followed by 2-15 digits"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn country_lists_are_checked_and_upper_cased() {
        let set = parse_countries(" us, mx ,001").unwrap();
        assert_eq!(set.into_iter().collect::<Vec<_>>(), ["001", "MX", "US"]);
        assert!(parse_countries("US,XX").unwrap_err().contains("XX"));
    }

    #[test]
    fn an_allow_list_admits_only_its_countries_and_blocks_win() {
        let rules = CountryRules {
            allowed: Some(parse_countries("US,MX").unwrap()),
            blocked: parse_countries("MX").unwrap(),
        };
        assert!(rules.allows("US"));
        assert!(!rules.allows("MX"));
        assert!(!rules.allows("GB"));
        assert!(CountryRules::default().allows("GB"));
    }

    #[test]
    fn client_rules_replace_only_the_lists_they_give() {
        let global = CountryRules {
            allowed: None,
            blocked: parse_countries("CU").unwrap(),
        };
        let clients = parse_client_countries(
            r#"{"acme": {"allowed": ["US"]}, "beta": {"blocked": []}}"#,
            &global,
        )
        .unwrap();
        assert!(clients["acme"].allows("US") && !clients["acme"].allows("GB"));
        assert!(
            !clients["acme"].allows("CU"),
            "acme keeps the global block list"
        );
        assert!(clients["beta"].allows("CU"));
        assert!(parse_client_countries(r#"{"acme": {"allow": ["US"]}}"#, &global).is_err());
        assert!(parse_client_countries(r#"{"acme": {"allowed": ["ZZ"]}}"#, &global).is_err());
    }

    #[test]
    fn safe_list_entries_are_numbers_or_prefixes() {
        let list = parse_safe_list("+1202555, +447400000001").unwrap();
        let fraud_safe = |n: &str| list.iter().any(|p| n.starts_with(p.as_str()));
        assert!(fraud_safe("+12025550123") && fraud_safe("+447400000001"));
        assert!(!fraud_safe("+12025560123"));
        for bad in ["1202555", "+", "+12a", "+1234567890123456"] {
            assert!(parse_safe_list(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_mode_is_enforce_or_record() {
        assert_eq!(parse_mode("record"), Ok(FraudMode::Record));
        assert!(parse_mode("monitor").is_err());
    }
}

//! A setting for every client, per client, or both: `value`, `client=value` pairs, or a mix
//! (`example.com,acme=login.acme.com`). A client's own value wins over the default.

use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PerClient<T> {
    /// Every client's value, unless it has its own.
    pub default: Option<T>,
    pub by_client: BTreeMap<String, T>,
}

impl<T> Default for PerClient<T> {
    fn default() -> Self {
        PerClient {
            default: None,
            by_client: BTreeMap::new(),
        }
    }
}

impl<T> PerClient<T> {
    /// Parses `spec`, each value through `value` (which says why it refuses one).
    pub fn parse(spec: &str, value: impl Fn(&str) -> Result<T, String>) -> Result<Self, String> {
        let mut out = PerClient::default();
        for entry in spec.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (client, raw) = match entry.split_once('=') {
                Some((c, v)) => (Some(c.trim()), v.trim()),
                None => (None, entry),
            };
            let parsed = value(raw)?;
            let duplicate = match client {
                None => out.default.replace(parsed).is_some(),
                Some("") => return Err(format!("`{entry}` names no client")),
                Some(c) => out.by_client.insert(c.to_string(), parsed).is_some(),
            };
            if duplicate {
                return Err(format!(
                    "`{entry}`: a value is set twice for the same clients"
                ));
            }
        }
        Ok(out)
    }

    /// `client`'s value, if any.
    pub fn get(&self, client: &str) -> Option<&T> {
        self.by_client.get(client).or(self.default.as_ref())
    }

    pub fn is_empty(&self) -> bool {
        self.default.is_none() && self.by_client.is_empty()
    }
}

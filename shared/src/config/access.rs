//! Who may call the header-contract families (telemarketing, RAO): each `client_id`, the
//! SHA-256 of its token, and the (`countryCode`, `businessCode`, `channelId`) combinations it
//! may use. The document (`OTP_ACCESS`, or `--access FILE` locally):
//!
//! ```json
//! {"ivr-app": {"token_sha256": "9f86…", "allow": ["MX/GCB/IVR", "MX/GCB/*"]}}
//! ```

use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use subtle::ConstantTimeEq;

/// The client the local server serves with its development token.
pub const LOCAL_CLIENT: &str = "local";

/// One allowed combination; `*` matches any value.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Grant([String; 3]);

impl Grant {
    const ANY: &'static str = "*";

    fn parse(text: &str) -> Result<Grant, String> {
        let parts: Vec<&str> = text.split('/').map(str::trim).collect();
        let [country, business, channel] = parts.as_slice() else {
            return Err(format!(
                "`{text}` is not countryCode/businessCode/channelId"
            ));
        };
        let ok = |part: &str, valid: fn(&str) -> bool| part == Self::ANY || valid(part);
        if !ok(country, valid_country)
            || !ok(business, valid_business)
            || !ok(channel, valid_channel)
        {
            return Err(format!(
                "`{text}`: country is 2 letters, business 3 letters, channel 1-32 of [A-Za-z0-9_-], or *"
            ));
        }
        Ok(Grant(
            [country, business, channel].map(|p| p.to_ascii_uppercase()),
        ))
    }

    fn allows(&self, asked: [&str; 3]) -> bool {
        self.0
            .iter()
            .zip(asked)
            .all(|(g, a)| g == Self::ANY || g.eq_ignore_ascii_case(a))
    }
}

/// `countryCode`: ISO 3166-1 alpha-2, 2 letters.
pub fn valid_country(v: &str) -> bool {
    v.len() == 2 && v.chars().all(|c| c.is_ascii_alphabetic())
}

/// `businessCode`: 3 letters.
pub fn valid_business(v: &str) -> bool {
    v.len() == 3 && v.chars().all(|c| c.is_ascii_alphabetic())
}

/// `channelId`: 1-32 of `[A-Za-z0-9_-]` (`IVR`, `WEB`…).
pub fn valid_channel(v: &str) -> bool {
    (1..=32).contains(&v.len())
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// A client of the header-contract families.
#[derive(Clone, Debug)]
pub struct AccessClient {
    id: String,
    token_sha256: [u8; 32],
    grants: Vec<Grant>,
}

impl AccessClient {
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Whether this client may use the combination.
    pub fn allows(&self, country: &str, business: &str, channel: &str) -> bool {
        self.grants
            .iter()
            .any(|g| g.allows([country, business, channel]))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    token_sha256: Option<String>,
    allow: Vec<String>,
}

/// Every client of the header-contract families.
#[derive(Clone, Debug, Default)]
pub struct Access(Vec<AccessClient>);

impl Access {
    /// Parses the access document; every client needs its `token_sha256`.
    pub fn parse(json: &str) -> Result<Access, String> {
        Self::parse_with(json, None)
    }

    /// The local server's access: client `local` authenticates with `token` and may use every
    /// combination, unless `json` (an access file) lists `local` with its own `allow`.
    pub fn local(json: Option<&str>, token: &str) -> Result<Access, String> {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let mut access = Self::parse_with(json.unwrap_or("{}"), Some(digest))?;
        if access.0.iter().all(|c| c.id != LOCAL_CLIENT) {
            access.0.push(AccessClient {
                id: LOCAL_CLIENT.into(),
                token_sha256: digest,
                grants: vec![Grant::parse("*/*/*")?],
            });
        }
        Ok(access)
    }

    fn parse_with(json: &str, local_token: Option<[u8; 32]>) -> Result<Access, String> {
        let doc: BTreeMap<String, Entry> =
            serde_json::from_str(json).map_err(|e| format!("not an access document: {e}"))?;
        let mut clients = Vec::new();
        for (id, entry) in doc {
            let valid_id = (1..=64).contains(&id.len())
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
            if !valid_id {
                return Err(format!("client_id `{id}` must be 1-64 of [A-Za-z0-9._-]"));
            }
            let token_sha256 = match (&entry.token_sha256, local_token) {
                (None, Some(local)) if id == LOCAL_CLIENT => local,
                (None, _) => return Err(format!("client `{id}`: token_sha256 is required")),
                (Some(hex_digest), _) => {
                    let mut bytes = [0u8; 32];
                    hex::decode_to_slice(hex_digest, &mut bytes).map_err(|_| {
                        format!("client `{id}`: token_sha256 must be 64 hex characters")
                    })?;
                    bytes
                }
            };
            let grants = entry
                .allow
                .iter()
                .map(|g| Grant::parse(g).map_err(|e| format!("client `{id}`: {e}")))
                .collect::<Result<_, _>>()?;
            clients.push(AccessClient {
                id,
                token_sha256,
                grants,
            });
        }
        Ok(Access(clients))
    }

    /// The client `client_id` if `token` is its token (compared in constant time).
    pub fn authenticate(&self, client_id: &str, token: &str) -> Option<&AccessClient> {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        self.0
            .iter()
            .find(|c| c.id == client_id)
            .filter(|c| bool::from(c.token_sha256.ct_eq(&digest)))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // sha256("test")
    const DIGEST: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    #[test]
    fn clients_authenticate_with_their_own_token_and_use_only_their_grants() {
        let doc = format!(
            r#"{{"ivr": {{"token_sha256": "{DIGEST}", "allow": ["MX/GCB/IVR", "us/*/web"]}}}}"#
        );
        let access = Access::parse(&doc).unwrap();
        assert!(access.authenticate("ivr", "Test").is_none());
        assert!(access.authenticate("other", "test").is_none());
        let ivr = access.authenticate("ivr", "test").unwrap();
        assert!(ivr.allows("MX", "GCB", "IVR"));
        assert!(ivr.allows("mx", "gcb", "ivr"));
        assert!(ivr.allows("US", "ABC", "WEB"));
        assert!(!ivr.allows("MX", "GCB", "WEB"));
        assert!(!ivr.allows("CO", "GCB", "IVR"));
    }

    #[test]
    fn bad_documents_say_what_is_wrong() {
        let cases = [
            ("[]", "not an access document"),
            (r#"{"a": {"allow": []}}"#, "token_sha256 is required"),
            (r#"{"a": {"token_sha256": "00", "allow": []}}"#, "64 hex"),
            (
                &format!(r#"{{"a": {{"token_sha256": "{DIGEST}", "allow": ["MX/GCB"]}}}}"#),
                "countryCode/businessCode/channelId",
            ),
            (
                &format!(r#"{{"a": {{"token_sha256": "{DIGEST}", "allow": ["MEX/GCB/IVR"]}}}}"#),
                "2 letters",
            ),
            (
                &format!(r#"{{"a b": {{"token_sha256": "{DIGEST}", "allow": []}}}}"#),
                "client_id",
            ),
            (
                &format!(r#"{{"a": {{"token_sha256": "{DIGEST}", "allows": []}}}}"#),
                "unknown field",
            ),
        ];
        for (doc, expected) in cases {
            let error = Access::parse(doc).unwrap_err();
            assert!(error.contains(expected), "{doc}: {error}");
        }
    }

    #[test]
    fn the_local_client_may_do_everything_unless_the_file_says_otherwise() {
        let open = Access::local(None, "dev").unwrap();
        assert!(open
            .authenticate("local", "dev")
            .unwrap()
            .allows("CO", "ABC", "X"));
        let file = r#"{"local": {"allow": ["MX/GCB/IVR"]}}"#;
        let narrowed = Access::local(Some(file), "dev").unwrap();
        let local = narrowed.authenticate("local", "dev").unwrap();
        assert!(local.allows("MX", "GCB", "IVR"));
        assert!(!local.allows("CO", "GCB", "IVR"));
        assert!(
            Access::parse(file).is_err(),
            "outside the local server, local needs a token too"
        );
    }
}

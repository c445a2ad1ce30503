//! Every store key is built here. Session keys: which family, which API client, which
//! session, typed, so that two families or two tenants can never address each other's
//! sessions by a string built the wrong way; and the keys of the counters and of
//! `Idempotency-Key` records, which share the sessions table.

use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
use std::fmt;

/// The API family a session belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// Contact verification (`/contacts/…`).
    Contacts,
    /// The D7-compatible Verify API (`/verify/v1/…`).
    VerifyApi,
    /// Telemarketing OTP (`/v1/x-global/security/tele-marketing/…`).
    Telemarketing,
    /// RAO transmit OTP (`/v1/x-global/security/rao/…`).
    Rao,
}

impl Family {
    /// The key prefix; stored keys start with it, so it never changes for a family.
    fn prefix(self) -> &'static str {
        match self {
            Family::Contacts => "cv",
            Family::VerifyApi => "d7",
            Family::Telemarketing => "tm",
            Family::Rao => "rao",
        }
    }

    /// The family's name in events and metrics.
    pub fn name(self) -> &'static str {
        match self {
            Family::Contacts => "contacts",
            Family::VerifyApi => "verify-api",
            Family::Telemarketing => "telemarketing",
            Family::Rao => "rao",
        }
    }

    pub const ALL: [Family; 4] = [
        Family::Contacts,
        Family::VerifyApi,
        Family::Telemarketing,
        Family::Rao,
    ];

    /// Whether the family authenticates with `client_id` + `Authorization` and the header
    /// contract (else a Bearer token).
    pub fn header_contract(self) -> bool {
        matches!(self, Family::Telemarketing | Family::Rao)
    }
}

/// `#` separates the parts of a key and `%` escapes: both are escaped inside a part, so
/// distinct (family, client, id) triples always give distinct keys.
const PART: &AsciiSet = &CONTROLS.add(b'#').add(b'%');

/// The prefix of every counter's key (the fraud shield's and the budgets' windows).
const COUNTER_PREFIX: &str = "rl#";

/// The store key of a counter's window: `rl#<scope>#<window index>` (`rl#p#+1202555#9`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CounterKey(String);

impl CounterKey {
    pub fn new(scope_id: &str, index: i64) -> CounterKey {
        CounterKey(format!("{COUNTER_PREFIX}{scope_id}#{index}"))
    }

    /// A key read back from the store; `None` unless it is a counter's.
    pub fn from_stored(key: &str) -> Option<CounterKey> {
        key.starts_with(COUNTER_PREFIX)
            .then(|| CounterKey(key.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The key of an `Idempotency-Key` record: `idem#<family>#<client>#<key>`, each part escaped
/// as in a session key, so one client's key can never name another's.
pub fn idempotency_key(family: Family, client: &str, key: &str) -> String {
    let mut out = format!("idem#{}", family.prefix());
    for part in [client, key] {
        out.push('#');
        out.extend(utf8_percent_encode(part, PART));
    }
    out
}

/// A session's store key: `<family>#<client>#<id part>[#<id part>…]` (`d7#acme#<otp_id>`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SessionKey(String);

impl SessionKey {
    /// The key of session `id` (one or more parts, e.g. contact and session) of `client`.
    pub fn new(family: Family, client: &str, id: &[&str]) -> SessionKey {
        let mut key = family.prefix().to_string();
        for part in std::iter::once(&client).chain(id) {
            key.push('#');
            key.extend(utf8_percent_encode(part, PART));
        }
        SessionKey(key)
    }

    /// A key as the store returns it (it was built by `new` when written).
    pub fn from_stored(key: String) -> SessionKey {
        SessionKey(key)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The family a session key belongs to (`None` for a counter's key).
    pub fn family(&self) -> Option<Family> {
        let prefix = self.0.split('#').next()?;
        Family::ALL.into_iter().find(|f| f.prefix() == prefix)
    }

    /// The family, the client and the id parts (decoded, joined by `/`) of a session key;
    /// `None` for any other item of the table (a counter).
    pub fn parts(&self) -> Option<(Family, String, String)> {
        let family = self.family()?;
        let mut parts = self.0.split('#').skip(1);
        let decode = |p: &str| {
            percent_encoding::percent_decode_str(p)
                .decode_utf8_lossy()
                .into_owned()
        };
        let client = decode(parts.next()?);
        let id: Vec<String> = parts.map(decode).collect();
        (!id.is_empty()).then(|| (family, client, id.join("/")))
    }
}

impl fmt::Display for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idempotency_keys_of_distinct_clients_or_families_never_meet() {
        let key = |f, c, k| idempotency_key(f, c, k);
        assert_ne!(
            key(Family::VerifyApi, "a", "b#c"),
            key(Family::VerifyApi, "a#b", "c")
        );
        assert_ne!(key(Family::VerifyApi, "a", "k"), key(Family::Rao, "a", "k"));
        assert_eq!(key(Family::VerifyApi, "acme", "k-1"), "idem#d7#acme#k-1");
    }

    #[test]
    fn keys_carry_family_client_and_id() {
        let key = SessionKey::new(Family::Contacts, "acme", &["1", "s-1"]);
        assert_eq!(key.as_str(), "cv#acme#1#s-1");
        let otp = SessionKey::new(Family::VerifyApi, "acme", &["86b2"]);
        assert_eq!(otp.as_str(), "d7#acme#86b2");
    }

    #[test]
    fn keys_decode_to_their_parts_and_counters_to_none() {
        let key = SessionKey::new(Family::Contacts, "a#b", &["1", "s-1"]);
        assert_eq!(
            key.parts(),
            Some((Family::Contacts, "a#b".to_string(), "1/s-1".to_string()))
        );
        assert_eq!(SessionKey::from_stored("rl#p#+1202#9".into()).parts(), None);
    }

    #[test]
    fn no_two_triples_share_a_key() {
        let a = SessionKey::new(Family::Contacts, "acme#1", &["x"]);
        let b = SessionKey::new(Family::Contacts, "acme", &["1#x"]);
        let c = SessionKey::new(Family::Contacts, "acme", &["1", "x"]);
        assert_ne!(a, b);
        assert_ne!(b, c);
        assert_ne!(a, c);
        let d = SessionKey::new(Family::VerifyApi, "acme", &["1"]);
        let e = SessionKey::new(Family::Contacts, "acme", &["1"]);
        assert_ne!(d, e);
        assert_ne!(
            SessionKey::new(Family::VerifyApi, "a%23", &["x"]),
            SessionKey::new(Family::VerifyApi, "a#", &["x"])
        );
    }
}

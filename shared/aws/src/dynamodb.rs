//! DynamoDB adapters: sessions (conditional writes, one round trip per transition)
//! and the contacts table.

use async_trait::async_trait;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};
use aws_sdk_dynamodb::Client;
use otp_core::config::fraud::NON_GEOGRAPHIC;
use otp_core::domain::{
    Alphabet, Channel, CodeHash, Destination, Origin, Policy, Session, SessionKey, State, Template,
    Transition,
};
use otp_core::ports::{Applied, Contact, ContactDirectory, Counter, SessionStore, StoreError};
use std::collections::HashMap;

pub(crate) type Item = HashMap<String, AttributeValue>;

/// Partition key attribute of both tables' session items.
pub const KEY: &str = "pk";
/// TTL attribute of the sessions table (`expires_at + retention`).
pub const TTL: &str = "purge_at";

pub struct DynamoSessions {
    client: Client,
    table: String,
}

impl DynamoSessions {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoSessions {
            client,
            table: table.into(),
        }
    }

    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    pub(crate) fn table(&self) -> &str {
        &self.table
    }
}

pub(crate) fn unavailable<E: std::error::Error + 'static, R: std::fmt::Debug>(
    e: SdkError<E, R>,
) -> StoreError {
    StoreError::Unavailable(DisplayErrorContext(e).to_string())
}

/// `Ok(true)` when a conditional write happened, `Ok(false)` when its condition failed.
pub(crate) fn written<T, E, R>(result: Result<T, SdkError<E, R>>) -> Result<bool, StoreError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match result {
        Ok(_) => Ok(true),
        Err(SdkError::ServiceError(e))
            if e.err().code() == Some("ConditionalCheckFailedException") =>
        {
            Ok(false)
        }
        Err(e) => Err(unavailable(e)),
    }
}

#[async_trait]
impl SessionStore for DynamoSessions {
    async fn create(&self, session: &Session) -> Result<bool, StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(session)))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", KEY)
            .send()
            .await;
        written(result)
    }

    async fn get(&self, key: &SessionKey) -> Result<Option<Session>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(KEY, AttributeValue::S(key.as_str().to_string()))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        out.item.as_ref().map(from_item).transpose()
    }

    async fn apply(
        &self,
        key: &SessionKey,
        transition: &Transition,
    ) -> Result<Applied, StoreError> {
        let update = Update::of(transition);
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(KEY, AttributeValue::S(key.as_str().to_string()))
            .update_expression(update.set)
            .condition_expression(update.condition)
            .set_expression_attribute_names(Some(update.names))
            .set_expression_attribute_values(Some(update.values))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(out) => match out.attributes.as_ref() {
                Some(item) => Ok(Applied::Yes(from_item(item)?)),
                None => Err(StoreError::Corrupt("update returned no attributes".into())),
            },
            Err(SdkError::ServiceError(e)) => match e.err() {
                UpdateItemError::ConditionalCheckFailedException(failed) => {
                    Ok(Applied::No(failed.item().map(from_item).transpose()?))
                }
                _ => Err(unavailable(SdkError::ServiceError(e))),
            },
            Err(e) => Err(unavailable(e)),
        }
    }
    /// `SET sends = if_not_exists(sends, 0) + 1` while its conditions hold: one `UpdateItem`.
    async fn take(&self, c: &Counter) -> Result<bool, StoreError> {
        let mut below = "(attribute_not_exists(#n) OR #n < :limit".to_string();
        if c.relative {
            below.push_str(" OR #n < #v");
        }
        below.push(')');
        let mut request = self
            .counter(
                &c.key,
                "SET #n = if_not_exists(#n, :zero) + :one, #purge = :purge",
            )
            .expression_attribute_names("#n", SENDS)
            .expression_attribute_values(":limit", number(c.limit))
            .expression_attribute_values(":purge", number(c.purge_at));
        if c.relative {
            request = request.expression_attribute_names("#v", VERIFIED);
        }
        if let Some(g) = c.guess_limit {
            below.push_str(" AND (attribute_not_exists(#g) OR #g < :glimit)");
            request = request
                .expression_attribute_names("#g", GUESSES)
                .expression_attribute_values(":glimit", number(g));
        }
        written(request.condition_expression(below).send().await)
    }

    async fn take_guess(&self, key: &str, limit: u32, purge_at: i64) -> Result<bool, StoreError> {
        let request = self
            .counter(
                key,
                "SET #g = if_not_exists(#g, :zero) + :one, #purge = :purge",
            )
            .condition_expression("attribute_not_exists(#g) OR #g < :limit")
            .expression_attribute_names("#g", GUESSES)
            .expression_attribute_values(":limit", number(limit))
            .expression_attribute_values(":purge", number(purge_at));
        written(request.send().await)
    }

    async fn give_back(&self, key: &str) -> Result<(), StoreError> {
        let request = self
            .counter(
                key,
                "SET #n = #n - :one, #v = if_not_exists(#v, :zero) + :one",
            )
            .condition_expression("#n > :zero")
            .expression_attribute_names("#n", SENDS)
            .expression_attribute_names("#v", VERIFIED);
        // A counter already purged, or with nothing left to give back, stays as it is.
        written(request.send().await).map(|_| ())
    }

    async fn refund(&self, key: &str) -> Result<(), StoreError> {
        let request = self
            .counter(key, "SET #n = #n - :one")
            .condition_expression("#n > :zero")
            .expression_attribute_names("#n", SENDS);
        written(request.send().await).map(|_| ())
    }
}

/// Attributes of a counter item.
const SENDS: &str = "sends";
const VERIFIED: &str = "verified";
const GUESSES: &str = "guesses";

pub(crate) fn number(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

impl DynamoSessions {
    /// An `UpdateItem` of counter `key` with `set`; `:zero`, `:one` and `#purge` defined.
    fn counter(&self, key: &str, set: &str) -> UpdateItemFluentBuilder {
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(KEY, AttributeValue::S(key.to_string()))
            .update_expression(set)
            .expression_attribute_values(":zero", number(0))
            .expression_attribute_values(":one", number(1));
        if set.contains("#purge") {
            request = request.expression_attribute_names("#purge", TTL);
        }
        request
    }
}

/// One `UpdateItem`: the mirror of `Transition::allows` / `Transition::apply`.
struct Update {
    set: String,
    condition: String,
    names: HashMap<String, String>,
    values: Item,
}

impl Update {
    fn of(t: &Transition) -> Update {
        let mut names: HashMap<String, String> = [
            "pk",
            "state",
            "attempts",
            "max_attempts",
            "expires_at",
            "code_hash",
        ]
        .iter()
        .map(|n| (format!("#{n}"), n.to_string()))
        .collect();
        let mut values = Item::new();
        let s = |v: &str| AttributeValue::S(v.to_string());
        let n = |v: i64| AttributeValue::N(v.to_string());
        values.insert(":pending".into(), s(State::Pending.as_str()));
        let open = "attribute_exists(#pk) AND #state = :pending AND #attempts < #max_attempts";
        let (set, condition) = match t {
            Transition::Reissue {
                code_hash,
                now,
                destination,
                allow_expired,
            } => {
                for name in [
                    "sends",
                    "max_sends",
                    "next_send_at",
                    "last_sent_at",
                    "channel",
                    "destination",
                    "cooldown_secs",
                    "validity_secs",
                    "purge_after_secs",
                    TTL,
                ] {
                    names.insert(format!("#{name}"), name.to_string());
                }
                values.insert(":undeliverable".into(), s(State::Undeliverable.as_str()));
                values.insert(":h".into(), s(&code_hash.to_hex()));
                values.insert(":now".into(), n(*now));
                values.insert(":one".into(), n(1));
                values.insert(":channel".into(), s(destination.channel().as_str()));
                values.insert(":dest".into(), s(destination.as_str()));
                let mut origin_set = String::new();
                for (name, value) in origin_attributes(destination) {
                    names.insert(format!("#{name}"), name.to_string());
                    values.insert(format!(":{name}"), value);
                    origin_set.push_str(&format!(", #{name} = :{name}"));
                }
                // Expiry, next send and purge times follow the session's stored policy.
                let mut condition = "attribute_exists(#pk) AND (#state = :pending OR #state = :undeliverable) \
                     AND #attempts < #max_attempts AND #sends < #max_sends AND #next_send_at <= :now"
                    .to_string();
                if !allow_expired {
                    condition.push_str(" AND #expires_at > :now");
                }
                (
                    format!(
                        "SET #code_hash = :h, #state = :pending, #sends = #sends + :one, #last_sent_at = :now, \
                         #next_send_at = :now + #cooldown_secs, #expires_at = :now + #validity_secs, \
                         #purge_at = :now + #purge_after_secs, #channel = :channel, #destination = :dest{origin_set}"
                    ),
                    condition,
                )
            }
            Transition::Verify { code_hash, now } => {
                names.insert("#verified_at".into(), "verified_at".into());
                values.insert(":h".into(), s(&code_hash.to_hex()));
                values.insert(":now".into(), n(*now));
                values.insert(":verified".into(), s(State::Verified.as_str()));
                (
                    "SET #state = :verified, #verified_at = :now".to_string(),
                    format!("{open} AND #expires_at > :now AND #code_hash = :h"),
                )
            }
            Transition::CountFailure { now } => {
                values.insert(":now".into(), n(*now));
                values.insert(":one".into(), n(1));
                (
                    "SET #attempts = #attempts + :one".to_string(),
                    format!("{open} AND #expires_at > :now"),
                )
            }
            Transition::Lock => (
                "SET #attempts = #max_attempts".to_string(),
                open.to_string(),
            ),
            Transition::MarkUndeliverable { code_hash } => {
                values.insert(":h".into(), s(&code_hash.to_hex()));
                values.insert(":undeliverable".into(), s(State::Undeliverable.as_str()));
                (
                    "SET #state = :undeliverable".to_string(),
                    "attribute_exists(#pk) AND #state = :pending AND #code_hash = :h".to_string(),
                )
            }
        };
        // Only names the expressions use may be sent.
        names.retain(|k, _| set.contains(k.as_str()) || condition.contains(k.as_str()));
        Update {
            set,
            condition,
            names,
            values,
        }
    }
}

/// A number's calling code and country, stored beside it so that reading it needs no
/// libphonenumber (nothing for email).
fn origin_attributes(destination: &Destination) -> Vec<(&'static str, AttributeValue)> {
    let Destination::Phone(phone) = destination else {
        return Vec::new();
    };
    let Some(origin) = phone.origin() else {
        return Vec::new();
    };
    let country = origin.country.as_deref().unwrap_or(NON_GEOGRAPHIC);
    vec![
        (
            "calling_code",
            AttributeValue::S(origin.calling_code.clone()),
        ),
        ("country", AttributeValue::S(country.to_string())),
    ]
}

fn to_item(s: &Session) -> Item {
    let n = |v: i64| AttributeValue::N(v.to_string());
    let str_ = |v: &str| AttributeValue::S(v.to_string());
    let mut item = Item::from([
        (KEY.to_string(), str_(s.key.as_str())),
        ("channel".into(), str_(s.destination.channel().as_str())),
        ("destination".into(), str_(s.destination.as_str())),
        ("code_hash".into(), str_(&s.code_hash.to_hex())),
        ("state".into(), str_(s.state.as_str())),
        ("attempts".into(), n(s.attempts.into())),
        ("max_attempts".into(), n(s.policy.max_attempts.into())),
        ("sends".into(), n(s.sends.into())),
        ("max_sends".into(), n(s.policy.max_sends.into())),
        (
            "cooldown_secs".into(),
            n(s.policy.resend_cooldown_secs.into()),
        ),
        ("validity_secs".into(), n(s.policy.validity_secs.into())),
        ("retention_secs".into(), n(s.policy.retention_secs.into())),
        (
            "purge_after_secs".into(),
            n(i64::from(s.policy.validity_secs) + i64::from(s.policy.retention_secs)),
        ),
        ("code_length".into(), n(s.policy.code_length.into())),
        ("alphabet".into(), str_(s.policy.alphabet.as_str())),
        ("created_at".into(), n(s.created_at)),
        ("last_sent_at".into(), n(s.last_sent_at)),
        ("next_send_at".into(), n(s.next_send_at)),
        ("expires_at".into(), n(s.expires_at)),
        (TTL.into(), n(s.purge_at())),
        ("language".into(), str_(&s.language)),
        ("text".into(), str_(&s.template.text)),
    ]);
    item.extend(
        origin_attributes(&s.destination)
            .into_iter()
            .map(|(k, v)| (k.to_string(), v)),
    );
    if s.policy.caller_part_len > 0 {
        item.insert("caller_part_len".into(), n(s.policy.caller_part_len.into()));
    }
    if let Some(v) = s.verified_at {
        item.insert("verified_at".into(), n(v));
    }
    if let Some(v) = &s.template.subject {
        item.insert("subject".into(), str_(v));
    }
    if let Some(v) = &s.template.html {
        item.insert("html".into(), str_(v));
    }
    if !s.extra.is_empty() {
        item.insert(
            "extra".into(),
            AttributeValue::M(s.extra.iter().map(|(k, v)| (k.clone(), str_(v))).collect()),
        );
    }
    item
}

pub(crate) fn from_item(item: &Item) -> Result<Session, StoreError> {
    let bad = |name: &str| StoreError::Corrupt(format!("attribute `{name}` missing or malformed"));
    let s = |name: &str| match item.get(name) {
        Some(AttributeValue::S(v)) => Ok(v.clone()),
        _ => Err(bad(name)),
    };
    let opt_s = |name: &str| match item.get(name) {
        Some(AttributeValue::S(v)) => Some(v.clone()),
        _ => None,
    };
    let n = |name: &str| match item.get(name) {
        Some(AttributeValue::N(v)) => v.parse::<i64>().map_err(|_| bad(name)),
        _ => Err(bad(name)),
    };
    let u = |name: &str| n(name).and_then(|v| u32::try_from(v).map_err(|_| bad(name)));
    Ok(Session {
        key: SessionKey::from_stored(s(KEY)?),
        destination: Destination::from_stored(
            Channel::parse(&s("channel")?).ok_or_else(|| bad("channel"))?,
            &s("destination")?,
            opt_s("calling_code").map(|calling_code| Origin {
                calling_code,
                country: opt_s("country").filter(|c| c != NON_GEOGRAPHIC),
            }),
        ),
        code_hash: CodeHash::from_hex(&s("code_hash")?).ok_or_else(|| bad("code_hash"))?,
        state: State::parse(&s("state")?).ok_or_else(|| bad("state"))?,
        attempts: u("attempts")?,
        sends: u("sends")?,
        policy: Policy {
            validity_secs: u("validity_secs")?,
            max_attempts: u("max_attempts")?,
            max_sends: u("max_sends")?,
            resend_cooldown_secs: u("cooldown_secs")?,
            code_length: u8::try_from(u("code_length")?).map_err(|_| bad("code_length"))?,
            alphabet: Alphabet::parse(&s("alphabet")?).ok_or_else(|| bad("alphabet"))?,
            caller_part_len: match item.get("caller_part_len") {
                None => 0,
                Some(_) => {
                    u8::try_from(u("caller_part_len")?).map_err(|_| bad("caller_part_len"))?
                }
            },
            retention_secs: u("retention_secs")?,
        },
        created_at: n("created_at")?,
        last_sent_at: n("last_sent_at")?,
        next_send_at: n("next_send_at")?,
        expires_at: n("expires_at")?,
        verified_at: n("verified_at").ok(),
        language: s("language")?,
        template: Template {
            subject: opt_s("subject"),
            text: s("text")?,
            html: opt_s("html"),
        },
        extra: match item.get("extra") {
            Some(AttributeValue::M(m)) => m
                .iter()
                .filter_map(|(k, v)| v.as_s().ok().map(|v| (k.clone(), v.clone())))
                .collect(),
            _ => Default::default(),
        },
    })
}

/// The contacts table: partition key `contactId` (number).
pub struct DynamoContacts {
    client: Client,
    table: String,
}

impl DynamoContacts {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoContacts {
            client,
            table: table.into(),
        }
    }
}

#[async_trait]
impl ContactDirectory for DynamoContacts {
    async fn get(&self, contact_id: i32) -> Result<Option<Contact>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("contactId", AttributeValue::N(contact_id.to_string()))
            .send()
            .await
            .map_err(unavailable)?;
        let Some(item) = out.item else {
            return Ok(None);
        };
        let s = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
        Ok(Some(Contact {
            contact_id,
            phone: s("phone"),
            email: s("email"),
            pending_phone: s("pendingPhone"),
            pending_email: s("pendingEmail"),
            language: s("language"),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use otp_core::domain::{Email, Family, Pepper, E164};

    fn session(now: i64, code: &str) -> Session {
        let key = SessionKey::new(Family::VerifyApi, "acme", &["86b2"]);
        let policy = Policy {
            validity_secs: 300,
            max_attempts: 5,
            max_sends: 5,
            resend_cooldown_secs: 30,
            code_length: 6,
            alphabet: Alphabet::Numeric,
            caller_part_len: 0,
            retention_secs: 86_400,
        };
        let hash = Pepper::new(&[1; 32]).unwrap().hash(&key, code);
        let phone = Destination::Phone(E164::parse("+12025550123").unwrap());
        Session::open(key, phone, hash, policy, now)
    }

    #[test]
    fn items_round_trip() {
        let mut s = session(1_700_000_000, "123456");
        s.verified_at = Some(1_700_000_010);
        s.template.subject = Some("Your code".into());
        s.extra.insert("originator".into(), "ACME".into());
        assert_eq!(from_item(&to_item(&s)).unwrap(), s);
        s.destination = Destination::Email(Email::parse("ana@example.com").unwrap());
        assert_eq!(from_item(&to_item(&s)).unwrap(), s);
        s.policy.caller_part_len = 3;
        assert_eq!(from_item(&to_item(&s)).unwrap(), s);
    }

    /// A telemarketing session as this release writes it (sender id, binding digest, charged
    /// counters, SMS measure, test flag in `extra`; origin beside the number). Whatever shape
    /// sessions take next, an item written today must still read, and write back unchanged.
    const TODAYS_ITEM: &str = r#"{
        "pk": {"S": "tm#acme#0f8c2f0e-5b7a-4c1e-9d3a-2b6f4e8a1c90"},
        "channel": {"S": "sms"}, "destination": {"S": "+447400123456"},
        "calling_code": {"S": "+44"}, "country": {"S": "GB"},
        "code_hash": {"S": "9b74c9897bac770ffc029102a200c5de7a4e2e0f7c1b0d5e8e7e1f1c6d5a4b3c"},
        "state": {"S": "pending"}, "attempts": {"N": "1"}, "max_attempts": {"N": "5"},
        "sends": {"N": "2"}, "max_sends": {"N": "5"}, "cooldown_secs": {"N": "30"},
        "validity_secs": {"N": "300"}, "retention_secs": {"N": "86400"},
        "purge_after_secs": {"N": "86700"}, "code_length": {"N": "11"},
        "caller_part_len": {"N": "3"}, "alphabet": {"S": "alphanumeric"},
        "created_at": {"N": "1764460800"}, "last_sent_at": {"N": "1764460830"},
        "next_send_at": {"N": "1764460860"}, "expires_at": {"N": "1764461130"},
        "purge_at": {"N": "1764547530"}, "language": {"S": "es"},
        "text": {"S": "ACME {code} no la compartas"},
        "extra": {"M": {
            "sender_id": {"S": "ACME"},
            "binding": {"S": "5d41402abc4b2a76b9719d911017c592"},
            "charged": {"S": "rl#d#+447400123456#5880 rl#c#acme#5880 rl#p#+44740012#5880"},
            "test": {"S": "true"},
            "sms_encoding": {"S": "gsm7"}, "sms_segments": {"S": "1"},
            "country": {"S": "GB"}, "business": {"S": "retail"}, "channel": {"S": "web"}
        }}
    }"#;

    fn attribute(v: &serde_json::Value) -> AttributeValue {
        let (kind, value) = v.as_object().unwrap().iter().next().unwrap();
        match kind.as_str() {
            "S" => AttributeValue::S(value.as_str().unwrap().into()),
            "N" => AttributeValue::N(value.as_str().unwrap().into()),
            "M" => AttributeValue::M(
                value
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| (k.clone(), attribute(v)))
                    .collect(),
            ),
            other => panic!("{other}"),
        }
    }

    #[test]
    fn a_session_item_written_today_still_reads_and_writes_back_the_same() {
        let json: serde_json::Value = serde_json::from_str(TODAYS_ITEM).unwrap();
        let AttributeValue::M(item) = attribute(&serde_json::json!({ "M": json })) else {
            unreachable!()
        };
        let session = from_item(&item).expect("today's item reads");
        assert_eq!(
            session.key.as_str(),
            "tm#acme#0f8c2f0e-5b7a-4c1e-9d3a-2b6f4e8a1c90"
        );
        assert_eq!(
            (session.attempts, session.sends, session.policy.code_length),
            (1, 2, 11)
        );
        assert_eq!(session.policy.caller_part_len, 3);
        assert_eq!(session.destination.sms_country().as_deref(), Some("GB"));
        assert_eq!(
            session.extra.get("binding").map(String::as_str),
            Some("5d41402abc4b2a76b9719d911017c592")
        );
        assert_eq!(session.extra.get("test").map(String::as_str), Some("true"));
        assert_eq!(
            session.extra.get("sms_segments").map(String::as_str),
            Some("1")
        );
        assert_eq!(to_item(&session), item, "written back unchanged");
    }

    #[test]
    fn the_stored_item_never_holds_the_code() {
        let s = session(0, "918273");
        let dump = format!("{:?}", to_item(&s));
        assert!(!dump.contains("918273"));
    }

    #[test]
    fn expressions_only_name_what_they_use() {
        let u = Update::of(&Transition::CountFailure { now: 5 });
        for name in u.names.keys() {
            assert!(u.set.contains(name.as_str()) || u.condition.contains(name.as_str()));
        }
        assert!(!u.names.contains_key("#code_hash"));
    }
}

//! DynamoDB adapters: sessions (conditional writes, one round trip per transition)
//! and the contacts table.

use crate::record::{from_item, to_item, RECEIPT_ATTRIBUTES};
use async_trait::async_trait;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};
use aws_sdk_dynamodb::Client;
use otp_core::config::fraud::NON_GEOGRAPHIC;
use otp_core::domain::{
    CounterKey, Destination, Session, SessionKey, State, Timestamp, Transition,
};
use otp_core::ports::{
    Applied, Contact, ContactDirectory, Counter, Counters, MessageLink, SessionStore, StoreError,
};
use std::collections::HashMap;

pub type Item = HashMap<String, AttributeValue>;

/// Partition key attribute of both tables' session items.
pub const KEY: &str = "pk";
/// TTL attribute of the sessions table (`expires_at + retention`).
pub const TTL: &str = "purge_at";
/// Key prefix of a sent message's link to its session (`MessageLink`).
const LINK: &str = "dr#";
/// Key prefix of a suppressed email address.
const SUPPRESSED: &str = "sup#";

/// The item of provider message `message_id`'s link.
fn link_key(message_id: &str) -> AttributeValue {
    AttributeValue::S(format!("{LINK}{message_id}"))
}

/// The item of `address`'s suppression.
fn suppression_key(address: &str) -> AttributeValue {
    AttributeValue::S(format!("{SUPPRESSED}{address}"))
}

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

    async fn reopen_test(&self, session: &Session) -> Result<bool, StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(session)))
            .condition_expression("#extra.#test = :true AND #destination = :destination")
            .expression_attribute_names("#extra", "extra")
            .expression_attribute_names("#test", "test")
            .expression_attribute_names("#destination", "destination")
            .expression_attribute_values(":true", AttributeValue::S("true".into()))
            .expression_attribute_values(
                ":destination",
                AttributeValue::S(session.destination.as_str().to_string()),
            )
            .send()
            .await;
        written(result)
    }

    async fn link_message(&self, link: &MessageLink) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .item(KEY, link_key(&link.message_id))
            .item(
                "session",
                AttributeValue::S(link.session.as_str().to_string()),
            )
            .item("send", number(link.send))
            .item(TTL, number(link.purge_at))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn message_link(&self, message_id: &str) -> Result<Option<MessageLink>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(KEY, link_key(message_id))
            .send()
            .await
            .map_err(unavailable)?;
        let Some(item) = out.item else {
            return Ok(None);
        };
        let text = |name: &str| match item.get(name) {
            Some(AttributeValue::S(v) | AttributeValue::N(v)) => Ok(v.clone()),
            _ => Err(StoreError::Corrupt(format!(
                "message link without `{name}`"
            ))),
        };
        let number = |name: &str| {
            text(name)?
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("message link `{name}` malformed")))
        };
        Ok(Some(MessageLink {
            message_id: message_id.to_string(),
            session: SessionKey::from_stored(text("session")?),
            send: number("send")? as u32,
            purge_at: number("purge_at")?,
        }))
    }

    /// One `UpdateItem` (which creates the item): `session-events` writes it, and may not
    /// `PutItem`.
    async fn suppress(
        &self,
        address: &str,
        reason: &str,
        until: Timestamp,
    ) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key(KEY, suppression_key(address))
            .update_expression("SET #until = :until, #reason = :reason, #purge = :until")
            .expression_attribute_names("#until", "until")
            .expression_attribute_names("#reason", "reason")
            .expression_attribute_names("#purge", TTL)
            .expression_attribute_values(":until", number(until))
            .expression_attribute_values(":reason", AttributeValue::S(reason.to_string()))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn suppressed_until(&self, address: &str) -> Result<Option<Timestamp>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(KEY, suppression_key(address))
            .projection_expression("#until")
            .expression_attribute_names("#until", "until")
            .send()
            .await
            .map_err(unavailable)?;
        let until = out.item.as_ref().and_then(|i| i.get("until"));
        until
            .map(|v| v.as_n().ok().and_then(|n| n.parse().ok()))
            .map(|n| n.ok_or_else(|| StoreError::Corrupt("suppression `until` malformed".into())))
            .transpose()
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
        out.item.map(from_item).transpose()
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
            Ok(out) => match out.attributes {
                Some(item) => Ok(Applied::Yes(from_item(item)?)),
                None => Err(StoreError::Corrupt("update returned no attributes".into())),
            },
            Err(SdkError::ServiceError(e)) => match e.err() {
                UpdateItemError::ConditionalCheckFailedException(failed) => Ok(Applied::No(
                    failed.item().cloned().map(from_item).transpose()?,
                )),
                _ => Err(unavailable(SdkError::ServiceError(e))),
            },
            Err(e) => Err(unavailable(e)),
        }
    }
}

#[async_trait]
impl Counters for DynamoSessions {
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

    async fn take_guess(
        &self,
        key: &CounterKey,
        limit: u32,
        purge_at: i64,
    ) -> Result<bool, StoreError> {
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

    async fn give_back(&self, key: &CounterKey) -> Result<(), StoreError> {
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

    async fn refund(&self, key: &CounterKey) -> Result<(), StoreError> {
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
    fn counter(&self, key: &CounterKey, set: &str) -> UpdateItemFluentBuilder {
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(KEY, AttributeValue::S(key.as_str().to_string()))
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
                ]
                .into_iter()
                .chain(RECEIPT_ATTRIBUTES)
                {
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
                // The new message has no receipt yet.
                let receipt = RECEIPT_ATTRIBUTES.map(|a| format!("#{a}")).join(", ");
                (
                    format!(
                        "SET #code_hash = :h, #state = :pending, #sends = #sends + :one, #last_sent_at = :now, \
                         #next_send_at = :now + #cooldown_secs, #expires_at = :now + #validity_secs, \
                         #purge_at = :now + #purge_after_secs, #channel = :channel, #destination = :dest{origin_set} \
                         REMOVE {receipt}"
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
            Transition::Receipt { send, receipt } => {
                names.insert("#sends".into(), "sends".into());
                values.insert(":send".into(), n(i64::from(*send)));
                let given = [
                    Some(s(receipt.outcome.as_str())),
                    receipt.reason.as_deref().map(s),
                    Some(n(receipt.at)),
                    receipt
                        .price_micro_usd
                        .map(|p| AttributeValue::N(p.to_string())),
                    receipt.dwell_ms.map(|d| AttributeValue::N(d.to_string())),
                ];
                let (mut set, mut remove) = (Vec::new(), Vec::new());
                for (name, value) in RECEIPT_ATTRIBUTES.into_iter().zip(given) {
                    names.insert(format!("#{name}"), name.to_string());
                    match value {
                        Some(v) => {
                            values.insert(format!(":{name}"), v);
                            set.push(format!("#{name} = :{name}"));
                        }
                        None => remove.push(format!("#{name}")),
                    }
                }
                let mut update = format!("SET {}", set.join(", "));
                if !remove.is_empty() {
                    update.push_str(&format!(" REMOVE {}", remove.join(", ")));
                }
                (
                    update,
                    "attribute_exists(#pk) AND #sends = :send".to_string(),
                )
            }
            Transition::MarkUndeliverable { code_hash } => {
                values.insert(":h".into(), s(&code_hash.to_hex()));
                values.insert(":undeliverable".into(), s(State::Undeliverable.as_str()));
                (
                    "SET #state = :undeliverable".to_string(),
                    "attribute_exists(#pk) AND #state = :pending AND #code_hash = :h".to_string(),
                )
            }
        };
        // Only names and values the expressions use may be sent.
        names.retain(|k, _| set.contains(k.as_str()) || condition.contains(k.as_str()));
        values.retain(|k, _| set.contains(k.as_str()) || condition.contains(k.as_str()));
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
    use crate::record::SessionRecord;
    use otp_core::domain::{CodeHash, Email, E164};

    #[test]
    fn expressions_only_name_what_they_use() {
        let u = Update::of(&Transition::CountFailure { now: 5 });
        for name in u.names.keys() {
            assert!(u.set.contains(name.as_str()) || u.condition.contains(name.as_str()));
        }
        assert!(!u.names.contains_key("#code_hash"));
    }

    /// The attribute names the updates spell out are the record's own: renaming a field of
    /// `SessionRecord` without its update fails here, not in production.
    #[test]
    fn every_attribute_an_update_names_is_a_record_field() {
        let fields: Vec<String> = serde_json::to_value(SessionRecord {
            calling_code: Some("+1".into()),
            country: Some("US".into()),
            caller_part_len: 3,
            verified_at: Some(1),
            delivery: Some("failed".into()),
            delivery_reason: Some("Invalid phone number".into()),
            delivery_at: Some(1),
            price_micro_usd: Some(6450),
            dwell_ms: Some(599),
            ..SessionRecord::default()
        })
        .unwrap()
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
        let hash = CodeHash::from_hex(&"ab".repeat(32)).unwrap();
        let phone = Destination::Phone(E164::parse("+12025550123").unwrap());
        let email = Destination::Email(Email::parse("ana@example.com").unwrap());
        let transitions = [
            Transition::Reissue {
                code_hash: hash,
                now: 1,
                destination: phone,
                allow_expired: false,
            },
            Transition::Reissue {
                code_hash: hash,
                now: 1,
                destination: email,
                allow_expired: true,
            },
            Transition::Verify {
                code_hash: hash,
                now: 1,
            },
            Transition::CountFailure { now: 1 },
            Transition::MarkUndeliverable { code_hash: hash },
            Transition::Lock,
            Transition::Receipt {
                send: 1,
                receipt: otp_core::domain::Receipt {
                    outcome: otp_core::domain::receipt::Outcome::Delivered,
                    reason: None,
                    at: 1,
                    price_micro_usd: Some(6450),
                    dwell_ms: None,
                },
            },
        ];
        for t in &transitions {
            for name in Update::of(t).names.values() {
                assert!(
                    fields.contains(name),
                    "{t:?} names `{name}`, no record field"
                );
            }
        }
    }
}

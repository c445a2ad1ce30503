//! The sessions table's DynamoDB stream (function `session-events`): every session change
//! becomes a lifecycle event on Amazon EventBridge, and a session that turns verified gives
//! its first send back to the velocity counters — both off the request path.

use crate::dynamodb::{from_item, Item};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use otp_core::domain::{Destination, Session, SessionKey, State};
use otp_core::http::rfc3339;
use otp_core::service::CHARGED;
use otp_core::App;
use serde_json::{json, Value};

/// EventBridge `source` of lifecycle events unless `OTP_EVENT_SOURCE` says otherwise.
pub const SOURCE: &str = "otp-verification";

/// One lifecycle event: its `detail-type` and `detail`.
#[derive(Clone, Debug, PartialEq)]
pub struct Lifecycle {
    pub kind: Kind,
    pub detail: Value,
}

/// What happened to a session. The `detail-type` is `"OTP session " + as_str()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A code was sent (first send or resend).
    Sent,
    Verified,
    /// A wrong code was presented; attempts remain.
    Failed,
    /// No attempt left (wrong codes, or the destination's guesses across sessions).
    Locked,
    /// Delivery of the code failed.
    Undeliverable,
    /// A pending session reached its purge time unverified (reported when DynamoDB's TTL
    /// deletes it, up to the retention period after its expiry).
    Expired,
    /// A fraud rule refused a send or a guess (from the log subscription: `blocked`).
    Blocked,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Sent => "sent",
            Kind::Verified => "verified",
            Kind::Failed => "failed",
            Kind::Locked => "locked",
            Kind::Undeliverable => "undeliverable",
            Kind::Expired => "expired",
            Kind::Blocked => "blocked",
        }
    }
}

/// Where lifecycle events go (EventBridge in AWS).
#[async_trait]
pub trait Publish: Send + Sync {
    /// Publishes the events, in order; an error means none may be taken as published.
    async fn publish(&self, events: &[Lifecycle]) -> Result<(), String>;
}

/// `PutEvents` on one bus, up to 10 entries a call (the API's limit).
pub struct EventBridge {
    pub client: aws_sdk_eventbridge::Client,
    pub bus: String,
    pub source: String,
}

#[async_trait]
impl Publish for EventBridge {
    async fn publish(&self, events: &[Lifecycle]) -> Result<(), String> {
        for chunk in events.chunks(10) {
            let entries = chunk.iter().map(|e| {
                aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
                    .event_bus_name(&self.bus)
                    .source(&self.source)
                    .detail_type(format!("OTP session {}", e.kind.as_str()))
                    .detail(e.detail.to_string())
                    .build()
            });
            let out = self
                .client
                .put_events()
                .set_entries(Some(entries.collect()))
                .send()
                .await
                .map_err(|e| aws_sdk_eventbridge::error::DisplayErrorContext(e).to_string())?;
            if out.failed_entry_count() > 0 {
                return Err(format!("{} entries refused", out.failed_entry_count()));
            }
        }
        Ok(())
    }
}

/// Handles one batch of stream records (the Lambda event, or moto's `GetRecords` records in
/// tests), in chunks of 10: publish the chunk's events, then give back its verified sends.
/// On a failure it stops and reports the first record not fully applied
/// (`ReportBatchItemFailures`): Lambda resumes there, so no send is given back twice (an
/// event may be published twice: EventBridge delivery is at least once anyway).
pub async fn handle(app: &App, publisher: &dyn Publish, event: &Value) -> Value {
    let records: &[Value] = event["Records"].as_array().map_or(&[], Vec::as_slice);
    for chunk in records.chunks(10) {
        let events: Vec<Lifecycle> = chunk.iter().filter_map(lifecycle).collect();
        if let Err(error) = publisher.publish(&events).await {
            tracing::warn!(%error, "lifecycle events not published; the batch resumes here");
            return failure(&chunk[0]);
        }
        for record in chunk {
            let Some(charged) = verified_charges(record) else {
                continue;
            };
            if let Err(error) = app.give_back(charged).await {
                tracing::warn!(%error, "give-back failed; the batch resumes from this record");
                return failure(record);
            }
        }
    }
    json!({ "batchItemFailures": [] })
}

fn failure(record: &Value) -> Value {
    let id = record["dynamodb"]["SequenceNumber"].clone();
    json!({ "batchItemFailures": [{ "itemIdentifier": id }] })
}

/// The counters charged by a session this record shows turning from pending to verified.
fn verified_charges(record: &Value) -> Option<&str> {
    let images = &record["dynamodb"];
    let state = |image: &str| images[image]["state"]["S"].as_str();
    if state("OldImage") != Some("pending") || state("NewImage") != Some("verified") {
        return None;
    }
    images["NewImage"]["extra"]["M"][CHARGED]["S"].as_str()
}

/// The lifecycle event a stream record stands for; `None` for counters and for changes that
/// are none of the kinds.
pub fn lifecycle(record: &Value) -> Option<Lifecycle> {
    let images = &record["dynamodb"];
    let old = session(&images["OldImage"]);
    let new = session(&images["NewImage"]);
    let (kind, s) = match (record["eventName"].as_str()?, old, new) {
        ("INSERT", _, Some(new)) => (Kind::Sent, new),
        ("REMOVE", Some(old), _) if old.state == State::Pending => (Kind::Expired, old),
        ("MODIFY", Some(old), Some(new)) => (change(&old, &new)?, new),
        _ => return None,
    };
    Some(Lifecycle {
        kind,
        detail: detail(&s, kind),
    })
}

fn change(old: &Session, new: &Session) -> Option<Kind> {
    let exhausted = |s: &Session| s.attempts >= s.policy.max_attempts;
    Some(match (old.state, new.state) {
        (State::Pending, State::Verified) => Kind::Verified,
        (State::Pending, State::Undeliverable) => Kind::Undeliverable,
        _ if new.sends > old.sends => Kind::Sent,
        _ if exhausted(new) && !exhausted(old) => Kind::Locked,
        _ if new.attempts > old.attempts => Kind::Failed,
        _ => return None,
    })
}

/// What a consumer may know: never the code, its hash or the session's binding.
fn detail(s: &Session, kind: Kind) -> Value {
    let (family, client, session_id) = match s.key.parts() {
        Some((f, c, i)) => (f.name(), c, i),
        None => ("unknown", String::new(), String::new()),
    };
    let country = match &s.destination {
        Destination::Phone(p) => p.country(),
        Destination::Email(_) => None,
    };
    json!({
        "event": kind.as_str(),
        "family": family,
        "client": client,
        "session_id": session_id,
        "channel": s.destination.channel().as_str(),
        "destination": s.destination.masked(),
        "country": country,
        "attempts": s.attempts,
        "max_attempts": s.policy.max_attempts,
        "sends": s.sends,
        "created_at": rfc3339(s.created_at),
        "last_sent_at": rfc3339(s.last_sent_at),
        "expires_at": rfc3339(s.expires_at),
        "verified_at": s.verified_at.map(rfc3339),
    })
}

/// A session from a stream image (DynamoDB JSON); `None` for counters and odd items.
fn session(image: &Value) -> Option<Session> {
    let item = item(image.as_object()?)?;
    let key = SessionKey::from_stored(item.get("pk")?.as_s().ok()?.clone());
    key.parts()?;
    from_item(&item).ok()
}

fn item(map: &serde_json::Map<String, Value>) -> Option<Item> {
    map.iter()
        .map(|(k, v)| Some((k.clone(), attribute(v)?)))
        .collect()
}

fn attribute(v: &Value) -> Option<AttributeValue> {
    let (kind, value) = v.as_object()?.iter().next()?;
    Some(match kind.as_str() {
        "S" => AttributeValue::S(value.as_str()?.to_string()),
        "N" => AttributeValue::N(value.as_str()?.to_string()),
        "BOOL" => AttributeValue::Bool(value.as_bool()?),
        "NULL" => AttributeValue::Null(true),
        "M" => AttributeValue::M(item(value.as_object()?)?),
        "L" => AttributeValue::L(
            value
                .as_array()?
                .iter()
                .map(attribute)
                .collect::<Option<_>>()?,
        ),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(old: &str, new: &str) -> Value {
        json!({ "eventName": "MODIFY", "dynamodb": {
            "SequenceNumber": "1",
            "OldImage": { "state": { "S": old } },
            "NewImage": { "state": { "S": new }, "extra": { "M": { CHARGED: { "S": "rl#p#+1202555#1" } } } },
        }})
    }

    #[test]
    fn only_the_turn_to_verified_gives_back() {
        assert_eq!(
            verified_charges(&record("pending", "verified")),
            Some("rl#p#+1202555#1")
        );
        assert_eq!(verified_charges(&record("verified", "verified")), None);
        assert_eq!(verified_charges(&record("pending", "pending")), None);
        assert_eq!(verified_charges(&json!({})), None);
    }

    #[test]
    fn counters_and_partial_images_are_no_lifecycle_event() {
        let counter = json!({ "eventName": "MODIFY", "dynamodb": {
            "OldImage": { "pk": { "S": "rl#g#sms#1" }, "sends": { "N": "1" } },
            "NewImage": { "pk": { "S": "rl#g#sms#1" }, "sends": { "N": "2" } },
        }});
        assert_eq!(lifecycle(&counter), None);
        assert_eq!(lifecycle(&record("pending", "verified")), None);
    }
}

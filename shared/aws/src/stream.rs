//! The sessions table's DynamoDB stream (function `session-events`): every session change
//! becomes a lifecycle event on Amazon EventBridge, and a session that turns verified gives
//! its first send back to the velocity counters — both off the request path.

use crate::record::SessionRecord;
use async_trait::async_trait;
use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use otp_core::domain::receipt::{usd, Outcome};
use otp_core::domain::{CounterKey, Destination, Session, SessionKey, State};
use otp_core::http::rfc3339;
use otp_core::App;
use serde::Deserialize;
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
    /// The provider reported the current message delivered (a delivery receipt).
    Delivered,
    /// The provider reported it never arrived: a carrier failure, an email's bounce.
    Undelivered,
    /// The recipient marked the email as spam.
    Complained,
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
            Kind::Delivered => "delivered",
            Kind::Undelivered => "undelivered",
            Kind::Complained => "complained",
        }
    }
}

/// Why lifecycle events were not published.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("EventBridge unavailable: {0}")]
    Unavailable(String),
    #[error("EventBridge refused {0} entries")]
    Refused(i32),
}

/// Why a `session-events` invocation failed (Lambda retries it).
#[derive(Debug, thiserror::Error)]
pub enum ConsumeError {
    #[error("not a {what}: {source}")]
    Malformed {
        what: &'static str,
        source: serde_json::Error,
    },
    #[error(transparent)]
    Publish(#[from] PublishError),
    #[error("store unavailable: {0}")]
    Store(String),
}

/// Where lifecycle events go (EventBridge in AWS).
#[async_trait]
pub trait Publish: Send + Sync {
    /// Publishes the events, in order; an error means none may be taken as published.
    async fn publish(&self, events: &[Lifecycle]) -> Result<(), PublishError>;
}

/// `PutEvents` on one bus, up to 10 entries a call (the API's limit).
pub struct EventBridge {
    pub client: aws_sdk_eventbridge::Client,
    pub bus: String,
    pub source: String,
}

#[async_trait]
impl Publish for EventBridge {
    async fn publish(&self, events: &[Lifecycle]) -> Result<(), PublishError> {
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
                .map_err(|e| {
                    let e = aws_sdk_eventbridge::error::DisplayErrorContext(e);
                    PublishError::Unavailable(e.to_string())
                })?;
            if out.failed_entry_count() > 0 {
                return Err(PublishError::Refused(out.failed_entry_count()));
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
pub async fn handle(app: &App, publisher: &dyn Publish, event: &Event) -> DynamoDbEventResponse {
    for chunk in event.records.chunks(10) {
        let changes: Vec<Change> = chunk.iter().map(Change::of).collect();
        let events: Vec<Lifecycle> = changes.iter().filter_map(Change::lifecycle).collect();
        if let Err(error) = publisher.publish(&events).await {
            tracing::warn!(%error, "lifecycle events not published; the batch resumes here");
            return failure(&chunk[0]);
        }
        for (record, change) in chunk.iter().zip(&changes) {
            let Some(charged) = change.verified_charges() else {
                continue;
            };
            if let Err(error) = app.give_back(charged).await {
                tracing::warn!(%error, "give-back failed; the batch resumes from this record");
                return failure(record);
            }
        }
    }
    DynamoDbEventResponse::default()
}

/// `handle` for a Lambda payload: the stream event in, the batch response out.
pub async fn handle_payload(
    app: &App,
    publisher: &dyn Publish,
    payload: &Value,
) -> Result<Value, ConsumeError> {
    let event = Event::deserialize(payload).map_err(|source| ConsumeError::Malformed {
        what: "DynamoDB stream batch",
        source,
    })?;
    let response = handle(app, publisher, &event).await;
    Ok(serde_json::to_value(response).expect("a batch response serialises"))
}

fn failure(record: &EventRecord) -> DynamoDbEventResponse {
    let mut failure = DynamoDbBatchItemFailure::default();
    failure.item_identifier = record.change.sequence_number.clone();
    let mut response = DynamoDbEventResponse::default();
    response.batch_item_failures.push(failure);
    response
}

/// One stream record: what it did to a session (`None` images for counters, idempotency
/// keys and images that are not sessions).
pub struct Change {
    name: String,
    old: Option<Session>,
    new: Option<Session>,
}

impl Change {
    pub fn of(record: &EventRecord) -> Change {
        Change {
            name: record.event_name.clone(),
            old: session(&record.change.old_image),
            new: session(&record.change.new_image),
        }
    }

    /// The counters charged by a session this record shows turning from pending to verified.
    fn verified_charges(&self) -> Option<&[CounterKey]> {
        match (&self.old, &self.new) {
            (Some(old), Some(new))
                if old.state == State::Pending
                    && new.state == State::Verified
                    && !new.attributes.charged.is_empty() =>
            {
                Some(&new.attributes.charged)
            }
            _ => None,
        }
    }

    /// The lifecycle event this record stands for; `None` for changes that are none of the
    /// kinds.
    pub fn lifecycle(&self) -> Option<Lifecycle> {
        let (kind, s) = match (self.name.as_str(), &self.old, &self.new) {
            ("INSERT", _, Some(new)) => (Kind::Sent, new),
            ("REMOVE", Some(old), _) if old.state == State::Pending => (Kind::Expired, old),
            ("MODIFY", Some(old), Some(new)) => (change(old, new)?, new),
            _ => return None,
        };
        Some(Lifecycle {
            kind,
            detail: detail(s, kind),
        })
    }
}

/// A session from a stream image; `None` for other items.
fn session(image: &serde_dynamo::Item) -> Option<Session> {
    if image.is_empty() {
        return None;
    }
    let record: SessionRecord = serde_dynamo::from_item(image.clone()).ok()?;
    SessionKey::from_stored(record.pk.clone()).parts()?;
    Session::try_from(record).ok()
}

fn change(old: &Session, new: &Session) -> Option<Kind> {
    let exhausted = |s: &Session| s.attempts >= s.policy.max_attempts;
    Some(match (old.state, new.state) {
        (State::Pending, State::Verified) => Kind::Verified,
        (State::Pending, State::Undeliverable) => Kind::Undeliverable,
        // A receipt for the current message (a resend's new message has none yet).
        _ if old.delivery.is_none() && new.sends == old.sends && new.delivery.is_some() => {
            match new.delivery.as_ref().map(|r| r.outcome) {
                Some(Outcome::Delivered) => Kind::Delivered,
                Some(Outcome::Failed) => Kind::Undelivered,
                _ => Kind::Complained,
            }
        }
        // A test recipient's closed session opened afresh (`SessionStore::reopen_test`).
        _ if new.sends > old.sends || new.created_at > old.created_at => Kind::Sent,
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
        "delivery": s.delivery.as_ref().map(|r| r.outcome.as_str()),
        "delivery_reason": s.delivery.as_ref().and_then(|r| r.reason.as_deref()),
        "delivery_at": s.delivery.as_ref().map(|r| rfc3339(r.at)),
        "price_usd": s.delivery.as_ref().and_then(|r| r.price_micro_usd).map(usd),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(state: State, charged: &[&str]) -> serde_dynamo::Item {
        let mut s = crate::record::tests::session(1_700_000_000, "123456");
        s.state = state;
        s.attributes.charged = charged
            .iter()
            .map(|c| CounterKey::from_stored(c).unwrap())
            .collect();
        serde_dynamo::Item::from(crate::record::to_item(&s))
    }

    fn record(name: &str, old: serde_dynamo::Item, new: serde_dynamo::Item) -> EventRecord {
        let mut record = EventRecord::default();
        record.event_name = name.into();
        record.change.old_image = old;
        record.change.new_image = new;
        record
    }

    #[test]
    fn only_the_turn_to_verified_gives_back() {
        let charged = ["rl#p#+1202555#1"];
        let turn = |old, new| {
            let r = record("MODIFY", image(old, &charged), image(new, &charged));
            let charged = Change::of(&r).verified_charges()?.to_vec();
            Some(
                charged
                    .iter()
                    .map(|c| c.as_str().to_string())
                    .collect::<Vec<_>>(),
            )
        };
        assert_eq!(
            turn(State::Pending, State::Verified),
            Some(vec![charged[0].to_string()])
        );
        assert_eq!(turn(State::Verified, State::Verified), None);
        assert_eq!(turn(State::Pending, State::Pending), None);
        assert_eq!(Change::of(&EventRecord::default()).verified_charges(), None);
    }

    #[test]
    fn counters_and_partial_images_are_no_lifecycle_event() {
        let counter = |sends: &str| {
            serde_json::from_value::<serde_dynamo::Item>(
                json!({ "pk": { "S": "rl#g#sms#1" }, "sends": { "N": sends } }),
            )
            .unwrap()
        };
        let r = record("MODIFY", counter("1"), counter("2"));
        assert_eq!(Change::of(&r).lifecycle(), None);
        let partial: serde_dynamo::Item =
            serde_json::from_value(json!({ "state": { "S": "verified" } })).unwrap();
        let r = record("MODIFY", image(State::Pending, &[]), partial);
        assert_eq!(Change::of(&r).lifecycle(), None);
        let r = record(
            "MODIFY",
            image(State::Pending, &[]),
            image(State::Verified, &[]),
        );
        assert_eq!(
            Change::of(&r).lifecycle().map(|l| l.kind),
            Some(Kind::Verified)
        );
    }

    #[test]
    fn a_reopened_test_session_is_a_send() {
        let old = image(State::Verified, &[]);
        let mut s = crate::record::tests::session(1_700_000_100, "123456");
        s.attributes.test = true;
        let new = serde_dynamo::Item::from(crate::record::to_item(&s));
        let r = record("MODIFY", old, new);
        assert_eq!(Change::of(&r).lifecycle().map(|l| l.kind), Some(Kind::Sent));
    }
}

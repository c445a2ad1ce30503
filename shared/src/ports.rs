//! The service's ports: narrow async traits, injected as `Arc<dyn …>`.

use crate::domain::sms::Measure;
use crate::domain::{Channel, CounterKey, Destination, Session, SessionKey, Timestamp, Transition};
use async_trait::async_trait;

/// The store failed or could not be reached. Opaque to API callers.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store unavailable: {0}")]
    Unavailable(String),
    #[error("stored item is malformed: {0}")]
    Corrupt(String),
}

/// Result of a conditional write.
#[derive(Debug)]
pub enum Applied {
    /// The condition held; the session as written.
    Yes(Session),
    /// The condition failed; the session as it stood (`None`: no such session).
    No(Option<Session>),
}

#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Writes a new session; `Ok(false)` if one with that key exists already.
    async fn create(&self, session: &Session) -> Result<bool, StoreError>;
    async fn get(&self, key: &SessionKey) -> Result<Option<Session>, StoreError>;
    /// Overwrites the session under `session.key` with `session` if the stored one is a test
    /// recipient's to the same destination; `Ok(false)` otherwise.
    async fn reopen_test(&self, session: &Session) -> Result<bool, StoreError>;
    /// Remembers that the provider's message `link.message_id` carried send `link.send` of
    /// session `link.session`, until `link.purge_at`, for its delivery receipt.
    async fn link_message(&self, link: &MessageLink) -> Result<(), StoreError>;
    /// The link of a provider's message id, while it is kept.
    async fn message_link(&self, message_id: &str) -> Result<Option<MessageLink>, StoreError>;
    /// Refuses sends to the email `address` (as `fold_email` matches it) until `until`: it hard-bounced or its
    /// owner complained (`reason`). A later suppression replaces an earlier one.
    async fn suppress(
        &self,
        address: &str,
        reason: &str,
        until: Timestamp,
    ) -> Result<(), StoreError>;
    /// Until when sends to `address` are refused, if a suppression of it is kept.
    async fn suppressed_until(&self, address: &str) -> Result<Option<Timestamp>, StoreError>;
    /// Applies `transition` atomically if its condition holds.
    async fn apply(&self, key: &SessionKey, transition: &Transition)
        -> Result<Applied, StoreError>;
}

/// Which send of which session a provider's message carried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageLink {
    pub message_id: String,
    pub session: SessionKey,
    pub send: u32,
    pub purge_at: Timestamp,
}

/// Send budgets, velocity counters and a destination's guesses across sessions: one item per
/// key and window, beside the sessions in the same table.
#[async_trait]
pub trait Counters: Send + Sync {
    /// Counts one send on `counter` if its conditions hold; `Ok(false)` when spent.
    async fn take(&self, counter: &Counter) -> Result<bool, StoreError>;
    /// Counts one wrong code on counter `key` while its wrong codes are below `limit`;
    /// `Ok(false)` when spent. The counter may be deleted after `purge_at`.
    async fn take_guess(
        &self,
        key: &CounterKey,
        limit: u32,
        purge_at: Timestamp,
    ) -> Result<bool, StoreError>;
    /// A counted send was verified: one send fewer and one verified more on counter `key`,
    /// if it still exists with a send to give back.
    async fn give_back(&self, key: &CounterKey) -> Result<(), StoreError>;
    /// A counted send was not delivered (refused later, or delivery failed): one send fewer
    /// on counter `key`, if it still has one.
    async fn refund(&self, key: &CounterKey) -> Result<(), StoreError>;
}

/// A counter of sends over one window, stored beside the sessions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counter {
    pub key: CounterKey,
    /// A send is counted while the counter's sends are below this…
    pub limit: u32,
    /// …or below the window's verified sends (a limit that grows with genuine traffic).
    pub relative: bool,
    /// …and while the counter's wrong codes are below this (a destination's counter).
    pub guess_limit: Option<u32>,
    /// The counter may be deleted after this.
    pub purge_at: Timestamp,
}

/// A contact of the contact-verification family.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Contact {
    pub contact_id: i32,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub pending_phone: Option<String>,
    pub pending_email: Option<String>,
    pub language: Option<String>,
}

#[async_trait]
pub trait ContactDirectory: Send + Sync {
    async fn get(&self, contact_id: i32) -> Result<Option<Contact>, StoreError>;
}

/// A message ready to deliver.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub to: Destination,
    pub subject: Option<String>,
    pub body: String,
    pub html: Option<String>,
    /// SMS sender id / originator, when the caller chose one.
    pub sender_id: Option<String>,
    /// What the service knows of it besides its content; `None` for a message that belongs
    /// to no session (one posted to the local outbox).
    pub about: Option<About>,
}

/// A message's session, as the service knows it when it sends: the AWS senders deliver
/// content only; the local outbox shows this in its inbox page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct About {
    /// Its family and client are in the key (`SessionKey::parts`).
    pub session: SessionKey,
    /// Where the delivered code stands in the body (bytes).
    pub code_at: Option<std::ops::Range<usize>>,
    /// A test recipient's message: delivered nowhere, shown only where a sender
    /// `keeps_test_messages`.
    pub test: bool,
    /// An SMS's encoding and segments, as it bills.
    pub sms: Option<Measure>,
    pub sent_at: Timestamp,
    /// When the code stops being accepted.
    pub expires_at: Timestamp,
}

impl Message {
    pub fn channel(&self) -> Channel {
        self.to.channel()
    }
}

/// `{channel, to, body, subject?, html?, sender_id?}`: the local outbox's JSON form.
impl serde::Serialize for Message {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("channel", self.channel().as_str())?;
        map.serialize_entry("to", self.to.as_str())?;
        if let Some(subject) = &self.subject {
            map.serialize_entry("subject", subject)?;
        }
        map.serialize_entry("body", &self.body)?;
        if let Some(html) = &self.html {
            map.serialize_entry("html", html)?;
        }
        if let Some(id) = &self.sender_id {
            map.serialize_entry("sender_id", id)?;
        }
        map.end()
    }
}

/// Delivery failed; the code must not be usable.
#[derive(Debug, thiserror::Error)]
#[error("delivery by {channel:?} failed: {reason}")]
pub struct DeliveryError {
    pub channel: Channel,
    pub reason: String,
}

/// What a sender knows of a message it handed on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sent {
    /// The provider's id of the message, qualified by provider (`sns:…`, `ses:…`,
    /// `webhook:…`): the name a later delivery receipt gives it.
    pub message_id: Option<String>,
}

#[async_trait]
pub trait Sender: Send + Sync {
    async fn send(&self, message: &Message) -> Result<Sent, DeliveryError>;

    /// Whether test recipients' messages (`About::test`) are handed to this sender too. Only
    /// a sender that delivers nowhere may say so (the local outbox, to show them).
    fn keeps_test_messages(&self) -> bool {
        false
    }
}

/// A ciphertext did not decrypt (tampered, truncated, another key). Says nothing more: which
/// step failed must not reach a caller (a padding oracle).
#[derive(Debug, thiserror::Error)]
#[error("ciphertext rejected")]
pub struct DecryptError;

/// Decrypts values the caller encrypted under the service's public key (RAO family).
pub trait Decryptor: Send + Sync {
    fn decrypt(&self, ciphertext: &[u8]) -> Result<Vec<u8>, DecryptError>;
}

/// Wall-clock time, injectable so expiry and cooldowns are tested without sleeping.
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// The system clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as Timestamp)
            .unwrap_or(0)
    }
}

/// The first answer to a request sent with an `Idempotency-Key`, kept to replay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replay {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// What claiming an idempotency key found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    /// The key is this request's now: run it.
    Won,
    /// The key belongs to a different request.
    Mismatch,
    /// The same request is still being served.
    InFlight,
    /// The same request was served: its answer.
    Done(Replay),
}

/// Idempotency keys, kept beside the sessions (with their TTL).
#[async_trait]
pub trait IdempotencyKeys: Send + Sync {
    /// Claims `key` for the request `fingerprint` with one conditional write: free, past
    /// `purge_at`, or abandoned in flight by the same request past its lease.
    async fn claim(
        &self,
        key: &str,
        fingerprint: &str,
        now: Timestamp,
        lease_until: Timestamp,
        purge_at: Timestamp,
    ) -> Result<Claim, StoreError>;
    /// Keeps the answer of the request that won `key`.
    async fn complete(&self, key: &str, replay: &Replay) -> Result<(), StoreError>;
    /// Frees `key` after a request that did not succeed, so a retry runs again.
    async fn release(&self, key: &str) -> Result<(), StoreError>;
}

//! The service's ports: narrow async traits, injected as `Arc<dyn …>`.

use crate::domain::{Channel, Session, Timestamp, Transition};
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
    async fn get(&self, key: &str) -> Result<Option<Session>, StoreError>;
    /// Applies `transition` atomically if its condition holds.
    async fn apply(&self, key: &str, transition: &Transition) -> Result<Applied, StoreError>;
    /// Takes one send from the counter `key` if it is below `limit`; `Ok(false)` when spent.
    /// The counter may be deleted after `purge_at`.
    async fn take_budget(
        &self,
        key: &str,
        limit: u32,
        purge_at: Timestamp,
    ) -> Result<bool, StoreError>;
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
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Message {
    pub channel: Channel,
    pub to: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    pub body: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    /// SMS sender id / originator, when the caller chose one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sender_id: Option<String>,
}

/// Delivery failed; the code must not be usable.
#[derive(Debug, thiserror::Error)]
#[error("delivery by {channel:?} failed: {reason}")]
pub struct DeliveryError {
    pub channel: Channel,
    pub reason: String,
}

#[async_trait]
pub trait Sender: Send + Sync {
    async fn send(&self, message: &Message) -> Result<(), DeliveryError>;
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

//! The application: configuration plus the ports, built once per cold start.

use crate::adapters::memory::{MemoryContacts, MemoryStore};
use crate::adapters::outbox::Outbox;
use crate::adapters::rsa_oaep::RsaOaep;
use crate::adapters::webhook::{Transport, WebhookSms};
use crate::config::{Config, ConfigError};
use crate::ports::{
    Clock, ContactDirectory, Counters, Decryptor, IdempotencyKeys, Sender, SessionStore,
    SystemClock,
};
use std::sync::Arc;

pub struct App {
    pub config: Config,
    pub sessions: Arc<dyn SessionStore>,
    /// Budgets, velocity counters and guesses (same table as the sessions).
    pub counters: Arc<dyn Counters>,
    /// Idempotency keys of the send endpoints (same table as the sessions).
    pub keys: Arc<dyn IdempotencyKeys>,
    /// The ports only some routes declare (`Ports`): `None` where the function's route does
    /// not, so a function never holds a stand-in that pretends to be a port.
    pub contacts: Option<Arc<dyn ContactDirectory>>,
    pub sender: Option<Arc<dyn Sender>>,
    /// The RAO family's private key.
    pub decryptor: Option<Arc<dyn Decryptor>>,
    pub clock: Arc<dyn Clock>,
    /// Whether a verification gives its send back to the velocity counters itself: where no
    /// stream of the store does it off the request path (the memory store).
    pub give_back_on_verify: bool,
}

/// The ports an endpoint uses beyond the sessions table: its function links, configures and
/// is granted (IAM) only those.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ports {
    pub contacts: bool,
    pub sms: bool,
    pub email: bool,
    /// The RAO private key (a secret fetched at start).
    pub decryptor: bool,
    /// The pepper (a secret fetched at start): every route that hashes a code, a subject or
    /// a destination. Those that only read sessions fetch no secret and are granted none.
    pub pepper: bool,
    /// The SMS webhook's signing secret without sending SMS: the receipts endpoint verifies
    /// relays' callbacks with it.
    pub webhook_key: bool,
}

impl Ports {
    /// Sessions table and the pepper: check, verify.
    pub const SESSIONS: Ports = Ports {
        contacts: false,
        sms: false,
        email: false,
        decryptor: false,
        pepper: true,
        webhook_key: false,
    };
    /// Sessions table, read only: report, certified phone, the stream consumer.
    pub const READER: Ports = Ports {
        pepper: false,
        ..Ports::SESSIONS
    };
    /// Sessions and the SMS webhook's secret: the relays' delivery receipts.
    pub const WEBHOOK_RECEIPTS: Ports = Ports {
        webhook_key: true,
        ..Ports::READER
    };
    /// Sessions and SMS.
    pub const SMS: Ports = Ports {
        sms: true,
        ..Ports::SESSIONS
    };
    /// Sessions, contacts, SMS and email.
    pub const CONTACTS_AND_DELIVERY: Ports = Ports {
        contacts: true,
        sms: true,
        email: true,
        ..Ports::SESSIONS
    };
    /// Sessions and the private key.
    pub const DECRYPTOR: Ports = Ports {
        decryptor: true,
        ..Ports::SESSIONS
    };
    /// Sessions, SMS and the private key.
    pub const SMS_AND_DECRYPTOR: Ports = Ports {
        decryptor: true,
        ..Ports::SMS
    };
}

impl App {
    /// Local wiring: memory store, the given contacts, an outbox, the development RAO key.
    pub fn in_memory(config: Config, contacts: MemoryContacts, outbox: Arc<Outbox>) -> App {
        let store = Arc::new(MemoryStore::default());
        App {
            config,
            sessions: store.clone(),
            counters: store.clone(),
            keys: store,
            contacts: Some(Arc::new(contacts)),
            sender: Some(outbox),
            decryptor: Some(Arc::new(RsaOaep::development())),
            clock: Arc::new(SystemClock),
            give_back_on_verify: true,
        }
    }
}

/// A port asked for by a function whose route does not declare it: a wiring fault (the
/// route-by-route tests rule it out), answered as an outage rather than as a refusal.
#[derive(Debug, thiserror::Error)]
#[error("{0} is not wired in this function: its route does not declare it")]
pub struct Unwired(pub &'static str);

impl App {
    pub fn contacts(&self) -> Result<&dyn ContactDirectory, Unwired> {
        self.contacts
            .as_deref()
            .ok_or(Unwired("the contact directory"))
    }

    pub fn sender(&self) -> Result<&dyn Sender, Unwired> {
        self.sender.as_deref().ok_or(Unwired("delivery"))
    }

    pub fn decryptor(&self) -> Result<&dyn Decryptor, Unwired> {
        self.decryptor
            .as_deref()
            .ok_or(Unwired("the RAO private key"))
    }
}

/// `other`, or, where `OTP_SMS_WEBHOOK_URL` is set, the signed webhook in front of it, posting
/// through the client `transport` makes (only then); a URL without its secret stops the start.
pub fn sms_sender(
    config: &Config,
    other: Arc<dyn Sender>,
    transport: impl FnOnce() -> Result<Arc<dyn Transport>, String>,
) -> Result<Arc<dyn Sender>, ConfigError> {
    if config.sms_webhook.is_empty() {
        return Ok(other);
    }
    let key =
        (config.sms_webhook_key.as_ref()).ok_or(ConfigError::Missing("OTP_SMS_WEBHOOK_SECRET"))?;
    let urls = config.sms_webhook.clone();
    let endpoints = Box::new(move |client: &str| urls.get(client).map(|u| u.uri().clone()));
    let transport = transport().map_err(|reason| ConfigError::Invalid {
        var: "OTP_SMS_WEBHOOK_URL",
        reason,
    })?;
    let key = key.bytes().to_vec();
    Ok(Arc::new(WebhookSms::new(
        endpoints,
        key,
        transport,
        Some(other),
    )))
}

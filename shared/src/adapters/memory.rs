//! In-memory store, contact directory and settable clock: for the local server and tests.

use crate::domain::{CounterKey, Session, SessionKey, Timestamp, Transition};
use crate::ports::{
    Applied, Claim, Clock, Contact, ContactDirectory, Counter, Counters, IdempotencyKeys,
    MessageLink, Replay, SessionStore, StoreError,
};
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Mutex, MutexGuard};

/// Sessions in a mutex-guarded map; each operation is atomic like a conditional write.
#[derive(Default)]
pub struct MemoryStore {
    sessions: Mutex<HashMap<String, Session>>,
    counters: Mutex<HashMap<String, Tally>>,
    keys: Mutex<HashMap<String, KeyEntry>>,
    links: Mutex<HashMap<String, MessageLink>>,
    suppressed: Mutex<HashMap<String, Timestamp>>,
}

/// One idempotency key: its request, its lease or answer, its purge time.
struct KeyEntry {
    fingerprint: String,
    lease_until: Timestamp,
    purge_at: Timestamp,
    replay: Option<Replay>,
}

/// One counter's values (the DynamoDB item's `sends`, `verified`, `guesses`).
#[derive(Default)]
struct Tally {
    sends: u32,
    verified: u32,
    guesses: u32,
}

impl MemoryStore {
    /// Number of stored sessions (tests assert "nothing written").
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every stored session (tests compare counters with sessions).
    pub fn sessions(&self) -> Vec<Session> {
        self.lock().values().cloned().collect()
    }

    /// Every counter as `(key, sends, verified, guesses)`, sorted by key (tests check what
    /// was charged).
    pub fn tallies(&self) -> Vec<(String, u32, u32, u32)> {
        let mut all: Vec<_> = self
            .counters()
            .iter()
            .map(|(k, t)| (k.clone(), t.sends, t.verified, t.guesses))
            .collect();
        all.sort();
        all
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Session>> {
        held(&self.sessions)
    }

    fn counters(&self) -> MutexGuard<'_, HashMap<String, Tally>> {
        held(&self.counters)
    }
}

/// A map's lock, also after a panic elsewhere held it: each write leaves it whole.
fn held<T>(map: &Mutex<T>) -> MutexGuard<'_, T> {
    map.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[async_trait]
impl IdempotencyKeys for MemoryStore {
    async fn claim(
        &self,
        key: &str,
        fingerprint: &str,
        now: Timestamp,
        lease_until: Timestamp,
        purge_at: Timestamp,
    ) -> Result<Claim, StoreError> {
        let mut keys = held(&self.keys);
        let found = match keys.get(key) {
            None => Claim::Won,
            Some(e) if e.purge_at <= now => Claim::Won,
            Some(e) if e.fingerprint != fingerprint => Claim::Mismatch,
            Some(e) => match &e.replay {
                Some(r) => Claim::Done(r.clone()),
                None if e.lease_until <= now => Claim::Won,
                None => Claim::InFlight,
            },
        };
        if found == Claim::Won {
            let entry = KeyEntry {
                fingerprint: fingerprint.to_string(),
                lease_until,
                purge_at,
                replay: None,
            };
            keys.insert(key.to_string(), entry);
        }
        Ok(found)
    }

    async fn complete(&self, key: &str, replay: &Replay) -> Result<(), StoreError> {
        let mut keys = held(&self.keys);
        if let Some(e) = keys.get_mut(key) {
            e.replay = Some(replay.clone());
        }
        Ok(())
    }

    async fn release(&self, key: &str) -> Result<(), StoreError> {
        let mut keys = held(&self.keys);
        if keys.get(key).is_some_and(|e| e.replay.is_none()) {
            keys.remove(key);
        }
        Ok(())
    }
}

#[async_trait]
impl SessionStore for MemoryStore {
    async fn create(&self, session: &Session) -> Result<bool, StoreError> {
        let mut map = self.lock();
        if map.contains_key(session.key.as_str()) {
            return Ok(false);
        }
        map.insert(session.key.as_str().to_string(), session.clone());
        Ok(true)
    }

    async fn get(&self, key: &SessionKey) -> Result<Option<Session>, StoreError> {
        Ok(self.lock().get(key.as_str()).cloned())
    }

    async fn link_message(&self, link: &MessageLink) -> Result<(), StoreError> {
        held(&self.links).insert(link.message_id.clone(), link.clone());
        Ok(())
    }

    async fn message_link(&self, message_id: &str) -> Result<Option<MessageLink>, StoreError> {
        Ok(held(&self.links).get(message_id).cloned())
    }

    async fn suppress(
        &self,
        address: &str,
        _reason: &str,
        until: Timestamp,
    ) -> Result<(), StoreError> {
        let mut map = held(&self.suppressed);
        map.insert(address.to_string(), until);
        Ok(())
    }

    async fn suppressed_until(&self, address: &str) -> Result<Option<Timestamp>, StoreError> {
        let map = held(&self.suppressed);
        Ok(map.get(address).copied())
    }

    async fn reopen_test(&self, session: &Session) -> Result<bool, StoreError> {
        let mut map = self.lock();
        match map.get_mut(session.key.as_str()) {
            Some(s) if s.attributes.test && s.destination == session.destination => {
                *s = session.clone();
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn apply(
        &self,
        key: &SessionKey,
        transition: &Transition,
    ) -> Result<Applied, StoreError> {
        let mut map = self.lock();
        match map.get_mut(key.as_str()) {
            Some(s) if transition.allows(s) => {
                transition.apply(s);
                Ok(Applied::Yes(s.clone()))
            }
            other => Ok(Applied::No(other.map(|s| s.clone()))),
        }
    }
}

#[async_trait]
impl Counters for MemoryStore {
    async fn take(&self, c: &Counter) -> Result<bool, StoreError> {
        let mut counters = self.counters();
        let t = counters.entry(c.key.as_str().to_string()).or_default();
        let below = t.sends < c.limit || (c.relative && t.sends < t.verified);
        if !below || c.guess_limit.is_some_and(|g| t.guesses >= g) {
            return Ok(false);
        }
        t.sends += 1;
        Ok(true)
    }

    async fn take_guess(
        &self,
        key: &CounterKey,
        limit: u32,
        _: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut counters = self.counters();
        let t = counters.entry(key.as_str().to_string()).or_default();
        if t.guesses >= limit {
            return Ok(false);
        }
        t.guesses += 1;
        Ok(true)
    }

    async fn give_back(&self, key: &CounterKey) -> Result<(), StoreError> {
        if let Some(t) = self
            .counters()
            .get_mut(key.as_str())
            .filter(|t| t.sends > 0)
        {
            t.sends -= 1;
            t.verified += 1;
        }
        Ok(())
    }

    async fn refund(&self, key: &CounterKey) -> Result<(), StoreError> {
        if let Some(t) = self
            .counters()
            .get_mut(key.as_str())
            .filter(|t| t.sends > 0)
        {
            t.sends -= 1;
        }
        Ok(())
    }
}

/// Contacts held in memory (the local server loads them from `--contacts FILE`).
#[derive(Default)]
pub struct MemoryContacts {
    contacts: HashMap<i32, Contact>,
}

impl MemoryContacts {
    pub fn new(contacts: impl IntoIterator<Item = Contact>) -> Self {
        MemoryContacts {
            contacts: contacts.into_iter().map(|c| (c.contact_id, c)).collect(),
        }
    }

    /// Parses a JSON array of contacts.
    pub fn from_json(json: &str) -> Result<Self, serde_json::Error> {
        Ok(Self::new(serde_json::from_str::<Vec<Contact>>(json)?))
    }
}

#[async_trait]
impl ContactDirectory for MemoryContacts {
    async fn get(&self, contact_id: i32) -> Result<Option<Contact>, StoreError> {
        Ok(self.contacts.get(&contact_id).cloned())
    }
}

/// A clock the test moves by hand.
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn new(start: Timestamp) -> Self {
        ManualClock(AtomicI64::new(start))
    }

    pub fn advance(&self, secs: i64) {
        self.0.fetch_add(secs, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        self.0.load(Ordering::SeqCst)
    }
}

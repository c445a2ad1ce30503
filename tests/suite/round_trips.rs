//! Store round trips per use case (each one a DynamoDB request in production), counted by a
//! decorator around the store: the cost table of `docs/performance.md`, checked.

use async_trait::async_trait;
use otp_core::domain::{CounterKey, Session, SessionKey, Transition};
use otp_core::ports::{Applied, Counter, Counters, MessageLink, SessionStore, StoreError};
use otp_tests::{Harness, Req};
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

#[derive(Default)]
struct Counted {
    inner: otp_core::adapters::memory::MemoryStore,
    reads: AtomicUsize,
    writes: AtomicUsize,
}

impl Counted {
    /// (reads, writes) since the last call.
    fn take(&self) -> (usize, usize) {
        (
            self.reads.swap(0, Ordering::SeqCst),
            self.writes.swap(0, Ordering::SeqCst),
        )
    }
}

#[async_trait]
impl SessionStore for Counted {
    async fn create(&self, session: &Session) -> Result<bool, StoreError> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.inner.create(session).await
    }
    async fn get(&self, key: &SessionKey) -> Result<Option<Session>, StoreError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.inner.get(key).await
    }
    async fn link_message(&self, link: &MessageLink) -> Result<(), StoreError> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.inner.link_message(link).await
    }
    async fn message_link(&self, id: &str) -> Result<Option<MessageLink>, StoreError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.inner.message_link(id).await
    }
    async fn suppress(&self, address: &str, reason: &str, until: i64) -> Result<(), StoreError> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.inner.suppress(address, reason, until).await
    }
    async fn suppressed_until(&self, address: &str) -> Result<Option<i64>, StoreError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.inner.suppressed_until(address).await
    }
    async fn reopen_test(&self, session: &Session) -> Result<bool, StoreError> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.inner.reopen_test(session).await
    }
    async fn apply(
        &self,
        key: &SessionKey,
        transition: &Transition,
    ) -> Result<Applied, StoreError> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.inner.apply(key, transition).await
    }
}

#[async_trait]
impl Counters for Counted {
    async fn take(&self, counter: &Counter) -> Result<bool, StoreError> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.inner.take(counter).await
    }
    async fn take_guess(
        &self,
        key: &CounterKey,
        limit: u32,
        purge_at: i64,
    ) -> Result<bool, StoreError> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.inner.take_guess(key, limit, purge_at).await
    }
    async fn give_back(&self, key: &CounterKey) -> Result<(), StoreError> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.inner.give_back(key).await
    }
    async fn refund(&self, key: &CounterKey) -> Result<(), StoreError> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.inner.refund(key).await
    }
}

#[tokio::test]
async fn each_use_case_costs_what_the_readme_says() {
    let mut h = Harness::new();
    let store = Arc::new(Counted::default());
    h.app.sessions = store.clone();
    h.app.counters = store.clone();
    // As in AWS, where the sessions table's stream gives verified sends back.
    h.app.give_back_on_verify = false;

    let sent = h
        .call(Req::post(
            "/verify/v1/otp/send-otp",
            json!({ "recipient": "+971501234567", "retry_delay": 0 }),
        ))
        .await;
    assert_eq!(
        store.take(),
        (0, 7),
        "SMS send: five counters (destination, client, prefix, country, deployment), one put, \
         and the message's link for its receipt"
    );
    let id = sent.json["otp_id"].as_str().unwrap().to_string();

    h.call(Req::post(
        "/verify/v1/otp/resend-otp",
        json!({ "otp_id": id }),
    ))
    .await;
    assert_eq!(
        store.take(),
        (1, 7),
        "resend: one read, five counters, one update, the message's link"
    );

    let code = h.last_code();
    let wrong = otp_tests::wrong_code(&code);
    h.call(Req::post(
        "/verify/v1/otp/verify-otp",
        json!({ "otp_id": id, "otp_code": wrong }),
    ))
    .await;
    assert_eq!(
        store.take(),
        (0, 3),
        "wrong code: failed verify, the destination's guesses and the attempt count"
    );
    h.call(Req::post(
        "/verify/v1/otp/verify-otp",
        json!({ "otp_id": id, "otp_code": code }),
    ))
    .await;
    assert_eq!(store.take(), (0, 1), "right code: one conditional update");
    h.call(Req::get(format!("/verify/v1/report/{id}"))).await;
    assert_eq!(store.take(), (1, 0), "report: one read");

    let sent = h
        .call(Req::post(
            "/contacts/1/verification-keys",
            json!({ "channel": "Sms" }),
        ))
        .await;
    assert_eq!(
        store.take(),
        (0, 7),
        "contact SMS send: five counters, put and link (plus one contacts read)"
    );
    let session = sent.json["generatedSessionId"]
        .as_str()
        .unwrap()
        .to_string();
    let code = h.last_code();
    h.call(Req::get(format!(
        "/contacts/1/verification-keys/{session}/{code}"
    )))
    .await;
    assert_eq!(store.take(), (1, 0), "check, right code: one read");
    h.call(Req::get(format!(
        "/contacts/1/verification-keys/{session}/0000000"
    )))
    .await;
    assert_eq!(
        store.take(),
        (1, 2),
        "check, wrong code: read, the destination's guesses and the attempt count"
    );
}

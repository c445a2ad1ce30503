//! `Idempotency-Key` on the send endpoints, over the memory adapters.

use async_trait::async_trait;
use otp_core::ports::{DeliveryError, Message, Sender, Sent};
use otp_tests::{fault, Harness, Reply, Req, OTHER_TOKEN};
use serde_json::json;
use std::sync::Arc;
use tokio::sync::Semaphore;

const SEND: &str = "/verify/v1/otp/send-otp";
const KEY: &str = "Idempotency-Key";

fn send(recipient: &str, key: &str) -> Req {
    Req::post(SEND, json!({ "recipient": recipient })).header(KEY, key)
}

fn answer(r: &Reply) -> (u16, String) {
    (r.status, r.json.to_string())
}

#[tokio::test]
async fn a_retry_with_the_same_key_replays_the_first_answer_and_sends_nothing() {
    let h = Harness::new();
    let first = h.call(send("+12025550123", "retry-1")).await;
    let again = h.call(send("+12025550123", "\"retry-1\"")).await;
    assert_eq!(first.status, 200);
    assert_eq!(answer(&first), answer(&again), "same otp_id, same status");
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert!(first.headers.get("idempotent-replayed").is_none());
    assert_eq!((h.outbox.messages().len(), h.store.len()), (1, 1));

    // Without a key, or with another one, a send is a send.
    h.call(Req::post(SEND, json!({ "recipient": "+12025550123" })))
        .await;
    h.call(send("+12025550123", "retry-2")).await;
    assert_eq!(h.store.len(), 3);
}

#[tokio::test]
async fn keys_are_per_client() {
    let h = Harness::new();
    let acme = h.call(send("+12025550123", "shared-key")).await;
    let beta = h
        .call(
            send("+12025550123", "shared-key")
                .header("authorization", &format!("Bearer {OTHER_TOKEN}")),
        )
        .await;
    assert_eq!(beta.status, 200, "{}", beta.json);
    assert_ne!(acme.json["otp_id"], beta.json["otp_id"]);
    assert_eq!(h.outbox.messages().len(), 2);
}

#[tokio::test]
async fn the_same_key_for_another_request_is_422_in_each_familys_form() {
    let h = Harness::new();
    h.call(send("+12025550123", "k1")).await;
    let other = h.call(send("+12025550124", "k1")).await;
    assert_eq!(other.status, 422, "{}", other.json);
    assert_eq!(other.json["detail"][0]["loc"], json!(["header", KEY]));

    let contacts = |channel: &str| {
        Req::post(
            "/contacts/1/verification-keys",
            json!({ "channel": channel }),
        )
        .header(KEY, "k2")
    };
    assert_eq!(h.call(contacts("Sms")).await.status, 200);
    let res = h.call(contacts("Email")).await;
    assert_eq!(
        (res.status, &res.json["subCode"]),
        (422, &json!("IdempotencyKeyReused"))
    );

    let generate = |prefix: &str| {
        let body =
            json!({ "customerId": "c1", "phoneNumber": "5512345678", "messagePrefix": prefix });
        Req::contract("/v1/x-global/security/tele-marketing/otp/generate", body).header(KEY, "k3")
    };
    assert_eq!(h.call(generate("Code")).await.status, 200);
    let res = h.call(generate("Other")).await;
    assert_eq!(fault(&res), (422, "idempotencyKeyReused", KEY));
    assert_eq!(
        h.outbox.messages().len(),
        3,
        "nothing sent for the refused ones"
    );
}

#[tokio::test]
async fn a_malformed_key_is_refused_naming_the_header() {
    let h = Harness::new();
    let res = h.call(send("+12025550123", &"k".repeat(256))).await;
    assert_eq!(res.status, 422);
    assert_eq!(res.json["detail"][0]["loc"], json!(["header", KEY]));
    assert!(h.outbox.messages().is_empty());
}

#[tokio::test]
async fn a_failed_send_frees_its_key_for_the_retry() {
    let h = Harness::new();
    let bad = Req::post(SEND, json!({ "recipient": "+12025550123", "expiry": 1 })).header(KEY, "k");
    assert_eq!(h.call(bad).await.status, 422);
    let res = h.call(send("+12025550123", "k")).await;
    assert_eq!(res.status, 200, "an error is not kept: {}", res.json);
}

/// Delivers only when a permit is given: a request held in flight.
struct Held(Semaphore, Arc<otp_core::adapters::outbox::Outbox>);

#[async_trait]
impl Sender for Held {
    async fn send(&self, message: &Message) -> Result<Sent, DeliveryError> {
        let _permit = self.0.acquire().await.expect("open");
        self.1.send(message).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplicate_while_the_first_is_in_flight_waits_then_gets_409() {
    let outbox = Arc::new(otp_core::adapters::outbox::Outbox::default());
    let held = Arc::new(Held(Semaphore::new(0), outbox.clone()));
    let h = Arc::new(Harness::with_sender(held.clone()));
    let first = tokio::spawn({
        let h = h.clone();
        async move { h.call(send("+12025550123", "slow")).await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let duplicate = h.call(send("+12025550123", "slow")).await;
    assert_eq!(duplicate.status, 409, "{}", duplicate.json);
    assert_eq!(
        duplicate.json["detail"]["code"],
        "IDEMPOTENCY_KEY_IN_FLIGHT"
    );
    held.0.add_permits(100);
    let first = first.await.unwrap();
    assert_eq!(first.status, 200);
    assert_eq!(
        answer(&h.call(send("+12025550123", "slow")).await),
        answer(&first)
    );
    assert_eq!(outbox.messages().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_identical_sends_make_one_sms_one_session_and_twenty_same_answers() {
    let h = Arc::new(Harness::new());
    let calls = (0..20).map(|_| {
        let h = h.clone();
        tokio::spawn(async move { h.call(send("+12025550123", "burst")).await })
    });
    let answers: Vec<_> = otp_tests::join_all(calls)
        .await
        .iter()
        .map(answer)
        .collect();
    assert!(
        answers.iter().all(|a| *a == answers[0] && a.0 == 200),
        "{answers:?}"
    );
    assert_eq!((h.outbox.messages().len(), h.store.len()), (1, 1));
}

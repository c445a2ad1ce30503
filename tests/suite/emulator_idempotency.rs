//! `Idempotency-Key` through the DynamoDB adapter against moto: the claim is one conditional
//! write, so concurrent duplicates cannot both send.

use otp_core::ports::Clock;
use otp_tests::emulator::Aws;
use otp_tests::{call, Req};
use serde_json::json;

fn send(key: &str, recipient: &str) -> Req {
    let body = json!({ "recipient": recipient, "content": "Your ACME code: {}" });
    Req::post("/verify/v1/otp/send-otp", body).header("Idempotency-Key", key)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_identical_sends_make_one_sms_one_session_and_twenty_same_answers() {
    let aws = Aws::new().await;
    let calls = (0..20).map(|_| {
        let (app, req) = (aws.app.clone(), send("burst-1", &aws.phone));
        tokio::spawn(async move { call(&app, req).await })
    });
    let answers: Vec<_> = otp_tests::join_all(calls)
        .await
        .into_iter()
        .map(|r| (r.status, r.json.to_string()))
        .collect();
    assert!(answers.iter().all(|a| *a == answers[0]), "{answers:?}");
    assert_eq!(answers[0].0, 200, "{}", answers[0].1);
    assert_eq!(aws.delivered_to(&aws.phone).await.len(), 1, "one SMS");
    let items = aws.scan().await;
    let sessions = items.iter().filter(|i| i.contains_key("code_hash")).count();
    assert_eq!(sessions, 1, "one session");
    let key = items
        .iter()
        .find(|i| i["pk"].as_s().is_ok_and(|pk| pk.starts_with("idem#")))
        .expect("the key is stored");
    let purge: i64 = key["purge_at"].as_n().unwrap().parse().unwrap();
    assert_eq!(purge - aws.clock.now(), 86_400, "kept 24 hours (TTL)");
}

#[tokio::test]
async fn another_request_with_the_key_is_422_and_sends_nothing() {
    let aws = Aws::new().await;
    assert_eq!(call(&aws.app, send("k", &aws.phone)).await.status, 200);
    let other = call(&aws.app, send("k", "+12025550199")).await;
    assert_eq!(other.status, 422, "{}", other.json);
    assert_eq!(aws.delivered_to(&aws.phone).await.len(), 1);
    assert!(aws.delivered_to("+12025550199").await.is_empty());
}

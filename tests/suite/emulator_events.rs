//! Lifecycle events: the sessions table's stream in moto, through `session-events`' handler,
//! onto an EventBridge bus in moto, delivered by a rule to an SQS queue and read back.

use otp_aws::stream::{handle_payload, SOURCE};
use otp_tests::emulator::Aws;
use otp_tests::{call, Req};
use serde_json::{json, Value};

async fn verify(aws: &Aws, id: &str, code: &str) -> Value {
    let body = json!({ "otp_id": id, "otp_code": code });
    call(&aws.app, Req::post("/verify/v1/otp/verify-otp", body))
        .await
        .json
}

#[tokio::test]
async fn every_session_change_reaches_eventbridge_without_the_code() {
    let aws = Aws::new().await;
    let (publisher, queue) = aws.bus_to_queue().await;
    let send = || {
        Req::post(
            "/verify/v1/otp/send-otp",
            json!({ "recipient": aws.phone, "retry_delay": 0 }),
        )
    };

    // One session verified after a wrong code; another resent, then locked by wrong codes.
    let a = call(&aws.app, send()).await.json["otp_id"]
        .as_str()
        .unwrap()
        .to_string();
    let code_a = aws.last_code(&aws.phone).await;
    verify(&aws, &a, &otp_tests::wrong_code(&code_a)).await;
    assert_eq!(verify(&aws, &a, &code_a).await["status"], "APPROVED");
    let b = call(&aws.app, send()).await.json["otp_id"]
        .as_str()
        .unwrap()
        .to_string();
    let resent = call(
        &aws.app,
        Req::post("/verify/v1/otp/resend-otp", json!({ "otp_id": b })),
    )
    .await;
    assert_eq!(resent.status, 200, "{}", resent.json);
    let code_b = aws.last_code(&aws.phone).await;
    for _ in 0..5 {
        verify(&aws, &b, &otp_tests::wrong_code(&code_b)).await;
    }

    let stream = aws.stream_event().await;
    let out = handle_payload(&aws.app, &publisher, &stream).await.unwrap();
    assert_eq!(out, json!({ "batchItemFailures": [] }));
    let events = aws.drain(&queue).await;
    let seen = |id: &str| -> Vec<String> {
        events
            .iter()
            .filter(|e| e["detail"]["session_id"] == id)
            .map(|e| e["detail-type"].as_str().unwrap().to_string())
            .collect()
    };
    let kinds = |list: &[&str]| -> Vec<String> {
        list.iter().map(|k| format!("OTP session {k}")).collect()
    };
    assert_eq!(seen(&a), kinds(&["sent", "failed", "verified"]));
    assert_eq!(
        seen(&b),
        kinds(&["sent", "sent", "failed", "failed", "failed", "failed", "locked"])
    );
    let verified = events
        .iter()
        .find(|e| e["detail-type"] == "OTP session verified")
        .unwrap();
    println!("lifecycle event: {verified}");
    assert_eq!(verified["source"], SOURCE);
    let d = &verified["detail"];
    assert_eq!(
        (
            d["family"].as_str(),
            d["client"].as_str(),
            d["channel"].as_str(),
            d["country"].as_str()
        ),
        (Some("verify-api"), Some("acme"), Some("sms"), Some("GB"))
    );
    assert_eq!(
        (d["attempts"].as_u64(), d["sends"].as_u64()),
        (Some(1), Some(1))
    );
    assert!(d["verified_at"].is_string() && d["destination"].as_str().unwrap().contains('*'));

    let all = serde_json::to_string(&events).unwrap();
    let stored_hash = aws
        .raw_item(&otp_core::dialects::verify_api::session_key("acme", &a))
        .await
        .unwrap()["code_hash"]
        .as_s()
        .unwrap()
        .clone();
    for secret in [
        code_a.as_str(),
        code_b.as_str(),
        &stored_hash,
        &aws.phone[1..],
    ] {
        assert!(!all.contains(secret), "an event holds `{secret}`");
    }
}

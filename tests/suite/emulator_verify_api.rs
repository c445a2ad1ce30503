//! The Verify API through the real DynamoDB and SNS adapters against moto.

use otp_tests::emulator::{dead_store_app, Aws};
use otp_tests::{call, Reply, Req};
use serde_json::{json, Value};

async fn send_otp(aws: &Aws, extra: Value) -> Reply {
    let mut body = json!({ "originator": "ACME", "recipient": aws.phone.trim_start_matches('+'), "content": "Your ACME code: {}" });
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().cloned().unwrap_or_default());
    let res = call(&aws.app, Req::post("/verify/v1/otp/send-otp", body)).await;
    assert_eq!(res.status, 200, "{:?}", res.json);
    res
}

/// Sends an OTP and returns its id.
async fn open(aws: &Aws, extra: Value) -> String {
    send_otp(aws, extra).await.json["otp_id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn verify(aws: &Aws, id: &str, code: &str) -> Reply {
    call(
        &aws.app,
        Req::post(
            "/verify/v1/otp/verify-otp",
            json!({ "otp_id": id, "otp_code": code }),
        ),
    )
    .await
}

async fn report(aws: &Aws, id: &str) -> Value {
    call(&aws.app, Req::get(format!("/verify/v1/report/{id}")))
        .await
        .json
}

#[tokio::test]
async fn send_reads_back_from_sns_verifies_and_reports() {
    let aws = Aws::new().await;
    let sent = send_otp(&aws, json!({ "expiry": "900" })).await;
    assert_eq!(
        (sent.json["status"].as_str(), sent.json["expiry"].as_u64()),
        (Some("OPEN"), Some(900))
    );
    let id = sent.json["otp_id"].as_str().unwrap().to_string();
    let sms = aws.delivered_to(&aws.phone).await;
    assert_eq!(sms.len(), 1);
    assert!(sms[0].starts_with("Your ACME code: "), "{}", sms[0]);
    let code = aws.last_code(&aws.phone).await;
    assert_eq!(code.len(), 6);
    let open = report(&aws, &id).await;
    assert_eq!(open["status"], "OPEN");
    assert_eq!(
        (&open["encoding"], &open["segments"], &open["test"]),
        (&json!("GSM-7"), &json!(1), &json!(false)),
        "measured before sending, read back from DynamoDB"
    );
    assert_eq!(
        verify(&aws, &id, &code).await.json,
        json!({ "status": "APPROVED" })
    );
    assert_eq!(
        verify(&aws, &id, &code).await.json,
        json!({ "status": "ALREADY_VERIFIED" })
    );
    let r = report(&aws, &id).await;
    assert_eq!(
        (r["status"].as_str(), r["originator"].as_str()),
        (Some("APPROVED"), Some("ACME"))
    );
    assert!(
        !r["recipient"].as_str().unwrap().contains(&aws.phone[5..]),
        "recipient is masked: {r}"
    );
}

#[tokio::test]
async fn resend_delivers_a_new_code_and_the_old_one_dies() {
    let aws = Aws::new().await;
    let id = open(&aws, json!({ "retry_delay": 10 })).await;
    let old = aws.last_code(&aws.phone).await;
    let early = call(
        &aws.app,
        Req::post("/verify/v1/otp/resend-otp", json!({ "otp_id": id })),
    )
    .await;
    assert_eq!(early.status, 400);
    assert_eq!(
        early.json["detail"]["message"],
        "Frequent resend request, resend request need minimum 10 seconds delay"
    );
    aws.clock.advance(10);
    let res = call(
        &aws.app,
        Req::post("/verify/v1/otp/resend-otp", json!({ "otp_id": id })),
    )
    .await;
    assert_eq!(
        (res.status, res.json["resend_count"].as_u64()),
        (200, Some(1)),
        "{:?}",
        res.json
    );
    let new = aws.last_code(&aws.phone).await;
    assert_eq!(aws.delivered_to(&aws.phone).await.len(), 2);
    if old != new {
        assert_eq!(
            verify(&aws, &id, &old).await.json["detail"]["code"],
            "INVALID_OTP_CODE"
        );
    }
    assert_eq!(verify(&aws, &id, &new).await.json["status"], "APPROVED");
}

#[tokio::test]
async fn expired_codes_fail_and_report_expired() {
    let aws = Aws::new().await;
    let id = open(&aws, json!({ "expiry": 60 })).await;
    let code = aws.last_code(&aws.phone).await;
    aws.clock.advance(60);
    let res = verify(&aws, &id, &code).await;
    assert_eq!(
        (res.status, res.json["detail"]["code"].as_str()),
        (400, Some("INVALID_OTP_CODE"))
    );
    assert_eq!(report(&aws, &id).await["status"], "EXPIRED");
    let resend = call(
        &aws.app,
        Req::post("/verify/v1/otp/resend-otp", json!({ "otp_id": id })),
    )
    .await;
    assert_eq!(
        resend.json["detail"]["message"],
        "Resend Failed. OTP time limit expired."
    );
}

#[tokio::test]
async fn exhausted_attempts_report_failed() {
    let aws = Aws::new().await;
    let id = open(&aws, json!({})).await;
    let code = aws.last_code(&aws.phone).await;
    let wrong = &otp_tests::wrong_code(&code);
    for _ in 0..5 {
        assert_eq!(verify(&aws, &id, wrong).await.status, 400);
    }
    assert_eq!(
        verify(&aws, &id, &code).await.status,
        400,
        "the right code is too late"
    );
    assert_eq!(report(&aws, &id).await["status"], "FAILED");
}

#[tokio::test]
async fn concurrent_right_verifications_approve_exactly_once() {
    let aws = Aws::new().await;
    let id = open(&aws, json!({})).await;
    let code = aws.last_code(&aws.phone).await;
    let handles: Vec<_> = (0..16)
        .map(|_| {
            let app = aws.app.clone();
            let body = json!({ "otp_id": id, "otp_code": code });
            tokio::spawn(async move {
                call(&app, Req::post("/verify/v1/otp/verify-otp", body))
                    .await
                    .json["status"]
                    .clone()
            })
        })
        .collect();
    let mut approved = 0;
    for h in handles {
        match h.await.unwrap().as_str() {
            Some("APPROVED") => approved += 1,
            Some("ALREADY_VERIFIED") => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(approved, 1);
}

#[tokio::test]
async fn store_outage_is_a_503_detail() {
    let app = dead_store_app().await;
    let res = call(
        &app,
        Req::post(
            "/verify/v1/otp/send-otp",
            json!({ "recipient": "+12025550100" }),
        ),
    )
    .await;
    assert_eq!(
        (res.status, res.json["detail"]["code"].as_str()),
        (503, Some("SERVICE_UNAVAILABLE"))
    );
}

#[tokio::test]
async fn sns_outage_is_a_502_and_reports_failed() {
    let aws = Aws::with_delivery_endpoint(Some("http://127.0.0.1:9")).await;
    let body = json!({ "recipient": aws.phone, "content": "Code {}" });
    let res = call(&aws.app, Req::post("/verify/v1/otp/send-otp", body)).await;
    assert_eq!(
        (res.status, res.json["detail"]["code"].as_str()),
        (502, Some("DELIVERY_FAILED"))
    );
    let item = aws
        .scan()
        .await
        .into_iter()
        .find(|item| item["pk"].as_s().is_ok_and(|pk| pk.starts_with("d7#")))
        .expect("session recorded");
    assert_eq!(item["state"].as_s().unwrap(), "undeliverable");
}

/// A test recipient's pinned session through DynamoDB: verified, then opened afresh by the
/// next send (a conditional `PutItem`), while a real recipient's session under a pinned
/// key is never replaced.
#[tokio::test]
async fn a_pinned_test_session_replays_and_never_replaces_a_real_one() {
    let pinned = "0b3f6c1e-9d2a-4f57-8e61-3c4d5a6b7c8d";
    let aws = Aws::with(|c| {
        c.test_recipients =
            otp_core::config::TestRecipients::parse(&format!("+12025550100=246810:{pinned}"))
                .unwrap();
    })
    .await;
    let send = || {
        call(
            &aws.app,
            Req::post(
                "/verify/v1/otp/send-otp",
                json!({ "recipient": "+12025550100" }),
            ),
        )
    };
    for round in 1..=2 {
        let res = send().await;
        assert_eq!(res.json["otp_id"], pinned, "round {round}: {}", res.json);
        let res = verify(&aws, pinned, "246810").await;
        assert_eq!(
            res.json["status"], "APPROVED",
            "round {round}: {}",
            res.json
        );
    }
    // The stored session becomes a real recipient's: the store refuses to replace it.
    let key = otp_core::dialects::verify_api::session_key("acme", pinned);
    let mut real = aws.app.sessions.get(&key).await.unwrap().unwrap();
    real.attributes.test = false;
    aws.app.sessions.reopen_test(&real).await.unwrap();
    let mut again = real.clone();
    again.attributes.test = true;
    assert!(!aws.app.sessions.reopen_test(&again).await.unwrap());
    let res = send().await;
    assert_ne!(res.status, 200, "{}", res.json);
}

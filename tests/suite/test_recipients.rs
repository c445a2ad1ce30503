//! `OTP_TEST_RECIPIENTS`: fixed codes, nothing delivered, no budget spent, every other rule kept.

use otp_core::config::TestRecipients;
use otp_tests::{capture_logs, Harness, Req};
use serde_json::json;

const SEND: &str = "/verify/v1/otp/send-otp";
const VERIFY: &str = "/verify/v1/otp/verify-otp";
const REVIEWER: &str = "+12025550100";

fn harness() -> Harness {
    let mut h = Harness::new();
    h.app.config.test_recipients = TestRecipients::parse(&format!(
        "{REVIEWER}=246810, ana@example.com=AB12CD, +525512345678=7777"
    ))
    .unwrap();
    h
}

/// Messages delivered to someone: the outbox also keeps test recipients' messages, marked,
/// for the local inbox (`Sender::keeps_test_messages`).
fn delivered(h: &Harness) -> usize {
    let messages = h.outbox.messages();
    messages
        .iter()
        .filter(|m| !m.about.as_ref().is_some_and(|a| a.test))
        .count()
}

async fn open(h: &Harness, body: serde_json::Value) -> String {
    let res = h.call(Req::post(SEND, body)).await;
    assert_eq!(res.status, 200, "{}", res.json);
    res.json["otp_id"].as_str().unwrap().to_string()
}

async fn verify(h: &Harness, id: &str, code: &str) -> serde_json::Value {
    let res = h
        .call(Req::post(VERIFY, json!({ "otp_id": id, "otp_code": code })))
        .await;
    json!([res.status, res.json["status"], res.json["detail"]["code"]])
}

#[tokio::test]
async fn a_test_number_gets_its_fixed_code_whatever_was_asked_and_nothing_is_sent() {
    let h = harness();
    let (logs, _guard) = capture_logs();
    let body = json!({ "recipient": REVIEWER, "otp_code_length": 8, "otp_type": "alpha" });
    let id = open(&h, body).await;
    assert_eq!(delivered(&h), 0, "nothing delivered");
    let log = logs.text();
    assert!(
        log.contains("test recipient: code not delivered") && log.contains("test=true"),
        "{log}"
    );

    let report = h.call(Req::get(format!("/verify/v1/report/{id}"))).await;
    assert_eq!(report.json["test"], true, "{}", report.json);
    assert_eq!(verify(&h, &id, "246810").await[1], "APPROVED");
    assert_eq!(
        verify(&h, &id, "246810").await,
        json!([200, "ALREADY_VERIFIED", null]),
        "single use, as for anyone"
    );

    // Anyone else is sent a drawn code and reported as no test.
    let other = open(&h, json!({ "recipient": "+12025550123" })).await;
    assert_eq!(delivered(&h), 1);
    let report = h.call(Req::get(format!("/verify/v1/report/{other}"))).await;
    assert_eq!(report.json["test"], false);
    assert_eq!(verify(&h, &other, "246810").await[0], 400);
}

/// A real sender (SNS, SES) is handed nothing: one that fails every delivery still lets a test
/// recipient's send succeed. The local outbox shows the message, marked, with its fixed code.
#[tokio::test]
async fn only_the_local_outbox_is_handed_a_test_recipients_message() {
    let mut h = Harness::with_sender(std::sync::Arc::new(otp_tests::Undeliverable));
    h.app.config.test_recipients = harness().app.config.test_recipients;
    open(&h, json!({ "recipient": REVIEWER })).await;
    let res = h
        .call(Req::post(SEND, json!({ "recipient": "+12025550123" })))
        .await;
    assert_eq!(
        res.status, 502,
        "a real recipient's send does reach the failing sender"
    );

    let h = harness();
    open(&h, json!({ "recipient": REVIEWER, "content": "Code {}" })).await;
    let shown = h.outbox.messages().pop().expect("kept for the local inbox");
    let about = shown.about.expect("a session's message");
    assert!(about.test);
    assert_eq!(&shown.body[about.code_at.expect("code located")], "246810");
}

#[tokio::test]
async fn attempts_and_expiry_hold_for_test_recipients() {
    let h = harness();
    let id = open(&h, json!({ "recipient": REVIEWER })).await;
    for _ in 0..5 {
        assert_eq!(verify(&h, &id, "000000").await[0], 400);
    }
    assert_eq!(verify(&h, &id, "246810").await[0], 400, "attempts spent");

    let id = open(&h, json!({ "recipient": REVIEWER, "expiry": 60 })).await;
    h.clock.advance(61);
    assert_eq!(verify(&h, &id, "246810").await[0], 400, "expired");
}

#[tokio::test]
async fn test_recipients_spend_no_budget_and_meet_no_fraud_rule() {
    let mut h = harness();
    h.app.config.fraud.countries.blocked = ["US".to_string()].into();
    // Twice the destination's budget (10 per window) and more than the prefix's (20).
    for _ in 0..25 {
        open(&h, json!({ "recipient": REVIEWER })).await;
    }
    assert_eq!(delivered(&h), 0);
    let res = h
        .call(Req::post(SEND, json!({ "recipient": "+12025550123" })))
        .await;
    assert_eq!(res.status, 403, "the rules still hold for real numbers");
}

#[tokio::test]
async fn other_families_use_the_fixed_code_too() {
    let h = harness();
    // Contact verification by email.
    let res = h
        .call(Req::post(
            "/contacts/1/verification-keys",
            json!({ "channel": "Email", "sessionId": "review" }),
        ))
        .await;
    assert_eq!(res.status, 200, "{}", res.json);
    let res = h
        .call(Req::get("/contacts/1/verification-keys/review/AB12CD"))
        .await;
    assert_eq!(res.json["keyStatus"], "Valid", "{}", res.json);

    // Telemarketing: the fixed code is split like a drawn one (3 back, the rest not sent).
    let body = json!({ "customerId": "c1", "phoneNumber": "5512345678", "messagePrefix": "Code" });
    let res = h
        .call(Req::contract(
            "/v1/x-global/security/tele-marketing/otp/generate",
            body,
        ))
        .await;
    assert_eq!(res.json["oneTimePasswordToken"], "777", "{}", res.json);
    let sid = res.headers["sid"].to_str().unwrap().to_string();
    let validate = json!({ "customerId": "c1", "oneTimePasswordToken": "7777" });
    let res = h
        .call(
            Req::contract(
                "/v1/x-global/security/tele-marketing/otp/validate",
                validate,
            )
            .header("sid", &sid),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.json);
    assert_eq!(delivered(&h), 0);
}

#[tokio::test]
async fn a_pinned_session_is_resent_while_open_and_opened_afresh_once_closed() {
    let mut h = harness();
    let pinned = "86b24910-2d1e-4257-b6d4-e6b829e50e84";
    h.app.config.test_recipients =
        TestRecipients::parse(&format!("{REVIEWER}=246810:{pinned}")).unwrap();
    assert_eq!(open(&h, json!({ "recipient": REVIEWER })).await, pinned);
    let again = h
        .call(Req::post(SEND, json!({ "recipient": REVIEWER })))
        .await;
    assert_eq!(
        again.json["detail"]["code"], "FREQUENT_RESEND_REQUEST",
        "an open session keeps the resend rules"
    );
    assert_eq!(verify(&h, pinned, "246810").await[1], "APPROVED");
    assert_eq!(open(&h, json!({ "recipient": REVIEWER })).await, pinned);
    assert_eq!(
        verify(&h, pinned, "246810").await[1],
        "APPROVED",
        "replayed"
    );
}

/// An attacker who knows a test recipient's code names someone's session id in a send to
/// that test recipient: the real session is not replaced, and the fixed code opens nothing.
#[tokio::test]
async fn a_send_to_a_test_recipient_cannot_take_over_a_real_session() {
    let h = harness();
    let send = |channel: &str| {
        Req::post(
            "/contacts/1/verification-keys",
            json!({ "channel": channel, "sessionId": "shared" }),
        )
    };
    assert_eq!(h.call(send("Sms")).await.status, 200);
    let code = h.last_code();
    let res = h
        .call(Req::post(
            format!("/contacts/1/verification-keys/shared/{code}/verify"),
            json!({}),
        ))
        .await;
    assert_eq!(res.json["keyStatus"], "Valid", "{}", res.json);

    let res = h.call(send("Email")).await;
    assert_ne!(res.status, 200, "{}", res.json);
    let res = h
        .call(Req::get("/contacts/1/verification-keys/shared/AB12CD"))
        .await;
    assert_ne!(res.json["keyStatus"], "Valid", "{}", res.json);
    let key = otp_core::dialects::contacts::session_key("acme", 1, "shared");
    let stored = h.app.sessions.get(&key).await.unwrap().unwrap();
    assert_eq!(stored.destination.as_str(), "+12025550101");
    assert!(!stored.attributes.test);
}

//! Delivery receipts (`App::record_receipt`): recorded on the session whose send the message
//! carried, shown by the report, stale after a resend, and no give-back for an SMS that never
//! arrived.

use otp_core::domain::receipt::Outcome;
use otp_core::domain::Receipt;
use otp_core::service::receipts::Recorded;
use otp_tests::{Harness, Req};
use serde_json::{json, Value};

const SEND: &str = "/verify/v1/otp/send-otp";

/// The outbox's id of its latest message (`Sent::message_id`).
fn last_message(h: &Harness) -> String {
    format!("outbox:0.{}", h.outbox.messages().len() - 1)
}

fn receipt(outcome: Outcome, reason: Option<&str>) -> Receipt {
    Receipt {
        outcome,
        reason: reason.map(str::to_string),
        at: 1_795_399_000,
        price_micro_usd: Some(6450),
        dwell_ms: Some(599),
    }
}

async fn open(h: &Harness, to: &str) -> (String, String) {
    let res = h.call(Req::post(SEND, json!({ "recipient": to }))).await;
    assert_eq!(res.status, 200, "{}", res.json);
    (
        res.json["otp_id"].as_str().unwrap().to_string(),
        last_message(h),
    )
}

async fn report(h: &Harness, id: &str) -> Value {
    h.call(Req::get(format!("/verify/v1/report/{id}")))
        .await
        .json
}

#[tokio::test]
async fn the_report_shows_what_the_carrier_said_of_the_current_sms() {
    let h = Harness::new();
    let (id, message) = open(&h, "+12025550100").await;
    let before = report(&h, &id).await;
    assert_eq!(
        (&before["delivery"], &before["price"]),
        (&Value::Null, &Value::Null)
    );

    let out = h
        .app
        .record_receipt(
            &message,
            receipt(
                Outcome::Delivered,
                Some("Message has been accepted by phone carrier"),
            ),
        )
        .await;
    assert!(matches!(out, Ok(Recorded::Current(_))), "{out:?}");
    let r = report(&h, &id).await;
    assert_eq!(
        (&r["delivery"], &r["delivered_at"], &r["price"]),
        (
            &json!("delivered"),
            &json!("2026-11-23T01:56:40Z"),
            &json!("0.00645")
        )
    );

    let (id, message) = open(&h, "+12025550101").await;
    let reason = "Phone is currently unreachable/unavailable";
    h.app
        .record_receipt(&message, receipt(Outcome::Failed, Some(reason)))
        .await
        .unwrap();
    let r = report(&h, &id).await;
    assert_eq!(
        (&r["delivery"], &r["delivered_at"], &r["delivery_reason"]),
        (&json!("failed"), &Value::Null, &json!(reason))
    );
}

#[tokio::test]
async fn a_receipt_of_an_older_send_or_of_no_known_message_changes_nothing() {
    let h = Harness::new();
    let (id, first) = open(&h, "+12025550100").await;
    h.clock.advance(60);
    let resent = h
        .call(Req::post(
            "/verify/v1/otp/resend-otp",
            json!({ "otp_id": id }),
        ))
        .await;
    assert_eq!(resent.status, 200, "{}", resent.json);
    let out = h
        .app
        .record_receipt(&first, receipt(Outcome::Failed, None))
        .await;
    assert!(matches!(out, Ok(Recorded::Stale(_))), "{out:?}");
    assert_eq!(
        report(&h, &id).await["delivery"],
        Value::Null,
        "the resent SMS has no receipt yet"
    );

    let current = last_message(&h);
    h.app
        .record_receipt(&current, receipt(Outcome::Delivered, None))
        .await
        .unwrap();
    assert_eq!(report(&h, &id).await["delivery"], "delivered");

    let out = h
        .app
        .record_receipt("sns:not-ours", receipt(Outcome::Failed, None))
        .await;
    assert!(matches!(out, Ok(Recorded::Unknown)), "{out:?}");
}

/// SMS pumping: a fraudster's premium numbers never confirm delivery. An SMS that never
/// arrived stays an unverified send for the prefix budget, like any other.
#[tokio::test]
async fn an_sms_that_never_arrived_gives_nothing_back_to_the_fraud_shield() {
    let mut h = Harness::new();
    h.app.config.fraud.prefix.limit = 2;
    for to in ["+12025550100", "+12025550101"] {
        let (_, message) = open(&h, to).await;
        let reason = Some("Invalid phone number");
        h.app
            .record_receipt(&message, receipt(Outcome::Failed, reason))
            .await
            .unwrap();
    }
    let res = h
        .call(Req::post(SEND, json!({ "recipient": "+12025550102" })))
        .await;
    assert_eq!(
        res.status, 429,
        "the prefix's budget stays spent: {}",
        res.json
    );
}

/// A hard bounce or a complaint suppresses the address (`App::suppress_email`): its sends are
/// refused in the contacts form with `Retry-After`, spend nothing, and resume when it ends.
#[tokio::test]
async fn a_suppressed_address_is_refused_spends_nothing_and_comes_back() {
    let mut h = Harness::new();
    h.app.config.destination_budget.limit = 1;
    let now = h.app.clock.now();
    let suppressed = h
        .app
        .suppress_email("Ana@Example.com", "bounce: Permanent/General", now)
        .await;
    assert!(suppressed.unwrap());
    let send = |channel: &str| {
        Req::post(
            "/contacts/1/verification-keys",
            json!({ "channel": channel }),
        )
    };
    for _ in 0..3 {
        let res = h.call(send("Email")).await;
        assert_eq!(res.status, 403, "{}", res.json);
        assert_eq!(res.json["subCode"], "DestinationSuppressed", "{}", res.json);
        assert_eq!(res.headers["retry-after"], (30 * 86_400).to_string());
    }
    assert!(h.outbox.messages().is_empty(), "nothing sent");
    assert_eq!(
        h.call(send("Sms")).await.status,
        200,
        "the contact's phone is not suppressed"
    );

    h.clock.advance(30 * 86_400);
    let res = h.call(send("Email")).await;
    assert_eq!(
        res.status, 200,
        "suppression over, the budget untouched: {}",
        res.json
    );
}

#[tokio::test]
async fn with_suppression_off_a_bounce_suppresses_nothing() {
    let mut h = Harness::new();
    h.app.config.email_suppression_secs = 0;
    let now = h.app.clock.now();
    assert!(!h
        .app
        .suppress_email("ana@example.com", "complaint: abuse", now)
        .await
        .unwrap());
    let res = h
        .call(Req::post(
            "/contacts/1/verification-keys",
            json!({ "channel": "Email" }),
        ))
        .await;
    assert_eq!(res.status, 200, "{}", res.json);
}

mod relay {
    //! `POST /webhooks/sms-receipts`: what a signed-webhook relay reports back.
    use super::*;
    use otp_core::config::WebhookKey;
    use otp_core::domain::webhook_signature::sign;

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const PATH: &str = "/webhooks/sms-receipts";

    fn harness() -> Harness {
        let mut h = Harness::new();
        h.app.config.sms_webhook_key = Some(WebhookKey::parse(SECRET).unwrap());
        h
    }

    /// A callback signed under `secret` at `at`.
    fn callback(secret: &str, at: i64, body: &Value) -> Req {
        let key = WebhookKey::parse(secret).unwrap();
        let text = body.to_string();
        let signature = sign(key.bytes(), "cb_1", at, &text);
        Req::post(PATH, json!({}))
            .raw_body(text)
            .without_auth()
            .header("webhook-id", "cb_1")
            .header("webhook-timestamp", &at.to_string())
            .header("webhook-signature", &signature)
    }

    /// A session whose SMS went through the relay as webhook message `msg_1`.
    async fn relayed(h: &Harness) -> String {
        let (id, _) = open(h, "+12025550100").await;
        let link = otp_core::ports::MessageLink {
            message_id: "webhook:msg_1".into(),
            session: otp_core::dialects::verify_api::session_key("acme", &id),
            send: 1,
            purge_at: i64::MAX,
        };
        h.app.sessions.link_message(&link).await.unwrap();
        id
    }

    #[tokio::test]
    async fn a_signed_receipt_is_recorded_on_the_session_its_sms_opened() {
        let h = harness();
        let id = relayed(&h).await;
        let now = h.app.clock.now();
        let body = json!({ "id": "msg_1", "status": "failed", "reason": "Unreachable", "price_usd": 0.0075 });
        let res = h.call(callback(SECRET, now, &body)).await;
        assert_eq!((res.status, &res.json), (200, &json!({})));
        let r = report(&h, &id).await;
        assert_eq!(
            (&r["delivery"], &r["delivery_reason"], &r["price"]),
            (&json!("failed"), &json!("Unreachable"), &json!("0.0075"))
        );
        let unknown = json!({ "id": "msg_nobody", "status": "delivered" });
        assert_eq!(
            h.call(callback(SECRET, now, &unknown)).await.status,
            200,
            "acknowledged"
        );
    }

    /// An attacker who knows a message id but not the secret, or replays an old callback,
    /// records nothing; the refusal says nothing about the body.
    #[tokio::test]
    async fn a_forged_stale_or_unsigned_receipt_is_refused_and_records_nothing() {
        let h = harness();
        let id = relayed(&h).await;
        let now = h.app.clock.now();
        let body = json!({ "id": "msg_1", "status": "delivered" });
        let forged = callback(
            "whsec_bm90IHRoZSBzZWNyZXQgb2YgdGhpcyBkZXBsb3ltZW50",
            now,
            &body,
        );
        let stale = callback(SECRET, now - 301, &body);
        let unsigned = Req::post(PATH, body.clone()).without_auth();
        let tampered = callback(SECRET, now, &body)
            .raw_body(json!({ "id": "msg_1", "status": "failed" }).to_string());
        for (what, req) in [
            ("forged", forged),
            ("stale", stale),
            ("unsigned", unsigned),
            ("tampered", tampered),
        ] {
            let res = h.call(req).await;
            assert_eq!(
                (res.status, &res.json["detail"]["code"]),
                (401, &json!("UNAUTHORIZED")),
                "{what}"
            );
        }
        assert_eq!(report(&h, &id).await["delivery"], Value::Null);

        let mut off = Harness::new();
        off.app.config.sms_webhook_key = None;
        assert_eq!(
            off.call(callback(SECRET, now, &body)).await.status,
            401,
            "no secret, no receipt"
        );
    }

    #[tokio::test]
    async fn a_signed_but_malformed_receipt_names_its_fields() {
        let h = harness();
        let now = h.app.clock.now();
        let body = json!({ "status": "arrived", "price_usd": -1 });
        let res = h.call(callback(SECRET, now, &body)).await;
        assert_eq!(res.status, 422, "{}", res.json);
        let text = res.json.to_string();
        for field in ["id", "status", "price_usd"] {
            assert!(text.contains(field), "{field}: {text}");
        }
    }
}

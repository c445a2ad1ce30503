//! Autofill-ready SMS (`OTP_SMS_AUTOFILL_DOMAIN`) and segment-aware messages.

use otp_core::config::Autofill;
use otp_tests::{Harness, Req};
use serde_json::json;

const SEND: &str = "/verify/v1/otp/send-otp";
const GENERATE: &str = "/v1/x-global/security/tele-marketing/otp/generate";

fn harness() -> Harness {
    let mut h = Harness::new();
    h.app.config.autofill = Autofill::parse_domains("example.com, local=tele.example.org").unwrap();
    h
}

fn last_sms(h: &Harness) -> String {
    h.outbox.messages().pop().expect("an SMS").body
}

async fn report(h: &Harness, body: serde_json::Value) -> serde_json::Value {
    let res = h.call(Req::post(SEND, body)).await;
    assert_eq!(res.status, 200, "{}", res.json);
    let id = res.json["otp_id"].as_str().unwrap();
    h.call(Req::get(format!("/verify/v1/report/{id}")))
        .await
        .json
}

#[tokio::test]
async fn every_composed_sms_ends_with_the_origin_bound_line() {
    let h = harness();
    let r = report(&h, json!({ "recipient": "+12025550123" })).await;
    let sms = last_sms(&h);
    let code = h.last_code();
    assert_eq!(
        sms,
        format!("Your verification code is {code}\n\n@example.com #{code}")
    );
    assert_eq!(
        (&r["encoding"], &r["segments"]),
        (&json!("GSM-7"), &json!(1))
    );

    // Contact verification: the SMS carries it, the email does not.
    let send = |channel| {
        Req::post(
            "/contacts/1/verification-keys",
            json!({ "channel": channel }),
        )
    };
    h.call(send("Sms")).await;
    assert!(last_sms(&h).ends_with(&format!("\n\n@example.com #{}", h.last_code())));
    h.call(send("Email")).await;
    assert!(!last_sms(&h).contains("@example.com #"));

    // Telemarketing, a client with its own domain: the line carries the delivered part.
    let body = json!({ "customerId": "c1", "phoneNumber": "5512345678", "messagePrefix": "Code" });
    let res = h
        .call(Req::contract(GENERATE, body).header("client_id", "local"))
        .await;
    assert_eq!(res.status, 200, "{}", res.json);
    let sms = last_sms(&h);
    let tail = sms
        .strip_prefix("Code ")
        .unwrap()
        .split('\n')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(sms, format!("Code {tail}\n\n@tele.example.org #{tail}"));
}

#[tokio::test]
async fn caller_text_gets_the_line_only_while_it_fits_the_familys_limit() {
    let h = harness();
    // Verify API: 640 characters at most; 620 with the code + 22 of line do not fit.
    let long = format!("{} {{}}", "a".repeat(613));
    report(&h, json!({ "recipient": "+12025550123", "content": long })).await;
    assert!(!last_sms(&h).contains('@'));
    let short = "Your ACME code: {}";
    report(&h, json!({ "recipient": "+12025550123", "content": short })).await;
    assert!(last_sms_has_line(&h));

    // Telemarketing: 140 at most; a 120-character prefix leaves no room for the line.
    let prefix = "P".repeat(120);
    let body = json!({ "customerId": "c1", "phoneNumber": "5512345678", "messagePrefix": prefix });
    let res = h.call(Req::contract(GENERATE, body)).await;
    assert_eq!(res.status, 200, "{}", res.json);
    assert!(!last_sms(&h).contains('@'));
}

fn last_sms_has_line(h: &Harness) -> bool {
    let sms = h.outbox.messages().pop().unwrap().body;
    sms.ends_with(&format!("\n\n@example.com #{}", otp_tests::code_in(&sms)))
}

#[tokio::test]
async fn encoding_and_segments_are_computed_before_sending_and_reported() {
    let h = Harness::new();
    let r = report(
        &h,
        json!({ "recipient": "+12025550123", "content": "Tu código es {}" }),
    )
    .await;
    assert_eq!(
        (&r["encoding"], &r["segments"]),
        (&json!("UCS-2"), &json!(1))
    );
    let long = format!("Tu código es {{}} {}", "x".repeat(60));
    let r = report(&h, json!({ "recipient": "+12025550123", "content": long })).await;
    assert_eq!(
        (&r["encoding"], &r["segments"]),
        (&json!("UCS-2"), &json!(2))
    );
    let r = report(
        &h,
        json!({ "recipient": "+12025550123", "content": "Code {}", "data_coding": "unicode" }),
    )
    .await;
    assert_eq!(r["encoding"], "UCS-2", "unicode asked for");
}

#[tokio::test]
async fn text_coding_with_characters_outside_gsm7_is_refused_naming_content() {
    let h = Harness::new();
    let body =
        json!({ "recipient": "+12025550123", "content": "Tu código es {}", "data_coding": "text" });
    let res = h.call(Req::post(SEND, body)).await;
    assert_eq!(res.status, 422, "{}", res.json);
    assert_eq!(res.json["detail"][0]["loc"], json!(["body", "content"]));
    assert!(h.outbox.messages().is_empty());
    let ok =
        json!({ "recipient": "+12025550123", "content": "Tu clave es {}", "data_coding": "text" });
    assert_eq!(h.call(Req::post(SEND, ok)).await.status, 200);
}

//! What the service logs never holds a code, a token, the pepper or a full destination.

use otp_tests::{Harness, Req, TOKEN};
use serde_json::json;
use std::sync::Arc;

#[tokio::test]
async fn logs_hold_no_secrets_and_only_masked_destinations() {
    let (captured, _guard) = otp_tests::capture_logs();

    let h = Harness::new();
    let sent = h
        .call(Req::post(
            "/contacts/1/verification-keys",
            json!({ "channel": "Sms" }),
        ))
        .await;
    let session = sent.json["generatedSessionId"]
        .as_str()
        .unwrap()
        .to_string();
    let code = h.last_code();
    let wrong = otp_tests::wrong_code(&code);
    let path = |k: &str| format!("/contacts/1/verification-keys/{session}/{k}");
    h.call(Req::get(path(&wrong))).await;
    h.call(Req::post(path(&code) + "/verify", json!({}))).await;
    h.call(Req::post(
        "/contacts/1/verification-keys",
        json!({ "channel": "Email" }),
    ))
    .await;
    let mail_code = h.last_code();
    h.call(Req::post(
        "/verify/v1/otp/send-otp",
        json!({ "recipient": "+971501234567" }),
    ))
    .await;
    let otp_code = h.last_code();
    let generated = h
        .call(Req::contract(
            "/v1/x-global/security/tele-marketing/otp/generate",
            json!({ "customerId": "c-77", "phoneNumber": "5512345678", "messagePrefix": "Code" }),
        ))
        .await;
    h.call(
        Req::contract(
            "/v1/x-global/security/rao/otp/generate",
            json!({ "phoneCountryCode": "+52", "encryptedPhoneNumber": otp_tests::encrypt("5512345678") }),
        )
        .header("sid", "log-audit"),
    )
    .await;
    let rao_code = h.last_code();
    let split_code = generated.json["oneTimePasswordToken"]
        .as_str()
        .unwrap()
        .to_string()
        + &h.last_code();
    h.call(
        Req::contract(
            "/v1/x-global/security/tele-marketing/otp/validate",
            json!({ "customerId": "c-77", "oneTimePasswordToken": split_code }),
        )
        .header("sid", generated.headers["sid"].to_str().unwrap()),
    )
    .await;
    let failing = Harness::with_sender(Arc::new(otp_tests::Undeliverable));
    failing
        .call(Req::post(
            "/verify/v1/otp/send-otp",
            json!({ "recipient": "+971509999999" }),
        ))
        .await;

    let logs = captured.text();
    assert!(
        logs.matches("correlation_id=").count() >= 8,
        "one line per request:\n{logs}"
    );
    assert!(
        logs.contains("+120******01") && logs.contains("a***@example.com"),
        "masked destinations:\n{logs}"
    );
    for secret in [
        code.as_str(),
        mail_code.as_str(),
        otp_code.as_str(),
        split_code.as_str(),
        rao_code.as_str(),
        &split_code[3..],
        wrong.as_str(),
        TOKEN,
        "test-pepper",
    ] {
        assert!(!logs.contains(secret), "`{secret}` in the logs:\n{logs}");
    }
    for destination in [
        "+12025550101",
        "ana@example.com",
        "+971501234567",
        "+971509999999",
        "+525512345678",
        "5512345678",
    ] {
        assert!(
            !logs.contains(destination),
            "`{destination}` in the logs:\n{logs}"
        );
    }
}

//! The telemarketing family through the real DynamoDB and SNS adapters against moto.

use otp_core::dialects::telemarketing::session_key;
use otp_tests::emulator::{dead_store_app, Aws};
use otp_tests::{call, Reply, Req};
use serde_json::json;

const GENERATE: &str = "/v1/x-global/security/tele-marketing/otp/generate";
const VALIDATE: &str = "/v1/x-global/security/tele-marketing/otp/validate";

/// Generates for the test's own phone; returns the `sid` and the 3 characters returned.
async fn generate(aws: &Aws) -> (String, String) {
    let body = json!({ "customerId": "cust-9", "phoneNumber": aws.phone, "messagePrefix": "Your code is" });
    let res = call(&aws.app, Req::contract(GENERATE, body)).await;
    assert_eq!(res.status, 200, "{}", res.json);
    let sid = res.headers["sid"].to_str().unwrap().to_string();
    let head = res.json["oneTimePasswordToken"]
        .as_str()
        .unwrap()
        .to_string();
    (sid, head)
}

async fn validate(aws: &Aws, sid: &str, token: &str) -> Reply {
    let body = json!({ "customerId": "cust-9", "oneTimePasswordToken": token });
    call(&aws.app, Req::contract(VALIDATE, body).header("sid", sid)).await
}

#[tokio::test]
async fn generate_reads_back_from_sns_and_validates_with_the_three_and_the_eight() {
    let aws = Aws::new().await;
    let (sid, head) = generate(&aws).await;
    let sms = aws.delivered_to(&aws.phone).await;
    assert_eq!(sms.len(), 1);
    let tail = aws.last_code(&aws.phone).await;
    assert_eq!((head.len(), tail.len()), (3, 8));
    assert_eq!(sms[0], format!("Your code is {tail}"));

    let item = aws
        .raw_item(&session_key("acme", &sid))
        .await
        .expect("session stored");
    let dump = format!("{item:?}");
    for secret in [format!("{head}{tail}"), tail.clone(), "cust-9".into()] {
        assert!(
            !dump.contains(&secret),
            "`{secret}` stored in clear: {dump}"
        );
    }
    assert_eq!(item["caller_part_len"].as_n().unwrap(), "3");

    assert_eq!(validate(&aws, &sid, &tail).await.status, 400);
    let ok = validate(&aws, &sid, &format!("{head}{tail}")).await;
    assert_eq!((ok.status, ok.json), (200, json!({})));
    let again = validate(&aws, &sid, &format!("{head}{tail}")).await;
    assert_eq!(again.json["code"], "OTP Token Invalid");
}

#[tokio::test]
async fn expired_codes_and_spent_attempts_are_refused() {
    let aws = Aws::new().await;
    let (sid, head) = generate(&aws).await;
    let code = format!("{head}{}", aws.last_code(&aws.phone).await);
    let wrong = otp_tests::wrong_code(&code);
    for _ in 0..5 {
        assert_eq!(
            validate(&aws, &sid, &wrong).await.json["code"],
            "OTP Token Invalid"
        );
    }
    assert_eq!(
        validate(&aws, &sid, &code).await.json["code"],
        "OTP Token Invalid",
        "no attempts left"
    );
    let item = aws.raw_item(&session_key("acme", &sid)).await.unwrap();
    assert_eq!(item["attempts"].as_n().unwrap(), "5");

    let (sid, head) = generate(&aws).await;
    let code = format!("{head}{}", aws.last_code(&aws.phone).await);
    aws.clock.advance(301);
    assert_eq!(
        validate(&aws, &sid, &code).await.json["code"],
        "OTP Token Expired"
    );
}

#[tokio::test]
async fn sixteen_concurrent_validations_approve_exactly_once() {
    let aws = Aws::new().await;
    let (sid, head) = generate(&aws).await;
    let code = format!("{head}{}", aws.last_code(&aws.phone).await);
    let tries = (0..16).map(|_| {
        let app = aws.app.clone();
        let body = json!({ "customerId": "cust-9", "oneTimePasswordToken": code });
        let req = Req::contract(VALIDATE, body).header("sid", &sid);
        tokio::spawn(async move { call(&app, req).await.status })
    });
    let statuses = otp_tests::join_all(tries).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
}

#[tokio::test]
async fn a_store_outage_is_500_backend_error() {
    let app = dead_store_app().await;
    let body = json!({ "customerId": "c", "phoneNumber": "5512345678", "messagePrefix": "Code" });
    let res = call(&app, Req::contract(GENERATE, body)).await;
    assert_eq!(
        (
            res.status,
            res.json["code"].as_str(),
            res.json["type"].as_str()
        ),
        (500, Some("backendError"), Some("error"))
    );
    let body = json!({ "customerId": "c", "oneTimePasswordToken": "12345678901" });
    let req = Req::contract(VALIDATE, body).header("sid", &uuid::Uuid::new_v4().to_string());
    assert_eq!(call(&app, req).await.status, 500);
}

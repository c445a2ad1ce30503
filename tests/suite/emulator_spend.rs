//! A refused request spends nothing, through DynamoDB and SNS (moto): in each family, one
//! delivered SMS and a burst of refused re-sends leave every counter at exactly one send.
//! (The model-based test over the memory store: `spend_model`.)

use otp_tests::emulator::Aws;
use otp_tests::{call, encrypt, Req};
use serde_json::json;

/// Every counter item's `sends`, by key without its window.
async fn sends(aws: &Aws) -> Vec<(String, u32)> {
    let mut out: Vec<(String, u32)> = aws
        .scan()
        .await
        .into_iter()
        .filter_map(|item| {
            let key = item.get("pk")?.as_s().ok()?.clone();
            let sends = item.get("sends")?.as_n().ok()?.parse().ok()?;
            key.starts_with("rl#").then(|| {
                let id = key[3..].rsplit_once('#').map_or(&key[3..], |(id, _)| id);
                (id.split('#').next().unwrap_or_default().to_string(), sends)
            })
        })
        .collect();
    out.sort();
    out
}

/// One SMS delivered; the destination, client, prefix, country and deployment counters each
/// hold exactly that one send.
async fn assert_charged_once(aws: &Aws, family: &str) {
    assert_eq!(
        aws.delivered_to(&aws.phone).await.len(),
        1,
        "{family}: one SMS"
    );
    let counters = sends(aws).await;
    let scopes: Vec<&str> = counters.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(scopes, ["c", "d", "g", "k", "p"], "{family}: {counters:?}");
    assert!(
        counters.iter().all(|(_, n)| *n == 1),
        "{family}: refused sends were charged: {counters:?}"
    );
}

#[tokio::test]
async fn contacts_refused_resends_spend_nothing() {
    let aws = Aws::new().await;
    let send = || {
        let body = json!({ "channel": "Sms", "sessionId": "burst" });
        call(&aws.app, Req::post("/contacts/1/verification-keys", body))
    };
    assert_eq!(send().await.status, 200);
    for _ in 0..5 {
        assert_eq!(send().await.status, 429, "cooldown");
    }
    assert_charged_once(&aws, "contacts").await;
}

#[tokio::test]
async fn verify_api_refused_resends_spend_nothing() {
    let aws = Aws::new().await;
    let body = json!({ "recipient": aws.phone });
    let sent = call(&aws.app, Req::post("/verify/v1/otp/send-otp", body)).await;
    let id = sent.json["otp_id"].as_str().unwrap().to_string();
    for _ in 0..5 {
        let body = json!({ "otp_id": id });
        let res = call(&aws.app, Req::post("/verify/v1/otp/resend-otp", body)).await;
        assert_eq!(res.status, 400, "cooldown: {}", res.json);
    }
    assert_charged_once(&aws, "verify-api").await;
}

#[tokio::test]
async fn telemarketing_refused_resends_spend_nothing() {
    let aws = Aws::new().await;
    let path = "/v1/x-global/security/tele-marketing/otp/generate";
    let body = |customer: &str| json!({ "customerId": customer, "phoneNumber": aws.phone, "messagePrefix": "Code" });
    let first = call(&aws.app, Req::contract(path, body("c-1"))).await;
    assert_eq!(first.status, 200, "{}", first.json);
    let sid = first.headers["sid"].to_str().unwrap().to_string();
    // Too soon for this customer; another customer's resend finds no session.
    for customer in ["c-1", "c-2", "c-1", "c-2"] {
        let res = call(
            &aws.app,
            Req::contract(path, body(customer)).header("sid", &sid),
        )
        .await;
        assert_ne!(res.status, 200, "{}", res.json);
    }
    assert_charged_once(&aws, "telemarketing").await;
}

#[tokio::test]
async fn rao_refused_resends_spend_nothing() {
    let aws = Aws::new().await;
    let national = aws.phone.strip_prefix("+44").unwrap().to_string();
    let generate = || {
        let body = json!({ "phoneCountryCode": "+44", "encryptedPhoneNumber": encrypt(&national) });
        let req = Req::contract("/v1/x-global/security/rao/otp/generate", body);
        call(&aws.app, req.header("sid", "burst"))
    };
    assert_eq!(generate().await.status, 200);
    for _ in 0..5 {
        assert_ne!(generate().await.status, 200, "cooldown");
    }
    assert_charged_once(&aws, "rao").await;
}

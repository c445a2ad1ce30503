//! Contact verification through the real DynamoDB, SNS and SES adapters against moto.

use otp_tests::emulator::{dead_store_app, Aws};
use otp_tests::{call, Req};
use serde_json::json;

const SEND: &str = "/contacts/1/verification-keys";

async fn send(aws: &Aws, body: serde_json::Value) -> otp_tests::Reply {
    call(&aws.app, Req::post(SEND, body)).await
}

/// `GET …/{session}/{code}`: checks without consuming.
async fn check(aws: &Aws, session: &str, code: &str) -> otp_tests::Reply {
    call(&aws.app, Req::get(key_path(session, code))).await
}

/// `POST …/{session}/{code}/verify`: verifies and consumes.
async fn verify(aws: &Aws, session: &str, code: &str) -> otp_tests::Reply {
    call(
        &aws.app,
        Req::post(key_path(session, code) + "/verify", json!({})),
    )
    .await
}

/// The store key of session `id` of contact 1, client `acme`.
fn key(id: &str) -> otp_core::domain::SessionKey {
    otp_core::dialects::contacts::session_key("acme", 1, id)
}

fn key_path(session: &str, code: &str) -> String {
    format!("/contacts/1/verification-keys/{session}/{code}")
}

#[tokio::test]
async fn sms_code_read_back_from_sns_checks_then_verifies_once() {
    let aws = Aws::new().await;
    let sent = send(&aws, json!({ "channel": "Sms" })).await;
    assert_eq!(sent.status, 200, "{:?}", sent.json);
    let session = sent.json["generatedSessionId"]
        .as_str()
        .expect("generated id")
        .to_string();
    let code = aws.last_code(&aws.phone).await;

    let checked = check(&aws, &session, &code).await;
    assert_eq!(
        checked.json,
        json!({ "keyStatus": "Valid", "attemptsLeft": 5 })
    );
    let checked_again = check(&aws, &session, &code).await;
    assert_eq!(
        checked_again.json["keyStatus"], "Valid",
        "checking does not consume"
    );

    let verified = verify(&aws, &session, &code).await;
    assert_eq!(
        verified.json,
        json!({ "keyStatus": "Valid", "attemptsLeft": 5 })
    );
    let again = verify(&aws, &session, &code).await;
    assert_eq!(again.json["keyStatus"], "AlreadyVerified");
}

#[tokio::test]
async fn email_code_read_back_from_ses_has_subject_and_html() {
    let aws = Aws::new().await;
    let sent = send(
        &aws,
        json!({ "channel": "Email", "sessionId": "s-email", "templateMetadataKey": "login" }),
    )
    .await;
    assert_eq!(
        (sent.status, &sent.json),
        (200, &json!({ "generatedSessionId": null }))
    );
    let mail = aws.delivered_to(&aws.email).await.pop().expect("an email");
    assert!(mail.starts_with("Your sign-in code |"), "{mail}");
    assert!(mail.contains("<strong>"), "{mail}");
    let code = otp_tests::code_in(&mail);
    let verified = verify(&aws, "s-email", &code).await;
    assert_eq!(verified.json["keyStatus"], "Valid");
}

#[tokio::test]
async fn codes_expire_even_though_ttl_has_not_deleted_the_item() {
    let aws = Aws::new().await;
    send(&aws, json!({ "channel": "Sms", "sessionId": "s-exp" })).await;
    let code = aws.last_code(&aws.phone).await;
    aws.clock.advance(300);
    let res = verify(&aws, "s-exp", &code).await;
    assert_eq!(res.json["keyStatus"], "Expired");
    assert!(
        aws.raw_item(&key("s-exp")).await.is_some(),
        "the record stays for late reads"
    );
}

#[tokio::test]
async fn wrong_codes_exhaust_the_attempts_and_then_even_the_right_code_fails() {
    let aws = Aws::new().await;
    send(&aws, json!({ "channel": "Sms", "sessionId": "s-att" })).await;
    let code = aws.last_code(&aws.phone).await;
    let wrong = &otp_tests::wrong_code(&code);
    for left in (0..5).rev() {
        let res = check(&aws, "s-att", wrong).await;
        assert_eq!(
            res.json,
            json!({ "keyStatus": "Invalid", "attemptsLeft": left })
        );
    }
    let res = verify(&aws, "s-att", &code).await;
    assert_eq!(res.json["keyStatus"], "AttemptsExceeded");
}

#[tokio::test]
async fn a_resend_on_the_same_session_kills_the_previous_code() {
    let aws = Aws::new().await;
    send(&aws, json!({ "channel": "Sms", "sessionId": "s-re" })).await;
    let old = aws.last_code(&aws.phone).await;
    let too_soon = send(&aws, json!({ "channel": "Sms", "sessionId": "s-re" })).await;
    assert_eq!(
        (too_soon.status, too_soon.json["subCode"].as_str()),
        (429, Some("ResendCooldown"))
    );
    aws.clock.advance(30);
    assert_eq!(
        send(&aws, json!({ "channel": "Sms", "sessionId": "s-re" }))
            .await
            .status,
        200
    );
    let new = aws.last_code(&aws.phone).await;
    assert_eq!(aws.delivered_to(&aws.phone).await.len(), 2);
    if old != new {
        let res = check(&aws, "s-re", &old).await;
        assert_eq!(res.json["keyStatus"], "Invalid");
    }
    let res = verify(&aws, "s-re", &new).await;
    assert_eq!(res.json["keyStatus"], "Valid");
}

#[tokio::test]
async fn thirty_two_concurrent_wrong_guesses_record_at_most_the_maximum() {
    let aws = Aws::new().await;
    send(&aws, json!({ "channel": "Sms", "sessionId": "s-race" })).await;
    let code = aws.last_code(&aws.phone).await;
    let wrong = &otp_tests::wrong_code(&code);
    let guesses = (0..32).map(|i| {
        let app = aws.app.clone();
        let path = key_path("s-race", wrong) + if i % 2 == 0 { "/verify" } else { "" };
        tokio::spawn(async move {
            let req = if path.ends_with("/verify") {
                Req::post(path, json!({}))
            } else {
                Req::get(path)
            };
            call(&app, req).await.json["keyStatus"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
    });
    let outcomes: Vec<String> = otp_tests::join_all(guesses).await;
    let invalid = outcomes.iter().filter(|s| *s == "Invalid").count();
    assert_eq!(
        invalid, 5,
        "exactly the maximum of attempts is used: {outcomes:?}"
    );
    assert!(
        outcomes
            .iter()
            .all(|s| s == "Invalid" || s == "AttemptsExceeded"),
        "{outcomes:?}"
    );
    let item = aws.raw_item(&key("s-race")).await.unwrap();
    assert_eq!(item["attempts"].as_n().unwrap(), "5");
}

#[tokio::test]
async fn sixteen_concurrent_right_verifications_approve_exactly_once() {
    let aws = Aws::new().await;
    send(&aws, json!({ "channel": "Sms", "sessionId": "s-once" })).await;
    let code = aws.last_code(&aws.phone).await;
    let tries = (0..16).map(|_| {
        let app = aws.app.clone();
        let path = key_path("s-once", &code) + "/verify";
        tokio::spawn(async move {
            call(&app, Req::post(path, json!({}))).await.json["keyStatus"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
    });
    let outcomes = otp_tests::join_all(tries).await;
    assert_eq!(
        outcomes.iter().filter(|s| *s == "Valid").count(),
        1,
        "{outcomes:?}"
    );
    assert!(
        outcomes
            .iter()
            .all(|s| s == "Valid" || s == "AlreadyVerified"),
        "{outcomes:?}"
    );
}

#[tokio::test]
async fn the_stored_item_never_contains_the_code() {
    let aws = Aws::new().await;
    send(&aws, json!({ "channel": "Sms", "sessionId": "s-clear" })).await;
    let code = aws.last_code(&aws.phone).await;
    let dump = format!("{:?}", aws.scan().await);
    assert!(dump.contains("s-clear"));
    assert!(!dump.contains(&code), "code {code} found in {dump}");
}

#[tokio::test]
async fn a_store_outage_answers_503_in_the_family_form() {
    let app = dead_store_app().await;
    let res = call(&app, Req::post(SEND, json!({ "channel": "Sms" }))).await;
    assert_eq!(res.status, 503);
    assert_eq!(res.json["code"], "ServiceUnavailable");
    assert_eq!(res.json["correlationId"].as_str().map(str::len), Some(32));
    let res = call(&app, Req::get(key_path("abc", "123456"))).await;
    assert_eq!(
        (res.status, res.json["code"].as_str()),
        (503, Some("ServiceUnavailable"))
    );
    assert!(
        !res.json.to_string().contains("127.0.0.1"),
        "no internals leak: {}",
        res.json
    );
}

#[tokio::test]
async fn a_delivery_outage_answers_502_and_the_code_can_never_verify() {
    let aws = Aws::with_delivery_endpoint(Some("http://127.0.0.1:9")).await;
    let res = send(&aws, json!({ "channel": "Sms", "sessionId": "s-down" })).await;
    assert_eq!(
        (res.status, res.json["subCode"].as_str()),
        (502, Some("DeliveryFailed"))
    );
    let item = aws
        .raw_item(&key("s-down"))
        .await
        .expect("session recorded");
    assert_eq!(item["state"].as_s().unwrap(), "undeliverable");
}

#[tokio::test]
async fn send_budgets_are_counted_atomically_in_dynamodb_without_the_destination_in_clear() {
    let mut aws = Aws::new().await;
    std::sync::Arc::get_mut(&mut aws.app)
        .unwrap()
        .config
        .destination_budget
        .limit = 3;
    let sends = (0..8).map(|i| {
        let app = aws.app.clone();
        tokio::spawn(async move {
            call(
                &app,
                Req::post(
                    SEND,
                    json!({ "channel": "Sms", "sessionId": format!("b{i}") }),
                ),
            )
            .await
            .status
        })
    });
    let statuses = otp_tests::join_all(sends).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        3,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        5,
        "{statuses:?}"
    );
    assert_eq!(aws.delivered_to(&aws.phone).await.len(), 3);
    let dump = format!("{:?}", aws.scan().await);
    assert!(dump.contains("rl#d#"), "a budget counter is stored");
    assert!(
        !dump.contains(&format!("rl#d#{}", aws.phone)) && !dump.contains("rl#d#+"),
        "{dump}"
    );
}

/// The number of session `id`, as the store reads it back.
async fn stored_phone(aws: &Aws, id: &str) -> otp_core::domain::E164 {
    match aws
        .app
        .sessions
        .get(&key(id))
        .await
        .unwrap()
        .unwrap()
        .destination
    {
        otp_core::domain::Destination::Phone(phone) => phone,
        other => panic!("a phone session, not {other:?}"),
    }
}

/// A number's calling code and country are stored with it, so that reading the session back
/// (verify, check, report, the stream's events and metrics) parses nothing; sessions stored
/// before that still verify, without a country.
#[tokio::test]
async fn numbers_are_stored_with_their_calling_code_and_country() {
    let aws = Aws::new().await;
    send(&aws, json!({ "channel": "Sms", "sessionId": "s-origin" })).await;
    let item = aws.raw_item(&key("s-origin")).await.expect("stored");
    assert_eq!(item["calling_code"].as_s().unwrap(), "+44");
    assert_eq!(item["country"].as_s().unwrap(), "GB");
    let phone = stored_phone(&aws, "s-origin").await;
    assert_eq!(phone.country().as_deref(), Some("GB"));
    assert_eq!(phone.calling_code().as_deref(), Some("+44"));

    // An item written before origins were stored.
    aws.dynamo
        .update_item()
        .table_name(&aws.sessions_table)
        .key(
            "pk",
            aws_sdk_dynamodb::types::AttributeValue::S(key("s-origin").as_str().into()),
        )
        .update_expression("REMOVE calling_code, country")
        .send()
        .await
        .expect("remove the origin");
    let phone = stored_phone(&aws, "s-origin").await;
    assert_eq!(phone.country(), None, "no parse to find it");
    assert_eq!(
        phone.calling_code().as_deref(),
        Some("+44"),
        "parsed when asked"
    );
    let code = aws.last_code(&aws.phone).await;
    assert_eq!(
        verify(&aws, "s-origin", &code).await.json["keyStatus"],
        "Valid"
    );
}

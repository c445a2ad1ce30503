//! SMS delivery receipts through moto: SNS's `Publish` message id, linked in DynamoDB, named
//! by delivery status log lines (the documented shapes) in a log subscription's batch, recorded
//! on the session, shown by the report, and turned into `delivered` / `undelivered` lifecycle
//! events by the table's stream.

use otp_aws::stream::handle_payload;
use otp_tests::emulator::Aws;
use otp_tests::{call, subscription_payload, Req};
use serde_json::{json, Value};

/// A delivery status log line as SNS documents it, for message `id`.
pub fn status_line(id: &str, success: bool, response: &str) -> String {
    json!({
        "notification": { "messageId": id, "timestamp": "2026-11-23 01:56:39.558" },
        "delivery": {
            "phoneCarrier": "My Phone Carrier", "mnc": 270, "destination": "+1XXX5550100",
            "priceInUSD": 0.00645, "smsType": "Transactional", "mcc": 310,
            "providerResponse": response, "dwellTimeMs": 599, "dwellTimeMsUntilDeviceAck": 1344
        },
        "status": if success { "SUCCESS" } else { "FAILURE" }
    })
    .to_string()
}

/// The provider's message id the service linked to session `key` (its `dr#<provider>:` item).
async fn linked(aws: &Aws, key: &otp_core::domain::SessionKey, provider: &str) -> String {
    let out = aws
        .dynamo
        .scan()
        .table_name(&aws.sessions_table)
        .filter_expression("#s = :s")
        .expression_attribute_names("#s", "session")
        .expression_attribute_values(
            ":s",
            aws_sdk_dynamodb::types::AttributeValue::S(key.as_str().into()),
        )
        .send()
        .await
        .unwrap();
    let items = out.items();
    assert_eq!(items.len(), 1, "one message linked: {items:?}");
    let pk = items[0]["pk"].as_s().unwrap();
    let id = pk.strip_prefix(&format!("dr#{provider}:"));
    id.expect("that provider's message").to_string()
}

/// The SNS message id the service linked to Verify API session `otp_id`.
async fn message_id(aws: &Aws, otp_id: &str) -> String {
    let key = otp_core::dialects::verify_api::session_key("acme", otp_id);
    linked(aws, &key, "sns").await
}

#[tokio::test]
async fn sns_delivery_logs_reach_the_session_its_report_and_lifecycle_events() {
    let aws = Aws::new().await;
    let (publisher, queue) = aws.bus_to_queue().await;
    let mut ids = Vec::new();
    for _ in 0..2 {
        let sent = call(
            &aws.app,
            Req::post("/verify/v1/otp/send-otp", json!({ "recipient": aws.phone })),
        )
        .await;
        assert_eq!(sent.status, 200, "{}", sent.json);
        ids.push(sent.json["otp_id"].as_str().unwrap().to_string());
    }
    let (delivered, unreachable) = (&ids[0], &ids[1]);
    let group = "sns/us-east-1/123456789012/DirectPublishToPhoneNumber";
    let batches = [
        (
            group.to_string(),
            status_line(
                &message_id(&aws, delivered).await,
                true,
                "Message has been accepted by phone carrier",
            ),
        ),
        (
            format!("{group}/Failure"),
            status_line(
                &message_id(&aws, unreachable).await,
                false,
                "Phone is currently unreachable/unavailable",
            ),
        ),
    ];
    for (group, line) in batches {
        let logs = otp_aws::blocked::subscription(&subscription_payload(&group, &[line])).unwrap();
        assert!(otp_aws::receipts::is_sms_delivery_log(&logs));
        otp_aws::receipts::handle(&aws.app, &logs).await.unwrap();
    }

    let report = |id: &str| call(&aws.app, Req::get(format!("/verify/v1/report/{id}")));
    let r = report(delivered).await.json;
    assert_eq!(
        (&r["delivery"], &r["delivered_at"], &r["price"]),
        (
            &json!("delivered"),
            &json!("2026-11-23T01:56:40Z"),
            &json!("0.00645")
        ),
        "{r}"
    );
    let r = report(unreachable).await.json;
    assert_eq!(
        (&r["delivery"], &r["delivery_reason"]),
        (
            &json!("failed"),
            &json!("Phone is currently unreachable/unavailable")
        ),
        "{r}"
    );

    let stream = aws.stream_event().await;
    handle_payload(&aws.app, &publisher, &stream).await.unwrap();
    let events = aws.drain(&queue).await;
    let kinds = |id: &str| -> Vec<Value> {
        events
            .iter()
            .filter(|e| e["detail"]["session_id"] == id)
            .map(|e| e["detail-type"].clone())
            .collect()
    };
    assert_eq!(
        kinds(delivered),
        [json!("OTP session sent"), json!("OTP session delivered")]
    );
    assert_eq!(
        kinds(unreachable),
        [json!("OTP session sent"), json!("OTP session undelivered")]
    );
    let undelivered = events
        .iter()
        .find(|e| e["detail-type"] == "OTP session undelivered")
        .unwrap();
    println!("lifecycle event: {undelivered}");
    assert_eq!(
        undelivered["detail"]["delivery_reason"],
        "Phone is currently unreachable/unavailable"
    );
    assert_eq!(undelivered["detail"]["price_usd"], "0.00645");
}

/// The SES message id the service linked to contact 1's session `session`.
async fn ses_message_id(aws: &Aws, session: &str) -> String {
    let key = otp_core::dialects::contacts::session_key("acme", 1, session);
    linked(aws, &key, "ses").await
}

/// An SES bounce as EventBridge delivers it (the documented record in its envelope).
fn bounce_event(message_id: &str, to: &str, kind: &str) -> Value {
    json!({
        "version": "0", "id": "b2c4f0a1-7d3e-4c55-9a61-0f8e2d7c6b5a", "detail-type": "Email Bounced",
        "source": "aws.ses", "account": "123456789012", "time": "2026-11-23T01:56:41Z",
        "region": "us-east-1", "resources": [],
        "detail": {
            "eventType": "Bounce",
            "mail": { "timestamp": "2026-11-23T01:56:39.120Z", "messageId": message_id, "destination": [to] },
            "bounce": {
                "bounceType": kind, "bounceSubType": "General", "timestamp": "2026-11-23T01:56:40.000Z",
                "bouncedRecipients": [{ "emailAddress": to, "action": "failed", "status": "5.1.1",
                                        "diagnosticCode": "smtp; 550 5.1.1 user unknown" }]
            }
        }
    })
}

/// A hard bounce, through moto: the SES message id's link, the receipt on the session in
/// DynamoDB, the address suppressed (an item with TTL), and the next email refused without a
/// call to SES. A soft bounce suppresses nothing.
#[tokio::test]
async fn an_ses_hard_bounce_records_and_suppresses_through_dynamodb() {
    let aws = Aws::new().await;
    let send = |session: &str| {
        call(
            &aws.app,
            Req::post(
                "/contacts/1/verification-keys",
                json!({ "channel": "Email", "sessionId": session }),
            ),
        )
    };
    assert_eq!(send("soft").await.status, 200);
    let soft = bounce_event(&ses_message_id(&aws, "soft").await, &aws.email, "Transient");
    otp_aws::email_events::handle(&aws.app, &soft)
        .await
        .unwrap();
    assert_eq!(
        send("hard").await.status,
        200,
        "a soft bounce suppresses nothing"
    );

    let hard = bounce_event(&ses_message_id(&aws, "hard").await, &aws.email, "Permanent");
    otp_aws::email_events::handle(&aws.app, &hard)
        .await
        .unwrap();
    let key = otp_core::dialects::contacts::session_key("acme", 1, "hard");
    let item = aws.raw_item(&key).await.unwrap();
    assert_eq!(item["delivery"].as_s().unwrap(), "failed");
    assert_eq!(
        item["delivery_reason"].as_s().unwrap(),
        "bounce: Permanent/General"
    );

    let suppression = aws
        .dynamo
        .get_item()
        .table_name(&aws.sessions_table)
        .key(
            "pk",
            aws_sdk_dynamodb::types::AttributeValue::S(format!("sup#{}", aws.email.to_lowercase())),
        )
        .send()
        .await
        .unwrap()
        .item
        .expect("the address's suppression");
    let until: i64 = suppression["until"].as_n().unwrap().parse().unwrap();
    assert_eq!(
        until,
        1_795_399_000 + 30 * 86_400,
        "30 days from the bounce"
    );
    assert_eq!(
        suppression["purge_at"], suppression["until"],
        "purged by TTL when it ends"
    );

    let emails = aws.delivered_to(&aws.email).await.len();
    let refused = send("after").await;
    assert_eq!(
        (refused.status, &refused.json["subCode"]),
        (403, &json!("DestinationSuppressed")),
        "{}",
        refused.json
    );
    assert_eq!(
        aws.delivered_to(&aws.email).await.len(),
        emails,
        "SES is not called"
    );
}

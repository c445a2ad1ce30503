//! The EMF lines a handler writes, read back and checked: every count a dashboard needs, with
//! dimensions family × channel, the country as a property, and no code, token or number.
//! Its own test binary: the exporter is the process's global recorder.

use otp_aws::emf::Emf;
use otp_core::config::fraud::parse_countries;
use otp_core::service::metrics::with_properties;
use otp_tests::{wrong_code, Harness, Reply, Req};
use serde_json::{json, Value};

const PHONE: &str = "+525512345678";

/// Serves `req` as a function invocation and returns the EMF documents it wrote.
async fn invoke(emf: Emf, h: &Harness, req: Req) -> (Reply, Vec<Value>) {
    let (reply, properties) = with_properties(h.call(req)).await;
    let mut out = Vec::new();
    emf.flush(&properties, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let docs = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is one JSON document"))
        .collect();
    (reply, docs)
}

/// The value of metric `name` in the documents of dimensions `family` × `channel`.
fn value(docs: &[Value], name: &str) -> Option<u64> {
    docs.iter().find_map(|d| d[name].as_u64())
}

fn check_document(doc: &Value, secrets: &[&str]) {
    let text = doc.to_string();
    for s in secrets {
        assert!(!text.contains(s), "{s} in a metric document: {text}");
    }
    let aws = &doc["_aws"];
    assert!(aws["Timestamp"].as_u64().unwrap() > 1_700_000_000_000);
    let ns = &aws["CloudWatchMetrics"][0];
    assert_eq!(ns["Namespace"], "OtpVerification");
    for metric in ns["Metrics"].as_array().unwrap() {
        let name = metric["Name"].as_str().unwrap();
        assert!(doc[name].is_number(), "{name} has a value");
    }
}

#[tokio::test]
async fn a_send_and_its_verification_write_the_documented_emf() {
    let emf = Emf::install("OtpVerification", "send-otp").unwrap();
    let h = Harness::new();
    let send = Req::post(
        "/verify/v1/otp/send-otp",
        json!({ "recipient": PHONE, "content": "Código: {}" }),
    );
    let (reply, docs) = invoke(emf, &h, send).await;
    assert_eq!(reply.status, 200);
    let code = h.last_code();
    let secrets = [PHONE, &PHONE[1..], &code, otp_tests::TOKEN];
    docs.iter().for_each(|d| check_document(d, &secrets));

    // The cold start, by function.
    let cold = docs
        .iter()
        .find(|d| d["ColdStart"] == 1)
        .expect("ColdStart");
    assert_eq!(
        cold["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
        json!([["function"]])
    );
    // The send: family × channel dimensions; country and function as properties.
    let sent = docs
        .iter()
        .find(|d| d["CodesSent"] == 1)
        .expect("CodesSent");
    assert_eq!(
        sent["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
        json!([["family", "channel"]])
    );
    assert_eq!(
        (
            &sent["family"],
            &sent["channel"],
            &sent["country"],
            &sent["function"]
        ),
        (
            &json!("verify-api"),
            &json!("sms"),
            &json!("MX"),
            &json!("send-otp")
        )
    );
    println!("an EMF line of this run: {sent}");
    assert_eq!(value(&docs, "CodesDelivered"), Some(1));
    // "Código: " + 6 digits is not GSM-7 (ó): one UCS-2 segment.
    assert_eq!(value(&docs, "SmsSegments"), Some(1));
    assert_eq!(value(&docs, "Verified"), None);

    let id = reply.json["otp_id"].as_str().unwrap().to_string();
    let verify = |code: String| {
        Req::post(
            "/verify/v1/otp/verify-otp",
            json!({ "otp_id": id, "otp_code": code }),
        )
    };
    let (_, docs) = invoke(emf, &h, verify(wrong_code(&code))).await;
    assert_eq!(value(&docs, "WrongAttempts"), Some(1));
    assert_eq!(
        value(&docs, "CodesSent"),
        None,
        "counts do not repeat across flushes"
    );
    let (verified, docs) = invoke(emf, &h, verify(code.clone())).await;
    assert_eq!(verified.status, 200);
    assert_eq!(value(&docs, "Verified"), Some(1));
    docs.iter().for_each(|d| check_document(d, &secrets));

    // A fraud refusal names its rule; an email send has no country.
    let mut h = Harness::new();
    h.app.config.fraud.countries.blocked = parse_countries("MX").unwrap();
    let again = Req::post("/verify/v1/otp/send-otp", json!({ "recipient": PHONE }));
    let (refused, docs) = invoke(emf, &h, again).await;
    assert_eq!(refused.status, 403);
    let blocked = docs
        .iter()
        .find(|d| d["FraudBlocked"] == 1)
        .expect("FraudBlocked");
    assert_eq!(
        (&blocked["rule"], &blocked["country"]),
        (&json!("country-not-allowed"), &json!("MX"))
    );
    assert_eq!(value(&docs, "CodesSent"), None);
    let email = Req::post(
        "/contacts/1/verification-keys",
        json!({ "channel": "Email" }),
    );
    let (emailed, docs) = invoke(emf, &h, email).await;
    assert_eq!(emailed.status, 200);
    let sent = docs
        .iter()
        .find(|d| d["CodesSent"] == 1)
        .expect("CodesSent");
    assert_eq!(
        (&sent["family"], &sent["channel"]),
        (&json!("contacts"), &json!("email"))
    );
    assert!(
        sent.get("country").is_none(),
        "properties do not outlive their request"
    );
}

#[tokio::test]
async fn a_fraud_refusal_reaches_eventbridge_as_blocked_from_its_emf_line() {
    let emf = Emf::install("OtpVerification", "send-otp").unwrap();
    let aws = otp_tests::emulator::Aws::new().await;
    let (publisher, queue) = aws.bus_to_queue().await;
    let mut h = Harness::new();
    h.app.config.fraud.countries.blocked = parse_countries("MX").unwrap();
    let send = Req::post("/verify/v1/otp/send-otp", json!({ "recipient": PHONE }));
    let (refused, docs) = invoke(emf, &h, send).await;
    assert_eq!(refused.status, 403);
    let lines: Vec<String> = docs.iter().map(Value::to_string).collect();

    let payload = otp_tests::subscription_payload("/otp/functions", &lines);
    assert!(otp_aws::blocked::is_subscription(&payload));
    let logs = otp_aws::blocked::subscription(&payload).unwrap();
    assert!(!otp_aws::receipts::is_sms_delivery_log(&logs));
    otp_aws::blocked::handle(&publisher, &logs).await.unwrap();
    let events = aws.drain(&queue).await;
    assert_eq!(events.len(), 1, "one refusal, one event: {events:?}");
    let event = &events[0];
    println!("a lifecycle event of this run: {event}");
    assert_eq!(event["source"], otp_aws::stream::SOURCE);
    assert_eq!(event["detail-type"], "OTP session blocked");
    let detail = &event["detail"];
    assert_eq!(
        (&detail["family"], &detail["client"], &detail["channel"]),
        (&json!("verify-api"), &json!("acme"), &json!("sms"))
    );
    assert_eq!(
        (&detail["country"], &detail["rule"]),
        (&json!("MX"), &json!("country-not-allowed"))
    );
    assert_eq!(detail["destination"], "+525*******78");
    assert!(!event.to_string().contains(&PHONE[4..]), "no full number");
}

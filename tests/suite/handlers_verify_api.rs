//! Verify API handlers in-process over the memory adapters: every rule and bad input.

use otp_tests::{Harness, Reply, Req};
use serde_json::{json, Value};
use std::sync::Arc;

const SEND: &str = "/verify/v1/otp/send-otp";
const RESEND: &str = "/verify/v1/otp/resend-otp";
const VERIFY: &str = "/verify/v1/otp/verify-otp";

async fn send(h: &Harness, body: Value) -> Reply {
    h.call(Req::post(SEND, body)).await
}

async fn open(h: &Harness, body: Value) -> String {
    let res = send(h, body).await;
    assert_eq!(res.status, 200, "{}", res.json);
    res.json["otp_id"].as_str().unwrap().to_string()
}

async fn verify(h: &Harness, id: &str, code: &str) -> Reply {
    h.call(Req::post(VERIFY, json!({ "otp_id": id, "otp_code": code })))
        .await
}

#[tokio::test]
async fn every_documented_field_is_accepted_and_each_may_be_null() {
    let h = Harness::new();
    let full = json!({
        "originator": "SignOTP", "recipient": "+971501234567",
        "content": "Greetings from D7 API, your mobile verification code is: {}",
        "template_id": 12, "channel": "SMS", "expiry": "600", "data_coding": "text",
        "retry_delay": 60, "retry_count": 5, "otp_code_length": 8, "otp_type": "alphanumeric",
        "success_url": "https://example.com/ok", "failure_url": "https://example.com/ko"
    });
    let res = send(&h, full.clone()).await;
    assert_eq!(res.status, 200, "{}", res.json);
    assert_eq!(
        (res.json["status"].as_str(), res.json["expiry"].as_u64()),
        (Some("OPEN"), Some(600))
    );
    let sms = h.outbox.messages().pop().unwrap();
    assert_eq!(
        (sms.to.as_str(), sms.sender_id.as_deref()),
        ("+971501234567", Some("SignOTP"))
    );
    let code = h.last_code();
    assert_eq!(code.len(), 8);
    assert!(code
        .chars()
        .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()));

    let mut nulls = full.as_object().unwrap().clone();
    for (k, v) in nulls.iter_mut() {
        if k != "recipient" {
            *v = Value::Null;
        }
    }
    let res = send(&h, Value::Object(nulls)).await;
    assert_eq!(
        (res.status, res.json["expiry"].as_u64()),
        (200, Some(600)),
        "{}",
        res.json
    );
    let sms = h.outbox.messages().pop().unwrap();
    assert_eq!(
        sms.body,
        format!("Your verification code is {}", h.last_code())
    );
    assert_eq!(
        sms.sender_id.as_deref(),
        Some("Tests"),
        "the configured default originator"
    );
    assert_eq!(h.last_code().len(), 6);
}

#[tokio::test]
async fn recipient_may_omit_the_plus_and_content_default_is_localised() {
    let h = Harness::new();
    let res = h
        .call(
            Req::post(SEND, json!({ "recipient": "971501234567" }))
                .header("accept-language", "es-ES"),
        )
        .await;
    assert_eq!(res.status, 200);
    let sms = h.outbox.messages().pop().unwrap();
    assert_eq!(sms.to.as_str(), "+971501234567");
    assert!(
        sms.body.starts_with("Tu clave de un solo uso es "),
        "{}",
        sms.body
    );
}

#[tokio::test]
async fn verify_approves_once_then_reports_already_verified() {
    let h = Harness::new();
    let id = open(&h, json!({ "recipient": "+971501234567" })).await;
    let code = h.last_code();
    let wrong = verify(&h, &id, &otp_tests::wrong_code(&code)).await;
    assert_eq!(wrong.status, 400);
    assert_eq!(
        wrong.json,
        json!({ "detail": { "code": "INVALID_OTP_CODE", "message": "Invalid OTP code or OTP code expired" } })
    );
    assert_eq!(
        verify(&h, &id, &code).await.json,
        json!({ "status": "APPROVED" })
    );
    assert_eq!(
        verify(&h, &id, &code).await.json,
        json!({ "status": "ALREADY_VERIFIED" })
    );
    let report = h.call(Req::get(format!("/verify/v1/report/{id}"))).await;
    assert_eq!(
        (
            report.json["status"].as_str(),
            report.json["attempts"].as_u64()
        ),
        (Some("APPROVED"), Some(1))
    );
    assert!(report.json["verified_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(report.json["recipient"], "+971*******67");
}

#[tokio::test]
async fn report_moves_from_open_to_failed_or_expired() {
    let h = Harness::new();
    let status = |id: String| {
        let h = &h;
        async move {
            h.call(Req::get(format!("/verify/v1/report/{id}")))
                .await
                .json["status"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let id = open(&h, json!({ "recipient": "+971501234567" })).await;
    assert_eq!(status(id.clone()).await, "OPEN");
    let wrong = otp_tests::wrong_code(&h.last_code());
    for _ in 0..5 {
        verify(&h, &id, &wrong).await;
    }
    assert_eq!(status(id.clone()).await, "FAILED");
    let res = verify(&h, &id, &h.last_code()).await;
    assert_eq!(
        res.json["detail"]["message"],
        "Maximum verification attempts reached"
    );

    let id = open(&h, json!({ "recipient": "+971501234567", "expiry": 30 })).await;
    h.clock.advance(30);
    assert_eq!(status(id.clone()).await, "EXPIRED");
    assert_eq!(
        verify(&h, &id, &h.last_code()).await.json["detail"]["code"],
        "INVALID_OTP_CODE"
    );
}

#[tokio::test]
async fn resend_rules() {
    let h = Harness::new();
    let id = open(
        &h,
        json!({ "recipient": "+971501234567", "retry_delay": 45, "retry_count": 1 }),
    )
    .await;
    let first = h.last_code();
    let early = h.call(Req::post(RESEND, json!({ "otp_id": id }))).await;
    assert_eq!(early.status, 400);
    assert_eq!(
        early.json["detail"]["message"],
        "Frequent resend request, resend request need minimum 45 seconds delay"
    );
    h.clock.advance(45);
    let ok = h.call(Req::post(RESEND, json!({ "otp_id": id }))).await;
    assert_eq!(
        ok.json,
        json!({ "otp_id": id, "status": "OPEN", "expiry": 600, "resend_count": 1 })
    );
    if first != h.last_code() {
        assert_eq!(
            verify(&h, &id, &first).await.status,
            400,
            "the old code is dead"
        );
    }
    h.clock.advance(45);
    let limit = h.call(Req::post(RESEND, json!({ "otp_id": id }))).await;
    assert_eq!(
        (limit.status, limit.json["detail"]["code"].as_str()),
        (400, Some("RESEND_LIMIT_EXCEEDED"))
    );
    assert_eq!(
        verify(&h, &id, &h.last_code()).await.json["status"],
        "APPROVED"
    );
    let approved = h.call(Req::post(RESEND, json!({ "otp_id": id }))).await;
    assert_eq!(
        (approved.status, approved.json["detail"]["code"].as_str()),
        (400, Some("OTP_ALREADY_VERIFIED"))
    );

    let id = open(
        &h,
        json!({ "recipient": "+971501234567", "expiry": 60, "retry_delay": 0 }),
    )
    .await;
    h.clock.advance(60);
    let expired = h.call(Req::post(RESEND, json!({ "otp_id": id }))).await;
    assert_eq!(
        expired.json["detail"]["message"],
        "Resend Failed. OTP time limit expired."
    );
    let unknown = h
        .call(Req::post(
            RESEND,
            json!({ "otp_id": "6f1e2b3c-0000-4000-8000-000000000000" }),
        ))
        .await;
    assert_eq!(
        (unknown.status, unknown.json["detail"]["code"].as_str()),
        (404, Some("MESSAGE_LOG_NOT_EXISTS"))
    );
}

#[tokio::test]
async fn otp_ids_belong_to_the_client_that_created_them() {
    let h = Harness::new();
    let id = open(&h, json!({ "recipient": "+971501234567" })).await;
    let other = format!("Bearer {}", otp_tests::OTHER_TOKEN);
    let res = h
        .call(Req::get(format!("/verify/v1/report/{id}")).header("authorization", &other))
        .await;
    assert_eq!(res.status, 404);
    let res = h
        .call(
            Req::post(VERIFY, json!({ "otp_id": id, "otp_code": h.last_code() }))
                .header("authorization", &other),
        )
        .await;
    assert_eq!(res.status, 404);
}

fn locs(res: &Reply) -> Vec<Value> {
    res.json["detail"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", res.json))
        .iter()
        .map(|d| d["loc"].clone())
        .collect()
}

#[tokio::test]
async fn malformed_bodies_are_422_with_fastapi_detail_and_nothing_is_written() {
    let h = Harness::new();
    let ok = json!({ "recipient": "+971501234567" });
    let with = |k: &str, v: Value| {
        let mut b = ok.clone();
        b[k] = v;
        Req::post(SEND, b)
    };
    let cases: Vec<(Req, Value, &str)> = vec![
        (
            Req::new("POST", SEND).raw_body("{"),
            json!(["body"]),
            "value_error",
        ),
        (
            Req::new("POST", SEND).raw_body("\"text\""),
            json!(["body"]),
            "value_error",
        ),
        // An oversized body is 413 (hostile_input).
        (
            Req::post(SEND, json!({})),
            json!(["body", "recipient"]),
            "missing",
        ),
        // Found by schemathesis: a fraction is no identifier.
        (
            with("template_id", json!(2.5e-42)),
            json!(["body", "template_id"]),
            "string_type",
        ),
        (
            with("recipient", json!(971501234567.5)),
            json!(["body", "recipient"]),
            "string_type",
        ),
        (
            with("recipient", json!("12ab")),
            json!(["body", "recipient"]),
            "value_error",
        ),
        (
            with("recipient", json!("+123")),
            json!(["body", "recipient"]),
            "value_error",
        ),
        (
            with("recipient", json!(true)),
            json!(["body", "recipient"]),
            "string_type",
        ),
        (
            with("originator", json!("ThisIsTooLongToBeAnId")),
            json!(["body", "originator"]),
            "value_error",
        ),
        (
            with("content", json!("no placeholder")),
            json!(["body", "content"]),
            "value_error",
        ),
        (
            with("content", json!(42)),
            json!(["body", "content"]),
            "string_type",
        ),
        (
            with("expiry", json!("ten")),
            json!(["body", "expiry"]),
            "int_type",
        ),
        (
            with("expiry", json!(-5)),
            json!(["body", "expiry"]),
            "int_type",
        ),
        (
            with("expiry", json!(5)),
            json!(["body", "expiry"]),
            "value_error",
        ),
        (
            with("data_coding", json!("ascii")),
            json!(["body", "data_coding"]),
            "value_error",
        ),
        (
            with("channel", json!("EMAIL")),
            json!(["body", "channel"]),
            "value_error",
        ),
        (
            with("otp_code_length", json!(3)),
            json!(["body", "otp_code_length"]),
            "value_error",
        ),
        (
            with("otp_code_length", json!(11)),
            json!(["body", "otp_code_length"]),
            "value_error",
        ),
        (
            with("otp_type", json!("emoji")),
            json!(["body", "otp_type"]),
            "value_error",
        ),
        (
            with("retry_count", json!(1.5)),
            json!(["body", "retry_count"]),
            "int_type",
        ),
        (
            with("success_url", json!("javascript:alert(1)")),
            json!(["body", "success_url"]),
            "value_error",
        ),
        (
            Req::post(RESEND, json!({})),
            json!(["body", "otp_id"]),
            "missing",
        ),
        (
            Req::post(RESEND, json!({ "otp_id": "not-a-uuid" })),
            json!(["body", "otp_id"]),
            "value_error",
        ),
        (
            Req::post(
                VERIFY,
                json!({ "otp_id": "6f1e2b3c-0000-4000-8000-000000000000" }),
            ),
            json!(["body", "otp_code"]),
            "missing",
        ),
        (
            Req::post(
                VERIFY,
                json!({ "otp_id": "6f1e2b3c-0000-4000-8000-000000000000", "otp_code": "12 34" }),
            ),
            json!(["body", "otp_code"]),
            "value_error",
        ),
        (
            Req::post(VERIFY, json!({ "otp_code": "1234" })),
            json!(["body", "otp_id"]),
            "missing",
        ),
        (
            Req::get("/verify/v1/report/123"),
            json!(["path", "otp_id"]),
            "value_error",
        ),
    ];
    for (req, loc, kind) in cases {
        let what = format!(
            "{} {}",
            req.method,
            req.body
                .clone()
                .unwrap_or_default()
                .chars()
                .take(80)
                .collect::<String>()
        );
        let res = h.call(req).await;
        assert_eq!(res.status, 422, "{what}: {}", res.json);
        assert!(locs(&res).contains(&loc), "{what}: {}", res.json);
        let detail = &res.json["detail"][0];
        assert_eq!(detail["type"], kind, "{what}: {}", res.json);
        assert!(detail["msg"].as_str().is_some_and(|m| !m.is_empty()));
    }
    assert!(h.store.is_empty(), "nothing written");
    assert!(h.outbox.messages().is_empty());
}

#[tokio::test]
async fn several_bad_fields_are_all_reported() {
    let h = Harness::new();
    let res = send(
        &h,
        json!({ "recipient": "x", "expiry": "y", "otp_type": "z" }),
    )
    .await;
    assert_eq!(locs(&res).len(), 3, "{}", res.json);
}

#[tokio::test]
async fn every_route_requires_the_bearer_token() {
    let h = Harness::new();
    for req in [
        Req::post(SEND, json!({ "recipient": "+971501234567" })),
        Req::post(RESEND, json!({})),
        Req::post(VERIFY, json!({})),
        Req::get("/verify/v1/report/6f1e2b3c-0000-4000-8000-000000000000"),
    ] {
        let res = h.call(req.header("authorization", "Bearer nope")).await;
        assert_eq!(
            (res.status, res.json["detail"]["code"].as_str()),
            (401, Some("UNAUTHORIZED"))
        );
    }
    assert!(h.store.is_empty());
}

#[tokio::test]
async fn sms_failure_is_a_502() {
    let h = Harness::with_sender(Arc::new(otp_tests::Undeliverable));
    let res = send(&h, json!({ "recipient": "+971501234567" })).await;
    assert_eq!(
        (res.status, res.json["detail"]["code"].as_str()),
        (502, Some("DELIVERY_FAILED"))
    );
}

#[tokio::test]
async fn unknown_ids_are_404_message_log_not_exists() {
    let h = Harness::new();
    let res = h
        .call(Req::get(
            "/verify/v1/report/6F1E2B3C-0000-4000-8000-000000000000",
        ))
        .await;
    assert_eq!(
        res.json,
        json!({ "detail": { "code": "MESSAGE_LOG_NOT_EXISTS", "message": "OTP request not found" } })
    );
    let res = verify(&h, "6f1e2b3c-0000-4000-8000-000000000000", "123456").await;
    assert_eq!(res.status, 404);
}

#[tokio::test]
async fn each_client_has_a_send_budget_per_window() {
    let mut h = Harness::new();
    h.app.config.client_budget.limit = 3;
    for i in 0..3 {
        send(&h, json!({ "recipient": format!("+97150123456{i}") })).await;
    }
    let res = send(&h, json!({ "recipient": "+971501234569" })).await;
    assert_eq!(
        (res.status, res.json["detail"]["code"].as_str()),
        (429, Some("TOO_MANY_REQUESTS"))
    );
    assert!(res.headers.contains_key("retry-after"));
    let other = h
        .call(
            Req::post(SEND, json!({ "recipient": "+971501234569" })).header(
                "authorization",
                &format!("Bearer {}", otp_tests::OTHER_TOKEN),
            ),
        )
        .await;
    assert_eq!(other.status, 200, "another client has its own budget");
}

#[tokio::test]
async fn resends_are_charged_to_the_destination_budget() {
    let mut h = Harness::new();
    h.app.config.destination_budget.limit = 2;
    let id = open(
        &h,
        json!({ "recipient": "+971501234567", "retry_delay": 0 }),
    )
    .await;
    assert_eq!(
        h.call(Req::post(RESEND, json!({ "otp_id": id })))
            .await
            .status,
        200
    );
    let res = h.call(Req::post(RESEND, json!({ "otp_id": id }))).await;
    assert_eq!(res.status, 429);
    assert_eq!(h.outbox.messages().len(), 2);
}

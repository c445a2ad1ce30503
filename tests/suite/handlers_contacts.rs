//! Contact-verification handlers in-process over the memory adapters: every rule and bad input.

use otp_tests::{Harness, Req};
use serde_json::json;
use std::sync::Arc;

const SEND: &str = "/contacts/1/verification-keys";
const PENDING: &str = "/contacts/2/verification-keys/pending-communication-channel";

fn key_path(contact: i32, session: &str, code: &str) -> String {
    format!("/contacts/{contact}/verification-keys/{session}/{code}")
}

#[tokio::test]
async fn send_check_verify_round_trip() {
    let h = Harness::new();
    let sent = h.call(Req::post(SEND, json!({ "channel": "Sms" }))).await;
    assert_eq!(sent.status, 200);
    let session = sent.json["generatedSessionId"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(session.len(), 32);
    let message = h.outbox.messages().pop().unwrap();
    assert_eq!(
        (message.to.as_str(), message.subject.as_ref()),
        ("+12025550101", None)
    );
    let code = h.last_code();
    assert_eq!(code.len(), 6);
    let check = h.call(Req::get(key_path(1, &session, &code))).await;
    assert_eq!(
        check.json,
        json!({ "keyStatus": "Valid", "attemptsLeft": 5 })
    );
    let verify = h
        .call(Req::post(
            key_path(1, &session, &code) + "/verify",
            json!({}),
        ))
        .await;
    assert_eq!(
        verify.json,
        json!({ "keyStatus": "Valid", "attemptsLeft": 5 })
    );
    let again = h.call(Req::get(key_path(1, &session, &code))).await;
    assert_eq!(again.json["keyStatus"], "AlreadyVerified");
}

#[tokio::test]
async fn a_given_session_id_is_used_and_not_echoed() {
    let h = Harness::new();
    let sent = h
        .call(Req::post(
            SEND,
            json!({ "sessionId": "my-session_1", "channel": "Email" }),
        ))
        .await;
    assert_eq!(sent.json, json!({ "generatedSessionId": null }));
    let mail = h.outbox.messages().pop().unwrap();
    assert_eq!(
        (mail.to.as_str(), mail.subject.as_deref()),
        ("ana@example.com", Some("Your verification code"))
    );
    assert!(mail.html.unwrap().contains(&h.last_code()));
    let res = h
        .call(Req::get(key_path(1, "my-session_1", &h.last_code())))
        .await;
    assert_eq!(res.json["keyStatus"], "Valid");
}

#[tokio::test]
async fn wrong_keys_use_attempts_until_none_are_left() {
    let h = Harness::new();
    h.call(Req::post(
        SEND,
        json!({ "sessionId": "s", "channel": "Sms" }),
    ))
    .await;
    let code = h.last_code();
    let wrong = &otp_tests::wrong_code(&code);
    assert_eq!(
        h.call(Req::get(key_path(1, "s", wrong))).await.json["attemptsLeft"],
        4
    );
    assert_eq!(
        h.call(Req::post(key_path(1, "s", wrong) + "/verify", json!({})))
            .await
            .json["attemptsLeft"],
        3
    );
    for _ in 0..3 {
        h.call(Req::get(key_path(1, "s", wrong))).await;
    }
    let res = h.call(Req::get(key_path(1, "s", &code))).await;
    assert_eq!(
        res.json,
        json!({ "keyStatus": "AttemptsExceeded", "attemptsLeft": 0 })
    );
}

#[tokio::test]
async fn sessions_expire_after_five_minutes() {
    let h = Harness::new();
    h.call(Req::post(
        SEND,
        json!({ "sessionId": "s", "channel": "Sms" }),
    ))
    .await;
    h.clock.advance(299);
    assert_eq!(
        h.call(Req::get(key_path(1, "s", &h.last_code())))
            .await
            .json["keyStatus"],
        "Valid"
    );
    h.clock.advance(1);
    assert_eq!(
        h.call(Req::get(key_path(1, "s", &h.last_code())))
            .await
            .json["keyStatus"],
        "Expired"
    );
}

#[tokio::test]
async fn resends_respect_cooldown_and_max_sends_and_revive_expired_sessions() {
    let h = Harness::new();
    let send = || Req::post(SEND, json!({ "sessionId": "r", "channel": "Sms" }));
    assert_eq!(h.call(send()).await.status, 200);
    let first = h.last_code();
    let res = h.call(send()).await;
    assert_eq!(
        (res.status, res.json["subCode"].as_str()),
        (429, Some("ResendCooldown"))
    );
    assert_eq!(res.headers["retry-after"], "30");
    h.clock.advance(400); // past expiry: a send on the session issues a fresh code
    assert_eq!(h.call(send()).await.status, 200);
    if first != h.last_code() {
        assert_eq!(
            h.call(Req::get(key_path(1, "r", &first))).await.json["keyStatus"],
            "Invalid"
        );
    }
    for _ in 0..3 {
        h.clock.advance(30);
        assert_eq!(h.call(send()).await.status, 200);
    }
    h.clock.advance(30);
    let res = h.call(send()).await;
    assert_eq!(
        (res.status, res.json["subCode"].as_str()),
        (429, Some("MaxSendsReached"))
    );
    assert_eq!(h.outbox.messages().len(), 5);
}

#[tokio::test]
async fn verified_sessions_cannot_be_resent() {
    let h = Harness::new();
    h.call(Req::post(
        SEND,
        json!({ "sessionId": "v", "channel": "Sms" }),
    ))
    .await;
    h.call(Req::post(
        key_path(1, "v", &h.last_code()) + "/verify",
        json!({}),
    ))
    .await;
    h.clock.advance(60);
    let res = h
        .call(Req::post(
            SEND,
            json!({ "sessionId": "v", "channel": "Sms" }),
        ))
        .await;
    assert_eq!(
        (res.status, res.json["subCode"].as_str()),
        (409, Some("SessionAlreadyVerified"))
    );
}

#[tokio::test]
async fn pending_channel_sends_to_the_pending_phone_in_the_contacts_language() {
    let h = Harness::new();
    let res = h
        .call(Req::post(PENDING, json!({ "channel": "Sms" })))
        .await;
    assert_eq!(res.status, 200);
    let sms = h.outbox.messages().pop().unwrap();
    assert_eq!(sms.to.as_str(), "+34612345622");
    assert!(
        sms.body
            .starts_with("Tu clave para actualizar tus datos de contacto es"),
        "{}",
        sms.body
    );
}

#[tokio::test]
async fn language_comes_from_the_query_then_accept_language() {
    let h = Harness::new();
    h.call(Req::post(
        format!("{SEND}?language=es"),
        json!({ "channel": "Sms" }),
    ))
    .await;
    assert!(h
        .outbox
        .messages()
        .pop()
        .unwrap()
        .body
        .starts_with("Tu clave"));
    h.call(
        Req::post(SEND, json!({ "channel": "Sms" }))
            .header("accept-language", "it;q=0.9, es;q=0.8, en;q=0.1"),
    )
    .await;
    assert!(h
        .outbox
        .messages()
        .pop()
        .unwrap()
        .body
        .starts_with("Tu clave"));
    h.call(Req::post(SEND, json!({ "channel": "Sms" })).header("accept-language", "en-GB"))
        .await;
    assert!(h
        .outbox
        .messages()
        .pop()
        .unwrap()
        .body
        .starts_with("Your verification code"));
    let res = h
        .call(Req::post(SEND, json!({ "channel": "Fax" })).header("accept-language", "es"))
        .await;
    assert!(
        res.json["message"]
            .as_str()
            .unwrap()
            .starts_with("La solicitud"),
        "{}",
        res.json
    );
}

#[tokio::test]
async fn bad_input_is_a_400_naming_the_field_and_writes_nothing() {
    let h = Harness::new();
    let cases: Vec<(Req, u16, &str)> = vec![
        (
            Req::new("POST", SEND).raw_body("{\"channel\":"),
            400,
            "body",
        ),
        (Req::new("POST", SEND).raw_body("[1,2]"), 400, "body"),
        (Req::new("POST", SEND).raw_body(""), 400, "body"),
        // An oversized body is 413 (hostile_input).
        (Req::post(SEND, json!({})), 400, "channel"),
        (Req::post(SEND, json!({ "channel": 5 })), 400, "channel"),
        (Req::post(SEND, json!({ "channel": "Fax" })), 400, "channel"),
        (
            Req::post(SEND, json!({ "channel": "Sms", "sessionId": 7 })),
            400,
            "sessionId",
        ),
        (
            Req::post(SEND, json!({ "channel": "Sms", "sessionId": "has space" })),
            400,
            "sessionId",
        ),
        (
            Req::post(
                SEND,
                json!({ "channel": "Sms", "templateMetadataKey": "nope" }),
            ),
            400,
            "templateMetadataKey",
        ),
        (
            Req::post(
                SEND,
                json!({ "channel": "Sms", "templateMetadataKey": ["x"] }),
            ),
            400,
            "templateMetadataKey",
        ),
        (
            Req::post(
                "/contacts/abc/verification-keys",
                json!({ "channel": "Sms" }),
            ),
            400,
            "contactId",
        ),
        (
            Req::post(
                "/contacts/99999999999/verification-keys",
                json!({ "channel": "Sms" }),
            ),
            400,
            "contactId",
        ),
        (
            Req::post(
                "/contacts/404/verification-keys",
                json!({ "channel": "Sms" }),
            ),
            404,
            "ContactNotFound",
        ),
        (
            Req::post("/contacts/3/verification-keys", json!({ "channel": "Sms" })),
            400,
            "ContactHasNoPhone",
        ),
        (
            Req::post(
                "/contacts/2/verification-keys",
                json!({ "channel": "Email" }),
            ),
            400,
            "ContactHasNoEmail",
        ),
        (
            Req::post(
                "/contacts/1/verification-keys/pending-communication-channel",
                json!({ "channel": "Sms" }),
            ),
            400,
            "ContactHasNoPendingPhone",
        ),
        (
            Req::post(
                "/contacts/2/verification-keys/pending-communication-channel",
                json!({ "channel": "Email" }),
            ),
            400,
            "ContactHasNoPendingEmail",
        ),
        (
            Req::post(SEND, json!({ "channel": "Sms" })).without_auth(),
            401,
            "NA",
        ),
        (
            Req::post(SEND, json!({ "channel": "Sms" })).header("authorization", "Bearer wrong"),
            401,
            "NA",
        ),
        (
            Req::post(SEND, json!({ "channel": "Sms" })).header("authorization", "Basic dGVzdA=="),
            401,
            "NA",
        ),
        (
            Req::get(key_path(1, "nosuch", "123456")),
            404,
            "SessionNotFound",
        ),
        (Req::get(key_path(1, "bad*id", "123456")), 400, "sessionId"),
        (Req::get(key_path(1, "s", "12-34")), 400, "key"),
        (Req::get(key_path(1, "s", &"1".repeat(40))), 400, "key"),
        (
            Req::post(key_path(1, "s", "123456") + "/verify", json!({})).without_auth(),
            401,
            "NA",
        ),
        (
            Req::get("/contacts/x/verification-keys/s/123456"),
            400,
            "contactId",
        ),
    ];
    for (req, status, sub_code) in cases {
        let what = format!("{} {}", req.method, &req.path[..req.path.len().min(80)]);
        let res = h.call(req).await;
        assert_eq!(res.status, status, "{what}: {}", res.json);
        assert_eq!(res.json["subCode"], sub_code, "{what}: {}", res.json);
        let code = res.json["code"].as_str().unwrap();
        assert!(
            ["BadRequest", "Unauthorized", "NotFound"].contains(&code),
            "{what}: {code}"
        );
        assert!(res.json["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert_eq!(res.json["correlationId"].as_str().map(str::len), Some(32));
    }
    assert!(h.store.is_empty(), "nothing written");
    assert!(h.outbox.messages().is_empty(), "nothing sent");
}

#[tokio::test]
async fn the_callers_correlation_id_is_echoed() {
    let h = Harness::new();
    let res = h
        .call(Req::post(SEND, json!({})).header("x-correlation-id", "abc-123"))
        .await;
    assert_eq!(res.json["correlationId"], "abc-123");
    assert_eq!(
        res.headers["x-correlation-id"], "abc-123",
        "echoed as a header too"
    );
}

#[tokio::test]
async fn failed_delivery_is_a_502_and_leaves_no_verifiable_code() {
    let h = Harness::with_sender(Arc::new(otp_tests::Undeliverable));
    let res = h
        .call(Req::post(
            SEND,
            json!({ "sessionId": "d", "channel": "Sms" }),
        ))
        .await;
    assert_eq!(
        (
            res.status,
            res.json["code"].as_str(),
            res.json["subCode"].as_str()
        ),
        (502, Some("BadGateway"), Some("DeliveryFailed"))
    );
    let key = otp_core::dialects::contacts::session_key("acme", 1, "d");
    let session = h.app.sessions.get(&key).await.unwrap().unwrap();
    assert_eq!(session.state, otp_core::domain::State::Undeliverable);
}

#[tokio::test]
async fn sessions_are_scoped_to_their_contact() {
    let h = Harness::new();
    h.call(Req::post(
        SEND,
        json!({ "sessionId": "mine", "channel": "Sms" }),
    ))
    .await;
    let res = h.call(Req::get(key_path(2, "mine", &h.last_code()))).await;
    assert_eq!(res.status, 404);
}

#[tokio::test]
async fn each_destination_has_a_send_budget_per_window() {
    let h = Harness::new();
    for _ in 0..10 {
        let res = h.call(Req::post(SEND, json!({ "channel": "Sms" }))).await;
        assert_eq!(res.status, 200);
    }
    let res = h.call(Req::post(SEND, json!({ "channel": "Sms" }))).await;
    assert_eq!(
        (res.status, res.json["subCode"].as_str()),
        (429, Some("DestinationRateLimited"))
    );
    let wait: i64 = res.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3600).contains(&wait));
    assert_eq!(
        h.outbox.messages().len(),
        10,
        "the refused send delivered nothing"
    );
    let other = h.call(Req::post(SEND, json!({ "channel": "Email" }))).await;
    assert_eq!(other.status, 200, "another destination has its own budget");
    h.clock.advance(wait);
    assert_eq!(
        h.call(Req::post(SEND, json!({ "channel": "Sms" })))
            .await
            .status,
        200,
        "a new window"
    );
}

/// Sends `n` copies of `req` at once; their `keyStatus`es.
async fn in_parallel(h: &Arc<Harness>, n: usize, req: Req) -> Vec<serde_json::Value> {
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let (h, req) = (h.clone(), req.clone());
            tokio::spawn(async move { h.call(req).await.json["keyStatus"].clone() })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_requests_on_the_memory_store_keep_limits_and_approve_once() {
    let h = Arc::new(Harness::new());
    h.call(Req::post(
        SEND,
        json!({ "sessionId": "p", "channel": "Sms" }),
    ))
    .await;
    let code = h.last_code();
    let wrong = &otp_tests::wrong_code(&code);
    let guesses = in_parallel(&h, 32, Req::get(key_path(1, "p", wrong))).await;
    assert_eq!(
        guesses.iter().filter(|s| *s == "Invalid").count(),
        5,
        "{guesses:?}"
    );
    let late = in_parallel(
        &h,
        16,
        Req::post(key_path(1, "p", &code) + "/verify", json!({})),
    )
    .await;
    assert!(
        late.iter().all(|s| s == "AttemptsExceeded"),
        "exhausted sessions never verify: {late:?}"
    );

    h.call(Req::post(
        SEND,
        json!({ "sessionId": "q", "channel": "Email" }),
    ))
    .await;
    let code = h.last_code();
    let rights = in_parallel(
        &h,
        16,
        Req::post(key_path(1, "q", &code) + "/verify", json!({})),
    )
    .await;
    assert_eq!(
        rights.iter().filter(|s| *s == "Valid").count(),
        1,
        "approved exactly once: {rights:?}"
    );
}

//! Telemarketing OTP handlers in-process over the memory adapters: the header contract, the
//! access configuration, the split code, the message rules and every error.

use otp_core::domain::Alphabet;
use otp_tests::{fault, Harness, Reply, Req, OTHER_TOKEN};
use serde_json::{json, Value};
use std::sync::Arc;

const GENERATE: &str = "/v1/x-global/security/tele-marketing/otp/generate";
const VALIDATE: &str = "/v1/x-global/security/tele-marketing/otp/validate";
const PREFIX: &str = "Citi Identification Code Service";
const SUFFIX: &str = "Reply HELP for help STOP to cancel";

fn body() -> Value {
    json!({ "customerId": "test_1234", "phoneNumber": "5512345678",
            "messagePrefix": PREFIX, "messageSuffix": SUFFIX })
}

async fn generate(h: &Harness, body: Value) -> Reply {
    h.call(Req::contract(GENERATE, body)).await
}

/// A new session: its `sid` and its full 11-character code (3 returned + 8 by SMS).
async fn open(h: &Harness) -> (String, String) {
    let res = generate(h, body()).await;
    assert_eq!(res.status, 200, "{}", res.json);
    let sid = res.headers["sid"].to_str().unwrap().to_string();
    let head = res.json["oneTimePasswordToken"]
        .as_str()
        .unwrap()
        .to_string();
    (sid, head + &delivered(h))
}

/// The 8 characters of the last SMS, between the prefix and the suffix.
fn delivered(h: &Harness) -> String {
    let sms = h.outbox.messages().pop().expect("an SMS");
    let rest = sms.body.strip_prefix(&format!("{PREFIX} ")).unwrap();
    rest.split(' ').next().unwrap().to_string()
}

async fn validate(h: &Harness, sid: &str, customer: &str, token: &str) -> Reply {
    let body = json!({ "customerId": customer, "oneTimePasswordToken": token });
    h.call(Req::contract(VALIDATE, body).header("sid", sid))
        .await
}

#[tokio::test]
async fn generate_returns_three_characters_sends_eight_and_validate_takes_all_eleven_once() {
    let h = Harness::new();
    let res = generate(&h, body()).await;
    assert_eq!(res.status, 200, "{}", res.json);
    let head = res.json["oneTimePasswordToken"].as_str().unwrap();
    assert_eq!(res.json.as_object().unwrap().len(), 1, "{}", res.json);
    assert!(head.len() == 3 && head.chars().all(|c| c.is_ascii_digit()));
    let sid = res.headers["sid"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(sid).is_ok(), "{sid}");
    assert_eq!(
        res.headers["uuid"],
        "a7d1e304-83a9-4413-af97-62615e57eae66807840"
    );
    let sms = h.outbox.messages().pop().unwrap();
    let tail = delivered(&h);
    assert_eq!(sms.to.as_str(), "+525512345678", "national number of MX");
    assert_eq!(sms.body, format!("{PREFIX} {tail} {SUFFIX}"));
    assert!(tail.len() == 8 && tail.chars().all(|c| c.is_ascii_digit()));

    let code = format!("{head}{tail}");
    assert_eq!(
        fault(&validate(&h, sid, "test_1234", &tail).await),
        (400, "invalidRequest", "oneTimePasswordToken"),
        "the 8 delivered characters alone are not the code"
    );
    let ok = validate(&h, sid, "test_1234", &code).await;
    assert_eq!((ok.status, &ok.json), (200, &json!({})));
    assert_eq!(
        fault(&validate(&h, sid, "test_1234", &code).await),
        (400, "OTP Token Invalid", "oneTimePasswordToken"),
        "single use"
    );
}

#[tokio::test]
async fn alphanumeric_codes_validate_in_either_case() {
    let mut h = Harness::new();
    h.app.config.telemarketing_alphabet = Alphabet::Alphanumeric;
    let mut seen_letter = false;
    for _ in 0..3 {
        let (sid, code) = open(&h).await;
        assert!(code
            .chars()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()));
        seen_letter |= code.chars().any(|c| c.is_ascii_uppercase());
        let res = validate(&h, &sid, "test_1234", &code.to_ascii_lowercase()).await;
        assert_eq!(res.status, 200, "{}", res.json);
    }
    assert!(seen_letter, "33 characters from 36 symbols: letters appear");
}

#[tokio::test]
async fn phone_numbers_national_to_the_country_header_or_international() {
    let h = Harness::new();
    let cases = [
        ("55 1234 5678", "MX", Some("+525512345678")),
        ("+34612345678", "MX", Some("+34612345678")),
        ("2025550123", "US", Some("+12025550123")),
        ("1111214678", "MX", None),
        ("555-CALL-NOW", "MX", None),
        ("+1 555 555 0101", "MX", None),
    ];
    for (number, country, expected) in cases {
        h.outbox.clear();
        let mut body = body();
        body["phoneNumber"] = json!(number);
        let res = h
            .call(Req::contract(GENERATE, body).header("countryCode", country))
            .await;
        match expected {
            Some(e164) => {
                assert_eq!(res.status, 200, "{number}: {}", res.json);
                assert_eq!(h.outbox.messages()[0].to.as_str(), e164);
            }
            None => {
                assert_eq!(
                    fault(&res),
                    (400, "invalidRequest", "phoneNumber"),
                    "{number}"
                );
                assert!(h.outbox.messages().is_empty());
            }
        }
    }
}

#[tokio::test]
async fn each_missing_or_malformed_header_is_named() {
    let h = Harness::new();
    let cases: [(&str, Option<&str>); 9] = [
        ("uuid", None),
        ("uuid", Some("not a uuid!")),
        ("countryCode", None),
        ("countryCode", Some("MEX")),
        ("businessCode", None),
        ("businessCode", Some("G1B")),
        ("channelId", None),
        ("channelId", Some("I V R")),
        ("Accept", Some("text/html")),
    ];
    for (header, value) in cases {
        for path in [GENERATE, VALIDATE] {
            let mut req = Req::contract(path, body()).without(header);
            if let Some(v) = value {
                req = req.header(header, v);
            }
            let res = h
                .call(req.header("sid", &uuid::Uuid::new_v4().to_string()))
                .await;
            assert_eq!(
                fault(&res),
                (400, "invalidRequest", header),
                "{path} {header}={value:?}: {}",
                res.json
            );
            assert_eq!(res.json["type"], "invalid");
        }
    }
    assert!(
        h.outbox.messages().is_empty() && h.store.is_empty(),
        "nothing written"
    );
    let res = h
        .call(Req::contract(GENERATE, body()).without("accept"))
        .await;
    assert_eq!(res.status, 200, "no Accept header: JSON it is");
    let res = h
        .call(Req::contract(GENERATE, body()).header("accept", "text/html, */*;q=0.1"))
        .await;
    assert_eq!(res.status, 200, "*/* admits JSON");
}

#[tokio::test]
async fn credentials_missing_unknown_or_wrong_are_401_before_anything_else() {
    let h = Harness::new();
    let cases = [
        Req::contract(GENERATE, body()).without("client_id"),
        Req::contract(GENERATE, body()).without("authorization"),
        Req::contract(GENERATE, body()).header("client_id", "mallory"),
        Req::contract(GENERATE, body()).header("authorization", "Bearer wrong"),
        // Another client's token does not open this client's account.
        Req::contract(GENERATE, body()).header("authorization", OTHER_TOKEN),
        // An unauthenticated caller learns nothing about the headers it got wrong.
        Req::contract(GENERATE, body())
            .header("client_id", "mallory")
            .without("uuid"),
    ];
    for req in cases {
        let res = h.call(req.clone()).await;
        assert_eq!(
            (res.status, res.json["code"].as_str()),
            (401, Some("unAuthorized")),
            "{req:?}"
        );
    }
    assert!(h.outbox.messages().is_empty() && h.store.is_empty());
    let bearer = Req::contract(GENERATE, body())
        .header("authorization", &format!("Bearer {}", otp_tests::TOKEN));
    assert_eq!(h.call(bearer).await.status, 200, "Bearer form too");
}

#[tokio::test]
async fn combinations_outside_the_access_configuration_are_403() {
    let h = Harness::new();
    for (country, business, channel) in [
        ("CO", "GCB", "IVR"),
        ("MX", "ABC", "IVR"),
        ("US", "GCB", "WEB"),
    ] {
        let req = Req::contract(GENERATE, body())
            .header("countryCode", country)
            .header("businessCode", business)
            .header("channelId", channel);
        let res = h.call(req).await;
        assert_eq!(fault(&res).0, 403, "{country}/{business}/{channel}");
        assert_eq!(res.json["code"], "accessNotConfigured");
        assert_eq!(
            res.json["moreInfo"],
            "Channel/Country/Business provided in the request is not supported currently"
        );
    }
    assert!(h.store.is_empty());
    let allowed = Req::contract(GENERATE, body()).header("channelId", "WEB");
    assert_eq!(h.call(allowed).await.status, 200, "MX/GCB/* covers WEB");
    let beta = Req::contract(GENERATE, body())
        .header("client_id", "beta")
        .header("authorization", OTHER_TOKEN)
        .header("countryCode", "CO");
    let mut beta_body = body();
    beta_body["phoneNumber"] = json!("+573001234567");
    let res = h
        .call(Req {
            body: Some(beta_body.to_string()),
            ..beta
        })
        .await;
    assert_eq!(res.status, 200, "{}", res.json);
}

#[tokio::test]
async fn messages_hold_only_the_documented_characters_and_fit_140() {
    let h = Harness::new();
    // prefix + space + 8 + space + suffix = 140 exactly.
    let fits = "a".repeat(140 - 10 - 40);
    let cases = [
        (
            json!({ "messagePrefix": "Código ¿ñ? ¡Sí! #$%&*+-/^_{}@[]~()<>" }),
            None,
        ),
        (
            json!({ "messagePrefix": fits, "messageSuffix": "b".repeat(40) }),
            None,
        ),
        (
            json!({ "messagePrefix": fits, "messageSuffix": "b".repeat(41) }),
            Some("messageSuffix"),
        ),
        (
            json!({ "messagePrefix": "a".repeat(132) }),
            Some("messagePrefix"),
        ),
        (
            json!({ "messagePrefix": "Your code." }),
            Some("messagePrefix"),
        ),
        (
            json!({ "messageSuffix": "Thanks, bye" }),
            Some("messageSuffix"),
        ),
        (
            json!({ "messagePrefix": "Code {code}" }),
            Some("messagePrefix"),
        ),
        (
            json!({ "messagePrefix": "Hi\nthere" }),
            Some("messagePrefix"),
        ),
        (json!({ "messagePrefix": " " }), Some("messagePrefix")),
        (json!({ "messagePrefix": null }), Some("messagePrefix")),
        (json!({ "messagePrefix": 7 }), Some("messagePrefix")),
        (json!({ "customerId": null }), Some("customerId")),
        (json!({ "customerId": "x".repeat(65) }), Some("customerId")),
        (json!({ "phoneNumber": null }), Some("phoneNumber")),
    ];
    for (change, refused) in cases {
        h.outbox.clear();
        let mut req = body();
        req.as_object_mut()
            .unwrap()
            .extend(change.as_object().unwrap().clone());
        let res = generate(&h, req).await;
        match refused {
            None => {
                assert_eq!(res.status, 200, "{change}: {}", res.json);
                assert!(h.outbox.messages()[0].body.chars().count() <= 140);
            }
            Some(field) => {
                assert_eq!(
                    fault(&res),
                    (400, "invalidRequest", field),
                    "{change}: {}",
                    res.json
                );
                assert!(h.outbox.messages().is_empty());
            }
        }
    }
}

#[tokio::test]
async fn malformed_bodies_are_400_naming_the_body() {
    let h = Harness::new();
    // An oversized body is 413 (hostile_input).
    for raw in ["", "{", "[1]"] {
        let res = h
            .call(Req::contract(GENERATE, json!({})).raw_body(raw))
            .await;
        assert_eq!(fault(&res), (400, "invalidRequest", "body"), "{raw:.20}");
    }
    assert!(h.store.is_empty());
}

#[tokio::test]
async fn validate_rules_wrong_expired_other_customer_unknown_sid() {
    let h = Harness::new();
    let (sid, code) = open(&h).await;
    let wrong = otp_tests::wrong_code(&code);
    let rejected = |res: &Reply| fault(res).1.to_string();
    assert_eq!(
        rejected(&validate(&h, &sid, "test_1234", &wrong).await),
        "OTP Token Invalid"
    );
    assert_eq!(
        rejected(&validate(&h, &sid, "someone_else", &code).await),
        "OTP Token Invalid",
        "another customer reads as a wrong code"
    );
    for bad_sid in [uuid::Uuid::new_v4().to_string(), "not-a-sid".into()] {
        assert_eq!(
            fault(&validate(&h, &bad_sid, "test_1234", &code).await),
            (400, "invalidRequest", "sid")
        );
    }
    let no_sid = h
        .call(Req::contract(
            VALIDATE,
            json!({ "customerId": "test_1234", "oneTimePasswordToken": code }),
        ))
        .await;
    assert_eq!(fault(&no_sid), (400, "invalidRequest", "sid"));
    for token in [
        "1234567890",
        "123456789012",
        "12345-78901",
        "１２３４５６７８９０１",
    ] {
        assert_eq!(
            fault(&validate(&h, &sid, "test_1234", token).await),
            (400, "invalidRequest", "oneTimePasswordToken"),
            "{token}"
        );
    }
    // Another client cannot reach this client's session with its sid.
    let other = Req::contract(
        VALIDATE,
        json!({ "customerId": "test_1234", "oneTimePasswordToken": code }),
    )
    .header("client_id", "beta")
    .header("authorization", OTHER_TOKEN)
    .header("sid", &sid);
    assert_eq!(fault(&h.call(other).await), (400, "invalidRequest", "sid"));

    h.clock.advance(301);
    let expired = validate(&h, &sid, "test_1234", &code).await;
    assert_eq!(
        (fault(&expired).1, expired.json["type"].as_str()),
        ("OTP Token Expired", Some("error"))
    );
}

#[tokio::test]
async fn attempts_run_out_across_wrong_codes_and_wrong_customers() {
    let h = Harness::new();
    let (sid, code) = open(&h).await;
    let wrong = otp_tests::wrong_code(&code);
    for i in 0..5 {
        let customer = if i % 2 == 0 { "test_1234" } else { "guess" };
        let token = if i % 2 == 0 { &wrong } else { &code };
        assert_eq!(
            fault(&validate(&h, &sid, customer, token).await).1,
            "OTP Token Invalid"
        );
    }
    let res = validate(&h, &sid, "test_1234", &code).await;
    assert_eq!(
        fault(&res).1,
        "OTP Token Invalid",
        "5 attempts used: the right code is refused"
    );
}

#[tokio::test]
async fn generate_with_a_sid_resends_within_the_cooldown_and_send_limits() {
    let h = Harness::new();
    let (sid, first) = open(&h).await;
    let resend = |customer: &str| {
        let mut b = body();
        b["customerId"] = json!(customer);
        Req::contract(GENERATE, b).header("sid", &sid)
    };
    let early = h.call(resend("test_1234")).await;
    assert_eq!(fault(&early).0, 429);
    assert_eq!(early.json["code"], "tooManyRequests");
    assert!(early.headers.contains_key("retry-after"));

    h.clock.advance(30);
    let res = h.call(resend("test_1234")).await;
    assert_eq!(res.status, 200, "{}", res.json);
    assert_eq!(res.headers["sid"].to_str().unwrap(), sid, "same session");
    let second = format!(
        "{}{}",
        res.json["oneTimePasswordToken"].as_str().unwrap(),
        delivered(&h)
    );
    assert_ne!(first, second);
    assert_eq!(
        fault(&h.call(resend("someone_else")).await),
        (400, "invalidRequest", "sid"),
        "another customer's session is not found"
    );
    assert_eq!(
        fault(&validate(&h, &sid, "test_1234", &first).await).1,
        "OTP Token Invalid"
    );
    assert_eq!(validate(&h, &sid, "test_1234", &second).await.status, 200);
    h.clock.advance(30);
    assert_eq!(
        fault(&h.call(resend("test_1234")).await),
        (400, "invalidRequest", "sid"),
        "a validated session is not resent"
    );
    let unknown = Req::contract(GENERATE, body()).header("sid", &uuid::Uuid::new_v4().to_string());
    assert_eq!(
        fault(&h.call(unknown).await),
        (400, "invalidRequest", "sid")
    );

    let (sid, _) = open(&h).await;
    for _ in 1..5 {
        h.clock.advance(30);
        let res = h
            .call(Req::contract(GENERATE, body()).header("sid", &sid))
            .await;
        assert_eq!(res.status, 200, "{}", res.json);
    }
    h.clock.advance(30);
    let res = h
        .call(Req::contract(GENERATE, body()).header("sid", &sid))
        .await;
    assert_eq!(
        (res.status, res.json["code"].as_str()),
        (429, Some("tooManyRequests"))
    );
}

#[tokio::test]
async fn sms_failure_is_400_sms_delivery_failed_and_the_code_never_validates() {
    let h = Harness::with_sender(Arc::new(otp_tests::Undeliverable));
    let res = generate(&h, body()).await;
    assert_eq!(fault(&res), (400, "smsDeliveryFailed", "phoneNumber"));
    assert!(res.json.get("oneTimePasswordToken").is_none());
    assert!(!res.headers.contains_key("sid"), "no session to validate");
}

#[tokio::test]
async fn errors_have_the_seed_envelope_with_an_rfc3339_timestamp() {
    let h = Harness::new();
    let res = h
        .call(Req::contract(GENERATE, body()).without("countryCode"))
        .await;
    assert_eq!(
        res.keys(),
        [
            "code",
            "details",
            "location",
            "moreInfo",
            "timestamp",
            "type"
        ]
    );
    assert_eq!(res.json["details"], "Missing or invalid Parameters");
    assert_eq!(
        res.headers["uuid"], "a7d1e304-83a9-4413-af97-62615e57eae66807840",
        "the request id echoed"
    );
    let ts = res.json["timestamp"].as_str().unwrap();
    let shape: String = ts
        .chars()
        .map(|c| if c.is_ascii_digit() { '9' } else { c })
        .collect();
    assert_eq!(shape, "9999-99-99T99:99:99Z", "RFC 3339 UTC: {ts}");
    let es = h
        .call(
            Req::contract(
                VALIDATE,
                json!({ "customerId": "c", "oneTimePasswordToken": "12345678901" }),
            )
            .header("accept-language", "es-MX")
            .header("sid", &uuid::Uuid::new_v4().to_string()),
        )
        .await;
    assert_eq!(es.json["moreInfo"], "Sesión de verificación no encontrada");
}

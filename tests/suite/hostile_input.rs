//! Requests an attacker would send: caller text that tries to be a template, to multiply
//! codes or segments, or to hide and forge text; repeated identity headers; wrong methods,
//! oversized bodies and unknown paths. Each must end in the family's form, sending nothing.

use otp_core::routes::{self, ROUTES};
use otp_tests::{error_code, fault, reply, repo_file, Harness, Reply, Req};
use serde_json::{json, Value};

const SEND: &str = "/verify/v1/otp/send-otp";
const TM: &str = "/v1/x-global/security/tele-marketing/otp/generate";
const US: &str = "+12025550123";

async fn send_content(h: &Harness, content: &str) -> Reply {
    h.call(Req::post(
        SEND,
        json!({ "recipient": US, "content": content }),
    ))
    .await
}

/// The Verify API's 422 names `field` (FastAPI's `loc`).
fn names(res: &Reply, field: &str) -> bool {
    res.status == 422
        && res.json["detail"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|d| d["loc"].as_array().and_then(|l| l.last()) == Some(&Value::from(field)))
}

#[tokio::test]
async fn content_holds_exactly_one_placeholder_and_caller_braces_stay_text() {
    let h = Harness::new();
    for content in [
        "{}".repeat(300),
        "no placeholder".into(),
        "{} and {}".into(),
    ] {
        let res = send_content(&h, &content).await;
        assert!(names(&res, "content"), "{content:.20}: {}", res.json);
    }
    assert!(
        h.outbox.messages().is_empty() && h.store.is_empty(),
        "nothing sent or written"
    );

    let res = send_content(&h, "Code {} and {code} {{x}}").await;
    assert_eq!(res.status, 200, "{}", res.json);
    let body = h.outbox.messages().pop().unwrap().body;
    let code = h.last_code();
    assert_eq!(body, format!("Code {code} and {{code}} {{{{x}}}}"));
    assert_eq!(body.matches(&code).count(), 1, "the code goes out once");
}

#[tokio::test]
async fn the_limit_is_on_the_message_as_delivered_at_most_five_segments() {
    let h = Harness::new();
    // 634 characters and a 6-digit code: 640 as delivered, 5 GSM-7 segments.
    let fits = format!("{}{{}}", "a".repeat(634));
    assert_eq!(send_content(&h, &fits).await.status, 200);
    // One more character is 641 as delivered.
    let over = format!("{}{{}}", "a".repeat(635));
    assert!(names(&send_content(&h, &over).await, "content"));
    // 400 two-septet characters and the code: 406 characters, but 806 septets, 6 segments.
    let wide = format!("{}{{}}", "[".repeat(400));
    let res = send_content(&h, &wide).await;
    assert!(names(&res, "content"), "{}", res.json);
    assert!(
        res.json.to_string().contains("5 SMS segments"),
        "{}",
        res.json
    );
    // UCS-2: 330 characters are 5 segments, 340 are 6.
    let accents = |n| format!("{}{{}}", "á".repeat(n));
    assert_eq!(send_content(&h, &accents(329)).await.status, 200);
    assert!(names(&send_content(&h, &accents(340)).await, "content"));
    assert_eq!(
        h.outbox.messages().len(),
        2,
        "only the two that fit went out"
    );
    for m in h.outbox.messages() {
        assert!(otp_core::domain::sms::measure(&m.body, false).segments <= 5);
    }
}

/// Characters that act instead of showing: C0 and C1 controls, bidi overrides and isolates,
/// invisible format characters.
const HIDDEN: [&str; 9] = [
    "\u{0}",
    "\u{7}",
    "\u{1b}[2J",
    "\r",
    "\u{85}",
    "\u{202E}",
    "\u{2067}",
    "\u{200F}",
    "\u{FEFF}",
];

#[tokio::test]
async fn hidden_and_control_characters_are_refused_naming_the_field() {
    let h = Harness::new();
    for c in HIDDEN {
        let res = send_content(&h, &format!("Your code {{}}{c}evil")).await;
        assert!(names(&res, "content"), "{c:?}: {}", res.json);
        let body = json!({ "recipient": US, "originator": format!("Bank{c}") });
        let res = h.call(Req::post(SEND, body)).await;
        assert!(names(&res, "originator"), "{c:?}: {}", res.json);
        for field in ["messagePrefix", "messageSuffix"] {
            let mut body = json!({ "customerId": "c-1", "phoneNumber": "5512345678", "messagePrefix": "Code" });
            body[field] = Value::from(format!("Bank {c} x"));
            let res = h.call(Req::contract(TM, body)).await;
            assert_eq!(fault(&res), (400, "invalidRequest", field), "{c:?}");
        }
    }
    assert!(
        h.outbox.messages().is_empty() && h.store.is_empty(),
        "nothing sent or written"
    );
    // A line feed is text where the family allows several lines.
    let res = send_content(&h, "Your code:\n{}").await;
    assert_eq!(res.status, 200, "{}", res.json);
}

/// `name: value` added to `req` once more, as a repeated header.
fn again(mut req: Req, name: &str, value: &str) -> Req {
    req.headers.push((name.into(), value.into()));
    req
}

#[tokio::test]
async fn a_repeated_identity_or_contract_header_is_refused_never_first_wins() {
    let h = Harness::new();
    let tm = || {
        Req::contract(
            TM,
            json!({ "customerId": "c-1", "phoneNumber": "5512345678", "messagePrefix": "Code" }),
        )
    };
    // Both orders of two clients, and the comma-joined form, are unauthorized.
    for req in [
        again(tm(), "client_id", "beta"),
        again(tm().header("client_id", "beta"), "client_id", "acme"),
        tm().header("client_id", "acme,beta"),
        again(tm(), "authorization", "beta-token"),
    ] {
        assert_eq!(fault(&h.call(req).await).0, 401);
    }
    for (name, value) in [
        ("sid", "a7d1e304-83a9-4413-af97-62615e57eae6"),
        ("uuid", "x"),
        ("countryCode", "US"),
        ("businessCode", "GCB"),
        ("channelId", "IVR"),
        ("Idempotency-Key", "k-1"),
    ] {
        let res = h.call(again(tm().header(name, value), name, value)).await;
        assert_eq!(fault(&res), (400, "invalidRequest", name), "{name}");
        let res = h.call(tm().header(name, &format!("{value},{value}"))).await;
        assert_eq!(fault(&res).0, 400, "{name} joined: {}", res.json);
    }
    // The Verify API and contacts: two bearer tokens, two keys.
    let send = || Req::post(SEND, json!({ "recipient": US }));
    let res = h
        .call(again(send(), "authorization", "Bearer beta-token"))
        .await;
    assert_eq!((res.status, error_code(&res)), (401, "UNAUTHORIZED"));
    let res = h.call(send().header("idempotency-key", "a,b")).await;
    assert!(names(&res, "Idempotency-Key"), "{}", res.json);
    let contacts = Req::post("/contacts/1/verification-keys", json!({ "channel": "Sms" }));
    let res = h
        .call(again(contacts, "authorization", "Bearer beta-token"))
        .await;
    assert_eq!(res.status, 401);
    assert!(
        h.outbox.messages().is_empty() && h.store.is_empty(),
        "nothing sent or written"
    );
}

#[tokio::test]
async fn api_gateway_joins_repeated_headers_with_commas_and_that_is_refused() {
    let h = Harness::new();
    let event = repo_file("events/telemarketing-generate.json");
    let ok = lambda_http::request::from_str(&event).unwrap();
    let res = reply(routes::TELEMARKETING_GENERATE.call(&h.app, ok).await);
    assert_eq!(res.status, 200, "the sample as it is: {}", res.json);
    let joined = event.replace("\"client_id\": \"local\"", "\"client_id\": \"local,acme\"");
    assert_ne!(joined, event);
    let req = lambda_http::request::from_str(&joined).unwrap();
    let res = reply(routes::TELEMARKETING_GENERATE.call(&h.app, req).await);
    assert_eq!(fault(&res).0, 401, "{}", res.json);
    assert_eq!(
        h.outbox.messages().len(),
        1,
        "only the sample as it is sent"
    );
}

/// A family's error form: which keys its body has.
fn form(res: &Reply) -> &'static str {
    if res.json["detail"].is_object() {
        "verify-api"
    } else if res.json["subCode"].is_string() && res.json["correlationId"].is_string() {
        "contacts"
    } else if res.json["uuid"].is_string() && res.json["moreInfo"].is_string() {
        "rao"
    } else if res.json["moreInfo"].is_string() {
        "telemarketing"
    } else {
        "none"
    }
}

fn family_of(path: &str) -> &'static str {
    match path {
        p if p.starts_with("/contacts") => "contacts",
        p if p.starts_with("/verify") || p.starts_with("/webhooks") => "verify-api",
        p if p.contains("tele-marketing") => "telemarketing",
        _ => "rao",
    }
}

/// A concrete path of a route pattern.
fn concrete(pattern: &str) -> String {
    pattern
        .replace("{contactId}", "1")
        .replace("{sessionId}", "s1")
        .replace("{key}", "123456")
        .replace("{otp_id}", "x")
}

#[tokio::test]
async fn every_route_answers_every_wrong_method_with_405_allow_in_its_family_form() {
    let h = Harness::new();
    let mut checked = 0;
    for route in ROUTES {
        for method in ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] {
            if method == route.method {
                continue;
            }
            let path = concrete(route.path);
            let mut req = Req::contract(&path, json!({}));
            req.method = method;
            let res = h.call(req).await;
            assert_eq!(res.status, 405, "{method} {path}");
            assert_eq!(res.headers["allow"], route.method, "{method} {path}");
            assert_eq!(
                form(&res),
                family_of(route.path),
                "{method} {path}: {}",
                res.json
            );
            checked += 1;
        }
    }
    assert_eq!(checked, ROUTES.len() * 6);
}

#[tokio::test]
async fn an_oversized_body_is_413_in_the_family_form_and_an_unknown_path_one_neutral_404() {
    let h = Harness::new();
    let big = format!("{{\"x\": \"{}\"}}", "a".repeat(9 * 1024));
    for route in ROUTES.iter().filter(|r| r.method == "POST") {
        let path = concrete(route.path);
        let res = h
            .call(Req::contract(&path, json!({})).raw_body(big.clone()))
            .await;
        assert_eq!(res.status, 413, "{path}: {}", res.json);
        assert_eq!(form(&res), family_of(route.path), "{path}: {}", res.json);
    }
    for path in [
        "/nowhere",
        "/verify/v1/otp/nothing",
        "/contacts",
        "/v1/x-global/security/rao",
    ] {
        let res = h.call(Req::get(path)).await;
        assert_eq!(
            (res.status, &res.json),
            (
                404,
                &json!({ "code": "NotFound", "message": "No such resource" })
            ),
            "{path}"
        );
    }
    assert!(h.outbox.messages().is_empty() && h.store.is_empty());
}

//! The local inbox: `GET /_local/` (a page embedded in this binary; no Lambda function links
//! it), every message the outbox holds as Server-Sent Events with its session's state
//! (`GET /_local/outbox/events`), an email's HTML alone for the page's sandboxed iframe
//! (`GET /_local/outbox/{n}/html`), and `POST /_local/outbox`, a message that belongs to no
//! session (to preview an email's HTML, say).

use crate::server::{reply, Reply};
use http_body_util::{BodyExt, Channel, Full};
use hyper::body::Bytes;
use hyper::header::HeaderValue;
use otp_core::adapters::outbox::Outbox;
use otp_core::domain::{Destination, Email, SessionKey, Status, E164};
use otp_core::ports::Message;
use otp_core::App;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

const PAGE: &str = include_str!("../inbox/index.html");
const SCRIPT: &str = include_str!("../inbox/inbox.js");
const STYLE: &str = include_str!("../inbox/inbox.css");

/// The page's own files only; email HTML only in a frame from this origin.
const PAGE_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; frame-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
/// An email's HTML: its inline styles and data images, no script, no request, a sandbox even
/// when opened outside the page's frame.
const EMAIL_POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox; frame-ancestors 'self'";

/// How often a connected page is told what changed.
const TICK: Duration = Duration::from_millis(100);
/// A comment line this often, so that a closed page is noticed and its stream ended.
const KEEP_ALIVE: Duration = Duration::from_secs(10);

/// Answers the inbox's paths; `None` for any other.
pub async fn handle(
    app: &'static App,
    outbox: &Arc<Outbox>,
    method: &str,
    path: &str,
    body: impl FnOnce() -> Option<Bytes>,
) -> Option<Reply> {
    Some(match (method, path) {
        ("GET", "/_local" | "/_local/") => file(PAGE, "text/html; charset=utf-8"),
        ("GET", "/_local/inbox.js") => file(SCRIPT, "text/javascript; charset=utf-8"),
        ("GET", "/_local/inbox.css") => file(STYLE, "text/css; charset=utf-8"),
        ("GET", "/_local/outbox/events") => events(app, outbox.clone()),
        ("GET", "/_local/outbox") => reply(
            200,
            serde_json::to_value(outbox.messages()).unwrap_or_default(),
        ),
        ("DELETE", "/_local/outbox") => {
            outbox.clear();
            reply(200, json!({ "cleared": true }))
        }
        ("POST", "/_local/outbox") => post(outbox, body()),
        (_, "/_local/outbox") => {
            let mut res = reply(
                405,
                json!({ "code": "MethodNotAllowed", "message": "Method not allowed on this resource" }),
            );
            (res.headers_mut()).insert("allow", HeaderValue::from_static("GET, POST, DELETE"));
            res
        }
        ("GET", _) => {
            let n = path
                .strip_prefix("/_local/outbox/")?
                .strip_suffix("/html")?
                .parse::<usize>()
                .ok()?;
            email_html(outbox, n)
        }
        _ => return None,
    })
}

fn secured(
    builder: hyper::http::response::Builder,
    policy: &str,
) -> hyper::http::response::Builder {
    builder
        .header("content-security-policy", policy)
        .header("x-content-type-options", "nosniff")
        .header("referrer-policy", "no-referrer")
        .header("cache-control", "no-store")
}

fn file(content: &'static str, kind: &str) -> Reply {
    secured(hyper::Response::builder(), PAGE_POLICY)
        .header("content-type", kind)
        .body(Full::new(Bytes::from_static(content.as_bytes())).boxed())
        .expect("static response parts are valid")
}

fn email_html(outbox: &Outbox, n: usize) -> Reply {
    let html = outbox.message(n).and_then(|m| m.html);
    let Some(html) = html else {
        return reply(
            404,
            json!({ "code": "NotFound", "message": "no email with HTML at this number" }),
        );
    };
    secured(hyper::Response::builder(), EMAIL_POLICY)
        .header("content-type", "text/html; charset=utf-8")
        .body(Full::new(Bytes::from(html)).boxed())
        .expect("static response parts are valid")
}

/// `{to, body, subject?, html?, sender_id?}`: kept as a message of no session (201, its number).
fn post(outbox: &Outbox, body: Option<Bytes>) -> Reply {
    let invalid = |field: &str, rule: &str| {
        reply(
            400,
            json!({ "code": "InvalidRequest", "field": field, "message": rule }),
        )
    };
    let Some(Ok(Value::Object(fields))) = body.map(|b| serde_json::from_slice::<Value>(&b)) else {
        return invalid("body", "must be a JSON object");
    };
    let text = |name: &str| fields.get(name).and_then(Value::as_str).map(str::to_string);
    let to = text("to").unwrap_or_default();
    let to = match Email::parse(&to) {
        Some(email) => Destination::Email(email),
        None => match E164::parse(&to) {
            Some(phone) => Destination::Phone(phone),
            None => return invalid("to", "must be an email address or an E.164 phone number"),
        },
    };
    let Some(body) = text("body").filter(|b| b.len() <= 64 * 1024) else {
        return invalid("body", "must be a string of at most 64 KiB");
    };
    let email = matches!(to, Destination::Email(_));
    let id = outbox.post(Message {
        to,
        subject: text("subject").filter(|_| email),
        body,
        html: text("html").filter(|_| email),
        sender_id: text("sender_id").filter(|_| !email),
        about: None,
    });
    reply(201, json!({ "id": id }))
}

/// The page's view of the `n`-th message.
fn view(n: usize, m: &Message) -> Value {
    let about = m.about.as_ref();
    let parts = about.and_then(|a| a.session.parts());
    let code = about.and_then(|a| a.code_at.clone()).and_then(|at| {
        Some(json!({
            "before": m.body.get(..at.start)?,
            "code": m.body.get(at.clone())?,
            "after": m.body.get(at.end..)?,
        }))
    });
    json!({
        "id": n,
        "channel": m.channel().as_str(),
        "to": m.to.as_str(),
        "sender_id": m.sender_id,
        "subject": m.subject,
        "body": m.body,
        "html": m.html.is_some(),
        "code": code,
        "family": parts.as_ref().map_or("posted", |(family, _, _)| family.name()),
        "client": parts.as_ref().map(|(_, client, _)| client),
        "encoding": about.and_then(|a| a.sms).map(|s| s.encoding.as_str()),
        "segments": about.and_then(|a| a.sms).map(|s| s.segments),
        "sent_at": about.map(|a| a.sent_at * 1000),
        "test": about.is_some_and(|a| a.test),
        "session": about.map(|a| a.session.as_str()),
    })
}

async fn state(app: &App, key: &SessionKey) -> &'static str {
    match app.sessions.get(key).await {
        Ok(Some(session)) => match session.status(app.clock.now()) {
            Status::Pending => "pending",
            Status::Verified => "verified",
            Status::Expired => "expired",
            Status::AttemptsExhausted => "locked",
            Status::Undeliverable => "undeliverable",
        },
        Ok(None) => "gone",
        Err(_) => "unknown",
    }
}

fn event(name: &str, data: &Value) -> String {
    format!("event: {name}\ndata: {data}\n\n")
}

fn events(app: &'static App, outbox: Arc<Outbox>) -> Reply {
    let (mut tx, body) = Channel::<Bytes>::new(16);
    tokio::spawn(async move {
        let mut generation = None;
        // Each session of the messages sent to this page, and the state it was last shown.
        let (mut next, mut sessions) = (0, Vec::<(SessionKey, Option<&'static str>)>::new());
        let mut quiet = Duration::ZERO;
        let mut tick = tokio::time::interval(TICK);
        loop {
            tick.tick().await;
            let mut out = String::new();
            let (now, from, new) = outbox.since(generation.unwrap_or(u64::MAX), next);
            if generation != Some(now) {
                // A new page, or the outbox was cleared: it starts again from the first message.
                out.push_str(&event("reset", &json!({})));
                (generation, sessions) = (Some(now), Vec::new());
            }
            for (i, m) in new.iter().enumerate() {
                out.push_str(&event("delivered", &view(from + i, m)));
                let key = m.about.as_ref().map(|a| &a.session);
                if let Some(key) = key.filter(|k| sessions.iter().all(|(s, _)| s != *k)) {
                    sessions.push((key.clone(), None));
                }
            }
            next = from + new.len();
            for (key, shown) in &mut sessions {
                let state = state(app, key).await;
                if shown.replace(state) != Some(state) {
                    out.push_str(&event(
                        "state",
                        &json!({ "session": key.as_str(), "state": state }),
                    ));
                }
            }
            quiet = if out.is_empty() {
                quiet + TICK
            } else {
                Duration::ZERO
            };
            if quiet >= KEEP_ALIVE {
                (out, quiet) = (": still here\n\n".to_string(), Duration::ZERO);
            }
            if !out.is_empty() && tx.send_data(Bytes::from(out)).await.is_err() {
                return; // the page is gone
            }
        }
    });
    secured(hyper::Response::builder(), PAGE_POLICY)
        .header("content-type", "text/event-stream")
        .body(body.boxed())
        .expect("static response parts are valid")
}

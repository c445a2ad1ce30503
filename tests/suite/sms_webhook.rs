//! The signed SMS webhook as the functions send it: through the AWS SDK's connector
//! (`otp_aws::webhook::SdkTransport`), over real HTTP to a relay on 127.0.0.1 that checks the
//! Standard Webhooks signature as a relay would.

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use otp_aws::webhook::SdkTransport;
use otp_core::adapters::webhook::{Endpoints, WebhookSms};
use otp_core::domain::webhook_signature::verify;
use otp_core::domain::{Destination, Family, SessionKey, E164};
use otp_core::ports::{About, Message, Sender};
use std::sync::{Arc, Mutex};

const KEY: [u8; 32] = [9; 32];

/// What the relay received: its headers (lower case) and body.
type Received = Arc<Mutex<Vec<(hyper::HeaderMap, String)>>>;

/// A relay answering `status` and `{"message_id":"p-9"}` to every POST; its URL.
async fn relay(status: u16) -> (String, Received) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/sms", listener.local_addr().unwrap());
    let received: Received = Arc::default();
    let seen = received.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let seen = seen.clone();
            let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                let seen = seen.clone();
                async move {
                    let (parts, body) = req.into_parts();
                    let body = body.collect().await.unwrap().to_bytes();
                    let body = String::from_utf8(body.to_vec()).unwrap();
                    seen.lock().unwrap().push((parts.headers, body));
                    let answer = Full::new(Bytes::from_static(br#"{"message_id":"p-9"}"#));
                    let mut res = hyper::Response::new(answer);
                    *res.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
                    Ok::<_, std::convert::Infallible>(res)
                }
            });
            tokio::spawn(http1::Builder::new().serve_connection(TokioIo::new(stream), service));
        }
    });
    (url, received)
}

fn hook(url: &str) -> WebhookSms {
    let url: hyper::Uri = url.parse().unwrap();
    let urls: Endpoints = Box::new(move |_| Some(url.clone()));
    WebhookSms::new(urls, KEY.to_vec(), Arc::new(SdkTransport::new()), None)
}

fn sms() -> Message {
    Message {
        to: Destination::Phone(E164::parse("+12025550123").unwrap()),
        subject: None,
        body: "Your code is 123456".into(),
        html: None,
        sender_id: None,
        about: Some(About {
            session: SessionKey::new(Family::VerifyApi, "acme", &["s-1"]),
            code_at: Some(13..19),
            test: false,
            sms: None,
            sent_at: 0,
            expires_at: 600,
        }),
    }
}

#[tokio::test]
async fn a_relay_gets_a_signed_message_through_the_sdk_connector() {
    let (url, received) = relay(200).await;
    let sent = hook(&url).send(&sms()).await.unwrap();
    let received = received.lock().unwrap();
    assert_eq!(received.len(), 1);
    let (headers, body) = &received[0];
    let header = |name: &str| headers[name].to_str().unwrap().to_string();
    let id = header("webhook-id");
    assert_eq!(sent.message_id, Some(format!("webhook:{id}")));
    let at: i64 = header("webhook-timestamp").parse().unwrap();
    assert!(verify(
        &KEY,
        &id,
        at,
        body.as_bytes(),
        &header("webhook-signature"),
        at
    ));
    assert!(!verify(
        &[1; 32],
        &id,
        at,
        body.as_bytes(),
        &header("webhook-signature"),
        at
    ));
    assert_eq!(header("content-type"), "application/json");
    assert_eq!(
        header("host"),
        url.trim_start_matches("http://").trim_end_matches("/sms")
    );
    let payload: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(payload["to"], "+12025550123");
    assert_eq!(payload["body"], "Your code is 123456");
    assert_eq!(payload["session"], "s-1");
}

#[tokio::test]
async fn a_failing_relay_is_tried_three_times_and_a_closed_port_fails_the_send() {
    let (url, received) = relay(503).await;
    let failed = hook(&url).send(&sms()).await.unwrap_err();
    assert_eq!(failed.reason, "the webhook answered 503");
    assert_eq!(received.lock().unwrap().len(), 3);
    let closed = hook("http://127.0.0.1:9/sms")
        .send(&sms())
        .await
        .unwrap_err();
    assert!(
        closed.reason.contains("could not be reached"),
        "{}",
        closed.reason
    );
}

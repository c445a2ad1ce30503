//! SMS handed to the operator's own endpoint instead of SNS (`OTP_SMS_WEBHOOK_URL`, global or
//! per client), which relays them through any provider. Each request is signed per the
//! Standard Webhooks spec (`webhook-id`, `webhook-timestamp`, `webhook-signature`:
//! HMAC-SHA256 over `id.timestamp.body`); retries are bounded and carry the same
//! `webhook-id`, so the endpoint can drop duplicates. Messages of clients without a URL,
//! emails and test recipients' messages go to `other`.

use crate::domain::code::random_hex_id;
use crate::domain::webhook_signature::sign;
use crate::domain::Channel;
use crate::ports::{Clock, DeliveryError, Message, Sender, Sent, SystemClock};
use async_trait::async_trait;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};

/// Attempts per message, each within `ATTEMPT_TIMEOUT`, `BACKOFF` doubling between them: at
/// most about 6.6 s, inside the functions' 10 s timeout.
const ATTEMPTS: u32 = 3;
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(2);
const BACKOFF: Duration = Duration::from_millis(200);

/// A connection, TLS or not.
trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

/// A client's endpoint, if it has one.
pub type Endpoints = Box<dyn Fn(&str) -> Option<hyper::Uri> + Send + Sync>;

pub struct WebhookSms {
    urls: Endpoints,
    /// The secret's bytes (the spec's `whsec_` form decoded).
    key: Vec<u8>,
    tls: tokio_rustls::TlsConnector,
    other: Option<Arc<dyn Sender>>,
}

impl WebhookSms {
    pub fn new(
        urls: Endpoints,
        key: Vec<u8>,
        other: Option<Arc<dyn Sender>>,
    ) -> Result<WebhookSms, String> {
        let mut roots = rustls::RootCertStore::empty();
        roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS for the SMS webhook: {e}"))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(WebhookSms {
            urls,
            key,
            tls: tokio_rustls::TlsConnector::from(Arc::new(tls)),
            other,
        })
    }

    /// One request on its own connection (a message is one call per invocation: no pool),
    /// through one code path for TLS and plain TCP.
    async fn exchange(
        &self,
        url: &hyper::Uri,
        request: hyper::Request<Full<Bytes>>,
    ) -> Result<(hyper::StatusCode, Bytes), String> {
        let host = url.host().ok_or("the URL has no host")?;
        let https = url.scheme_str() == Some("https");
        let port = url.port_u16().unwrap_or(if https { 443 } else { 80 });
        let tcp = tokio::net::TcpStream::connect((host, port))
            .await
            .map_err(|e| e.to_string())?;
        let io: Box<dyn Io> = if https {
            let name = rustls::pki_types::ServerName::try_from(host.to_string())
                .map_err(|e| e.to_string())?;
            Box::new(
                self.tls
                    .connect(name, tcp)
                    .await
                    .map_err(|e| e.to_string())?,
            )
        } else {
            Box::new(tcp)
        };
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(io))
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(connection);
        let res = sender
            .send_request(request)
            .await
            .map_err(|e| e.to_string())?;
        let status = res.status();
        let body = res.into_body().collect().await.map_err(|e| e.to_string())?;
        Ok((status, body.to_bytes()))
    }

    /// Posts `message`; what it sent is named by its `webhook-id`, which a receipt gives back.
    async fn post(&self, url: hyper::Uri, message: &Message) -> Result<Sent, DeliveryError> {
        let fail = |reason: String| DeliveryError {
            channel: Channel::Sms,
            reason,
        };
        let id = format!("msg_{}", random_hex_id().map_err(|e| fail(e.to_string()))?);
        let body = payload(&id, message).to_string();
        let path = url.path_and_query().map_or("/", |p| p.as_str());
        let host = url.authority().map_or("", |a| a.as_str());
        let mut last = String::new();
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(BACKOFF * 2u32.pow(attempt - 1)).await;
            }
            let timestamp = SystemClock.now();
            let request = hyper::Request::post(path)
                .header("host", host)
                .header("content-type", "application/json")
                .header("webhook-id", &id)
                .header("webhook-timestamp", timestamp.to_string())
                .header("webhook-signature", sign(&self.key, &id, timestamp, &body))
                .body(Full::new(Bytes::from(body.clone())))
                .map_err(|e| fail(e.to_string()))?;
            let answer = tokio::time::timeout(ATTEMPT_TIMEOUT, self.exchange(&url, request)).await;
            let status = match answer {
                Ok(Ok((status, reply))) if status.is_success() => {
                    let reply: serde_json::Value =
                        serde_json::from_slice(&reply).unwrap_or_default();
                    let provider_id = reply["message_id"].as_str().unwrap_or_default();
                    tracing::info!(webhook_id = %id, attempt, provider_id, "SMS handed to the webhook");
                    return Ok(Sent {
                        message_id: Some(format!("webhook:{id}")),
                    });
                }
                Ok(Ok((status, _))) => status,
                Ok(Err(e)) => {
                    last = format!("the webhook could not be reached: {e}");
                    continue;
                }
                Err(_) => {
                    last = format!("the webhook did not answer within {ATTEMPT_TIMEOUT:?}");
                    continue;
                }
            };
            last = format!("the webhook answered {status}");
            // A refusal is final (retrying would be refused again), except for timeouts and
            // rate limits.
            if status.is_client_error() && ![408, 429].contains(&status.as_u16()) {
                break;
            }
        }
        tracing::warn!(webhook_id = %id, reason = %last, "SMS webhook failed");
        Err(fail(last))
    }
}

#[async_trait]
impl Sender for WebhookSms {
    async fn send(&self, message: &Message) -> Result<Sent, DeliveryError> {
        let about = message.about.as_ref();
        let client = about
            .and_then(|a| a.session.parts())
            .map(|(_, client, _)| client);
        let relayed = message.channel() == Channel::Sms && !about.is_some_and(|a| a.test);
        match client.and_then(|c| (self.urls)(&c)).filter(|_| relayed) {
            Some(url) => self.post(url, message).await,
            None => match &self.other {
                Some(other) => other.send(message).await,
                None => Err(DeliveryError {
                    channel: message.channel(),
                    reason: "no sender for this message".into(),
                }),
            },
        }
    }

    fn keeps_test_messages(&self) -> bool {
        self.other.as_ref().is_some_and(|o| o.keeps_test_messages())
    }
}

/// `{id, to, body, channel, family, client, session, expires_at}`.
fn payload(id: &str, message: &Message) -> serde_json::Value {
    let about = message.about.as_ref();
    let parts = about.and_then(|a| a.session.parts());
    serde_json::json!({
        "id": id,
        "to": message.to.as_str(),
        "body": message.body,
        "channel": message.channel().as_str(),
        "family": parts.as_ref().map(|(family, _, _)| family.name()),
        "client": parts.as_ref().map(|(_, client, _)| client),
        "session": parts.as_ref().map(|(_, _, session)| session),
        "expires_at": about.map(|a| a.expires_at),
        "sender_id": message.sender_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::outbox::Outbox;
    use crate::domain::{Destination, Email, Family, SessionKey, E164};
    use crate::ports::About;

    fn message(client: &str, to: Destination, test: bool) -> Message {
        Message {
            to,
            subject: None,
            body: "Your code is 123456".into(),
            html: None,
            sender_id: None,
            about: Some(About {
                session: SessionKey::new(Family::VerifyApi, client, &["s-1"]),
                code_at: Some(13..19),
                test,
                sms: None,
                sent_at: 0,
                expires_at: 600,
            }),
        }
    }

    /// Only a real SMS of a client with a URL is posted (here to a closed port, so posting
    /// fails); every other message goes to the other sender.
    #[tokio::test]
    async fn only_sms_of_clients_with_a_url_reach_the_webhook() {
        let outbox = Arc::new(Outbox::default());
        let urls: Endpoints = Box::new(|client| {
            (client == "acme").then(|| "http://127.0.0.1:9/sms".parse().unwrap())
        });
        let hook = WebhookSms::new(urls, vec![7; 24], Some(outbox.clone())).unwrap();
        let phone = || Destination::Phone(E164::parse("+12025550123").unwrap());
        let email = Destination::Email(Email::parse("ana@example.com").unwrap());
        hook.send(&message("beta", phone(), false)).await.unwrap();
        hook.send(&message("acme", email, false)).await.unwrap();
        hook.send(&message("acme", phone(), true)).await.unwrap();
        assert_eq!(outbox.messages().len(), 3);
        let posted = hook.send(&message("acme", phone(), false)).await;
        assert!(posted.unwrap_err().reason.contains("could not be reached"));
        assert_eq!(outbox.messages().len(), 3);
    }
}

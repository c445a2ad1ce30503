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
use lambda_http::http::Uri;
use std::sync::Arc;
use std::time::Duration;

/// Attempts per message, each within `ATTEMPT_TIMEOUT`, `BACKOFF` doubling between them: at
/// most about 6.6 s, inside the functions' 10 s timeout.
const ATTEMPTS: u32 = 3;
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(2);
const BACKOFF: Duration = Duration::from_millis(200);

/// A client's endpoint, if it has one.
pub type Endpoints = Box<dyn Fn(&str) -> Option<Uri> + Send + Sync>;

/// The endpoint's status and body, or why there was none.
pub type Answer = Result<(u16, Vec<u8>), String>;

/// One HTTP POST to the endpoint, on the client the wiring already links: the AWS SDK's in
/// the functions (no second HTTP stack in a binary), hyper's in the local server.
#[async_trait]
pub trait Transport: Send + Sync {
    async fn post(&self, url: &Uri, headers: &[(&'static str, String)], body: String) -> Answer;
}

pub struct WebhookSms {
    urls: Endpoints,
    /// The secret's bytes (the spec's `whsec_` form decoded).
    key: Vec<u8>,
    transport: Arc<dyn Transport>,
    other: Option<Arc<dyn Sender>>,
}

impl WebhookSms {
    pub fn new(
        urls: Endpoints,
        key: Vec<u8>,
        transport: Arc<dyn Transport>,
        other: Option<Arc<dyn Sender>>,
    ) -> WebhookSms {
        WebhookSms {
            urls,
            key,
            transport,
            other,
        }
    }

    /// Posts `message`; what it sent is named by its `webhook-id`, which a receipt gives back.
    async fn post(&self, url: Uri, message: &Message) -> Result<Sent, DeliveryError> {
        let fail = |reason: String| DeliveryError {
            channel: Channel::Sms,
            reason,
        };
        let id = format!("msg_{}", random_hex_id().map_err(|e| fail(e.to_string()))?);
        let body = payload(&id, message).to_string();
        let mut last = String::new();
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(BACKOFF * 2u32.pow(attempt - 1)).await;
            }
            let timestamp = SystemClock.now();
            let headers = [
                ("content-type", "application/json".to_string()),
                ("webhook-id", id.clone()),
                ("webhook-timestamp", timestamp.to_string()),
                ("webhook-signature", sign(&self.key, &id, timestamp, &body)),
            ];
            let answer = self.transport.post(&url, &headers, body.clone());
            let status = match tokio::time::timeout(ATTEMPT_TIMEOUT, answer).await {
                Ok(Ok((status, reply))) if (200..300).contains(&status) => {
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
            if (400..500).contains(&status) && ![408, 429].contains(&status) {
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
    use crate::domain::webhook_signature::verify;
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

    /// A request's URL, headers and body.
    type Posted = (String, Vec<(&'static str, String)>, String);

    /// Answers from a script, and keeps what it was sent.
    #[derive(Default)]
    struct Relay {
        answers: std::sync::Mutex<Vec<Answer>>,
        posted: std::sync::Mutex<Vec<Posted>>,
    }

    #[async_trait]
    impl Transport for Relay {
        async fn post(
            &self,
            url: &Uri,
            headers: &[(&'static str, String)],
            body: String,
        ) -> Answer {
            let posted = (url.to_string(), headers.to_vec(), body);
            self.posted.lock().unwrap().push(posted);
            let mut answers = self.answers.lock().unwrap();
            match answers.is_empty() {
                true => Err("connection refused".into()),
                false => answers.remove(0),
            }
        }
    }

    const KEY: [u8; 24] = [7; 24];

    fn relay_answering(
        answers: Vec<Result<(u16, Vec<u8>), String>>,
    ) -> (WebhookSms, Arc<Relay>, Arc<Outbox>) {
        let outbox = Arc::new(Outbox::default());
        let relay = Arc::new(Relay {
            answers: std::sync::Mutex::new(answers),
            ..Relay::default()
        });
        let urls: Endpoints = Box::new(|client| {
            (client == "acme").then(|| "https://relay.example/sms".parse().unwrap())
        });
        let hook = WebhookSms::new(urls, KEY.to_vec(), relay.clone(), Some(outbox.clone()));
        (hook, relay, outbox)
    }

    fn phone() -> Destination {
        Destination::Phone(E164::parse("+12025550123").unwrap())
    }

    /// Only a real SMS of a client with a URL is posted; every other message goes to the other
    /// sender.
    #[tokio::test]
    async fn only_sms_of_clients_with_a_url_reach_the_webhook() {
        let (hook, relay, outbox) = relay_answering(vec![]);
        let email = Destination::Email(Email::parse("ana@example.com").unwrap());
        hook.send(&message("beta", phone(), false)).await.unwrap();
        hook.send(&message("acme", email, false)).await.unwrap();
        hook.send(&message("acme", phone(), true)).await.unwrap();
        assert_eq!(outbox.messages().len(), 3);
        assert!(relay.posted.lock().unwrap().is_empty());
        let posted = hook.send(&message("acme", phone(), false)).await;
        assert!(posted.unwrap_err().reason.contains("could not be reached"));
        assert_eq!(outbox.messages().len(), 3);
        assert_eq!(relay.posted.lock().unwrap().len(), ATTEMPTS as usize);
    }

    /// A relay that fails twice gets the same message, signed afresh, until it takes it; the
    /// receipt will name the `webhook-id`.
    #[tokio::test]
    async fn failures_are_retried_under_one_id_and_each_attempt_verifies() {
        let ok = Ok((202, br#"{"message_id":"p-1"}"#.to_vec()));
        let (hook, relay, _) = relay_answering(vec![Err("reset".into()), Ok((503, vec![])), ok]);
        let sent = hook.send(&message("acme", phone(), false)).await.unwrap();
        let posted = relay.posted.lock().unwrap();
        assert_eq!(posted.len(), 3);
        let id = |h: &[(&str, String)], name: &str| {
            h.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        let first = id(&posted[0].1, "webhook-id");
        assert_eq!(sent.message_id, Some(format!("webhook:{first}")));
        for (url, headers, body) in posted.iter() {
            assert_eq!(url, "https://relay.example/sms");
            assert_eq!(id(headers, "webhook-id"), first);
            let at: i64 = id(headers, "webhook-timestamp").parse().unwrap();
            let signature = id(headers, "webhook-signature");
            assert!(verify(&KEY, &first, at, body.as_bytes(), &signature, at));
            let payload: serde_json::Value = serde_json::from_str(body).unwrap();
            assert_eq!(payload["to"], "+12025550123");
            assert_eq!(payload["client"], "acme");
        }
    }

    /// A refusal is final, a rate limit is not.
    #[tokio::test]
    async fn a_refusal_is_not_retried_but_a_rate_limit_is() {
        let (hook, relay, _) = relay_answering(vec![Ok((400, vec![]))]);
        let refused = hook
            .send(&message("acme", phone(), false))
            .await
            .unwrap_err();
        assert_eq!(refused.reason, "the webhook answered 400");
        assert_eq!(relay.posted.lock().unwrap().len(), 1);
        let (hook, relay, _) = relay_answering(vec![Ok((429, vec![])), Ok((200, vec![]))]);
        hook.send(&message("acme", phone(), false)).await.unwrap();
        assert_eq!(relay.posted.lock().unwrap().len(), 2);
    }
}

//! Delivery through AWS: SMS by SNS `Publish` (transactional), email by SES `SendEmail`.
//!
//! At most once on the wire: a send whose answer is lost (a reset, a 500, a timeout) may have
//! gone out, and retrying it would send the message twice. So the delivery clients make one
//! attempt, and a send is retried only when AWS answered that it throttled it (then nothing
//! was sent). A lost answer fails the send: its code is killed and its counters refunded.

use async_trait::async_trait;
use aws_sdk_ses::types::{Body, Content, Destination, Message as SesMessage};
use aws_sdk_sns::types::MessageAttributeValue;
use otp_core::domain::Channel;
use otp_core::ports::{DeliveryError, Message, Sender, Sent};

/// Waits before retrying a throttled send.
const THROTTLED_WAITS_MS: [u64; 2] = [100, 300];

/// `sdk` without retries, for a delivery client (see the module's doc).
fn once(sdk: &aws_config::SdkConfig) -> aws_config::SdkConfig {
    sdk.to_builder()
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .build()
}

/// Runs `call` until it is not throttled, `THROTTLED_WAITS_MS` allowing.
async fn unless_throttled<T, E, R, Fut>(
    mut call: impl FnMut() -> Fut,
) -> Result<T, aws_sdk_sns::error::SdkError<E, R>>
where
    Fut: std::future::Future<Output = Result<T, aws_sdk_sns::error::SdkError<E, R>>>,
    E: aws_sdk_sns::error::ProvideErrorMetadata,
{
    for wait in THROTTLED_WAITS_MS {
        match call().await {
            Err(e)
                if e.as_service_error()
                    .and_then(|s| s.code())
                    .is_some_and(throttled) =>
            {
                tokio::time::sleep(std::time::Duration::from_millis(wait)).await
            }
            other => return other,
        }
    }
    call().await
}

/// Error codes that say AWS refused the request unserved because of its rate.
fn throttled(code: &str) -> bool {
    matches!(
        code,
        "Throttling" | "ThrottlingException" | "ThrottledException" | "TooManyRequestsException"
    )
}

/// SMS through SNS.
pub struct SnsSms {
    client: aws_sdk_sns::Client,
    /// Default sender id when the message carries none.
    sender_id: Option<String>,
}

impl SnsSms {
    pub fn new(sdk: &aws_config::SdkConfig, sender_id: Option<String>) -> Self {
        let client = aws_sdk_sns::Client::new(&once(sdk));
        SnsSms { client, sender_id }
    }
}

fn attribute(value: &str) -> Result<MessageAttributeValue, DeliveryError> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .map_err(|e| DeliveryError {
            channel: Channel::Sms,
            reason: e.to_string(),
        })
}

#[async_trait]
impl Sender for SnsSms {
    async fn send(&self, message: &Message) -> Result<Sent, DeliveryError> {
        let mut publish = self
            .client
            .publish()
            .phone_number(message.to.as_str())
            .message(&message.body)
            .message_attributes("AWS.SNS.SMS.SMSType", attribute("Transactional")?);
        // Numeric originators are not sender ids: SNS then uses the account's origination number.
        let sender_id = [&message.sender_id, &self.sender_id]
            .into_iter()
            .flatten()
            .find(|id| valid_sender_id(id));
        if let Some(id) = sender_id {
            publish = publish.message_attributes("AWS.SNS.SMS.SenderID", attribute(id)?);
        }
        unless_throttled(|| publish.clone().send())
            .await
            .map(|out| Sent {
                message_id: out.message_id.map(|id| format!("sns:{id}")),
            })
            .map_err(|e| DeliveryError {
                channel: Channel::Sms,
                reason: aws_sdk_sns::error::DisplayErrorContext(e).to_string(),
            })
    }
}

/// SNS accepts 1–11 letters and digits, at least one letter, as a sender id.
pub fn valid_sender_id(id: &str) -> bool {
    (1..=11).contains(&id.len())
        && id.chars().all(|c| c.is_ascii_alphanumeric())
        && id.chars().any(|c| c.is_ascii_alphabetic())
}

/// Email through SES (subject, text and HTML bodies).
pub struct SesEmail {
    client: aws_sdk_ses::Client,
    from: String,
    configuration_set: Option<String>,
}

impl SesEmail {
    pub fn new(sdk: &aws_config::SdkConfig, from: impl Into<String>) -> Self {
        SesEmail {
            client: aws_sdk_ses::Client::new(&once(sdk)),
            from: from.into(),
            configuration_set: None,
        }
    }

    /// Sends through configuration set `name`, whose event destination reports each email's
    /// delivery, bounce or complaint.
    pub fn with_configuration_set(self, name: Option<String>) -> Self {
        SesEmail {
            configuration_set: name,
            ..self
        }
    }
}

#[async_trait]
impl Sender for SesEmail {
    async fn send(&self, message: &Message) -> Result<Sent, DeliveryError> {
        let fail = |reason: String| DeliveryError {
            channel: Channel::Email,
            reason,
        };
        let content = |text: &str| {
            Content::builder()
                .data(text)
                .charset("UTF-8")
                .build()
                .map_err(|e| fail(e.to_string()))
        };
        let mut body = Body::builder().text(content(&message.body)?);
        if let Some(html) = &message.html {
            body = body.html(content(html)?);
        }
        let email = SesMessage::builder()
            .subject(content(message.subject.as_deref().unwrap_or_default())?)
            .body(body.build())
            .build();
        let send = self
            .client
            .send_email()
            .source(&self.from)
            .destination(
                Destination::builder()
                    .to_addresses(message.to.as_str())
                    .build(),
            )
            .message(email)
            .set_configuration_set_name(self.configuration_set.clone());
        unless_throttled(|| send.clone().send())
            .await
            .map(|out| Sent {
                message_id: Some(format!("ses:{}", out.message_id)),
            })
            .map_err(|e| fail(aws_sdk_ses::error::DisplayErrorContext(e).to_string()))
    }
}

/// Routes each message to the sender of its channel.
pub struct ByChannel {
    pub sms: std::sync::Arc<dyn Sender>,
    pub email: std::sync::Arc<dyn Sender>,
}

#[async_trait]
impl Sender for ByChannel {
    async fn send(&self, message: &Message) -> Result<Sent, DeliveryError> {
        match message.channel() {
            Channel::Sms => self.sms.send(message).await,
            Channel::Email => self.email.send(message).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::valid_sender_id;

    #[test]
    fn only_alphanumeric_sender_ids_with_a_letter_reach_sns() {
        assert!(valid_sender_id("SignOTP"));
        assert!(valid_sender_id("ACME2"));
        for bad in ["", "+971501234567", "12345", "ACME Bank", "TooLongSenderId"] {
            assert!(!valid_sender_id(bad), "{bad}");
        }
    }
}

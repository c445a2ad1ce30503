//! Delivery through AWS: SMS by SNS `Publish` (transactional), email by SES `SendEmail`.

use async_trait::async_trait;
use aws_sdk_ses::types::{Body, Content, Destination, Message as SesMessage};
use aws_sdk_sns::types::MessageAttributeValue;
use otp_core::domain::Channel;
use otp_core::ports::{DeliveryError, Message, Sender};

/// SMS through SNS.
pub struct SnsSms {
    client: aws_sdk_sns::Client,
    /// Default sender id when the message carries none.
    sender_id: Option<String>,
}

impl SnsSms {
    pub fn new(client: aws_sdk_sns::Client, sender_id: Option<String>) -> Self {
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
    async fn send(&self, message: &Message) -> Result<(), DeliveryError> {
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
        publish.send().await.map(|_| ()).map_err(|e| DeliveryError {
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
}

impl SesEmail {
    pub fn new(client: aws_sdk_ses::Client, from: impl Into<String>) -> Self {
        SesEmail {
            client,
            from: from.into(),
        }
    }
}

#[async_trait]
impl Sender for SesEmail {
    async fn send(&self, message: &Message) -> Result<(), DeliveryError> {
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
        self.client
            .send_email()
            .source(&self.from)
            .destination(
                Destination::builder()
                    .to_addresses(message.to.as_str())
                    .build(),
            )
            .message(email)
            .send()
            .await
            .map(|_| ())
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
    async fn send(&self, message: &Message) -> Result<(), DeliveryError> {
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

//! Email delivery receipts from SES: its configuration set publishes `Delivery`, `Bounce` and
//! `Complaint` events to EventBridge's default bus, whose rule invokes `session-events`. Each
//! is recorded on the session whose send it reports (`App::record_receipt`, by the SES message
//! id); a hard bounce or a complaint also suppresses the address for sends.

use crate::stream::ConsumeError;
use aws_sdk_eventbridge::primitives::{DateTime, DateTimeFormat};
use otp_core::domain::receipt::Outcome;
use otp_core::domain::Receipt;
use otp_core::App;
use serde::Deserialize;
use serde_json::Value;

/// Whether a `session-events` invocation is an SES event from EventBridge.
pub fn is_ses_event(payload: &Value) -> bool {
    payload["source"] == "aws.ses"
}

/// An SES event record (the EventBridge event's `detail`), as SES documents it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Record {
    event_type: String,
    mail: Mail,
    bounce: Option<Bounce>,
    complaint: Option<Complaint>,
    delivery: Option<Delivery>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Mail {
    message_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Bounce {
    bounce_type: String,
    bounce_sub_type: String,
    bounced_recipients: Vec<Recipient>,
    timestamp: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Complaint {
    complained_recipients: Vec<Recipient>,
    timestamp: String,
    complaint_feedback_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Delivery {
    timestamp: String,
    smtp_response: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Recipient {
    email_address: String,
}

/// What one SES event says: the message id (as `SesEmail` qualifies it), the receipt, and
/// the addresses to suppress with why.
pub struct EmailEvent {
    pub message_id: String,
    pub receipt: Receipt,
    pub suppress: Vec<String>,
}

/// The receipt of an SES event; `None` for event types other than the three.
pub fn email_event(detail: &Value) -> Result<Option<EmailEvent>, ConsumeError> {
    let record = Record::deserialize(detail).map_err(|source| ConsumeError::Malformed {
        what: "SES event",
        source,
    })?;
    let seconds = |t: &str| {
        DateTime::from_str(t, DateTimeFormat::DateTimeWithOffset)
            .map(|d| d.secs())
            .unwrap_or_default()
    };
    let addresses = |r: &[Recipient]| r.iter().map(|r| r.email_address.clone()).collect();
    let Record {
        event_type,
        mail,
        bounce,
        complaint,
        delivery,
    } = record;
    let (outcome, reason, at, suppress) = match (event_type.as_str(), delivery, bounce, complaint) {
        ("Delivery", Some(d), _, _) => (
            Outcome::Delivered,
            d.smtp_response,
            seconds(&d.timestamp),
            Vec::new(),
        ),
        ("Bounce", _, Some(b), _) => {
            // Only a permanent bounce says the address is dead; a transient one may pass.
            let suppress = match b.bounce_type.as_str() {
                "Permanent" => addresses(&b.bounced_recipients),
                _ => Vec::new(),
            };
            let reason = format!("bounce: {}/{}", b.bounce_type, b.bounce_sub_type);
            (
                Outcome::Failed,
                Some(reason),
                seconds(&b.timestamp),
                suppress,
            )
        }
        ("Complaint", _, _, Some(c)) => {
            let kind = c
                .complaint_feedback_type
                .as_deref()
                .unwrap_or("unspecified");
            let reason = format!("complaint: {kind}");
            let suppress = addresses(&c.complained_recipients);
            (
                Outcome::Complained,
                Some(reason),
                seconds(&c.timestamp),
                suppress,
            )
        }
        _ => return Ok(None),
    };
    Ok(Some(EmailEvent {
        message_id: format!("ses:{}", mail.message_id),
        receipt: Receipt {
            outcome,
            reason,
            at,
            price_micro_usd: None,
            dwell_ms: None,
        },
        suppress,
    }))
}

/// Records one SES event from EventBridge; a store fault fails the invocation, which
/// EventBridge retries.
pub async fn handle(app: &App, payload: &Value) -> Result<(), ConsumeError> {
    let Some(event) = email_event(&payload["detail"])? else {
        tracing::info!(detail_type = %payload["detail-type"], "SES event of no interest: skipped");
        return Ok(());
    };
    let store = |e: otp_core::service::ServiceError| ConsumeError::Store(e.to_string());
    let reason = event.receipt.reason.clone().unwrap_or_default();
    let at = event.receipt.at;
    app.record_receipt(&event.message_id, event.receipt)
        .await
        .map_err(store)?;
    // Suppressed whether or not the message was this service's: the address is dead to SES.
    for address in event.suppress {
        app.suppress_email(&address, &reason, at)
            .await
            .map_err(store)?;
    }
    Ok(())
}

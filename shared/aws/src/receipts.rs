//! SMS delivery receipts from SNS's delivery status logs. With delivery status logging on (the
//! template sets the account's SMS attributes), SNS writes each SMS's carrier outcome to the
//! log groups `sns/<region>/<account>/DirectPublishToPhoneNumber` (and `…/Failure`); their
//! subscription filters deliver the lines to `session-events`, which records each on the
//! session whose send published it (`App::record_receipt`, by the `Publish` message id).

use crate::stream::ConsumeError;
use aws_lambda_events::event::cloudwatch_logs::LogsEvent;
use otp_core::domain::receipt::{micro_usd, Outcome};
use otp_core::domain::Receipt;
use otp_core::App;
use serde::Deserialize;

/// Whether a log subscription's batch comes from SNS's SMS delivery status logs.
pub fn is_sms_delivery_log(logs: &LogsEvent) -> bool {
    logs.aws_logs
        .data
        .log_group
        .contains("/DirectPublishToPhoneNumber")
}

/// Records the receipts of a batch; a store fault fails the invocation, which Lambda retries
/// (recording a receipt twice changes nothing).
pub async fn handle(app: &App, logs: &LogsEvent) -> Result<(), ConsumeError> {
    for line in &logs.aws_logs.data.log_events {
        let Some((message_id, receipt)) = sms_receipt(&line.message, line.timestamp) else {
            tracing::warn!("not an SMS delivery status line: skipped");
            continue;
        };
        app.record_receipt(&message_id, receipt)
            .await
            .map_err(|e| ConsumeError::Store(e.to_string()))?;
    }
    Ok(())
}

/// One line of the delivery status log, as SNS documents it.
#[derive(Deserialize)]
struct StatusLine {
    notification: Notification,
    #[serde(default)]
    delivery: Delivery,
    status: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Notification {
    message_id: String,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Delivery {
    provider_response: Option<String>,
    #[serde(rename = "priceInUSD")]
    price_in_usd: Option<f64>,
    dwell_time_ms: Option<u64>,
}

/// The message id (as `SnsSms` qualifies it) and receipt of one log line.
pub fn sms_receipt(message: &str, timestamp_ms: i64) -> Option<(String, Receipt)> {
    let line: StatusLine = serde_json::from_str(message.trim()).ok()?;
    let outcome = match line.status.as_str() {
        "SUCCESS" => Outcome::Delivered,
        "FAILURE" => Outcome::Failed,
        _ => return None,
    };
    let receipt = Receipt {
        outcome,
        reason: line.delivery.provider_response,
        at: timestamp_ms.div_euclid(1000),
        price_micro_usd: line.delivery.price_in_usd.and_then(micro_usd),
        dwell_ms: line.delivery.dwell_time_ms,
    };
    Some((format!("sns:{}", line.notification.message_id), receipt))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The failure line of the SNS documentation.
    const FAILURE: &str = r#"{"notification":{"messageId":"1077257a-92f3-5ca3-bc97-6a915b310625","timestamp":"2016-06-28 00:40:34.559"},"delivery":{"mnc":0,"destination":"+1XXX5550100","priceInUSD":0.00645,"smsType":"Transactional","mcc":0,"providerResponse":"Unknown error attempting to reach phone","dwellTimeMs":1420,"dwellTimeMsUntilDeviceAck":1692},"status":"FAILURE"}"#;

    #[test]
    fn a_documented_failure_line_is_a_failed_receipt() {
        let (id, r) = sms_receipt(FAILURE, 1_467_074_435_000).unwrap();
        assert_eq!(id, "sns:1077257a-92f3-5ca3-bc97-6a915b310625");
        assert_eq!(r.outcome, Outcome::Failed);
        assert_eq!(
            r.reason.as_deref(),
            Some("Unknown error attempting to reach phone")
        );
        assert_eq!(
            (r.at, r.price_micro_usd, r.dwell_ms),
            (1_467_074_435, Some(6450), Some(1420))
        );
        assert!(sms_receipt("START RequestId: 1", 0).is_none());
        assert!(sms_receipt(&FAILURE.replace("FAILURE", "PENDING"), 0).is_none());
    }
}

//! The sessions table's DynamoDB stream: a session that turns verified gives its first send
//! back to the velocity counters, off the verify's request path (function `session-events`).

use otp_core::service::CHARGED;
use otp_core::App;
use serde_json::{json, Value};

/// Handles one batch of stream records (the Lambda event, or moto's `GetRecords` records in
/// tests). On a failed give-back it stops and reports that record (`ReportBatchItemFailures`):
/// Lambda retries from it, and no record after it has been applied, so none is applied twice.
pub async fn handle(app: &App, event: &Value) -> Value {
    for record in event["Records"].as_array().into_iter().flatten() {
        let Some(charged) = verified_charges(record) else {
            continue;
        };
        if let Err(error) = app.give_back(charged).await {
            tracing::warn!(%error, "give-back failed; the batch resumes from this record");
            let id = record["dynamodb"]["SequenceNumber"].clone();
            return json!({ "batchItemFailures": [{ "itemIdentifier": id }] });
        }
    }
    json!({ "batchItemFailures": [] })
}

/// The counters charged by a session this record shows turning from pending to verified.
fn verified_charges(record: &Value) -> Option<&str> {
    let images = &record["dynamodb"];
    let state = |image: &str| images[image]["state"]["S"].as_str();
    if state("OldImage") != Some("pending") || state("NewImage") != Some("verified") {
        return None;
    }
    images["NewImage"]["extra"]["M"][CHARGED]["S"].as_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(old: &str, new: &str) -> Value {
        json!({ "eventName": "MODIFY", "dynamodb": {
            "SequenceNumber": "1",
            "OldImage": { "state": { "S": old } },
            "NewImage": { "state": { "S": new }, "extra": { "M": { CHARGED: { "S": "rl#p#+1202555#1" } } } },
        }})
    }

    #[test]
    fn only_the_turn_to_verified_gives_back() {
        assert_eq!(
            verified_charges(&record("pending", "verified")),
            Some("rl#p#+1202555#1")
        );
        assert_eq!(verified_charges(&record("verified", "verified")), None);
        assert_eq!(verified_charges(&record("pending", "pending")), None);
        assert_eq!(verified_charges(&json!({})), None);
    }
}

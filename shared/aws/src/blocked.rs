//! `blocked` lifecycle events. A fraud refusal writes nothing to the sessions table, so no
//! stream record tells of it: its event comes from the refusing function's own EMF line
//! (`FraudBlocked`, with the request's family, channel, client, masked destination, country
//! and rule), which a CloudWatch Logs subscription filter delivers to `session-events`. The
//! request path makes no call for it.

use crate::stream::{ConsumeError, Kind, Lifecycle, Publish};
use aws_lambda_events::event::cloudwatch_logs::LogsEvent;
use otp_core::http::rfc3339;
use otp_core::service::metrics::Count;
use serde_json::{json, Value};

/// The subscription filter pattern that selects these lines (template.yaml uses it).
pub const FILTER_PATTERN: &str = "{ $.FraudBlocked > 0 }";

/// Whether a `session-events` invocation is a log subscription's (else a stream batch).
pub fn is_subscription(payload: &Value) -> bool {
    payload.get("awslogs").is_some()
}

/// A subscription's batch (`{"awslogs": {"data": base64 gzip}}`), decoded.
pub fn subscription(payload: &Value) -> Result<LogsEvent, ConsumeError> {
    // From text: the crate's decoder reads its keys borrowed, which a `Value` cannot lend.
    serde_json::from_str(&payload.to_string()).map_err(|source| ConsumeError::Malformed {
        what: "log subscription batch",
        source,
    })
}

/// Publishes the `blocked` events of a subscription's batch; an error fails the invocation,
/// which Lambda retries (CloudWatch Logs invokes asynchronously).
pub async fn handle(publisher: &dyn Publish, event: &LogsEvent) -> Result<(), ConsumeError> {
    let events: Vec<Lifecycle> = event
        .aws_logs
        .data
        .log_events
        .iter()
        .filter_map(|e| blocked(&e.message, e.timestamp))
        .collect();
    Ok(publisher.publish(&events).await?)
}

/// The event an EMF line stands for, if it counts a fraud refusal.
pub fn blocked(message: &str, timestamp_ms: i64) -> Option<Lifecycle> {
    let doc: Value = serde_json::from_str(message.trim()).ok()?;
    if doc[Count::FraudBlocked.name()].as_u64().unwrap_or(0) == 0 {
        return None;
    }
    let text = |name: &str| doc[name].as_str().map(str::to_string);
    Some(Lifecycle {
        kind: Kind::Blocked,
        detail: json!({
            "event": Kind::Blocked.as_str(),
            "family": text("family"),
            "client": text("client"),
            "channel": text("channel"),
            "destination": text("destination"),
            "country": text("country"),
            "rule": text("rule"),
            "function": text("function"),
            "blocked_at": rfc3339(timestamp_ms.div_euclid(1000)),
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_fraud_refusals_are_blocked_events() {
        let line = r#"{"FraudBlocked":1,"_aws":{},"family":"verify-api","channel":"sms","client":"acme","destination":"+525*****678","country":"MX","rule":"country","function":"send-otp"}"#;
        let event = blocked(line, 1_795_345_620_123).unwrap();
        assert_eq!(event.kind, Kind::Blocked);
        assert_eq!(event.detail["blocked_at"], "2026-11-22T11:07:00Z");
        assert_eq!(event.detail["rule"], "country");
        assert!(blocked(r#"{"CodesSent":1}"#, 0).is_none());
        assert!(
            blocked(r#"{"FraudFlagged":1}"#, 0).is_none(),
            "record mode blocks nothing"
        );
        assert!(blocked("fraud rule refused", 0).is_none());
    }
}

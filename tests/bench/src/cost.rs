//! Cost per successful verification from the measured durations, calls and item sizes, at
//! AWS list prices (us-east-1, arm64 as `template.yaml` deploys), beside Twilio Verify's fee.

use crate::functions::Trip;
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;

// List prices, USD (us-east-1, checked 2026-11; see docs/performance.md).
const LAMBDA_GB_SECOND_ARM: f64 = 0.000_013_333_4;
const LAMBDA_REQUEST: f64 = 0.20 / 1e6;
const DYNAMODB_WRU: f64 = 0.625 / 1e6;
const DYNAMODB_RRU: f64 = 0.125 / 1e6;
const HTTP_API_REQUEST: f64 = 1.00 / 1e6;
const EVENTBRIDGE_EVENT: f64 = 1.00 / 1e6;
const LOGS_INGEST_GB: f64 = 0.50;
pub const TWILIO_VERIFY: f64 = 0.05;
const MEMORY_GB: f64 = 128.0 / 1024.0;

/// DynamoDB's billed size of an item: attribute names plus values (numbers: about one byte
/// per two significant digits plus one).
pub fn item_size(item: &HashMap<String, AttributeValue>) -> usize {
    item.iter().map(|(k, v)| k.len() + value_size(v)).sum()
}

fn value_size(v: &AttributeValue) -> usize {
    match v {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => {
            let digits = n.trim_start_matches('-').replace('.', "");
            digits.trim_start_matches('0').len().div_ceil(2) + 1
        }
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::Ss(v) => v.iter().map(String::len).sum(),
        AttributeValue::Ns(v) => v.iter().map(|n| n.len().div_ceil(2) + 1).sum(),
        AttributeValue::L(l) => 3 + l.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        AttributeValue::M(m) => {
            3 + m
                .iter()
                .map(|(k, v)| 1 + k.len() + value_size(v))
                .sum::<usize>()
        }
        _ => 0,
    }
}

pub struct Line {
    pub item: String,
    pub quantity: String,
    pub usd: f64,
}

fn is_write(op: &str) -> bool {
    [
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "BatchWriteItem",
        "TransactWriteItems",
    ]
    .iter()
    .any(|w| op.ends_with(w))
}

/// One SMS verification: a send, the right code, and the stream consumer's invocation.
pub fn per_verification(trips: &[Trip], largest_item: usize, log_bytes: u64) -> Vec<Line> {
    let used: Vec<&Trip> = trips
        .iter()
        .filter(|t| {
            t.case.starts_with("send-otp")
                || t.case == "verify-otp, right code"
                || t.case.starts_with("session-events")
        })
        .collect();
    let billed_ms: f64 = used
        .iter()
        .map(|t| (t.elapsed.as_secs_f64() * 1e3).ceil())
        .sum();
    let (mut writes, mut reads, mut events) = (0u32, 0u32, 0u32);
    for t in &used {
        for (op, n) in &t.calls {
            if op.starts_with("dynamodb.") && is_write(op) {
                writes += n;
            } else if op.starts_with("dynamodb.") {
                reads += n;
            } else if op == "events.PutEvents" {
                events += n;
            }
        }
    }
    let wru_each = largest_item.div_ceil(1024).max(1) as f64;
    let invocations = used.len() as f64;
    let gb_s = billed_ms / 1e3 * MEMORY_GB;
    vec![
        Line {
            item: "Lambda requests".into(),
            quantity: format!("{invocations}"),
            usd: invocations * LAMBDA_REQUEST,
        },
        Line {
            item: "Lambda duration, 128 MB arm64".into(),
            quantity: format!("{billed_ms} ms billed = {gb_s:.6} GB-s"),
            usd: gb_s * LAMBDA_GB_SECOND_ARM,
        },
        Line {
            item: "DynamoDB writes (on demand)".into(),
            quantity: format!("{writes} × {wru_each} WRU (largest item {largest_item} B)"),
            usd: f64::from(writes) * wru_each * DYNAMODB_WRU,
        },
        Line {
            item: "DynamoDB reads (on demand, strongly consistent)".into(),
            quantity: format!("{reads} RRU"),
            usd: f64::from(reads) * DYNAMODB_RRU,
        },
        Line {
            item: "API Gateway HTTP API requests".into(),
            quantity: "2".into(),
            usd: 2.0 * HTTP_API_REQUEST,
        },
        Line {
            item: "EventBridge lifecycle events (PutEvents calls)".into(),
            quantity: format!("{events}"),
            usd: f64::from(events) * EVENTBRIDGE_EVENT,
        },
        Line {
            item: "CloudWatch Logs ingestion".into(),
            quantity: format!("{log_bytes} B"),
            usd: log_bytes as f64 / 1e9 * LOGS_INGEST_GB,
        },
    ]
}

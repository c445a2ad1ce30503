//! Idempotency keys in the sessions table: one conditional `PutItem` claims a key, its
//! answer is kept with an `UpdateItem`, and TTL (`purge_at`) deletes it after 24 hours.

use crate::dynamodb::{number as n, unavailable, written, DynamoSessions, Item, KEY, TTL};
use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};
use otp_core::domain::Timestamp;
use otp_core::ports::{Claim, IdempotencyKeys, Replay, StoreError};

const FINGERPRINT: &str = "fingerprint";
const LEASE: &str = "lease_until";
const STATUS: &str = "status";
const HEADERS: &str = "headers";
const BODY: &str = "body";

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_string())
}

#[async_trait]
impl IdempotencyKeys for DynamoSessions {
    async fn claim(
        &self,
        key: &str,
        fingerprint: &str,
        now: Timestamp,
        lease_until: Timestamp,
        purge_at: Timestamp,
    ) -> Result<Claim, StoreError> {
        let item: Item = [
            (KEY, s(key)),
            (FINGERPRINT, s(fingerprint)),
            (LEASE, n(lease_until)),
            (TTL, n(purge_at)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let result = self
            .client()
            .put_item()
            .table_name(self.table())
            .set_item(Some(item))
            .condition_expression(
                "attribute_not_exists(#pk) OR #purge <= :now \
                 OR (attribute_not_exists(#status) AND #lease <= :now AND #fp = :fp)",
            )
            .expression_attribute_names("#pk", KEY)
            .expression_attribute_names("#purge", TTL)
            .expression_attribute_names("#status", STATUS)
            .expression_attribute_names("#lease", LEASE)
            .expression_attribute_names("#fp", FINGERPRINT)
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":fp", s(fingerprint))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        let old = match result {
            Ok(_) => return Ok(Claim::Won),
            Err(SdkError::ServiceError(e)) => match e.err() {
                PutItemError::ConditionalCheckFailedException(failed) => {
                    failed.item().cloned().unwrap_or_default()
                }
                _ => return Err(unavailable(SdkError::ServiceError(e))),
            },
            Err(e) => return Err(unavailable(e)),
        };
        let text = |name: &str| old.get(name).and_then(|v| v.as_s().ok()).cloned();
        if text(FINGERPRINT).as_deref() != Some(fingerprint) {
            return Ok(Claim::Mismatch);
        }
        let Some(status) = old.get(STATUS).and_then(|v| v.as_n().ok()) else {
            return Ok(Claim::InFlight);
        };
        let corrupt = |what: &str| StoreError::Corrupt(format!("idempotency key: {what}"));
        let headers = text(HEADERS).unwrap_or_else(|| "[]".into());
        Ok(Claim::Done(Replay {
            status: status.parse().map_err(|_| corrupt(STATUS))?,
            headers: serde_json::from_str(&headers).map_err(|_| corrupt(HEADERS))?,
            body: text(BODY).ok_or_else(|| corrupt(BODY))?,
        }))
    }

    async fn complete(&self, key: &str, replay: &Replay) -> Result<(), StoreError> {
        let headers = serde_json::to_string(&replay.headers).unwrap_or_else(|_| "[]".into());
        self.client()
            .update_item()
            .table_name(self.table())
            .key(KEY, s(key))
            .update_expression("SET #status = :status, #headers = :headers, #body = :body")
            .expression_attribute_names("#status", STATUS)
            .expression_attribute_names("#headers", HEADERS)
            .expression_attribute_names("#body", BODY)
            .expression_attribute_values(":status", n(replay.status))
            .expression_attribute_values(":headers", s(&headers))
            .expression_attribute_values(":body", s(&replay.body))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn release(&self, key: &str) -> Result<(), StoreError> {
        let result = self
            .client()
            .delete_item()
            .table_name(self.table())
            .key(KEY, s(key))
            .condition_expression("attribute_exists(#pk) AND attribute_not_exists(#status)")
            .expression_attribute_names("#pk", KEY)
            .expression_attribute_names("#status", STATUS)
            .send()
            .await;
        // A key already answered (or gone) stays as it is.
        written(result).map(|_| ())
    }
}

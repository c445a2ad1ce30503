//! Verify API (D7-compatible): Bearer auth; validation errors as FastAPI's 422
//! `{"detail": [{loc, msg, type}]}`, other errors as `{"detail": {code, message}}`.
//! Messages stay English whatever the language: its clients match on them.

pub mod report;
pub mod resend;
pub mod send;
pub mod sms_receipts;
pub mod verify;

use super::problem::{Ctx, Dialect, Problem, Reason, Rejection};
use crate::domain::{Family, LimitScope, ResendRefusal, SessionKey};
use crate::http::fields::{Fault, Faults, Input, Text};
use lambda_http::http::StatusCode;
use serde_json::{json, Value};

/// This family's wire form.
pub struct VerifyApi;

/// A session's `status` on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OtpStatus {
    Open,
    Approved,
    AlreadyVerified,
    Failed,
    Expired,
}

/// What send-otp and resend-otp answer (`resend_count` for resends only).
#[derive(serde::Serialize)]
pub struct Opened<'a> {
    pub expiry: u32,
    pub otp_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resend_count: Option<u32>,
    pub status: OtpStatus,
}

impl Dialect for VerifyApi {
    fn render(problem: &Problem, _: &Ctx) -> (StatusCode, Value) {
        if matches!(problem.reason, Reason::Invalid | Reason::KeyReused) {
            return (StatusCode::UNPROCESSABLE_ENTITY, validation(problem));
        }
        let (status, code, message) = entry(problem);
        let status = status.unwrap_or_else(|| problem.status());
        (
            status,
            json!({ "detail": { "code": code, "message": message } }),
        )
    }
}

/// The table: each reason's status (when not the common one), code and message.
fn entry(problem: &Problem) -> (Option<StatusCode>, &'static str, String) {
    let resend = Some(StatusCode::BAD_REQUEST);
    let (status, code, message) = match problem.reason {
        Reason::Invalid | Reason::NoAddress { .. } | Reason::UnknownTemplate => {
            (None, "BAD_REQUEST", "The request is not valid")
        }
        Reason::Unauthorized => (None, "UNAUTHORIZED", "Missing or invalid bearer token"),
        Reason::Forbidden => (None, "FORBIDDEN", "Not allowed for this account"),
        Reason::NotFound(_) => (None, "MESSAGE_LOG_NOT_EXISTS", "OTP request not found"),
        Reason::CodeRejected(Rejection::Wrong | Rejection::Expired) => (
            None,
            "INVALID_OTP_CODE",
            "Invalid OTP code or OTP code expired",
        ),
        Reason::CodeRejected(Rejection::AttemptsExhausted) => (
            None,
            "INVALID_OTP_CODE",
            "Maximum verification attempts reached",
        ),
        Reason::ResendRefused(ResendRefusal::TooSoon { cooldown_secs, .. }) => {
            let message = format!("Frequent resend request, resend request need minimum {cooldown_secs} seconds delay");
            return (resend, "FREQUENT_RESEND_REQUEST", message);
        }
        Reason::ResendRefused(ResendRefusal::Expired) => (
            resend,
            "OTP_EXPIRED",
            "Resend Failed. OTP time limit expired.",
        ),
        Reason::ResendRefused(ResendRefusal::TooManySends) => (
            resend,
            "RESEND_LIMIT_EXCEEDED",
            "Resend Failed. Maximum resend count reached.",
        ),
        Reason::ResendRefused(ResendRefusal::AlreadyVerified) => (
            resend,
            "OTP_ALREADY_VERIFIED",
            "Resend Failed. OTP already verified.",
        ),
        Reason::ResendRefused(ResendRefusal::AttemptsExhausted) => (
            resend,
            "OTP_FAILED",
            "Resend Failed. Maximum verification attempts reached.",
        ),
        Reason::RateLimited(LimitScope::Destination) => (
            None,
            "TOO_MANY_REQUESTS",
            "Too many OTP requests for this recipient; retry later",
        ),
        Reason::RateLimited(LimitScope::Client) => (
            None,
            "TOO_MANY_REQUESTS",
            "Too many OTP requests for this account; retry later",
        ),
        Reason::RateLimited(LimitScope::Prefix | LimitScope::Country) => (
            None,
            "TOO_MANY_REQUESTS",
            "Too many unverified OTP requests to this number range; retry later",
        ),
        Reason::RateLimited(LimitScope::Deployment) => (
            None,
            "TOO_MANY_REQUESTS",
            "The service's SMS rate limit is reached; retry later",
        ),
        Reason::CountryRefused => (
            None,
            "COUNTRY_NOT_ALLOWED",
            "OTP by SMS to the recipient's country is not allowed",
        ),
        // Email only: the Verify API sends SMS, so it never answers this.
        Reason::Suppressed => (
            None,
            "RECIPIENT_SUPPRESSED",
            "The recipient bounced or complained; no OTP is sent to it for now",
        ),
        Reason::DeliveryFailed => (
            None,
            "DELIVERY_FAILED",
            "The OTP message could not be delivered",
        ),
        Reason::KeyReused => (
            None,
            "IDEMPOTENCY_KEY_REUSED",
            "The Idempotency-Key was used for a different request",
        ),
        Reason::KeyInFlight => (
            None,
            "IDEMPOTENCY_KEY_IN_FLIGHT",
            "A request with this Idempotency-Key is still being processed",
        ),
        Reason::MethodNotAllowed => (
            None,
            "METHOD_NOT_ALLOWED",
            "Method not allowed on this resource",
        ),
        Reason::TooLarge => (None, "PAYLOAD_TOO_LARGE", "The request body is too large"),
        Reason::Unavailable => (
            None,
            "SERVICE_UNAVAILABLE",
            "The service is temporarily unavailable",
        ),
    };
    (status, code, message.to_string())
}

/// FastAPI's validation list: `loc` is the location, then the field when there is one.
fn validation(problem: &Problem) -> Value {
    let items: Vec<Value> = problem
        .fields
        .iter()
        .map(|e| {
            let loc = if e.field.is_empty() {
                json!([e.location.as_str()])
            } else {
                json!([e.location.as_str(), e.field])
            };
            let kind = match &e.fault {
                Fault::Missing => "missing".to_string(),
                Fault::WrongType("integer") => "int_type".to_string(),
                Fault::WrongType(t) => format!("{t}_type"),
                Fault::Invalid(_) => "value_error".to_string(),
            };
            json!({ "loc": loc, "msg": e.message(), "type": kind })
        })
        .collect();
    json!({ "detail": items })
}

/// Store key of an OTP: the client's, by id.
pub fn session_key(client: &str, otp_id: &str) -> SessionKey {
    SessionKey::new(Family::VerifyApi, client, &[otp_id])
}

/// A canonical (lower-case, hyphenated) UUID.
pub fn parse_otp_id(raw: &str) -> Option<String> {
    uuid::Uuid::parse_str(raw.trim())
        .ok()
        .map(|u| u.hyphenated().to_string())
}

/// Reads the `otp_id` of a resend/verify body (a UUID).
fn otp_id(f: &mut Faults, input: Input<Text>) -> Option<String> {
    let raw = f.opt("otp_id", input);
    match raw {
        None if f.errors.is_empty() => {
            f.fail("otp_id", Fault::Missing);
            None
        }
        None => None,
        Some(raw) => {
            let id = parse_otp_id(&raw);
            if id.is_none() {
                f.invalid("otp_id", "Input should be a valid UUID");
            }
            id
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn otp_ids_are_canonical_uuids() {
        assert_eq!(
            parse_otp_id("86B24910-2D1E-4257-B6D4-E6B829E50E84").as_deref(),
            Some("86b24910-2d1e-4257-b6d4-e6b829e50e84")
        );
        assert_eq!(parse_otp_id("nope"), None);
    }
}

#[cfg(test)]
mod wire_tests {
    use super::*;

    #[test]
    fn send_and_resend_answers_keep_their_bytes() {
        let send = Opened {
            expiry: 300,
            otp_id: "id",
            resend_count: None,
            status: OtpStatus::Open,
        };
        let want = json!({ "otp_id": "id", "status": "OPEN", "expiry": 300 });
        assert_eq!(serde_json::to_string(&send).unwrap(), want.to_string());
        let resend = Opened {
            resend_count: Some(2),
            ..send
        };
        let want = json!({ "otp_id": "id", "status": "OPEN", "expiry": 300, "resend_count": 2 });
        assert_eq!(serde_json::to_string(&resend).unwrap(), want.to_string());
        assert_eq!(
            serde_json::to_string(&OtpStatus::AlreadyVerified).unwrap(),
            "\"ALREADY_VERIFIED\""
        );
    }
}

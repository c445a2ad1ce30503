//! Verify API (seed `001`): Bearer auth; validation errors as FastAPI's 422
//! `{"detail": [{loc, msg, type}]}`, other errors as `{"detail": {code, message}}`.

pub mod report;
pub mod resend;
pub mod send;
pub mod verify;

use crate::app::App;
use crate::domain::{LimitScope, ResendRefusal};
use crate::http::{self, fields::FieldError, fields::Problem, BodyError};
use crate::service::ServiceError;
use lambda_http::http::{HeaderValue, StatusCode};
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};

/// Everything that ends a request of this family short of success.
#[derive(Debug)]
pub enum Failure {
    /// 422: body or path problems, each with its location.
    Validation(Vec<(&'static str, FieldError)>),
    Unauthorized,
    /// 400 `INVALID_OTP_CODE`.
    InvalidCode(&'static str),
    Service(ServiceError),
}

impl From<ServiceError> for Failure {
    fn from(e: ServiceError) -> Self {
        Failure::Service(e)
    }
}

impl From<BodyError> for Failure {
    fn from(e: BodyError) -> Self {
        let message = match e {
            BodyError::TooLarge => format!("Body exceeds {} bytes", http::MAX_BODY_BYTES),
            BodyError::Malformed(m) => format!("JSON decode error: {m}"),
            BodyError::NotAnObject => "Input should be a valid dictionary".into(),
        };
        Failure::Validation(vec![(
            "body",
            FieldError {
                field: String::new(),
                problem: Problem::Invalid(message),
            },
        )])
    }
}

/// Failures of body fields.
pub fn body_errors(errors: Vec<FieldError>) -> Failure {
    Failure::Validation(errors.into_iter().map(|e| ("body", e)).collect())
}

/// Store key of an OTP: family, client, id.
pub fn session_key(client: &str, otp_id: &str) -> String {
    format!("d7#{client}#{otp_id}")
}

/// A canonical (lower-case, hyphenated) UUID.
pub fn parse_otp_id(raw: &str) -> Option<String> {
    uuid::Uuid::parse_str(raw.trim())
        .ok()
        .map(|u| u.hyphenated().to_string())
}

/// Authenticates; the first step of every handler.
pub fn client(app: &App, req: &Request) -> Result<String, Failure> {
    http::bearer_client(app, req).ok_or(Failure::Unauthorized)
}

fn error_type(problem: &Problem) -> String {
    match problem {
        Problem::Missing => "missing".into(),
        Problem::WrongType("integer") => "int_type".into(),
        Problem::WrongType(t) => format!("{t}_type"),
        Problem::Invalid(_) => "value_error".into(),
    }
}

/// The one mapping of this family's failures to the wire.
pub fn render(failure: Failure) -> Response<Body> {
    let detail = |status: u16, code: &str, message: &str| {
        http::json(
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            &json!({ "detail": { "code": code, "message": message } }),
        )
    };
    match failure {
        Failure::Validation(errors) => {
            let items: Vec<Value> = errors
                .iter()
                .map(|(place, e)| {
                    let loc = if e.field.is_empty() {
                        json!([place])
                    } else {
                        json!([place, e.field])
                    };
                    json!({ "loc": loc, "msg": e.message(), "type": error_type(&e.problem) })
                })
                .collect();
            http::json(
                StatusCode::UNPROCESSABLE_ENTITY,
                &json!({ "detail": items }),
            )
        }
        Failure::Unauthorized => detail(401, "UNAUTHORIZED", "Missing or invalid bearer token"),
        Failure::InvalidCode(message) => detail(400, "INVALID_OTP_CODE", message),
        Failure::Service(ServiceError::NotFound) => {
            detail(404, "MESSAGE_LOG_NOT_EXISTS", "OTP request not found")
        }
        Failure::Service(ServiceError::ResendRefused(refusal)) => match refusal {
            ResendRefusal::TooSoon {
                retry_after_secs,
                cooldown_secs,
            } => {
                let mut res = detail(
                    400,
                    "FREQUENT_RESEND_REQUEST",
                    &format!("Frequent resend request, resend request need minimum {cooldown_secs} seconds delay"),
                );
                res.headers_mut()
                    .insert("retry-after", HeaderValue::from(retry_after_secs));
                res
            }
            ResendRefusal::Expired => {
                detail(400, "OTP_EXPIRED", "Resend Failed. OTP time limit expired.")
            }
            ResendRefusal::TooManySends => detail(
                400,
                "RESEND_LIMIT_EXCEEDED",
                "Resend Failed. Maximum resend count reached.",
            ),
            ResendRefusal::AlreadyVerified => detail(
                400,
                "OTP_ALREADY_VERIFIED",
                "Resend Failed. OTP already verified.",
            ),
            ResendRefusal::AttemptsExhausted => detail(
                400,
                "OTP_FAILED",
                "Resend Failed. Maximum verification attempts reached.",
            ),
        },
        Failure::Service(ServiceError::RateLimited {
            scope,
            retry_after_secs,
        }) => {
            let whom = match scope {
                LimitScope::Destination => "this recipient",
                LimitScope::Client => "this account",
            };
            let mut res = detail(
                429,
                "TOO_MANY_REQUESTS",
                &format!("Too many OTP requests for {whom}; retry later"),
            );
            res.headers_mut()
                .insert("retry-after", HeaderValue::from(retry_after_secs));
            res
        }
        Failure::Service(ServiceError::Delivery(_)) => {
            // Logged where it happened (service::deliver), with the masked destination.
            detail(
                502,
                "DELIVERY_FAILED",
                "The OTP message could not be delivered",
            )
        }
        Failure::Service(e) => {
            tracing::error!(error = %e, "request failed");
            detail(
                503,
                "SERVICE_UNAVAILABLE",
                "The service is temporarily unavailable",
            )
        }
    }
}

/// ISO 8601 UTC (`2026-11-22T11:07:00Z`) of a Unix timestamp.
pub fn iso8601(ts: i64) -> String {
    let days = ts.div_euclid(86_400);
    let secs = ts.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_format_as_iso8601() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(1_795_345_620), "2026-11-22T11:07:00Z");
        assert_eq!(iso8601(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn otp_ids_are_canonical_uuids() {
        assert_eq!(
            parse_otp_id("86B24910-2D1E-4257-B6D4-E6B829E50E84").as_deref(),
            Some("86b24910-2d1e-4257-b6d4-e6b829e50e84")
        );
        assert_eq!(parse_otp_id("nope"), None);
    }
}

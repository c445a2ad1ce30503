//! Contact verification (seed `000`): Bearer auth, `{code, subCode, message, correlationId}` errors.

pub mod check;
pub mod send;
pub mod verify;

use crate::app::App;
use crate::domain::i18n::Text;
use crate::domain::{LimitScope, ResendRefusal};
use crate::http::{self, fields::FieldError, BodyError};
use crate::service::{Outcome, ServiceError};
use lambda_http::http::{HeaderValue, StatusCode};
use lambda_http::{Body, Request, Response};
use serde_json::json;

/// Everything that ends a request of this family short of success.
#[derive(Debug)]
pub enum Failure {
    /// A field (or the body) is wrong; `sub_code` names it.
    BadRequest {
        sub_code: String,
        detail: Option<String>,
    },
    Unauthorized,
    ContactNotFound,
    SessionNotFound,
    /// The contact has no address on that channel; `sub_code` says which.
    ChannelMissing(&'static str),
    UnknownTemplate,
    Service(ServiceError),
}

impl From<ServiceError> for Failure {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::NotFound => Failure::SessionNotFound,
            other => Failure::Service(other),
        }
    }
}

impl From<FieldError> for Failure {
    fn from(e: FieldError) -> Self {
        Failure::BadRequest {
            sub_code: e.field.clone(),
            detail: Some(e.message()),
        }
    }
}

impl From<BodyError> for Failure {
    fn from(e: BodyError) -> Self {
        let detail = match e {
            BodyError::TooLarge => format!("the body exceeds {} bytes", http::MAX_BODY_BYTES),
            BodyError::Malformed(m) => m,
            BodyError::NotAnObject => "the body must be a JSON object".into(),
        };
        Failure::BadRequest {
            sub_code: "body".into(),
            detail: Some(detail),
        }
    }
}

/// Request context of this family.
pub struct Ctx {
    pub client: String,
    pub language: String,
}

/// Authenticates and negotiates the language; the first step of every handler.
pub fn context(app: &App, req: &Request) -> Result<Ctx, Box<Response<Body>>> {
    let language = http::language(req, &app.config.default_language);
    match http::bearer_client(app, req) {
        Some(client) => Ok(Ctx { client, language }),
        None => Err(Box::new(render(req, &language, Failure::Unauthorized))),
    }
}

/// Parses the `contactId` path parameter (int32).
pub fn contact_id(req: &Request, route: &str) -> Result<i32, Failure> {
    http::path_param(req, route, "contactId")
        .and_then(|v| v.parse::<i32>().ok())
        .ok_or(Failure::BadRequest {
            sub_code: "contactId".into(),
            detail: Some("contactId must be a 32-bit integer".into()),
        })
}

/// Session ids: 1–64 of `[A-Za-z0-9_-]`.
pub fn valid_session_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Store key of a session: family, client, contact, session.
pub fn session_key(client: &str, contact_id: i32, session_id: &str) -> String {
    format!("cv#{client}#{contact_id}#{session_id}")
}

/// Reads and checks `{contactId}`, `{sessionId}` and `{key}` of the check/verify routes.
fn key_params(req: &Request, route: &str, ctx: &Ctx) -> Result<(String, String), Failure> {
    let contact = contact_id(req, route)?;
    let session_id = http::path_param(req, route, "sessionId")
        .filter(|s| valid_session_id(s))
        .ok_or(Failure::BadRequest {
            sub_code: "sessionId".into(),
            detail: Some("1-64 of [A-Za-z0-9_-]".into()),
        })?;
    let key = http::path_param(req, route, "key")
        .filter(|k| !k.is_empty() && k.len() <= 32 && k.chars().all(|c| c.is_ascii_alphanumeric()))
        .ok_or(Failure::BadRequest {
            sub_code: "key".into(),
            detail: Some("1-32 letters or digits".into()),
        })?;
    Ok((session_key(&ctx.client, contact, &session_id), key))
}

/// Checks (`consume == false`) or verifies the `{key}` of a check/verify route.
async fn judge_key(app: &App, req: Request, route: &str, consume: bool) -> Response<Body> {
    let ctx = match context(app, &req) {
        Ok(ctx) => ctx,
        Err(res) => return *res,
    };
    let result = match key_params(&req, route, &ctx) {
        Ok((session, key)) if consume => app.verify(&session, &key).await.map_err(Into::into),
        Ok((session, key)) => app.check(&session, &key).await.map_err(Into::into),
        Err(f) => Err(f),
    };
    match result {
        Ok(outcome) => key_status(outcome),
        Err(failure) => render(&req, &ctx.language, failure),
    }
}

/// `{"keyStatus", "attemptsLeft"}`.
fn key_status(outcome: Outcome) -> Response<Body> {
    let (status, left) = match outcome {
        Outcome::Valid { attempts_left } => ("Valid", attempts_left),
        Outcome::Invalid { attempts_left } => ("Invalid", attempts_left),
        Outcome::Expired => ("Expired", 0),
        Outcome::AttemptsExceeded => ("AttemptsExceeded", 0),
        Outcome::AlreadyVerified => ("AlreadyVerified", 0),
    };
    http::json(
        StatusCode::OK,
        &json!({ "keyStatus": status, "attemptsLeft": left }),
    )
}

/// The one mapping of this family's failures to the wire.
pub fn render(req: &Request, lang: &str, failure: Failure) -> Response<Body> {
    let mut retry_after = None;
    let (status, code, sub_code, text, detail) = match failure {
        Failure::BadRequest { sub_code, detail } => {
            (400, "BadRequest", sub_code, Text::BadRequest, detail)
        }
        Failure::Unauthorized => (401, "Unauthorized", "NA".into(), Text::Unauthorized, None),
        Failure::ContactNotFound => (
            404,
            "NotFound",
            "ContactNotFound".into(),
            Text::ContactNotFound,
            None,
        ),
        Failure::SessionNotFound => (
            404,
            "NotFound",
            "SessionNotFound".into(),
            Text::SessionNotFound,
            None,
        ),
        Failure::ChannelMissing(sub) => (400, "BadRequest", sub.into(), Text::ChannelMissing, None),
        Failure::UnknownTemplate => (
            400,
            "BadRequest",
            "templateMetadataKey".into(),
            Text::UnknownTemplate,
            None,
        ),
        Failure::Service(ServiceError::ResendRefused(refusal)) => match refusal {
            ResendRefusal::TooSoon {
                retry_after_secs, ..
            } => {
                retry_after = Some(retry_after_secs);
                (
                    429,
                    "TooManyRequests",
                    "ResendCooldown".into(),
                    Text::ResendTooSoon,
                    None,
                )
            }
            ResendRefusal::TooManySends => (
                429,
                "TooManyRequests",
                "MaxSendsReached".into(),
                Text::TooManySends,
                None,
            ),
            ResendRefusal::AlreadyVerified => (
                409,
                "Conflict",
                "SessionAlreadyVerified".into(),
                Text::AlreadyVerified,
                None,
            ),
            ResendRefusal::AttemptsExhausted => (
                409,
                "Conflict",
                "AttemptsExceeded".into(),
                Text::AttemptsExhausted,
                None,
            ),
            ResendRefusal::Expired => (
                409,
                "Conflict",
                "SessionExpired".into(),
                Text::Expired,
                None,
            ),
        },
        Failure::Service(ServiceError::RateLimited {
            scope,
            retry_after_secs,
        }) => {
            retry_after = Some(retry_after_secs);
            let sub = match scope {
                LimitScope::Destination => "DestinationRateLimited",
                LimitScope::Client => "ClientRateLimited",
            };
            (429, "TooManyRequests", sub.into(), Text::RateLimited, None)
        }
        Failure::Service(ServiceError::Delivery(_)) => {
            // Logged where it happened (service::deliver), with the masked destination.
            (
                502,
                "BadGateway",
                "DeliveryFailed".into(),
                Text::DeliveryFailed,
                None,
            )
        }
        Failure::Service(e) => {
            tracing::error!(error = %e, "request failed");
            (
                503,
                "ServiceUnavailable",
                "NA".into(),
                Text::Unavailable,
                None,
            )
        }
    };
    let message = match detail {
        Some(d) => format!("{}: {d}", text.in_language(lang)),
        None => text.in_language(lang).to_string(),
    };
    let body = json!({
        "code": code,
        "subCode": sub_code,
        "message": message,
        "correlationId": http::correlation_id(req),
    });
    let mut res = http::json(
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        &body,
    );
    if let Some(secs) = retry_after {
        res.headers_mut()
            .insert("retry-after", HeaderValue::from(secs));
    }
    res
}

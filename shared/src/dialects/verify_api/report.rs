//! `GET /verify/v1/report/{otp_id}`.

use super::{parse_otp_id, session_key};
use crate::app::App;
use crate::dialects::auth::bearer_client;
use crate::dialects::problem::Problem;
use crate::dialects::Reply;
use crate::domain::Status;
use crate::http::{self, fields::FieldError, fields::Location};
use crate::service;
use lambda_http::Request;
use serde_json::json;

pub async fn handle(app: &App, req: &Request, _language: &str) -> Result<Reply, Problem> {
    let client = bearer_client(&app.config.tokens, req)?;
    let id = http::path_param(req, "otp_id")
        .and_then(parse_otp_id)
        .ok_or_else(|| {
            FieldError::invalid(Location::Path, "otp_id", "Input should be a valid UUID")
        })?;
    let session = app.status(&session_key(&client, &id)).await?;
    let now = app.clock.now();
    let status = match session.status(now) {
        Status::Pending => "OPEN",
        Status::Verified => "APPROVED",
        Status::AttemptsExhausted | Status::Undeliverable => "FAILED",
        Status::Expired => "EXPIRED",
    };
    Ok(http::ok(&json!({
        "otp_id": id,
        "status": status,
        "recipient": session.destination.masked(),
        "originator": session.extra.get("originator"),
        "channel": "SMS",
        "resend_count": session.resends(),
        "attempts": session.attempts,
        "attempts_left": session.attempts_left(),
        "delivery_failed": session.status(now) == Status::Undeliverable,
        "created_at": http::rfc3339(session.created_at),
        "last_sent_at": http::rfc3339(session.last_sent_at),
        "expires_at": http::rfc3339(session.expires_at),
        "verified_at": session.verified_at.map(http::rfc3339),
        "test": session.extra.contains_key(service::TEST),
        "encoding": session.extra.get(service::SMS_ENCODING),
        "segments": session.extra.get(service::SMS_SEGMENTS).and_then(|n| n.parse::<u32>().ok()),
    })))
}

//! `GET /verify/v1/report/{otp_id}`.

use super::{parse_otp_id, session_key, OtpStatus};
use crate::app::App;
use crate::dialects::auth::bearer_client;
use crate::dialects::problem::Problem;
use crate::dialects::Reply;
use crate::domain::receipt::{usd, Outcome};
use crate::domain::Status;
use crate::http::{self, fields::FieldError, fields::Location};
use lambda_http::Request;

pub async fn handle(app: &App, req: &Request, _language: &str) -> Result<Reply, Problem> {
    let client = bearer_client(&app.config.tokens, req)?;
    let id = http::path_param(req, "otp_id")
        .and_then(parse_otp_id)
        .ok_or_else(|| {
            FieldError::invalid(Location::Path, "otp_id", "Input should be a valid UUID")
        })?;
    let session = app.status(&session_key(&client, &id)).await?;
    let state = session.status(app.clock.now());
    let sms = session.attributes.sms;
    let receipt = session.delivery.as_ref();
    let status = match state {
        Status::Pending => OtpStatus::Open,
        Status::Verified => OtpStatus::Approved,
        Status::AttemptsExhausted | Status::Undeliverable => OtpStatus::Failed,
        Status::Expired => OtpStatus::Expired,
    };
    Ok(http::ok(&Report {
        attempts: session.attempts,
        attempts_left: session.attempts_left(),
        channel: "SMS",
        created_at: http::rfc3339(session.created_at),
        delivered_at: receipt
            .filter(|r| r.outcome != Outcome::Failed)
            .map(|r| http::rfc3339(r.at)),
        delivery: receipt.map(|r| r.outcome.as_str()),
        delivery_failed: state == Status::Undeliverable,
        delivery_reason: receipt.and_then(|r| r.reason.as_deref()),
        encoding: sms.map(|m| m.encoding.as_str()),
        expires_at: http::rfc3339(session.expires_at),
        last_sent_at: http::rfc3339(session.last_sent_at),
        originator: session.attributes.sender_id.as_deref(),
        otp_id: &id,
        price: receipt.and_then(|r| r.price_micro_usd).map(usd),
        recipient: session.destination.masked(),
        resend_count: session.resends(),
        segments: sms.map(|m| m.segments),
        status,
        test: session.attributes.test,
        verified_at: session.verified_at.map(http::rfc3339),
    }))
}

/// A session's report. Fields in the order they go out (alphabetical, as before).
#[derive(serde::Serialize)]
struct Report<'a> {
    attempts: u32,
    attempts_left: u32,
    channel: &'static str,
    created_at: String,
    /// When the carrier reported the SMS delivered (a delivery receipt).
    delivered_at: Option<String>,
    /// The carrier's last word on the current SMS: `delivered`, `failed`; `null` until then.
    delivery: Option<&'static str>,
    /// SNS refused the SMS (the code can never verify).
    delivery_failed: bool,
    delivery_reason: Option<&'a str>,
    encoding: Option<&'a str>,
    expires_at: String,
    last_sent_at: String,
    originator: Option<&'a str>,
    otp_id: &'a str,
    /// What the SMS cost, in US dollars, as SNS reported it.
    price: Option<String>,
    recipient: String,
    resend_count: u32,
    segments: Option<u32>,
    status: OtpStatus,
    test: bool,
    verified_at: Option<String>,
}

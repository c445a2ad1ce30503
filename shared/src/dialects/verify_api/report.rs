//! `GET /verify/v1/report/{otp_id}`.

use super::{client, iso8601, parse_otp_id, render, session_key, Failure};
use crate::app::App;
use crate::domain::destination::mask;
use crate::domain::Status;
use crate::http::{self, fields::FieldError, fields::Problem};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::json;

pub const ROUTE: &str = "/verify/v1/report/{otp_id}";

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    match report(app, &req).await {
        Ok(body) => http::json(StatusCode::OK, &body),
        Err(failure) => render(failure),
    }
}

async fn report(app: &App, req: &Request) -> Result<serde_json::Value, Failure> {
    let client = client(app, req)?;
    let id = http::path_param(req, ROUTE, "otp_id")
        .and_then(|raw| parse_otp_id(&raw))
        .ok_or_else(|| {
            let problem = Problem::Invalid("Input should be a valid UUID".into());
            Failure::Validation(vec![(
                "path",
                FieldError {
                    field: "otp_id".into(),
                    problem,
                },
            )])
        })?;
    let session = app.status(&session_key(&client, &id)).await?;
    let now = app.clock.now();
    let status = match session.status(now) {
        Status::Pending => "OPEN",
        Status::Verified => "APPROVED",
        Status::AttemptsExhausted | Status::Undeliverable => "FAILED",
        Status::Expired => "EXPIRED",
    };
    Ok(json!({
        "otp_id": id,
        "status": status,
        "recipient": mask(&session.destination),
        "originator": session.extra.get("originator"),
        "channel": "SMS",
        "resend_count": session.resends(),
        "attempts": session.attempts,
        "attempts_left": session.attempts_left(),
        "delivery_failed": session.status(now) == Status::Undeliverable,
        "created_at": iso8601(session.created_at),
        "last_sent_at": iso8601(session.last_sent_at),
        "expires_at": iso8601(session.expires_at),
        "verified_at": session.verified_at.map(iso8601),
    }))
}

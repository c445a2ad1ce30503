//! `POST /verify/v1/otp/resend-otp`.

use super::{body_errors, client, parse_otp_id, render, session_key, Failure};
use crate::app::App;
use crate::http::{self, fields::Fields};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::json;

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    match resend(app, &req).await {
        Ok(body) => http::json(StatusCode::OK, &body),
        Err(failure) => render(failure),
    }
}

/// Reads the `otp_id` of a resend/verify body (a UUID).
pub fn otp_id(f: &mut Fields) -> Option<String> {
    let raw = f.opt_text("otp_id");
    match raw {
        None if f.errors.is_empty() => {
            f.fail("otp_id", crate::http::fields::Problem::Missing);
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

async fn resend(app: &App, req: &Request) -> Result<serde_json::Value, Failure> {
    let client = client(app, req)?;
    let mut f = Fields::new(http::json_object(req, false)?);
    let id = otp_id(&mut f);
    let Some(id) = id.filter(|_| f.errors.is_empty()) else {
        return Err(body_errors(f.errors));
    };
    let session = app
        .resend(&client, &session_key(&client, &id), false)
        .await?;
    Ok(json!({
        "otp_id": id,
        "status": "OPEN",
        "expiry": session.policy.validity_secs,
        "resend_count": session.resends(),
    }))
}

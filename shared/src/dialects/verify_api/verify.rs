//! `POST /verify/v1/otp/verify-otp`.

use super::{body_errors, client, render, resend::otp_id, session_key, Failure};
use crate::app::App;
use crate::http::{self, fields::Fields};
use crate::service::Outcome;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::json;

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    match verify(app, &req).await {
        Ok(status) => http::json(StatusCode::OK, &json!({ "status": status })),
        Err(failure) => render(failure),
    }
}

async fn verify(app: &App, req: &Request) -> Result<&'static str, Failure> {
    let client = client(app, req)?;
    let mut f = Fields::new(http::json_object(req, false)?);
    let id = otp_id(&mut f);
    let code = f.opt_text("otp_code");
    match &code {
        None if !f.errors.iter().any(|e| e.field == "otp_code") => {
            f.fail("otp_code", crate::http::fields::Problem::Missing)
        }
        Some(c)
            if c.is_empty() || c.len() > 10 || !c.chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            f.invalid("otp_code", "Input should be 1-10 letters or digits")
        }
        _ => {}
    }
    let (Some(id), Some(code), true) = (id, code, f.errors.is_empty()) else {
        return Err(body_errors(f.errors));
    };
    match app.verify(&session_key(&client, &id), &code).await? {
        Outcome::Valid { .. } => Ok("APPROVED"),
        Outcome::AlreadyVerified => Ok("ALREADY_VERIFIED"),
        Outcome::Invalid { .. } | Outcome::Expired => {
            Err(Failure::InvalidCode("Invalid OTP code or OTP code expired"))
        }
        Outcome::AttemptsExceeded => Err(Failure::InvalidCode(
            "Maximum verification attempts reached",
        )),
    }
}

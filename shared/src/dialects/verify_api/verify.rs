//! `POST /verify/v1/otp/verify-otp`.

use super::{otp_id, session_key, OtpStatus};
use crate::app::App;
use crate::dialects::auth::bearer_client;
use crate::dialects::problem::{Problem, Reason, Rejection};
use crate::dialects::Reply;
use crate::http::{self, fields::Fault, fields::Fields};
use crate::service::Outcome;
use lambda_http::Request;

pub async fn handle(app: &App, req: &Request, _language: &str) -> Result<Reply, Problem> {
    let client = bearer_client(&app.config.tokens, req)?;
    let mut f = Fields::new(http::json_object(req, false)?);
    let id = otp_id(&mut f);
    let code = f.opt_text("otp_code");
    match &code {
        None if !f.errors.iter().any(|e| e.field == "otp_code") => {
            f.fail("otp_code", Fault::Missing)
        }
        Some(c)
            if c.is_empty() || c.len() > 10 || !c.chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            f.invalid("otp_code", "Input should be 1-10 letters or digits")
        }
        _ => {}
    }
    let (Some(id), Some(code), true) = (id, code, f.errors.is_empty()) else {
        return Err(Problem::invalid(f.errors));
    };
    let rejection = match app.verify(&session_key(&client, &id), &code, None).await? {
        Outcome::Valid { .. } => return Ok(verified(OtpStatus::Approved)),
        Outcome::AlreadyVerified => return Ok(verified(OtpStatus::AlreadyVerified)),
        Outcome::Invalid { .. } => Rejection::Wrong,
        Outcome::Expired => Rejection::Expired,
        Outcome::AttemptsExceeded => Rejection::AttemptsExhausted,
    };
    Err(Problem::new(Reason::CodeRejected(rejection)))
}

fn verified(status: OtpStatus) -> Reply {
    #[derive(serde::Serialize)]
    struct Verified {
        status: OtpStatus,
    }
    http::ok(&Verified { status })
}

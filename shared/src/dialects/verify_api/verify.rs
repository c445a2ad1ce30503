//! `POST /verify/v1/otp/verify-otp`.

use super::{otp_id, session_key, OtpStatus};
use crate::app::App;
use crate::dialects::auth::bearer_client;
use crate::dialects::problem::{Problem, Reason, Rejection};
use crate::dialects::Reply;
use crate::http;
use crate::http::fields::{Fault, Faults, Input, Text};
use crate::service::Outcome;
use lambda_http::Request;

/// A verify-otp body as sent.
#[derive(Default, serde::Deserialize)]
#[serde(default)]
struct VerifyOtpBody {
    otp_id: Input<Text>,
    otp_code: Input<Text>,
}

/// A verify-otp body, checked.
struct VerifyOtp {
    id: String,
    code: String,
}

impl TryFrom<VerifyOtpBody> for VerifyOtp {
    type Error = Problem;

    fn try_from(body: VerifyOtpBody) -> Result<VerifyOtp, Problem> {
        let mut f = Faults::default();
        let id = otp_id(&mut f, body.otp_id);
        let code = f.opt("otp_code", body.otp_code);
        match &code {
            None if !f.errors.iter().any(|e| e.field == "otp_code") => {
                f.fail("otp_code", Fault::Missing)
            }
            Some(c)
                if c.is_empty()
                    || c.len() > 10
                    || !c.chars().all(|c| c.is_ascii_alphanumeric()) =>
            {
                f.invalid("otp_code", "Input should be 1-10 letters or digits")
            }
            _ => {}
        }
        match (id, code, f.errors.is_empty()) {
            (Some(id), Some(code), true) => Ok(VerifyOtp { id, code }),
            _ => Err(Problem::invalid(f.errors)),
        }
    }
}

pub async fn handle(app: &App, req: &Request, _language: &str) -> Result<Reply, Problem> {
    let client = bearer_client(&app.config.tokens, req)?;
    let VerifyOtp { id, code } = http::body::<VerifyOtpBody>(req)?.try_into()?;
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

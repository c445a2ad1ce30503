//! `POST /verify/v1/otp/resend-otp`.

use super::{otp_id, session_key, Opened, OtpStatus};
use crate::app::App;
use crate::dialects::auth::bearer_client;
use crate::dialects::idempotency;
use crate::dialects::problem::Problem;
use crate::dialects::Reply;
use crate::domain::Family;
use crate::http;
use crate::http::fields::{Faults, Input, Text};
use crate::service::Resend;
use lambda_http::{Body, Request, Response};

/// A resend-otp body as sent.
#[derive(Default, serde::Deserialize)]
#[serde(default)]
struct ResendOtpBody {
    otp_id: Input<Text>,
}

/// A resend-otp body, checked.
struct ResendOtp {
    id: String,
}

impl TryFrom<ResendOtpBody> for ResendOtp {
    type Error = Problem;

    fn try_from(body: ResendOtpBody) -> Result<ResendOtp, Problem> {
        let mut f = Faults::default();
        let id = otp_id(&mut f, body.otp_id);
        match id.filter(|_| f.errors.is_empty()) {
            Some(id) => Ok(ResendOtp { id }),
            None => Err(Problem::invalid(f.errors)),
        }
    }
}

pub async fn handle(app: &App, req: &Request, _language: &str) -> Result<Reply, Problem> {
    let client = bearer_client(&app.config.tokens, req)?;
    idempotency::once(
        app,
        req,
        Family::VerifyApi,
        &client,
        again(app, req, &client),
    )
    .await
}

async fn again(app: &App, req: &Request, client: &str) -> Result<Response<Body>, Problem> {
    let ResendOtp { id } = http::body::<ResendOtpBody>(req)?.try_into()?;
    let key = session_key(client, &id);
    let session = app.resend(Resend::of(client, &key)).await?.session;
    Ok(http::ok(&Opened {
        expiry: session.policy.validity_secs,
        otp_id: &id,
        resend_count: Some(session.resends()),
        status: OtpStatus::Open,
    }))
}

//! `POST /v1/x-global/security/rao/otp/generate`.

use super::{phone, session_key, sid};
use crate::app::App;
use crate::dialects::header_contract::{send_once, Caller};
use crate::dialects::problem::Problem;
use crate::dialects::Reply;
use crate::domain::{Destination, Family};
use crate::http;
use crate::service::message::{compose, Compose, Words};
use crate::service::{Binding, NewSession};
use lambda_http::Request;
use serde_json::json;

pub async fn handle(app: &App, req: &Request, language: &str) -> Result<Reply, Problem> {
    send_once(app, req, Family::Rao, |caller: Caller| async move {
        let sid = sid(req)?;
        let phone = phone(app.decryptor()?, http::body(req)?, "").map_err(Problem::invalid)?;
        // A session already open for this `sid` gets a fresh code (to this phone), within the
        // resend rules; the code is bound to the phone, so only that phone validates it.
        let policy = app.config.policy;
        let words = Words::Default;
        let sms = Compose::sms(&caller.client, language, policy.code_length.into(), words);
        let message = compose(&app.config, sms)?;
        app.send(NewSession {
            key: session_key(&caller.client, sid),
            client: caller.client.clone(),
            destination: Destination::Phone(phone),
            policy,
            language: language.to_string(),
            message,
            family: caller.attributes(),
            binding: Binding::Destination,
        })
        .await?;
        Ok(http::ok(&json!({})))
    })
    .await
}

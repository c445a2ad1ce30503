//! `POST /v1/x-global/security/rao/otp/generate`.

use super::{phone, session_key, sid};
use crate::app::App;
use crate::dialects::header_contract::{admit, Caller};
use crate::dialects::idempotency;
use crate::dialects::problem::Problem;
use crate::dialects::Reply;
use crate::domain::Family;
use crate::domain::{i18n, sms, Destination, Template};
use crate::http;
use crate::service::{Binding, NewSession};
use lambda_http::{Body, Request, Response};
use serde_json::json;
use std::collections::BTreeMap;

pub async fn handle(app: &App, req: &Request, language: &str) -> Result<Reply, Problem> {
    let caller = admit(&app.config.access, req)?;
    let client = caller.client.clone();
    idempotency::once(
        app,
        req,
        Family::Rao,
        &client,
        open(app, req, language, caller),
    )
    .await
}

async fn open(
    app: &App,
    req: &Request,
    language: &str,
    caller: Caller,
) -> Result<Response<Body>, Problem> {
    let sid = sid(req)?;
    let phone = phone(app, http::json_object(req, false)?, "").map_err(Problem::invalid)?;
    // A session already open for this `sid` gets a fresh code (to this phone), within the
    // resend rules; the code is bound to the phone, so only that phone validates it.
    let policy = app.config.policy;
    let domain = app.config.autofill.domain(&caller.client);
    let text = sms::with_autofill(
        i18n::default_sms(language),
        domain,
        policy.code_length.into(),
        sms::Limit::NONE,
    );
    app.send(NewSession {
        key: session_key(&caller.client, sid),
        client: caller.client,
        destination: Destination::Phone(phone),
        policy,
        language: language.to_string(),
        template: Template::sms(text),
        sender_id: app.config.sms_sender_id.clone(),
        extra: BTreeMap::from([
            ("country".to_string(), caller.country),
            ("business".to_string(), caller.business),
            ("channel".to_string(), caller.channel),
        ]),
        binding: Binding::Destination,
    })
    .await?;
    Ok(http::ok(&json!({})))
}

//! `GET /v1/x-global/security/rao/certified-phone`.

use super::{session_key, sid};
use crate::app::App;
use crate::dialects::header_contract::admit;
use crate::dialects::problem::{Missing, Problem, Reason};
use crate::dialects::Reply;
use crate::domain::{Destination, State};
use crate::http;
use lambda_http::Request;
use serde::Serialize;

pub async fn handle(app: &App, req: &Request, _language: &str) -> Result<Reply, Problem> {
    let caller = admit(&app.config.access, req)?;
    let sid = sid(req)?;
    let not_found = || Problem::new(Reason::NotFound(Missing::Session));
    let session = app.status(&session_key(&caller.client, sid)).await?;
    if session.state != State::Verified {
        return Err(not_found());
    }
    let Destination::Phone(phone) = &session.destination else {
        return Err(not_found());
    };
    let code = phone.calling_code().ok_or_else(not_found)?;
    let national = phone.as_str().strip_prefix(&code).unwrap_or_default();
    Ok(http::ok(&CertifiedPhone {
        phone_country_code: &code,
        phone_number: national,
    }))
}

/// The phone a validation certified, split at its calling code.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CertifiedPhone<'a> {
    phone_country_code: &'a str,
    phone_number: &'a str,
}

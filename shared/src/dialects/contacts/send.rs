//! `POST /contacts/{contactId}/verification-keys` and
//! `POST /contacts/{contactId}/verification-keys/pending-communication-channel`.

use super::{contact_id, context, render, session_key, valid_session_id, Ctx, Failure};
use crate::app::App;
use crate::domain::destination::{e164, email};
use crate::domain::{i18n, Channel};
use crate::http::{self, fields::Fields};
use crate::ports::Contact;
use crate::service::NewSession;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::json;

pub const ROUTE: &str = "/contacts/{contactId}/verification-keys";
pub const PENDING_ROUTE: &str =
    "/contacts/{contactId}/verification-keys/pending-communication-channel";

/// Sends to the contact's own phone or email.
pub async fn handle(app: &App, req: Request) -> Response<Body> {
    run(app, req, ROUTE, false).await
}

/// Sends to the contact's pending phone or email.
pub async fn handle_pending(app: &App, req: Request) -> Response<Body> {
    run(app, req, PENDING_ROUTE, true).await
}

async fn run(app: &App, req: Request, route: &str, pending: bool) -> Response<Body> {
    let ctx = match context(app, &req) {
        Ok(ctx) => ctx,
        Err(res) => return *res,
    };
    let mut lang = ctx.language.clone();
    match send(app, &req, route, pending, &ctx, &mut lang).await {
        Ok(generated) => http::json(StatusCode::OK, &json!({ "generatedSessionId": generated })),
        Err(failure) => render(&req, &lang, failure),
    }
}

struct SendRequest {
    session_id: Option<String>,
    channel: Channel,
    template_key: String,
}

fn parse(req: &Request, pending: bool) -> Result<SendRequest, Failure> {
    let mut f = Fields::new(http::json_object(req, false)?);
    let session_id = f.opt_str("sessionId");
    let channel = f.str("channel");
    let template_key = f.opt_str("templateMetadataKey");
    if let Some(e) = f.errors.into_iter().next() {
        return Err(e.into());
    }
    if session_id.as_deref().is_some_and(|s| !valid_session_id(s)) {
        return Err(Failure::BadRequest {
            sub_code: "sessionId".into(),
            detail: Some("1-64 of [A-Za-z0-9_-]".into()),
        });
    }
    let channel = match channel.unwrap_or_default().to_ascii_lowercase().as_str() {
        "sms" => Channel::Sms,
        "email" => Channel::Email,
        _ => {
            return Err(Failure::BadRequest {
                sub_code: "channel".into(),
                detail: Some("one of Sms, Email".into()),
            })
        }
    };
    let default_key = if pending {
        "contact-update"
    } else {
        "verification"
    };
    Ok(SendRequest {
        session_id,
        channel,
        template_key: template_key.unwrap_or_else(|| default_key.into()),
    })
}

/// The contact's address on `channel`, normalised, or the `subCode` of what is missing.
fn destination(contact: &Contact, channel: Channel, pending: bool) -> Result<String, Failure> {
    type Normalise = fn(&str) -> Option<String>;
    let (value, missing, normalise): (&Option<String>, &'static str, Normalise) =
        match (channel, pending) {
            (Channel::Sms, false) => (&contact.phone, "ContactHasNoPhone", e164),
            (Channel::Email, false) => (&contact.email, "ContactHasNoEmail", email),
            (Channel::Sms, true) => (&contact.pending_phone, "ContactHasNoPendingPhone", e164),
            (Channel::Email, true) => (&contact.pending_email, "ContactHasNoPendingEmail", email),
        };
    value
        .as_deref()
        .and_then(normalise)
        .ok_or(Failure::ChannelMissing(missing))
}

async fn send(
    app: &App,
    req: &Request,
    route: &str,
    pending: bool,
    ctx: &Ctx,
    lang: &mut String,
) -> Result<Option<String>, Failure> {
    let contact_id = contact_id(req, route)?;
    let body = parse(req, pending)?;
    if !i18n::TEMPLATE_KEYS.contains(&body.template_key.as_str()) {
        return Err(Failure::UnknownTemplate);
    }
    let contact = app
        .contacts
        .get(contact_id)
        .await
        .map_err(|e| Failure::Service(e.into()))?
        .ok_or(Failure::ContactNotFound)?;
    // The contact's language ranks below the caller's explicit choice, above the default.
    if let Some(preferred) = contact.language.as_deref() {
        *lang = http::language(req, preferred);
    }
    let destination = destination(&contact, body.channel, pending)?;
    let (session_id, generated) = match body.session_id {
        Some(id) => (id, None),
        None => {
            let id =
                crate::domain::code::random_hex_id().map_err(|e| Failure::Service(e.into()))?;
            (id.clone(), Some(id))
        }
    };
    let template = i18n::template(&body.template_key, lang).ok_or(Failure::UnknownTemplate)?;
    let mut extra = std::collections::BTreeMap::new();
    extra.insert("contact_id".into(), contact_id.to_string());
    if pending {
        extra.insert("pending".into(), "true".into());
    }
    app.send(NewSession {
        client: ctx.client.clone(),
        key: session_key(&ctx.client, contact_id, &session_id),
        channel: body.channel,
        destination,
        policy: app.config.policy,
        language: lang.clone(),
        template,
        sender_id: None,
        extra,
    })
    .await?;
    Ok(generated)
}

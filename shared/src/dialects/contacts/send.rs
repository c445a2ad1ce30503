//! `POST /contacts/{contactId}/verification-keys` and
//! `POST /contacts/{contactId}/verification-keys/pending-communication-channel`.

use super::{contact_id, session_key, valid_session_id, SESSION_ID_RULE};
use crate::app::App;
use crate::dialects::auth::bearer_client;
use crate::dialects::idempotency;
use crate::dialects::problem::{Missing, Problem, Reason};
use crate::dialects::Reply;
use crate::domain::code::random_hex_id;
use crate::domain::{i18n, Channel, Destination, Email, Family, FamilyAttributes, E164};
use crate::http;
use crate::http::fields::{Faults, Input, Str};
use crate::ports::Contact;
use crate::service::message::{compose, Compose, Words};
use crate::service::{Binding, NewSession};
use lambda_http::Request;
use serde::Serialize;

/// Sends to the contact's own phone or email.
pub async fn handle(app: &App, req: &Request, language: &str) -> Result<Reply, Problem> {
    send(app, req, false, language).await
}

/// Sends to the contact's pending phone or email.
pub async fn handle_pending(app: &App, req: &Request, language: &str) -> Result<Reply, Problem> {
    send(app, req, true, language).await
}

/// A send body as sent.
#[derive(Default, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct SendBody {
    session_id: Input<Str>,
    channel: Input<Str>,
    template_metadata_key: Input<Str>,
}

/// A send body, checked.
struct SendRequest {
    session_id: Option<String>,
    channel: Channel,
    /// `None`: the endpoint's own (`verification`, or `contact-update` for a pending address).
    template_key: Option<String>,
}

impl TryFrom<SendBody> for SendRequest {
    type Error = Problem;

    fn try_from(body: SendBody) -> Result<SendRequest, Problem> {
        let mut f = Faults::default();
        let session_id = f.opt("sessionId", body.session_id);
        let channel = f.req("channel", body.channel);
        let template_key = f.opt("templateMetadataKey", body.template_metadata_key);
        if session_id.as_deref().is_some_and(|s| !valid_session_id(s)) {
            f.invalid("sessionId", SESSION_ID_RULE);
        }
        let channel = match channel.map(|c| c.to_ascii_lowercase()).as_deref() {
            Some("sms") => Some(Channel::Sms),
            Some("email") => Some(Channel::Email),
            Some(_) => {
                f.invalid("channel", "one of Sms, Email");
                None
            }
            None => None,
        };
        if !f.errors.is_empty() {
            return Err(Problem::invalid(f.errors));
        }
        Ok(SendRequest {
            session_id,
            channel: channel.unwrap_or(Channel::Sms),
            template_key,
        })
    }
}

/// The contact's address on `channel`, or why there is none.
fn destination(contact: &Contact, channel: Channel, pending: bool) -> Result<Destination, Problem> {
    let phone = |v: &Option<String>| v.as_deref().and_then(E164::parse).map(Destination::Phone);
    let email = |v: &Option<String>| v.as_deref().and_then(Email::parse).map(Destination::Email);
    let found = match (channel, pending) {
        (Channel::Sms, false) => phone(&contact.phone),
        (Channel::Email, false) => email(&contact.email),
        (Channel::Sms, true) => phone(&contact.pending_phone),
        (Channel::Email, true) => email(&contact.pending_email),
    };
    found.ok_or_else(|| Problem::new(Reason::NoAddress { channel, pending }))
}

async fn send(app: &App, req: &Request, pending: bool, language: &str) -> Result<Reply, Problem> {
    let client = bearer_client(&app.config.tokens, req)?;
    let run = open(app, req, pending, language, &client);
    idempotency::once(app, req, Family::Contacts, &client, run).await
}

async fn open(
    app: &App,
    req: &Request,
    pending: bool,
    language: &str,
    client: &str,
) -> Result<Reply, Problem> {
    let contact_id = contact_id(req)?;
    let mut body = SendRequest::try_from(http::body::<SendBody>(req)?)?;
    let template_key = body.template_key.get_or_insert_with(|| {
        let own = if pending {
            "contact-update"
        } else {
            "verification"
        };
        own.to_string()
    });
    if !i18n::TEMPLATE_KEYS.contains(&template_key.as_str()) {
        return Err(Problem::new(Reason::UnknownTemplate));
    }
    let contact = app
        .contacts()?
        .get(contact_id)
        .await?
        .ok_or_else(|| Problem::new(Reason::NotFound(Missing::Contact)))?;
    // The contact's language ranks below the caller's explicit choice, above the default.
    let language = match contact.language.as_deref() {
        Some(preferred) => http::language(req, preferred),
        None => language.to_string(),
    };
    deliver(app, pending, client, contact_id, &contact, body, &language)
        .await
        .map_err(|problem| problem.in_language(&language))
}

/// Opens the session and sends the code, in the contact's `language`.
async fn deliver(
    app: &App,
    pending: bool,
    client: &str,
    contact_id: i32,
    contact: &Contact,
    body: SendRequest,
    language: &str,
) -> Result<Reply, Problem> {
    let destination = destination(contact, body.channel, pending)?;
    let (session_id, generated) = match body.session_id {
        Some(id) => (id, None),
        None => {
            let id = app.new_session_id(&destination, random_hex_id)?;
            (id.clone(), Some(id))
        }
    };
    let code_len = app.config.policy.code_length.into();
    let words = Words::Named(body.template_key.as_deref().unwrap_or_default());
    let message = Compose {
        channel: body.channel,
        ..Compose::sms(client, language, code_len, words)
    };
    let message = compose(&app.config, message)?;
    app.send(NewSession {
        key: session_key(client, contact_id, &session_id),
        client: client.to_string(),
        destination,
        policy: app.config.policy,
        language: language.to_string(),
        message,
        family: FamilyAttributes::Contacts {
            contact_id,
            pending,
        },
        binding: Binding::None,
    })
    .await?;
    Ok(http::ok(&Sent {
        generated_session_id: generated,
    }))
}

/// A send's answer: the session id the service made, when the caller gave none.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Sent {
    generated_session_id: Option<String>,
}

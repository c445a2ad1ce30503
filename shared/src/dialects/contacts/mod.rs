//! Contact verification: Bearer auth, `{code, subCode, message, correlationId}` errors,
//! messages in the caller's language.

pub mod check;
pub mod send;
pub mod verify;

use super::problem::{Ctx, Dialect, Missing, Problem, Reason, Rejection};
use crate::domain::i18n::Text;
use crate::domain::{Channel, Family, LimitScope, ResendRefusal, SessionKey};
use crate::http::fields::{FieldError, Location};
use crate::http::{self};
use lambda_http::http::StatusCode;
use lambda_http::Request;
use serde_json::{json, Value};

/// This family's wire form.
pub struct Contacts;

impl Dialect for Contacts {
    fn render(problem: &Problem, ctx: &Ctx) -> (StatusCode, Value) {
        let (sub_code, text) = sub_code(problem);
        let message = match problem.field() {
            Some(field) => format!("{}: {}", text.in_language(ctx.language), field.message()),
            None => text.in_language(ctx.language).to_string(),
        };
        let status = problem.status();
        // `BadRequest`, `NotFound`, `TooManyRequests`…: the status's name.
        let code: String = status
            .canonical_reason()
            .unwrap_or("Error")
            .split_whitespace()
            .collect();
        let body = json!({
            "code": code,
            "subCode": sub_code,
            "message": message,
            "correlationId": ctx.correlation_id,
        });
        (status, body)
    }
}

/// The table: each reason's `subCode` and message.
fn sub_code(problem: &Problem) -> (String, Text) {
    let (sub, text) = match problem.reason {
        Reason::Invalid => {
            let name = problem.field().map_or("body", |f| match f.field.as_str() {
                "" => f.location.as_str(),
                name => name,
            });
            return (name.to_string(), Text::BadRequest);
        }
        Reason::Unauthorized => ("NA", Text::Unauthorized),
        Reason::Forbidden => ("NA", Text::Forbidden),
        Reason::NotFound(Missing::Contact) => ("ContactNotFound", Text::ContactNotFound),
        Reason::NotFound(Missing::Session) => ("SessionNotFound", Text::SessionNotFound),
        Reason::NoAddress { channel, pending } => {
            let sub = match (channel, pending) {
                (Channel::Sms, false) => "ContactHasNoPhone",
                (Channel::Email, false) => "ContactHasNoEmail",
                (Channel::Sms, true) => "ContactHasNoPendingPhone",
                (Channel::Email, true) => "ContactHasNoPendingEmail",
            };
            (sub, Text::ChannelMissing)
        }
        Reason::UnknownTemplate => ("templateMetadataKey", Text::UnknownTemplate),
        Reason::CodeRejected(Rejection::Wrong) => ("InvalidKey", Text::InvalidCode),
        Reason::CodeRejected(Rejection::Expired) => ("KeyExpired", Text::Expired),
        Reason::CodeRejected(Rejection::AttemptsExhausted) => {
            ("AttemptsExceeded", Text::AttemptsExhausted)
        }
        Reason::ResendRefused(refusal) => match refusal {
            ResendRefusal::TooSoon { .. } => ("ResendCooldown", Text::ResendTooSoon),
            ResendRefusal::TooManySends => ("MaxSendsReached", Text::TooManySends),
            ResendRefusal::AlreadyVerified => ("SessionAlreadyVerified", Text::AlreadyVerified),
            ResendRefusal::AttemptsExhausted => ("AttemptsExceeded", Text::AttemptsExhausted),
            ResendRefusal::Expired => ("SessionExpired", Text::Expired),
        },
        Reason::RateLimited(LimitScope::Destination) => {
            ("DestinationRateLimited", Text::RateLimited)
        }
        Reason::RateLimited(LimitScope::Client) => ("ClientRateLimited", Text::RateLimited),
        Reason::RateLimited(LimitScope::Prefix) => ("PrefixRateLimited", Text::RateLimited),
        Reason::RateLimited(LimitScope::Country) => ("CountryRateLimited", Text::RateLimited),
        Reason::RateLimited(LimitScope::Deployment) => ("SmsCeilingReached", Text::RateLimited),
        Reason::CountryRefused => ("DestinationCountryNotAllowed", Text::CountryRefused),
        Reason::Suppressed => ("DestinationSuppressed", Text::Suppressed),
        Reason::DeliveryFailed => ("DeliveryFailed", Text::DeliveryFailed),
        Reason::Unavailable => ("NA", Text::Unavailable),
        Reason::KeyReused => ("IdempotencyKeyReused", Text::KeyReused),
        Reason::KeyInFlight => ("IdempotencyKeyInFlight", Text::KeyInFlight),
        Reason::MethodNotAllowed => ("MethodNotAllowed", Text::MethodNotAllowed),
        Reason::TooLarge => ("PayloadTooLarge", Text::TooLarge),
    };
    (sub.to_string(), text)
}

/// A path parameter, or an invalid-input problem naming it.
fn param<'a>(
    req: &'a Request,
    name: &str,
    valid: fn(&str) -> bool,
    rule: &str,
) -> Result<&'a str, Problem> {
    http::path_param(req, name)
        .filter(|v| valid(v))
        .ok_or_else(|| FieldError::invalid(Location::Path, name, rule).into())
}

/// The `contactId` path parameter (int32).
pub fn contact_id(req: &Request) -> Result<i32, Problem> {
    http::path_param(req, "contactId")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| {
            let rule = "contactId must be a 32-bit integer";
            FieldError::invalid(Location::Path, "contactId", rule).into()
        })
}

/// Session ids: 1–64 of `[A-Za-z0-9_-]`.
pub fn valid_session_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

pub const SESSION_ID_RULE: &str = "1-64 of [A-Za-z0-9_-]";

/// Store key of a session: the client's, for one contact.
pub fn session_key(client: &str, contact_id: i32, session_id: &str) -> SessionKey {
    SessionKey::new(
        Family::Contacts,
        client,
        &[&contact_id.to_string(), session_id],
    )
}

/// `{contactId}`, `{sessionId}` and `{key}` of the check/verify routes: the session and the code.
fn key_params(req: &Request, client: &str) -> Result<(SessionKey, String), Problem> {
    let contact = contact_id(req)?;
    let session_id = param(req, "sessionId", valid_session_id, SESSION_ID_RULE)?;
    let valid_key =
        |k: &str| !k.is_empty() && k.len() <= 32 && k.chars().all(|c| c.is_ascii_alphanumeric());
    let key = param(req, "key", valid_key, "1-32 letters or digits")?;
    Ok((session_key(client, contact, session_id), key.to_string()))
}

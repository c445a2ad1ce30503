//! RAO transmit OTP: the header contract, phone numbers and codes encrypted under the
//! service's RSA key (RSA-OAEP, SHA-256), sessions named by the consumer's `sid`, and the
//! phone certified by a validation.

pub mod certified_phone;
pub mod generate;
pub mod validate;

use super::header_contract::{envelope, required_header, Entry};
use super::problem::{Ctx, Dialect, Problem, Reason};
use crate::app::App;
use crate::domain::i18n::Text;
use crate::domain::{Family, ResendRefusal, SessionKey, E164};
use crate::http::fields::{Fault, FieldError, Location};
use base64::Engine;
use lambda_http::http::StatusCode;
use lambda_http::Request;
use serde_json::{Map, Value};

/// This family's wire form.
pub struct Rao;

impl Dialect for Rao {
    fn render(problem: &Problem, ctx: &Ctx) -> (StatusCode, Value) {
        envelope(problem, ctx, entry(problem, ctx.language), true)
    }
}

/// The table: each reason's status, type, code, details and, when no input is at fault,
/// location and moreInfo.
fn entry(problem: &Problem, language: &str) -> Entry {
    if let Some(shared) = Entry::shared(problem, language) {
        return shared;
    }
    let text = |t: Text| t.in_language(language);
    let business = |why: Text| {
        Entry::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "error",
            "businessValidationFailed",
            "Business validation error occured on one or more parameters",
        )
        .at("encryptedOneTimePasswordToken")
        .info(text(why))
    };
    match problem.reason {
        Reason::Unauthorized => Entry::new(
            StatusCode::UNAUTHORIZED,
            "error",
            "unAuthorized",
            "Authorization credentials are missing or invalid",
        )
        .at("client_id/Authorization"),
        Reason::NotFound(_) => Entry::new(
            StatusCode::NOT_FOUND,
            "error",
            "resourceNotFound",
            "The requested resource was not found",
        )
        .at("sid")
        .info("Empty resource/resource not found"),
        Reason::CodeRejected(why) => business(match why {
            super::problem::Rejection::Wrong => Text::InvalidCode,
            super::problem::Rejection::Expired => Text::Expired,
            super::problem::Rejection::AttemptsExhausted => Text::AttemptsExhausted,
        }),
        Reason::ResendRefused(ResendRefusal::AlreadyVerified) => business(Text::AlreadyVerified),
        Reason::ResendRefused(_) => business(Text::AttemptsExhausted),
        // Delivery is a dependency like the store: the family's 5xx.
        Reason::Unavailable | Reason::DeliveryFailed => Entry::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "fatal",
            "serverUnavailable",
            "The request failed due to an internal error/server unavailability",
        ),
        Reason::Invalid
        | Reason::NoAddress { .. }
        | Reason::UnknownTemplate
        | Reason::Forbidden
        | Reason::RateLimited(_) => Entry::new(
            StatusCode::BAD_REQUEST,
            "error",
            "invalidRequest",
            "Missing or invalid Parameters",
        ),
    }
}

/// Store key of a session: the client's, by the consumer's `sid`.
pub fn session_key(client: &str, sid: &str) -> SessionKey {
    SessionKey::new(Family::Rao, client, &[sid])
}

/// The consumer's session id: 1-64 of `[A-Za-z0-9._:-]`.
fn sid(req: &Request) -> Result<&str, Problem> {
    let valid = |v: &str| {
        (1..=64).contains(&v.len())
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || "._:-".contains(c))
    };
    required_header(req, "sid", valid, "must be 1-64 of [A-Za-z0-9._:-]")
}

/// A base64 RSA-OAEP ciphertext, decrypted; `None` whatever went wrong.
fn decrypt(app: &App, value: &Value) -> Option<Vec<u8>> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(value.as_str()?.trim())
        .ok()?;
    app.decryptor.decrypt(&bytes).ok()
}

const PHONE_RULE: &str = "must be the base64 RSA-OAEP (SHA-256) ciphertext, under the service's public key, of the national number: 4-14 digits, valid with phoneCountryCode";

/// `{phoneCountryCode, encryptedPhoneNumber}` of `map`, decrypted into a number valid for its
/// country. Every way the ciphertext can fail gets the same answer. Fields are named with
/// `prefix` (`phone.` inside validate's body).
fn phone(app: &App, map: &Map<String, Value>, prefix: &str) -> Result<E164, Vec<FieldError>> {
    let field = |name: &str| format!("{prefix}{name}");
    let mut errors = Vec::new();
    let code = match map.get("phoneCountryCode").filter(|v| !v.is_null()) {
        None => {
            errors.push(FieldError::new(
                Location::Body,
                &field("phoneCountryCode"),
                Fault::Missing,
            ));
            None
        }
        Some(Value::String(c)) if valid_country_code(c) => Some(c.clone()),
        Some(_) => {
            errors.push(FieldError::invalid(
                Location::Body,
                &field("phoneCountryCode"),
                "must match ^\\+\\d{1,4}$",
            ));
            None
        }
    };
    let national = match map.get("encryptedPhoneNumber").filter(|v| !v.is_null()) {
        None => {
            errors.push(FieldError::new(
                Location::Body,
                &field("encryptedPhoneNumber"),
                Fault::Missing,
            ));
            None
        }
        Some(v) => {
            let digits = decrypt(app, v)
                .and_then(|plain| String::from_utf8(plain).ok())
                .filter(|n| (4..=14).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_digit()));
            if digits.is_none() {
                errors.push(FieldError::invalid(
                    Location::Body,
                    &field("encryptedPhoneNumber"),
                    PHONE_RULE,
                ));
            }
            digits
        }
    };
    let (Some(code), Some(national)) = (code, national) else {
        return Err(errors);
    };
    E164::parse(&format!("{code}{national}"))
        .filter(|p| p.as_str() == format!("{code}{national}"))
        .ok_or_else(|| {
            vec![FieldError::invalid(
                Location::Body,
                &field("encryptedPhoneNumber"),
                PHONE_RULE,
            )]
        })
}

fn valid_country_code(c: &str) -> bool {
    c.strip_prefix('+')
        .is_some_and(|d| (1..=4).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()))
}

/// The body as a JSON object.
fn body(req: &Request) -> Result<Map<String, Value>, Problem> {
    Ok(crate::http::json_object(req, false)?)
}

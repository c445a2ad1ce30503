//! RAO transmit OTP: the header contract, phone numbers and codes encrypted under the
//! service's RSA key (RSA-OAEP, SHA-256), sessions named by the consumer's `sid`, and the
//! phone certified by a validation.

pub mod certified_phone;
pub mod generate;
pub mod validate;

use super::header_contract::{required_header, Contract, Entry, Form, Uuid};
use super::problem::{Problem, Reason};
use crate::domain::i18n::Text;
use crate::domain::{Family, ResendRefusal, SessionKey, E164};
use crate::http::fields::{Faults, FieldError, Input, Str};
use crate::ports::Decryptor;
use base64::Engine;
use lambda_http::http::StatusCode;
use lambda_http::Request;

/// This family's wire form.
pub struct Rao;

impl Contract for Rao {
    const FORM: Form = Form {
        phone_field: "encryptedPhoneNumber",
        uuid: Uuid::Echoed,
        unauthorized: "Authorization credentials are missing or invalid",
    };

    fn table(problem: &Problem, language: &str) -> Entry {
        let business = |why: Text| {
            Entry::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "error",
                "businessValidationFailed",
                "Business validation error occured on one or more parameters",
            )
            .at("encryptedOneTimePasswordToken")
            .info(why.in_language(language))
        };
        match problem.reason {
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
            Reason::ResendRefused(ResendRefusal::AlreadyVerified) => {
                business(Text::AlreadyVerified)
            }
            Reason::ResendRefused(_) => business(Text::AttemptsExhausted),
            // Delivery is a dependency like the store: the family's 5xx.
            Reason::Unavailable | Reason::DeliveryFailed => Entry::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "fatal",
                "serverUnavailable",
                "The request failed due to an internal error/server unavailability",
            ),
            // Every other refusal is the contract's invalid request.
            _ => Entry::new(
                StatusCode::BAD_REQUEST,
                "error",
                "invalidRequest",
                "Missing or invalid Parameters",
            ),
        }
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

/// A base64 RSA-OAEP ciphertext decrypted to text that `valid` accepts; `None` whatever went
/// wrong, so that no answer tells which step failed.
fn decrypt(key: &dyn Decryptor, ciphertext: &str, valid: impl Fn(&str) -> bool) -> Option<String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(ciphertext.trim())
        .ok()?;
    let plain = String::from_utf8(key.decrypt(&bytes).ok()?).ok()?;
    valid(&plain).then_some(plain)
}

const PHONE_RULE: &str = "must be the base64 RSA-OAEP (SHA-256) ciphertext, under the service's public key, of the national number: 4-14 digits, valid with phoneCountryCode";

/// An encrypted phone as sent: generate's body, validate's `phone`.
#[derive(Default, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PhoneBody {
    phone_country_code: Input<Str>,
    encrypted_phone_number: Input<Str>,
}

/// `{phoneCountryCode, encryptedPhoneNumber}` decrypted into a number valid for its country.
/// Every way the ciphertext can fail gets the same answer. Fields are named with `prefix`
/// (`phone.` inside validate's body).
fn phone(key: &dyn Decryptor, body: PhoneBody, prefix: &str) -> Result<E164, Vec<FieldError>> {
    let mut f = Faults::default();
    let code = f.req("phoneCountryCode", body.phone_country_code);
    let ciphertext = f.req("encryptedPhoneNumber", body.encrypted_phone_number);
    if code.as_deref().is_some_and(|c| !valid_country_code(c)) {
        f.invalid("phoneCountryCode", "must match ^\\+\\d{1,4}$");
    }
    let digits = |n: &str| (4..=14).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_digit());
    let national = ciphertext.and_then(|c| {
        let national = decrypt(key, &c, digits);
        if national.is_none() {
            f.invalid("encryptedPhoneNumber", PHONE_RULE);
        }
        national
    });
    let number = match (code.filter(|c| valid_country_code(c)), national) {
        (Some(code), Some(national)) => {
            let written = format!("{code}{national}");
            let number = E164::parse(&written).filter(|p| p.as_str() == written);
            if number.is_none() {
                f.invalid("encryptedPhoneNumber", PHONE_RULE);
            }
            number
        }
        _ => None,
    };
    match number {
        Some(n) if f.errors.is_empty() => Ok(n),
        _ => Err(f
            .errors
            .into_iter()
            .map(|e| FieldError {
                field: format!("{prefix}{}", e.field),
                ..e
            })
            .collect()),
    }
}

fn valid_country_code(c: &str) -> bool {
    c.strip_prefix('+')
        .is_some_and(|d| (1..=4).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()))
}

//! Telemarketing OTP: the header contract, 11-character codes split between the caller's app
//! (3) and the customer's SMS (8), sessions named by the `sid` header.

pub mod generate;
pub mod validate;

use super::header_contract::{Contract, Entry, Form, Uuid};
use super::problem::{Problem, Reason, Rejection};
use crate::domain::i18n::Text;
use crate::domain::{Family, ResendRefusal, SessionKey};
use crate::http::fields::{FieldError, Location};
use lambda_http::http::StatusCode;

/// This family's wire form.
pub struct Telemarketing;

/// Characters of a code, and how many of them go back to the caller.
pub const CODE_LEN: u8 = 11;
pub const CALLER_PART_LEN: u8 = 3;

impl Contract for Telemarketing {
    const FORM: Form = Form {
        phone_field: "phoneNumber",
        uuid: Uuid::Omitted,
        unauthorized: "Unauthorized access to this resource",
    };

    fn table(problem: &Problem, language: &str) -> Entry {
        let bad_request = || {
            Entry::new(
                StatusCode::BAD_REQUEST,
                "invalid",
                "invalidRequest",
                "Missing or invalid Parameters",
            )
        };
        let rejected =
            |code: &'static str| Entry::new(StatusCode::BAD_REQUEST, "error", code, code);
        match problem.reason {
            Reason::NotFound(_) => bad_request()
                .at("sid")
                .info(Text::SessionNotFound.in_language(language)),
            Reason::ResendRefused(refusal) => {
                let why = match refusal {
                    ResendRefusal::AlreadyVerified => Text::AlreadyVerified,
                    ResendRefusal::AttemptsExhausted => Text::AttemptsExhausted,
                    _ => Text::Expired,
                };
                bad_request().at("sid").info(why.in_language(language))
            }
            Reason::CodeRejected(Rejection::Expired) => rejected("OTP Token Expired")
                .at("oneTimePasswordToken")
                .info(Text::Expired.in_language(language)),
            Reason::CodeRejected(why) => {
                let more = match why {
                    Rejection::AttemptsExhausted => Text::AttemptsExhausted,
                    _ => Text::InvalidCode,
                };
                rejected("OTP Token Invalid")
                    .at("oneTimePasswordToken")
                    .info(more.in_language(language))
            }
            Reason::DeliveryFailed => Entry::new(
                StatusCode::BAD_REQUEST,
                "error",
                "smsDeliveryFailed",
                "SMS delivery failed",
            )
            .at("phoneNumber"),
            Reason::Unavailable => Entry::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "error",
                "backendError",
                "Failed during a call to backend service",
            ),
            // Every other refusal is the contract's invalid request.
            _ => bad_request(),
        }
    }
}

/// Store key of a session: the client's, by `sid`.
pub fn session_key(client: &str, sid: &str) -> SessionKey {
    SessionKey::new(Family::Telemarketing, client, &[sid])
}

/// A `sid` header as this family issues it (a canonical UUID), or the fault naming it.
fn parse_sid(raw: &str) -> Result<String, FieldError> {
    uuid::Uuid::parse_str(raw.trim())
        .map(|u| u.hyphenated().to_string())
        .map_err(|_| FieldError::invalid(Location::Header, "sid", SID_RULE))
}

/// The `sid` header's rule, as error responses state it.
pub(super) const SID_RULE: &str = "must be the sid returned by generate";

//! `POST /v1/x-global/security/rao/otp/validate`.

use super::{body, decrypt, phone, session_key, sid, Rao};
use crate::app::App;
use crate::dialects::header_contract::{admit, finish};
use crate::dialects::problem::{Problem, Reason, Rejection};
use crate::http;
use crate::http::fields::{Fault, FieldError, Location};
use crate::service::Outcome;
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};

const TOKEN_RULE: &str = "must be the base64 RSA-OAEP (SHA-256) ciphertext, under the service's public key, of the code: 4-10 letters or digits";

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    let language = http::language(&req, &app.config.default_language);
    let result = validate(app, &req).await;
    finish::<Rao>(&req, &language, result)
}

async fn validate(app: &App, req: &Request) -> Result<Response<Body>, Problem> {
    let caller = admit(&app.config.access, req)?;
    let sid = sid(req)?;
    let body = body(req)?;
    let mut errors = Vec::new();
    let code = match body
        .get("encryptedOneTimePasswordToken")
        .filter(|v| !v.is_null())
    {
        None => {
            errors.push(FieldError::new(
                Location::Body,
                "encryptedOneTimePasswordToken",
                Fault::Missing,
            ));
            None
        }
        Some(v) => {
            let code = decrypt(app, v)
                .and_then(|plain| String::from_utf8(plain).ok())
                .filter(|c| {
                    (4..=10).contains(&c.len()) && c.bytes().all(|b| b.is_ascii_alphanumeric())
                });
            if code.is_none() {
                errors.push(FieldError::invalid(
                    Location::Body,
                    "encryptedOneTimePasswordToken",
                    TOKEN_RULE,
                ));
            }
            code
        }
    };
    let phone = match body.get("phone") {
        Some(Value::Object(map)) => phone(app, map, "phone.").map_err(|e| errors.extend(e)).ok(),
        None | Some(Value::Null) => {
            errors.push(FieldError::new(Location::Body, "phone", Fault::Missing));
            None
        }
        Some(_) => {
            errors.push(FieldError::new(
                Location::Body,
                "phone",
                Fault::WrongType("object"),
            ));
            None
        }
    };
    let (Some(code), Some(phone), true) = (code, phone, errors.is_empty()) else {
        return Err(Problem::invalid(errors));
    };
    // The code is bound to the phone it went to: another phone is a wrong code.
    let key = session_key(&caller.client, sid);
    let rejection = match app.verify(&key, &code, Some(phone.as_str())).await? {
        Outcome::Valid { .. } => return Ok(http::ok(&json!({}))),
        // Single use: a certified session's code is spent.
        Outcome::AlreadyVerified | Outcome::Invalid { .. } => Rejection::Wrong,
        Outcome::Expired => Rejection::Expired,
        Outcome::AttemptsExceeded => Rejection::AttemptsExhausted,
    };
    Err(Problem::new(Reason::CodeRejected(rejection)))
}

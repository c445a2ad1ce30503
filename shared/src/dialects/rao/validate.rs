//! `POST /v1/x-global/security/rao/otp/validate`.

use super::{decrypt, phone, session_key, sid, PhoneBody};
use crate::app::App;
use crate::dialects::header_contract::{admit, single_use};
use crate::dialects::problem::Problem;
use crate::dialects::Reply;
use crate::http;
use crate::http::fields::{Faults, Input, Object, Str};
use lambda_http::Request;

const TOKEN_RULE: &str = "must be the base64 RSA-OAEP (SHA-256) ciphertext, under the service's public key, of the code: 4-10 letters or digits";

/// A validate body as sent.
#[derive(Default, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct ValidateBody {
    encrypted_one_time_password_token: Input<Str>,
    phone: Input<Object<PhoneBody>>,
}

pub async fn handle(app: &App, req: &Request, _language: &str) -> Result<Reply, Problem> {
    let caller = admit(&app.config.access, req)?;
    let sid = sid(req)?;
    let body: ValidateBody = http::body(req)?;
    let key = app.decryptor()?;
    let mut f = Faults::default();
    let ciphertext = f.req(
        "encryptedOneTimePasswordToken",
        body.encrypted_one_time_password_token,
    );
    let code_ok =
        |c: &str| (4..=10).contains(&c.len()) && c.bytes().all(|b| b.is_ascii_alphanumeric());
    let code = ciphertext.and_then(|c| {
        let code = decrypt(key, &c, code_ok);
        if code.is_none() {
            f.invalid("encryptedOneTimePasswordToken", TOKEN_RULE);
        }
        code
    });
    let phone = f.req("phone", body.phone).and_then(|body| {
        phone(key, body, "phone.")
            .map_err(|e| f.errors.extend(e))
            .ok()
    });
    let errors = f.errors;
    let (Some(code), Some(phone), true) = (code, phone, errors.is_empty()) else {
        return Err(Problem::invalid(errors));
    };
    // The code is bound to the phone it went to: another phone is a wrong code.
    let key = session_key(&caller.client, sid);
    single_use(app.verify(&key, &code, Some(phone.as_str())).await?)
}

//! `POST /v1/x-global/security/rao/otp/validate`.

use super::{decrypt, phone, session_key, sid};
use crate::app::App;
use crate::dialects::header_contract::{admit, single_use};
use crate::dialects::problem::Problem;
use crate::dialects::Reply;
use crate::http;
use crate::http::fields::Fields;
use lambda_http::Request;

const TOKEN_RULE: &str = "must be the base64 RSA-OAEP (SHA-256) ciphertext, under the service's public key, of the code: 4-10 letters or digits";

pub async fn handle(app: &App, req: &Request, _language: &str) -> Result<Reply, Problem> {
    let caller = admit(&app.config.access, req)?;
    let sid = sid(req)?;
    let mut f = Fields::new(http::json_object(req, false)?);
    let ciphertext = f.str("encryptedOneTimePasswordToken");
    let code_ok =
        |c: &str| (4..=10).contains(&c.len()) && c.bytes().all(|b| b.is_ascii_alphanumeric());
    let code = ciphertext.and_then(|c| {
        let code = decrypt(app, &c, code_ok);
        if code.is_none() {
            f.invalid("encryptedOneTimePasswordToken", TOKEN_RULE);
        }
        code
    });
    let phone = f.object("phone").and_then(|map| {
        phone(app, map, "phone.")
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

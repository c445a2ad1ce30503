//! `POST /v1/x-global/security/tele-marketing/otp/validate`.

use super::generate::customer_rule;
use super::{parse_sid, session_key, CODE_LEN, SID_RULE};
use crate::app::App;
use crate::dialects::header_contract::{admit, required_header, single_use};
use crate::dialects::problem::Problem;
use crate::dialects::Reply;
use crate::http;
use crate::http::fields::{Faults, Input, Str};
use lambda_http::Request;

/// A validate body as sent.
#[derive(Default, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct ValidateBody {
    customer_id: Input<Str>,
    one_time_password_token: Input<Str>,
}

pub async fn handle(app: &App, req: &Request, _language: &str) -> Result<Reply, Problem> {
    let caller = admit(&app.config.access, req)?;
    let sid = required_header(req, "sid", |_| true, SID_RULE)?;
    let sid = parse_sid(sid)?;
    let body: ValidateBody = http::body(req)?;
    let mut f = Faults::default();
    let customer_id = f.req("customerId", body.customer_id);
    let token = f.req("oneTimePasswordToken", body.one_time_password_token);
    if let Some(c) = &customer_id {
        customer_rule(&mut f, c);
    }
    // 4-10 characters: a test recipient's shorter fixed code, only where some are configured.
    let tests = !app.config.test_recipients.is_empty();
    let length_ok = |n: usize| n == usize::from(CODE_LEN) || (tests && (4..=10).contains(&n));
    if token
        .as_deref()
        .is_some_and(|t| !length_ok(t.len()) || !t.chars().all(|c| c.is_ascii_alphanumeric()))
    {
        f.invalid(
            "oneTimePasswordToken",
            format!("must be exactly {CODE_LEN} letters or digits"),
        );
    }
    let (Some(customer_id), Some(token), true) = (customer_id, token, f.errors.is_empty()) else {
        return Err(Problem::invalid(f.errors));
    };
    // The customer is bound into the code's HMAC: another customer is a wrong code.
    let key = session_key(&caller.client, &sid);
    single_use(app.verify(&key, &token, Some(&customer_id)).await?)
}

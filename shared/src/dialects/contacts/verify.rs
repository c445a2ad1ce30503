//! `POST /contacts/{contactId}/verification-keys/{sessionId}/{key}/verify`: verifies and
//! consumes; `check` shares the flow without consuming.

use super::key_params;
use crate::app::App;
use crate::dialects::auth::bearer_client;
use crate::dialects::problem::Problem;
use crate::dialects::Reply;
use crate::http;
use crate::service::Outcome;
use lambda_http::Request;
use serde_json::json;

pub async fn handle(app: &App, req: &Request, _language: &str) -> Result<Reply, Problem> {
    judge_key(app, req, Judge::Verify).await
}

pub enum Judge {
    Check,
    Verify,
}

/// Checks or verifies the `{key}` of a check/verify route: `{"keyStatus", "attemptsLeft"}`.
pub async fn judge_key(app: &App, req: &Request, judge: Judge) -> Result<Reply, Problem> {
    let client = bearer_client(&app.config.tokens, req)?;
    let (session, key) = key_params(req, &client)?;
    let outcome = match judge {
        Judge::Verify => app.verify(&session, &key, None).await?,
        Judge::Check => app.check(&session, &key, None).await?,
    };
    let (status, left) = match outcome {
        Outcome::Valid { attempts_left } => ("Valid", attempts_left),
        Outcome::Invalid { attempts_left } => ("Invalid", attempts_left),
        Outcome::Expired => ("Expired", 0),
        Outcome::AttemptsExceeded => ("AttemptsExceeded", 0),
        Outcome::AlreadyVerified => ("AlreadyVerified", 0),
    };
    Ok(http::ok(
        &json!({ "keyStatus": status, "attemptsLeft": left }),
    ))
}

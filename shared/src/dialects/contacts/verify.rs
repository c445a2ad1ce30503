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
use serde::Serialize;

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
    let (key_status, attempts_left) = match outcome {
        Outcome::Valid { attempts_left } => (KeyStatus::Valid, attempts_left),
        Outcome::Invalid { attempts_left } => (KeyStatus::Invalid, attempts_left),
        Outcome::Expired => (KeyStatus::Expired, 0),
        Outcome::AttemptsExceeded => (KeyStatus::AttemptsExceeded, 0),
        Outcome::AlreadyVerified => (KeyStatus::AlreadyVerified, 0),
    };
    Ok(http::ok(&KeyReply {
        attempts_left,
        key_status,
    }))
}

/// A check or verify answer.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct KeyReply {
    attempts_left: u32,
    key_status: KeyStatus,
}

#[derive(Clone, Copy, Serialize)]
enum KeyStatus {
    Valid,
    Invalid,
    Expired,
    AttemptsExceeded,
    AlreadyVerified,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_answer_keeps_its_bytes() {
        let reply = KeyReply {
            attempts_left: 4,
            key_status: KeyStatus::AttemptsExceeded,
        };
        let want = serde_json::json!({ "keyStatus": "AttemptsExceeded", "attemptsLeft": 4 });
        assert_eq!(serde_json::to_string(&reply).unwrap(), want.to_string());
    }
}

//! `GET /contacts/{contactId}/verification-keys/{sessionId}/{key}`: checks without consuming.

use super::verify::{judge_key, Judge};
use crate::app::App;
use crate::dialects::{Problem, Reply};
use lambda_http::Request;

pub async fn handle(app: &App, req: &Request, _language: &str) -> Result<Reply, Problem> {
    judge_key(app, req, Judge::Check).await
}

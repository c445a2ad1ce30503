//! `GET /contacts/{contactId}/verification-keys/{sessionId}/{key}`: checks without consuming.

use super::verify::{judge_key, Judge};
use crate::app::App;
use lambda_http::{Body, Request, Response};

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    judge_key(app, req, Judge::Check).await
}

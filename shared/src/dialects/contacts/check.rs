//! `GET /contacts/{contactId}/verification-keys/{sessionId}/{key}`: checks without consuming.

use crate::app::App;
use lambda_http::{Body, Request, Response};

pub const ROUTE: &str = "/contacts/{contactId}/verification-keys/{sessionId}/{key}";

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    super::judge_key(app, req, ROUTE, false).await
}

//! `POST /contacts/{contactId}/verification-keys/{sessionId}/{key}/verify`: verifies and consumes.

use crate::app::App;
use lambda_http::{Body, Request, Response};

pub const ROUTE: &str = "/contacts/{contactId}/verification-keys/{sessionId}/{key}/verify";

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    super::judge_key(app, req, ROUTE, true).await
}

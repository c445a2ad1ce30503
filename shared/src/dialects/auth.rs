//! Authentication of the Bearer-token families.

use super::problem::{Problem, Reason};
use crate::config::Tokens;
use crate::http;
use lambda_http::Request;

/// The API client whose token the request bears; unknown or missing → `Unauthorized`.
pub fn bearer_client(tokens: &Tokens, req: &Request) -> Result<String, Problem> {
    http::bearer(req)
        .and_then(|token| tokens.client_of(token))
        .map(str::to_string)
        .ok_or_else(|| Problem::new(Reason::Unauthorized))
}

//! API dialects: each parses its wire requests, calls the use cases and renders outcomes in
//! its family's form. Failures are classified once (`problem`); a family adds its table.

pub mod auth;
pub mod contacts;
pub mod header_contract;
pub mod idempotency;
pub mod problem;
pub mod rao;
pub mod telemarketing;
pub mod verify_api;

pub use problem::{Dialect, Problem, Reason};

use crate::domain::Family;
use lambda_http::{Body, Request, Response};

/// What a handler answers when it succeeds, already in its family's wire form.
pub type Reply = Response<Body>;

/// A handler's result in `family`'s wire form: the reply as it is (with what the family's
/// envelope adds, the header contract's `uuid`), or the problem in the family's words and
/// `language` (the Verify API speaks English only).
pub fn render(
    family: Family,
    req: &Request,
    language: &str,
    result: Result<Reply, Problem>,
) -> Response<Body> {
    match family {
        Family::Contacts => problem::finish::<contacts::Contacts>(req, language, result),
        Family::VerifyApi => problem::finish::<verify_api::VerifyApi>(req, "en", result),
        Family::Telemarketing => {
            header_contract::finish::<telemarketing::Telemarketing>(req, language, result)
        }
        Family::Rao => header_contract::finish::<rao::Rao>(req, language, result),
    }
}

/// `problem` in `family`'s wire form, for what the route table refuses before a handler runs.
pub fn respond(family: Family, problem: Problem, req: &Request, language: &str) -> Response<Body> {
    render(family, req, language, Err(problem))
}

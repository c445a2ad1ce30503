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

/// `problem` in `family`'s wire form, for what the route table refuses before a handler runs.
pub fn respond(family: Family, problem: Problem, req: &Request, language: &str) -> Response<Body> {
    let refused = Err(problem);
    match family {
        Family::Contacts => problem::finish::<contacts::Contacts>(req, language, refused),
        Family::VerifyApi => problem::finish::<verify_api::VerifyApi>(req, "en", refused),
        Family::Telemarketing => {
            header_contract::finish::<telemarketing::Telemarketing>(req, language, refused)
        }
        Family::Rao => header_contract::finish::<rao::Rao>(req, language, refused),
    }
}

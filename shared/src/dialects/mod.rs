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

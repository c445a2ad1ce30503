//! API dialects: each parses its wire requests, calls the use cases and renders outcomes
//! and errors in its family's envelope, mapped in one place per family.

pub mod contacts;
pub mod verify_api;

//! Adapters of the ports for local use and tests: memory store and contacts, outbox.
//! The AWS adapters (DynamoDB, SNS, SES) live in the `otp-aws` crate.

pub mod memory;
pub mod outbox;
pub mod rsa_oaep;
pub mod webhook;

//! The OTP verification service: domain, use cases, ports, memory adapters, and the API
//! dialects every Lambda function (and the local server) serves. No AWS SDK here: the AWS
//! adapters live in `otp-aws`, so the local server and the unit tests build without it.
//!
//! Arrows point down: routes → dialects → service (use cases) → domain and ports;
//! adapters implement ports; `http` is plumbing the dialects use.

pub mod adapters;
pub mod app;
pub mod config;
pub mod dialects;
pub mod domain;
pub mod http;
pub mod ports;
pub mod routes;
pub mod runtime;
pub mod service;

pub use app::{App, Ports};
pub use config::{Config, ConfigError};
pub use routes::{Route, ROUTES};

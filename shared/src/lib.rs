//! The OTP verification service: domain, use cases, ports and adapters, and the API
//! dialects that every Lambda function (and the local server) serves.

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

pub use app::{App, Needs};
pub use config::{Config, ConfigError};
pub use routes::{Endpoint, ROUTES};

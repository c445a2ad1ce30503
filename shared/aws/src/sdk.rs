//! The `SdkConfig` every client is made from, and its one HTTPS client: rustls on ring rather
//! than the SDK's default AWS-LC, which costs about 2 MB per binary and buys nothing here
//! (AWS-LC stays only in the RAO functions, for RSA-OAEP).
//!
//! Timeouts and retries are set explicitly, fitted to the functions' 10 s `Timeout`
//! (template.yaml): one AWS call gives up within `operation` whatever AWS does, so one slow
//! dependency cannot hold an invocation past its deadline (`routes` answers 503 before it).

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, ConfigLoader, SdkConfig};
use aws_sdk_dynamodb::config::{
    Credentials, Region, SharedCredentialsProvider, SharedHttpClient, StalledStreamProtectionConfig,
};
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
use std::time::Duration;

/// How long one AWS call may take and how often it is tried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    pub connect: Duration,
    /// One attempt, from sending the request to reading the whole answer.
    pub attempt: Duration,
    /// Every attempt of one call, backoff included.
    pub operation: Duration,
    pub max_attempts: u32,
    /// First retry's backoff (jittered, doubling up to `operation`).
    pub backoff: Duration,
}

impl Budget {
    /// Production: DynamoDB answers in milliseconds; 3 attempts of at most 1.5 s, capped at
    /// 3.5 s a call, leave a 10 s invocation time to answer even when one call gives up.
    pub const LAMBDA: Budget = Budget {
        connect: Duration::from_secs(1),
        attempt: Duration::from_millis(1_500),
        operation: Duration::from_millis(3_500),
        max_attempts: 3,
        backoff: Duration::from_millis(50),
    };

    fn retry(&self) -> RetryConfig {
        RetryConfig::standard()
            .with_max_attempts(self.max_attempts)
            .with_initial_backoff(self.backoff)
            .with_max_backoff(self.operation)
    }

    fn timeouts(&self) -> TimeoutConfig {
        TimeoutConfig::builder()
            .connect_timeout(self.connect)
            .operation_attempt_timeout(self.attempt)
            .operation_timeout(self.operation)
            .build()
    }
}

/// HTTPS (and plain HTTP, for emulators) with TLS by rustls + ring. The system's root
/// certificates are read on the first connection, not here: creating it costs no I/O.
pub fn http_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// `aws_config::defaults` with that client and `budget`: region, credentials and
/// `AWS_ENDPOINT_URL` from the environment unless the caller sets them.
pub fn loader_with(budget: Budget) -> ConfigLoader {
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(http_client())
        .retry_config(budget.retry())
        .timeout_config(budget.timeouts())
}

/// The production configuration, from what Lambda puts in every function's environment:
/// `AWS_REGION`, the execution role's `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` /
/// `AWS_SESSION_TOKEN`, and `AWS_ENDPOINT_URL` where it is set (an emulator). Built directly
/// rather than by `aws_config`'s loader, whose provider chains (profiles, SSO, web identity,
/// IMDS, STS) a function never uses and which cost about 0.6 MB per binary.
pub fn from_env() -> SdkConfig {
    from_lookup(Budget::LAMBDA, |name| {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    })
}

/// `from_env` over `get`.
pub fn from_lookup(budget: Budget, get: impl Fn(&str) -> Option<String>) -> SdkConfig {
    let mut config = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(http_client())
        .retry_config(budget.retry())
        .timeout_config(budget.timeouts())
        .stalled_stream_protection(StalledStreamProtectionConfig::enabled().build())
        .region(
            get("AWS_REGION")
                .or_else(|| get("AWS_DEFAULT_REGION"))
                .map(Region::new),
        );
    if let (Some(id), Some(secret)) = (get("AWS_ACCESS_KEY_ID"), get("AWS_SECRET_ACCESS_KEY")) {
        let token = get("AWS_SESSION_TOKEN");
        let credentials = Credentials::new(id, secret, token, None, "Environment");
        config = config.credentials_provider(SharedCredentialsProvider::new(credentials));
    }
    if let Some(url) = get("AWS_ENDPOINT_URL") {
        config = config.endpoint_url(url);
    }
    config.build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambdas_environment_gives_region_role_credentials_and_endpoint() {
        let env = |name: &str| {
            match name {
                "AWS_REGION" => Some("eu-west-1"),
                "AWS_ACCESS_KEY_ID" => Some("ASIAEXAMPLE"),
                "AWS_SECRET_ACCESS_KEY" => Some("secret"),
                "AWS_SESSION_TOKEN" => Some("token"),
                "AWS_ENDPOINT_URL" => Some("http://127.0.0.1:5000"),
                _ => None,
            }
            .map(String::from)
        };
        let config = from_lookup(Budget::LAMBDA, env);
        assert_eq!(config.region().map(|r| r.as_ref()), Some("eu-west-1"));
        assert_eq!(config.endpoint_url(), Some("http://127.0.0.1:5000"));
        assert!(config.credentials_provider().is_some());
        let bare = from_lookup(Budget::LAMBDA, |_| None);
        assert!(bare.credentials_provider().is_none() && bare.endpoint_url().is_none());
    }
}

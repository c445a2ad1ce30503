//! The `SdkConfig` every client is made from, and its one HTTPS client: rustls on ring rather
//! than the SDK's default AWS-LC, which costs about 2 MB per binary and buys nothing here
//! (AWS-LC stays only in the RAO functions, for RSA-OAEP).

use aws_config::{BehaviorVersion, ConfigLoader, SdkConfig};
use aws_sdk_dynamodb::config::SharedHttpClient;
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};

/// HTTPS (and plain HTTP, for emulators) with TLS by rustls + ring. The system's root
/// certificates are read on the first connection, not here: creating it costs no I/O.
pub fn http_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// `aws_config::defaults` with that client: region, credentials and `AWS_ENDPOINT_URL` from
/// the environment unless the caller sets them.
pub fn loader() -> ConfigLoader {
    aws_config::defaults(BehaviorVersion::latest()).http_client(http_client())
}

/// The production configuration: everything from the environment.
pub async fn from_env() -> SdkConfig {
    loader().load().await
}

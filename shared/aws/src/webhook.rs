//! The signed SMS webhook's requests, through the AWS SDK's own connector (hyper, rustls on
//! ring, the system's roots): a sender links one HTTP client, not two.

use async_trait::async_trait;
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
use aws_smithy_http_client::Connector;
use aws_smithy_runtime_api::client::http::{HttpConnector, HttpConnectorSettings};
use aws_smithy_runtime_api::http::Request;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;
use aws_smithy_types::error::display::DisplayErrorContext;
use lambda_http::http::Uri;
use otp_core::adapters::webhook::{Answer, Transport, ATTEMPT_TIMEOUT};
use std::time::Duration;

pub struct SdkTransport {
    connector: Connector,
}

impl SdkTransport {
    pub fn new() -> SdkTransport {
        let settings = HttpConnectorSettings::builder()
            .connect_timeout(Duration::from_secs(1))
            .read_timeout(ATTEMPT_TIMEOUT)
            .build();
        let connector = Connector::builder()
            .connector_settings(settings)
            .tls_provider(Provider::Rustls(CryptoMode::Ring))
            .build();
        SdkTransport { connector }
    }
}

impl Default for SdkTransport {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl Transport for SdkTransport {
    async fn post(&self, url: &Uri, headers: &[(&'static str, String)], body: String) -> Answer {
        let length = body.len().to_string();
        let mut request = Request::new(SdkBody::from(body));
        request
            .set_uri(url.to_string())
            .map_err(|e| e.to_string())?;
        request.set_method("POST").map_err(|e| e.to_string())?;
        request.headers_mut().insert("content-length", length);
        for (name, value) in headers {
            request.headers_mut().insert(*name, value.clone());
        }
        let response =
            (self.connector.call(request).await).map_err(|e| DisplayErrorContext(e).to_string())?;
        let status = response.status().as_u16();
        let body = ByteStream::new(response.into_body()).collect().await;
        Ok((status, body.map_err(|e| e.to_string())?.to_vec()))
    }
}

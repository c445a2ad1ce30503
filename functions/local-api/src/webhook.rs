//! The local server's client for the signed SMS webhook: one request per connection (a
//! developer's relay gets a message now and then), TLS by rustls on ring with the system's roots.

use async_trait::async_trait;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::Uri;
use hyper_util::rt::TokioIo;
use otp_core::adapters::webhook::{Answer, Transport};
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite};

/// A connection, TLS or not.
trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

pub struct HyperTransport {
    tls: tokio_rustls::TlsConnector,
}

impl HyperTransport {
    pub fn new() -> Result<HyperTransport, String> {
        let mut roots = rustls::RootCertStore::empty();
        roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS for the SMS webhook: {e}"))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(HyperTransport {
            tls: tokio_rustls::TlsConnector::from(Arc::new(tls)),
        })
    }
}

#[async_trait]
impl Transport for HyperTransport {
    async fn post(&self, url: &Uri, headers: &[(&'static str, String)], body: String) -> Answer {
        let host = url.host().ok_or("the URL has no host")?;
        let https = url.scheme_str() == Some("https");
        let port = url.port_u16().unwrap_or(if https { 443 } else { 80 });
        let tcp = tokio::net::TcpStream::connect((host, port))
            .await
            .map_err(|e| e.to_string())?;
        let io: Box<dyn Io> = if https {
            let name = rustls::pki_types::ServerName::try_from(host.to_string())
                .map_err(|e| e.to_string())?;
            let tls = self.tls.connect(name, tcp).await;
            Box::new(tls.map_err(|e| e.to_string())?)
        } else {
            Box::new(tcp)
        };
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(io))
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(connection);
        let path = url.path_and_query().map_or("/", |p| p.as_str());
        let authority = url.authority().map_or("", |a| a.as_str());
        let mut request = hyper::Request::post(path).header("host", authority);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let request = (request.body(Full::new(Bytes::from(body)))).map_err(|e| e.to_string())?;
        let res = sender
            .send_request(request)
            .await
            .map_err(|e| e.to_string())?;
        let status = res.status().as_u16();
        let body = res.into_body().collect().await.map_err(|e| e.to_string())?;
        Ok((status, body.to_bytes().to_vec()))
    }
}

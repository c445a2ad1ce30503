//! HTTP/1 server translating between hyper and the Lambda handlers' `Request`/`Response`.

use crate::inbox;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use otp_core::adapters::outbox::Outbox;
use otp_core::adapters::rsa_oaep::DEV_PUBLIC_KEY_PEM;
use otp_core::http::BodyTooLarge;
use otp_core::{routes, App};
use std::sync::Arc;

/// The API contract, served at `GET /openapi.yaml` (clients and schemathesis read it there).
const OPENAPI: &str = include_str!("../../../openapi.yaml");

/// Bodies past this are refused before reaching a handler (handlers refuse far smaller).
const READ_LIMIT: usize = 1 << 20;

pub type Reply = hyper::Response<BoxBody<Bytes, std::convert::Infallible>>;

pub async fn serve(
    listener: tokio::net::TcpListener,
    app: &'static App,
    outbox: Arc<Outbox>,
) -> Result<(), String> {
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => accepted.map_err(|e| format!("accept failed: {e}"))?,
            _ = tokio::signal::ctrl_c() => return Ok(()),
        };
        let outbox = outbox.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let outbox = outbox.clone();
                async move { Ok::<_, std::convert::Infallible>(handle(app, &outbox, req).await) }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

pub fn reply(status: u16, json: serde_json::Value) -> Reply {
    hyper::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(json.to_string())).boxed())
        .expect("static response parts are valid")
}

async fn handle(app: &'static App, outbox: &Arc<Outbox>, req: hyper::Request<Incoming>) -> Reply {
    let path = req.uri().path().to_string();
    if path == "/openapi.yaml" {
        return hyper::Response::builder()
            .header("content-type", "application/yaml")
            .body(Full::new(Bytes::from_static(OPENAPI.as_bytes())).boxed())
            .expect("static response parts are valid");
    }
    if path == "/_local/rao-public-key" {
        return hyper::Response::builder()
            .header("content-type", "application/x-pem-file")
            .body(Full::new(Bytes::from_static(DEV_PUBLIC_KEY_PEM.as_bytes())).boxed())
            .expect("static response parts are valid");
    }
    let (mut parts, body) = req.into_parts();
    let body = read(body).await;
    if path.starts_with("/_local") {
        let posted = || body.as_ref().ok().cloned();
        let method = parts.method.as_str();
        if let Some(res) = inbox::handle(app, outbox, method, &path, posted).await {
            return res;
        }
    }
    // A body past the limit is not read further: its route answers 413 in its family's form.
    let body = match body {
        Ok(bytes) if bytes.is_empty() => lambda_http::Body::Empty,
        Ok(bytes) => lambda_http::Body::Binary(bytes.to_vec()),
        Err(BodyTooLarge) => {
            parts.extensions.insert(BodyTooLarge);
            lambda_http::Body::Empty
        }
    };
    let res = routes::dispatch(app, lambda_http::Request::from_parts(parts, body)).await;
    let (parts, body) = res.into_parts();
    hyper::Response::from_parts(
        parts,
        Full::new(Bytes::from(body.as_ref().to_vec())).boxed(),
    )
}

/// The request's body, unless it is past `READ_LIMIT`.
async fn read(body: Incoming) -> Result<Bytes, BodyTooLarge> {
    Limited::new(body, READ_LIMIT)
        .collect()
        .await
        .map(|c| c.to_bytes())
        .map_err(|_| BodyTooLarge)
}

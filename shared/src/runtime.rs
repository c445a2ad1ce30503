//! Running a handler: one structured log line per request, tagged with its correlation id.

use crate::http::{correlation_id, CorrelationId};
use lambda_http::{Body, Request, Response};
use std::future::Future;
use std::time::Instant;
use tracing::Instrument;

/// Tags the request with its correlation id, runs it, logs one line (never the path: it may hold a code).
pub async fn observe<F, Fut>(function: &str, mut req: Request, run: F) -> Response<Body>
where
    F: FnOnce(Request) -> Fut,
    Fut: Future<Output = Response<Body>>,
{
    let started = Instant::now();
    let id = correlation_id(&req);
    let method = req.method().to_string();
    req.extensions_mut().insert(CorrelationId(id.clone()));
    // Every log line of the request carries its correlation id.
    let span = tracing::info_span!("request", correlation_id = %id, function);
    let mut res = run(req).instrument(span.clone()).await;
    if let Ok(value) = lambda_http::http::HeaderValue::from_str(&id) {
        res.headers_mut().insert("x-correlation-id", value);
    }
    let _entered = span.enter();
    tracing::info!(
        method,
        status = res.status().as_u16(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "request"
    );
    res
}

//! Running a handler: once per cold start in Lambda, per request in the local server;
//! one structured log line per request.

use crate::app::{App, Wiring};
use crate::http::{correlation_id, CorrelationId};
use crate::routes::Endpoint;
use lambda_http::{service_fn, Body, Request, Response};
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

/// `main` of every function: telemetry, `App` once (wired by `wire`), then serve `handler` forever.
pub async fn serve<H, Fut>(
    endpoint: Endpoint,
    wire: Wiring,
    handler: H,
) -> Result<(), lambda_http::Error>
where
    H: Fn(&'static App, Request) -> Fut + Copy + Send + Sync + 'static,
    Fut: Future<Output = Response<Body>> + Send,
{
    lambda_http::tracing::init_default_subscriber();
    let app = App::from_env(endpoint.needs(), wire)
        .await
        .inspect_err(|e| tracing::error!(error = %e, "configuration"))?;
    // Lives as long as the process: shared by every invocation.
    let app: &'static App = Box::leak(Box::new(app));
    let function = endpoint.route().function;
    lambda_http::run(service_fn(move |req: Request| async move {
        Ok::<_, std::convert::Infallible>(observe(function, req, |req| handler(app, req)).await)
    }))
    .await
}

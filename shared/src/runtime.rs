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

/// Log lines as Lambda's advanced logging controls ask: JSON when `AWS_LAMBDA_LOG_FORMAT` is
/// `JSON`, at the level of `AWS_LAMBDA_LOG_LEVEL`, else `RUST_LOG`, else INFO. Like
/// `lambda_http::tracing::init_default_subscriber`, without its `EnvFilter`, whose regex engine
/// cost every binary about 0.3 MB: a level is all those controls set (`RUST_LOG` takes a level
/// here, not per-module directives).
pub fn init_logs() {
    use std::str::FromStr;
    use tracing_subscriber::filter::LevelFilter;
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok()
        .and_then(|l| LevelFilter::from_str(&l).ok())
        .unwrap_or(LevelFilter::INFO);
    let logs = tracing_subscriber::fmt()
        .with_target(false)
        .without_time()
        .with_max_level(level)
        .with_writer(std::io::stdout);
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    // A second call (tests start several servers in one process) keeps the first subscriber.
    let _ = match json {
        true => logs.json().try_init(),
        false => logs.try_init(),
    };
}

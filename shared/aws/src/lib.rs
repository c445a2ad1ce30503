//! The AWS side of the OTP service: DynamoDB, SNS and SES adapters of `otp-core`'s ports,
//! the wirings that build an `App` from them, and `serve`, the `main` of every function.

pub mod blocked;
pub mod delivery;
pub mod dynamodb;
pub mod emf;
pub mod sdk;
pub mod stream;
pub mod wiring;

pub use wiring::{StartError, Wiring};

use otp_core::{App, Route};
use serde_json::Value;

/// Runs `session-events`: the sessions table's stream and the fraud refusals' log
/// subscription, into lifecycle events.
pub async fn serve_stream() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let emf = emf::Emf::from_env("session-events")?;
    let (app, events) = wiring::SESSIONS_ONLY
        .stream_from_env()
        .await
        .inspect_err(|e| tracing::error!(error = %e, "configuration"))?;
    let app: &'static App = Box::leak(Box::new(app));
    let events: &'static stream::EventBridge = Box::leak(Box::new(events));
    lambda_http::lambda_runtime::run(lambda_http::service_fn(
        move |event: lambda_http::LambdaEvent<serde_json::Value>| async move {
            // The sessions table's stream, or the log subscription of fraud refusals.
            let payload = &event.payload;
            emf.invoke(async {
                if blocked::is_subscription(payload) {
                    blocked::handle(events, payload).await.map(|()| Value::Null)
                } else {
                    Ok(stream::handle(app, events, payload).await)
                }
            })
            .await
        },
    ))
    .await
}

/// Runs one Lambda function: telemetry and metrics, the configuration checked (an invalid
/// one fails the init phase), then the runtime polls for work at once while the `App` is
/// built in the background (the pepper's and RAO key's secrets are network round trips).
/// The first invocation waits for it; if it failed, each invocation tries again.
pub async fn serve(route: &'static Route, wiring: Wiring) -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let emf = emf::Emf::from_env(route.function)?;
    wiring
        .check(route)
        .inspect_err(|e| tracing::error!(error = %e, "configuration"))?;
    let building = std::sync::Mutex::new(Some(tokio::spawn(async move {
        wiring.from_env(route).await
    })));
    // Lives as long as the process: shared by every invocation.
    let app: &'static tokio::sync::OnceCell<&'static App> =
        Box::leak(Box::new(tokio::sync::OnceCell::new()));
    let building: &'static _ = Box::leak(Box::new(building));
    lambda_http::run(lambda_http::service_fn(move |req| async move {
        let app = app
            .get_or_try_init(|| async {
                let pending = building.lock().ok().and_then(|mut b| b.take());
                let built = match pending {
                    Some(task) => task.await.unwrap_or_else(|e| Err(StartError::Secret(e.to_string()))),
                    None => wiring.from_env(route).await,
                };
                built.map(|a| &*Box::leak(Box::new(a)))
            })
            .await
            .inspect_err(|e| tracing::error!(error = %e, "start"))?;
        Ok::<_, lambda_http::Error>(emf.invoke(route.call(app, req)).await)
    }))
    .await
}

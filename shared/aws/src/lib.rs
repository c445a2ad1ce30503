//! The AWS side of the OTP service: DynamoDB, SNS and SES adapters of `otp-core`'s ports,
//! the wirings that build an `App` from them, and `serve`, the `main` of every function.

pub mod blocked;
pub mod delivery;
pub mod dynamodb;
pub mod emf;
pub mod idempotency;
pub mod sdk;
pub mod started;
pub mod stream;
pub mod wiring;

pub use wiring::{StartError, Wiring};

use otp_core::Route;
use serde_json::Value;

/// Runs `session-events`: the sessions table's stream and the fraud refusals' log
/// subscription, into lifecycle events.
pub async fn serve_stream() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let emf = emf::Emf::from_env("session-events")?;
    wiring::SESSIONS_ONLY
        .check(None)
        .inspect_err(|e| tracing::error!(error = %e, "configuration"))?;
    let started = started::Started::spawn(|| wiring::SESSIONS_ONLY.stream_from_env());
    lambda_http::lambda_runtime::run(lambda_http::service_fn(
        move |event: lambda_http::LambdaEvent<serde_json::Value>| async move {
            // The sessions table's stream, or the log subscription of fraud refusals.
            let payload = &event.payload;
            let (app, events) = started
                .get(|| wiring::SESSIONS_ONLY.stream_from_env())
                .await
                .map_err(|e| e.to_string())?;
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
        .check(Some(route))
        .inspect_err(|e| tracing::error!(error = %e, "configuration"))?;
    (wiring.warm)();
    let started = started::Started::spawn(move || async move { wiring.from_env(route).await });
    lambda_http::run(lambda_http::service_fn(move |req| async move {
        let app = started.get(|| wiring.from_env(route)).await?;
        Ok::<_, lambda_http::Error>(emf.invoke(route.call(app, req)).await)
    }))
    .await
}

//! The AWS side of the OTP service: DynamoDB, SNS and SES adapters of `otp-core`'s ports,
//! the wirings that build an `App` from them, and `serve`, the `main` of every function.

pub mod blocked;
pub mod delivery;
pub mod dynamodb;
pub mod email_events;
pub mod emf;
pub mod idempotency;
pub mod receipts;
pub mod record;
pub mod sdk;
pub mod stream;
pub mod webhook;
pub mod wiring;

pub use wiring::{AwsSettings, StartError, Wiring};

use otp_core::{App, Route};
use serde_json::Value;

/// Runs `session-events`: the sessions table's stream and the fraud refusals' log
/// subscription, into lifecycle events; SNS's SMS delivery status logs and SES's email events
/// (from EventBridge), into receipts.
pub async fn serve_stream() -> Result<(), lambda_http::Error> {
    otp_core::runtime::init_logs();
    let emf = emf::Emf::from_env("session-events")?;
    let (app, events): &'static (App, stream::EventBridge) = Box::leak(Box::new(
        wiring::STREAM
            .stream_from_env()
            .await
            .inspect_err(|e| tracing::error!(error = %e, "start"))?,
    ));
    lambda_http::lambda_runtime::run(lambda_http::service_fn(
        move |event: lambda_http::LambdaEvent<serde_json::Value>| async move {
            // The sessions table's stream, or the log subscription of fraud refusals.
            let payload = &event.payload;
            let handled = emf
                .invoke(async {
                    if email_events::is_ses_event(payload) {
                        email_events::handle(app, payload)
                            .await
                            .map(|()| Value::Null)
                    } else if blocked::is_subscription(payload) {
                        let logs = blocked::subscription(payload)?;
                        if receipts::is_sms_delivery_log(&logs) {
                            receipts::handle(app, &logs).await.map(|()| Value::Null)
                        } else {
                            blocked::handle(events, &logs).await.map(|()| Value::Null)
                        }
                    } else {
                        stream::handle_payload(app, events, payload).await
                    }
                })
                .await;
            handled.map_err(lambda_http::Error::from)
        },
    ))
    .await
}

/// Runs one Lambda function: telemetry and metrics, the configuration checked, the CPU-bound
/// set-up (`Wiring::warm`) and the `App` built (clients, the pepper's and RAO key's secrets),
/// all in Lambda's init, which runs at full CPU: the first request, which runs at the memory
/// size's share, then does only its own work. A failed start fails init, and Lambda retries
/// it with a fresh process.
pub async fn serve(route: &'static Route, wiring: Wiring) -> Result<(), lambda_http::Error> {
    otp_core::runtime::init_logs();
    let emf = emf::Emf::from_env(route.function)?;
    // The CPU-bound set-up runs while the secrets are on the wire.
    let warm = tokio::task::spawn_blocking(wiring.warm);
    let app: &'static App = Box::leak(Box::new(
        wiring
            .from_env(route)
            .await
            .inspect_err(|e| tracing::error!(error = %e, "start"))?,
    ));
    warm.await?;
    lambda_http::run(lambda_http::service_fn(move |req| async move {
        Ok::<_, lambda_http::Error>(emf.invoke(route.call(app, req)).await)
    }))
    .await
}

//! Lambda function `send-otp`: see `otp_core::routes::ROUTES` for its route.

use otp_core::dialects::verify_api;
use otp_core::{runtime, App, Endpoint};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    runtime::serve(
        Endpoint::SendOtp,
        App::sessions_and_sms,
        verify_api::send::handle,
    )
    .await
}

//! Lambda function `verify-otp`: see `otp_core::routes::ROUTES` for its route.

use otp_core::dialects::verify_api;
use otp_core::{runtime, Endpoint};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    runtime::serve(Endpoint::VerifyOtp, verify_api::verify::handle).await
}

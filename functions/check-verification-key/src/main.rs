//! Lambda function `check-verification-key`: see `otp_core::routes::ROUTES` for its route.

use otp_core::dialects::contacts;
use otp_core::{runtime, App, Endpoint};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    runtime::serve(
        Endpoint::CheckVerificationKey,
        App::sessions_only,
        contacts::check::handle,
    )
    .await
}

//! Lambda function `send-pending-verification-key`: see `otp_core::routes::ROUTES` for its route.

use otp_core::dialects::contacts;
use otp_core::{runtime, App, Endpoint};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    runtime::serve(
        Endpoint::SendPendingVerificationKey,
        App::contacts_and_delivery,
        contacts::send::handle_pending,
    )
    .await
}

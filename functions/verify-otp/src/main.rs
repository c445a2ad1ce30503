//! Lambda function `verify-otp`: its route is `otp_core::routes::VERIFY_OTP`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    otp_aws::serve(
        &otp_core::routes::VERIFY_OTP,
        otp_aws::wiring::SESSIONS_ONLY,
    )
    .await
}

//! Lambda function `check-verification-key`: its route is `otp_core::routes::CHECK_VERIFICATION_KEY`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    otp_aws::serve(
        &otp_core::routes::CHECK_VERIFICATION_KEY,
        otp_aws::wiring::SESSIONS_ONLY,
    )
    .await
}

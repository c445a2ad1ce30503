//! Lambda function `otp-report`: its route is `otp_core::routes::OTP_REPORT`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    otp_aws::serve(
        &otp_core::routes::OTP_REPORT,
        otp_aws::wiring::SESSIONS_ONLY,
    )
    .await
}

//! Lambda function `resend-otp`: its route is `otp_core::routes::RESEND_OTP`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    otp_aws::serve(
        &otp_core::routes::RESEND_OTP,
        otp_aws::wiring::SESSIONS_AND_SMS,
    )
    .await
}

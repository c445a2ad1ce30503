//! Lambda function `send-otp`: its route is `otp_core::routes::SEND_OTP`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    otp_aws::serve(
        &otp_core::routes::SEND_OTP,
        otp_aws::wiring::SESSIONS_AND_SMS,
    )
    .await
}

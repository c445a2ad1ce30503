//! Lambda function `telemarketing-validate`: its route is `otp_core::routes::TELEMARKETING_VALIDATE`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    otp_aws::serve(
        &otp_core::routes::TELEMARKETING_VALIDATE,
        otp_aws::wiring::SESSIONS_ONLY,
    )
    .await
}

//! Lambda function `telemarketing-generate`: its route is `otp_core::routes::TELEMARKETING_GENERATE`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    otp_aws::serve(
        &otp_core::routes::TELEMARKETING_GENERATE,
        otp_aws::wiring::SESSIONS_AND_SMS,
    )
    .await
}

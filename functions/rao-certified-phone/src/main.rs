//! Lambda function `rao-certified-phone`: its route is `otp_core::routes::RAO_CERTIFIED_PHONE`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    otp_aws::serve(
        &otp_core::routes::RAO_CERTIFIED_PHONE,
        otp_aws::wiring::SESSIONS_ONLY,
    )
    .await
}

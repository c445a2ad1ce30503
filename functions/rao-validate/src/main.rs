//! Lambda function `rao-validate`: its route is `otp_core::routes::RAO_VALIDATE`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    otp_aws::serve(
        &otp_core::routes::RAO_VALIDATE,
        otp_aws::wiring::SESSIONS_AND_DECRYPTOR,
    )
    .await
}

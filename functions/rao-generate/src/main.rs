//! Lambda function `rao-generate`: its route is `otp_core::routes::RAO_GENERATE`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    otp_aws::serve(
        &otp_core::routes::RAO_GENERATE,
        otp_aws::wiring::SMS_AND_DECRYPTOR,
    )
    .await
}

//! Lambda function `session-events`: consumes the sessions table's DynamoDB stream
//! (`otp_aws::stream`); not an HTTP endpoint.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    otp_aws::serve_stream().await
}

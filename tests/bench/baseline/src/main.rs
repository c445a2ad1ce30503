//! A bare Lambda function: the runtime, the SDK's configuration from the environment and a
//! DynamoDB client, answering every request with 200. The benchmark starts it alternately with
//! each function and reports their start-up times as a ratio of its own.

use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
use lambda_http::{service_fn, Body, Error, Request, Response};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(http)
        .load()
        .await;
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    lambda_http::run(service_fn(move |_: Request| {
        let _client = &client;
        async { Ok::<_, Error>(Response::new(Body::from("ok"))) }
    }))
    .await
}

//! Lambda function `sms-receipts`: its route is `otp_core::routes::SMS_RECEIPTS`, and its wiring
//! (the AWS clients it builds and links) follows from that route's ports, at compile time.

use otp_core::routes::SMS_RECEIPTS as ROUTE;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    otp_aws::serve(&ROUTE, const { otp_aws::Wiring::of(ROUTE.ports) }).await
}

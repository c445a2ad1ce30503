//! Lambda's init opens the sessions table's connection (`DynamoSessions::connect`) so that a
//! function's first request, at its memory size's share of a CPU, does not: one read of a key
//! no item has, nothing written.

use otp_aws::dynamodb::DynamoSessions;
use otp_tests::emulator::{endpoint, sdk_config, Aws};
use otp_tests::faults::FaultProxy;
use std::time::Duration;

#[tokio::test]
async fn the_start_reads_one_absent_key_and_writes_nothing() {
    let aws = Aws::new().await;
    let proxy = FaultProxy::start(&endpoint(), Duration::from_millis(100)).await;
    let before = aws.scan().await;
    let sdk = sdk_config(&proxy.url).await;
    let sessions = DynamoSessions::new(aws_sdk_dynamodb::Client::new(&sdk), &aws.sessions_table);
    proxy.arm(None);
    sessions.connect().await;
    assert_eq!(proxy.operations(), ["GetItem"]);
    assert_eq!(aws.scan().await, before);
}

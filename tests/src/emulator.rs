//! The AWS side of the tests: moto's server on 127.0.0.1, fresh tables per test,
//! and the messages moto recorded (`/moto-api/data.json`).

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType, StreamSpecification, StreamViewType,
};
use otp_aws::sdk::Budget;
use otp_aws::wiring::CONTACTS_AND_DELIVERY;
use otp_aws::AwsSettings;
use otp_core::adapters::memory::ManualClock;
use otp_core::domain::SessionKey;
use otp_core::App;
use serde_json::{json, Value};
use std::sync::Arc;

/// moto's base URL, as `scripts/test.sh` exports it.
pub fn endpoint() -> String {
    std::env::var("OTP_TEST_AWS_ENDPOINT").unwrap_or_else(|_| {
        panic!("OTP_TEST_AWS_ENDPOINT is not set: run the suite with scripts/test.sh, which starts moto's server")
    })
}

/// SDK configuration pointing every client at `url` with static test credentials.
pub async fn sdk_config(url: &str) -> aws_config::SdkConfig {
    sdk_config_with(
        url,
        Budget {
            max_attempts: 2,
            operation: std::time::Duration::from_secs(10),
            attempt: std::time::Duration::from_secs(10),
            ..Budget::LAMBDA
        },
    )
    .await
}

/// `sdk_config` with the timeouts and retries of `budget`.
pub async fn sdk_config_with(url: &str, budget: Budget) -> aws_config::SdkConfig {
    otp_aws::sdk::loader_with(budget)
        .endpoint_url(url)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "test", "test", None, None, "tests",
        ))
        .load()
        .await
}

/// A unique suffix for table names, phone numbers and addresses of one test.
pub fn unique() -> u64 {
    let mut b = [0u8; 8];
    otp_core::domain::code::random_bytes(&mut b).expect("random");
    u64::from_le_bytes(b) % 10_000_000
}

/// The service wired to moto through the production adapters, with its own tables.
pub struct Aws {
    pub app: Arc<App>,
    pub dynamo: aws_sdk_dynamodb::Client,
    pub sessions_table: String,
    pub contacts_table: String,
    pub clock: Arc<ManualClock>,
    pub url: String,
    /// A phone number and an email address no other test uses.
    pub phone: String,
    pub email: String,
}

pub const FROM: &str = "otp@example.com";

impl Aws {
    pub async fn new() -> Aws {
        Self::setup(None, |_| {}).await
    }

    /// With the test configuration changed by `tweak` (fraud limits…).
    pub async fn with(tweak: impl FnOnce(&mut otp_core::Config)) -> Aws {
        Self::setup(None, tweak).await
    }

    /// Delivery clients pointed at `delivery_url` (a dead port for outage tests).
    pub async fn with_delivery_endpoint(delivery_url: Option<&str>) -> Aws {
        Self::setup(delivery_url, |_| {}).await
    }

    /// Every client through `url` (a fault-injecting proxy) with `budget`.
    /// (The tables are made directly.)
    pub async fn through(url: &str, budget: Budget) -> Aws {
        let app_sdk = sdk_config_with(url, budget).await;
        Self::setup_with(Some(app_sdk), None, |_| {}).await
    }

    async fn setup(delivery_url: Option<&str>, tweak: impl FnOnce(&mut otp_core::Config)) -> Aws {
        Self::setup_with(None, delivery_url, tweak).await
    }

    async fn setup_with(
        app_sdk: Option<aws_config::SdkConfig>,
        delivery_url: Option<&str>,
        tweak: impl FnOnce(&mut otp_core::Config),
    ) -> Aws {
        crate::audit::start();
        let url = endpoint();
        let sdk = sdk_config(&url).await;
        let dynamo = aws_sdk_dynamodb::Client::new(&sdk);
        let id = unique();
        let sessions_table = format!("sessions-{id}");
        let contacts_table = format!("contacts-{id}");
        create_table(&dynamo, &sessions_table, "pk", ScalarAttributeType::S).await;
        dynamo
            .update_table()
            .table_name(&sessions_table)
            .stream_specification(
                StreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(StreamViewType::NewAndOldImages)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .expect("stream on the sessions table, as in template.yaml");
        create_table(
            &dynamo,
            &contacts_table,
            "contactId",
            ScalarAttributeType::N,
        )
        .await;
        // Valid UK mobile numbers (07400 range), one per test.
        let phone = format!("+447400{:06}", id % 1_000_000);
        let email = format!("user{id}@example.com");
        let pending = format!("+447401{:06}", id % 1_000_000);
        for s in [&phone, &email, &pending] {
            crate::audit::secret(s);
        }
        dynamo
            .put_item()
            .table_name(&contacts_table)
            .item("contactId", AttributeValue::N("1".into()))
            .item("phone", AttributeValue::S(phone.clone()))
            .item("email", AttributeValue::S(email.clone()))
            .item("pendingPhone", AttributeValue::S(pending))
            .send()
            .await
            .expect("put contact");
        aws_sdk_ses::Client::new(&sdk)
            .verify_email_identity()
            .email_address(FROM)
            .send()
            .await
            .expect("verify sender");

        let mut config = crate::config();
        tweak(&mut config);
        let settings = settings(&sessions_table, &contacts_table);
        let mut app = CONTACTS_AND_DELIVERY
            .build(config.clone(), &settings, app_sdk.as_ref().unwrap_or(&sdk))
            .expect("wiring");
        if let Some(dead) = delivery_url {
            app.sender = CONTACTS_AND_DELIVERY
                .build(config, &settings, &sdk_config(dead).await)
                .expect("wiring")
                .sender;
        }
        let clock = Arc::new(ManualClock::new(crate::START));
        app.clock = clock.clone();
        // The key a RAO function would fetch from Secrets Manager (see emulator_rao).
        app.decryptor = Some(Arc::new(
            otp_core::adapters::rsa_oaep::RsaOaep::development(),
        ));
        Aws {
            app: Arc::new(app),
            dynamo,
            sessions_table,
            contacts_table,
            clock,
            url,
            phone,
            email,
        }
    }

    /// Numbers of every SMS moto recorded (all tests'), one entry per message.
    pub async fn sms_numbers(&self) -> Vec<String> {
        let data = self.moto_data().await;
        data["sns"]["SMS"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|sms| sms["phone_number"].as_str().map(str::to_string))
            .collect()
    }

    async fn moto_data(&self) -> Value {
        reqwest::get(format!("{}/moto-api/data.json", self.url))
            .await
            .expect("moto data")
            .json()
            .await
            .expect("moto json")
    }

    /// Everything moto recorded as sent to `to` (SMS text or email HTML/text), oldest first.
    pub async fn delivered_to(&self, to: &str) -> Vec<String> {
        let data = self.moto_data().await;
        let mut out = Vec::new();
        for sms in data["sns"]["SMS"].as_array().into_iter().flatten() {
            if sms["phone_number"] == to {
                out.push(sms["message"].as_str().unwrap_or_default().to_string());
            }
        }
        for mail in data["ses"]["Message"].as_array().into_iter().flatten() {
            let to_list = mail["destinations"]["ToAddresses"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            if to_list.iter().any(|a| a == to) {
                out.push(format!(
                    "{} | {}",
                    mail["subject"].as_str().unwrap_or_default(),
                    mail["body"].as_str().unwrap_or_default()
                ));
            }
        }
        out
    }

    /// The code in the last message moto delivered to `to`.
    pub async fn last_code(&self, to: &str) -> String {
        let messages = self.delivered_to(to).await;
        crate::code_in(
            messages
                .last()
                .unwrap_or_else(|| panic!("nothing delivered to {to}")),
        )
    }

    /// The raw stored item of a session, straight from DynamoDB.
    pub async fn raw_item(
        &self,
        key: &SessionKey,
    ) -> Option<std::collections::HashMap<String, AttributeValue>> {
        self.dynamo
            .get_item()
            .table_name(&self.sessions_table)
            .key("pk", AttributeValue::S(key.as_str().into()))
            .send()
            .await
            .expect("get item")
            .item
    }

    /// The sessions table's stream so far, as the Lambda event `session-events` receives:
    /// `{"Records": [...]}` (moto's DynamoDB Streams API, read over plain HTTP).
    pub async fn stream_event(&self) -> Value {
        let table = self
            .dynamo
            .describe_table()
            .table_name(&self.sessions_table)
            .send()
            .await
            .expect("describe table");
        let arn = table
            .table()
            .and_then(|t| t.latest_stream_arn())
            .expect("a stream");
        let streams = |target: &'static str, body: Value| async move {
            let target = format!("DynamoDBStreams_20120810.{target}");
            self.aws_json("dynamodb", &target, body).await
        };
        let described = streams("DescribeStream", serde_json::json!({ "StreamArn": arn })).await;
        let mut records = Vec::new();
        for shard in described["StreamDescription"]["Shards"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let iterator = streams(
                "GetShardIterator",
                serde_json::json!({ "StreamArn": arn, "ShardId": shard["ShardId"], "ShardIteratorType": "TRIM_HORIZON" }),
            )
            .await;
            let got = streams(
                "GetRecords",
                serde_json::json!({ "ShardIterator": iterator["ShardIterator"] }),
            )
            .await;
            records.extend(got["Records"].as_array().cloned().unwrap_or_default());
        }
        serde_json::json!({ "Records": records })
    }

    /// The stream consumer's EventBridge publisher, on moto's default bus.
    pub async fn event_bus(&self) -> otp_aws::stream::EventBridge {
        otp_aws::stream::EventBridge {
            client: aws_sdk_eventbridge::Client::new(&sdk_config(&self.url).await),
            bus: "default".into(),
            source: otp_aws::stream::SOURCE.into(),
        }
    }

    /// A bus of this test's own with a rule delivering everything from `SOURCE` to a new queue;
    /// the publisher and the queue's URL.
    pub async fn bus_to_queue(&self) -> (otp_aws::stream::EventBridge, String) {
        let id = unique();
        let bus = format!("otp-{id}");
        self.aws_json("events", "AWSEvents.CreateEventBus", json!({ "Name": bus }))
            .await;
        let queue = self
            .aws_json(
                "sqs",
                "AmazonSQS.CreateQueue",
                json!({ "QueueName": format!("events-{id}") }),
            )
            .await["QueueUrl"]
            .as_str()
            .unwrap()
            .to_string();
        let arn = self
            .aws_json(
                "sqs",
                "AmazonSQS.GetQueueAttributes",
                json!({ "QueueUrl": queue, "AttributeNames": ["QueueArn"] }),
            )
            .await["Attributes"]["QueueArn"]
            .clone();
        let pattern = json!({ "source": [otp_aws::stream::SOURCE] }).to_string();
        let rule = json!({ "Name": "all", "EventBusName": bus, "EventPattern": pattern });
        self.aws_json("events", "AWSEvents.PutRule", rule).await;
        let target = json!({ "Rule": "all", "EventBusName": bus, "Targets": [{ "Id": "queue", "Arn": arn }] });
        self.aws_json("events", "AWSEvents.PutTargets", target)
            .await;
        let publisher = otp_aws::stream::EventBridge {
            bus,
            ..self.event_bus().await
        };
        (publisher, queue)
    }

    /// Every message on `queue`, parsed, deleted as read.
    pub async fn drain(&self, queue: &str) -> Vec<Value> {
        let mut out = Vec::new();
        loop {
            let got = self
                .aws_json(
                    "sqs",
                    "AmazonSQS.ReceiveMessage",
                    json!({ "QueueUrl": queue, "MaxNumberOfMessages": 10 }),
                )
                .await;
            let messages = got["Messages"].as_array().cloned().unwrap_or_default();
            if messages.is_empty() {
                return out;
            }
            for m in messages {
                out.push(serde_json::from_str(m["Body"].as_str().unwrap()).unwrap());
                let receipt = json!({ "QueueUrl": queue, "ReceiptHandle": m["ReceiptHandle"] });
                self.aws_json("sqs", "AmazonSQS.DeleteMessage", receipt)
                    .await;
            }
        }
    }

    /// One call of an AWS JSON-protocol API on moto (which reads the service from the
    /// credential scope and checks no signature): `target` is the `X-Amz-Target`.
    pub async fn aws_json(&self, service: &str, target: &str, body: Value) -> Value {
        let version = if service == "events" { "1.1" } else { "1.0" };
        let res = reqwest::Client::new()
            .post(&self.url)
            .header("X-Amz-Target", target)
            .header("Content-Type", format!("application/x-amz-json-{version}"))
            .header(
                "Authorization",
                format!("AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0"),
            )
            .body(body.to_string())
            .send()
            .await
            .unwrap_or_else(|e| panic!("{target}: {e}"));
        let status = res.status();
        let text = res.text().await.expect("body");
        assert!(status.is_success(), "{target}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// Every item of the sessions table.
    pub async fn scan(&self) -> Vec<std::collections::HashMap<String, AttributeValue>> {
        self.dynamo
            .scan()
            .table_name(&self.sessions_table)
            .send()
            .await
            .expect("scan")
            .items
            .unwrap_or_default()
    }
}

/// The service wired to a port where nothing listens: every store call fails.
pub async fn dead_store_app() -> App {
    let sdk = sdk_config("http://127.0.0.1:9").await;
    let settings = settings("sessions", "contacts");
    CONTACTS_AND_DELIVERY
        .build(crate::config(), &settings, &sdk)
        .expect("wiring")
}

/// The AWS settings of a service on these tables, sending email from `FROM`.
fn settings(sessions: &str, contacts: &str) -> AwsSettings {
    AwsSettings {
        sessions_table: sessions.into(),
        contacts_table: Some(contacts.into()),
        email_from: Some(FROM.into()),
        ..AwsSettings::default()
    }
}

async fn create_table(
    client: &aws_sdk_dynamodb::Client,
    name: &str,
    key: &str,
    kind: ScalarAttributeType,
) {
    client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(key)
                .attribute_type(kind)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name(key)
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "create table {name}: {}",
                aws_sdk_dynamodb::error::DisplayErrorContext(e)
            )
        });
}

//! The application: configuration plus the ports, built once per cold start.

use crate::adapters::aws_delivery::{ByChannel, SesEmail, SnsSms};
use crate::adapters::dynamodb::{DynamoContacts, DynamoSessions};
use crate::adapters::memory::{MemoryContacts, MemoryStore};
use crate::adapters::outbox::{NoDelivery, Outbox};
use crate::config::{Config, ConfigError};
use crate::ports::{Clock, ContactDirectory, Sender, SessionStore, SystemClock};
use std::sync::Arc;

pub struct App {
    pub config: Config,
    pub sessions: Arc<dyn SessionStore>,
    pub contacts: Arc<dyn ContactDirectory>,
    pub sender: Arc<dyn Sender>,
    pub clock: Arc<dyn Clock>,
}

/// The ports a Lambda function uses; it links and configures only those.
#[derive(Clone, Copy, Debug, Default)]
pub struct Needs {
    pub contacts: bool,
    pub sms: bool,
    pub email: bool,
}

impl App {
    /// Production wiring: configuration from the environment, one `SdkConfig` for every
    /// AWS client (`AWS_ENDPOINT_URL` points them all at an emulator).
    pub async fn from_env(needs: Needs) -> Result<App, ConfigError> {
        let config = Config::from_env()?;
        // Fail on missing AWS settings before any network call (credentials, region).
        config.check_aws(needs)?;
        let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        Self::with_aws(config, &sdk, needs)
    }

    /// Wires the AWS adapters from an existing SDK configuration.
    pub fn with_aws(
        config: Config,
        sdk: &aws_config::SdkConfig,
        needs: Needs,
    ) -> Result<App, ConfigError> {
        let dynamo = aws_sdk_dynamodb::Client::new(sdk);
        let sessions = Arc::new(DynamoSessions::new(
            dynamo.clone(),
            Config::require(&config.sessions_table, "OTP_SESSIONS_TABLE")?,
        ));
        let contacts: Arc<dyn ContactDirectory> = if needs.contacts {
            Arc::new(DynamoContacts::new(
                dynamo,
                Config::require(&config.contacts_table, "OTP_CONTACTS_TABLE")?,
            ))
        } else {
            Arc::new(MemoryContacts::default())
        };
        let sms: Arc<dyn Sender> = if needs.sms {
            Arc::new(SnsSms::new(
                aws_sdk_sns::Client::new(sdk),
                config.sms_sender_id.clone(),
            ))
        } else {
            Arc::new(NoDelivery)
        };
        let email: Arc<dyn Sender> = if needs.email {
            let from = Config::require(&config.email_from, "OTP_EMAIL_FROM")?;
            Arc::new(SesEmail::new(aws_sdk_ses::Client::new(sdk), from))
        } else {
            Arc::new(NoDelivery)
        };
        Ok(App {
            config,
            sessions,
            contacts,
            sender: Arc::new(ByChannel { sms, email }),
            clock: Arc::new(SystemClock),
        })
    }

    /// Local wiring: memory store, the given contacts, an outbox.
    pub fn in_memory(config: Config, contacts: MemoryContacts, outbox: Arc<Outbox>) -> App {
        App {
            config,
            sessions: Arc::new(MemoryStore::default()),
            contacts: Arc::new(contacts),
            sender: outbox,
            clock: Arc::new(SystemClock),
        }
    }
}

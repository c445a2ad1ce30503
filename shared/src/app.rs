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

/// Builds an `App` from the configuration and one SDK configuration. Each function's `main`
/// names the wiring it needs, so its binary links no AWS client it does not use.
pub type Wiring = fn(Config, &aws_config::SdkConfig) -> Result<App, ConfigError>;

impl App {
    /// Production start: configuration from the environment, checked before any network
    /// call, then one `SdkConfig` for every client (`AWS_ENDPOINT_URL` can point it at an emulator).
    pub async fn from_env(needs: Needs, wire: Wiring) -> Result<App, ConfigError> {
        let config = Config::from_env()?;
        config.check_aws(needs)?;
        let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        wire(config, &sdk)
    }

    /// Sessions table only: check, verify, report.
    pub fn sessions_only(config: Config, sdk: &aws_config::SdkConfig) -> Result<App, ConfigError> {
        Self::assemble(config, sdk, false, None, None)
    }

    /// Sessions and SMS: the Verify API's send and resend.
    pub fn sessions_and_sms(
        config: Config,
        sdk: &aws_config::SdkConfig,
    ) -> Result<App, ConfigError> {
        let sms = sns(&config, sdk);
        Self::assemble(config, sdk, false, Some(sms), None)
    }

    /// Sessions, contacts, SMS and email: the contact-verification sends.
    pub fn contacts_and_delivery(
        config: Config,
        sdk: &aws_config::SdkConfig,
    ) -> Result<App, ConfigError> {
        let sms = sns(&config, sdk);
        let from = Config::require(&config.email_from, "OTP_EMAIL_FROM")?;
        let email: Arc<dyn Sender> = Arc::new(SesEmail::new(aws_sdk_ses::Client::new(sdk), from));
        Self::assemble(config, sdk, true, Some(sms), Some(email))
    }

    /// The smallest wiring that covers `needs` (tests and tools; functions name theirs).
    pub fn with_aws(
        config: Config,
        sdk: &aws_config::SdkConfig,
        needs: Needs,
    ) -> Result<App, ConfigError> {
        let wire: Wiring = match needs {
            Needs {
                contacts: false,
                sms: false,
                email: false,
            } => Self::sessions_only,
            Needs {
                contacts: false,
                email: false,
                ..
            } => Self::sessions_and_sms,
            _ => Self::contacts_and_delivery,
        };
        wire(config, sdk)
    }

    fn assemble(
        config: Config,
        sdk: &aws_config::SdkConfig,
        contacts: bool,
        sms: Option<Arc<dyn Sender>>,
        email: Option<Arc<dyn Sender>>,
    ) -> Result<App, ConfigError> {
        let dynamo = aws_sdk_dynamodb::Client::new(sdk);
        let sessions = DynamoSessions::new(
            dynamo.clone(),
            Config::require(&config.sessions_table, "OTP_SESSIONS_TABLE")?,
        );
        let contacts: Arc<dyn ContactDirectory> = if contacts {
            Arc::new(DynamoContacts::new(
                dynamo,
                Config::require(&config.contacts_table, "OTP_CONTACTS_TABLE")?,
            ))
        } else {
            Arc::new(MemoryContacts::default())
        };
        let none = || -> Arc<dyn Sender> { Arc::new(NoDelivery) };
        Ok(App {
            config,
            sessions: Arc::new(sessions),
            contacts,
            sender: Arc::new(ByChannel {
                sms: sms.unwrap_or_else(none),
                email: email.unwrap_or_else(none),
            }),
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

fn sns(config: &Config, sdk: &aws_config::SdkConfig) -> Arc<dyn Sender> {
    Arc::new(SnsSms::new(
        aws_sdk_sns::Client::new(sdk),
        config.sms_sender_id.clone(),
    ))
}

//! How a function builds its `App`: configuration from the environment, one `SdkConfig`, and
//! only the AWS clients its ports need. Each function's `main` names its wiring statically,
//! so a verify function's binary links no SNS or SES code.

use crate::delivery::{ByChannel, SesEmail, SnsSms};
use crate::dynamodb::{DynamoContacts, DynamoSessions};
use aws_config::SdkConfig;
use otp_core::adapters::memory::MemoryContacts;
use otp_core::adapters::outbox::NoDelivery;
use otp_core::ports::{ContactDirectory, Sender, SystemClock};
use otp_core::{App, Config, ConfigError, Ports, Route};
use std::sync::Arc;

/// Why a function could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("function {function} is wired for {wired:?} but its route needs {needed:?}")]
    Wiring {
        function: &'static str,
        wired: Ports,
        needed: Ports,
    },
}

/// A way to build an `App` that provides `ports`.
#[derive(Clone, Copy)]
pub struct Wiring {
    pub ports: Ports,
    build: fn(Config, &SdkConfig) -> Result<App, ConfigError>,
}

/// Sessions table only: check, verify, report.
pub const SESSIONS_ONLY: Wiring = Wiring {
    ports: Ports::SESSIONS,
    build: |config, sdk| assemble(config, sdk, false, None, None),
};

/// Sessions and SMS: the Verify API's send and resend.
pub const SESSIONS_AND_SMS: Wiring = Wiring {
    ports: Ports::SMS,
    build: |config, sdk| {
        let sms = sns(&config, sdk);
        assemble(config, sdk, false, Some(sms), None)
    },
};

/// Sessions, contacts, SMS and email: the contact-verification sends.
pub const CONTACTS_AND_DELIVERY: Wiring = Wiring {
    ports: Ports::CONTACTS_AND_DELIVERY,
    build: |config, sdk| {
        let sms = sns(&config, sdk);
        let from = Config::require(&config.email_from, "OTP_EMAIL_FROM")?;
        let email: Arc<dyn Sender> = Arc::new(SesEmail::new(aws_sdk_ses::Client::new(sdk), from));
        assemble(config, sdk, true, Some(sms), Some(email))
    },
};

impl Wiring {
    pub fn build(&self, config: Config, sdk: &SdkConfig) -> Result<App, ConfigError> {
        (self.build)(config, sdk)
    }

    /// Production start for `route`: configuration from the environment, checked before any
    /// network call, then one `SdkConfig` for every client (`AWS_ENDPOINT_URL` can point it
    /// at an emulator).
    pub async fn from_env(&self, route: &Route) -> Result<App, StartError> {
        if self.ports != route.ports {
            return Err(StartError::Wiring {
                function: route.function,
                wired: self.ports,
                needed: route.ports,
            });
        }
        let config = Config::from_env()?;
        config.require_clients(!route.family.header_contract())?;
        Config::require(&config.sessions_table, "OTP_SESSIONS_TABLE")?;
        if self.ports.contacts {
            Config::require(&config.contacts_table, "OTP_CONTACTS_TABLE")?;
        }
        if self.ports.email {
            Config::require(&config.email_from, "OTP_EMAIL_FROM")?;
        }
        let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        Ok(self.build(config, &sdk)?)
    }
}

fn assemble(
    config: Config,
    sdk: &SdkConfig,
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

/// SMS through SNS. Functions that send SMS parse numbers: libphonenumber's metadata is
/// loaded here, in the init phase, not in the first caller's request. (Here, not in `serve`,
/// so that functions without SMS do not link it.)
fn sns(config: &Config, sdk: &SdkConfig) -> Arc<dyn Sender> {
    otp_core::domain::E164::warm_up();
    Arc::new(SnsSms::new(
        aws_sdk_sns::Client::new(sdk),
        config.sms_sender_id.clone(),
    ))
}

//! How a function builds its `App`: configuration from the environment, one `SdkConfig`, and
//! only the AWS clients its ports need. Each function's `main` names its wiring statically,
//! so a verify function's binary links no SNS or SES code.

use crate::delivery::{ByChannel, SesEmail, SnsSms};
use crate::dynamodb::{DynamoContacts, DynamoSessions};
use crate::stream::EventBridge;
use aws_config::SdkConfig;
use otp_core::adapters::rsa_oaep::RsaOaep;
use otp_core::config::WebhookKey;
use otp_core::domain::code::random_hex_id;
use otp_core::domain::{Pepper, E164};
use otp_core::ports::{ContactDirectory, Decryptor, Sender, SystemClock};
use otp_core::{App, Config, ConfigError, Ports, Route};
use std::sync::Arc;

/// Secrets Manager secret (id or ARN) whose `SecretString` is the pepper: read once per cold
/// start, so the pepper is in no function's configuration. `OTP_PEPPER` wins (local runs).
pub const PEPPER_SECRET: &str = "OTP_PEPPER_SECRET";

/// Why a function could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("a secret could not be fetched from Secrets Manager: {0}")]
    Secret(String),
}

/// A way to build an `App` that provides `ports`.
#[derive(Clone, Copy)]
pub struct Wiring {
    pub ports: Ports,
    build: fn(Config, &AwsSettings, &SdkConfig) -> Result<App, ConfigError>,
    /// How the RAO private key's PEM becomes a decryptor: set only where the route needs one,
    /// so that other functions link no RSA (and no AWS-LC).
    decryptor: Option<ParseKey>,
    /// CPU-bound set-up the function's requests all need, run in Lambda's init (at full CPU)
    /// before the runtime asks for the first request (which runs at the memory size's share):
    /// the phone metadata where numbers are parsed, nothing elsewhere.
    pub warm: fn(),
}

type ParseKey = fn(&str) -> Result<Arc<dyn Decryptor>, String>;

fn rsa_oaep(pem: &str) -> Result<Arc<dyn Decryptor>, String> {
    let key = RsaOaep::from_pem(pem)?;
    key.warm();
    Ok(Arc::new(key))
}

/// Nothing to set up in init.
fn cold() {}

/// Sessions table only: check, verify, report; the stream consumer (`Ports::READER`).
pub const SESSIONS_ONLY: Wiring = Wiring {
    ports: Ports::SESSIONS,
    build: |config, aws, sdk| assemble(config, aws, sdk, None),
    decryptor: None,
    warm: cold,
};

/// The stream consumer: the sessions table, read and counters, no pepper. A constant, so that
/// no other wiring's clients are linked into it.
pub const STREAM: Wiring = Wiring::of(Ports::READER);

/// Sessions and SMS: the Verify API's send and resend.
pub const SESSIONS_AND_SMS: Wiring = Wiring {
    ports: Ports::SMS,
    build: |config, aws, sdk| {
        let sms = sms(&config, sdk)?;
        assemble(config, aws, sdk, Some(sms))
    },
    decryptor: None,
    warm: E164::warm_up,
};

/// Sessions and the RAO private key: RAO validate.
pub const SESSIONS_AND_DECRYPTOR: Wiring = Wiring {
    ports: Ports::DECRYPTOR,
    build: |config, aws, sdk| assemble(config, aws, sdk, None),
    decryptor: Some(rsa_oaep),
    warm: E164::warm_up,
};

/// Sessions, SMS and the RAO private key: RAO generate.
pub const SMS_AND_DECRYPTOR: Wiring = Wiring {
    ports: Ports::SMS_AND_DECRYPTOR,
    build: SESSIONS_AND_SMS.build,
    decryptor: Some(rsa_oaep),
    warm: E164::warm_up,
};

/// Sessions, contacts, SMS and email: the contact-verification sends.
pub const CONTACTS_AND_DELIVERY: Wiring = Wiring {
    ports: Ports::CONTACTS_AND_DELIVERY,
    build: |config, aws, sdk| {
        let sms = sms(&config, sdk)?;
        let from = Config::require(&aws.email_from, EMAIL_FROM)?;
        let email =
            SesEmail::new(sdk, from).with_configuration_set(aws.ses_configuration_set.clone());
        let email: Arc<dyn Sender> = Arc::new(email);
        assemble(config, aws, sdk, Some(Arc::new(ByChannel { sms, email })))
    },
    decryptor: None,
    warm: E164::warm_up,
};

impl Wiring {
    /// The wiring that provides `ports`: a function's main evaluates it at compile time from
    /// its route's declared ports (`const { Wiring::of(ROUTE.ports) }`), so the route is the
    /// one place that says what a function needs, and the other wirings' clients are not
    /// linked. Ports no wiring provides fail the build.
    pub const fn of(ports: Ports) -> Wiring {
        let wiring = match (ports.contacts, ports.sms, ports.email, ports.decryptor) {
            (false, false, false, false) => SESSIONS_ONLY,
            (false, true, false, false) => SESSIONS_AND_SMS,
            (false, false, false, true) => SESSIONS_AND_DECRYPTOR,
            (false, true, false, true) => SMS_AND_DECRYPTOR,
            (true, true, true, false) => CONTACTS_AND_DELIVERY,
            _ => panic!("no wiring provides these ports"),
        };
        // The pepper is fetched where the ports ask for it, whatever the clients.
        Wiring { ports, ..wiring }
    }

    pub fn build(
        &self,
        config: Config,
        aws: &AwsSettings,
        sdk: &SdkConfig,
    ) -> Result<App, ConfigError> {
        (self.build)(config, aws, sdk)
    }

    /// Production start of the stream consumer: the sessions table only, any client, and
    /// EventBridge (`OTP_EVENT_BUS`, default `default`; `OTP_EVENT_SOURCE`).
    pub async fn stream_from_env(&self) -> Result<(App, EventBridge), StartError> {
        // Events carry the country of phone destinations, stored with each session: the
        // consumer parses no number and links no libphonenumber.
        let (app, sdk) = self.start(None).await?;
        let events = EventBridge {
            client: aws_sdk_eventbridge::Client::new(&sdk),
            bus: env("OTP_EVENT_BUS").unwrap_or_else(|| "default".into()),
            source: env("OTP_EVENT_SOURCE").unwrap_or_else(|| crate::stream::SOURCE.into()),
        };
        Ok((app, events))
    }

    /// Production start for `route`: configuration from the environment, checked before any
    /// network call, then one `SdkConfig` for every client (`AWS_ENDPOINT_URL` can point it
    /// at an emulator).
    pub async fn from_env(&self, route: &Route) -> Result<App, StartError> {
        Ok(self.start(Some(route)).await?.0)
    }

    /// The domain's configuration and the AWS settings, each variable read once and checked
    /// before any network call (`route`: `None` for the stream consumer). A pepper still in
    /// Secrets Manager stands as a placeholder until `start` fetches it.
    fn configured(&self, route: Option<&Route>) -> Result<(Config, AwsSettings), StartError> {
        let aws = AwsSettings::from_env(self.ports)?;
        // A function that hashes nothing fetches no pepper: it gets one nobody knows, so that
        // nothing it could hash by mistake would ever match a stored hash.
        let unknown = match self.ports.pepper {
            true => None,
            false => Some(random_hex_id().map_err(|e| StartError::Secret(e.to_string()))?),
        };
        let placeholder = "p".repeat(otp_core::domain::Pepper::MIN_LEN);
        let config = Config::from_lookup(|name| match name {
            "OTP_PEPPER" if unknown.is_some() => unknown.clone(),
            "OTP_PEPPER" if aws.pepper_secret.is_some() => Some(placeholder.clone()),
            _ => env(name),
        })?;
        if let Some(route) = route {
            config.require_clients(!route.family.header_contract())?;
        }
        Ok((config, aws))
    }

    /// The `App` and the one `SdkConfig` its clients were made from (for further clients).
    /// The pepper and the RAO key are fetched concurrently: init waits for one round trip.
    async fn start(&self, route: Option<&Route>) -> Result<(App, SdkConfig), StartError> {
        let (mut config, aws) = self.configured(route)?;
        let sdk = crate::sdk::from_env();
        let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
        let pepper = async {
            let Some(id) = &aws.pepper_secret else {
                return Ok(None);
            };
            let started = std::time::Instant::now();
            let pepper = fetch_secret(&secrets, id).await?;
            let ms = started.elapsed().as_secs_f64() * 1e3;
            tracing::info!(ms, "pepper fetched from Secrets Manager");
            Ok::<_, StartError>(Some(pepper))
        };
        let key = async {
            match self.decryptor {
                Some(parse) => decryptor(&config, &aws, &secrets, parse).await.map(Some),
                None => Ok(None),
            }
        };
        let webhook_key = async {
            match (&aws.sms_webhook_secret, config.sms_webhook.is_empty()) {
                (Some(id), false) => fetch_secret(&secrets, id).await.map(Some),
                _ => Ok(None),
            }
        };
        let (pepper, decryptor, webhook_key) = tokio::try_join!(pepper, key, webhook_key)?;
        if let Some(secret) = webhook_key {
            let key = WebhookKey::parse(&secret).map_err(|reason| ConfigError::Invalid {
                var: "OTP_SMS_WEBHOOK_SECRET_ARN",
                reason,
            })?;
            config.sms_webhook_key = Some(key);
        }
        if let Some(pepper) = pepper {
            config.pepper = Pepper::new(pepper.as_bytes()).ok_or(ConfigError::Invalid {
                var: PEPPER_SECRET,
                reason: format!("must be at least {} bytes", Pepper::MIN_LEN),
            })?;
        }
        let mut app = self.build(config, &aws, &sdk)?;
        if let Some(d) = decryptor {
            app.decryptor = Some(d);
        }
        Ok((app, sdk))
    }
}

fn assemble(
    config: Config,
    aws: &AwsSettings,
    sdk: &SdkConfig,
    sender: Option<Arc<dyn Sender>>,
) -> Result<App, ConfigError> {
    let dynamo = aws_sdk_dynamodb::Client::new(sdk);
    let sessions = Arc::new(DynamoSessions::new(dynamo.clone(), &aws.sessions_table));
    let contacts = (aws.contacts_table.as_ref())
        .map(|table| Arc::new(DynamoContacts::new(dynamo, table)) as Arc<dyn ContactDirectory>);
    Ok(App {
        config,
        sessions: sessions.clone(),
        counters: sessions.clone(),
        keys: sessions,
        contacts,
        sender,
        decryptor: None,
        clock: Arc::new(SystemClock),
        // The sessions table's stream gives verified sends back (function session-events).
        give_back_on_verify: false,
    })
}

/// The RAO private key: `OTP_RAO_PRIVATE_KEY` (PEM, local runs) or, in AWS, the secret named by
/// `OTP_RAO_PRIVATE_KEY_SECRET`, fetched once per cold start (one `GetSecretValue`).
async fn decryptor(
    config: &Config,
    aws: &AwsSettings,
    secrets: &aws_sdk_secretsmanager::Client,
    parse: ParseKey,
) -> Result<Arc<dyn Decryptor>, StartError> {
    let invalid = |var, reason| ConfigError::Invalid { var, reason };
    if let Some(pem) = &config.rao_private_key {
        return Ok(parse(&pem.0).map_err(|r| invalid("OTP_RAO_PRIVATE_KEY", r))?);
    }
    let id = Config::require(&aws.rao_key_secret, "OTP_RAO_PRIVATE_KEY_SECRET")?;
    let pem = fetch_secret(secrets, id).await?;
    Ok(parse(&pem).map_err(|r| invalid("OTP_RAO_PRIVATE_KEY_SECRET", r))?)
}

const EMAIL_FROM: &str = "OTP_EMAIL_FROM";

/// What the AWS adapters need besides the domain's configuration: where sessions and
/// contacts live, the sender address, the secrets to fetch.
#[derive(Clone, Debug, Default)]
pub struct AwsSettings {
    pub sessions_table: String,
    /// Set where the route reads contacts (required there).
    pub contacts_table: Option<String>,
    /// Required where the route sends email.
    pub email_from: Option<String>,
    /// The SES configuration set whose event destination reports deliveries, bounces and
    /// complaints (`OTP_SES_CONFIGURATION_SET`), where the route sends email.
    pub ses_configuration_set: Option<String>,
    /// The pepper's secret, unless `OTP_PEPPER` is set (local runs).
    pub pepper_secret: Option<String>,
    /// The RAO private key's secret, unless `OTP_RAO_PRIVATE_KEY` is set (local runs).
    pub rao_key_secret: Option<String>,
    /// The SMS webhook's signing secret (`whsec_…`), where the route sends SMS or verifies
    /// relays' receipts, unless `OTP_SMS_WEBHOOK_SECRET` is set (local runs).
    pub sms_webhook_secret: Option<String>,
}

impl AwsSettings {
    /// From the environment, each variable once; what `ports` needs is required.
    pub fn from_env(ports: Ports) -> Result<AwsSettings, ConfigError> {
        Self::from_lookup(ports, env)
    }

    /// From `env` (non-empty values only), as `from_env`.
    pub fn from_lookup(
        ports: Ports,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<AwsSettings, ConfigError> {
        let required = |var| env(var).ok_or(ConfigError::Missing(var));
        Ok(AwsSettings {
            sessions_table: required("OTP_SESSIONS_TABLE")?,
            contacts_table: ports
                .contacts
                .then(|| required("OTP_CONTACTS_TABLE"))
                .transpose()?,
            email_from: ports.email.then(|| required(EMAIL_FROM)).transpose()?,
            ses_configuration_set: env("OTP_SES_CONFIGURATION_SET").filter(|_| ports.email),
            pepper_secret: (ports.pepper && env("OTP_PEPPER").is_none())
                .then(|| env(PEPPER_SECRET))
                .flatten(),
            rao_key_secret: env("OTP_RAO_PRIVATE_KEY_SECRET"),
            sms_webhook_secret: ((ports.sms || ports.webhook_key)
                && env("OTP_SMS_WEBHOOK_SECRET").is_none())
            .then(|| env("OTP_SMS_WEBHOOK_SECRET_ARN"))
            .flatten(),
        })
    }
}

/// A non-empty environment variable.
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The `SecretString` of secret `id`.
pub async fn fetch_secret(
    client: &aws_sdk_secretsmanager::Client,
    id: &str,
) -> Result<String, StartError> {
    let out = client
        .get_secret_value()
        .secret_id(id)
        .send()
        .await
        .map_err(|e| {
            StartError::Secret(aws_sdk_secretsmanager::error::DisplayErrorContext(e).to_string())
        })?;
    out.secret_string()
        .map(str::to_string)
        .ok_or_else(|| StartError::Secret(format!("{id} has no SecretString")))
}

/// SMS through SNS, or through the operator's signed webhook where `OTP_SMS_WEBHOOK_URL` says.
fn sms(config: &Config, sdk: &SdkConfig) -> Result<Arc<dyn Sender>, ConfigError> {
    let sns = Arc::new(SnsSms::new(sdk, config.sms_sender_id.clone()));
    let transport = || Ok(Arc::new(crate::webhook::SdkTransport::new()) as _);
    otp_core::app::sms_sender(config, sns, transport)
}

#[cfg(test)]
mod tests {
    use super::*;
    use otp_core::routes::ROUTES;

    /// A function that hashes nothing never fetches the pepper, even with the secret's name in
    /// its environment (the template sets it for every function); the others always do.
    #[test]
    fn only_routes_that_hash_fetch_the_pepper() {
        let env = |name: &str| match name {
            "OTP_SESSIONS_TABLE" | "OTP_CONTACTS_TABLE" | EMAIL_FROM => Some("x".to_string()),
            PEPPER_SECRET => Some("arn:pepper".to_string()),
            _ => None,
        };
        for route in ROUTES {
            let settings = AwsSettings::from_lookup(route.ports, env).unwrap();
            assert_eq!(
                settings.pepper_secret.is_some(),
                !matches!(
                    route.function,
                    "otp-report" | "rao-certified-phone" | "sms-receipts"
                ),
                "{}",
                route.function
            );
        }
        let stream = AwsSettings::from_lookup(Ports::READER, env).unwrap();
        assert_eq!(stream.pepper_secret, None);
    }
}

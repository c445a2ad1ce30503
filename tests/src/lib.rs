//! Test harness: the service in-process over memory adapters, or over the AWS adapters
//! against moto's server (started by `scripts/test.sh`, found via `OTP_TEST_AWS_ENDPOINT`).

pub mod audit;
pub mod emulator;
pub mod faults;

use lambda_http::Body;
use otp_core::adapters::memory::{ManualClock, MemoryContacts, MemoryStore};
use otp_core::adapters::outbox::Outbox;
use otp_core::ports::{Contact, DeliveryError, Message, Sender, Sent};
use otp_core::{routes, App, Config};
use serde_json::Value;
use std::sync::Arc;

pub const TOKEN: &str = "local-dev-token";
/// Bearer token of a second client, `beta`.
pub const OTHER_TOKEN: &str = "beta-token";
pub const START: i64 = 1_795_000_000;
/// The pepper of every test app.
pub const PEPPER: &str = "test-pepper-test-pepper-test-pepper!";

/// Configuration of every test app: client `acme` with bearer `TOKEN`; for the header-contract
/// families `acme` (`TOKEN`; MX/GCB on any channel, US/GCB/IVR), `local` (`TOKEN`, as the sample
/// events' client: MX/GCB on any channel) and `beta` (`OTHER_TOKEN`, everything).
pub fn config() -> Config {
    Config::from_lookup(|name| match name {
        "OTP_PEPPER" => Some(PEPPER.into()),
        "OTP_API_TOKENS" => Some(format!(
            "acme:{},beta:{}",
            hex::encode(sha256(TOKEN)),
            hex::encode(sha256(OTHER_TOKEN))
        )),
        "OTP_SMS_SENDER_ID" => Some("Tests".into()),
        "OTP_ACCESS" => Some(
            serde_json::json!({
                "acme": { "token_sha256": hex::encode(sha256(TOKEN)), "allow": ["MX/GCB/*", "US/GCB/IVR"] },
                "local": { "token_sha256": hex::encode(sha256(TOKEN)), "allow": ["MX/GCB/*"] },
                "beta": { "token_sha256": hex::encode(sha256(OTHER_TOKEN)), "allow": ["*/*/*"] },
            })
            .to_string(),
        ),
        _ => None,
    })
    .expect("test configuration is valid")
}

fn sha256(s: &str) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(s.as_bytes()).into()
}

/// The test contacts: 1 has phone and email, 2 a pending phone and Spanish, 3 email only.
pub fn contacts() -> Vec<Contact> {
    vec![
        Contact {
            contact_id: 1,
            phone: Some("+12025550101".into()),
            email: Some("ana@example.com".into()),
            pending_phone: None,
            pending_email: None,
            language: None,
        },
        Contact {
            contact_id: 2,
            phone: Some("+34612345602".into()),
            email: None,
            pending_phone: Some("+34612345622".into()),
            pending_email: None,
            language: Some("es".into()),
        },
        Contact {
            contact_id: 3,
            phone: None,
            email: Some("mei@example.com".into()),
            pending_phone: None,
            pending_email: Some("mei.new@example.com".into()),
            language: None,
        },
    ]
}

/// The repository's root directory.
pub fn repo_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the repository")
        .to_path_buf()
}

/// A file of the repository, as text.
pub fn repo_file(path: &str) -> String {
    std::fs::read_to_string(repo_root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A response as a caller sees it.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub json: Value,
    pub headers: lambda_http::http::HeaderMap,
}

impl Reply {
    /// The JSON object's keys, sorted.
    pub fn keys(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = self
            .json
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        keys.sort();
        keys
    }
}

/// A header-contract error (telemarketing, RAO) as status, `code` and `location`.
pub fn fault(res: &Reply) -> (u16, &str, &str) {
    (
        res.status,
        res.json["code"].as_str().unwrap_or_default(),
        res.json["location"].as_str().unwrap_or_default(),
    )
}

/// The service over memory adapters with a hand-moved clock.
pub struct Harness {
    pub app: App,
    pub store: Arc<MemoryStore>,
    pub outbox: Arc<Outbox>,
    pub clock: Arc<ManualClock>,
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}

impl Harness {
    pub fn new() -> Self {
        Self::build(None)
    }

    /// Delivery through `sender` instead of the outbox (outage tests).
    pub fn with_sender(sender: Arc<dyn Sender>) -> Self {
        Self::build(Some(sender))
    }

    fn build(sender: Option<Arc<dyn Sender>>) -> Self {
        audit::start();
        for s in [TOKEN, OTHER_TOKEN, PEPPER] {
            audit::secret(s);
        }
        for c in contacts() {
            for d in [c.phone, c.email, c.pending_phone, c.pending_email]
                .into_iter()
                .flatten()
            {
                audit::secret(&d);
            }
        }
        let store = Arc::new(MemoryStore::default());
        let outbox = Arc::new(Outbox::default());
        let clock = Arc::new(ManualClock::new(START));
        let app = App {
            config: config(),
            sessions: store.clone(),
            counters: store.clone(),
            keys: store.clone(),
            contacts: Some(Arc::new(MemoryContacts::new(contacts()))),
            sender: Some(sender.unwrap_or_else(|| outbox.clone())),
            decryptor: Some(Arc::new(
                otp_core::adapters::rsa_oaep::RsaOaep::development(),
            )),
            clock: clock.clone(),
            give_back_on_verify: true,
        };
        Harness {
            app,
            store,
            outbox,
            clock,
        }
    }

    /// The code of the last delivered message.
    pub fn last_code(&self) -> String {
        let messages = self.outbox.messages();
        code_in(&messages.last().expect("a message was delivered").body)
    }

    pub async fn call(&self, req: Req) -> Reply {
        call(&self.app, req).await
    }
}

/// The code in a message: the last run of 4+ digits or capital letters (codes are drawn from
/// those; the words of the templates have lower-case letters).
pub fn code_in(text: &str) -> String {
    let code = text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .rfind(|w| {
            w.len() >= 4
                && w.chars()
                    .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
        })
        .unwrap_or_else(|| panic!("no code in {text:?}"))
        .to_string();
    audit::secret(&code);
    code
}

/// What a RAO consumer sends: base64 of RSA-OAEP (SHA-256) under the public key `pem`.
pub fn encrypt_with(pem: &str, plain: &str) -> String {
    use aws_lc_rs::rsa::{OaepPublicEncryptingKey, PublicEncryptingKey, OAEP_SHA256_MGF1SHA256};
    use base64::Engine;
    use rustls_pki_types::pem::PemObject;
    let der = rustls_pki_types::SubjectPublicKeyInfoDer::from_pem_slice(pem.as_bytes())
        .expect("a PEM public key");
    let key = OaepPublicEncryptingKey::new(PublicEncryptingKey::from_der(&der).expect("RSA key"))
        .expect("OAEP key");
    let mut out = vec![0u8; key.ciphertext_size()];
    let ciphertext = key
        .encrypt(&OAEP_SHA256_MGF1SHA256, plain.as_bytes(), &mut out, None)
        .expect("encrypts");
    base64::engine::general_purpose::STANDARD.encode(ciphertext)
}

/// `plain` encrypted under the development public key (the service's key in tests).
pub fn encrypt(plain: &str) -> String {
    encrypt_with(otp_core::adapters::rsa_oaep::DEV_PUBLIC_KEY_PEM, plain)
}

/// Awaits spawned tasks, in order.
pub async fn join_all<T>(handles: impl Iterator<Item = tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::new();
    for h in handles.collect::<Vec<_>>() {
        out.push(h.await.expect("task"));
    }
    out
}

/// Log lines written on this thread while the guard lives.
#[derive(Clone, Default)]
pub struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl Captured {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Captures what the service logs on this thread (a current-thread runtime: all of a test).
pub fn capture_logs() -> (Captured, tracing::subscriber::DefaultGuard) {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    (captured, tracing::subscriber::set_default(subscriber))
}

/// One SMS send to `phone` (E.164) in each family, by client `acme`.
pub fn sms_sends(phone: &str, contact_id: u32) -> Vec<(&'static str, Req)> {
    audit::secret(phone);
    let e164 = otp_core::domain::E164::parse(phone).expect("a valid number");
    let code = e164.calling_code().expect("a calling code");
    let national = &phone[code.len()..];
    vec![
        (
            "contacts",
            Req::post(
                format!("/contacts/{contact_id}/verification-keys"),
                serde_json::json!({ "channel": "Sms" }),
            ),
        ),
        (
            "verify-api",
            Req::post(
                "/verify/v1/otp/send-otp",
                serde_json::json!({ "recipient": phone }),
            ),
        ),
        (
            "telemarketing",
            Req::contract(
                "/v1/x-global/security/tele-marketing/otp/generate",
                serde_json::json!({ "customerId": "c-1", "phoneNumber": phone, "messagePrefix": "Code" }),
            ),
        ),
        (
            "rao",
            Req::contract(
                "/v1/x-global/security/rao/otp/generate",
                serde_json::json!({ "phoneCountryCode": code, "encryptedPhoneNumber": encrypt(national) }),
            )
            .header("sid", "fraud-test"),
        ),
    ]
}

/// Lifecycle events kept in memory (the stream consumer's publisher, without EventBridge).
#[derive(Default)]
pub struct Recorded(pub std::sync::Mutex<Vec<otp_aws::stream::Lifecycle>>);

#[async_trait::async_trait]
impl otp_aws::stream::Publish for Recorded {
    async fn publish(
        &self,
        events: &[otp_aws::stream::Lifecycle],
    ) -> Result<(), otp_aws::stream::PublishError> {
        self.0.lock().unwrap().extend_from_slice(events);
        Ok(())
    }
}

/// A refusal's code in any family's envelope (`subCode`, `detail.code` or `code`).
pub fn error_code(res: &Reply) -> &str {
    [
        &res.json["subCode"],
        &res.json["detail"]["code"],
        &res.json["code"],
    ]
    .into_iter()
    .find_map(Value::as_str)
    .unwrap_or_default()
}

/// A code of the same length that is surely not `code` (every digit changed).
pub fn wrong_code(code: &str) -> String {
    code.chars()
        .map(|c| if c == '0' { '1' } else { '0' })
        .collect()
}

/// A request under construction.
#[derive(Clone, Debug)]
pub struct Req {
    pub method: &'static str,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
}

impl Req {
    /// An authenticated request (bearer `TOKEN`).
    pub fn new(method: &'static str, path: impl Into<String>) -> Req {
        Req {
            method,
            path: path.into(),
            headers: vec![("authorization".into(), format!("Bearer {TOKEN}"))],
            body: None,
        }
    }

    /// A header-contract request (telemarketing, RAO) of client `acme` for MX/GCB/IVR, its
    /// token sent bare as in the seeds.
    pub fn contract(path: impl Into<String>, body: Value) -> Req {
        let mut req = Req::post(path, body).without_auth();
        for (name, value) in [
            ("client_id", "acme"),
            ("authorization", TOKEN),
            ("uuid", "a7d1e304-83a9-4413-af97-62615e57eae66807840"),
            ("accept", "application/json"),
            ("accept-language", "en-US"),
            ("countryCode", "MX"),
            ("businessCode", "GCB"),
            ("channelId", "IVR"),
        ] {
            req = req.header(name, value);
        }
        req
    }

    /// A header-contract `GET` (no body).
    pub fn contract_get(path: impl Into<String>) -> Req {
        let mut req = Req::contract(path, Value::Null).without("content-type");
        req.method = "GET";
        req.body = None;
        req
    }

    /// Without the header `name`.
    pub fn without(mut self, name: &str) -> Req {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self
    }

    pub fn post(path: impl Into<String>, body: Value) -> Req {
        Req::new("POST", path).raw_body(body.to_string())
    }

    pub fn get(path: impl Into<String>) -> Req {
        Req::new("GET", path)
    }

    pub fn raw_body(mut self, body: impl Into<String>) -> Req {
        self.body = Some(body.into());
        self.header("content-type", "application/json")
    }

    pub fn header(mut self, name: &str, value: &str) -> Req {
        self.headers.retain(|(n, _)| n != name);
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn without_auth(mut self) -> Req {
        self.headers.retain(|(n, _)| n != "authorization");
        self
    }
}

/// Serves `req` through the route table, as the local server does.
pub async fn call(app: &App, req: Req) -> Reply {
    reply(routes::dispatch(app, request(req)).await)
}

/// `call` as a Lambda invocation that must answer by `deadline` (ms since the epoch).
pub async fn call_by(app: &App, req: Req, deadline: u64) -> Reply {
    use lambda_http::RequestExt;
    let mut context = lambda_http::lambda_runtime::Context::default();
    context.deadline = deadline;
    reply(routes::dispatch(app, request(req).with_lambda_context(context)).await)
}

fn request(req: Req) -> lambda_http::Request {
    audit::start();
    let mut builder = lambda_http::http::Request::builder()
        .method(req.method)
        .uri(&req.path);
    for (name, value) in &req.headers {
        builder = builder.header(name, value);
    }
    let body = req.body.map(Body::from).unwrap_or(Body::Empty);
    builder.body(body).expect("valid request")
}

/// A handler response as status, JSON body and headers.
pub fn reply(res: lambda_http::Response<Body>) -> Reply {
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let json = serde_json::from_slice(res.body().as_ref()).unwrap_or(Value::Null);
    Reply {
        status,
        json,
        headers,
    }
}

/// A sender whose every delivery fails, as SNS or SES in an outage.
pub struct Undeliverable;

#[async_trait::async_trait]
impl Sender for Undeliverable {
    async fn send(&self, message: &Message) -> Result<Sent, DeliveryError> {
        Err(DeliveryError {
            channel: message.channel(),
            reason: "the provider refused the message".into(),
        })
    }
}

/// A CloudWatch Logs subscription's Lambda payload carrying `lines` of `log_group`: base64 of
/// gzipped JSON, as CloudWatch Logs delivers it.
pub fn subscription_payload(log_group: &str, lines: &[String]) -> Value {
    use base64::Engine;
    use std::io::Write;
    let events: Vec<Value> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| serde_json::json!({ "id": i.to_string(), "timestamp": 1_795_399_000_000i64, "message": l }))
        .collect();
    let data = serde_json::json!({
        "owner": "123456789012", "logGroup": log_group, "logStream": "2026/11/23/[$LATEST]abc",
        "subscriptionFilters": ["otp"], "messageType": "DATA_MESSAGE", "logEvents": events,
    });
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(data.to_string().as_bytes()).unwrap();
    let encoded = base64::engine::general_purpose::STANDARD.encode(gz.finish().unwrap());
    serde_json::json!({ "awslogs": { "data": encoded } })
}

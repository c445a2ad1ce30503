//! The `local-api` binary as a user runs it: a real process driven over HTTP.

use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const TOKEN: &str = "e2e-token";

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start(port: u16) -> Server {
    start_with(port, &[])
}

fn start_with(port: u16, extra: &[&str]) -> Server {
    let child = Command::new(env!("CARGO_BIN_EXE_local-api"))
        .args(["--listen", &format!("127.0.0.1:{port}"), "--token", TOKEN])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("local-api starts");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "local-api did not listen on {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    }
}

async fn post(s: &Server, path: &str, body: Value) -> (u16, Value) {
    let res = reqwest::Client::new()
        .post(format!("{}{path}", s.base))
        .bearer_auth(TOKEN)
        .json(&body)
        .send()
        .await
        .unwrap();
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

async fn get(s: &Server, path: &str) -> (u16, Value) {
    let res = reqwest::Client::new()
        .get(format!("{}{path}", s.base))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

async fn last_code(s: &Server) -> String {
    let (_, outbox) = get(s, "/_local/outbox").await;
    let body = outbox.as_array().unwrap().last().unwrap()["body"]
        .as_str()
        .unwrap()
        .to_string();
    body.split(|c: char| !c.is_ascii_alphanumeric())
        .rfind(|w| w.len() >= 4 && w.chars().all(|c| c.is_ascii_digit()))
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn send_read_outbox_and_verify_over_http() {
    let s = start(free_port());
    let (status, sent) = post(
        &s,
        "/contacts/1/verification-keys",
        json!({ "channel": "Email" }),
    )
    .await;
    assert_eq!(status, 200, "{sent}");
    let session = sent["generatedSessionId"].as_str().unwrap();
    let (_, outbox) = get(&s, "/_local/outbox").await;
    let mail = &outbox.as_array().unwrap()[0];
    assert_eq!(
        (mail["channel"].as_str(), mail["to"].as_str()),
        (Some("email"), Some("ana@example.com"))
    );
    assert!(mail["subject"].as_str().is_some());
    let code = last_code(&s).await;
    let (_, verified) = post(
        &s,
        &format!("/contacts/1/verification-keys/{session}/{code}/verify"),
        json!({}),
    )
    .await;
    assert_eq!(verified["keyStatus"], "Valid");

    let (_, otp) = post(
        &s,
        "/verify/v1/otp/send-otp",
        json!({ "recipient": "+971501234567", "content": "Code {}" }),
    )
    .await;
    let id = otp["otp_id"].as_str().unwrap();
    let code = last_code(&s).await;
    let (status, approved) = post(
        &s,
        "/verify/v1/otp/verify-otp",
        json!({ "otp_id": id, "otp_code": code }),
    )
    .await;
    assert_eq!((status, approved), (200, json!({ "status": "APPROVED" })));

    let res = reqwest::Client::new()
        .delete(format!("{}/_local/outbox", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(get(&s, "/_local/outbox").await.1, json!([]));
    assert_eq!(get(&s, "/nowhere").await.0, 404);
    assert_eq!(get(&s, "/verify/v1/otp/send-otp").await.0, 405);
    let res = reqwest::Client::new()
        .post(format!("{}/verify/v1/otp/send-otp", s.base))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401, "the bearer token is required");
}

#[test]
fn a_taken_port_is_refused_with_a_clear_message() {
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = holder.local_addr().unwrap().port();
    let out = Command::new(env!("CARGO_BIN_EXE_local-api"))
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("port taken") || stderr.contains("is the port taken"),
        "{stderr}"
    );
}

#[test]
fn unknown_flags_and_bad_contact_files_are_refused() {
    let out = Command::new(env!("CARGO_BIN_EXE_local-api"))
        .arg("--bogus")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown flag --bogus"));
    let out = Command::new(env!("CARGO_BIN_EXE_local-api"))
        .args(["--contacts", "/nonexistent.json"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read --contacts"));
    let out = Command::new(env!("CARGO_BIN_EXE_local-api"))
        .args(["--access", "/nonexistent.json"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read --access"));
}

/// A telemarketing request of the development client `local`.
fn telemarketing(s: &Server, action: &str, country: &str) -> reqwest::RequestBuilder {
    reqwest::Client::new()
        .post(format!(
            "{}/v1/x-global/security/tele-marketing/otp/{action}",
            s.base
        ))
        .header("client_id", "local")
        .bearer_auth(TOKEN)
        .header("uuid", "e2e-1")
        .header("countryCode", country)
        .header("businessCode", "GCB")
        .header("channelId", "IVR")
}

#[tokio::test]
async fn telemarketing_generate_read_the_sms_and_validate_over_http() {
    let s = start(free_port());
    let res = telemarketing(&s, "generate", "CO")
        .json(&json!({ "customerId": "c-1", "phoneNumber": "3001234567", "messagePrefix": "Tu codigo" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "local may use every combination");
    let sid = res.headers()["sid"].to_str().unwrap().to_string();
    let head = res.json::<Value>().await.unwrap()["oneTimePasswordToken"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, outbox) = get(&s, "/_local/outbox").await;
    let sms = outbox.as_array().unwrap().last().unwrap().clone();
    assert_eq!(sms["to"], "+573001234567");
    let tail = sms["body"]
        .as_str()
        .unwrap()
        .strip_prefix("Tu codigo ")
        .unwrap();
    let validate = |token: String| {
        telemarketing(&s, "validate", "CO")
            .header("sid", &sid)
            .json(&json!({ "customerId": "c-1", "oneTimePasswordToken": token }))
            .send()
    };
    let res = validate(format!("{head}{tail}")).await.unwrap();
    assert_eq!(res.status(), 200);
    let res = validate(format!("{head}{tail}")).await.unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(
        res.json::<Value>().await.unwrap()["code"],
        "OTP Token Invalid"
    );
}

#[tokio::test]
async fn an_access_file_narrows_the_development_client() {
    let file = std::env::temp_dir().join(format!("access-{}.json", std::process::id()));
    std::fs::write(&file, r#"{"local": {"allow": ["MX/GCB/IVR"]}}"#).unwrap();
    let s = start_with(free_port(), &["--access", file.to_str().unwrap()]);
    let body = json!({ "customerId": "c-1", "phoneNumber": "5512345678", "messagePrefix": "Code" });
    let res = telemarketing(&s, "generate", "CO")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = telemarketing(&s, "generate", "MX")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let _ = std::fs::remove_file(file);
}

/// What a RAO consumer does with the service's public key: `openssl pkeyutl`, then base64.
fn openssl_encrypt(public_key: &std::path::Path, text: &str) -> String {
    use std::io::Write;
    let mut child = Command::new("openssl")
        .args(["pkeyutl", "-encrypt", "-pubin", "-inkey"])
        .arg(public_key)
        .args([
            "-pkeyopt",
            "rsa_padding_mode:oaep",
            "-pkeyopt",
            "rsa_oaep_md:sha256",
            "-pkeyopt",
            "rsa_mgf1_md:sha256",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("openssl is installed");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(out.stdout)
}

/// A RAO request of the development client `local`.
fn rao(s: &Server, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
    reqwest::Client::new()
        .request(
            method,
            format!("{}/v1/x-global/security/rao/{path}", s.base),
        )
        .header("client_id", "local")
        .bearer_auth(TOKEN)
        .header("uuid", "e2e-rao")
        .header("countryCode", "MX")
        .header("businessCode", "GCB")
        .header("channelId", "WEB")
        .header("sid", "consumer-session-1")
}

#[tokio::test]
async fn rao_session_encrypted_with_openssl_over_http() {
    let s = start(free_port());
    let pem = reqwest::get(format!("{}/_local/rao-public-key", s.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"));
    let key_file = std::env::temp_dir().join(format!("rao-{}.pem", std::process::id()));
    std::fs::write(&key_file, pem).unwrap();
    let phone = json!({ "phoneCountryCode": "+52", "encryptedPhoneNumber": openssl_encrypt(&key_file, "5512345678") });
    let res = rao(&s, reqwest::Method::POST, "otp/generate")
        .json(&phone)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let (_, outbox) = get(&s, "/_local/outbox").await;
    assert_eq!(
        outbox.as_array().unwrap().last().unwrap()["to"],
        "+525512345678"
    );
    let code = last_code(&s).await;
    let body = json!({ "encryptedOneTimePasswordToken": openssl_encrypt(&key_file, &code), "phone": phone });
    let res = rao(&s, reqwest::Method::POST, "otp/validate")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = rao(&s, reqwest::Method::GET, "certified-phone")
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({ "phoneCountryCode": "+52", "phoneNumber": "5512345678" })
    );
    let _ = std::fs::remove_file(key_file);
}

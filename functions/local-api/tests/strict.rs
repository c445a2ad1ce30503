//! The local server is as strict as Lambda: several Bearer clients (`OTP_API_TOKENS`) beside
//! `--token`, one printed line per delivered message whatever its text, and an oversized body
//! answered in the route's family form.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const TOKEN: &str = "strict-token";
const BETA: &str = "beta-strict-token";

struct Server {
    child: Child,
    base: String,
    stdout: std::path::PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.stdout);
    }
}

fn start() -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let stdout = std::env::temp_dir().join(format!("local-api-strict-{port}.log"));
    let beta = hex::encode(Sha256::digest(BETA.as_bytes()));
    let child = Command::new(env!("CARGO_BIN_EXE_local-api"))
        .args(["--listen", &format!("127.0.0.1:{port}"), "--token", TOKEN])
        .env("OTP_API_TOKENS", format!("beta:{beta}"))
        .stdout(std::fs::File::create(&stdout).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .expect("local-api starts");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "local-api did not listen");
        std::thread::sleep(Duration::from_millis(50));
    }
    Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
        stdout,
    }
}

async fn call(s: &Server, token: &str, method: &str, path: &str, body: String) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let res = reqwest::Client::new()
        .request(method, format!("{}{path}", s.base))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn bearer_clients_of_otp_api_tokens_are_served_and_kept_apart() {
    let s = start();
    let send = json!({ "recipient": "+12025550123" }).to_string();
    let (status, sent) = call(&s, BETA, "POST", "/verify/v1/otp/send-otp", send).await;
    assert_eq!(status, 200, "{sent}");
    let report = format!("/verify/v1/report/{}", sent["otp_id"].as_str().unwrap());
    assert_eq!(call(&s, BETA, "GET", &report, String::new()).await.0, 200);
    // `local` (the --token client) cannot read beta's session, nor can an unknown token.
    assert_eq!(call(&s, TOKEN, "GET", &report, String::new()).await.0, 404);
    assert_eq!(
        call(&s, "nobody", "GET", &report, String::new()).await.0,
        401
    );
}

#[tokio::test]
async fn each_message_prints_on_one_tagged_line_and_no_escape_reaches_the_terminal() {
    let s = start();
    let content = "Code {}\n{\"level\":\"ERROR\",\"fields\":{\"message\":\"forged\"}}";
    let body = json!({ "recipient": "+12025550123", "content": content }).to_string();
    let (status, res) = call(&s, TOKEN, "POST", "/verify/v1/otp/send-otp", body).await;
    assert_eq!(status, 200, "{res}");
    let email = json!({ "channel": "Email" }).to_string();
    assert_eq!(
        call(&s, TOKEN, "POST", "/contacts/1/verification-keys", email)
            .await
            .0,
        200
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let printed = std::fs::read_to_string(&s.stdout).unwrap();
    let outbox: Vec<&str> = printed.lines().filter(|l| l.contains("[outbox]")).collect();
    assert_eq!(outbox.len(), 2, "{printed}");
    assert!(
        outbox.iter().all(|l| l.starts_with("[outbox] ")),
        "{printed}"
    );
    assert!(
        outbox[0].contains("\\n{\"level\":\"ERROR\""),
        "{}",
        outbox[0]
    );
    assert!(
        !printed.lines().any(|l| l.starts_with("{\"level\"")),
        "a forged line: {printed}"
    );
    assert!(
        !printed.contains('\u{1b}'),
        "an escape reached the terminal"
    );
}

#[tokio::test]
async fn a_body_past_the_read_limit_is_413_in_the_family_form() {
    let s = start();
    let big = format!("{{\"x\":\"{}\"}}", "a".repeat(2 << 20));
    let (status, res) = call(&s, TOKEN, "POST", "/verify/v1/otp/send-otp", big.clone()).await;
    assert_eq!(
        (status, &res["detail"]["code"]),
        (413, &json!("PAYLOAD_TOO_LARGE"))
    );
    let (status, res) = call(&s, TOKEN, "POST", "/contacts/1/verification-keys", big).await;
    assert_eq!((status, &res["subCode"]), (413, &json!("PayloadTooLarge")));
    let (status, res) = call(&s, TOKEN, "PUT", "/_local/outbox", String::new()).await;
    assert_eq!((status, &res["code"]), (405, &json!("MethodNotAllowed")));
}

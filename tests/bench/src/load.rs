//! Local throughput: the release `local-api` (memory store) under load from this process over
//! loopback, keep-alive connections, each phase bounded in time.

use crate::stats::Summary;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TOKEN: &str = "bench-load-token";

pub struct Phase {
    pub label: &'static str,
    pub requests: usize,
    pub failures: usize,
    pub per_second: f64,
    pub latency: Summary,
}

pub struct Server {
    child: tokio::process::Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// `local-api` on a free port, codes printed to nowhere, fraud limits out of the way (the load
/// is one client sending to many numbers, which is what they exist to stop).
pub async fn start(binary: &Path) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let addr = format!("127.0.0.1:{port}");
    let mut cmd = tokio::process::Command::new(binary);
    cmd.args(["--listen", &addr, "--token", TOKEN])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true);
    for (limit, max) in crate::LIMITS {
        cmd.env(limit, max);
    }
    let child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(&addr).await.is_ok() {
            return Server { child, addr };
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("local-api did not start on {addr}");
}

async fn connect(addr: &str) -> SendRequest<Full<Bytes>> {
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let _ = stream.set_nodelay(true);
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(conn);
    sender
}

async fn request(
    c: &mut SendRequest<Full<Bytes>>,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let req = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header("host", "bench")
        .header("authorization", format!("Bearer {TOKEN}"))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(
            body.map(|b| b.to_string()).unwrap_or_default(),
        )))
        .expect("request");
    let Ok(res) = c.send_request(req).await else {
        return (0, Value::Null);
    };
    let status = res.status().as_u16();
    let bytes = res
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// A number no other request of the run uses (UAE mobile range, +97150…).
fn recipient(i: usize) -> String {
    format!("+97150{:07}", i % 10_000_000)
}

fn send_body(i: usize) -> Value {
    json!({ "recipient": recipient(i) })
}

/// Sessions made before a phase, with their codes read back from the outbox.
pub struct Pool {
    pairs: Vec<(String, String)>,
    next: AtomicUsize,
}

impl Pool {
    fn take(&self) -> Option<&(String, String)> {
        self.pairs.get(self.next.fetch_add(1, Ordering::Relaxed))
    }
}

/// Runs `work` on `connections` connections for `seconds` (or until it returns `None`).
async fn phase<F, Fut>(
    label: &'static str,
    server: &Server,
    connections: usize,
    seconds: f64,
    work: F,
) -> Phase
where
    F: Fn(SendRequest<Full<Bytes>>, usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = Option<(SendRequest<Full<Bytes>>, bool)>> + Send,
{
    let samples = Arc::new(Mutex::new(Vec::new()));
    let failures = Arc::new(AtomicUsize::new(0));
    let counter = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (samples, failures, counter, work) = (
            samples.clone(),
            failures.clone(),
            counter.clone(),
            work.clone(),
        );
        let mut c = connect(&server.addr).await;
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            while Instant::now() < deadline {
                let i = counter.fetch_add(1, Ordering::Relaxed);
                let t = Instant::now();
                let Some((back, ok)) = work(c, i).await else {
                    break;
                };
                mine.push(t.elapsed());
                if !ok {
                    failures.fetch_add(1, Ordering::Relaxed);
                }
                c = back;
            }
            samples.lock().unwrap().extend(mine);
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let samples = std::mem::take(&mut *samples.lock().unwrap());
    Phase {
        label,
        requests: samples.len(),
        failures: failures.load(Ordering::Relaxed),
        per_second: samples.len() as f64 / elapsed,
        latency: Summary::of(samples),
    }
}

async fn make_pool(server: &Server, first: usize, count: usize, connections: usize) -> Pool {
    let ids = Arc::new(Mutex::new(Vec::with_capacity(count)));
    let next = Arc::new(AtomicUsize::new(first));
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (ids, next) = (ids.clone(), next.clone());
        let mut c = connect(&server.addr).await;
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= first + count {
                    break;
                }
                let (_, body) = request(
                    &mut c,
                    "POST",
                    "/verify/v1/otp/send-otp",
                    Some(send_body(i)),
                )
                .await;
                if let Some(id) = body["otp_id"].as_str() {
                    ids.lock().unwrap().push((id.to_string(), recipient(i)));
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let mut c = connect(&server.addr).await;
    let (_, outbox) = request(&mut c, "GET", "/_local/outbox", None).await;
    let mut codes = HashMap::new();
    for m in outbox.as_array().into_iter().flatten() {
        if let (Some(to), Some(body)) = (number_in(&m["to"]), m["body"].as_str()) {
            codes.insert(to, otp_tests::code_in(body));
        }
    }
    request(&mut c, "DELETE", "/_local/outbox", None).await;
    let ids = std::mem::take(&mut *ids.lock().unwrap());
    let pairs = ids
        .into_iter()
        .filter_map(|(id, to)| Some((id, codes.get(&to)?.clone())))
        .collect();
    Pool {
        pairs,
        next: AtomicUsize::new(0),
    }
}

/// The E.164 number in a message's destination, however the outbox spells it.
fn number_in(to: &Value) -> Option<String> {
    let text = to.to_string();
    let start = text.find('+')?;
    let digits: String = text[start + 1..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    Some(format!("+{digits}"))
}

/// Sessions each phase may consume per second of its length: more than the server answers
/// here, so that a phase ends on time rather than on an empty pool.
const POOL_PER_SECOND: f64 = 80_000.0;

pub async fn run(binary: &Path, seconds: f64, connections: usize) -> Vec<Phase> {
    let server = start(binary).await;
    let size = (seconds * POOL_PER_SECOND) as usize;
    let t = Instant::now();
    let alone_pool = Arc::new(make_pool(&server, 0, size, connections).await);
    let mix_pool = Arc::new(make_pool(&server, size, size / 2, connections).await);
    eprintln!(
        "  pools: {} + {} sessions with codes in {:.1} s",
        alone_pool.pairs.len(),
        mix_pool.pairs.len(),
        t.elapsed().as_secs_f64()
    );
    let verify = |pool: Arc<Pool>| {
        move |mut c: SendRequest<Full<Bytes>>, _i: usize| {
            let pool = pool.clone();
            async move {
                let (id, code) = pool.take()?.clone();
                let (status, body) = request(
                    &mut c,
                    "POST",
                    "/verify/v1/otp/verify-otp",
                    Some(json!({ "otp_id": id, "otp_code": code })),
                )
                .await;
                Some((c, status == 200 && body["status"] == "APPROVED"))
            }
        }
    };
    let alone = phase(
        "verify-otp alone (right codes)",
        &server,
        connections,
        seconds,
        verify(alone_pool),
    )
    .await;
    let v = verify(mix_pool);
    let first_new = size + size / 2;
    let mix = phase(
        "send-otp + verify-otp, 1:1",
        &server,
        connections,
        seconds,
        move |mut c, i| {
            let v = v.clone();
            async move {
                if i % 2 == 0 {
                    let (status, _) = request(
                        &mut c,
                        "POST",
                        "/verify/v1/otp/send-otp",
                        Some(send_body(first_new + i)),
                    )
                    .await;
                    Some((c, status == 200))
                } else {
                    v(c, i).await
                }
            }
        },
    )
    .await;
    vec![alone, mix]
}

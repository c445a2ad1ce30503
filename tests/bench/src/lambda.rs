//! A Lambda Runtime API emulator for one function process: it starts the release binary as
//! Lambda does (`AWS_LAMBDA_RUNTIME_API`, the function's environment), hands it events through
//! `GET …/invocation/next`, takes its answers from `POST …/response`, and on the same port
//! forwards the SDK's calls to moto, counting them per service and operation.

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

type Reply = hyper::Response<Full<Bytes>>;

/// AWS calls by `service.Operation` (`dynamodb.UpdateItem`, `sns.Publish`).
pub type Calls = BTreeMap<String, u32>;

/// One invocation's outcome, as the emulator saw it.
pub struct Invocation {
    /// The function's answer (for HTTP functions: `statusCode`, `headers`, `body`).
    pub response: Value,
    /// From handing the event out to receiving the answer.
    pub elapsed: Duration,
    /// When the answer arrived.
    pub answered: Instant,
    /// AWS calls made between those two moments.
    pub calls: Calls,
}

impl Invocation {
    pub fn status(&self) -> u16 {
        self.response["statusCode"].as_u64().unwrap_or(0) as u16
    }

    pub fn body(&self) -> Value {
        serde_json::from_str(self.response["body"].as_str().unwrap_or("null")).unwrap_or_default()
    }
}

/// Where an invocation's answer goes, with the moment it arrived.
type Answer = oneshot::Sender<(Value, Instant)>;

struct Job {
    event: Value,
    done: Answer,
}

struct Shared {
    jobs: tokio::sync::Mutex<mpsc::Receiver<Job>>,
    in_flight: Mutex<Option<Answer>>,
    first_poll: Mutex<Option<Instant>>,
    calls: Mutex<Calls>,
    moto: String,
    next_id: Mutex<u64>,
    /// Bytes the process wrote to stdout and stderr (what CloudWatch Logs would ingest).
    log_bytes: std::sync::atomic::AtomicU64,
    /// The cgroup the process enters when it first polls (`Cpu::AfterInit`).
    throttle_at_poll: Mutex<Option<PathBuf>>,
    pid: Mutex<Option<u32>>,
    /// The process's CPU time at each `GET …/invocation/next`.
    cpu_at_polls: Mutex<Vec<Duration>>,
    /// When each AWS call made before the first poll (in init) was forwarded and answered.
    init_calls: Mutex<Vec<(Instant, Instant)>>,
    /// How long the emulator took to move the process into its cgroup at the first poll.
    throttling: Mutex<Duration>,
}

/// The CPU a function process gets, as Lambda gives it.
#[derive(Clone, Debug)]
pub enum Cpu {
    /// The machine's.
    Full,
    /// The machine's until the process asks for its first invocation (Lambda's init is not
    /// throttled), then the share of the cgroup-v1 group at this path.
    AfterInit(PathBuf),
    /// That share from exec: the pessimistic bound.
    FromExec(PathBuf),
}

/// CPU time process `pid` has used, over all its threads (`/proc/<pid>/task/*/schedstat`, in
/// nanoseconds: exact, unlike the tick-counted `utime`).
fn cpu_of(pid: u32) -> Duration {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Duration::ZERO;
    };
    let ns: u64 = tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    Duration::from_nanos(ns)
}

/// A function process under the emulator. Dropping it kills the process.
pub struct Lambda {
    child: tokio::process::Child,
    shared: Arc<Shared>,
    jobs: mpsc::Sender<Job>,
    /// Just before the process was spawned.
    pub started: Instant,
    server: tokio::task::JoinHandle<()>,
}

impl Lambda {
    /// Starts `binary` as function `function` with `env` (plus what Lambda itself sets), its
    /// SDK pointed at this emulator, which forwards to `moto`, with the CPU `cpu` gives.
    pub async fn start_with(
        binary: &Path,
        function: &str,
        env: &[(String, String)],
        moto: &str,
        cpu: &Cpu,
    ) -> Lambda {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let (jobs, rx) = mpsc::channel(1);
        let shared = Arc::new(Shared {
            jobs: tokio::sync::Mutex::new(rx),
            in_flight: Mutex::new(None),
            first_poll: Mutex::new(None),
            calls: Mutex::new(Calls::new()),
            moto: moto.trim_end_matches('/').to_string(),
            next_id: Mutex::new(0),
            log_bytes: Default::default(),
            throttle_at_poll: Mutex::new(None),
            pid: Mutex::new(None),
            cpu_at_polls: Mutex::new(Vec::new()),
            init_calls: Mutex::new(Vec::new()),
            throttling: Mutex::new(Duration::ZERO),
        });
        let server = tokio::spawn(serve(listener, shared.clone()));
        let mut cmd = tokio::process::Command::new(binary);
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("AWS_LAMBDA_RUNTIME_API", format!("127.0.0.1:{port}"))
            .env("AWS_LAMBDA_FUNCTION_NAME", function)
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env(
                "AWS_LAMBDA_LOG_GROUP_NAME",
                format!("/aws/lambda/{function}"),
            )
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
            .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "bench")
            .env("AWS_SECRET_ACCESS_KEY", "bench")
            .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}"))
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let started = Instant::now();
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let pid = child.id().expect("a running child");
        *shared.pid.lock().unwrap() = Some(pid);
        match cpu {
            Cpu::Full => {}
            Cpu::FromExec(dir) => crate::share::enter(dir, pid),
            Cpu::AfterInit(dir) => *shared.throttle_at_poll.lock().unwrap() = Some(dir.clone()),
        }
        count_bytes(child.stdout.take(), shared.clone());
        count_bytes(child.stderr.take(), shared.clone());
        Lambda {
            child,
            shared,
            jobs,
            started,
            server,
        }
    }

    /// Hands `event` to the function and waits for its answer (at most 30 s).
    pub async fn invoke(&self, event: Value) -> Invocation {
        let before = self.calls();
        let (done, answered) = oneshot::channel();
        let sent = Instant::now();
        self.jobs
            .send(Job { event, done })
            .await
            .expect("emulator running");
        let (response, at) = tokio::time::timeout(Duration::from_secs(30), answered)
            .await
            .expect("the function answered within 30 s")
            .expect("the function answered");
        let after = self.calls();
        let calls = after
            .iter()
            .filter_map(|(k, v)| {
                let d = v - before.get(k).copied().unwrap_or(0);
                (d > 0).then(|| (k.clone(), d))
            })
            .collect();
        Invocation {
            response,
            elapsed: at.saturating_duration_since(sent),
            answered: at,
            calls,
        }
    }

    /// Exec → the function's first `GET /runtime/invocation/next`, once it has polled.
    pub fn ready(&self) -> Option<Duration> {
        self.shared
            .first_poll
            .lock()
            .unwrap()
            .map(|t| t - self.started)
    }

    /// How long init waited on AWS: the time during which at least one of its calls was out
    /// (moto's answer and the forwarding; concurrent calls count once).
    pub fn init_aws_wait(&self) -> Duration {
        let mut calls = self.shared.init_calls.lock().unwrap().clone();
        calls.sort();
        let mut total = Duration::ZERO;
        let mut covered: Option<Instant> = None;
        for (start, end) in calls {
            let from = covered.map_or(start, |c| c.max(start));
            if end > from {
                total += end - from;
                covered = Some(end);
            }
        }
        total
    }

    /// The emulator's own time moving the process into its cgroup, which holds the first
    /// invocation back: a cgroup-v1 migration waits for an RCU grace period once the
    /// machine has been idle (10–15 ms here), back to back it does not. Not the function's.
    pub fn throttling_delay(&self) -> Duration {
        *self.shared.throttling.lock().unwrap()
    }

    /// Every AWS call so far.
    pub fn calls(&self) -> Calls {
        self.shared.calls.lock().unwrap().clone()
    }

    /// Bytes logged so far.
    pub fn log_bytes(&self) -> u64 {
        self.shared
            .log_bytes
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// CPU time of each invocation so far, from the poll that took it to the next poll (all
    /// its work, including what follows the response). Waits up to 2 s for the process to poll
    /// after the last one.
    pub async fn cpu_per_invocation(&self) -> Vec<Duration> {
        let done = *self.shared.next_id.lock().unwrap() as usize;
        for _ in 0..400 {
            if self.shared.cpu_at_polls.lock().unwrap().len() > done {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let polls = self.shared.cpu_at_polls.lock().unwrap();
        polls
            .windows(2)
            .map(|w| w[1].saturating_sub(w[0]))
            .collect()
    }

    /// Peak resident set (VmHWM) of the process, in KiB (Linux).
    pub fn peak_rss_kib(&self) -> Option<u64> {
        let pid = self.child.id()?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }
}

impl Lambda {
    /// Kills the process and waits until it is gone.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

impl Drop for Lambda {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        self.server.abort();
    }
}

fn count_bytes(
    pipe: Option<impl tokio::io::AsyncRead + Unpin + Send + 'static>,
    shared: Arc<Shared>,
) {
    use tokio::io::AsyncReadExt;
    let Some(mut pipe) = pipe else { return };
    tokio::spawn(async move {
        let mut buf = vec![0u8; 64 * 1024];
        // BENCH_LOGS=1 shows what the functions log.
        let echo = std::env::var_os("BENCH_LOGS").is_some();
        while let Ok(n @ 1..) = pipe.read(&mut buf).await {
            shared
                .log_bytes
                .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
            if echo {
                eprint!("{}", String::from_utf8_lossy(&buf[..n]));
            }
        }
    });
}

async fn serve(listener: tokio::net::TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let shared = shared.clone();
                async move { Ok::<_, std::convert::Infallible>(route(&shared, req).await) }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

fn reply(status: u16, body: Bytes) -> Reply {
    hyper::Response::builder()
        .status(status)
        .body(Full::new(body))
        .expect("valid response")
}

async fn route(shared: &Shared, req: hyper::Request<Incoming>) -> Reply {
    let path = req.uri().path().to_string();
    match path.strip_prefix("/2018-06-01/runtime/") {
        Some("invocation/next") => next(shared).await,
        Some(rest) if rest.starts_with("invocation/") => {
            let at = Instant::now();
            let body = body(req).await;
            let answer: Value = match rest.ends_with("/response") {
                true => serde_json::from_slice(&body).unwrap_or(Value::Null),
                false => {
                    serde_json::json!({ "statusCode": 0, "invocationError": String::from_utf8_lossy(&body) })
                }
            };
            if let Some(done) = shared.in_flight.lock().unwrap().take() {
                let _ = done.send((answer, at));
            }
            reply(202, Bytes::new())
        }
        Some(_) => {
            // init/error: the function could not start.
            let body = body(req).await;
            eprintln!("init error: {}", String::from_utf8_lossy(&body));
            reply(202, Bytes::new())
        }
        None => forward(shared, req).await,
    }
}

async fn body(req: hyper::Request<Incoming>) -> Bytes {
    req.into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default()
}

async fn next(shared: &Shared) -> Reply {
    shared
        .first_poll
        .lock()
        .unwrap()
        .get_or_insert_with(Instant::now);
    if let Some(pid) = *shared.pid.lock().unwrap() {
        shared.cpu_at_polls.lock().unwrap().push(cpu_of(pid));
        // Init is over: from here the process runs at its memory size's CPU share.
        if let Some(dir) = shared.throttle_at_poll.lock().unwrap().take() {
            let moving = Instant::now();
            crate::share::enter(&dir, pid);
            *shared.throttling.lock().unwrap() = moving.elapsed();
        }
    }
    let Some(job) = shared.jobs.lock().await.recv().await else {
        return reply(500, Bytes::new());
    };
    let id = {
        let mut n = shared.next_id.lock().unwrap();
        *n += 1;
        format!("bench-{n}")
    };
    *shared.in_flight.lock().unwrap() = Some(job.done);
    let deadline = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis()
        + 30_000;
    hyper::Response::builder()
        .header("lambda-runtime-aws-request-id", id)
        .header("lambda-runtime-deadline-ms", deadline.to_string())
        .header(
            "lambda-runtime-invoked-function-arn",
            "arn:aws:lambda:us-east-1:123456789012:function:bench",
        )
        .header(
            "lambda-runtime-trace-id",
            "Root=1-00000000-000000000000000000000000",
        )
        .body(Full::new(Bytes::from(job.event.to_string())))
        .expect("valid response")
}

/// `service.Operation` of an SDK request: the service from the signature's credential scope,
/// the operation from `X-Amz-Target` (JSON protocols) or `Action=` (query protocols).
fn operation(headers: &hyper::HeaderMap, body: &[u8]) -> String {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let service = auth
        .split("Credential=")
        .nth(1)
        .and_then(|c| c.split('/').nth(3))
        .unwrap_or("unknown");
    let op = match headers.get("x-amz-target").and_then(|v| v.to_str().ok()) {
        Some(target) => target.rsplit('.').next().unwrap_or(target).to_string(),
        None => String::from_utf8_lossy(body)
            .split('&')
            .find_map(|kv| kv.strip_prefix("Action="))
            .unwrap_or("?")
            .to_string(),
    };
    format!("{service}.{op}")
}

async fn forward(shared: &Shared, req: hyper::Request<Incoming>) -> Reply {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    *shared
        .calls
        .lock()
        .unwrap()
        .entry(operation(&parts.headers, &body))
        .or_default() += 1;
    let sent = Instant::now();
    let in_init = shared.first_poll.lock().unwrap().is_none();
    let answer = send(&shared.moto, parts, body).await;
    if in_init {
        let call = (sent, Instant::now());
        shared.init_calls.lock().unwrap().push(call);
    }
    match answer {
        Ok(res) => res,
        Err(e) => reply(502, Bytes::from(e)),
    }
}

async fn send(
    moto: &str,
    parts: hyper::http::request::Parts,
    body: Bytes,
) -> Result<Reply, String> {
    let authority = moto.trim_start_matches("http://").to_string();
    let stream = tokio::net::TcpStream::connect(&authority)
        .await
        .map_err(|e| e.to_string())?;
    let _ = stream.set_nodelay(true);
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(conn);
    let mut out = hyper::Request::builder().method(parts.method).uri(
        parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/"),
    );
    for (k, v) in &parts.headers {
        out = out.header(k, v);
    }
    let res = sender
        .send_request(out.body(Full::new(body)).map_err(|e| e.to_string())?)
        .await
        .map_err(|e| e.to_string())?;
    let (parts, body) = res.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .map_err(|e| e.to_string())?;
    Ok(hyper::Response::from_parts(parts, Full::new(body)))
}

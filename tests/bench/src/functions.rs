//! The release binaries under the Runtime API emulator, against moto: cold starts (alternating
//! with the bare binary), warm invocations and peak RSS, and AWS calls per use case.

use crate::lambda::{Calls, Cpu, Invocation, Lambda};
use crate::stats::Summary;
use otp_tests::emulator::Aws;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Every function binary: the endpoints of the route table, then the stream consumer.
pub fn names() -> Vec<&'static str> {
    let mut names: Vec<_> = otp_core::ROUTES.iter().map(|r| r.function).collect();
    names.push("session-events");
    names
}

pub const BASELINE: &str = "otp-baseline";
const TOKEN: &str = "local-dev-token";

/// Tables, contact, sender identity and secrets in moto, and the environment every function
/// gets: production's (secrets fetched at start), with the fraud limits out of the way so that
/// hundreds of sends to the sample events' numbers are not refused.
pub struct Setup {
    pub aws: Aws,
    pub env: Vec<(String, String)>,
    pub moto: String,
    pub bins: PathBuf,
}

impl Setup {
    pub async fn new(bins: &Path) -> Setup {
        let aws = Aws::new().await;
        let moto = aws.url.clone();
        let pepper = otp_core::domain::code::random_hex_id()
            .expect("random")
            .repeat(2);
        let run = otp_tests::emulator::unique();
        let (pepper_secret, rao_secret) = (
            format!("bench/pepper-{run}"),
            format!("bench/rao-key-{run}"),
        );
        for (name, value) in [
            (&pepper_secret, pepper),
            (
                &rao_secret,
                otp_tests::repo_file("shared/dev-keys/rao-private.DEVELOPMENT-ONLY.pem"),
            ),
        ] {
            aws.aws_json(
                "secretsmanager",
                "secretsmanager.CreateSecret",
                json!({ "Name": name, "SecretString": value }),
            )
            .await;
        }
        let token_hash = hex_sha256(TOKEN);
        let mut env = vec![
            ("OTP_SESSIONS_TABLE", aws.sessions_table.clone()),
            ("OTP_CONTACTS_TABLE", aws.contacts_table.clone()),
            ("OTP_EMAIL_FROM", otp_tests::emulator::FROM.to_string()),
            ("OTP_PEPPER_SECRET", pepper_secret),
            ("OTP_RAO_PRIVATE_KEY_SECRET", rao_secret),
            ("OTP_API_TOKENS", format!("local:{token_hash}")),
            (
                "OTP_ACCESS",
                json!({ "local": { "token_sha256": token_hash, "allow": ["MX/GCB/*"] } })
                    .to_string(),
            ),
        ];
        for (limit, max) in crate::LIMITS {
            env.push((limit, max.to_string()));
        }
        Setup {
            env: env.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
            aws,
            moto,
            bins: bins.to_path_buf(),
        }
    }

    pub async fn start(&self, function: &str) -> Lambda {
        self.start_with(function, &Cpu::Full).await
    }

    pub async fn start_with(&self, function: &str, cpu: &Cpu) -> Lambda {
        Lambda::start_with(
            &self.bins.join(function),
            function,
            &self.env,
            &self.moto,
            cpu,
        )
        .await
    }
}

fn hex_sha256(text: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(text.as_bytes()))
}

pub fn event(function: &str) -> Value {
    let text = otp_tests::repo_file(&format!("events/{function}.json"));
    let mut event: Value = serde_json::from_str(&text).expect("sample event is JSON");
    // The samples' bearer token is the one OTP_API_TOKENS names here.
    if let Some(h) = event["headers"].as_object_mut() {
        if h.contains_key("authorization") {
            h.insert("authorization".into(), json!(format!("Bearer {TOKEN}")));
        }
    }
    event
}

/// One function's cold starts and the bare binary's, taken alternately.
pub struct Cold {
    pub ready: Summary,
    pub first: Summary,
    pub base_ready: Summary,
    /// The first response's status and the AWS calls of start-up plus first invocation.
    pub status: u16,
    pub calls: Calls,
}

async fn start_once(
    setup: &Setup,
    function: &str,
    event: &Value,
) -> (Duration, Duration, Invocation, Calls) {
    let lambda = setup.start(function).await;
    let inv = lambda.invoke(event.clone()).await;
    let first = inv.answered - lambda.started;
    let ready = lambda.ready().expect("polled before answering");
    let all = lambda.calls();
    (ready, first, inv, all)
}

pub async fn cold(setup: &Setup, function: &'static str, starts: usize) -> Cold {
    let event = event(function);
    let (mut ready, mut first, mut base_ready) = (vec![], vec![], vec![]);
    let mut last = None;
    for i in 0..starts {
        // Alternate which goes first, so neither always meets a warmer page cache.
        for which in [i % 2, 1 - i % 2] {
            if which == 0 {
                let (r, _, _, _) = start_once(setup, BASELINE, &event).await;
                base_ready.push(r);
            } else {
                let (r, f, inv, calls) = start_once(setup, function, &event).await;
                ready.push(r);
                first.push(f);
                last = Some((inv.status(), calls));
            }
        }
    }
    let (status, calls) = last.expect("at least one start");
    Cold {
        ready: Summary::of(ready),
        first: Summary::of(first),
        base_ready: Summary::of(base_ready),
        status,
        calls,
    }
}

/// Cold starts at a CPU share: the function's and the bare binary's, alternately.
pub struct Throttled {
    pub ready: Summary,
    pub first: Summary,
    pub warm: Summary,
    /// First response less the same request's warm duration: what the cold start costs.
    pub overhead: Summary,
    pub base_overhead: Summary,
    /// CPU time of the first invocation less the warm one's (the work the cold start added
    /// after init, which the share stretches), the function's and the bare binary's.
    pub extra_cpu: Summary,
    pub base_extra_cpu: Summary,
    /// How long init waited on AWS (the secrets); the bare binary makes no call.
    pub init_wait: Summary,
    /// The overhead less that wait.
    pub overhead_less_wait: Summary,
    pub status: u16,
}

/// One start under `cpu`.
struct Start {
    ready: Duration,
    first: Duration,
    warm: Duration,
    extra_cpu: Duration,
    init_wait: Duration,
    status: u16,
}

/// Starts `function` under `cpu` and invokes it twice with `event`: the cold, then the warm.
async fn start_throttled(setup: &Setup, function: &str, event: &Value, cpu: &Cpu) -> Start {
    // Each start in a group of its own, as each Lambda execution environment has its quota.
    let (cpu, group) = match cpu {
        Cpu::AfterInit(template) => {
            let own = crate::share::sandbox(template);
            (Cpu::AfterInit(own.clone()), Some(own))
        }
        Cpu::FromExec(template) => {
            let own = crate::share::sandbox(template);
            (Cpu::FromExec(own.clone()), Some(own))
        }
        Cpu::Full => (Cpu::Full, None),
    };
    let start = measure_start(setup, function, event, &cpu).await;
    if let Some(group) = group {
        crate::share::remove(&group);
    }
    start
}

async fn measure_start(setup: &Setup, function: &str, event: &Value, cpu: &Cpu) -> Start {
    let lambda = setup.start_with(function, cpu).await;
    let first = lambda.invoke(event.clone()).await;
    let warm = lambda.invoke(event.clone()).await;
    let cpu = lambda.cpu_per_invocation().await;
    let start = Start {
        ready: lambda.ready().expect("polled before answering"),
        first: (first.answered - lambda.started).saturating_sub(lambda.throttling_delay()),
        warm: warm.elapsed,
        extra_cpu: match cpu[..] {
            [first, warm, ..] => first.saturating_sub(warm),
            _ => Duration::ZERO,
        },
        init_wait: lambda.init_aws_wait(),
        status: first.status(),
    };
    lambda.stop().await;
    start
}

pub async fn throttled(
    setup: &Setup,
    function: &'static str,
    starts: usize,
    cpu: &Cpu,
) -> Throttled {
    let event = event(function);
    let (mut own, mut base) = (vec![], vec![]);
    for i in 0..starts {
        for which in [i % 2, 1 - i % 2] {
            match which {
                0 => base.push(start_throttled(setup, BASELINE, &event, cpu).await),
                _ => own.push(start_throttled(setup, function, &event, cpu).await),
            }
        }
    }
    let of =
        |starts: &[Start], f: fn(&Start) -> Duration| Summary::of(starts.iter().map(f).collect());
    fn overhead(s: &Start) -> Duration {
        s.first.saturating_sub(s.warm)
    }
    Throttled {
        ready: of(&own, |s| s.ready),
        first: of(&own, |s| s.first),
        warm: of(&own, |s| s.warm),
        overhead: of(&own, overhead),
        base_overhead: of(&base, overhead),
        extra_cpu: of(&own, |s| s.extra_cpu),
        base_extra_cpu: of(&base, |s| s.extra_cpu),
        init_wait: of(&own, |s| s.init_wait),
        overhead_less_wait: of(&own, |s| overhead(s).saturating_sub(s.init_wait)),
        status: own.last().map(|s| s.status).unwrap_or(0),
    }
}

/// `count` warm invocations of one process with `function`'s sample event.
pub struct Warm {
    pub function: &'static str,
    pub count: usize,
    pub latency: Summary,
    pub rss_first_kib: u64,
    pub rss_peak_kib: u64,
    pub per_second: f64,
    pub log_bytes_each: u64,
}

pub async fn warm(setup: &Setup, function: &'static str, count: usize) -> Warm {
    let event = event(function);
    let lambda = setup.start(function).await;
    lambda.invoke(event.clone()).await;
    let rss_first_kib = lambda.peak_rss_kib().unwrap_or(0);
    let logged = lambda.log_bytes();
    let mut samples = Vec::with_capacity(count);
    let started = std::time::Instant::now();
    for _ in 0..count {
        samples.push(lambda.invoke(event.clone()).await.elapsed);
    }
    let per_second = count as f64 / started.elapsed().as_secs_f64();
    Warm {
        function,
        count,
        latency: Summary::of(samples),
        rss_first_kib,
        rss_peak_kib: lambda.peak_rss_kib().unwrap_or(0),
        per_second,
        log_bytes_each: (lambda.log_bytes() - logged) / count.max(1) as u64,
    }
}

/// A use case and the AWS calls it made, with its warm duration.
pub struct Trip {
    pub case: String,
    pub status: u16,
    pub calls: Calls,
    pub elapsed: Duration,
}

/// The Verify API's flow through warm functions: send, resend, a wrong code, the right code,
/// the report; and the stream consumer on what that flow wrote. Also returns the size in
/// bytes of the largest session item the flow stored (DynamoDB bills writes per KB).
pub async fn trips(setup: &Setup) -> (Vec<Trip>, usize) {
    let send = setup.start("send-otp").await;
    let resend = setup.start("resend-otp").await;
    let verify = setup.start("verify-otp").await;
    let report = setup.start("otp-report").await;
    let recipient = format!("+447400{:06}", otp_tests::emulator::unique() % 1_000_000);
    let mut out = Vec::new();
    let mut record = |case: &str, inv: &Invocation| {
        out.push(Trip {
            case: case.into(),
            status: inv.status(),
            calls: inv.calls.clone(),
            elapsed: inv.elapsed,
        })
    };
    // Warm each process first: trips are counted on warm functions.
    for (lambda, f) in [
        (&send, "send-otp"),
        (&resend, "resend-otp"),
        (&verify, "verify-otp"),
        (&report, "otp-report"),
    ] {
        lambda.invoke(event(f)).await;
    }
    let mut e = event("send-otp");
    e["body"] = json!(json!({ "recipient": recipient, "retry_delay": 0 }).to_string());
    let sent = send.invoke(e).await;
    record("send-otp (SMS)", &sent);
    let id = sent.body()["otp_id"].as_str().expect("otp_id").to_string();
    let mut e = event("resend-otp");
    e["body"] = json!(json!({ "otp_id": id }).to_string());
    record("resend-otp", &resend.invoke(e).await);
    let code = setup.aws.last_code(&recipient).await;
    let mut e = event("verify-otp");
    e["body"] =
        json!(json!({ "otp_id": id, "otp_code": otp_tests::wrong_code(&code) }).to_string());
    record("verify-otp, wrong code", &verify.invoke(e.clone()).await);
    e["body"] = json!(json!({ "otp_id": id, "otp_code": code }).to_string());
    let right = verify.invoke(e).await;
    assert_eq!(
        right.body()["status"],
        "APPROVED",
        "the right code verifies"
    );
    record("verify-otp, right code", &right);
    let mut e = event("otp-report");
    e["pathParameters"] = json!({ "otp_id": id });
    e["rawPath"] = json!(format!("/verify/v1/report/{id}"));
    record("otp-report", &report.invoke(e).await);
    let largest = setup
        .aws
        .scan()
        .await
        .iter()
        .map(crate::cost::item_size)
        .max()
        .unwrap_or(0);
    let events = setup.start("session-events").await;
    let stream = setup.aws.stream_event().await;
    record(
        "session-events (stream batch of this flow)",
        &events.invoke(stream).await,
    );
    (out, largest)
}

//! `otp-bench`: every figure of the benchmark, printed as Markdown tables and kept in
//! `target/bench/figures.md`. Run by `scripts/bench.sh` (`make bench`), which builds the
//! release binaries, zips them as SAM would and starts moto.
//!
//! Options: `--bins DIR` (release binaries), `--zips DIR`, `--starts N` (cold starts per
//! function, default 20), `--warm N` (warm invocations of verify-otp, default 10000; send-otp
//! gets a tenth), `--seconds S` (each
//! load phase, default 5), `--connections N` (default 32), `--only LIST` (some of `size,trips,
//! cold,share,warm,inproc,load`; the cost needs `trips` and `warm`), `--functions LIST` (the
//! cold-start tables for these functions only).

mod cost;
mod functions;
mod inproc;
mod lambda;
mod load;
mod share;
mod stats;

use stats::{ms, us};
use std::path::PathBuf;

struct Args {
    bins: PathBuf,
    zips: PathBuf,
    starts: usize,
    warm: usize,
    seconds: f64,
    connections: usize,
    only: Option<Vec<String>>,
    functions: Option<Vec<String>>,
}

impl Args {
    fn runs(&self, section: &str) -> bool {
        self.only
            .as_ref()
            .is_none_or(|o| o.iter().any(|s| s == section))
    }

    fn functions(&self) -> Vec<&'static str> {
        functions::names()
            .into_iter()
            .filter(|f| {
                self.functions
                    .as_ref()
                    .is_none_or(|l| l.iter().any(|g| g == f))
            })
            .collect()
    }
}

fn args() -> Args {
    let mut a = Args {
        bins: "target/release".into(),
        zips: "target/bench/zips".into(),
        starts: 20,
        warm: 10_000,
        seconds: 5.0,
        connections: 32,
        only: None,
        functions: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        let number = || {
            value
                .parse::<f64>()
                .unwrap_or_else(|_| panic!("{flag}: not a number"))
        };
        match flag.as_str() {
            "--bins" => a.bins = value.clone().into(),
            "--zips" => a.zips = value.clone().into(),
            "--starts" => a.starts = number() as usize,
            "--warm" => a.warm = number() as usize,
            "--seconds" => a.seconds = number(),
            "--connections" => a.connections = number() as usize,
            "--only" => a.only = Some(value.split(',').map(String::from).collect()),
            "--functions" => a.functions = Some(value.split(',').map(String::from).collect()),
            other => panic!("unknown option {other}"),
        }
    }
    a
}

const MB: f64 = 1e6;

/// Each function that sends SMS, and the function of its family that checks its codes, which it
/// is measured against: what sending adds (SNS, and for most the phone metadata).
const SMS_SENDERS: [(&str, &str); 6] = [
    ("send-verification-key", "check-verification-key"),
    ("send-pending-verification-key", "check-verification-key"),
    ("send-otp", "verify-otp"),
    ("resend-otp", "verify-otp"),
    ("telemarketing-generate", "telemarketing-validate"),
    ("rao-generate", "rao-validate"),
];

/// The fraud shield's limits at their maxima: the benchmark is one client sending to many
/// numbers (or many times to the samples' few), which is what they exist to stop.
pub const LIMITS: [(&str, &str); 5] = [
    ("OTP_DESTINATION_SENDS_PER_WINDOW", "10000"),
    ("OTP_CLIENT_SENDS_PER_WINDOW", "100000000"),
    ("OTP_PREFIX_UNVERIFIED_PER_WINDOW", "1000000"),
    ("OTP_COUNTRY_UNVERIFIED_PER_WINDOW", "10000000"),
    ("OTP_SMS_PER_MINUTE", "1000000"),
];

fn mark(ok: bool) -> &'static str {
    if ok {
        "✓"
    } else {
        "✗"
    }
}

fn size(path: &std::path::Path) -> Option<u64> {
    std::fs::metadata(path).ok().map(|m| m.len())
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    format!(
        "{} × {cpu}, {}, {}",
        cores,
        std::env::consts::ARCH,
        std::env::var("BENCH_RUSTC").unwrap_or_default()
    )
}

#[tokio::main]
async fn main() {
    let a = args();
    // Before anything else has parsed a number in this process.
    let first_parse = inproc::first_phone_parse();
    let mut out = String::new();
    let p = |out: &mut String, line: String| {
        println!("{line}");
        out.push_str(&line);
        out.push('\n');
    };
    p(&mut out, format!("Machine: {}\n", machine()));

    if a.runs("size") {
        // 2. Size.
        p(
            &mut out,
            "| function | stripped binary | zip (SAM upload) | ≤ 7 MB | SMS sender: over its family's reader ≤ 0.5 MB |".into(),
        );
        p(&mut out, "|---|---:|---:|:-:|---:|".into());
        let bin = |f: &str| {
            size(&a.bins.join(f))
                .unwrap_or_else(|| panic!("{f} is not built in {}", a.bins.display()))
        };
        for f in functions::names().into_iter().chain([functions::BASELINE]) {
            let zip = size(&a.zips.join(format!("{f}.zip")))
                .map(|z| format!("{:.2} MB", z as f64 / MB))
                .unwrap_or("–".into());
            let over = match SMS_SENDERS.iter().find(|(sender, _)| *sender == f) {
                Some((_, reader)) => {
                    let over = (bin(f) as f64 - bin(reader) as f64) / MB;
                    format!("{over:.3} MB over {reader} {}", mark(over <= 0.5))
                }
                None => String::new(),
            };
            p(
                &mut out,
                format!(
                    "| {f} | {:.2} MB | {zip} | {} | {over} |",
                    bin(f) as f64 / MB,
                    mark(bin(f) as f64 <= 7.0 * MB)
                ),
            );
        }
        p(&mut out, String::new());
    }

    eprintln!("setting up moto");
    let setup = functions::Setup::new(&a.bins).await;

    // 5. Round trips (first: the stream consumer reads the whole stream so far).
    let trips = match a.runs("trips") {
        true => {
            eprintln!("round trips");
            Some(functions::trips(&setup).await)
        }
        false => None,
    };
    if let Some((trips, _)) = &trips {
        p(
            &mut out,
            "| use case (warm function) | status | AWS calls | duration (moto on loopback) |"
                .into(),
        );
        p(&mut out, "|---|---:|---|---:|".into());
        for t in trips {
            let calls: Vec<String> = t.calls.iter().map(|(k, v)| format!("{v}× {k}")).collect();
            p(
                &mut out,
                format!(
                    "| {} | {} | {} | {} |",
                    t.case,
                    t.status,
                    calls.join(", "),
                    ms(t.elapsed)
                ),
            );
        }
        p(&mut out, String::new());
    }
    if a.runs("cold") {
        // 1. Cold start.
        eprintln!(
            "cold starts ({} per function, alternating with the bare binary)",
            a.starts
        );
        p(&mut out, "| function | exec → ready p50 / p95 | bare p50 / p95 | ratio (p50) ≤ 1.2 | exec → first response p50 / p95 ≤ 40 ms | first status | calls until then |".into());
        p(&mut out, "|---|---:|---:|:-:|---:|---:|---|".into());
        for f in a.functions() {
            let c = functions::cold(&setup, f, a.starts).await;
            let ratio = c.ready.p50.as_secs_f64() / c.base_ready.p50.as_secs_f64();
            let calls: Vec<String> = c.calls.iter().map(|(k, v)| format!("{v}× {k}")).collect();
            p(
                &mut out,
                format!(
                    "| {f} | {} / {} | {} / {} | {ratio:.2} {} | {} / {} {} | {} | {} |",
                    ms(c.ready.p50),
                    ms(c.ready.p95),
                    ms(c.base_ready.p50),
                    ms(c.base_ready.p95),
                    mark(ratio <= 1.2),
                    ms(c.first.p50),
                    ms(c.first.p95),
                    mark(c.first.p50.as_secs_f64() <= 0.040),
                    if c.status == 0 {
                        "–".to_string()
                    } else {
                        c.status.to_string()
                    },
                    calls.join(", ")
                ),
            );
        }
        p(&mut out, String::new());
    }

    if a.runs("share") {
        // 1b. Cold start as Lambda runs it: init at full CPU, then the template's 128 MB share
        // (and, as the pessimistic bound, that share from exec).
        match share::group(128) {
        Err(why) => p(
            &mut out,
            format!("Cold start at 128 MB's CPU share: skipped, no writable cgroup-v1 cpu controller here ({why}).\n"),
        ),
        Ok(group) => {
            let starts = a.starts.clamp(1, 12);
            let core = if share::pinned(&group) { ", pinned to one core" } else { "" };
            eprintln!("cold starts at 128 MB's CPU share ({starts} per function and model)");
            p(&mut out, format!("Cold start at 128 MB's CPU share ({:.1} % of a core in {} ms slices{core}; {starts} starts each, alternating with the bare binary; overhead = first response − the same request warm; extra CPU = the first invocation's CPU time − the warm one's; init's AWS wait = how long init waited on AWS calls, the secrets, which the bare binary does not make):\n", share::fraction(128) * 100.0, share::PERIOD_US / 1000));
            p(&mut out, "| function | exec → ready p50 | exec → first response p50 | warm p50 | overhead p50 | bare overhead p50 | ratio ≤ 1.5 | init's AWS wait p50 | overhead less that wait p50 / ratio | extra CPU p50 / bare | throttled from exec: overhead p50 / bare | first status |".into());
            p(&mut out, "|---|---:|---:|---:|---:|---:|:-:|---:|---:|---:|---:|---:|".into());
            for f in a.functions() {
                let after = functions::throttled(&setup, f, starts, &lambda::Cpu::AfterInit(group.clone())).await;
                let exec = functions::throttled(&setup, f, starts, &lambda::Cpu::FromExec(group.clone())).await;
                let base = after.base_overhead.p50.as_secs_f64().max(1e-6);
                let ratio = after.overhead.p50.as_secs_f64() / base;
                let less_wait = after.overhead_less_wait.p50.as_secs_f64() / base;
                p(
                    &mut out,
                    format!(
                        "| {f} | {} | {} | {} | {} | {} | {ratio:.2} {} | {} | {} / {less_wait:.2} | {} / {} | {} / {} | {} |",
                        ms(after.ready.p50),
                        ms(after.first.p50),
                        ms(after.warm.p50),
                        ms(after.overhead.p50),
                        ms(after.base_overhead.p50),
                        mark(ratio <= 1.5),
                        ms(after.init_wait.p50),
                        ms(after.overhead_less_wait.p50),
                        ms(after.extra_cpu.p50),
                        ms(after.base_extra_cpu.p50),
                        ms(exec.overhead.p50),
                        ms(exec.base_overhead.p50),
                        after.status,
                    ),
                );
            }
            p(&mut out, String::new());
        }
    }
    }

    let mut log_bytes_each = None;
    if a.runs("warm") {
        // 3. Memory and warm invocations through the runtime.
        eprintln!("{} warm invocations", a.warm);
        p(&mut out, "| function (sample event) | warm invocations | p50 / p99 (moto on loopback) | invocations/s | RSS after 1st | peak RSS ≤ 32 MB |".into());
        p(&mut out, "|---|---:|---:|---:|---:|---:|".into());
        // send-otp makes eight calls to moto per invocation (about 25 ms): a tenth as many.
        for (f, count) in [("verify-otp", a.warm), ("send-otp", a.warm / 10)] {
            let w = functions::warm(&setup, f, count).await;
            log_bytes_each = log_bytes_each.max(Some(w.log_bytes_each));
            p(
                &mut out,
                format!(
                    "| {} | {} | {} / {} | {:.0} | {:.1} MB | {:.1} MB {} |",
                    w.function,
                    w.count,
                    ms(w.latency.p50),
                    ms(w.latency.p99),
                    w.per_second,
                    w.rss_first_kib as f64 * 1024.0 / MB,
                    w.rss_peak_kib as f64 * 1024.0 / MB,
                    mark(w.rss_peak_kib as f64 * 1024.0 <= 32.0 * MB)
                ),
            );
        }
        p(&mut out, String::new());
    }

    if a.runs("inproc") {
        // 4. Warm latency in-process.
        eprintln!("in-process latency");
        p(
            &mut out,
            "| in-process (memory adapters) | p50 | p99 |".into(),
        );
        p(&mut out, "|---|---:|---:|".into());
        p(
            &mut out,
            format!(
                "| first phone number parse (metadata load, once per process) | {} | |",
                ms(first_parse)
            ),
        );
        let rows = inproc::primitives(20_000)
            .into_iter()
            .chain(inproc::handlers(5_000).await);
        for r in rows {
            let target = match r.label {
                "verify-otp, right code" => {
                    format!(" {}", mark(r.latency.p99.as_secs_f64() <= 100e-6))
                }
                _ => String::new(),
            };
            p(
                &mut out,
                format!(
                    "| {} | {} | {}{target} |",
                    r.label,
                    us(r.latency.p50),
                    us(r.latency.p99)
                ),
            );
        }
        p(&mut out, String::new());
    }

    if a.runs("load") {
        // 6. Local throughput.
        eprintln!(
            "local throughput ({} s per phase, {} connections)",
            a.seconds, a.connections
        );
        p(&mut out, format!("| local-api, {} keep-alive connections, {} s | requests | req/s | p50 | p99 | failed |", a.connections, a.seconds));
        p(&mut out, "|---|---:|---:|---:|---:|---:|".into());
        for ph in load::run(&a.bins.join("local-api"), a.seconds, a.connections).await {
            let target = match ph.label.starts_with("verify-otp alone") {
                true => format!(
                    " {}",
                    mark(ph.per_second >= 10_000.0 && ph.latency.p99.as_secs_f64() <= 0.010)
                ),
                false => String::new(),
            };
            p(
                &mut out,
                format!(
                    "| {} | {} | {:.0}{target} | {} | {} | {} |",
                    ph.label,
                    ph.requests,
                    ph.per_second,
                    ms(ph.latency.p50),
                    ms(ph.latency.p99),
                    ph.failures
                ),
            );
        }
        p(&mut out, String::new());
    }

    if let (Some((trips, largest_item)), Some(log_bytes)) = (&trips, log_bytes_each) {
        // 7. Cost.
        let lines = cost::per_verification(trips, *largest_item, log_bytes * 3);
        let total: f64 = lines.iter().map(|l| l.usd).sum();
        p(
            &mut out,
            "| per successful SMS verification | quantity | USD |".into(),
        );
        p(&mut out, "|---|---|---:|".into());
        for l in &lines {
            p(
                &mut out,
                format!("| {} | {} | {:.8} |", l.item, l.quantity, l.usd),
            );
        }
        p(
            &mut out,
            format!("| **total, this service (SMS price excluded)** | | **{total:.8}** |"),
        );
        p(
        &mut out,
        format!(
            "| Twilio Verify, per successful verification (SMS price excluded) | | {:.8} ({:.0}×) |",
            cost::TWILIO_VERIFY,
            cost::TWILIO_VERIFY / total
        ),
    );
    }
    std::fs::create_dir_all("target/bench").ok();
    std::fs::write("target/bench/figures.md", &out).expect("write target/bench/figures.md");
    eprintln!("written to target/bench/figures.md");
}

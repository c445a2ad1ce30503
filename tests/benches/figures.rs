//! Prints throughput and latency figures of the hot paths (not a pass/fail test):
//! `cargo bench -p otp-tests --bench figures`.

use otp_core::domain::{Alphabet, Code, Pepper, E164};
use otp_tests::{Harness, Req};
use serde_json::json;
use std::time::{Duration, Instant};

fn rate(label: &str, n: u32, elapsed: Duration) {
    let per_op = elapsed / n;
    println!(
        "{label:<44} {:>10.0} ops/s  {:>8.2} µs/op",
        f64::from(n) / elapsed.as_secs_f64(),
        per_op.as_secs_f64() * 1e6
    );
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p) as usize]
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    // First: libphonenumber's metadata loads on the first parse (a cold-start cost).
    let start = Instant::now();
    std::hint::black_box(E164::parse("+12025550123").unwrap());
    println!(
        "{:<44} {:>8.2} ms",
        "first phone number parse (metadata load)",
        start.elapsed().as_secs_f64() * 1e3
    );
    let numbers = [
        "+12025550123",
        "971501234567",
        "+44 7400 000001",
        "+52 55 1234 5678",
    ];
    let start = Instant::now();
    for i in 0..20_000u32 {
        std::hint::black_box(E164::parse(numbers[i as usize % numbers.len()]).unwrap());
    }
    rate(
        "phone number parse + validation (warm)",
        20_000,
        start.elapsed(),
    );

    let n = 100_000;
    let start = Instant::now();
    for _ in 0..n {
        std::hint::black_box(Code::generate(6, Alphabet::Numeric).unwrap());
    }
    rate("code generation (6 digits, OS CSPRNG)", n, start.elapsed());

    let pepper = Pepper::new(&[7; 32]).unwrap();
    let key =
        otp_core::dialects::verify_api::session_key("acme", "86b24910-2d1e-4257-b6d4-e6b829e50e84");
    let start = Instant::now();
    for i in 0..n {
        std::hint::black_box(pepper.hash(&key, &i.to_string()));
    }
    rate("code HMAC-SHA256", n, start.elapsed());

    // Whole requests through the handlers over the memory adapters (service + dialect overhead).
    let mut h = Harness::new();
    h.app.config.destination_budget.limit = u32::MAX;
    h.app.config.client_budget.limit = u32::MAX;
    let rounds = 5_000;
    let mut sends = Vec::with_capacity(rounds);
    let mut verifies = Vec::with_capacity(rounds);
    for i in 0..rounds {
        let t = Instant::now();
        let res = h
            .call(Req::post(
                "/verify/v1/otp/send-otp",
                json!({ "recipient": format!("+9715{i:08}") }),
            ))
            .await;
        sends.push(t.elapsed());
        let id = res.json["otp_id"].as_str().unwrap().to_string();
        let code = h.last_code();
        let t = Instant::now();
        let res = h
            .call(Req::post(
                "/verify/v1/otp/verify-otp",
                json!({ "otp_id": id, "otp_code": code }),
            ))
            .await;
        verifies.push(t.elapsed());
        assert_eq!(res.status, 200);
        if i % 1_000 == 0 {
            h.outbox.clear();
        }
    }
    for (label, mut samples) in [
        ("send-otp handler (memory store)", sends),
        ("verify-otp handler (memory store)", verifies),
    ] {
        samples.sort();
        let total: Duration = samples.iter().sum();
        rate(label, rounds as u32, total);
        println!(
            "{:<44} p50 {:?}  p99 {:?}",
            "",
            percentile(&samples, 0.5),
            percentile(&samples, 0.99)
        );
    }
}

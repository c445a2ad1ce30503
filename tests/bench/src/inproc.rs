//! Warm latency in-process: the domain's hot primitives and whole requests through the route
//! table over the memory adapters (dialect + use case + domain, no network).

use crate::stats::Summary;
use otp_core::domain::{Alphabet, Code, Pepper, E164};
use otp_tests::{Harness, Req};
use serde_json::json;
use std::time::{Duration, Instant};

pub struct Row {
    pub label: &'static str,
    pub latency: Summary,
}

fn timed<T>(samples: &mut Vec<Duration>, f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let out = f();
    samples.push(t.elapsed());
    out
}

/// libphonenumber's metadata load: paid once per process, by the first number parsed.
pub fn first_phone_parse() -> Duration {
    let t = Instant::now();
    std::hint::black_box(E164::parse("+12025550123").expect("valid"));
    t.elapsed()
}

pub fn primitives(n: usize) -> Vec<Row> {
    let numbers = [
        "+12025550123",
        "971501234567",
        "+44 7400 000001",
        "+52 55 1234 5678",
    ];
    let (mut parse, mut generate, mut hash) = (vec![], vec![], vec![]);
    let pepper = Pepper::new(&[7; 32]).expect("pepper");
    let key =
        otp_core::dialects::verify_api::session_key("acme", "86b24910-2d1e-4257-b6d4-e6b829e50e84");
    for i in 0..n {
        let _ = timed(&mut parse, || {
            std::hint::black_box(E164::parse(numbers[i % numbers.len()]))
        });
        let _ = timed(&mut generate, || {
            std::hint::black_box(Code::generate(6, Alphabet::Numeric))
        });
        timed(&mut hash, || {
            std::hint::black_box(pepper.hash(&key, "123456"))
        });
    }
    vec![
        Row {
            label: "phone number parse + validation",
            latency: Summary::of(parse),
        },
        Row {
            label: "code generation (6 digits, OS CSPRNG)",
            latency: Summary::of(generate),
        },
        Row {
            label: "code HMAC-SHA256 (pepper)",
            latency: Summary::of(hash),
        },
    ]
}

/// Each handler, `rounds` times, through the route table with the memory store.
pub async fn handlers(rounds: usize) -> Vec<Row> {
    let mut h = Harness::new();
    let c = &mut h.app.config;
    for limit in [
        &mut c.destination_budget.limit,
        &mut c.client_budget.limit,
        &mut c.fraud.prefix.limit,
        &mut c.fraud.country.limit,
        &mut c.fraud.sms_per_minute,
        &mut c.fraud.guesses,
    ] {
        *limit = u32::MAX;
    }
    let mut s: [Vec<Duration>; 8] = Default::default();
    for i in 0..rounds {
        let recipient = format!("+9715{:08}", i % 10_000_000);
        let sent = h
            .call(Req::post(
                "/verify/v1/otp/send-otp",
                json!({ "recipient": recipient }),
            ))
            .await;
        let id = sent.json["otp_id"].as_str().expect("otp_id").to_string();
        let code = h.last_code();
        let verify = |c: &str| {
            Req::post(
                "/verify/v1/otp/verify-otp",
                json!({ "otp_id": id, "otp_code": c }),
            )
        };
        let wrong = otp_tests::wrong_code(&code);
        let t = Instant::now();
        h.call(verify(&wrong)).await;
        s[1].push(t.elapsed());
        let t = Instant::now();
        let ok = h.call(verify(&code)).await;
        s[2].push(t.elapsed());
        assert_eq!(ok.json["status"], "APPROVED");
        let t = Instant::now();
        h.call(Req::get(format!("/verify/v1/report/{id}"))).await;
        s[3].push(t.elapsed());

        let t = Instant::now();
        let key = h
            .call(Req::post(
                "/contacts/1/verification-keys",
                json!({ "channel": "Email" }),
            ))
            .await;
        s[4].push(t.elapsed());
        let session = key.json["generatedSessionId"]
            .as_str()
            .expect("session")
            .to_string();
        let code = h.last_code();
        let path = format!("/contacts/1/verification-keys/{session}/{code}");
        let t = Instant::now();
        h.call(Req::get(&path)).await;
        s[5].push(t.elapsed());
        let t = Instant::now();
        h.call(Req::post(format!("{path}/verify"), json!({}))).await;
        s[6].push(t.elapsed());

        let t = Instant::now();
        h.call(Req::contract(
            "/v1/x-global/security/tele-marketing/otp/generate",
            json!({ "customerId": format!("c-{i}"), "phoneNumber": "5512345678", "messagePrefix": "Code" }),
        ))
        .await;
        s[7].push(t.elapsed());
        if i % 500 == 0 {
            h.outbox.clear();
        }
    }
    // send-otp timed separately so the loop above can read its code first.
    for i in 0..rounds {
        let recipient = format!("+9715{:08}", (rounds + i) % 10_000_000);
        let req = Req::post("/verify/v1/otp/send-otp", json!({ "recipient": recipient }));
        let t = Instant::now();
        h.call(req).await;
        s[0].push(t.elapsed());
        if i % 500 == 0 {
            h.outbox.clear();
        }
    }
    let labels = [
        "send-otp (SMS)",
        "verify-otp, wrong code",
        "verify-otp, right code",
        "otp-report",
        "send-verification-key (email)",
        "check-verification-key",
        "verify-verification-key",
        "telemarketing-generate",
    ];
    labels
        .into_iter()
        .zip(s)
        .map(|(label, samples)| Row {
            label,
            latency: Summary::of(samples),
        })
        .collect()
}

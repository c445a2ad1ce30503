//! Attacks on the service through the real DynamoDB and SNS adapters against moto: mass
//! guessing, a burst of sends to one number, SMS pumping across a premium prefix (enforced
//! and in `record` mode), and blocked countries in every family. Each test prints its figures.

use otp_core::config::fraud::parse_countries;
use otp_core::config::FraudMode;
use otp_tests::emulator::{dead_store_app, unique, Aws};
use otp_tests::{call, capture_logs, error_code, join_all, sms_sends, Req};
use serde_json::json;
use std::sync::Arc;

async fn send(aws: &Aws, recipient: &str) -> (u16, Option<String>) {
    let res = call(
        &aws.app,
        Req::post("/verify/v1/otp/send-otp", json!({ "recipient": recipient })),
    )
    .await;
    if res.status == 429 {
        assert!(res.headers.contains_key("retry-after"), "{}", res.json);
    }
    let id = res.json["otp_id"].as_str().map(str::to_string);
    (res.status, id)
}

#[tokio::test]
async fn ten_thousand_concurrent_guesses_count_at_most_the_maximum_and_lock_the_session() {
    let aws = Aws::new().await;
    let (status, id) = send(&aws, &aws.phone).await;
    assert_eq!(status, 200);
    let id = id.unwrap();
    let right = aws.last_code(&aws.phone).await;
    let max = aws.app.config.policy.max_attempts;

    let tasks = 64;
    let per_task = 10_000 / tasks + 1;
    let handles = (0..tasks).map(|_| {
        let app = Arc::clone(&aws.app);
        let id = id.clone();
        tokio::spawn(async move {
            let mut outcomes = Vec::new();
            for _ in 0..per_task {
                let mut b = [0u8; 4];
                otp_core::domain::code::random_bytes(&mut b).unwrap();
                let guess = format!("{:06}", u32::from_le_bytes(b) % 1_000_000);
                let body = json!({ "otp_id": id, "otp_code": guess });
                let res = call(&app, Req::post("/verify/v1/otp/verify-otp", body)).await;
                let message = res.json["detail"]["message"]
                    .as_str()
                    .unwrap_or("")
                    .to_string();
                outcomes.push((guess, res.status, res.json["status"].clone(), message));
            }
            outcomes
        })
    });
    let outcomes: Vec<_> = join_all(handles).await.into_iter().flatten().collect();
    let approved: Vec<_> = outcomes.iter().filter(|o| o.2 == "APPROVED").collect();
    assert!(
        approved.iter().all(|o| o.0 == right),
        "a wrong code approved"
    );
    let counted = outcomes
        .iter()
        .filter(|o| o.3 == "Invalid OTP code or OTP code expired")
        .count();
    let refused_locked = outcomes
        .iter()
        .filter(|o| o.3 == "Maximum verification attempts reached")
        .count();
    assert!(counted as u32 <= max, "{counted} wrong guesses counted");
    let report = call(&aws.app, Req::get(format!("/verify/v1/report/{id}"))).await;
    println!(
        "guessing: {} requests, {} counted as attempts (max {max}), {} refused as locked, {} approved; session {} with {} attempts",
        outcomes.len(),
        counted,
        refused_locked,
        approved.len(),
        report.json["status"],
        report.json["attempts"]
    );
    if approved.is_empty() {
        assert_eq!(report.json["status"], "FAILED", "{}", report.json);
        assert_eq!(report.json["attempts"], max);
        let late = call(
            &aws.app,
            Req::post(
                "/verify/v1/otp/verify-otp",
                json!({ "otp_id": id, "otp_code": right }),
            ),
        )
        .await;
        assert_eq!(
            (late.status, late.json["detail"]["message"].as_str()),
            (400, Some("Maximum verification attempts reached"))
        );
    }
}

#[tokio::test]
async fn two_hundred_concurrent_sends_to_one_number_deliver_exactly_its_budget() {
    let aws = Aws::new().await;
    let budget = aws.app.config.destination_budget.limit as usize;
    let handles = (0..200).map(|_| {
        let app = Arc::clone(&aws.app);
        let to = aws.phone.clone();
        tokio::spawn(async move {
            call(
                &app,
                Req::post("/verify/v1/otp/send-otp", json!({ "recipient": to })),
            )
            .await
            .status
        })
    });
    let statuses = join_all(handles).await;
    let ok = statuses.iter().filter(|s| **s == 200).count();
    let limited = statuses.iter().filter(|s| **s == 429).count();
    let delivered = aws.delivered_to(&aws.phone).await.len();
    println!("burst: 200 sends to one number, {ok} accepted, {limited} refused 429, {delivered} SMS in SNS (budget {budget})");
    assert_eq!((ok, limited, delivered), (budget, 200 - budget, budget));
}

/// `count` numbers of one premium-rate block (`+1 900 …`), unique to this run.
fn premium_block(first_digit: u64, count: usize) -> Vec<String> {
    let block = unique() % 100;
    let numbers: Vec<String> = (0..count)
        .map(|i| format!("+1900{first_digit}{block:02}{i:04}"))
        .collect();
    numbers.iter().for_each(|n| otp_tests::audit::secret(n));
    numbers
}

/// Sends to each number from 16 concurrent callers; the statuses.
async fn pump(aws: &Aws, numbers: &[String]) -> Vec<u16> {
    let numbers = Arc::new(numbers.to_vec());
    let handles = (0..16).map(|t| {
        let app = Arc::clone(&aws.app);
        let numbers = Arc::clone(&numbers);
        tokio::spawn(async move {
            let mut out = Vec::new();
            for n in numbers.iter().skip(t).step_by(16) {
                let req = Req::post("/verify/v1/otp/send-otp", json!({ "recipient": n }));
                out.push(call(&app, req).await.status);
            }
            out
        })
    });
    join_all(handles).await.into_iter().flatten().collect()
}

async fn delivered_among(aws: &Aws, numbers: &[String]) -> usize {
    aws.sms_numbers()
        .await
        .iter()
        .filter(|n| numbers.contains(n))
        .count()
}

#[tokio::test]
async fn a_pumping_run_across_one_prefix_is_cut_at_the_prefix_limit_and_record_mode_only_logs_it() {
    let numbers = premium_block(2, 500);
    assert!(
        otp_core::domain::E164::parse(&numbers[0]).is_some(),
        "a valid premium number"
    );
    let aws = Aws::new().await;
    let limit = aws.app.config.fraud.prefix.limit as usize;
    let statuses = pump(&aws, &numbers).await;
    let refused = statuses.iter().filter(|s| **s == 429).count();
    let delivered = delivered_among(&aws, &numbers).await;
    println!("pumping, enforce: 500 sends to +{}…, {delivered} SMS in SNS (prefix limit {limit}), {refused} refused 429", &numbers[0][1..7]);
    assert_eq!((delivered, refused), (limit, 500 - limit));

    let (logs, _guard) = capture_logs();
    let numbers = premium_block(3, 500);
    let aws = Aws::with(|c| c.fraud.mode = FraudMode::Record).await;
    let statuses = pump(&aws, &numbers).await;
    let delivered = delivered_among(&aws, &numbers).await;
    let logs = logs.text();
    let flagged = logs
        .lines()
        .filter(|l| l.contains("fraud rule refused") && l.contains("rule=\"prefix\""))
        .filter(|l| l.contains("mode=\"record\"") && l.contains("country=\"US\""))
        .count();
    println!(
        "pumping, record: 500 sends, {delivered} SMS in SNS, {flagged} would-be refusals logged"
    );
    let failed: Vec<&u16> = statuses.iter().filter(|s| **s != 200).collect();
    assert!(
        failed.is_empty(),
        "record mode refused nothing, yet: {failed:?}"
    );
    assert_eq!((delivered, flagged), (500, 500 - limit));
    // Masks show 4 leading characters: 8 of them in a log line would be a number leaking.
    assert!(!logs.contains(&numbers[0][..8]), "a number logged in full");
}

#[tokio::test]
async fn a_blocked_or_unlisted_country_never_reaches_sns_in_any_family() {
    for rules in ["blocked", "allowed"] {
        let aws = Aws::with(|c| match rules {
            "blocked" => c.fraud.countries.blocked = parse_countries("GB").unwrap(),
            _ => c.fraud.countries.allowed = Some(parse_countries("US,MX").unwrap()),
        })
        .await;
        for (family, req) in sms_sends(&aws.phone, 1) {
            let res = call(&aws.app, req).await;
            assert_eq!(res.status, 403, "{rules} {family}: {}", res.json);
            assert!(
                error_code(&res).to_lowercase().contains("country")
                    || error_code(&res) == "destinationNotAllowed"
            );
        }
        assert!(
            aws.delivered_to(&aws.phone).await.is_empty(),
            "{rules}: SMS reached SNS"
        );
        assert!(
            aws.scan().await.is_empty(),
            "{rules}: something was written"
        );
    }
}

#[tokio::test]
async fn the_table_stream_gives_a_verified_send_back_off_the_request_path() {
    let aws = Aws::with(|c| c.fraud.prefix.limit = 2).await;
    let numbers = premium_block(4, 3);
    let (_, id) = send(&aws, &numbers[0]).await;
    let code = aws.last_code(&numbers[0]).await;
    assert_eq!(send(&aws, &numbers[1]).await.0, 200);
    assert_eq!(send(&aws, &numbers[2]).await.0, 429, "the prefix is full");
    let ok = call(
        &aws.app,
        Req::post(
            "/verify/v1/otp/verify-otp",
            json!({ "otp_id": id, "otp_code": code }),
        ),
    )
    .await;
    assert_eq!(ok.json["status"], "APPROVED");
    assert_eq!(
        send(&aws, &numbers[2]).await.0,
        429,
        "the verify itself gave nothing back"
    );

    let event = aws.stream_event().await;
    let records = event["Records"].as_array().map_or(0, Vec::len);
    let bus = aws.event_bus().await;
    let out = otp_aws::stream::handle_payload(&aws.app, &bus, &event)
        .await
        .unwrap();
    println!("stream: {records} records, result {out}");
    assert_eq!(out, json!({ "batchItemFailures": [] }));
    assert_eq!(
        send(&aws, &numbers[2]).await.0,
        200,
        "the verified send was given back"
    );
    assert_eq!(aws.delivered_to(&numbers[2]).await.len(), 1);

    // With the store down, the batch stops at the verified record and reports it for retry.
    let verified = event["Records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["dynamodb"]["NewImage"]["state"]["S"] == "verified")
        .unwrap();
    let failed = otp_aws::stream::handle_payload(&dead_store_app().await, &bus, &event)
        .await
        .unwrap();
    assert_eq!(
        failed,
        json!({ "batchItemFailures": [{ "itemIdentifier": verified["dynamodb"]["SequenceNumber"] }] })
    );
}

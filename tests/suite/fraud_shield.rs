//! The fraud shield over the memory adapters: country rules in every family, pumping
//! velocity with its give-back, the safe list, the deployment ceiling, guesses across
//! sessions, and `record` mode. (The same attacks against moto: `emulator_fraud`.)

use otp_core::config::fraud::parse_countries;
use otp_core::config::{CountryRules, FraudMode};
use otp_tests::{capture_logs, error_code, sms_sends, Harness, Req, OTHER_TOKEN};
use serde_json::json;

const US: &str = "+12025550101"; // contact 1's phone

fn only(countries: &str) -> CountryRules {
    CountryRules {
        allowed: Some(parse_countries(countries).unwrap()),
        blocked: Default::default(),
    }
}

#[tokio::test]
async fn a_destination_outside_the_allowed_list_is_refused_in_every_family_and_nothing_is_written()
{
    let mut h = Harness::new();
    h.app.config.fraud.countries = only("FR");
    let expected = [
        ("contacts", 403, "DestinationCountryNotAllowed"),
        ("verify-api", 403, "COUNTRY_NOT_ALLOWED"),
        ("telemarketing", 403, "destinationNotAllowed"),
        ("rao", 403, "destinationNotAllowed"),
    ];
    for ((family, req), (_, status, code)) in sms_sends(US, 1).into_iter().zip(expected) {
        let res = h.call(req).await;
        assert_eq!(
            (res.status, error_code(&res)),
            (status, code),
            "{family}: {}",
            res.json
        );
    }
    assert!(h.outbox.messages().is_empty(), "nothing delivered");
    assert!(h.store.is_empty(), "nothing written");
    // Nothing was charged either: with the rule lifted, the destination's budget is whole.
    h.app.config.fraud.countries = CountryRules::default();
    h.app.config.destination_budget.limit = 4;
    for (family, req) in sms_sends(US, 1) {
        assert_eq!(h.call(req).await.status, 200, "{family}");
    }
}

#[tokio::test]
async fn a_blocked_country_is_refused_and_others_go_through() {
    let mut h = Harness::new();
    h.app.config.fraud.countries.blocked = parse_countries("US").unwrap();
    let refused = h
        .call(Req::post(
            "/verify/v1/otp/send-otp",
            json!({ "recipient": US }),
        ))
        .await;
    assert_eq!(
        (refused.status, error_code(&refused)),
        (403, "COUNTRY_NOT_ALLOWED")
    );
    let spain = h
        .call(Req::post(
            "/contacts/2/verification-keys",
            json!({ "channel": "Sms" }),
        ))
        .await;
    assert_eq!(spain.status, 200, "{}", spain.json);
    // Email is not SMS: the country rules do not apply to it.
    let email = h
        .call(Req::post(
            "/contacts/1/verification-keys",
            json!({ "channel": "Email" }),
        ))
        .await;
    assert_eq!(email.status, 200);
    assert_eq!(h.outbox.messages().len(), 2);
}

#[tokio::test]
async fn a_client_may_have_its_own_country_rules() {
    let mut h = Harness::new();
    h.app.config.fraud.countries = only("FR");
    h.app
        .config
        .fraud
        .client_countries
        .insert("acme".into(), only("US"));
    let send = || Req::post("/verify/v1/otp/send-otp", json!({ "recipient": US }));
    assert_eq!(h.call(send()).await.status, 200, "acme may send to the US");
    let beta = h
        .call(
            send()
                .without_auth()
                .header("Authorization", &format!("Bearer {OTHER_TOKEN}")),
        )
        .await;
    assert_eq!(
        (beta.status, error_code(&beta)),
        (403, "COUNTRY_NOT_ALLOWED")
    );
}

/// Sends to `count` numbers of the `+1 202 555 01xx` range; the statuses.
async fn pump(h: &Harness, from: u32, count: u32) -> Vec<u16> {
    let mut statuses = Vec::new();
    for i in from..from + count {
        let recipient = format!("+120255501{:02}", i);
        let res = h
            .call(Req::post(
                "/verify/v1/otp/send-otp",
                json!({ "recipient": recipient }),
            ))
            .await;
        if res.status == 429 {
            assert!(res.headers.contains_key("retry-after"), "{}", res.json);
        }
        statuses.push(res.status);
    }
    statuses
}

#[tokio::test]
async fn unverified_sends_to_one_prefix_are_capped_and_a_verification_gives_its_send_back() {
    let mut h = Harness::new();
    h.app.config.fraud.prefix.limit = 3;
    let first = h
        .call(Req::post(
            "/verify/v1/otp/send-otp",
            json!({ "recipient": "+12025550100" }),
        ))
        .await;
    let id = first.json["otp_id"].as_str().unwrap().to_string();
    let code = h.last_code();
    assert_eq!(pump(&h, 1, 4).await, [200, 200, 429, 429]);
    assert_eq!(h.outbox.messages().len(), 3);

    // The first number's owner verifies: the prefix gets that send back, once.
    let ok = h
        .call(Req::post(
            "/verify/v1/otp/verify-otp",
            json!({ "otp_id": id, "otp_code": code }),
        ))
        .await;
    assert_eq!(ok.json["status"], "APPROVED");
    assert_eq!(pump(&h, 5, 2).await, [200, 429]);
    // Another prefix of the same country is its own counter.
    let other = h
        .call(Req::post(
            "/verify/v1/otp/send-otp",
            json!({ "recipient": "+13125550100" }),
        ))
        .await;
    assert_eq!(other.status, 200, "{}", other.json);
}

#[tokio::test]
async fn a_safe_listed_prefix_is_not_counted() {
    let mut h = Harness::new();
    h.app.config.fraud.prefix.limit = 2;
    h.app.config.fraud.safe_list = vec!["+1202555".into()];
    assert_eq!(pump(&h, 0, 6).await, [200; 6]);
}

#[tokio::test]
async fn the_deployment_ceiling_refuses_sms_past_its_minute_and_reopens_after() {
    let mut h = Harness::new();
    h.app.config.fraud.sms_per_minute = 2;
    assert_eq!(pump(&h, 0, 3).await, [200, 200, 429]);
    let refused = h
        .call(Req::post(
            "/verify/v1/otp/send-otp",
            json!({ "recipient": "+12025550150" }),
        ))
        .await;
    assert_eq!(
        refused.json["detail"]["message"],
        "The service's SMS rate limit is reached; retry later"
    );
    let retry: i64 = refused.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    h.clock.advance(retry);
    assert_eq!(pump(&h, 10, 1).await, [200]);
}

#[tokio::test]
async fn record_mode_refuses_nothing_and_logs_each_rule_it_would_apply() {
    let (logs, _guard) = capture_logs();
    let mut h = Harness::new();
    h.app.config.fraud.mode = FraudMode::Record;
    h.app.config.fraud.countries = only("FR");
    h.app.config.fraud.prefix.limit = 2;
    assert_eq!(pump(&h, 0, 4).await, [200; 4]);
    assert_eq!(h.outbox.messages().len(), 4);
    let logs = logs.text();
    let flagged = |rule: &str| {
        logs.lines()
            .filter(|l| l.contains("fraud rule refused") && l.contains("mode=\"record\""))
            .filter(|l| l.contains(&format!("rule=\"{rule}\"")))
            .count()
    };
    assert_eq!(
        (flagged("country-not-allowed"), flagged("prefix")),
        (4, 2),
        "{logs}"
    );
    assert!(
        logs.contains("to=+120******00") && logs.contains("country=\"US\""),
        "{logs}"
    );
    assert!(
        !logs.contains("+12025550100"),
        "full number logged:\n{logs}"
    );
}

#[tokio::test]
async fn wrong_codes_across_sessions_share_one_budget_per_destination() {
    let mut h = Harness::new();
    h.app.config.fraud.guesses = 7;
    let send = || {
        Req::post(
            "/verify/v1/otp/send-otp",
            json!({ "recipient": US, "retry_delay": 0 }),
        )
    };
    let verify = |id: &str, code: &str| {
        Req::post(
            "/verify/v1/otp/verify-otp",
            json!({ "otp_id": id, "otp_code": code }),
        )
    };
    // Session A: its own five attempts.
    let a = h.call(send()).await.json["otp_id"]
        .as_str()
        .unwrap()
        .to_string();
    let wrong = otp_tests::wrong_code(&h.last_code());
    for _ in 0..5 {
        h.call(verify(&a, &wrong)).await;
    }
    // Session B, same destination: two more guesses are all the destination has left.
    let b = h.call(send()).await.json["otp_id"]
        .as_str()
        .unwrap()
        .to_string();
    let right = h.last_code();
    let wrong = otp_tests::wrong_code(&right);
    assert_eq!(h.call(verify(&b, &wrong)).await.status, 400);
    assert_eq!(h.call(verify(&b, &wrong)).await.status, 400);
    let report = h.call(Req::get(format!("/verify/v1/report/{b}"))).await;
    assert_eq!(report.json["attempts"], 2);
    let locked = h.call(verify(&b, &wrong)).await;
    assert_eq!(
        locked.json["detail"]["message"],
        "Maximum verification attempts reached"
    );
    let report = h.call(Req::get(format!("/verify/v1/report/{b}"))).await;
    assert_eq!(report.json["status"], "FAILED", "session B locked");
    let late = h.call(verify(&b, &right)).await;
    assert_eq!(
        late.status, 400,
        "the right code no longer works: {}",
        late.json
    );
    // And no new session can be opened for that destination this window.
    let again = h.call(send()).await;
    assert_eq!(
        (again.status, error_code(&again)),
        (429, "TOO_MANY_REQUESTS")
    );
    // Another destination is untouched.
    let other = h
        .call(Req::post(
            "/verify/v1/otp/send-otp",
            json!({ "recipient": "+12025550199" }),
        ))
        .await;
    assert_eq!(other.status, 200);
}

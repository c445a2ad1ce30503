//! The repository's samples stay true: every `events/` file runs through its handler with the
//! expected outcome, and `template.yaml`, `functions/` and `events/` match the route table.

use otp_core::config::TestRecipients;
use otp_core::dialects::{contacts, verify_api};
use otp_core::domain::{CounterKey, Destination, Template, E164};
use otp_core::ports::{Counter, MessageLink};
use otp_core::service::message::Composed;
use otp_core::service::{Binding, NewSession};
use otp_core::ROUTES;
use otp_tests::{reply, repo_file as read, repo_root as root, Harness};
use serde_json::json;

/// The samples that tell a story, in order, under `events/samples.env`'s test recipients:
/// each file, the status it must answer and a text its answer must hold.
const STORY: &[(&str, u16, &str)] = &[
    ("send-otp.json", 200, "86b24910-2d1e-4257-b6d4-e6b829e50e84"),
    (
        "resend-otp.json",
        200,
        "86b24910-2d1e-4257-b6d4-e6b829e50e84",
    ),
    ("verify-otp.json", 200, "APPROVED"),
    ("otp-report.json", 200, "\"status\":\"APPROVED\""),
    ("telemarketing-generate.json", 200, "\"482\""),
    ("telemarketing-validate.json", 200, "{}"),
    ("rao-generate.json", 200, "{}"),
    ("rao-validate.json", 200, "{}"),
    ("rao-certified-phone.json", 200, "5512345678"),
];

/// Status each other sample event must produce against `seeded()`.
fn expected(file: &str) -> &'static [u16] {
    match file {
        "send-verification-key.json" | "send-pending-verification-key.json" => &[200],
        "send-verification-key.missing-auth.json" => &[401],
        "send-verification-key.unknown-channel.json" => &[400],
        "send-otp.invalid-recipient.json" => &[422],
        "check-verification-key.json" | "verify-verification-key.json" => &[200],
        "telemarketing-generate.access-not-configured.json" => &[403],
        "telemarketing-generate.missing-uuid.json" => &[400],
        "rao-generate.tampered.json" => &[400],
        // Signed under the Standard Webhooks example key, long ago: a replay, refused.
        "sms-receipts.json" => &[401],
        other => panic!("events/{other} has no expected outcome here: add one"),
    }
}

/// A harness with the samples' test recipients and the contact session the contact samples
/// name (contacts show a real delivery in the README's walkthrough, so are no test recipient).
async fn seeded() -> Harness {
    let mut h = Harness::new();
    let env = read("events/samples.env");
    let spec = env
        .lines()
        .find_map(|l| l.strip_prefix("OTP_TEST_RECIPIENTS="))
        .expect("events/samples.env sets OTP_TEST_RECIPIENTS");
    h.app.config.test_recipients = TestRecipients::parse(spec.trim_matches('\'')).unwrap();
    h.app
        .send(NewSession {
            client: "acme".into(),
            key: contacts::session_key("acme", 1, "sample-session"),
            destination: Destination::Phone(E164::parse("+12025550101").unwrap()),
            policy: h.app.config.policy,
            language: "en".into(),
            message: Composed {
                template: Template::sms("{code}".into()),
                sender_id: None,
            },
            family: Default::default(),
            binding: Binding::None,
        })
        .await
        .unwrap();
    h
}

async fn run(h: &Harness, file: &str) -> otp_tests::Reply {
    let function = file.split('.').next().unwrap();
    let route = ROUTES
        .iter()
        .find(|r| r.function == function)
        .unwrap_or_else(|| panic!("events/{file}: no function {function}"));
    let req = lambda_http::request::from_str(&read(&format!("events/{file}")))
        .unwrap_or_else(|e| panic!("events/{file}: {e}"));
    reply(route.call(&h.app, req).await)
}

/// Each sample tells a true story, twice over: a replay opens the verified test sessions
/// afresh. What the samples answer is also what the README's walkthrough shows.
#[tokio::test]
async fn the_samples_tell_a_true_story_and_can_be_replayed() {
    let h = seeded().await;
    for round in 1..=2 {
        for (file, status, holds) in STORY {
            if *file == "resend-otp.json" {
                h.clock.advance(60); // past the resend cooldown
            }
            let res = run(&h, file).await;
            let answer = format!("{} {:?}", res.json, res.headers.get("sid"));
            assert!(
                res.status == *status && answer.contains(holds),
                "round {round}, events/{file}: {} {answer}",
                res.status
            );
        }
    }
    // Sends and resends of both rounds, each kept by the outbox as a test recipient's.
    let kept = h.outbox.messages();
    let kept: Vec<_> = kept
        .iter()
        .filter(|m| m.to.as_str() != "+12025550101")
        .collect();
    assert_eq!(kept.len(), 8, "{kept:?}");
    assert!(
        kept.iter()
            .all(|m| m.about.as_ref().is_some_and(|a| a.test)),
        "the samples' recipients are sent nothing"
    );
}

#[tokio::test]
async fn every_sample_event_runs_through_its_handler() {
    let h = seeded().await;
    let mut files: Vec<_> = std::fs::read_dir(root().join("events"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|f| f.ends_with(".json"))
        .collect();
    files.sort();
    // The stream consumer's sample is no HTTP event (see the test below).
    files.retain(|f| !f.starts_with("session-events"));
    assert!(files.len() >= ROUTES.len());
    for (file, ..) in STORY {
        assert!(files.iter().any(|f| f == file), "events/{file} is missing");
    }
    for file in files.iter().filter(|f| !STORY.iter().any(|s| s.0 == *f)) {
        let res = run(&h, file).await;
        assert!(
            expected(file).contains(&res.status),
            "events/{file}: {} {}",
            res.status,
            res.json
        );
    }
}

#[tokio::test]
async fn the_stream_sample_gives_its_verified_send_back() {
    let h = otp_tests::Harness::new();
    let counter = |key: &str| Counter {
        key: CounterKey::from_stored(key).unwrap(),
        limit: 1,
        relative: false,
        guess_limit: None,
        purge_at: i64::MAX,
    };
    let event: serde_json::Value =
        serde_json::from_str(&read("events/session-events.json")).unwrap();
    for key in ["rl#p#+120255#498611", "rl#k#US#498611"] {
        assert!(h.app.counters.take(&counter(key)).await.unwrap());
        assert!(
            !h.app.counters.take(&counter(key)).await.unwrap(),
            "{key} full"
        );
    }
    let published = otp_tests::Recorded::default();
    let out = otp_aws::stream::handle_payload(&h.app, &published, &event)
        .await
        .unwrap();
    assert_eq!(out, serde_json::json!({ "batchItemFailures": [] }));
    for key in ["rl#p#+120255#498611", "rl#k#US#498611"] {
        assert!(
            h.app.counters.take(&counter(key)).await.unwrap(),
            "{key} given back"
        );
    }
    // Whole images, as a NEW_AND_OLD_IMAGES stream sends them: the session turned verified.
    let events = published.0.lock().unwrap();
    let kinds: Vec<_> = events.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [otp_aws::stream::Kind::Verified]);
    assert_eq!(events[0].detail["country"], "US");
}

/// The SNS delivery status samples (the documented lines, as a log subscription delivers
/// them) record on the sessions whose sends published those message ids.
#[tokio::test]
async fn the_sms_receipt_samples_reach_their_sessions() {
    let h = otp_tests::Harness::new();
    let mut sessions = Vec::new();
    for (message, to) in [
        ("sns:34d9b400-c6dd-5444-820d-fbeb0f1f54cf", "+12025550100"),
        ("sns:1077257a-92f3-5ca3-bc97-6a915b310625", "+12025550101"),
        ("sns:5f1d6a0e-2b8c-5d3e-9a47-c1e0b2f3a4d5", "+12025550102"),
    ] {
        let req = otp_tests::Req::post("/verify/v1/otp/send-otp", json!({ "recipient": to }));
        let id = h.call(req).await.json["otp_id"]
            .as_str()
            .unwrap()
            .to_string();
        let link = MessageLink {
            message_id: message.into(),
            session: verify_api::session_key("acme", &id),
            send: 1,
            purge_at: i64::MAX,
        };
        h.app.sessions.link_message(&link).await.unwrap();
        sessions.push(id);
    }
    for file in ["sms-delivered", "sms-failed"] {
        let payload = serde_json::from_str(&read(&format!("events/session-events.{file}.json")));
        let logs = otp_aws::blocked::subscription(&payload.unwrap()).unwrap();
        assert!(otp_aws::receipts::is_sms_delivery_log(&logs), "{file}");
        otp_aws::receipts::handle(&h.app, &logs).await.unwrap();
    }
    let mut seen = Vec::new();
    for id in sessions {
        let r = h
            .call(otp_tests::Req::get(format!("/verify/v1/report/{id}")))
            .await
            .json;
        seen.push((r["delivery"].clone(), r["delivery_reason"].clone()));
    }
    assert_eq!(
        seen,
        [
            (
                json!("delivered"),
                json!("Message has been accepted by phone carrier")
            ),
            (
                json!("failed"),
                json!("Phone is currently unreachable/unavailable")
            ),
            (json!("failed"), json!("Invalid phone number")),
        ]
    );
}

/// The SES event samples (EventBridge envelopes of the documented records) record on the
/// contacts' sessions, and the bounce and the complaint suppress their addresses.
#[tokio::test]
async fn the_email_event_samples_reach_their_sessions_and_suppress() {
    let h = otp_tests::Harness::new();
    // Contact 1's email, contact 3's pending email, contact 3's email.
    let samples = [
        ("email-delivered", 1, "", "delivered"),
        (
            "email-bounced",
            3,
            "/pending-communication-channel",
            "failed",
        ),
        ("email-complaint", 3, "", "complained"),
    ];
    let send = |contact: i32, pending: &str, session: &str| {
        otp_tests::Req::post(
            format!("/contacts/{contact}/verification-keys{pending}"),
            json!({ "channel": "Email", "sessionId": session }),
        )
    };
    for (n, (file, contact, pending, outcome)) in samples.into_iter().enumerate() {
        let session = format!("s{n}");
        let sent = h.call(send(contact, pending, &session)).await;
        assert_eq!(sent.status, 200, "{file}: {}", sent.json);
        let payload: serde_json::Value =
            serde_json::from_str(&read(&format!("events/session-events.{file}.json"))).unwrap();
        assert!(otp_aws::email_events::is_ses_event(&payload));
        let id = payload["detail"]["mail"]["messageId"].as_str().unwrap();
        let key = contacts::session_key("acme", contact, &session);
        let link = MessageLink {
            message_id: format!("ses:{id}"),
            session: key.clone(),
            send: 1,
            purge_at: i64::MAX,
        };
        h.app.sessions.link_message(&link).await.unwrap();
        otp_aws::email_events::handle(&h.app, &payload)
            .await
            .unwrap();
        let session = h.app.sessions.get(&key).await.unwrap().unwrap();
        let recorded = session.delivery.map(|r| r.outcome.as_str());
        assert_eq!(recorded, Some(outcome), "{file}");
    }
    let mut again = Vec::new();
    for (contact, pending) in [(1, ""), (3, "/pending-communication-channel"), (3, "")] {
        again.push(h.call(send(contact, pending, "again")).await.status);
    }
    assert_eq!(
        again,
        [200, 403, 403],
        "the bounced and complaining addresses are suppressed"
    );
}

#[test]
fn every_route_has_a_function_package_and_a_sample_event() {
    for route in ROUTES {
        let manifest = read(&format!("functions/{}/Cargo.toml", route.function));
        assert!(
            manifest.contains(&format!("name = \"{}\"", route.function)),
            "{}",
            route.function
        );
        assert!(
            root()
                .join(format!("events/{}.json", route.function))
                .exists(),
            "events/{}.json",
            route.function
        );
    }
}

/// `send-otp` → `SEND_OTP`: the name of a route's row in `otp_core::routes`.
fn row_name(function: &str) -> String {
    function.to_ascii_uppercase().replace('-', "_")
}

#[test]
fn every_function_serves_its_row_and_links_only_the_adapters_it_needs() {
    let routes = read("shared/src/routes.rs");
    for route in ROUTES {
        let row = row_name(route.function);
        let declared = routes
            .split(&format!("pub const {row}: Route = Route {{"))
            .nth(1)
            .unwrap_or_else(|| panic!("shared/src/routes.rs has no row {row}"));
        assert!(
            declared
                .split("};")
                .next()
                .unwrap()
                .contains(&format!("function: \"{}\"", route.function)),
            "row {row} must be the route of function {}",
            route.function
        );
        // Compile-time: the wiring exists for these ports (a const panic otherwise).
        let _ = otp_aws::Wiring::of(route.ports);
        let main = read(&format!("functions/{}/src/main.rs", route.function));
        let wiring = "const { otp_aws::Wiring::of(ROUTE.ports) }".to_string();
        for needed in [format!("otp_core::routes::{row} as ROUTE;"), wiring] {
            assert!(
                main.contains(&needed),
                "functions/{}/src/main.rs must use {needed}",
                route.function
            );
        }
    }
}

#[test]
fn every_function_package_is_a_route() {
    for entry in std::fs::read_dir(root().join("functions")).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(
            ["local-api", "session-events"].contains(&name.as_str())
                || ROUTES.iter().any(|r| r.function == name),
            "functions/{name} has no row in the route table"
        );
    }
}

#[test]
fn the_sam_template_serves_exactly_the_route_table() {
    let template = read("template.yaml");
    let functions: Vec<&str> = template
        .split("Type: AWS::Serverless::Function")
        .skip(1)
        .collect();
    let (blocks, others): (Vec<&str>, Vec<&str>) =
        functions.iter().partition(|b| b.contains("Type: HttpApi"));
    assert_eq!(blocks.len(), ROUTES.len(), "one function per route");
    // Beside them, only the stream consumer, which may update sessions; it hashes nothing, so
    // it may not read the pepper (each route's grant is checked below).
    assert_eq!(others.len(), 1);
    assert!(others[0].contains("Binary: session-events\n"));
    assert!(others[0].contains("Stream: !GetAtt SessionsTable.StreamArn"));
    assert!(!others[0].contains("sns:") && !others[0].contains("PutItem"));
    assert!(!others[0].contains("PepperReadPolicy"));
    assert!(
        !template.contains("OTP_PEPPER:"),
        "the pepper is in no function's configuration"
    );
    for route in ROUTES {
        let block = blocks
            .iter()
            .find(|b| b.contains(&format!("Binary: {}\n", route.function)))
            .unwrap_or_else(|| {
                panic!(
                    "template.yaml has no function with Binary: {}",
                    route.function
                )
            });
        assert!(
            block.contains(&format!("Method: {}\n", route.method)),
            "{}",
            route.function
        );
        assert!(
            block.contains(&format!("Path: {}\n", route.path)),
            "{}",
            route.function
        );
        assert!(
            block.contains("BuildMethod: rust-cargolambda"),
            "{}",
            route.function
        );
        let needs = route.ports;
        assert_eq!(
            block.contains("sns:Publish"),
            needs.sms,
            "{}: SNS permission",
            route.function
        );
        assert_eq!(
            block.contains("ses:SendEmail"),
            needs.email,
            "{}: SES permission",
            route.function
        );
        assert_eq!(
            block.contains("- !Ref PepperReadPolicy"),
            needs.pepper,
            "{}: the pepper's secret",
            route.function
        );
        assert_eq!(
            block.contains("!Ref RaoPrivateKeySecretArn"),
            needs.decryptor,
            "{}: the RAO key secret",
            route.function
        );
        assert_eq!(
            block.contains("!Ref SmsWebhookSecretArn"),
            needs.sms || needs.webhook_key,
            "{}: the SMS webhook's secret",
            route.function
        );
        assert_eq!(
            block.contains("ContactsTable.Arn"),
            needs.contacts,
            "{}: contacts permission",
            route.function
        );
    }
    assert!(
        template.contains("AttributeName: purge_at"),
        "TTL on the attribute the store writes"
    );
    assert!(
        template.contains("Runtime: provided.al2023")
            && template.contains("Architectures: [arm64]")
    );
}

#[test]
fn cargo_lambda_watch_routes_match_the_route_table() {
    let manifest = read("Cargo.toml");
    for route in ROUTES {
        let line = format!(
            "\"{}\" = [{{ method = \"{}\", function = \"{}\" }}]",
            route.path, route.method, route.function
        );
        assert!(
            manifest.contains(&line),
            "Cargo.toml [workspace.metadata.lambda.watch.router] lacks {line}"
        );
    }
}

#[test]
fn the_alarms_watch_every_function_and_every_family_and_channel() {
    let template = read("template.yaml");
    let functions: Vec<&str> = template
        .lines()
        .filter_map(|l| l.strip_prefix("  ")?.strip_suffix("Function:"))
        .filter(|name| !name.is_empty() && !name.starts_with(" "))
        .collect();
    assert_eq!(functions.len(), ROUTES.len() + 1, "{functions:?}");
    for kind in ["Errors", "Throttles"] {
        for f in &functions {
            let watched = format!(
                "MetricName: {kind}, Dimensions: [{{ Name: FunctionName, Value: !Ref {f}Function }}]"
            );
            assert!(template.contains(&watched), "no {kind} alarm on {f}");
        }
    }
    // The business alarms sum every dimension set the service writes (family × channel).
    let mut sets = vec![("contacts", "email")];
    sets.extend(otp_core::domain::Family::ALL.map(|f| (f.name(), "sms")));
    for metric in ["CodesSent", "Verified", "DeliveryFailed", "FraudBlocked"] {
        for (family, channel) in &sets {
            let summed = format!("MetricName: {metric}, Dimensions: [{{ Name: family, Value: {family} }}, {{ Name: channel, Value: {channel} }}]");
            assert!(
                template.contains(&summed),
                "{metric} of {family} {channel} unwatched"
            );
        }
    }
    assert!(template.contains(&format!(
        "FilterPattern: '{}'",
        otp_aws::blocked::FILTER_PATTERN
    )));
    // The receipt alarms sum every SMS family's receipts (`service::metrics::receipt`).
    for metric in ["Delivered", "Undelivered"] {
        for family in otp_core::domain::Family::ALL.map(|f| f.name()) {
            let summed = format!("MetricName: {metric}, Dimensions: [{{ Name: family, Value: {family} }}, {{ Name: channel, Value: sms }}]");
            assert!(template.contains(&summed), "{metric} of {family} unwatched");
        }
    }
}

/// SMS delivery receipts as deployed: SNS logs with the stack's role to the groups whose
/// subscriptions feed `session-events`, which reads the link (`GetItem`) and records the receipt.
#[test]
fn the_template_feeds_sns_delivery_logs_to_session_events() {
    let template = read("template.yaml");
    let group = "sns/${AWS::Region}/${AWS::AccountId}/DirectPublishToPhoneNumber";
    for name in [group.to_string(), format!("{group}/Failure")] {
        let logs = otp_aws::blocked::subscription(&otp_tests::subscription_payload(&name, &[]));
        assert!(
            otp_aws::receipts::is_sms_delivery_log(&logs.unwrap()),
            "{name}"
        );
        assert!(
            template.contains(&format!("LogGroupName: !Sub \"{name}\"")),
            "{name}"
        );
        assert!(
            template.contains(&format!("!Sub \"{name}\"]")),
            "{name} subscribed"
        );
    }
    assert_eq!(
        template
            .matches("DestinationArn: !GetAtt SessionEventsFunction.Arn")
            .count(),
        2
    );
    assert!(template.contains("Principal: logs.amazonaws.com"));
    assert!(template.contains("Principal: { Service: sns.amazonaws.com }"));
    assert!(template.contains("\"DeliveryStatusSuccessSamplingRate\": props["));
    assert!(template.contains("Action: [dynamodb:GetItem, dynamodb:UpdateItem]"));
    // Email receipts: every email goes through the configuration set whose destination puts
    // the three events on the bus, and session-events' rule takes exactly those.
    assert!(template.contains("OTP_SES_CONFIGURATION_SET: !Ref EmailEventsConfigurationSet"));
    assert!(template.contains("MatchingEventTypes: [delivery, bounce, complaint]"));
    assert!(template.contains(
        "source: [aws.ses]\n              detail-type: [Email Delivered, Email Bounced, Email Complaint Received]"
    ));
    assert!(otp_aws::email_events::is_ses_event(
        &json!({ "source": "aws.ses" })
    ));
}

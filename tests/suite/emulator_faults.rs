//! AWS faults lose nothing: every use case, through a fault-injecting proxy in front of moto,
//! with each fault at each AWS call position, once (the SDK's retry absorbs it) and on every
//! attempt (the call fails for good). After each case: the answer is the expected one or the
//! family's 5xx, within the invocation's deadline; no session verifies with a code that was not
//! delivered; a retried send with its `Idempotency-Key` sends no second message; every counter
//! holds exactly the messages delivered. The matrix and its totals are printed.

use otp_aws::sdk::Budget;
use otp_core::domain::SessionKey;
use otp_core::ports::Clock;
use otp_core::service::Outcome;
use otp_tests::emulator::{endpoint, Aws};
use otp_tests::faults::{Fault, FaultProxy, Plan};
use otp_tests::{call_by, code_in, encrypt, error_code, wrong_code, Reply, Req};
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The production budget with shorter calls, so that a case with a fault held past its
/// timeouts costs about a second (moto answers in milliseconds, tens under load); the
/// deadline keeps about the same ratio to the budget as the template's 10 s `Timeout` to
/// `Budget::LAMBDA`.
const BUDGET: Budget = Budget {
    connect: Duration::from_millis(500),
    attempt: Duration::from_millis(800),
    operation: Duration::from_millis(1_800),
    max_attempts: 3,
    backoff: Duration::from_millis(5),
};
const DEADLINE: Duration = Duration::from_millis(5_000);
/// How long a `Delay` fault holds its request: past the attempt timeout.
const HELD: Duration = Duration::from_millis(1_000);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum UseCase {
    Send,
    Resend,
    VerifyRight,
    VerifyWrong,
    Check,
    Report,
    ContactSend,
    TmGenerate,
    TmValidate,
    RaoGenerate,
    RaoValidate,
    CertifiedPhone,
}

const ALL: [UseCase; 12] = [
    UseCase::Send,
    UseCase::Resend,
    UseCase::VerifyRight,
    UseCase::VerifyWrong,
    UseCase::Check,
    UseCase::Report,
    UseCase::ContactSend,
    UseCase::TmGenerate,
    UseCase::TmValidate,
    UseCase::RaoGenerate,
    UseCase::RaoValidate,
    UseCase::CertifiedPhone,
];

const TM_GENERATE: &str = "/v1/x-global/security/tele-marketing/otp/generate";
const RAO: &str = "/v1/x-global/security/rao";

/// What the setup left for the step: the open session's handle and its delivered code.
#[derive(Clone, Debug, Default)]
struct Opened {
    otp_id: String,
    sid: String,
    code: String,
}

impl UseCase {
    fn name(self) -> &'static str {
        match self {
            UseCase::Send => "send (Verify API)",
            UseCase::Resend => "resend (Verify API)",
            UseCase::VerifyRight => "verify, right code",
            UseCase::VerifyWrong => "verify, wrong code",
            UseCase::Check => "check (contacts)",
            UseCase::Report => "report",
            UseCase::ContactSend => "send (contacts)",
            UseCase::TmGenerate => "generate (telemarketing)",
            UseCase::TmValidate => "validate (telemarketing)",
            UseCase::RaoGenerate => "generate (RAO)",
            UseCase::RaoValidate => "validate (RAO)",
            UseCase::CertifiedPhone => "certified-phone",
        }
    }

    fn sends(self) -> bool {
        matches!(
            self,
            UseCase::Send
                | UseCase::Resend
                | UseCase::ContactSend
                | UseCase::TmGenerate
                | UseCase::RaoGenerate
        )
    }

    /// The subject a session of this family is bound to (`check` needs it).
    fn subject(self, aws: &Aws) -> Option<String> {
        match self {
            UseCase::TmGenerate | UseCase::TmValidate => Some("c-1".into()),
            UseCase::RaoGenerate | UseCase::RaoValidate | UseCase::CertifiedPhone => {
                Some(aws.phone.clone())
            }
            _ => None,
        }
    }
}

fn national(aws: &Aws) -> String {
    aws.phone.strip_prefix("+44").unwrap().to_string()
}

fn rao_generate(aws: &Aws) -> Req {
    let body =
        json!({ "phoneCountryCode": "+44", "encryptedPhoneNumber": encrypt(&national(aws)) });
    Req::contract(format!("{RAO}/otp/generate"), body).header("sid", "f-1")
}

fn tm_generate(aws: &Aws) -> Req {
    let body = json!({ "customerId": "c-1", "phoneNumber": aws.phone, "messagePrefix": "Code" });
    Req::contract(TM_GENERATE, body)
}

/// One fault case: its own tables behind its own proxy.
struct Case {
    aws: Aws,
    proxy: FaultProxy,
}

impl Case {
    async fn new() -> Case {
        let proxy = FaultProxy::start(&endpoint(), HELD).await;
        let aws = Aws::through(&proxy.url, BUDGET).await;
        Case { aws, proxy }
    }

    async fn call(&self, req: Req) -> Reply {
        self.call_within(req, DEADLINE).await
    }

    /// As a Lambda invocation with `time` left before its deadline.
    async fn call_within(&self, req: Req, time: Duration) -> Reply {
        let deadline = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            + time;
        call_by(&self.aws.app, req, deadline.as_millis() as u64).await
    }

    fn last_code(&self) -> String {
        code_in(
            self.proxy
                .delivered()
                .last()
                .expect("a message was delivered"),
        )
    }

    /// `req`'s answer if it is a 200 (a setup step).
    async fn ok(&self, req: Req) -> Option<Reply> {
        Some(self.call(req).await).filter(|r| r.status == 200)
    }

    /// Opens what `use_case` acts on, unfaulted; `None` when a setup step failed (the emulator
    /// too slow for the test budget under load: the case is run again).
    async fn setup(&self, use_case: UseCase) -> Option<Opened> {
        let aws = &self.aws;
        let mut opened = Opened::default();
        match use_case {
            UseCase::Send | UseCase::ContactSend | UseCase::TmGenerate | UseCase::RaoGenerate => {}
            UseCase::Resend | UseCase::VerifyRight | UseCase::VerifyWrong | UseCase::Report => {
                let body = json!({ "recipient": aws.phone });
                let res = self.ok(Req::post("/verify/v1/otp/send-otp", body)).await?;
                opened.otp_id = res.json["otp_id"].as_str()?.to_string();
                opened.code = self.last_code();
                // Past the Verify API's resend delay.
                aws.clock.advance(61);
            }
            UseCase::Check => {
                let body = json!({ "channel": "Sms", "sessionId": "f-1" });
                self.ok(Req::post("/contacts/1/verification-keys", body))
                    .await?;
                opened.code = self.last_code();
            }
            UseCase::TmValidate => {
                let res = self.ok(tm_generate(aws)).await?;
                opened.sid = res.headers.get("sid")?.to_str().ok()?.to_string();
                let head = res.json["oneTimePasswordToken"].as_str()?;
                opened.code = format!("{head}{}", self.last_code());
            }
            UseCase::RaoValidate | UseCase::CertifiedPhone => {
                self.ok(rao_generate(aws)).await?;
                opened.code = self.last_code();
                if use_case == UseCase::CertifiedPhone {
                    self.ok(rao_validate(aws, &opened.code)).await?;
                }
            }
        }
        Some(opened)
    }

    /// The request the fault is injected into.
    fn step(&self, use_case: UseCase, opened: &Opened) -> Req {
        let aws = &self.aws;
        let key = |req: Req| req.header("Idempotency-Key", "fault-case");
        match use_case {
            UseCase::Send => key(Req::post(
                "/verify/v1/otp/send-otp",
                json!({ "recipient": aws.phone }),
            )),
            UseCase::Resend => key(Req::post(
                "/verify/v1/otp/resend-otp",
                json!({ "otp_id": opened.otp_id }),
            )),
            UseCase::VerifyRight | UseCase::VerifyWrong => {
                let code = match use_case {
                    UseCase::VerifyRight => opened.code.clone(),
                    _ => wrong_code(&opened.code),
                };
                Req::post(
                    "/verify/v1/otp/verify-otp",
                    json!({ "otp_id": opened.otp_id, "otp_code": code }),
                )
            }
            UseCase::Check => {
                Req::get(format!("/contacts/1/verification-keys/f-1/{}", opened.code))
            }
            UseCase::Report => Req::get(format!("/verify/v1/report/{}", opened.otp_id)),
            UseCase::ContactSend => key(Req::post(
                "/contacts/1/verification-keys",
                json!({ "channel": "Sms", "sessionId": "f-1" }),
            )),
            UseCase::TmGenerate => key(tm_generate(aws)),
            UseCase::TmValidate => {
                let body = json!({ "customerId": "c-1", "oneTimePasswordToken": opened.code });
                Req::contract("/v1/x-global/security/tele-marketing/otp/validate", body)
                    .header("sid", &opened.sid)
            }
            UseCase::RaoGenerate => key(rao_generate(aws)),
            UseCase::RaoValidate => rao_validate(aws, &opened.code),
            UseCase::CertifiedPhone => {
                Req::contract_get(format!("{RAO}/certified-phone")).header("sid", "f-1")
            }
        }
    }
}

fn rao_validate(aws: &Aws, code: &str) -> Req {
    let body = json!({
        "encryptedOneTimePasswordToken": encrypt(code),
        "phone": { "phoneCountryCode": "+44", "encryptedPhoneNumber": encrypt(&national(aws)) },
    });
    Req::contract(format!("{RAO}/otp/validate"), body).header("sid", "f-1")
}

/// What one case showed; `broken` lists every invariant it broke.
struct Seen {
    use_case: UseCase,
    plan: Plan,
    status: u16,
    broken: Vec<String>,
    /// A call the plan did not fault timed out on its own and was retried: run again.
    disturbed: bool,
    lost: bool,
    duplicate: bool,
    wrong_charge: bool,
}

/// Runs one case: setup, the faulted step, then every check.
async fn run(use_case: UseCase, plan: Plan, expected: u16) -> Seen {
    let case = Case::new().await;
    let mut out = Seen {
        use_case,
        plan,
        status: 0,
        broken: Vec::new(),
        disturbed: false,
        lost: false,
        duplicate: false,
        wrong_charge: false,
    };
    let Some(opened) = case.setup(use_case).await else {
        out.disturbed = true;
        out.broken.push("the setup failed".into());
        return out;
    };
    let before = case.proxy.delivered().len();
    let req = case.step(use_case, &opened);
    case.proxy.arm(Some(plan));
    let started = Instant::now();
    let res = case.call(req.clone()).await;
    let elapsed = started.elapsed();
    let faulted = case.proxy.faulted() > 0;
    let mut disturbed = case.proxy.disturbed();
    let operation = case
        .proxy
        .operations()
        .get(plan.position - 1)
        .cloned()
        .unwrap_or_default();
    case.proxy.arm(None);
    out.status = res.status;
    if !faulted {
        out.broken.push("the fault was never injected".into());
    }
    // A call that fails for good ends in the family's 5xx; one that fails once is retried and
    // the answer is as without the fault, except for delivery, which is never retried on a
    // lost answer (it may have gone out: a retry could send it twice) and answers the family's
    // delivery error (telemarketing's is a 400 `smsDeliveryFailed`, as its contract says).
    let family_5xx = res.status >= 500 && !error_code(&res).is_empty();
    let delivery = operation == "Publish" || operation == "SendEmail";
    let delivery_error = delivery && (family_5xx || error_code(&res) == "smsDeliveryFailed");
    if res.status != expected && !(plan.persistent && family_5xx) && !delivery_error {
        out.broken
            .push(format!("answered {} {}", res.status, res.json));
    }
    if elapsed > DEADLINE {
        out.broken.push(format!("took {elapsed:?}"));
    }
    let delivered = case.proxy.delivered().len() - before;
    let want = usize::from(use_case.sends() && res.status == 200);
    if delivered != want {
        out.duplicate = delivered > want;
        out.broken
            .push(format!("{delivered} messages delivered, {want} expected"));
    }
    // The code a caller now holds: a successful send's, else the setup's.
    let code = match (use_case, res.status) {
        (UseCase::TmGenerate, 200) => {
            format!(
                "{}{}",
                res.json["oneTimePasswordToken"].as_str().unwrap_or(""),
                case.last_code()
            )
        }
        (u, 200) if u.sends() => case.last_code(),
        _ => opened.code.clone(),
    };
    // No session verifies with a code that was not delivered: an open one takes `code`.
    for key in sessions(&case.aws).await {
        let subject = use_case.subject(&case.aws);
        let key = SessionKey::from_stored(key);
        let session = case.aws.app.status(&key).await.unwrap();
        if session.status(case.aws.clock.now()) != otp_core::domain::Status::Pending {
            continue;
        }
        let verdict = case.aws.app.check(&key, &code, subject.as_deref()).await;
        if !matches!(verdict, Ok(Outcome::Valid { .. })) {
            out.lost = true;
            out.broken.push(format!(
                "an open session does not take the delivered code: {verdict:?}"
            ));
        }
    }
    // A retry with the same key sends no second message.
    if use_case.sends() {
        let retry = case.call(req).await;
        disturbed |= case.proxy.disturbed();
        let total = case.proxy.delivered().len() - before;
        if total > 1 {
            out.duplicate = true;
            out.broken.push(format!(
                "{total} messages after the retry ({})",
                retry.status
            ));
        }
        if retry.status == 200 && total != 1 {
            out.broken
                .push("the retry succeeded without a message".into());
        }
    }
    // Every counter holds exactly the messages delivered.
    let messages = case.proxy.delivered().len() as u32;
    for (scope, sends) in counters(&case.aws).await {
        if sends != messages {
            out.wrong_charge = true;
            out.broken.push(format!(
                "counter {scope} holds {sends} sends for {messages} messages"
            ));
        }
    }
    out.disturbed = disturbed;
    out
}

/// Keys of the session items.
async fn sessions(aws: &Aws) -> Vec<String> {
    aws.scan()
        .await
        .into_iter()
        .filter_map(|item| item.get("pk")?.as_s().ok().cloned())
        .filter(|k| {
            !["rl#", "idem#", "dr#", "sup#"]
                .iter()
                .any(|p| k.starts_with(p))
        })
        .collect()
}

/// `sends` per counter scope (destination, client, prefix, country, deployment).
async fn counters(aws: &Aws) -> Vec<(String, u32)> {
    let mut out: Vec<(String, u32)> = Vec::new();
    for item in aws.scan().await {
        let Some(key) = item.get("pk").and_then(|v| v.as_s().ok()) else {
            continue;
        };
        let Some(rest) = key.strip_prefix("rl#") else {
            continue;
        };
        let scope = rest.split('#').next().unwrap_or_default().to_string();
        let sends: u32 = item
            .get("sends")
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        match out.iter_mut().find(|(s, _)| *s == scope) {
            Some((_, n)) => *n += sends,
            None => out.push((scope, sends)),
        }
    }
    out
}

/// Each use case's unfaulted answer and AWS calls.
async fn baseline(use_case: UseCase) -> (u16, Vec<String>) {
    let case = Case::new().await;
    let opened = case.setup(use_case).await.expect("the unfaulted setup");
    case.proxy.arm(None);
    let res = case.call(case.step(use_case, &opened)).await;
    (res.status, case.proxy.operations())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn aws_faults_lose_nothing_in_any_use_case_at_any_call() {
    let mut plans = Vec::new();
    let mut calls = Vec::new();
    for use_case in ALL {
        let (expected, operations) = baseline(use_case).await;
        let want = if use_case == UseCase::VerifyWrong {
            400
        } else {
            200
        };
        assert_eq!(expected, want, "{}: unfaulted", use_case.name());
        calls.push((use_case, operations.clone()));
        for position in 1..=operations.len() {
            for fault in Fault::UNTOUCHED {
                for persistent in [false, true] {
                    plans.push((
                        use_case,
                        Plan {
                            fault,
                            position,
                            persistent,
                        },
                        expected,
                    ));
                }
            }
        }
    }
    let limit = Arc::new(tokio::sync::Semaphore::new(3));
    let mut tasks = tokio::task::JoinSet::new();
    for (use_case, plan, expected) in plans {
        let limit = limit.clone();
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await.unwrap();
            let mut runs = 1;
            let mut seen = run(use_case, plan, expected).await;
            while seen.disturbed && runs < 4 {
                runs += 1;
                seen = run(use_case, plan, expected).await;
            }
            (seen, runs - 1)
        });
    }
    let mut outcomes = Vec::new();
    let mut reruns = 0;
    while let Some(done) = tasks.join_next().await {
        let (seen, again) = done.expect("case ran");
        reruns += again;
        outcomes.push(seen);
    }
    println!("{reruns} cases run again: a call they did not fault timed out on its own");
    print_matrix(&calls, &mut outcomes);
    let broken: Vec<String> = outcomes
        .iter()
        .flat_map(|o| {
            o.broken.iter().map(move |b| {
                let mode = if o.plan.persistent {
                    "every attempt"
                } else {
                    "once"
                };
                format!(
                    "{} / {} {mode} at call {}: {b}",
                    o.use_case.name(),
                    o.plan.fault.name(),
                    o.plan.position
                )
            })
        })
        .collect();
    assert!(
        broken.is_empty(),
        "{} broken:\n{}",
        broken.len(),
        broken.join("\n")
    );
}

fn print_matrix(calls: &[(UseCase, Vec<String>)], outcomes: &mut [Seen]) {
    outcomes.sort_by_key(|o| {
        (
            ALL.iter().position(|u| *u == o.use_case),
            o.plan.fault.name(),
            o.plan.persistent,
            o.plan.position,
        )
    });
    println!("fault matrix: the answer at each AWS call position (use case x fault x mode)");
    for (use_case, operations) in calls {
        println!("\n{}: {}", use_case.name(), operations.join(" > "));
        for fault in Fault::UNTOUCHED {
            for persistent in [false, true] {
                let row: Vec<String> = outcomes
                    .iter()
                    .filter(|o| {
                        o.use_case == *use_case
                            && o.plan.fault == fault
                            && o.plan.persistent == persistent
                    })
                    .map(|o| match o.broken.is_empty() {
                        true => o.status.to_string(),
                        false => format!("{}!", o.status),
                    })
                    .collect();
                let mode = if persistent { "every attempt" } else { "once" };
                println!("  {:<10} {:<13} {}", fault.name(), mode, row.join(" "));
            }
        }
    }
    let count = |f: fn(&Seen) -> bool| outcomes.iter().filter(|o| f(o)).count();
    println!(
        "\n{} fault cases, {} codes lost, {} duplicate SMS, {} wrong charges, {} past the deadline or otherwise broken",
        outcomes.len(),
        count(|o| o.lost),
        count(|o| o.duplicate),
        count(|o| o.wrong_charge),
        count(|o| !o.broken.is_empty()),
    );
}

/// The one ambiguous fault: SNS accepted the SMS and its answer was lost. The SMS went out
/// once (delivery is not retried on a lost answer), its code is dead, the send is refunded.
#[tokio::test]
async fn a_lost_publish_answer_sends_once_and_leaves_no_live_code() {
    let case = Case::new().await;
    case.proxy.arm(None);
    let req = Req::post(
        "/verify/v1/otp/send-otp",
        json!({ "recipient": case.aws.phone }),
    );
    assert_eq!(case.call(req.clone()).await.status, 200);
    let publish = case
        .proxy
        .operations()
        .iter()
        .position(|o| o == "Publish")
        .unwrap()
        + 1;
    case.aws.clock.advance(3600);
    case.proxy.arm(Some(Plan {
        fault: Fault::LostAnswer,
        position: publish,
        persistent: false,
    }));
    let res = case.call(req).await;
    assert!(res.status >= 500, "{} {}", res.status, res.json);
    let delivered = case.proxy.delivered();
    assert_eq!(
        delivered.len(),
        2,
        "the second SMS went out once, not retried"
    );
    let code = code_in(&delivered[1]);
    for key in sessions(&case.aws).await {
        let key = SessionKey::from_stored(key);
        let verdict = case.aws.app.check(&key, &code, None).await.unwrap();
        assert!(
            !matches!(verdict, Outcome::Valid { .. }),
            "the lost send's code is dead"
        );
    }
}

/// A handler still waiting on AWS when its invocation's deadline nears is abandoned: the
/// caller gets the family's 503 before Lambda would time the invocation out.
#[tokio::test]
async fn an_invocation_answers_before_its_deadline_whatever_aws_does() {
    let case = Case::new().await;
    let plan = Plan {
        fault: Fault::Delay,
        position: 2,
        persistent: true,
    };
    case.proxy.arm(Some(plan));
    let started = Instant::now();
    let req = Req::post(
        "/verify/v1/otp/send-otp",
        json!({ "recipient": case.aws.phone }),
    );
    let res = case.call_within(req, Duration::from_millis(2_000)).await;
    let elapsed = started.elapsed();
    assert_eq!(
        (res.status, error_code(&res)),
        (503, "SERVICE_UNAVAILABLE"),
        "{}",
        res.json
    );
    assert!(
        elapsed < Duration::from_millis(2_000),
        "answered after {elapsed:?}"
    );
    assert!(case.proxy.delivered().is_empty());
}

//! Model-based: random sequences of sends, resends, refusals, wrong and right codes across
//! the four families over the memory store. After every step each counter must equal what the
//! delivered messages and the counted guesses justify, so a refused or undelivered send can
//! never spend a budget (issue: "a refused request spends nothing").

use async_trait::async_trait;
use otp_core::adapters::outbox::Outbox;
use otp_core::config::TestRecipients;
use otp_core::domain::Channel;
use otp_core::ports::{DeliveryError, Message, Sender, Sent};
use otp_tests::{code_in, encrypt, wrong_code, Harness, Reply, Req};
use proptest::prelude::*;
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Numbers a step may send to: three of one Mexican prefix, a US and a Spanish one, a test
/// recipient, and one whose delivery always fails.
const PHONES: [&str; 7] = [
    "+525512345678",
    "+525512345679",
    "+525512340000",
    "+12025550123",
    "+34612345678",
    TEST_PHONE,
    FAILING_PHONE,
];
const TEST_PHONE: &str = "+525587650000";
const FAILING_PHONE: &str = "+525587654321";
const SIDS: [&str; 3] = ["s0", "s1", "s2"];

/// The outbox, except that delivery to `FAILING_PHONE` fails.
struct FailsOne(Arc<Outbox>);

#[async_trait]
impl Sender for FailsOne {
    async fn send(&self, message: &Message) -> Result<Sent, DeliveryError> {
        if message.to.as_str() == FAILING_PHONE {
            return Err(DeliveryError {
                channel: Channel::Sms,
                reason: "carrier refused".into(),
            });
        }
        self.0.send(message).await
    }
}

#[derive(Clone, Debug)]
enum Step {
    /// Contacts: a send (or, for a known session id, a resend) to contact 1-3.
    ContactSend {
        contact: u8,
        email: bool,
        sid: usize,
    },
    ContactVerify {
        contact: u8,
        sid: usize,
        right: bool,
    },
    /// Verify API: send-otp, resend-otp and verify-otp of the n-th otp_id opened.
    VerifySend {
        phone: usize,
    },
    VerifyResend {
        otp: usize,
    },
    VerifyCheck {
        otp: usize,
        right: bool,
    },
    /// Telemarketing: generate (with a known `sid`: a resend, maybe for another customer).
    TmGenerate {
        phone: usize,
        resend: Option<usize>,
        other_customer: bool,
    },
    TmValidate {
        sid: usize,
        right: bool,
    },
    /// RAO: generate for one of three `sid`s (a resend once open), validate.
    RaoGenerate {
        phone: usize,
        sid: usize,
    },
    RaoValidate {
        sid: usize,
        right: bool,
    },
    /// A send every family refuses as bad input.
    BadSend {
        family: u8,
    },
    Advance {
        secs: i64,
    },
}

impl Step {
    /// The number a send step names, if any.
    fn phone(&self) -> Option<usize> {
        match self {
            Step::VerifySend { phone }
            | Step::TmGenerate { phone, .. }
            | Step::RaoGenerate { phone, .. } => Some(*phone),
            _ => None,
        }
    }
}

fn step() -> impl Strategy<Value = Step> {
    let phone = 0..PHONES.len();
    prop_oneof![
        (1u8..=3, any::<bool>(), 0..SIDS.len()).prop_map(|(contact, email, sid)| {
            Step::ContactSend {
                contact,
                email,
                sid,
            }
        }),
        (1u8..=3, 0..SIDS.len(), any::<bool>()).prop_map(|(contact, sid, right)| {
            Step::ContactVerify {
                contact,
                sid,
                right,
            }
        }),
        phone.clone().prop_map(|phone| Step::VerifySend { phone }),
        (0usize..4).prop_map(|otp| Step::VerifyResend { otp }),
        (0usize..4, any::<bool>()).prop_map(|(otp, right)| Step::VerifyCheck { otp, right }),
        (phone.clone(), prop::option::of(0usize..3), any::<bool>()).prop_map(
            |(phone, resend, other_customer)| Step::TmGenerate {
                phone,
                resend,
                other_customer
            }
        ),
        (0usize..3, any::<bool>()).prop_map(|(sid, right)| Step::TmValidate { sid, right }),
        (phone, 0..SIDS.len()).prop_map(|(phone, sid)| Step::RaoGenerate { phone, sid }),
        (0..SIDS.len(), any::<bool>()).prop_map(|(sid, right)| Step::RaoValidate { sid, right }),
        (0u8..4).prop_map(|family| Step::BadSend { family }),
        (0i64..=45).prop_map(|secs| Step::Advance { secs }),
    ]
}

/// What the test knows of the sessions it opened: handles and their last delivered code.
#[derive(Default)]
struct Known {
    contacts: HashMap<(u8, usize), String>,
    otps: Vec<(String, Option<String>)>,
    /// Telemarketing: (sid, caller part + delivered part, customer).
    tm: Vec<(String, Option<String>)>,
    rao: HashMap<usize, (String, Option<String>)>,
}

fn harness() -> Harness {
    let outbox = Arc::new(Outbox::default());
    let mut h = Harness::with_sender(Arc::new(FailsOne(outbox.clone())));
    h.outbox = outbox;
    let c = &mut h.app.config;
    c.destination_budget.limit = 3;
    c.client_budget.limit = 25;
    c.fraud.prefix.limit = 4;
    c.fraud.prefix_digits = 5;
    c.fraud.country.limit = 6;
    c.fraud.sms_per_minute = 5;
    // High enough that no session is locked by the destination's guesses: every wrong code
    // a session counts is then a guess charged.
    c.fraud.guesses = 1_000;
    c.policy.max_sends = 3;
    c.test_recipients = TestRecipients::parse(&format!("{TEST_PHONE}=424242")).unwrap();
    h
}

fn national(phone: &str) -> (&'static str, &str) {
    let code = ["+52", "+1", "+34"]
        .into_iter()
        .find(|c| phone.starts_with(c))
        .unwrap();
    (code, &phone[code.len()..])
}

/// The delivered code of the last message, if the step delivered one.
fn delivered(h: &Harness, before: usize) -> Option<String> {
    let messages = h.outbox.messages();
    (messages.len() > before).then(|| code_in(&messages.last().unwrap().body))
}

fn code_for(right: bool, code: &Option<String>) -> String {
    let code = code.clone().unwrap_or_else(|| "12345678".into());
    if right {
        code
    } else {
        wrong_code(&code)
    }
}

const TM_GENERATE: &str = "/v1/x-global/security/tele-marketing/otp/generate";
const TM_VALIDATE: &str = "/v1/x-global/security/tele-marketing/otp/validate";
const RAO_GENERATE: &str = "/v1/x-global/security/rao/otp/generate";
const RAO_VALIDATE: &str = "/v1/x-global/security/rao/otp/validate";

fn rao_phone(phone: &str) -> serde_json::Value {
    let (code, national) = national(phone);
    json!({ "phoneCountryCode": code, "encryptedPhoneNumber": encrypt(national) })
}

/// Runs one step; returns its reply and whether it asked for a send.
async fn run(h: &Harness, known: &mut Known, step: &Step) -> Option<(Reply, bool)> {
    let before = h.outbox.messages().len();
    let (res, send) = match step {
        Step::ContactSend {
            contact,
            email,
            sid,
        } => {
            let channel = if *email { "Email" } else { "Sms" };
            let body = json!({ "channel": channel, "sessionId": SIDS[*sid] });
            let path = format!("/contacts/{contact}/verification-keys");
            let res = h.call(Req::post(path, body)).await;
            if let Some(code) = delivered(h, before) {
                known.contacts.insert((*contact, *sid), code);
            }
            (res, true)
        }
        Step::ContactVerify {
            contact,
            sid,
            right,
        } => {
            let code = code_for(*right, &known.contacts.get(&(*contact, *sid)).cloned());
            let path = format!(
                "/contacts/{contact}/verification-keys/{}/{code}/verify",
                SIDS[*sid]
            );
            (h.call(Req::post(path, json!({}))).await, false)
        }
        Step::VerifySend { phone } => {
            let body = json!({ "recipient": PHONES[*phone] });
            let res = h.call(Req::post("/verify/v1/otp/send-otp", body)).await;
            if let Some(id) = res.json["otp_id"].as_str() {
                let code = delivered(h, before)
                    .or_else(|| (PHONES[*phone] == TEST_PHONE).then(|| "424242".to_string()));
                known.otps.push((id.to_string(), code));
            }
            (res, true)
        }
        Step::VerifyResend { otp } => {
            let (id, _) = known.otps.get(*otp)?.clone();
            let body = json!({ "otp_id": id });
            let res = h.call(Req::post("/verify/v1/otp/resend-otp", body)).await;
            if let Some(code) = delivered(h, before) {
                known.otps[*otp].1 = Some(code);
            }
            (res, true)
        }
        Step::VerifyCheck { otp, right } => {
            let (id, code) = known.otps.get(*otp)?.clone();
            let body = json!({ "otp_id": id, "otp_code": code_for(*right, &code) });
            (
                h.call(Req::post("/verify/v1/otp/verify-otp", body)).await,
                false,
            )
        }
        Step::TmGenerate {
            phone,
            resend,
            other_customer,
        } => {
            let customer = if *other_customer { "c-2" } else { "c-1" };
            let body = json!({ "customerId": customer, "phoneNumber": PHONES[*phone], "messagePrefix": "Code" });
            let mut req = Req::contract(TM_GENERATE, body);
            let index = match resend {
                Some(i) => {
                    let (sid, _) = known.tm.get(*i)?;
                    req = req.header("sid", sid);
                    Some(*i)
                }
                None => None,
            };
            let res = h.call(req).await;
            let head = res.json["oneTimePasswordToken"].as_str();
            let code = head
                .zip(delivered(h, before))
                .map(|(h, t)| format!("{h}{t}"));
            match (index, res.headers.get("sid")) {
                (Some(i), _) if res.status == 200 => known.tm[i].1 = code,
                (None, Some(sid)) if res.status == 200 => {
                    known.tm.push((sid.to_str().unwrap().to_string(), code))
                }
                _ => {}
            }
            (res, true)
        }
        Step::TmValidate { sid, right } => {
            let (id, code) = known.tm.get(*sid)?.clone();
            let body =
                json!({ "customerId": "c-1", "oneTimePasswordToken": code_for(*right, &code) });
            (
                h.call(Req::contract(TM_VALIDATE, body).header("sid", &id))
                    .await,
                false,
            )
        }
        Step::RaoGenerate { phone, sid } => {
            let req =
                Req::contract(RAO_GENERATE, rao_phone(PHONES[*phone])).header("sid", SIDS[*sid]);
            let res = h.call(req).await;
            if res.status == 200 {
                let code = delivered(h, before);
                known.rao.insert(*sid, (PHONES[*phone].to_string(), code));
            }
            (res, true)
        }
        Step::RaoValidate { sid, right } => {
            let (phone, code) = known.rao.get(sid)?.clone();
            let mut body =
                json!({ "encryptedOneTimePasswordToken": encrypt(&code_for(*right, &code)) });
            body["phone"] = rao_phone(&phone);
            (
                h.call(Req::contract(RAO_VALIDATE, body).header("sid", SIDS[*sid]))
                    .await,
                false,
            )
        }
        Step::BadSend { family } => {
            let req = match family {
                0 => Req::post("/contacts/1/verification-keys", json!({ "channel": "Fax" })),
                1 => Req::post("/verify/v1/otp/send-otp", json!({ "recipient": "+5255" })),
                2 => Req::contract(TM_GENERATE, json!({ "customerId": "c-1", "phoneNumber": "12", "messagePrefix": "Code" })),
                _ => Req::contract(RAO_GENERATE, json!({ "phoneCountryCode": "+52", "encryptedPhoneNumber": "bm90LWVuY3J5cHRlZA==" })).header("sid", "s0"),
            };
            (h.call(req).await, true)
        }
        Step::Advance { secs } => {
            h.clock.advance(*secs);
            return None;
        }
    };
    Some((res, send))
}

/// A counter's id without its window (`rl#p#+52551#29916` → `p#+52551`).
fn counter_id(key: &str) -> &str {
    let rest = key.strip_prefix("rl#").unwrap_or(key);
    rest.rsplit_once('#').map_or(rest, |(id, _)| id)
}

type Expected = BTreeMap<String, u32>;

/// What the delivered messages justify per counter id (destinations by their number).
fn justified(messages: &[Message]) -> (Expected, Expected) {
    let mut budgets = Expected::new();
    let mut destinations = Expected::new();
    for m in messages {
        *destinations.entry(m.to.as_str().to_string()).or_default() += 1;
        *budgets.entry("c#acme".into()).or_default() += 1;
        if m.channel() == Channel::Sms {
            let digits = &m.to.as_str()[1..6];
            let country = match national(m.to.as_str()).0 {
                "+52" => "MX",
                "+1" => "US",
                _ => "ES",
            };
            for id in [
                format!("p#+{digits}"),
                format!("k#{country}"),
                "g#sms".into(),
            ] {
                *budgets.entry(id).or_default() += 1;
            }
        }
    }
    (budgets, destinations)
}

fn check(h: &Harness, guesses: &Expected) -> Result<(), TestCaseError> {
    let (budgets, destinations) = justified(&h.outbox.messages());
    let mut charged = Expected::new();
    let mut per_destination: BTreeMap<String, (u32, u32)> = BTreeMap::new();
    for (key, sends, verified, counted_guesses) in h.store.tallies() {
        let id = counter_id(&key);
        if id.starts_with("d#") {
            let e = per_destination.entry(id.to_string()).or_default();
            *e = (e.0 + sends, e.1 + counted_guesses);
        } else {
            // A verified send's give-back moves it from `sends` to `verified`.
            *charged.entry(id.to_string()).or_default() += sends + verified;
        }
    }
    charged.retain(|_, n| *n > 0);
    prop_assert_eq!(&charged, &budgets, "budget and velocity counters");
    let mut have: Vec<(u32, u32)> = per_destination
        .into_values()
        .filter(|p| *p != (0, 0))
        .collect();
    let mut want: Vec<(u32, u32)> = destinations
        .keys()
        .chain(guesses.keys())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .map(|d| {
            (
                destinations.get(d).copied().unwrap_or(0),
                guesses.get(d).copied().unwrap_or(0),
            )
        })
        .filter(|p| *p != (0, 0))
        .collect();
    have.sort();
    want.sort();
    prop_assert_eq!(have, want, "destination counters (sends, guesses)");
    Ok(())
}

/// Each session's attempts and destination, by key.
fn attempts(h: &Harness) -> HashMap<String, (u32, String)> {
    h.store
        .sessions()
        .into_iter()
        .map(|s| {
            (
                s.key.as_str().to_string(),
                (s.attempts, s.destination.as_str().to_string()),
            )
        })
        .collect()
}

async fn play(steps: Vec<Step>) -> Result<(), TestCaseError> {
    let h = harness();
    let mut known = Known::default();
    let mut guesses = Expected::new();
    for step in &steps {
        let before = h.outbox.messages().len();
        let sessions = attempts(&h);
        let Some((res, send)) = run(&h, &mut known, step).await else {
            continue;
        };
        // Only delivery to the failing number may end in the family's 5xx form.
        let failing = step.phone().is_some_and(|p| PHONES[p] == FAILING_PHONE);
        prop_assert!(
            res.status < 500 || failing,
            "{step:?}: {} {}",
            res.status,
            res.json
        );
        let after = h.outbox.messages().len();
        if res.status != 200 || !send {
            prop_assert_eq!(
                after,
                before,
                "{:?} delivered without success: {}",
                step,
                res.json
            );
        } else {
            prop_assert!(after <= before + 1, "{step:?} delivered more than once");
        }
        // A wrong code a session counted is one guess on its destination.
        for (key, (now, _)) in attempts(&h) {
            if let Some((was, to)) = sessions.get(&key) {
                if now > *was {
                    *guesses.entry(to.clone()).or_default() += now - was;
                }
            }
        }
        check(&h, &guesses).map_err(|e| TestCaseError::fail(format!("after {step:?}: {e}")))?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn every_counter_equals_what_was_delivered_and_counted(steps in prop::collection::vec(step(), 1..45)) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(play(steps))?;
    }
}

/// The defect as first seen: ten quick re-sends of one contacts session (one delivered, nine
/// refused by the cooldown) left the destination's budget whole for a new session.
#[tokio::test]
async fn refused_resends_leave_the_destination_budget_whole() {
    let h = harness();
    let send = |sid: &str| {
        Req::post(
            "/contacts/1/verification-keys",
            json!({ "channel": "Sms", "sessionId": sid }),
        )
    };
    assert_eq!(h.call(send("a")).await.status, 200);
    for _ in 0..9 {
        assert_eq!(h.call(send("a")).await.status, 429, "cooldown");
    }
    // The budget is 3 an hour: two more sessions get their SMS.
    assert_eq!(h.call(send("b")).await.status, 200);
    assert_eq!(h.call(send("c")).await.status, 200);
    assert_eq!(h.outbox.messages().len(), 3);
    assert_eq!(
        h.call(send("d")).await.status,
        429,
        "the fourth is over budget"
    );
}

/// RAO: twenty refused re-sends for two numbers of one prefix do not block a third number.
#[tokio::test]
async fn refused_rao_resends_leave_the_prefix_budget_whole() {
    let h = harness();
    let generate =
        |sid: &str, phone: &str| Req::contract(RAO_GENERATE, rao_phone(phone)).header("sid", sid);
    for (sid, phone) in [("x", PHONES[0]), ("y", PHONES[1])] {
        assert_eq!(h.call(generate(sid, phone)).await.status, 200);
        for _ in 0..10 {
            let res = h.call(generate(sid, phone)).await;
            assert_ne!(res.status, 200, "{}", res.json);
        }
    }
    let third = h.call(generate("z", PHONES[2])).await;
    assert_eq!(third.status, 200, "{}", third.json);
}

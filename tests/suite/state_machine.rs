//! A property test over the session state machine, through the use cases: whatever sequence
//! of sends, resends, checks, verifies, wrong guesses and clock moves, no wrong or stale code
//! verifies, nothing verifies twice, and no more wrong attempts are counted than the maximum.
//! Over the memory store (256 cases), and over DynamoDB and SNS in moto (8 cases: each step is
//! a round trip or three).

use otp_core::adapters::memory::ManualClock;
use otp_core::domain::{Alphabet, Destination, Family, Policy, SessionKey, Template, E164};
use otp_core::service::message::Composed;
use otp_core::service::{Binding, NewSession, Outcome, Resend};
use otp_core::App;
use otp_tests::emulator::Aws;
use otp_tests::Harness;
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Step {
    Resend,
    CheckRight,
    CheckWrong,
    CheckStale,
    VerifyRight,
    VerifyWrong,
    VerifyStale,
    /// Seconds the clock moves (past the cooldown, past expiry…).
    Wait(u16),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        Just(Step::Resend),
        Just(Step::CheckRight),
        Just(Step::CheckWrong),
        Just(Step::CheckStale),
        Just(Step::VerifyRight),
        Just(Step::VerifyWrong),
        Just(Step::VerifyStale),
        (1u16..400).prop_map(Step::Wait),
    ]
}

pub const POLICY: Policy = Policy {
    validity_secs: 300,
    max_attempts: 3,
    max_sends: 3,
    resend_cooldown_secs: 30,
    code_length: 6,
    alphabet: Alphabet::Numeric,
    caller_part_len: 0,
    retention_secs: 3_600,
};

/// The service under test: its app, its clock, where its codes go and how to read the last.
struct Service<'a, F> {
    app: &'a App,
    clock: &'a ManualClock,
    phone: &'a str,
    last_code: F,
}

async fn run<F: AsyncFn() -> String>(
    s: Service<'_, F>,
    steps: Vec<Step>,
) -> Result<(), TestCaseError> {
    let Service {
        app,
        clock,
        phone,
        last_code,
    } = s;
    let key = SessionKey::new(Family::VerifyApi, "acme", &["prop"]);
    let new = NewSession {
        client: "acme".into(),
        key: key.clone(),
        destination: Destination::Phone(E164::parse(phone).unwrap()),
        policy: POLICY,
        language: "en".into(),
        message: Composed {
            template: Template::sms("Code {code}".into()),
            sender_id: None,
        },
        family: Default::default(),
        binding: Binding::None,
    };
    app.send(new).await.expect("first send");
    let mut current = last_code().await;
    let mut stale: Vec<String> = Vec::new();
    let mut approvals = 0;
    for step in steps {
        let wrong = otp_tests::wrong_code(&current);
        let old = stale.last().cloned().filter(|c| *c != current);
        let (presented, consume) = match &step {
            Step::Resend => {
                if app.resend(Resend::of("acme", &key)).await.is_ok() {
                    stale.push(std::mem::replace(&mut current, last_code().await));
                }
                continue;
            }
            Step::Wait(secs) => {
                clock.advance(i64::from(*secs));
                continue;
            }
            Step::CheckRight => (current.clone(), false),
            Step::VerifyRight => (current.clone(), true),
            Step::CheckWrong => (wrong, false),
            Step::VerifyWrong => (wrong, true),
            Step::CheckStale => match old {
                Some(c) => (c, false),
                None => continue,
            },
            Step::VerifyStale => match old {
                Some(c) => (c, true),
                None => continue,
            },
        };
        let outcome = match consume {
            true => app.verify(&key, &presented, None).await,
            false => app.check(&key, &presented, None).await,
        }
        .expect("the store does not fail");
        let right = presented == current;
        if matches!(outcome, Outcome::Valid { .. }) {
            prop_assert!(right, "{step:?} accepted a wrong or stale code");
            if consume {
                approvals += 1;
            }
        }
        let session = app.status(&key).await.unwrap();
        prop_assert!(
            session.attempts <= POLICY.max_attempts,
            "{} attempts",
            session.attempts
        );
        prop_assert!(approvals <= 1, "verified twice");
    }
    Ok(())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn no_sequence_verifies_a_wrong_code_twice_or_over_counts(steps in prop::collection::vec(step(), 1..40)) {
        let h = Harness::new();
        let service = Service {
            app: &h.app,
            clock: &h.clock,
            phone: "+12025550123",
            last_code: async || h.last_code(),
        };
        runtime().block_on(run(service, steps))?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    #[test]
    fn no_sequence_verifies_a_wrong_code_twice_or_over_counts_in_dynamodb(steps in prop::collection::vec(step(), 1..30)) {
        let runtime = runtime();
        let aws = runtime.block_on(Aws::new());
        let service = Service {
            app: &aws.app,
            clock: &aws.clock,
            phone: &aws.phone,
            last_code: async || aws.last_code(&aws.phone).await,
        };
        runtime.block_on(run(service, steps))?;
    }
}

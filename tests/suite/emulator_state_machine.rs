//! The DynamoDB store's condition and update expressions against the state machine itself:
//! random transitions applied to the same session in DynamoDB (moto) and in the memory store,
//! which evaluates `Transition::allows` and `Transition::apply` directly. Every outcome and
//! every session written must be the same (fewer cases than the memory-only property test:
//! each step is a round trip).

use crate::state_machine::POLICY;
use otp_aws::dynamodb::DynamoSessions;
use otp_core::adapters::memory::MemoryStore;
use otp_core::domain::receipt::Outcome;
use otp_core::domain::{
    Attributes, Bound, CodeHash, CounterKey, Destination, Email, Family, Pepper, Receipt, Session,
    SessionKey, Transition, E164,
};
use otp_core::ports::{Applied, SessionStore};
use otp_tests::emulator::{unique, Aws};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Step {
    Reissue {
        code: u8,
        wait: u16,
        email: bool,
        allow_expired: bool,
    },
    Verify {
        code: u8,
        wait: u16,
    },
    CountFailure {
        wait: u16,
    },
    MarkUndeliverable {
        code: u8,
    },
    Lock,
    /// A delivery receipt for send `send`, failed or not, with or without a price.
    Receipt {
        send: u32,
        delivered: bool,
        priced: bool,
    },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0u8..3, 0u16..400, any::<bool>(), any::<bool>()).prop_map(
            |(code, wait, email, allow_expired)| Step::Reissue {
                code,
                wait,
                email,
                allow_expired
            }
        ),
        (0u8..3, 0u16..400).prop_map(|(code, wait)| Step::Verify { code, wait }),
        (0u16..400).prop_map(|wait| Step::CountFailure { wait }),
        (0u8..3).prop_map(|code| Step::MarkUndeliverable { code }),
        Just(Step::Lock),
        (1u32..4, any::<bool>(), any::<bool>()).prop_map(|(send, delivered, priced)| {
            Step::Receipt {
                send,
                delivered,
                priced,
            }
        }),
    ]
}

const START: i64 = 1_800_000_000;

async fn run(dynamo: &DynamoSessions, steps: Vec<Step>) -> Result<(), TestCaseError> {
    let memory = MemoryStore::default();
    let key = SessionKey::new(Family::VerifyApi, "acme", &[&unique().to_string()]);
    let pepper = Pepper::new(&[9; 32]).unwrap();
    let hash = |n: u8| -> CodeHash { pepper.hash(&key, &format!("{n:06}")) };
    let phone = Destination::Phone(E164::parse("+447400123456").unwrap());
    let email = Destination::Email(Email::parse("ana@example.com").unwrap());
    let session = Session {
        attributes: Attributes {
            binding: Some(Bound::Destination),
            charged: vec![CounterKey::new("g#sms", 1)],
            ..Attributes::default()
        },
        ..Session::open(key.clone(), phone.clone(), hash(0), POLICY, START)
    };
    prop_assert!(dynamo.create(&session).await.unwrap());
    prop_assert!(memory.create(&session).await.unwrap());
    let mut now = START;
    for step in steps {
        let transition = match step.clone() {
            Step::Reissue {
                code,
                wait,
                email: to_email,
                allow_expired,
            } => {
                now += i64::from(wait);
                Transition::Reissue {
                    code_hash: hash(code),
                    now,
                    destination: if to_email {
                        email.clone()
                    } else {
                        phone.clone()
                    },
                    allow_expired,
                }
            }
            Step::Verify { code, wait } => {
                now += i64::from(wait);
                Transition::Verify {
                    code_hash: hash(code),
                    now,
                }
            }
            Step::CountFailure { wait } => {
                now += i64::from(wait);
                Transition::CountFailure { now }
            }
            Step::MarkUndeliverable { code } => Transition::MarkUndeliverable {
                code_hash: hash(code),
            },
            Step::Lock => Transition::Lock,
            Step::Receipt {
                send,
                delivered,
                priced,
            } => Transition::Receipt {
                send,
                receipt: Receipt {
                    outcome: match delivered {
                        true => Outcome::Delivered,
                        false => Outcome::Failed,
                    },
                    reason: (!delivered).then(|| "Invalid phone number".to_string()),
                    at: now,
                    price_micro_usd: priced.then_some(6450),
                    dwell_ms: priced.then_some(599),
                },
            },
        };
        let expected = memory.apply(&key, &transition).await.unwrap();
        let got = dynamo.apply(&key, &transition).await.unwrap();
        match (&expected, &got) {
            (Applied::Yes(a), Applied::Yes(b)) | (Applied::No(Some(a)), Applied::No(Some(b))) => {
                prop_assert_eq!(a, b, "{:?}", step)
            }
            (a, b) => prop_assert!(
                matches!((a, b), (Applied::No(None), Applied::No(None))),
                "{step:?}: the state machine says {}, DynamoDB {}",
                outcome(a),
                outcome(b)
            ),
        }
    }
    Ok(())
}

fn outcome(a: &Applied) -> &'static str {
    match a {
        Applied::Yes(_) => "applied",
        Applied::No(_) => "refused",
    }
}

#[test]
fn dynamodb_conditions_and_updates_agree_with_the_state_machine() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let aws = runtime.block_on(Aws::new());
    let dynamo = DynamoSessions::new(aws.dynamo.clone(), aws.sessions_table.clone());
    let config = ProptestConfig {
        cases: 24,
        ..ProptestConfig::default()
    };
    let steps = prop::collection::vec(step(), 1..14);
    proptest::test_runner::TestRunner::new(config)
        .run(&steps, |steps| runtime.block_on(run(&dynamo, steps)))
        .unwrap();
}

//! The verification session and its state machine:
//! pending → verified | expired | attempts exhausted (| undeliverable, resendable).
//! Every guard is a pure function of the stored session and `now`, evaluated by
//! the memory store directly and mirrored by the DynamoDB store's condition expressions.

use super::attributes::Attributes;
use super::code::{Alphabet, CodeHash};
use super::destination::Destination;
use super::key::SessionKey;
use super::receipt::Receipt;

/// Seconds since the Unix epoch.
pub type Timestamp = i64;

/// What the store records about a session's life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Pending,
    Verified,
    /// Delivery of the current code failed: it can never verify; a resend may revive the session.
    Undeliverable,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Verified => "verified",
            State::Undeliverable => "undeliverable",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        match s {
            "pending" => Some(State::Pending),
            "verified" => Some(State::Verified),
            "undeliverable" => Some(State::Undeliverable),
            _ => None,
        }
    }
}

/// What a session is at a given instant (state plus the clock and the counters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Pending,
    Verified,
    Expired,
    AttemptsExhausted,
    Undeliverable,
}

/// Per-session limits, fixed when the session is created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Seconds a code stays valid after each send.
    pub validity_secs: u32,
    pub max_attempts: u32,
    /// Sends in all, the first one included.
    pub max_sends: u32,
    pub resend_cooldown_secs: u32,
    pub code_length: u8,
    pub alphabet: Alphabet,
    /// Leading characters of each code returned to the caller instead of delivered: the
    /// telemarketing family's split code (3 kept by the caller's app, the rest by SMS); else 0.
    pub caller_part_len: u8,
    /// Seconds the record is kept after expiry (DynamoDB TTL), so late reads still answer.
    pub retention_secs: u32,
}

/// The message to deliver, with `{code}` where the code goes.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Template {
    pub subject: Option<String>,
    pub text: String,
    pub html: Option<String>,
}

/// Placeholder replaced by the code in templates; `{{` is a literal `{` (caller text).
pub const CODE_PLACEHOLDER: &str = "{code}";

impl Template {
    /// An SMS: text only.
    pub fn sms(text: String) -> Template {
        Template {
            subject: None,
            text,
            html: None,
        }
    }

    pub fn render(&self, code: &str) -> Template {
        self.render_marked(code).0
    }

    /// `render`, with where the code first stands in the text (bytes): the local inbox
    /// highlights it there, whatever the caller's text around it.
    pub fn render_marked(&self, code: &str) -> (Template, Option<std::ops::Range<usize>>) {
        let (text, at) = fill(&self.text, code);
        let rendered = Template {
            subject: self.subject.as_ref().map(|s| fill(s, code).0),
            text,
            html: self.html.as_ref().map(|s| fill(s, code).0),
        };
        (rendered, at.map(|start| start..start + code.len()))
    }
}

/// `template` with each `{code}` replaced by `code` and each `{{` by `{`, in one pass, so
/// nothing a caller wrote (`caller_text::literal`) becomes a placeholder.
/// Also returns where the first code stands in the result (bytes).
fn fill(template: &str, code: &str) -> (String, Option<usize>) {
    let mut first = None;
    let mut out = String::with_capacity(template.len() + code.len());
    let mut rest = template;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        if let Some(after) = rest.strip_prefix("{{") {
            out.push('{');
            rest = after;
        } else if let Some(after) = rest.strip_prefix(CODE_PLACEHOLDER) {
            first.get_or_insert(out.len());
            out.push_str(code);
            rest = after;
        } else {
            out.push('{');
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
    (out, first)
}

/// One verification session, as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct Session {
    pub key: SessionKey,
    pub destination: Destination,
    pub code_hash: CodeHash,
    pub state: State,
    pub attempts: u32,
    pub sends: u32,
    pub policy: Policy,
    pub created_at: Timestamp,
    pub last_sent_at: Timestamp,
    pub next_send_at: Timestamp,
    pub expires_at: Timestamp,
    pub verified_at: Option<Timestamp>,
    pub language: String,
    pub template: Template,
    pub attributes: Attributes,
    /// What the provider reported of the current send's message, once it has.
    pub delivery: Option<Receipt>,
}

impl Session {
    /// A session whose first code was issued at `now` (default language and template).
    pub fn open(
        key: SessionKey,
        destination: Destination,
        code_hash: CodeHash,
        policy: Policy,
        now: Timestamp,
    ) -> Session {
        Session {
            key,
            destination,
            code_hash,
            state: State::Pending,
            attempts: 0,
            sends: 1,
            policy,
            created_at: now,
            last_sent_at: now,
            next_send_at: now + i64::from(policy.resend_cooldown_secs),
            expires_at: now + i64::from(policy.validity_secs),
            verified_at: None,
            language: "en".into(),
            template: Template::default(),
            attributes: Attributes::default(),
            delivery: None,
        }
    }

    pub fn status(&self, now: Timestamp) -> Status {
        match self.state {
            State::Verified => Status::Verified,
            State::Undeliverable => Status::Undeliverable,
            State::Pending if self.attempts >= self.policy.max_attempts => {
                Status::AttemptsExhausted
            }
            State::Pending if now >= self.expires_at => Status::Expired,
            State::Pending => Status::Pending,
        }
    }

    pub fn attempts_left(&self) -> u32 {
        self.policy.max_attempts.saturating_sub(self.attempts)
    }

    /// Resends used so far.
    pub fn resends(&self) -> u32 {
        self.sends.saturating_sub(1)
    }

    /// When the store may delete the record (DynamoDB TTL attribute).
    pub fn purge_at(&self) -> Timestamp {
        self.expires_at + i64::from(self.policy.retention_secs)
    }
}

/// A conditional change to a stored session. `allows` is the condition, `apply` the update;
/// a store applies both atomically or not at all.
#[derive(Clone, Debug)]
pub enum Transition {
    /// A fresh code replaces the current one (resend).
    Reissue {
        code_hash: CodeHash,
        now: Timestamp,
        destination: Destination,
        /// Whether a session past its expiry may be revived.
        allow_expired: bool,
    },
    /// The right code: approve once.
    Verify { code_hash: CodeHash, now: Timestamp },
    /// A wrong code: one attempt used.
    CountFailure { now: Timestamp },
    /// Delivery of this code failed: it must never verify.
    MarkUndeliverable { code_hash: CodeHash },
    /// The destination's guesses across sessions are spent: no attempt left.
    Lock,
    /// The provider's receipt for the message of send number `send`; a later send's
    /// message makes it stale.
    Receipt { send: u32, receipt: Receipt },
}

impl Transition {
    pub fn allows(&self, s: &Session) -> bool {
        let open = s.state == State::Pending && s.attempts < s.policy.max_attempts;
        match self {
            Transition::Reissue {
                now, allow_expired, ..
            } => {
                matches!(s.state, State::Pending | State::Undeliverable)
                    && s.attempts < s.policy.max_attempts
                    && s.sends < s.policy.max_sends
                    && s.next_send_at <= *now
                    && (*allow_expired || s.expires_at > *now)
            }
            Transition::Verify { code_hash, now } => {
                open && s.expires_at > *now && s.code_hash.matches(code_hash)
            }
            Transition::CountFailure { now } => open && s.expires_at > *now,
            Transition::Lock => open,
            Transition::MarkUndeliverable { code_hash } => {
                s.state == State::Pending && s.code_hash.matches(code_hash)
            }
            Transition::Receipt { send, .. } => s.sends == *send,
        }
    }

    pub fn apply(&self, s: &mut Session) {
        match self {
            Transition::Reissue {
                code_hash,
                now,
                destination,
                ..
            } => {
                s.code_hash = *code_hash;
                s.state = State::Pending;
                s.sends += 1;
                s.last_sent_at = *now;
                s.next_send_at = now + i64::from(s.policy.resend_cooldown_secs);
                s.expires_at = now + i64::from(s.policy.validity_secs);
                s.destination = destination.clone();
                s.delivery = None;
            }
            Transition::Verify { now, .. } => {
                s.state = State::Verified;
                s.verified_at = Some(*now);
            }
            Transition::CountFailure { .. } => s.attempts += 1,
            Transition::Lock => s.attempts = s.policy.max_attempts,
            Transition::MarkUndeliverable { .. } => s.state = State::Undeliverable,
            Transition::Receipt { receipt, .. } => s.delivery = Some(receipt.clone()),
        }
    }
}

/// Why a resend was refused, read from the session as it stood.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResendRefusal {
    AlreadyVerified,
    AttemptsExhausted,
    Expired,
    TooManySends,
    /// `cooldown_secs` is the session's minimum delay between sends.
    TooSoon {
        retry_after_secs: u32,
        cooldown_secs: u32,
    },
}

impl Session {
    /// Explains a refused `Reissue`; `None` when nothing forbids it (a lost race: try again).
    pub fn resend_refusal(&self, now: Timestamp, allow_expired: bool) -> Option<ResendRefusal> {
        match self.status(now) {
            Status::Verified => Some(ResendRefusal::AlreadyVerified),
            Status::AttemptsExhausted => Some(ResendRefusal::AttemptsExhausted),
            Status::Expired if !allow_expired => Some(ResendRefusal::Expired),
            _ if self.sends >= self.policy.max_sends => Some(ResendRefusal::TooManySends),
            _ if self.next_send_at > now => Some(ResendRefusal::TooSoon {
                retry_after_secs: u32::try_from(self.next_send_at - now).unwrap_or(u32::MAX),
                cooldown_secs: self.policy.resend_cooldown_secs,
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::code::Pepper;
    use crate::domain::destination::E164;
    use crate::domain::key::Family;

    pub fn policy() -> Policy {
        Policy {
            validity_secs: 300,
            max_attempts: 3,
            max_sends: 2,
            resend_cooldown_secs: 30,
            code_length: 6,
            alphabet: Alphabet::Numeric,
            caller_part_len: 0,
            retention_secs: 86_400,
        }
    }

    fn key() -> SessionKey {
        SessionKey::new(Family::VerifyApi, "t", &["k"])
    }

    pub fn phone() -> Destination {
        Destination::Phone(E164::parse("+12025550123").unwrap())
    }

    pub fn session(now: Timestamp, code: &str) -> Session {
        let hash = Pepper::new(&[1; 32]).unwrap().hash(&key(), code);
        Session::open(key(), phone(), hash, policy(), now)
    }

    fn hash(code: &str) -> CodeHash {
        Pepper::new(&[1; 32]).unwrap().hash(&key(), code)
    }

    #[test]
    fn right_code_verifies_once() {
        let mut s = session(0, "123456");
        let t = Transition::Verify {
            code_hash: hash("123456"),
            now: 10,
        };
        assert!(t.allows(&s));
        t.apply(&mut s);
        assert_eq!(s.status(10), Status::Verified);
        assert!(!t.allows(&s));
    }

    #[test]
    fn wrong_code_never_verifies() {
        let s = session(0, "123456");
        assert!(!Transition::Verify {
            code_hash: hash("654321"),
            now: 10
        }
        .allows(&s));
    }

    #[test]
    fn expiry_is_checked_on_every_read() {
        let s = session(0, "123456");
        assert_eq!(s.status(299), Status::Pending);
        assert_eq!(s.status(300), Status::Expired);
        assert!(!Transition::Verify {
            code_hash: hash("123456"),
            now: 300
        }
        .allows(&s));
        assert!(!Transition::CountFailure { now: 300 }.allows(&s));
    }

    #[test]
    fn attempts_stop_at_the_maximum() {
        let mut s = session(0, "123456");
        let fail = Transition::CountFailure { now: 1 };
        for _ in 0..3 {
            assert!(fail.allows(&s));
            fail.apply(&mut s);
        }
        assert!(!fail.allows(&s));
        assert_eq!(s.attempts_left(), 0);
        assert_eq!(s.status(1), Status::AttemptsExhausted);
        assert!(!Transition::Verify {
            code_hash: hash("123456"),
            now: 1
        }
        .allows(&s));
    }

    #[test]
    fn resend_waits_for_the_cooldown_and_stops_at_max_sends() {
        let mut s = session(0, "123456");
        let at = |now| Transition::Reissue {
            code_hash: hash("999999"),
            now,
            destination: s.destination.clone(),
            allow_expired: false,
        };
        assert!(!at(29).allows(&s));
        assert_eq!(
            s.resend_refusal(29, false),
            Some(ResendRefusal::TooSoon {
                retry_after_secs: 1,
                cooldown_secs: 30
            })
        );
        let t = at(30);
        assert!(t.allows(&s));
        t.apply(&mut s);
        assert_eq!(s.expires_at, 330);
        assert!(
            !Transition::Verify {
                code_hash: hash("123456"),
                now: 31
            }
            .allows(&s),
            "old code is dead"
        );
        assert!(Transition::Verify {
            code_hash: hash("999999"),
            now: 31
        }
        .allows(&s));
        assert_eq!(
            s.resend_refusal(100, false),
            Some(ResendRefusal::TooManySends)
        );
    }

    #[test]
    fn expired_sessions_resend_only_when_allowed() {
        let s = session(0, "1");
        assert_eq!(s.resend_refusal(400, false), Some(ResendRefusal::Expired));
        assert_eq!(s.resend_refusal(400, true), None);
    }

    #[test]
    fn an_undeliverable_code_never_verifies_but_can_be_resent() {
        let mut s = session(0, "123456");
        Transition::MarkUndeliverable {
            code_hash: hash("123456"),
        }
        .apply(&mut s);
        assert!(!Transition::Verify {
            code_hash: hash("123456"),
            now: 1
        }
        .allows(&s));
        assert_eq!(s.status(1), Status::Undeliverable);
        let resend = Transition::Reissue {
            code_hash: hash("1"),
            now: 40,
            destination: phone(),
            allow_expired: false,
        };
        assert!(resend.allows(&s));
    }

    #[test]
    fn marking_undeliverable_spares_a_newer_code() {
        let s = session(0, "123456");
        assert!(!Transition::MarkUndeliverable {
            code_hash: hash("000000")
        }
        .allows(&s));
    }
}

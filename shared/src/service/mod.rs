//! Use cases: send, resend, check, verify, status. All policy lives here, over the ports;
//! the fraud shield's part in `shield`.

use self::message::Composed;
use self::metrics::{count, Count};
use crate::app::App;
use crate::domain::code::RandomnessError;
use crate::domain::sms;
use crate::domain::{
    Attributes, Bound, Channel, Code, CodeHash, CounterKey, Destination, FamilyAttributes,
    LimitScope, Policy, ResendRefusal, Session, SessionKey, Status, Template, Timestamp,
    Transition,
};
use crate::ports::{About, Applied, DeliveryError, Message, MessageLink, StoreError};
use shield::Charges;

pub mod message;
pub mod metrics;
pub mod receipts;
mod shield;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("no such session")]
    NotFound,
    #[error("resend refused: {0:?}")]
    ResendRefused(ResendRefusal),
    #[error("SMS to country {country} refused")]
    CountryRefused { country: String },
    /// The email address hard-bounced or complained (a delivery receipt) and is suppressed.
    #[error("the address is suppressed for {retry_after_secs} s")]
    Suppressed { retry_after_secs: u32 },
    #[error("send budget of the {scope:?} spent")]
    RateLimited {
        scope: LimitScope,
        retry_after_secs: u32,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Delivery(#[from] DeliveryError),
    #[error(transparent)]
    Randomness(#[from] RandomnessError),
    #[error(transparent)]
    Unwired(#[from] crate::app::Unwired),
}

/// What a caller asks to send.
#[derive(Clone, Debug)]
pub struct NewSession {
    /// The API client asking (its send budget is charged).
    pub client: String,
    pub key: SessionKey,
    pub destination: Destination,
    pub policy: Policy,
    pub language: String,
    /// What the message says and who it is from.
    pub message: Composed,
    pub family: FamilyAttributes,
    /// What a verifier must present with the code.
    pub binding: Binding,
}

/// What a verifier must present with the code besides the code, bound into the code's HMAC:
/// presenting another one is a wrong code, found in the same single round trip.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Binding {
    None,
    /// A subject fixed for the session's life (the telemarketing customer): a resend for
    /// another subject finds no session.
    Subject(String),
    /// The destination, which a resend may change (the RAO phone).
    Destination,
}

/// A resend: a fresh code on an existing session.
#[derive(Clone, Debug)]
pub struct Resend<'a> {
    /// The API client asking (its send budget is charged).
    pub client: &'a str,
    pub key: &'a SessionKey,
    /// A new destination, else the session's.
    pub to: Option<Destination>,
    /// A new message, else the session's.
    pub template: Option<Template>,
    /// Must be the subject the session was opened for; another one reads as no session.
    pub subject: Option<&'a str>,
    /// Whether a session past its expiry may be revived.
    pub allow_expired: bool,
}

impl<'a> Resend<'a> {
    /// The session's own destination and message, not past its expiry.
    pub fn of(client: &'a str, key: &'a SessionKey) -> Resend<'a> {
        Resend {
            client,
            key,
            to: None,
            template: None,
            subject: None,
            allow_expired: false,
        }
    }
}

/// A code issued and handed to delivery.
#[derive(Debug)]
pub struct Issued {
    pub session: Session,
    /// A split code's leading part, which goes back to the caller (`Policy::caller_part_len`).
    pub caller_part: Option<Code>,
}

/// Outcome of checking or verifying a code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Valid { attempts_left: u32 },
    Invalid { attempts_left: u32 },
    Expired,
    AttemptsExceeded,
    AlreadyVerified,
}

/// How long a sent message's link to its session is kept at least: SNS may log an SMS's
/// outcome up to 72 hours after the send.
const RECEIPT_WINDOW: i64 = 72 * 3600;

/// The label under which a session's subject is digested (its binding).
const BINDING: &str = "binding";

impl App {
    /// The stored form of `code`; with a subject's binding, the code only matches with it.
    fn hash(&self, key: &SessionKey, code: &str, binding: Option<&str>) -> CodeHash {
        match binding {
            None => self.config.pepper.hash(key, code),
            Some(b) => self.config.pepper.digest(&format!("{key}\0{b}"), code),
        }
    }

    /// What a presented code (and subject) must hash to.
    fn code_hash(&self, key: &SessionKey, code: &str, subject: Option<&str>) -> CodeHash {
        let binding = subject.map(|s| self.binding(s));
        self.hash(key, code, binding.as_deref())
    }

    fn binding(&self, subject: &str) -> String {
        self.config.pepper.digest(BINDING, subject).to_hex()
    }

    /// The id of a new session to `to`: a test recipient's configured one
    /// (`OTP_TEST_RECIPIENTS`, so a sample event naming it holds), else one from `draw`.
    pub fn new_session_id(
        &self,
        to: &Destination,
        draw: fn() -> Result<String, RandomnessError>,
    ) -> Result<String, RandomnessError> {
        match self.config.test_recipients.session_for(to) {
            Some(id) => Ok(id.to_string()),
            None => draw(),
        }
    }

    /// Issues a code for a new session, or a resend when a session with that key exists,
    /// and delivers it. Round trips: the shield's counters (`admit`: five `UpdateItem`s for
    /// an SMS, two for an email) and one `PutItem`
    /// (existing session: plus a resend's `GetItem` and `UpdateItem`).
    pub async fn send(&self, new: NewSession) -> Result<Issued, ServiceError> {
        let now = self.clock.now();
        // A test recipient is sent nothing, so it spends no budget and meets no fraud rule.
        let fixed = self.config.test_recipients.code_for(&new.destination);
        let charges = match fixed {
            Some(_) => Charges::default(),
            None => {
                self.admit(&new.client, &new.key, &new.destination, now)
                    .await?
            }
        };
        let result = self.open(new, fixed, &charges.relative, now).await;
        if result.is_err() {
            self.refund(&charges).await;
        }
        result
    }

    /// `send` past its admission: the new session, or a resend of the one with that key.
    async fn open(
        &self,
        new: NewSession,
        fixed: Option<&str>,
        charged: &[CounterKey],
        now: Timestamp,
    ) -> Result<Issued, ServiceError> {
        let code = match fixed {
            Some(c) => Code::fixed(c),
            None => Code::generate(new.policy.code_length.into(), new.policy.alphabet)?,
        };
        let (binding, recorded) = match &new.binding {
            Binding::None => (None, None),
            Binding::Subject(s) => {
                let digest = self.binding(s);
                (Some(digest.clone()), Some(Bound::Subject(digest)))
            }
            Binding::Destination => (
                Some(self.binding(new.destination.as_str())),
                Some(Bound::Destination),
            ),
        };
        let code_hash = self.hash(&new.key, code.expose(), binding.as_deref());
        let mut attributes = Attributes {
            sender_id: new.message.sender_id,
            binding: recorded,
            charged: charged.to_vec(),
            test: fixed.is_some(),
            sms: None,
            family: new.family,
        };
        if new.destination.channel() == Channel::Sms {
            let (_, delivered) = split(&code, &new.policy);
            let text = new.message.template.render(delivered.expose()).text;
            attributes.sms = Some(billed(&text, &attributes));
        }
        let session = Session {
            language: new.language,
            template: new.message.template,
            attributes,
            ..Session::open(
                new.key.clone(),
                new.destination.clone(),
                code_hash,
                new.policy,
                now,
            )
        };
        if self.sessions.create(&session).await? || self.reopens(&session, fixed, now).await? {
            return self.deliver(session, &code, fixed.is_some()).await;
        }
        // Already charged above: the resend is not charged again (and refunded if refused).
        self.reissue(
            Resend {
                client: &new.client,
                key: &new.key,
                to: Some(new.destination),
                template: Some(session.template),
                subject: match &new.binding {
                    Binding::Subject(s) => Some(s),
                    _ => None,
                },
                allow_expired: true,
            },
            false,
        )
        .await
    }

    /// Replaces a test recipient's closed session (verified, locked or out of sends) under the
    /// same key with `session`, so a fixed sample can be replayed; an open one is resent as
    /// anyone's would be. Only a stored test session to the same destination is
    /// replaced: naming someone's session id cannot take it over.
    async fn reopens(
        &self,
        session: &Session,
        fixed: Option<&str>,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        if fixed.is_none() {
            return Ok(false);
        }
        let Some(current) = self.sessions.get(&session.key).await? else {
            return Ok(false);
        };
        let closed = current
            .resend_refusal(now, true)
            .is_some_and(|r| !matches!(r, ResendRefusal::TooSoon { .. } | ResendRefusal::Expired));
        if !closed || !current.attributes.test || current.destination != session.destination {
            return Ok(false);
        }
        self.sessions.reopen_test(session).await
    }

    /// A fresh code on an existing session; the previous code dies.
    /// Round trips: one `GetItem` and one `UpdateItem` (plus the shield's counters).
    pub async fn resend(&self, resend: Resend<'_>) -> Result<Issued, ServiceError> {
        self.reissue(resend, true).await
    }

    async fn reissue(&self, mut r: Resend<'_>, charge: bool) -> Result<Issued, ServiceError> {
        let now = self.clock.now();
        // The read gives the code's shape (part of the session's policy) and refuses early
        // without a write; the conditional update below still decides races.
        let current = self
            .sessions
            .get(r.key)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let recorded = current.attributes.binding.as_ref();
        let asked = r.subject.map(|s| self.binding(s));
        let same_subject = match (recorded, &asked) {
            (None | Some(Bound::Destination), None) => true,
            (Some(Bound::Subject(b)), Some(a)) => CodeHash::from_hex(b)
                .zip(CodeHash::from_hex(a))
                .is_some_and(|(b, a)| b.matches(&a)),
            _ => false,
        };
        if !same_subject {
            // Another subject's session is none of this caller's business.
            return Err(ServiceError::NotFound);
        }
        if let Some(refusal) = current.resend_refusal(now, r.allow_expired) {
            return Err(resend_refused(refusal, &current));
        }
        let destination = r.to.take().unwrap_or(current.destination);
        let binding = match recorded {
            Some(Bound::Destination) => Some(self.binding(destination.as_str())),
            Some(Bound::Subject(digest)) => Some(digest.clone()),
            None => None,
        };
        let fixed = self.config.test_recipients.code_for(&destination);
        // A resend's velocity charge is not given back on verify (each SMS sent costs money),
        // only refunded when this resend delivers nothing.
        let charges = match charge && fixed.is_none() {
            true => self.admit(r.client, r.key, &destination, now).await?,
            false => Charges::default(),
        };
        let result = self
            .reissue_admitted(r, current.policy, destination, binding, fixed, now)
            .await;
        if result.is_err() {
            self.refund(&charges).await;
        }
        result
    }

    /// `reissue` past its checks and admission: the conditional update, then delivery.
    async fn reissue_admitted(
        &self,
        r: Resend<'_>,
        policy: Policy,
        destination: Destination,
        binding: Option<String>,
        fixed: Option<&str>,
        now: Timestamp,
    ) -> Result<Issued, ServiceError> {
        let code = match fixed {
            Some(c) => Code::fixed(c),
            None => Code::generate(policy.code_length.into(), policy.alphabet)?,
        };
        let transition = Transition::Reissue {
            code_hash: self.hash(r.key, code.expose(), binding.as_deref()),
            now,
            destination,
            allow_expired: r.allow_expired,
        };
        match self.sessions.apply(r.key, &transition).await? {
            Applied::Yes(mut session) => {
                if let Some(t) = r.template {
                    session.template = t;
                }
                self.deliver(session, &code, fixed.is_some()).await
            }
            Applied::No(None) => Err(ServiceError::NotFound),
            Applied::No(Some(old)) => {
                let refusal =
                    old.resend_refusal(now, r.allow_expired)
                        .unwrap_or(ResendRefusal::TooSoon {
                            retry_after_secs: 1,
                            cooldown_secs: old.policy.resend_cooldown_secs,
                        });
                Err(resend_refused(refusal, &old))
            }
        }
    }

    /// Links a sent message to its session and send, for its delivery receipt. The message is
    /// out: a store fault here loses only the receipt, so it is logged, not answered.
    async fn link(&self, message_id: String, session: &Session) {
        let link = MessageLink {
            message_id,
            session: session.key.clone(),
            send: session.sends,
            // Receipts may come days late (SNS: up to 72 h); the link outlives the session.
            purge_at: session
                .purge_at()
                .max(session.last_sent_at + RECEIPT_WINDOW),
        };
        if let Err(error) = self.sessions.link_message(&link).await {
            tracing::warn!(%error, "message not linked: its delivery receipt will be ignored");
        }
    }

    /// Delivers the code (a split code's delivered part); on failure the code is killed.
    /// A test recipient (`test`) is sent nothing.
    async fn deliver(
        &self,
        session: Session,
        code: &Code,
        test: bool,
    ) -> Result<Issued, ServiceError> {
        let (caller_part, delivered) = split(code, &session.policy);
        let channel = session.destination.channel();
        let (rendered, code_at) = session.template.render_marked(delivered.expose());
        let email = channel == Channel::Email;
        let sms = (!email).then(|| billed(&rendered.text, &session.attributes));
        let message = Message {
            to: session.destination.clone(),
            subject: rendered.subject.filter(|_| email),
            body: rendered.text,
            html: rendered.html.filter(|_| email),
            sender_id: session.attributes.sender_id.clone(),
            about: Some(About {
                session: session.key.clone(),
                code_at,
                test,
                sms,
                sent_at: self.clock.now(),
                expires_at: session.expires_at,
            }),
        };
        if test {
            tracing::info!(channel = channel.as_str(), to = %session.destination.masked(), test = true, "test recipient: code not delivered");
            if let Some(outbox) = self.sender.as_deref().filter(|s| s.keeps_test_messages()) {
                // Delivers nowhere: the local inbox shows it, marked.
                let _ = outbox.send(&message).await;
            }
            return Ok(Issued {
                session,
                caller_part,
            });
        }
        let (key, to) = (&session.key, &session.destination);
        count(Count::CodesSent, key, to, 1);
        let error = match self.sender()?.send(&message).await {
            Ok(sent) => {
                tracing::info!(channel = channel.as_str(), to = %to.masked(), "code delivered");
                count(Count::CodesDelivered, key, to, 1);
                if let Some(measure) = sms {
                    metrics::sms_sent(key, to, measure);
                }
                if let Some(id) = sent.message_id {
                    self.link(id, &session).await;
                }
                return Ok(Issued {
                    session,
                    caller_part,
                });
            }
            Err(error) => error,
        };
        tracing::warn!(channel = channel.as_str(), to = %to.masked(), %error, "delivery failed");
        count(Count::DeliveryFailed, key, to, 1);
        let kill = Transition::MarkUndeliverable {
            code_hash: session.code_hash,
        };
        if let Err(store) = self.sessions.apply(&session.key, &kill).await {
            // The code reached nobody and stays bounded by the attempt limit.
            tracing::error!(%store, "could not mark the session undeliverable");
        }
        Err(error.into())
    }

    /// Checks a code without consuming it; a wrong code uses an attempt.
    /// Round trips: one `GetItem` (plus two `UpdateItem`s for a wrong code: the destination's
    /// guesses and the session's attempts).
    pub async fn check(
        &self,
        key: &SessionKey,
        code: &str,
        subject: Option<&str>,
    ) -> Result<Outcome, ServiceError> {
        let now = self.clock.now();
        let session = self
            .sessions
            .get(key)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let hash = self.code_hash(key, code, subject);
        match judged(&session, &hash, now) {
            Some(outcome) => Ok(outcome),
            None if session.code_hash.matches(&hash) => Ok(Outcome::Valid {
                attempts_left: session.attempts_left(),
            }),
            None => self.count_failure(&session, &hash, now).await,
        }
    }

    /// Verifies and consumes a code, presented with the session's subject if it has one:
    /// approves exactly once. Round trips: one `UpdateItem` for the right code, three for a
    /// wrong one (the failed verify, the destination's guesses, the session's attempts).
    pub async fn verify(
        &self,
        key: &SessionKey,
        code: &str,
        subject: Option<&str>,
    ) -> Result<Outcome, ServiceError> {
        let now = self.clock.now();
        let hash = self.code_hash(key, code, subject);
        match self
            .sessions
            .apply(
                key,
                &Transition::Verify {
                    code_hash: hash,
                    now,
                },
            )
            .await?
        {
            Applied::Yes(s) => {
                count(Count::Verified, key, &s.destination, 1);
                if self.give_back_on_verify {
                    if let Err(error) = self.give_back(&s.attributes.charged).await {
                        tracing::warn!(%error, "could not give the verified send back");
                    }
                }
                Ok(Outcome::Valid {
                    attempts_left: s.attempts_left(),
                })
            }
            Applied::No(None) => Err(ServiceError::NotFound),
            Applied::No(Some(old)) => match judged(&old, &hash, now) {
                Some(outcome) => Ok(outcome),
                None => self.count_failure(&old, &hash, now).await,
            },
        }
    }

    /// A wrong code: one of the destination's guesses across sessions, and one of the
    /// session's attempts; with the destination's guesses spent, the session locks.
    async fn count_failure(
        &self,
        session: &Session,
        hash: &CodeHash,
        now: i64,
    ) -> Result<Outcome, ServiceError> {
        let key = &session.key;
        match self
            .sessions
            .apply(key, &Transition::CountFailure { now })
            .await?
        {
            // Only a guess the session counted is charged to the destination, so guesses a
            // locked session refuses spend nothing and concurrent ones lock nothing early.
            Applied::Yes(s) => {
                let to = &session.destination;
                count(Count::WrongAttempts, key, to, 1);
                if s.attempts_left() == 0 {
                    count(Count::Locked, key, to, 1);
                }
                if self.take_guess(key, to, now).await? {
                    return Ok(Outcome::Invalid {
                        attempts_left: s.attempts_left(),
                    });
                }
                match self.sessions.apply(key, &Transition::Lock).await? {
                    Applied::No(None) => Err(ServiceError::NotFound),
                    Applied::No(Some(s)) => {
                        Ok(judged(&s, hash, now).unwrap_or(Outcome::AttemptsExceeded))
                    }
                    Applied::Yes(_) => {
                        count(Count::Locked, key, to, 1);
                        Ok(Outcome::AttemptsExceeded)
                    }
                }
            }
            Applied::No(None) => Err(ServiceError::NotFound),
            // The session changed under us (verified, exhausted or expired meanwhile).
            Applied::No(Some(s)) => Ok(judged(&s, hash, now).unwrap_or(Outcome::Invalid {
                attempts_left: s.attempts_left(),
            })),
        }
    }

    /// The session as it stands. Round trips: one `GetItem`.
    pub async fn status(&self, key: &SessionKey) -> Result<Session, ServiceError> {
        self.sessions.get(key).await?.ok_or(ServiceError::NotFound)
    }
}

/// A code's caller part (`Policy::caller_part_len`, if any) and the part delivered.
fn split(code: &Code, policy: &Policy) -> (Option<Code>, Code) {
    let (head, tail) = code.split(policy.caller_part_len.into());
    ((policy.caller_part_len > 0).then_some(head), tail)
}

/// How SMS `text` of a session with `attributes` bills (the Verify API's `data_coding:
/// unicode` forces UCS-2).
fn billed(text: &str, attributes: &Attributes) -> sms::Measure {
    sms::measure(text, attributes.forces_ucs2())
}

/// `judge`, counting a code presented too late.
fn judged(session: &Session, hash: &CodeHash, now: i64) -> Option<Outcome> {
    let outcome = judge(session, hash, now);
    if outcome == Some(Outcome::Expired) {
        count(Count::Expired, &session.key, &session.destination, 1);
    }
    outcome
}

/// A resend refusal; sending too soon or too often counts as rate-limited.
fn resend_refused(refusal: ResendRefusal, session: &Session) -> ServiceError {
    if matches!(
        refusal,
        ResendRefusal::TooSoon { .. } | ResendRefusal::TooManySends
    ) {
        count(Count::RateLimited, &session.key, &session.destination, 1);
    }
    ServiceError::ResendRefused(refusal)
}

/// The outcome a session imposes whatever the code, or `None` when the code decides.
fn judge(session: &Session, hash: &CodeHash, now: i64) -> Option<Outcome> {
    match session.status(now) {
        Status::Verified if session.code_hash.matches(hash) => Some(Outcome::AlreadyVerified),
        Status::Verified => Some(Outcome::Invalid { attempts_left: 0 }),
        Status::AttemptsExhausted => Some(Outcome::AttemptsExceeded),
        Status::Expired => Some(Outcome::Expired),
        Status::Undeliverable => Some(Outcome::Invalid {
            attempts_left: session.attempts_left(),
        }),
        Status::Pending => None,
    }
}

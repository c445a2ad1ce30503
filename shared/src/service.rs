//! Use cases: send, resend, check, verify, status. All policy lives here, over the ports.

use crate::app::App;
use crate::domain::code::RandomnessError;
use crate::domain::{
    Channel, Code, CodeHash, Destination, LimitScope, Policy, ResendRefusal, Session, SessionKey,
    Status, Template, Transition,
};
use crate::ports::{Applied, DeliveryError, Message, StoreError};
use std::collections::BTreeMap;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("no such session")]
    NotFound,
    #[error("resend refused: {0:?}")]
    ResendRefused(ResendRefusal),
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
    pub template: Template,
    /// SMS sender id / originator.
    pub sender_id: Option<String>,
    pub extra: BTreeMap<String, String>,
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

const SENDER_ID: &str = "sender_id";

impl App {
    fn hash(&self, key: &SessionKey, code: &str) -> CodeHash {
        self.config.pepper.hash(key, code)
    }

    /// Issues a code for a new session, or a resend when a session with that key exists,
    /// and delivers it. Round trips: two budget `UpdateItem`s and one `PutItem`
    /// (existing session: plus a resend's `GetItem` and `UpdateItem`).
    pub async fn send(&self, new: NewSession) -> Result<Session, ServiceError> {
        let now = self.clock.now();
        self.spend_budgets(&new.client, &new.destination, now)
            .await?;
        let code = Code::generate(new.policy.code_length.into(), new.policy.alphabet)?;
        let code_hash = self.hash(&new.key, code.expose());
        let mut extra = new.extra;
        if let Some(id) = &new.sender_id {
            extra.insert(SENDER_ID.into(), id.clone());
        }
        let session = Session {
            language: new.language,
            template: new.template,
            extra,
            ..Session::open(
                new.key.clone(),
                new.destination.clone(),
                code_hash,
                new.policy,
                now,
            )
        };
        if self.sessions.create(&session).await? {
            self.deliver(&session, &code).await?;
            return Ok(session);
        }
        self.reissue(
            &new.key,
            Some(new.destination),
            true,
            Some(&session.template),
            None,
        )
        .await
    }

    /// Charges one send to the destination's and the client's budgets (one `UpdateItem` each).
    async fn spend_budgets(
        &self,
        client: &str,
        destination: &Destination,
        now: i64,
    ) -> Result<(), ServiceError> {
        // Counter keys hold a keyed hash of the destination, never the number or address.
        let destination_id = &self
            .config
            .pepper
            .digest("budget", destination.as_str())
            .to_hex()[..32];
        let budgets = [
            (
                LimitScope::Destination,
                self.config.destination_budget,
                format!("d#{destination_id}"),
            ),
            (
                LimitScope::Client,
                self.config.client_budget,
                format!("c#{client}"),
            ),
        ];
        for (scope, budget, id) in budgets {
            let window = budget.window(&id, now);
            let purge_at = window.resets_at + i64::from(budget.window_secs);
            if !self
                .sessions
                .take_budget(&window.key, budget.limit, purge_at)
                .await?
            {
                let retry_after_secs = u32::try_from(window.resets_at - now).unwrap_or(u32::MAX);
                return Err(ServiceError::RateLimited {
                    scope,
                    retry_after_secs,
                });
            }
        }
        Ok(())
    }

    /// A fresh code on an existing session; the previous code dies.
    /// Round trips: one `GetItem` and one `UpdateItem` (plus the two budget counters).
    pub async fn resend(
        &self,
        client: &str,
        key: &SessionKey,
        allow_expired: bool,
    ) -> Result<Session, ServiceError> {
        self.reissue(key, None, allow_expired, None, Some(client))
            .await
    }

    async fn reissue(
        &self,
        key: &SessionKey,
        to: Option<Destination>,
        allow_expired: bool,
        template: Option<&Template>,
        charge_client: Option<&str>,
    ) -> Result<Session, ServiceError> {
        let now = self.clock.now();
        // The read gives the code's shape (part of the session's policy) and refuses early
        // without a write; the conditional update below still decides races.
        let current = self
            .sessions
            .get(key)
            .await?
            .ok_or(ServiceError::NotFound)?;
        if let Some(refusal) = current.resend_refusal(now, allow_expired) {
            return Err(ServiceError::ResendRefused(refusal));
        }
        let destination = to.unwrap_or(current.destination);
        if let Some(client) = charge_client {
            self.spend_budgets(client, &destination, now).await?;
        }
        let code = Code::generate(current.policy.code_length.into(), current.policy.alphabet)?;
        let transition = Transition::Reissue {
            code_hash: self.hash(key, code.expose()),
            now,
            destination,
            allow_expired,
        };
        match self.sessions.apply(key, &transition).await? {
            Applied::Yes(mut session) => {
                if let Some(t) = template {
                    session.template = t.clone();
                }
                self.deliver(&session, &code).await?;
                Ok(session)
            }
            Applied::No(None) => Err(ServiceError::NotFound),
            Applied::No(Some(old)) => Err(ServiceError::ResendRefused(
                old.resend_refusal(now, allow_expired)
                    .unwrap_or(ResendRefusal::TooSoon {
                        retry_after_secs: 1,
                        cooldown_secs: old.policy.resend_cooldown_secs,
                    }),
            )),
        }
    }

    async fn deliver(&self, session: &Session, code: &Code) -> Result<(), ServiceError> {
        let rendered = session.template.render(code.expose());
        let channel = session.destination.channel();
        let email = channel == Channel::Email;
        let message = Message {
            to: session.destination.clone(),
            subject: rendered.subject.filter(|_| email),
            body: rendered.text,
            html: rendered.html.filter(|_| email),
            sender_id: session.extra.get(SENDER_ID).cloned(),
        };
        let Err(error) = self.sender.send(&message).await else {
            tracing::info!(channel = channel.as_str(), to = %session.destination.masked(), "code delivered");
            return Ok(());
        };
        tracing::warn!(channel = channel.as_str(), to = %session.destination.masked(), %error, "delivery failed");
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
    /// Round trips: one `GetItem` (plus one `UpdateItem` for a wrong code).
    pub async fn check(&self, key: &SessionKey, code: &str) -> Result<Outcome, ServiceError> {
        let now = self.clock.now();
        let session = self
            .sessions
            .get(key)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let hash = self.hash(key, code);
        match judge(&session, &hash, now) {
            Some(outcome) => Ok(outcome),
            None if session.code_hash.matches(&hash) => Ok(Outcome::Valid {
                attempts_left: session.attempts_left(),
            }),
            None => self.count_failure(key, &hash, now).await,
        }
    }

    /// Verifies and consumes a code: approves exactly once.
    /// Round trips: one `UpdateItem` for the right code, two for a wrong one.
    pub async fn verify(&self, key: &SessionKey, code: &str) -> Result<Outcome, ServiceError> {
        let now = self.clock.now();
        let hash = self.hash(key, code);
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
            Applied::Yes(s) => Ok(Outcome::Valid {
                attempts_left: s.attempts_left(),
            }),
            Applied::No(None) => Err(ServiceError::NotFound),
            Applied::No(Some(old)) => match judge(&old, &hash, now) {
                Some(outcome) => Ok(outcome),
                None => self.count_failure(key, &hash, now).await,
            },
        }
    }

    async fn count_failure(
        &self,
        key: &SessionKey,
        hash: &CodeHash,
        now: i64,
    ) -> Result<Outcome, ServiceError> {
        match self
            .sessions
            .apply(key, &Transition::CountFailure { now })
            .await?
        {
            Applied::Yes(s) => Ok(Outcome::Invalid {
                attempts_left: s.attempts_left(),
            }),
            Applied::No(None) => Err(ServiceError::NotFound),
            // The session changed under us (verified, exhausted or expired meanwhile).
            Applied::No(Some(s)) => Ok(judge(&s, hash, now).unwrap_or(Outcome::Invalid {
                attempts_left: s.attempts_left(),
            })),
        }
    }

    /// The session as it stands. Round trips: one `GetItem`.
    pub async fn status(&self, key: &SessionKey) -> Result<Session, ServiceError> {
        self.sessions.get(key).await?.ok_or(ServiceError::NotFound)
    }
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

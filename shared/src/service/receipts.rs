//! Delivery receipts: what a provider reports, later, of a message it accepted, recorded on
//! the session whose send the message carried. The stream of the store turns the record into
//! the `delivered` / `undelivered` lifecycle events; the fraud shield gives nothing back for a
//! message that never arrived, as for any unverified send.

use super::metrics;
use super::ServiceError;
use crate::app::App;
use crate::domain::destination::{fold_email, mask};
use crate::domain::{Receipt, Session, Timestamp, Transition};
use crate::ports::Applied;

/// What became of a receipt.
#[derive(Debug)]
pub enum Recorded {
    /// Recorded on the session, as it now stands.
    Current(Session),
    /// The session has sent a newer message since: the receipt is counted, not recorded.
    Stale(Session),
    /// No message of this service that is still remembered (another sender's, or its link
    /// has expired): ignored.
    Unknown,
}

impl App {
    /// Records `receipt` of the provider's message `message_id` (as the sender qualified it),
    /// counts it and logs what became of it. Round trips: one `GetItem` (the link) and one
    /// `UpdateItem`.
    pub async fn record_receipt(
        &self,
        message_id: &str,
        receipt: Receipt,
    ) -> Result<Recorded, ServiceError> {
        let outcome = receipt.outcome.as_str();
        let Some(link) = self.sessions.message_link(message_id).await? else {
            tracing::info!(%message_id, "receipt of no known message");
            return Ok(Recorded::Unknown);
        };
        let transition = Transition::Receipt {
            send: link.send,
            receipt: receipt.clone(),
        };
        let (session, current) = match self.sessions.apply(&link.session, &transition).await? {
            Applied::Yes(session) => (session, true),
            Applied::No(Some(session)) => (session, false),
            Applied::No(None) => {
                tracing::info!(%message_id, "receipt of a session no longer kept");
                return Ok(Recorded::Unknown);
            }
        };
        metrics::receipt(&session.key, &session.destination, &receipt);
        Ok(match current {
            true => {
                tracing::info!(%message_id, outcome, "receipt recorded");
                Recorded::Current(session)
            }
            false => {
                tracing::info!(%message_id, outcome, "receipt of an older send");
                Recorded::Stale(session)
            }
        })
    }

    /// Refuses sends to email `address` for `OTP_EMAIL_SUPPRESSION_DAYS` from `now`: it
    /// hard-bounced or its owner complained (`reason`), and logs it masked. `false` when
    /// suppression is off.
    pub async fn suppress_email(
        &self,
        address: &str,
        reason: &str,
        now: Timestamp,
    ) -> Result<bool, ServiceError> {
        let period = self.config.email_suppression_secs;
        if period == 0 {
            return Ok(false);
        }
        let address = fold_email(address);
        self.sessions
            .suppress(&address, reason, now + period)
            .await?;
        tracing::info!(to = %mask(&address), %reason, "address suppressed");
        Ok(true)
    }
}

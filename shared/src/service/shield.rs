//! The fraud shield on the send and guess paths, for every family: country rules, send
//! budgets, SMS-pumping velocity, guesses across sessions; and the give-back of a verified
//! send. In `record` mode a fraud rule logs what it would refuse and refuses nothing.

use super::metrics::{count, count_rule, Count};
use super::ServiceError;
use crate::app::App;
use crate::domain::{CounterKey, Destination, LimitScope, SendBudget, SessionKey, Timestamp};
use crate::ports::{Counter, StoreError};

/// The counters one send was charged to, so that a send refused or undelivered after its
/// admission is refunded: only what is delivered stays charged.
#[derive(Debug, Default)]
pub(super) struct Charges {
    /// Every counter key taken, in order.
    taken: Vec<CounterKey>,
    /// Those of them relative to verified sends (the give-back's, stored with the session).
    pub(super) relative: Vec<CounterKey>,
}

/// A counter a send is charged to.
struct Charge {
    scope: LimitScope,
    counter: Counter,
    resets_at: Timestamp,
    /// A fraud rule (which `record` mode only logs), not a budget (always enforced).
    rule: bool,
}

impl App {
    /// Admits one send to `destination` for `client`, in order: an email address's
    /// suppression (one `GetItem`; nothing written when it refuses), the country rules (nothing
    /// written when they refuse), the destination's and the client's budgets, then, for SMS
    /// off the safe list, the prefix, country and deployment counters. One `UpdateItem` per
    /// counter. Returns the counters charged; a refusal part-way refunds those already taken.
    pub(super) async fn admit(
        &self,
        client: &str,
        key: &SessionKey,
        destination: &Destination,
        now: Timestamp,
    ) -> Result<Charges, ServiceError> {
        if let Destination::Email(address) = destination {
            let until = self.sessions.suppressed_until(&address.folded()).await?;
            if let Some(until) = until.filter(|u| *u > now) {
                tracing::info!(to = %destination.masked(), "send refused: the address bounced or complained");
                return Err(ServiceError::Suppressed {
                    retry_after_secs: u32::try_from(until - now).unwrap_or(u32::MAX),
                });
            }
        }
        let fraud = &self.config.fraud;
        let country = destination.sms_country();
        if let Some(c) = &country {
            if !fraud.countries_of(client).allows(c) {
                self.flag("country-not-allowed", key, destination, c);
                if fraud.enforced() {
                    return Err(ServiceError::CountryRefused { country: c.clone() });
                }
            }
        }
        let mut destination_charge = charge(
            LimitScope::Destination,
            &self.config.destination_budget,
            &self.destination_id(destination),
            now,
        );
        destination_charge.counter.guess_limit = fraud.enforced().then_some(fraud.guesses);
        let mut charges = vec![
            destination_charge,
            charge(
                LimitScope::Client,
                &self.config.client_budget,
                &format!("c#{client}"),
                now,
            ),
        ];
        if let (Some(c), Destination::Phone(p)) = (&country, destination) {
            if !fraud.safe(p.as_str()) {
                let digits = &p.as_str()[1..];
                let prefix = &digits[..digits.len().min(fraud.prefix_digits)];
                let per_minute = SendBudget {
                    limit: fraud.sms_per_minute,
                    window_secs: 60,
                };
                // Unverified sends per prefix and country may also reach the window's verified
                // ones (`relative`): the limit grows with genuine traffic.
                charges.extend([
                    rule(
                        charge(
                            LimitScope::Prefix,
                            &fraud.prefix,
                            &format!("p#+{prefix}"),
                            now,
                        ),
                        true,
                    ),
                    rule(
                        charge(LimitScope::Country, &fraud.country, &format!("k#{c}"), now),
                        true,
                    ),
                    rule(
                        charge(LimitScope::Deployment, &per_minute, "g#sms", now),
                        false,
                    ),
                ]);
            }
        }
        let mut charged = Charges::default();
        for c in charges {
            let taken = match self.counters.take(&c.counter).await {
                Ok(taken) => taken,
                Err(e) => {
                    self.refund(&charged).await;
                    return Err(e.into());
                }
            };
            if taken {
                if c.counter.relative {
                    charged.relative.push(c.counter.key.clone());
                }
                charged.taken.push(c.counter.key);
                continue;
            }
            if c.rule {
                let country = country.as_deref().unwrap_or("-");
                self.flag(c.scope.as_str(), key, destination, country);
            } else {
                count(Count::RateLimited, key, destination, 1);
            }
            if !c.rule || fraud.enforced() {
                self.refund(&charged).await;
                return Err(ServiceError::RateLimited {
                    scope: c.scope,
                    retry_after_secs: u32::try_from(c.resets_at - now).unwrap_or(u32::MAX).max(1),
                });
            }
        }
        Ok(charged)
    }

    /// Takes back what `charges` took, for a send that was not delivered. A refund the store
    /// refuses is logged: the counter stays over by one, the safe side of a budget.
    pub(super) async fn refund(&self, charges: &Charges) {
        for key in &charges.taken {
            if let Err(error) = self.counters.refund(key).await {
                tracing::warn!(%error, "could not refund a send's counter");
            }
        }
    }

    /// Counts a wrong code against `destination`'s guesses across sessions; `false` when they
    /// are spent and the shield enforces (the caller then locks the session).
    pub(super) async fn take_guess(
        &self,
        key: &SessionKey,
        destination: &Destination,
        now: Timestamp,
    ) -> Result<bool, ServiceError> {
        let fraud = &self.config.fraud;
        let budget = &self.config.destination_budget;
        let counter = charge(
            LimitScope::Destination,
            budget,
            &self.destination_id(destination),
            now,
        )
        .counter;
        if self
            .counters
            .take_guess(&counter.key, fraud.guesses, counter.purge_at)
            .await?
        {
            return Ok(true);
        }
        let country = destination.sms_country();
        let country = country.as_deref().unwrap_or("-");
        self.flag("guesses", key, destination, country);
        Ok(!fraud.enforced())
    }

    /// Gives a verified session's first send back to the velocity counters it was charged to
    /// (`Attributes::charged`): sends that end verified are not the pumping signal. One
    /// `UpdateItem` per counter. Run off the request path (the sessions table's stream) in AWS.
    pub async fn give_back(&self, charged: &[CounterKey]) -> Result<(), StoreError> {
        for key in charged {
            self.counters.give_back(key).await?;
        }
        Ok(())
    }

    /// The destination's counter id: a keyed hash, never the number or address.
    fn destination_id(&self, destination: &Destination) -> String {
        let digest = self.config.pepper.digest("budget", destination.as_str());
        format!("d#{}", &digest.to_hex()[..32])
    }

    /// Logs and counts a fraud rule's refusal (or, in `record` mode, the refusal it would make).
    fn flag(&self, rule: &str, key: &SessionKey, destination: &Destination, country: &str) {
        let (mode, counted) = match self.config.fraud.enforced() {
            true => ("enforce", Count::FraudBlocked),
            false => ("record", Count::FraudFlagged),
        };
        tracing::warn!(rule, mode, to = %destination.masked(), country, "fraud rule refused");
        count_rule(counted, key, destination, Some(rule), 1);
    }
}

/// `charge` as a fraud rule, relative to the window's verified sends or not.
fn rule(charge: Charge, relative: bool) -> Charge {
    Charge {
        rule: true,
        counter: Counter {
            relative,
            ..charge.counter
        },
        ..charge
    }
}

/// `budget`'s counter for `id` in the window of `now`, as a budget (not a fraud rule).
fn charge(scope: LimitScope, budget: &SendBudget, id: &str, now: Timestamp) -> Charge {
    let window = budget.window(id, now);
    Charge {
        scope,
        counter: Counter {
            key: window.key,
            limit: budget.limit,
            relative: false,
            guess_limit: None,
            purge_at: window.resets_at + i64::from(budget.window_secs),
        },
        resets_at: window.resets_at,
        rule: false,
    }
}

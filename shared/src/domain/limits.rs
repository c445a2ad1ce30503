//! Abuse limits: send budgets over fixed windows, per destination and per client, and the
//! fraud shield's counters (per number prefix, per country, per deployment).

use super::key::CounterKey;
use super::session::Timestamp;

/// At most `limit` sends per `window_secs`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SendBudget {
    pub limit: u32,
    pub window_secs: u32,
}

/// Which budget a refusal came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitScope {
    Destination,
    Client,
    /// Unverified SMS to one number prefix (SMS pumping).
    Prefix,
    /// Unverified SMS to one country.
    Country,
    /// SMS per minute for the whole deployment.
    Deployment,
}

impl LimitScope {
    /// The name logs and documentation use.
    pub fn as_str(self) -> &'static str {
        match self {
            LimitScope::Destination => "destination",
            LimitScope::Client => "client",
            LimitScope::Prefix => "prefix",
            LimitScope::Country => "country",
            LimitScope::Deployment => "deployment",
        }
    }
}

/// The counter of one window: its store key and when it resets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Window {
    pub key: CounterKey,
    pub resets_at: Timestamp,
}

impl SendBudget {
    /// The window `now` falls in, for the budget identified by `scope_id`.
    pub fn window(&self, scope_id: &str, now: Timestamp) -> Window {
        let width = i64::from(self.window_secs.max(1));
        let index = now.div_euclid(width);
        Window {
            key: CounterKey::new(scope_id, index),
            resets_at: (index + 1) * width,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_fixed_and_reset_on_their_boundary() {
        let budget = SendBudget {
            limit: 3,
            window_secs: 600,
        };
        let a = budget.window("d#x", 1_200);
        let b = budget.window("d#x", 1_799);
        let c = budget.window("d#x", 1_800);
        assert_eq!(a, b);
        assert_eq!(a.resets_at, 1_800);
        assert_ne!(a.key, c.key);
    }
}

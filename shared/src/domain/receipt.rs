//! What a provider reports, later, of a message it accepted: SNS's SMS delivery status logs,
//! SES's delivery, bounce and complaint events.

use super::Timestamp;

/// A delivery receipt, recorded on the session whose send the message carried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    pub outcome: Outcome,
    /// The provider's words: SNS `providerResponse`, an SES bounce or complaint type.
    pub reason: Option<String>,
    /// When the provider reported it.
    pub at: Timestamp,
    /// What the message cost, in millionths of a US dollar (SNS `priceInUSD`).
    pub price_micro_usd: Option<u64>,
    /// Time from publish to the carrier's hand-off (SNS `dwellTimeMs`).
    pub dwell_ms: Option<u64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    /// Never arrived: a carrier failure or an email's bounce.
    Failed,
    /// Arrived, and the recipient marked it as spam (SES complaint).
    Complained,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Delivered => "delivered",
            Outcome::Failed => "failed",
            Outcome::Complained => "complained",
        }
    }

    pub fn parse(s: &str) -> Option<Outcome> {
        [Outcome::Delivered, Outcome::Failed, Outcome::Complained]
            .into_iter()
            .find(|o| o.as_str() == s)
    }
}

/// A price in US dollars as millionths (`0.00645` → 6450); `None` for a negative or absurd one.
pub fn micro_usd(usd: f64) -> Option<u64> {
    (usd.is_finite() && (0.0..1_000.0).contains(&usd)).then(|| (usd * 1e6).round() as u64)
}

/// Millionths of a US dollar as the decimal the report shows (`6450` → `0.00645`).
pub fn usd(micro: u64) -> String {
    let s = format!("{}.{:06}", micro / 1_000_000, micro % 1_000_000);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_keep_their_digits() {
        assert_eq!(micro_usd(0.00645), Some(6450));
        assert_eq!(usd(6450), "0.00645");
        assert_eq!(usd(1_250_000), "1.25");
        assert_eq!(usd(0), "0");
        assert_eq!(micro_usd(-1.0), None);
        assert_eq!(micro_usd(f64::NAN), None);
    }
}

//! What the service counts, through the `metrics` facade: a counter per question the dashboard
//! answers, with dimensions `family` and `channel` only. The destination's `country` and the
//! fraud `rule` are request properties, collected by `with_properties` for the exporter (EMF in
//! otp-aws), so CloudWatch's dimension sets stay family × channel. With no recorder installed
//! (local server, unit tests) counting is a no-op. Never a code, a token or a full
//! destination: a fraud refusal adds its client and masked destination, for its `blocked` event.

use crate::domain::receipt::Outcome;
use crate::domain::{Destination, Receipt, SessionKey};
use ::metrics::Label;
use std::cell::RefCell;
use std::future::Future;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Count {
    /// A code handed to SNS or SES (first sends and resends).
    CodesSent,
    /// The provider accepted it.
    CodesDelivered,
    /// The provider refused it (the code then can never verify).
    DeliveryFailed,
    /// SMS segments the accepted messages bill as.
    SmsSegments,
    Verified,
    WrongAttempts,
    /// A code presented after its session expired.
    Expired,
    /// A session locked by its last attempt or by the destination's guesses running out.
    Locked,
    /// A send refused by a budget or the resend rules (429).
    RateLimited,
    /// A send or a guess refused by a fraud rule (country, prefix, country velocity,
    /// deployment ceiling, guesses).
    FraudBlocked,
    /// What a fraud rule would have refused, in `record` mode.
    FraudFlagged,
}

impl Count {
    /// The CloudWatch metric name.
    pub const fn name(self) -> &'static str {
        match self {
            Count::CodesSent => "CodesSent",
            Count::CodesDelivered => "CodesDelivered",
            Count::DeliveryFailed => "DeliveryFailed",
            Count::SmsSegments => "SmsSegments",
            Count::Verified => "Verified",
            Count::WrongAttempts => "WrongAttempts",
            Count::Expired => "Expired",
            Count::Locked => "Locked",
            Count::RateLimited => "RateLimited",
            Count::FraudBlocked => "FraudBlocked",
            Count::FraudFlagged => "FraudFlagged",
        }
    }
}

/// Properties of the request being served: (name, value), latest value per name.
pub type Properties = Vec<(&'static str, String)>;

tokio::task_local! {
    static PROPERTIES: RefCell<Properties>;
}

/// Runs `work`, returning with its output the properties the counts it made carry.
pub async fn with_properties<F: Future>(work: F) -> (F::Output, Properties) {
    PROPERTIES
        .scope(RefCell::new(Vec::new()), async {
            let output = work.await;
            (output, PROPERTIES.with(|p| p.take()))
        })
        .await
}

/// Sets a property of the request (a no-op outside `with_properties`).
fn property(name: &'static str, value: String) {
    let _ = PROPERTIES.try_with(|p| {
        let mut p = p.borrow_mut();
        p.retain(|(n, _)| *n != name);
        p.push((name, value));
    });
}

/// Sets a property the request does not have yet, computing it only then: a send counts
/// several times, its number is parsed for the country once (and never with no exporter).
fn property_once(name: &'static str, value: impl FnOnce() -> Option<String>) {
    let _ = PROPERTIES.try_with(|p| {
        let mut p = p.borrow_mut();
        if !p.iter().any(|(n, _)| *n == name) {
            if let Some(value) = value() {
                p.push((name, value));
            }
        }
    });
}

/// An accepted SMS: its segments, and its encoding as a property.
pub fn sms_sent(key: &SessionKey, destination: &Destination, m: crate::domain::sms::Measure) {
    count(Count::SmsSegments, key, destination, m.segments.into());
    property("encoding", m.encoding.as_str().to_string());
}

/// A delivery receipt: `Delivered`, `Undelivered` or `Complained` by family and channel (the
/// alarms' sums), and, for an SMS, by destination country too, with its price in millionths
/// of a dollar (`SmsPriceMicroUSD`). Country is a dimension only here, where it is the
/// question (delivery rate and spend by country): only countries sent to appear.
pub fn receipt(key: &SessionKey, destination: &Destination, receipt: &Receipt) {
    let name = match receipt.outcome {
        Outcome::Delivered => "Delivered",
        Outcome::Failed => "Undelivered",
        Outcome::Complained => "Complained",
    };
    let family = key.family().map_or("unknown", |f| f.name());
    let channel = destination.channel().as_str();
    ::metrics::counter!(name, "family" => family, "channel" => channel).increment(1);
    let Some(country) = destination.sms_country() else {
        return;
    };
    ::metrics::counter!(format!("Sms{name}"), "country" => country.clone()).increment(1);
    if let Some(price) = receipt.price_micro_usd {
        ::metrics::counter!("SmsPriceMicroUSD", "country" => country).increment(price);
    }
}

/// Counts `n` of `what` for the session `key` to `destination`.
pub fn count(what: Count, key: &SessionKey, destination: &Destination, n: u64) {
    count_rule(what, key, destination, None, n);
}

/// `count`, naming the fraud rule that refused.
pub fn count_rule(
    what: Count,
    key: &SessionKey,
    destination: &Destination,
    rule: Option<&str>,
    n: u64,
) {
    let family = key.family().map_or("unknown", |f| f.name());
    let labels = [
        Label::new("family", family),
        Label::new("channel", destination.channel().as_str()),
    ];
    ::metrics::counter!(what.name(), labels.iter()).increment(n);
    property_once("country", || destination.sms_country());
    if let Some(rule) = rule {
        // What a `blocked` lifecycle event reports (otp-aws reads it from this line).
        property("rule", rule.to_string());
        property("destination", destination.masked());
        if let Some((_, client, _)) = key.parts() {
            property("client", client);
        }
    }
}

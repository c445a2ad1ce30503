//! Medians and tails of measured durations.

use std::time::Duration;

#[derive(Clone, Copy, Default)]
pub struct Summary {
    pub p50: Duration,
    pub p95: Duration,
    pub p99: Duration,
}

impl Summary {
    pub fn of(mut samples: Vec<Duration>) -> Summary {
        samples.sort();
        let at = |p: f64| {
            samples
                .get(((samples.len().max(1) - 1) as f64 * p).round() as usize)
                .copied()
                .unwrap_or_default()
        };
        Summary {
            p50: at(0.5),
            p95: at(0.95),
            p99: at(0.99),
        }
    }
}

/// Milliseconds with two decimals.
pub fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// Microseconds with one decimal.
pub fn us(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

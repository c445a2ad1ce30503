//! CloudWatch Embedded Metric Format: the service's counts (`otp_core::service::metrics`) as
//! JSON lines on stdout, which CloudWatch Logs turns into metrics with no API call. Written by
//! `metrics_cloudwatch_embedded`, flushed after each invocation with that request's properties
//! (`country`, `rule`) and the function's name.

use metrics_cloudwatch_embedded::{Builder, Collector};
use otp_core::service::metrics::{with_properties, Properties};
use std::future::Future;

/// The CloudWatch namespace of the metrics (`OtpVerification` when unset).
pub const NAMESPACE: &str = "OTP_METRICS_NAMESPACE";
pub const DEFAULT_NAMESPACE: &str = "OtpVerification";
/// Counted once per process, with the `function` dimension.
pub const COLD_START: &str = "ColdStart";

/// The process's metrics exporter.
#[derive(Clone, Copy)]
pub struct Emf(&'static Collector);

impl Emf {
    /// Installs the exporter as the process's recorder and counts the cold start.
    pub fn install(namespace: &str, function: &'static str) -> Result<Emf, String> {
        let collector = Builder::new()
            .cloudwatch_namespace(namespace.to_string())
            .init()
            .map_err(|e| format!("metrics exporter: {e}"))?;
        collector.set_property("function", function);
        metrics::counter!(COLD_START, "function" => function).increment(1);
        Ok(Emf(collector))
    }

    /// `install` with the namespace from the environment.
    pub fn from_env(function: &'static str) -> Result<Emf, String> {
        let namespace = std::env::var(NAMESPACE)
            .ok()
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| DEFAULT_NAMESPACE.into());
        Emf::install(&namespace, function)
    }

    /// Runs one invocation, then writes its metrics to stdout.
    pub async fn invoke<F: Future>(self, work: F) -> F::Output {
        let (output, properties) = with_properties(work).await;
        if let Err(error) = self.flush(&properties, std::io::stdout().lock()) {
            tracing::warn!(%error, "could not write the metrics");
        }
        output
    }

    /// Writes the counts made since the last flush, one document per dimension set, with
    /// `properties`; they do not outlive the flush.
    pub fn flush(
        self,
        properties: &Properties,
        writer: impl std::io::Write,
    ) -> std::io::Result<()> {
        for (name, value) in properties {
            self.0.set_property(*name, value.clone());
        }
        let written = self.0.flush(writer);
        for (name, _) in properties {
            self.0.remove_property(*name);
        }
        written
    }
}

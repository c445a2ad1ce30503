//! `POST /webhooks/sms-receipts`: a signed-webhook relay reports what became of an SMS the
//! service handed it (`OTP_SMS_WEBHOOK_URL`), signed per Standard Webhooks under the same
//! secret. Recorded like SNS's receipts (`App::record_receipt`); answers in the Verify API's
//! form.

use crate::app::App;
use crate::dialects::problem::{Problem, Reason};
use crate::dialects::Reply;
use crate::domain::receipt::{micro_usd, Outcome};
use crate::domain::webhook_signature::verify;
use crate::domain::Receipt;
use crate::http::fields::{Decimal, Faults, Input, Str};
use crate::http::{self, header_str};
use lambda_http::Request;

/// A receipt as a relay posts it.
#[derive(Default, serde::Deserialize)]
#[serde(default)]
struct ReceiptBody {
    /// The `webhook-id` of the SMS it reports on (the `id` of the service's request).
    id: Input<Str>,
    /// `delivered` or `failed`.
    status: Input<Str>,
    /// The provider's words, for a failure.
    reason: Input<Str>,
    price_usd: Input<Decimal>,
}

/// The longest `reason` kept; a provider's text beyond it is cut.
const REASON_CHARS: usize = 500;

pub async fn handle(app: &App, req: &Request, _language: &str) -> Result<Reply, Problem> {
    authentic(app, req)?;
    let body: ReceiptBody = http::body(req)?;
    let mut f = Faults::default();
    let id = f.req("id", body.id);
    if id.as_ref().is_some_and(|i| i.is_empty() || i.len() > 200) {
        f.invalid(
            "id",
            "must be the webhook-id of the SMS request, 1-200 characters",
        );
    }
    let status = f.req("status", body.status);
    let outcome = status.as_deref().and_then(|s| match s {
        "delivered" => Some(Outcome::Delivered),
        "failed" => Some(Outcome::Failed),
        _ => None,
    });
    if status.is_some() && outcome.is_none() {
        f.invalid("status", "must be delivered or failed");
    }
    let reason = f.opt("reason", body.reason);
    let price = f.opt("price_usd", body.price_usd);
    let micro = price.and_then(micro_usd);
    if price.is_some() && micro.is_none() {
        f.invalid("price_usd", "must be a number from 0 to 1000");
    }
    let (Some(id), Some(outcome), true) = (id, outcome, f.errors.is_empty()) else {
        return Err(Problem::invalid(f.errors));
    };
    let receipt = Receipt {
        outcome,
        reason: reason.map(|r| r.chars().take(REASON_CHARS).collect()),
        at: app.clock.now(),
        price_micro_usd: micro,
        dwell_ms: None,
    };
    // Recorded, stale or unknown: acknowledged alike, so the relay stops retrying.
    app.record_receipt(&format!("webhook:{id}"), receipt)
        .await?;
    Ok(http::ok(&serde_json::json!({})))
}

/// The request is signed under the webhook's secret, within the signature's tolerance; else
/// unauthorized. No secret configured: nothing can be verified, so nothing is accepted.
fn authentic(app: &App, req: &Request) -> Result<(), Problem> {
    let Some(key) = &app.config.sms_webhook_key else {
        tracing::warn!("SMS receipt refused: no webhook secret is configured to verify it");
        return Err(Problem::new(Reason::Unauthorized));
    };
    let id = header_str(req, "webhook-id").unwrap_or_default();
    let timestamp = header_str(req, "webhook-timestamp").and_then(|t| t.trim().parse().ok());
    let signatures = header_str(req, "webhook-signature").unwrap_or_default();
    let body: &[u8] = req.body().as_ref();
    let now = app.clock.now();
    match timestamp.is_some_and(|t| verify(key.bytes(), id, t, body, signatures, now)) {
        true => Ok(()),
        false => Err(Problem::new(Reason::Unauthorized)),
    }
}

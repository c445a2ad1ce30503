//! The header contract shared by the telemarketing and RAO families: `client_id` +
//! `Authorization` checked against the access configuration, the `uuid`, `Accept`,
//! `countryCode`, `businessCode` and `channelId` headers, and the error envelope
//! `{type, code, details, location, moreInfo, timestamp[, uuid]}`. Each family adds its table.

use super::problem::{self, Ctx, Dialect, Problem, Reason, Rejection};
use super::Reply;
use crate::app::App;
use crate::config::access::{valid_business, valid_channel, valid_country};
use crate::config::Access;
use crate::domain::i18n::Text;
use crate::domain::{Family, FamilyAttributes, ResendRefusal};
use crate::http::fields::{Fault, FieldError, Location};
use crate::http::{self, header_str};
use crate::service::Outcome;
use lambda_http::http::{HeaderValue, StatusCode};
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};
use std::future::Future;

/// The seed's `moreInfo` of `accessNotConfigured`.
pub const ACCESS_NOT_CONFIGURED: &str =
    "Channel/Country/Business provided in the request is not supported currently";

/// A request the contract admitted.
#[derive(Clone, Debug)]
pub struct Caller {
    pub client: String,
    pub country: String,
    pub business: String,
    pub channel: String,
}

impl Caller {
    /// What a session records of its caller.
    pub fn attributes(&self) -> FamilyAttributes {
        FamilyAttributes::Caller {
            country: self.country.clone(),
            business: self.business.clone(),
            channel: self.channel.clone(),
        }
    }
}

/// Admits a request: credentials first (401: an unauthenticated caller learns nothing of the
/// contract), then the headers (400 naming each faulty one), then access (403).
pub fn admit(access: &Access, req: &Request) -> Result<Caller, Problem> {
    let token = header_str(req, "authorization").map(|v| match v.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        _ => v,
    });
    let client = header_str(req, "client_id")
        .zip(token)
        .and_then(|(id, token)| access.authenticate(id, token))
        .ok_or_else(|| Problem::new(Reason::Unauthorized))?;

    let mut faults = Vec::new();
    let mut header = |name: &str, valid: fn(&str) -> bool, rule: &str| {
        check_header(req, name, valid, rule)
            .map_err(|fault| faults.push(fault))
            .map(str::to_ascii_uppercase)
            .unwrap_or_default()
    };
    header("uuid", valid_uuid, "must be 1-128 of [A-Za-z0-9._:-]");
    let country = header("countryCode", valid_country, "must be 2 letters");
    let business = header("businessCode", valid_business, "must be 3 letters");
    let channel = header("channelId", valid_channel, "must be 1-32 of [A-Za-z0-9_-]");
    if header_str(req, "accept").is_some_and(|a| !accepts_json(a)) {
        faults.push(FieldError::invalid(
            Location::Header,
            "Accept",
            "only application/json is served",
        ));
    }
    if !faults.is_empty() {
        return Err(Problem::invalid(faults));
    }
    if !client.allows(&country, &business, &channel) {
        return Err(Problem::new(Reason::Forbidden));
    }
    Ok(Caller {
        client: client.id().to_string(),
        country,
        business,
        channel,
    })
}

/// The request id the caller sends for tracking (not necessarily a UUID: the seed's own
/// example is not one).
fn valid_uuid(v: &str) -> bool {
    (1..=128).contains(&v.len())
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._:-".contains(c))
}

/// Whether an `Accept` header admits `application/json` (`application/*`, `*/*`, q > 0).
fn accepts_json(accept: &str) -> bool {
    accept.split(',').any(|range| {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or_default().to_ascii_lowercase();
        let refused = parts.any(|p| {
            p.strip_prefix("q=")
                .and_then(|q| q.parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        !refused && matches!(media.as_str(), "application/json" | "application/*" | "*/*")
    })
}

/// The request's `uuid`, when valid (echoed in the `uuid` header and the RAO envelope).
pub fn request_uuid(req: &Request) -> Option<&str> {
    header_str(req, "uuid").filter(|v| valid_uuid(v))
}

/// A header the caller must send, or a 400 naming it.
pub fn required_header<'a>(
    req: &'a Request,
    name: &str,
    valid: impl Fn(&str) -> bool,
    rule: &str,
) -> Result<&'a str, Problem> {
    Ok(check_header(req, name, valid, rule)?)
}

/// A required header's value, or the fault naming it (missing, or against `rule`).
fn check_header<'a>(
    req: &'a Request,
    name: &str,
    valid: impl Fn(&str) -> bool,
    rule: &str,
) -> Result<&'a str, FieldError> {
    match header_str(req, name).filter(|v| !v.is_empty()) {
        None => Err(FieldError::new(Location::Header, name, Fault::Missing)),
        Some(v) if !valid(v) => Err(FieldError::invalid(Location::Header, name, rule)),
        Some(v) => Ok(v),
    }
}

/// One row of a family's error table.
pub struct Entry {
    pub status: StatusCode,
    /// `invalid`, `error`, `warn` or `fatal`.
    pub kind: &'static str,
    pub code: &'static str,
    pub details: &'static str,
    /// What `location` names when no input is at fault.
    pub location: &'static str,
    /// `moreInfo` when no input is at fault.
    pub more_info: String,
}

impl Entry {
    pub fn new(
        status: StatusCode,
        kind: &'static str,
        code: &'static str,
        details: &'static str,
    ) -> Entry {
        Entry {
            status,
            kind,
            code,
            details,
            location: "",
            more_info: details.to_string(),
        }
    }

    pub fn at(self, location: &'static str) -> Entry {
        Entry { location, ..self }
    }

    pub fn info(self, more_info: impl Into<String>) -> Entry {
        Entry {
            more_info: more_info.into(),
            ..self
        }
    }

    /// Rows both families share: credentials (401, in the family's words), access and the
    /// phone's country (403, the country refusal located at the family's phone field) and
    /// sending too often (429, as every family).
    pub fn shared(problem: &Problem, language: &str, form: &Form) -> Option<Entry> {
        let too_many = |text: Text| {
            Entry::new(
                StatusCode::TOO_MANY_REQUESTS,
                "error",
                "tooManyRequests",
                "Too many requests",
            )
            .info(text.in_language(language))
        };
        Some(match problem.reason {
            Reason::Unauthorized => Entry::new(
                StatusCode::UNAUTHORIZED,
                "error",
                "unAuthorized",
                form.unauthorized,
            )
            .at("client_id/Authorization"),
            Reason::Forbidden => Entry::new(
                StatusCode::FORBIDDEN,
                "invalid",
                "accessNotConfigured",
                "The request operation is not configured to access this resource",
            )
            .at("countryCode/businessCode/channelId")
            .info(ACCESS_NOT_CONFIGURED),
            Reason::CountryRefused => Entry::new(
                StatusCode::FORBIDDEN,
                "invalid",
                "destinationNotAllowed",
                "The phone number's country is not allowed",
            )
            .at(form.phone_field)
            .info(Text::CountryRefused.in_language(language)),
            // Email only: these families send SMS, so they never answer this.
            Reason::Suppressed => Entry::new(
                StatusCode::FORBIDDEN,
                "invalid",
                "destinationSuppressed",
                "The destination bounced or complained",
            )
            .info(Text::Suppressed.in_language(language)),
            Reason::KeyReused => Entry::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                "idempotencyKeyReused",
                "The Idempotency-Key was used for a different request",
            )
            .info(Text::KeyReused.in_language(language)),
            Reason::KeyInFlight => Entry::new(
                StatusCode::CONFLICT,
                "error",
                "idempotencyKeyInFlight",
                "A request with this Idempotency-Key is still being processed",
            )
            .info(Text::KeyInFlight.in_language(language)),
            Reason::MethodNotAllowed => Entry::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "invalid",
                "methodNotAllowed",
                "The method is not allowed on this resource",
            )
            .info(Text::MethodNotAllowed.in_language(language)),
            Reason::TooLarge => Entry::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "invalid",
                "payloadTooLarge",
                "The request body is too large",
            )
            .info(Text::TooLarge.in_language(language)),
            Reason::RateLimited(_) => too_many(Text::RateLimited),
            Reason::ResendRefused(ResendRefusal::TooSoon { .. }) => too_many(Text::ResendTooSoon),
            Reason::ResendRefused(ResendRefusal::TooManySends) => too_many(Text::TooManySends),
            _ => return None,
        })
    }
}

/// Whether a family's error envelope carries the request's `uuid` header.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Uuid {
    /// RAO echoes it.
    Echoed,
    /// Telemarketing does not.
    Omitted,
}

/// What sets a header-contract family's envelope apart, besides its table.
pub struct Form {
    /// The body field a refused phone number is located at.
    pub phone_field: &'static str,
    pub uuid: Uuid,
    /// The `details` of a 401.
    pub unauthorized: &'static str,
}

/// A header-contract family's wire form: the rows both families share (`Entry::shared`), its
/// own table for the rest, in the one envelope.
pub trait Contract {
    const FORM: Form;
    /// The family's table: each reason's status, type, code, details and, when no input is
    /// at fault, location and moreInfo.
    fn table(problem: &Problem, language: &str) -> Entry;
}

impl<C: Contract> Dialect for C {
    fn render(problem: &Problem, ctx: &Ctx) -> (StatusCode, Value) {
        let entry = Entry::shared(problem, ctx.language, &C::FORM)
            .unwrap_or_else(|| C::table(problem, ctx.language));
        envelope(problem, ctx, entry, C::FORM.uuid == Uuid::Echoed)
    }
}

/// The envelope of `entry`; the first faulty input, if any, is the `location` and its rule
/// the `moreInfo`. `with_uuid`: the RAO form, which carries the request's `uuid`.
fn envelope(problem: &Problem, ctx: &Ctx, entry: Entry, with_uuid: bool) -> (StatusCode, Value) {
    let (location, more_info) = match problem.field() {
        Some(f) if f.field.is_empty() => (f.location.as_str().to_string(), f.message()),
        Some(f) => (
            f.field.clone(),
            format!("{} {}: {}", f.location.as_str(), f.field, f.message()),
        ),
        None => (entry.location.to_string(), entry.more_info),
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut body = json!({
        "type": entry.kind,
        "code": entry.code,
        "details": entry.details,
        "location": location,
        "moreInfo": more_info,
        "timestamp": http::rfc3339(now),
    });
    if with_uuid {
        let uuid = request_uuid(ctx.request).unwrap_or(&ctx.correlation_id);
        body["uuid"] = Value::from(uuid);
    }
    (entry.status, body)
}

/// A header-contract send: the caller admitted, then `open` run once per `Idempotency-Key`.
pub async fn send_once<F, Fut>(
    app: &App,
    req: &Request,
    family: Family,
    open: F,
) -> Result<Reply, Problem>
where
    F: FnOnce(Caller) -> Fut,
    Fut: Future<Output = Result<Reply, Problem>>,
{
    let caller = admit(&app.config.access, req)?;
    let client = caller.client.clone();
    super::idempotency::once(app, req, family, &client, open(caller)).await
}

/// A validate endpoint's answer: `{}` for the right code, once. Single use: a spent code
/// (the session already validated) is as wrong as a wrong one.
pub fn single_use(outcome: Outcome) -> Result<Reply, Problem> {
    let rejection = match outcome {
        Outcome::Valid { .. } => return Ok(http::ok(&json!({}))),
        Outcome::AlreadyVerified | Outcome::Invalid { .. } => Rejection::Wrong,
        Outcome::Expired => Rejection::Expired,
        Outcome::AttemptsExceeded => Rejection::AttemptsExhausted,
    };
    Err(Problem::new(Reason::CodeRejected(rejection)))
}

/// `problem::finish`, and the request's `uuid` echoed in the `uuid` response header.
pub fn finish<D: Dialect>(
    req: &Request,
    language: &str,
    result: Result<Response<Body>, Problem>,
) -> Response<Body> {
    let mut res = problem::finish::<D>(req, language, result);
    if let Some(value) = request_uuid(req).and_then(|u| HeaderValue::from_str(u).ok()) {
        res.headers_mut().insert("uuid", value);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_headers_that_admit_json() {
        for ok in [
            "application/json",
            "*/*",
            "text/html, application/*;q=0.5",
            "Application/JSON; charset=utf-8",
        ] {
            assert!(accepts_json(ok), "{ok}");
        }
        for refused in ["text/html", "application/xml", "application/json;q=0", ""] {
            assert!(!accepts_json(refused), "{refused}");
        }
    }

    #[test]
    fn request_ids_need_not_be_uuids() {
        assert!(valid_uuid("a7d1e304-83a9-4413-af97-62615e57eae66807840"));
        assert!(!valid_uuid(""));
        assert!(!valid_uuid("a b"));
        assert!(!valid_uuid(&"a".repeat(129)));
    }
}

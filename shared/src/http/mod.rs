//! HTTP plumbing shared by the dialects: request context, headers, body and field parsing,
//! JSON responses. It knows no route table and no `App`.

pub mod fields;

use fields::{FieldError, Location};
use lambda_http::http::{header, HeaderValue, StatusCode};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};

/// Largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 8 * 1024;

/// Marks a request whose body the server stopped reading at its limit (the local server): the
/// route answers 413 in its family's form.
#[derive(Clone, Copy, Debug)]
pub struct BodyTooLarge;

/// Whether the body is past `MAX_BODY_BYTES` (or was cut off before it was read).
pub fn body_too_large(req: &Request) -> bool {
    req.body().len() > MAX_BODY_BYTES || req.extensions().get::<BodyTooLarge>().is_some()
}

/// Headers that carry a caller's identity or a request's contract: each is sent once, as one
/// value, so no layer can read a different one than another ("first wins").
pub const SINGLE_HEADERS: [&str; 8] = [
    "Authorization",
    "client_id",
    "sid",
    "uuid",
    "Idempotency-Key",
    "countryCode",
    "businessCode",
    "channelId",
];

/// The first of `SINGLE_HEADERS` sent more than once, or as the comma-joined list that API
/// Gateway's HTTP API makes of repeated headers.
pub fn repeated_header(req: &Request) -> Option<&'static str> {
    SINGLE_HEADERS.into_iter().find(|name| {
        let mut values = req.headers().get_all(*name).iter();
        let first = values.next();
        values.next().is_some() || first.is_some_and(|v| v.as_bytes().contains(&b','))
    })
}

/// The id that ties a request's log line, its error responses and the caller together.
#[derive(Clone, Debug)]
pub struct CorrelationId(pub String);

/// `X-Correlation-Id` (if sane), else the API Gateway request id, else 32 random hex chars.
pub fn correlation_id(req: &Request) -> String {
    if let Some(id) = req.extensions().get::<CorrelationId>() {
        return id.0.clone();
    }
    let sane = |s: &str| {
        !s.is_empty()
            && s.len() <= 128
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.:=+/".contains(c))
    };
    if let Some(id) = header_str(req, "x-correlation-id").filter(|s| sane(s)) {
        return id.to_string();
    }
    let gateway = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(c)) => c.request_id.clone(),
        Some(RequestContext::ApiGatewayV1(c)) => c.request_id.clone(),
        _ => None,
    };
    gateway
        .filter(|s| sane(s))
        .or_else(|| crate::domain::code::random_hex_id().ok())
        .unwrap_or_else(|| "0".repeat(32))
}

/// A header as text, if present and visible ASCII.
pub fn header_str<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// The bearer token of the `Authorization` header.
pub fn bearer(req: &Request) -> Option<&str> {
    let value = header_str(req, "authorization")?;
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()).then(|| token.trim())
}

/// Language of the response: `language` query parameter, `Accept-Language`, then `fallback`.
pub fn language(req: &Request, fallback: &str) -> String {
    let query = req
        .query_string_parameters_ref()
        .and_then(|q| q.first("language").map(str::to_string));
    crate::domain::i18n::negotiate(
        query.as_deref(),
        header_str(req, "accept-language"),
        fallback,
    )
}

/// A path parameter, as API Gateway (or the router, for the local server) set it.
pub fn path_param<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.path_parameters_ref().and_then(|p| p.first(name))
}

/// RFC 3339 UTC (`2026-11-22T11:07:00Z`) of a Unix timestamp.
pub fn rfc3339(ts: i64) -> String {
    use time::format_description::well_known::Rfc3339;
    time::OffsetDateTime::from_unix_timestamp(ts)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// JSON response with the given status: a wire body (a `Serialize` struct, whose fields are
/// declared in the order they go out) or a `Value`.
pub fn json(status: StatusCode, value: &impl serde::Serialize) -> Response<Body> {
    // Serializing plain data with string keys cannot fail.
    let text = serde_json::to_string(value).unwrap_or_default();
    let mut res = Response::new(Body::Text(text));
    *res.status_mut() = status;
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    res
}

/// 200 with a JSON body.
pub fn ok(value: &impl serde::Serialize) -> Response<Body> {
    json(StatusCode::OK, value)
}

/// Why a request body could not be read as a JSON object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    TooLarge,
    Malformed(String),
    NotAnObject,
}

/// A body error is a fault of the body as a whole (no field name).
impl From<BodyError> for FieldError {
    fn from(e: BodyError) -> FieldError {
        let message = match e {
            BodyError::TooLarge => format!("Body exceeds {MAX_BODY_BYTES} bytes"),
            BodyError::Malformed(m) => format!("JSON decode error: {m}"),
            BodyError::NotAnObject => "Input should be a valid dictionary".into(),
        };
        FieldError::invalid(Location::Body, "", message)
    }
}

/// The body as a JSON object; an empty body reads as `{}` only when `empty_ok`.
/// The request's JSON object body as `B` (a struct of `fields::Input`s).
pub fn body<B: serde::de::DeserializeOwned + Default>(req: &Request) -> Result<B, BodyError> {
    json_object(req, false).map(fields::from_map)
}

pub fn json_object(
    req: &Request,
    empty_ok: bool,
) -> Result<serde_json::Map<String, serde_json::Value>, BodyError> {
    let bytes: &[u8] = req.body().as_ref();
    if bytes.len() > MAX_BODY_BYTES {
        return Err(BodyError::TooLarge);
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return if empty_ok {
            Ok(Default::default())
        } else {
            Err(BodyError::Malformed("the body is empty".into()))
        };
    }
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        Ok(_) => Err(BodyError::NotAnObject),
        Err(e) => Err(BodyError::Malformed(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_format_as_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_795_345_620), "2026-11-22T11:07:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }
}

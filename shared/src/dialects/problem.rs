//! Every way a request can end short of success, classified once in no family's words.
//! A family supplies only its table (reason → wire code and message) and its envelope, as a
//! `Dialect`; `respond` writes the status, the JSON content type, `Retry-After` and the log.

use crate::domain::code::RandomnessError;
use crate::domain::{Channel, LimitScope, ResendRefusal};
use crate::http::fields::FieldError;
use crate::http::{self, BodyError};
use crate::ports::StoreError;
use crate::service::message::UnknownTemplate;
use crate::service::ServiceError;
use lambda_http::http::{header, HeaderValue, StatusCode};
use lambda_http::{Body, Request, Response};
use serde_json::Value;

/// What was looked for and not found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Missing {
    Session,
    Contact,
}

/// Why a presented code was refused, on endpoints where that is an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rejection {
    Wrong,
    Expired,
    AttemptsExhausted,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// Inputs are missing or malformed; `Problem::fields` names them.
    Invalid,
    Unauthorized,
    /// Authenticated, but this client may not use what the request asks for.
    Forbidden,
    NotFound(Missing),
    /// The contact has no address on that channel.
    NoAddress {
        channel: Channel,
        pending: bool,
    },
    UnknownTemplate,
    CodeRejected(Rejection),
    ResendRefused(ResendRefusal),
    RateLimited(LimitScope),
    /// The fraud shield's country rules refuse the destination.
    CountryRefused,
    /// The email address hard-bounced or complained; `Problem::retry_after` says until when.
    Suppressed,
    DeliveryFailed,
    /// The `Idempotency-Key` was used for a different request.
    KeyReused,
    /// A request with the same `Idempotency-Key` is still in flight.
    KeyInFlight,
    /// The path exists, not with this method (`Problem::allow` lists the methods it has).
    MethodNotAllowed,
    /// The request body is larger than any this endpoint accepts.
    TooLarge,
    /// The store or the random source failed: opaque to callers, logged with its cause.
    Unavailable,
}

#[derive(Debug)]
pub struct Problem {
    pub reason: Reason,
    /// Seconds until a retry can succeed (`Retry-After`).
    pub retry_after: Option<u32>,
    /// The faulty inputs, in the order found (for `Reason::Invalid`).
    pub fields: Vec<FieldError>,
    /// The methods the path has (`Allow`, for `Reason::MethodNotAllowed`).
    pub allow: Option<String>,
    /// The internal error behind a 5xx: logged, never sent.
    cause: Option<String>,
    /// The language to answer in, when the handler learnt a better one than the request's
    /// (a contact's own).
    language: Option<String>,
}

impl Problem {
    pub fn new(reason: Reason) -> Problem {
        Problem {
            reason,
            retry_after: None,
            fields: Vec::new(),
            allow: None,
            cause: None,
            language: None,
        }
    }

    /// The same problem, answered in `language` rather than the request's.
    pub fn in_language(self, language: &str) -> Problem {
        Problem {
            language: Some(language.to_string()),
            ..self
        }
    }

    /// A method the path does not have; `allow` lists those it has.
    pub fn method_not_allowed(allow: String) -> Problem {
        Problem {
            allow: Some(allow),
            ..Problem::new(Reason::MethodNotAllowed)
        }
    }

    /// Faulty inputs.
    pub fn invalid(fields: Vec<FieldError>) -> Problem {
        Problem {
            fields,
            ..Problem::new(Reason::Invalid)
        }
    }

    /// The status a family answers unless its table says otherwise.
    pub fn status(&self) -> StatusCode {
        match self.reason {
            Reason::Invalid
            | Reason::NoAddress { .. }
            | Reason::UnknownTemplate
            | Reason::CodeRejected(_) => StatusCode::BAD_REQUEST,
            Reason::Unauthorized => StatusCode::UNAUTHORIZED,
            Reason::Forbidden | Reason::CountryRefused | Reason::Suppressed => {
                StatusCode::FORBIDDEN
            }
            Reason::NotFound(_) => StatusCode::NOT_FOUND,
            Reason::ResendRefused(ResendRefusal::TooSoon { .. } | ResendRefusal::TooManySends)
            | Reason::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            Reason::ResendRefused(_) => StatusCode::CONFLICT,
            Reason::DeliveryFailed => StatusCode::BAD_GATEWAY,
            Reason::KeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            Reason::KeyInFlight => StatusCode::CONFLICT,
            Reason::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Reason::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Reason::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        }
    }

    /// The first faulty input, if any.
    pub fn field(&self) -> Option<&FieldError> {
        self.fields.first()
    }
}

impl From<ServiceError> for Problem {
    fn from(e: ServiceError) -> Problem {
        match e {
            ServiceError::NotFound => Problem::new(Reason::NotFound(Missing::Session)),
            ServiceError::ResendRefused(refusal) => Problem {
                retry_after: match refusal {
                    ResendRefusal::TooSoon {
                        retry_after_secs, ..
                    } => Some(retry_after_secs),
                    _ => None,
                },
                ..Problem::new(Reason::ResendRefused(refusal))
            },
            ServiceError::RateLimited {
                scope,
                retry_after_secs,
            } => Problem {
                retry_after: Some(retry_after_secs),
                ..Problem::new(Reason::RateLimited(scope))
            },
            // Logged where it happened (service::shield), with the masked destination.
            ServiceError::CountryRefused { .. } => Problem::new(Reason::CountryRefused),
            ServiceError::Suppressed { retry_after_secs } => Problem {
                retry_after: Some(retry_after_secs),
                ..Problem::new(Reason::Suppressed)
            },
            // Logged where it happened (service::deliver), with the masked destination.
            ServiceError::Delivery(_) => Problem::new(Reason::DeliveryFailed),
            ServiceError::Store(_) | ServiceError::Randomness(_) | ServiceError::Unwired(_) => {
                Problem {
                    cause: Some(e.to_string()),
                    ..Problem::new(Reason::Unavailable)
                }
            }
        }
    }
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Problem {
        ServiceError::from(e).into()
    }
}

impl From<crate::app::Unwired> for Problem {
    fn from(e: crate::app::Unwired) -> Problem {
        ServiceError::from(e).into()
    }
}

impl From<RandomnessError> for Problem {
    fn from(e: RandomnessError) -> Problem {
        ServiceError::from(e).into()
    }
}

impl From<UnknownTemplate> for Problem {
    fn from(_: UnknownTemplate) -> Problem {
        Problem::new(Reason::UnknownTemplate)
    }
}

impl From<FieldError> for Problem {
    fn from(e: FieldError) -> Problem {
        Problem::invalid(vec![e])
    }
}

impl From<BodyError> for Problem {
    fn from(e: BodyError) -> Problem {
        match e {
            BodyError::TooLarge => Problem::new(Reason::TooLarge),
            e => FieldError::from(e).into(),
        }
    }
}

/// What a family's envelope may carry besides the problem.
pub struct Ctx<'a> {
    pub correlation_id: String,
    /// Language of human-readable messages.
    pub language: &'a str,
    /// The request, for what an envelope echoes (the header contract's `uuid`).
    pub request: &'a Request,
}

/// A family's wire form of problems: its table of reasons and its envelope.
pub trait Dialect {
    fn render(problem: &Problem, ctx: &Ctx) -> (StatusCode, Value);
}

/// The response to `problem` in dialect `D`.
pub fn respond<D: Dialect>(problem: Problem, req: &Request, language: &str) -> Response<Body> {
    let ctx = Ctx {
        correlation_id: http::correlation_id(req),
        language: problem.language.as_deref().unwrap_or(language),
        request: req,
    };
    let (status, body) = D::render(&problem, &ctx);
    if let Some(cause) = &problem.cause {
        tracing::error!(error = %cause, status = status.as_u16(), "request failed");
    }
    let mut res = http::json(status, &body);
    if let Some(value) = problem.allow.and_then(|a| HeaderValue::from_str(&a).ok()) {
        res.headers_mut().insert(header::ALLOW, value);
    }
    if let Some(secs) = problem.retry_after {
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    res
}

/// A handler's result as a response: success as it is, a problem in dialect `D`.
pub fn finish<D: Dialect>(
    req: &Request,
    language: &str,
    result: Result<Response<Body>, Problem>,
) -> Response<Body> {
    result.unwrap_or_else(|problem| respond::<D>(problem, req, language))
}

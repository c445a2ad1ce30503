//! The one route table. A row is everything an endpoint is: method, path, function name
//! (= package = binary = SAM function = `events/` prefix), the ports it uses and its handler.
//! `dispatch` serves the table (local server, tests); a Lambda function serves its own row.

use crate::app::{App, Ports};
use crate::dialects::{self, contacts, rao, telemarketing, verify_api, Problem, Reason, Reply};
use crate::domain::Family;
use crate::http::{
    self,
    fields::{FieldError, Location},
};
use crate::runtime::observe;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, RequestExt, Response};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// A handler: the endpoint's dialect code, over the app's ports, given the request and the
/// language it asks for. It returns its reply or the problem; the route renders either in its
/// family's wire form (`dialects::render`).
pub type Handler = for<'a> fn(
    &'a App,
    &'a Request,
    &'a str,
) -> Pin<Box<dyn Future<Output = Result<Reply, Problem>> + Send + 'a>>;

pub struct Route {
    pub method: &'static str,
    /// API Gateway's form: `{name}` is a path parameter.
    pub path: &'static str,
    pub function: &'static str,
    /// Whose wire form it speaks and how its callers authenticate.
    pub family: Family,
    pub ports: Ports,
    pub handler: Handler,
}

pub const SEND_VERIFICATION_KEY: Route = Route {
    method: "POST",
    path: "/contacts/{contactId}/verification-keys",
    function: "send-verification-key",
    family: Family::Contacts,
    ports: Ports::CONTACTS_AND_DELIVERY,
    handler: |app, req, language| Box::pin(contacts::send::handle(app, req, language)),
};

pub const SEND_PENDING_VERIFICATION_KEY: Route = Route {
    method: "POST",
    path: "/contacts/{contactId}/verification-keys/pending-communication-channel",
    function: "send-pending-verification-key",
    family: Family::Contacts,
    ports: Ports::CONTACTS_AND_DELIVERY,
    handler: |app, req, language| Box::pin(contacts::send::handle_pending(app, req, language)),
};

pub const CHECK_VERIFICATION_KEY: Route = Route {
    method: "GET",
    path: "/contacts/{contactId}/verification-keys/{sessionId}/{key}",
    function: "check-verification-key",
    family: Family::Contacts,
    ports: Ports::SESSIONS,
    handler: |app, req, language| Box::pin(contacts::check::handle(app, req, language)),
};

pub const VERIFY_VERIFICATION_KEY: Route = Route {
    method: "POST",
    path: "/contacts/{contactId}/verification-keys/{sessionId}/{key}/verify",
    function: "verify-verification-key",
    family: Family::Contacts,
    ports: Ports::SESSIONS,
    handler: |app, req, language| Box::pin(contacts::verify::handle(app, req, language)),
};

pub const SEND_OTP: Route = Route {
    method: "POST",
    path: "/verify/v1/otp/send-otp",
    function: "send-otp",
    family: Family::VerifyApi,
    ports: Ports::SMS,
    handler: |app, req, language| Box::pin(verify_api::send::handle(app, req, language)),
};

pub const RESEND_OTP: Route = Route {
    method: "POST",
    path: "/verify/v1/otp/resend-otp",
    function: "resend-otp",
    family: Family::VerifyApi,
    ports: Ports::SMS,
    handler: |app, req, language| Box::pin(verify_api::resend::handle(app, req, language)),
};

pub const VERIFY_OTP: Route = Route {
    method: "POST",
    path: "/verify/v1/otp/verify-otp",
    function: "verify-otp",
    family: Family::VerifyApi,
    ports: Ports::SESSIONS,
    handler: |app, req, language| Box::pin(verify_api::verify::handle(app, req, language)),
};

pub const OTP_REPORT: Route = Route {
    method: "GET",
    path: "/verify/v1/report/{otp_id}",
    function: "otp-report",
    family: Family::VerifyApi,
    ports: Ports::READER,
    handler: |app, req, language| Box::pin(verify_api::report::handle(app, req, language)),
};

pub const TELEMARKETING_GENERATE: Route = Route {
    method: "POST",
    path: "/v1/x-global/security/tele-marketing/otp/generate",
    function: "telemarketing-generate",
    family: Family::Telemarketing,
    ports: Ports::SMS,
    handler: |app, req, language| Box::pin(telemarketing::generate::handle(app, req, language)),
};

pub const TELEMARKETING_VALIDATE: Route = Route {
    method: "POST",
    path: "/v1/x-global/security/tele-marketing/otp/validate",
    function: "telemarketing-validate",
    family: Family::Telemarketing,
    ports: Ports::SESSIONS,
    handler: |app, req, language| Box::pin(telemarketing::validate::handle(app, req, language)),
};

pub const RAO_GENERATE: Route = Route {
    method: "POST",
    path: "/v1/x-global/security/rao/otp/generate",
    function: "rao-generate",
    family: Family::Rao,
    ports: Ports::SMS_AND_DECRYPTOR,
    handler: |app, req, language| Box::pin(rao::generate::handle(app, req, language)),
};

pub const RAO_VALIDATE: Route = Route {
    method: "POST",
    path: "/v1/x-global/security/rao/otp/validate",
    function: "rao-validate",
    family: Family::Rao,
    ports: Ports::DECRYPTOR,
    handler: |app, req, language| Box::pin(rao::validate::handle(app, req, language)),
};

pub const RAO_CERTIFIED_PHONE: Route = Route {
    method: "GET",
    path: "/v1/x-global/security/rao/certified-phone",
    function: "rao-certified-phone",
    family: Family::Rao,
    ports: Ports::READER,
    handler: |app, req, language| Box::pin(rao::certified_phone::handle(app, req, language)),
};

/// Delivery receipts a signed-webhook relay posts back; answers in the Verify API's form.
pub const SMS_RECEIPTS: Route = Route {
    method: "POST",
    path: "/webhooks/sms-receipts",
    function: "sms-receipts",
    family: Family::VerifyApi,
    ports: Ports::WEBHOOK_RECEIPTS,
    handler: |app, req, language| Box::pin(verify_api::sms_receipts::handle(app, req, language)),
};

pub const ROUTES: &[Route] = &[
    SEND_VERIFICATION_KEY,
    SEND_PENDING_VERIFICATION_KEY,
    CHECK_VERIFICATION_KEY,
    VERIFY_VERIFICATION_KEY,
    SEND_OTP,
    RESEND_OTP,
    VERIFY_OTP,
    OTP_REPORT,
    TELEMARKETING_GENERATE,
    TELEMARKETING_VALIDATE,
    RAO_GENERATE,
    RAO_VALIDATE,
    RAO_CERTIFIED_PHONE,
    SMS_RECEIPTS,
];

impl Route {
    /// Runs the endpoint on `req`, with its path and query parameters filled in when the
    /// caller (API Gateway) has not, and one log line.
    pub async fn call(&self, app: &App, mut req: Request) -> Response<Body> {
        if req.path_parameters_ref().is_none() {
            if let Some(params) = match_path(self.path, req.uri().path()) {
                req = req.with_path_parameters(params);
            }
        }
        if req.query_string_parameters_ref().is_none() {
            if let Some(query) = req.uri().query().filter(|q| !q.is_empty()) {
                let params = parse_query(query);
                req = req.with_query_string_parameters(params);
            }
        }
        observe(self.function, req, |req| self.serve(app, req)).await
    }

    /// The handler, behind the screen every route applies and the invocation's deadline,
    /// its result rendered in the route's family form.
    async fn serve(&self, app: &App, req: Request) -> Response<Body> {
        let language = http::language(&req, &app.config.default_language);
        let result = match screen(&req) {
            Some(problem) => Err(problem),
            None => self.run(app, &req, &language).await,
        };
        dialects::render(self.family, &req, &language, result)
    }

    async fn run(&self, app: &App, req: &Request, language: &str) -> Result<Reply, Problem> {
        let handled = (self.handler)(app, req, language);
        let Some(left) = time_left(req) else {
            return handled.await;
        };
        tokio::time::timeout(left, handled)
            .await
            .unwrap_or_else(|_| {
                tracing::error!("the invocation's deadline came before its answer");
                Err(Problem::new(Reason::Unavailable))
            })
    }
}

/// Kept to answer in before Lambda's deadline: a handler still running then is abandoned
/// and the caller gets the family's 503, not a timed-out invocation.
const ANSWER_MARGIN: Duration = Duration::from_millis(750);

/// How long the handler may run: the Lambda invocation's deadline less `ANSWER_MARGIN`.
/// `None` outside Lambda, and where the deadline is closer than twice the margin: no function
/// is deployed that short, so it is a local emulator's placeholder (some send the invocation's
/// own start), not a deadline.
fn time_left(req: &Request) -> Option<Duration> {
    let deadline = req.lambda_context_ref()?.deadline;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_millis() as u64;
    let left = Duration::from_millis(deadline.saturating_sub(now));
    (left > ANSWER_MARGIN * 2).then(|| left - ANSWER_MARGIN)
}

/// What every route refuses before its handler: an oversized body, and a repeated identity or
/// contract header (credentials as unauthorized, the others as invalid input naming them).
fn screen(req: &Request) -> Option<Problem> {
    if http::body_too_large(req) {
        return Some(Problem::new(Reason::TooLarge));
    }
    Some(match http::repeated_header(req)? {
        "Authorization" | "client_id" => Problem::new(Reason::Unauthorized),
        name => {
            FieldError::invalid(Location::Header, name, "must be sent once, as one value").into()
        }
    })
}

/// Serves `req` by the route table, answering unknown paths and methods as API Gateway does.
pub async fn dispatch(app: &App, req: Request) -> Response<Body> {
    let path = req.uri().path();
    let matching = || ROUTES.iter().filter(|r| match_path(r.path, path).is_some());
    let method = req.method().as_str();
    match matching().find(|r| r.method.eq_ignore_ascii_case(method)) {
        Some(route) => route.call(app, req).await,
        None => {
            let Some(family) = matching().next().map(|r| r.family) else {
                return not_found();
            };
            // RFC 9110: a 405 lists the methods the resource has.
            let allowed: Vec<&str> = matching().map(|r| r.method).collect();
            let problem = Problem::method_not_allowed(allowed.join(", "));
            let language = http::language(&req, &app.config.default_language);
            dialects::respond(family, problem, &req, &language)
        }
    }
}

/// A path no route has: one neutral form for every family, `{"code": "NotFound", "message"}`
/// (no family can be told from an unknown path).
pub fn not_found() -> Response<Body> {
    let body = serde_json::json!({ "code": "NotFound", "message": "No such resource" });
    http::json(StatusCode::NOT_FOUND, &body)
}

/// Matches `/a/{x}/b` against a concrete path; parameters are percent-decoded.
pub fn match_path(pattern: &str, path: &str) -> Option<HashMap<String, String>> {
    let mut want = pattern.trim_end_matches('/').split('/');
    let mut have = path.trim_end_matches('/').split('/');
    let mut params = HashMap::new();
    loop {
        match (want.next(), have.next()) {
            (None, None) => return Some(params),
            (Some(w), Some(h)) => {
                if let Some(name) = w.strip_prefix('{').and_then(|w| w.strip_suffix('}')) {
                    let value = percent_encoding::percent_decode_str(h).decode_utf8().ok()?;
                    if value.is_empty() {
                        return None;
                    }
                    params.insert(name.to_string(), value.into_owned());
                } else if w != h {
                    return None;
                }
            }
            _ => return None,
        }
    }
}

/// A query string's parameters (`+` is a space), the first value of each name kept.
fn parse_query(query: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        out.entry(k.into_owned()).or_insert_with(|| v.into_owned());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(method: &str, path: &str) -> Option<(&'static str, HashMap<String, String>)> {
        ROUTES
            .iter()
            .filter(|r| r.method == method)
            .find_map(|r| match_path(r.path, path).map(|p| (r.function, p)))
    }

    #[test]
    fn routes_resolve_with_parameters() {
        let (f, p) = find("GET", "/contacts/42/verification-keys/abc/123456").unwrap();
        assert_eq!(f, "check-verification-key");
        assert_eq!(
            (
                p["contactId"].as_str(),
                p["sessionId"].as_str(),
                p["key"].as_str()
            ),
            ("42", "abc", "123456")
        );
        let (f, _) = find(
            "POST",
            "/contacts/42/verification-keys/pending-communication-channel",
        )
        .unwrap();
        assert_eq!(f, "send-pending-verification-key");
        let (f, p) = find("GET", "/verify/v1/report/a%2Db").unwrap();
        assert_eq!((f, p["otp_id"].as_str()), ("otp-report", "a-b"));
        assert!(find("GET", "/verify/v1/otp/send-otp").is_none());
        assert!(find("POST", "/contacts//verification-keys").is_none());
        assert!(find("GET", "/verify/v1/report/%FF").is_none(), "not UTF-8");
    }

    #[test]
    fn query_strings_decode() {
        let q = parse_query("language=es&x=a%20b+c&language=en&&flag");
        assert_eq!(
            (q["language"].as_str(), q["x"].as_str(), q["flag"].as_str()),
            ("es", "a b c", "")
        );
    }

    #[test]
    fn every_function_name_and_route_is_unique() {
        let mut names: Vec<_> = ROUTES.iter().map(|r| r.function).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), ROUTES.len());
        let mut routes: Vec<_> = ROUTES.iter().map(|r| (r.method, r.path)).collect();
        routes.sort();
        routes.dedup();
        assert_eq!(routes.len(), ROUTES.len());
    }
}

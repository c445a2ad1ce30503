//! The one route table: method, path, function (= package = binary = SAM function = event
//! file prefix) and handler. The local server, the template check and the docs read it.

use crate::app::{App, Needs};
use crate::dialects::{contacts, verify_api};
use lambda_http::{Body, Request, Response};
use std::collections::HashMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    SendVerificationKey,
    SendPendingVerificationKey,
    CheckVerificationKey,
    VerifyVerificationKey,
    SendOtp,
    ResendOtp,
    VerifyOtp,
    OtpReport,
}

pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub function: &'static str,
    pub endpoint: Endpoint,
}

pub const ROUTES: &[Route] = &[
    Route {
        method: "POST",
        path: contacts::send::ROUTE,
        function: "send-verification-key",
        endpoint: Endpoint::SendVerificationKey,
    },
    Route {
        method: "POST",
        path: contacts::send::PENDING_ROUTE,
        function: "send-pending-verification-key",
        endpoint: Endpoint::SendPendingVerificationKey,
    },
    Route {
        method: "GET",
        path: contacts::check::ROUTE,
        function: "check-verification-key",
        endpoint: Endpoint::CheckVerificationKey,
    },
    Route {
        method: "POST",
        path: contacts::verify::ROUTE,
        function: "verify-verification-key",
        endpoint: Endpoint::VerifyVerificationKey,
    },
    Route {
        method: "POST",
        path: "/verify/v1/otp/send-otp",
        function: "send-otp",
        endpoint: Endpoint::SendOtp,
    },
    Route {
        method: "POST",
        path: "/verify/v1/otp/resend-otp",
        function: "resend-otp",
        endpoint: Endpoint::ResendOtp,
    },
    Route {
        method: "POST",
        path: "/verify/v1/otp/verify-otp",
        function: "verify-otp",
        endpoint: Endpoint::VerifyOtp,
    },
    Route {
        method: "GET",
        path: verify_api::report::ROUTE,
        function: "otp-report",
        endpoint: Endpoint::OtpReport,
    },
];

impl Endpoint {
    pub fn route(self) -> &'static Route {
        ROUTES
            .iter()
            .find(|r| r.endpoint == self)
            .expect("every endpoint has a route")
    }

    /// The ports its function links and configures.
    pub fn needs(self) -> Needs {
        let deliver = Needs {
            contacts: false,
            sms: true,
            email: true,
        };
        match self {
            Endpoint::SendVerificationKey | Endpoint::SendPendingVerificationKey => Needs {
                contacts: true,
                ..deliver
            },
            Endpoint::SendOtp | Endpoint::ResendOtp => Needs {
                email: false,
                ..deliver
            },
            Endpoint::CheckVerificationKey
            | Endpoint::VerifyVerificationKey
            | Endpoint::VerifyOtp
            | Endpoint::OtpReport => Needs::default(),
        }
    }

    pub async fn handle(self, app: &App, req: Request) -> Response<Body> {
        match self {
            Endpoint::SendVerificationKey => contacts::send::handle(app, req).await,
            Endpoint::SendPendingVerificationKey => contacts::send::handle_pending(app, req).await,
            Endpoint::CheckVerificationKey => contacts::check::handle(app, req).await,
            Endpoint::VerifyVerificationKey => contacts::verify::handle(app, req).await,
            Endpoint::SendOtp => verify_api::send::handle(app, req).await,
            Endpoint::ResendOtp => verify_api::resend::handle(app, req).await,
            Endpoint::VerifyOtp => verify_api::verify::handle(app, req).await,
            Endpoint::OtpReport => verify_api::report::handle(app, req).await,
        }
    }
}

/// The route for `method` and `path`, with its path parameters.
pub fn find(method: &str, path: &str) -> Option<(&'static Route, HashMap<String, String>)> {
    ROUTES
        .iter()
        .filter(|r| r.method.eq_ignore_ascii_case(method))
        .find_map(|r| match_path(r.path, path).map(|params| (r, params)))
}

/// Whether any route serves `path`, whatever the method (for 405 versus 404).
pub fn path_known(path: &str) -> bool {
    ROUTES.iter().any(|r| match_path(r.path, path).is_some())
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
                    if h.is_empty() {
                        return None;
                    }
                    params.insert(name.to_string(), percent_decode(h)?);
                } else if w != h {
                    return None;
                }
            }
            _ => return None,
        }
    }
}

/// Parses a query string (`a=1&b=x%20y`; `+` is a space), first value of each name kept.
pub fn parse_query(query: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if let (Some(k), Some(v)) = (
            percent_decode(&k.replace('+', " ")),
            percent_decode(&v.replace('+', " ")),
        ) {
            out.entry(k).or_insert(v);
        }
    }
    out
}

/// Decodes `%XX` escapes (and `+` is kept as is, as in paths). `None` if not UTF-8.
pub fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_resolve_with_parameters() {
        let (r, p) = find("GET", "/contacts/42/verification-keys/abc/123456").unwrap();
        assert_eq!(r.function, "check-verification-key");
        assert_eq!(
            (
                p["contactId"].as_str(),
                p["sessionId"].as_str(),
                p["key"].as_str()
            ),
            ("42", "abc", "123456")
        );
        let (r, _) = find(
            "POST",
            "/contacts/42/verification-keys/pending-communication-channel",
        )
        .unwrap();
        assert_eq!(r.function, "send-pending-verification-key");
        let (r, p) = find("GET", "/verify/v1/report/a%2Db").unwrap();
        assert_eq!((r.function, p["otp_id"].as_str()), ("otp-report", "a-b"));
        assert!(find("GET", "/verify/v1/otp/send-otp").is_none());
        assert!(path_known("/verify/v1/otp/send-otp"));
        assert!(find("POST", "/contacts//verification-keys").is_none());
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
    fn every_function_name_is_unique() {
        let mut names: Vec<_> = ROUTES.iter().map(|r| r.function).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), ROUTES.len());
    }
}

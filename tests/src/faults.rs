//! A fault-injecting proxy between the service's AWS clients and moto. It forwards every
//! request, counts AWS calls (one per `amz-sdk-invocation-id`, whatever the retries) and, once
//! armed, answers the N-th call with a fault instead of forwarding it: AWS never acts on a
//! faulted attempt. `LostAnswer` is the exception: forwarded, then its answer dropped.

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// `ThrottlingException` (DynamoDB) or `Throttling` (SNS, SES), HTTP 400.
    Throttle,
    /// DynamoDB's `ProvisionedThroughputExceededException` (SNS, SES: `Throttling`).
    Throughput,
    /// HTTP 500 `InternalServerError` / `InternalFailure`.
    ServerError,
    /// The connection closed with no answer.
    Reset,
    /// No answer until past the SDK's attempt timeout, then the connection closed.
    Delay,
    /// Forwarded (AWS acts on it), then the answer dropped: the call's outcome is unknown.
    LostAnswer,
}

impl Fault {
    /// The faults of the matrix: every one leaves AWS untouched.
    pub const UNTOUCHED: [Fault; 5] = [
        Fault::Throttle,
        Fault::Throughput,
        Fault::ServerError,
        Fault::Reset,
        Fault::Delay,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Fault::Throttle => "throttle",
            Fault::Throughput => "throughput",
            Fault::ServerError => "500",
            Fault::Reset => "reset",
            Fault::Delay => "delay",
            Fault::LostAnswer => "lost answer",
        }
    }
}

/// Which call to fault, and whether every attempt of it (`persistent`) or only the first.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    pub fault: Fault,
    /// 1-based, counted from arming.
    pub position: usize,
    pub persistent: bool,
}

#[derive(Default)]
struct State {
    plan: Option<Plan>,
    /// Since arming: each call's invocation id, operation and attempts seen.
    calls: Vec<(String, String, u32)>,
    faulted: u32,
    /// Messages SNS or SES accepted (`Publish`, `SendEmail` answered 2xx), in order.
    delivered: Vec<String>,
}

pub struct FaultProxy {
    pub url: String,
    state: Arc<Mutex<State>>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FaultProxy {
    /// A proxy on a free 127.0.0.1 port in front of `upstream`; `delay` is how long a
    /// `Delay` fault holds a request.
    pub async fn start(upstream: &str, delay: Duration) -> FaultProxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State::default()));
        let shared = (state.clone(), upstream.to_string(), reqwest::Client::new());
        let server = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let shared = shared.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| {
                        let (state, upstream, client) = shared.clone();
                        async move { serve(&state, &upstream, &client, req, delay).await }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        FaultProxy { url, state, server }
    }

    /// Starts counting calls afresh, faulting as `plan` says (`None`: only count).
    pub fn arm(&self, plan: Option<Plan>) {
        let mut s = self.state.lock().unwrap();
        s.plan = plan;
        s.calls.clear();
        s.faulted = 0;
    }

    /// The operations called since arming, in order (`UpdateItem`, `Publish`…).
    pub fn operations(&self) -> Vec<String> {
        let s = self.state.lock().unwrap();
        s.calls.iter().map(|(_, op, _)| op.clone()).collect()
    }

    /// Every message that reached SNS or SES and was accepted, since the proxy started.
    pub fn delivered(&self) -> Vec<String> {
        self.state.lock().unwrap().delivered.clone()
    }

    /// Whether, since arming, a call the plan did not fault was tried more than once: an
    /// attempt that timed out on its own (the emulator slow under load) may have been applied
    /// and then retried, which is not the fault under test.
    pub fn disturbed(&self) -> bool {
        let s = self.state.lock().unwrap();
        let planned = s.plan.map(|p| p.position);
        s.calls
            .iter()
            .enumerate()
            .any(|(i, (_, _, attempts))| *attempts > 1 && planned != Some(i + 1))
    }

    /// How many attempts were faulted since arming.
    pub fn faulted(&self) -> u32 {
        self.state.lock().unwrap().faulted
    }
}

type Reply = hyper::Response<Full<Bytes>>;

async fn serve(
    state: &Mutex<State>,
    upstream: &str,
    client: &reqwest::Client,
    req: hyper::Request<Incoming>,
    delay: Duration,
) -> Result<Reply, std::io::Error> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map_err(std::io::Error::other)?
        .to_bytes();
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let target = header("x-amz-target");
    let operation = match &target {
        Some(t) => t.rsplit('.').next().unwrap_or_default().to_string(),
        None => form_action(&body),
    };
    let fault = {
        let mut s = state.lock().unwrap();
        let id = header("amz-sdk-invocation-id").unwrap_or_default();
        let index = match s
            .calls
            .iter()
            .position(|(i, _, _)| *i == id && !id.is_empty())
        {
            Some(i) => i,
            None => {
                s.calls.push((id, operation, 0));
                s.calls.len() - 1
            }
        };
        s.calls[index].2 += 1;
        let attempt = s.calls[index].2;
        let fault = s
            .plan
            .filter(|p| p.position == index + 1 && (p.persistent || attempt == 1))
            .map(|p| p.fault);
        s.faulted += u32::from(fault.is_some());
        fault
    };
    let json = target.is_some();
    match fault {
        Some(Fault::Throttle) => Ok(error(400, json, "ThrottlingException", "Throttling")),
        Some(Fault::Throughput) => Ok(error(
            400,
            json,
            "ProvisionedThroughputExceededException",
            "Throttling",
        )),
        Some(Fault::ServerError) => Ok(error(500, json, "InternalServerError", "InternalFailure")),
        Some(Fault::Reset) => Err(std::io::Error::other("reset by the fault proxy")),
        Some(Fault::Delay) => {
            tokio::time::sleep(delay).await;
            Err(std::io::Error::other(
                "held past the timeout by the fault proxy",
            ))
        }
        Some(Fault::LostAnswer) => {
            let reply = forward(client, upstream, parts, body.clone()).await?;
            record(state, &reply, &body);
            Err(std::io::Error::other("answer dropped by the fault proxy"))
        }
        None => {
            let reply = forward(client, upstream, parts, body.clone()).await?;
            record(state, &reply, &body);
            Ok(reply)
        }
    }
}

/// Keeps the text of a message SNS or SES accepted.
fn record(state: &Mutex<State>, reply: &Reply, body: &[u8]) {
    let field = |name: &str| {
        form_urlencoded::parse(body)
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    let text = match field("Action").as_deref() {
        Some("Publish") => field("Message"),
        Some("SendEmail") => field("Message.Body.Text.Data"),
        _ => None,
    };
    if let Some(text) = text.filter(|_| reply.status().is_success()) {
        state.lock().unwrap().delivered.push(text);
    }
}

/// The `Action` of a form-encoded (query protocol) request: SNS and SES.
fn form_action(body: &[u8]) -> String {
    form_urlencoded::parse(body)
        .find(|(k, _)| k == "Action")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// An AWS error answer: JSON for DynamoDB, XML for the query-protocol services.
fn error(status: u16, json: bool, json_type: &str, query_code: &str) -> Reply {
    let (content_type, body) = if json {
        (
            "application/x-amz-json-1.0",
            format!(
                "{{\"__type\":\"com.amazonaws.dynamodb.v20120810#{json_type}\",\"message\":\"injected by the fault proxy\"}}"
            ),
        )
    } else {
        let kind = if status >= 500 { "Receiver" } else { "Sender" };
        (
            "text/xml",
            format!(
                "<ErrorResponse><Error><Type>{kind}</Type><Code>{query_code}</Code><Message>injected by the fault proxy</Message></Error><RequestId>fault</RequestId></ErrorResponse>"
            ),
        )
    };
    hyper::Response::builder()
        .status(status)
        .header("content-type", content_type)
        .header("x-amzn-requestid", "fault")
        .body(Full::new(Bytes::from(body)))
        .expect("static parts")
}

async fn forward(
    client: &reqwest::Client,
    upstream: &str,
    parts: hyper::http::request::Parts,
    body: Bytes,
) -> Result<Reply, std::io::Error> {
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let method = reqwest::Method::from_bytes(parts.method.as_str().as_bytes())
        .map_err(std::io::Error::other)?;
    let mut request = client.request(method, format!("{upstream}{path}"));
    for (name, value) in &parts.headers {
        if name != "host" && name != "content-length" {
            request = request.header(name.as_str(), value.as_bytes());
        }
    }
    let res = request
        .body(body)
        .send()
        .await
        .map_err(std::io::Error::other)?;
    let mut reply = hyper::Response::builder().status(res.status().as_u16());
    for (name, value) in res.headers() {
        if name != "content-length" && name != "transfer-encoding" {
            reply = reply.header(name.as_str(), value.as_bytes());
        }
    }
    let bytes = res.bytes().await.map_err(std::io::Error::other)?;
    Ok(reply.body(Full::new(bytes)).expect("forwarded parts"))
}

//! `Idempotency-Key` on every send endpoint (IETF HTTPAPI draft "The Idempotency-Key HTTP
//! Header Field"). Per client, kept 24 hours: the same key with the same request replays the
//! first answer and sends nothing; with a different request, 422; while the first is still in
//! flight, a duplicate waits up to about 2.5 s for its answer, then gets 409.
//! Only successes are kept: after an error the key is freed, so a retry runs again.

use super::problem::{Problem, Reason};
use crate::app::App;
use crate::domain::key::idempotency_key;
use crate::domain::Family;
use crate::http::fields::{FieldError, Location};
use crate::ports::{Claim, Replay};
use lambda_http::http::{HeaderName, HeaderValue, StatusCode};
use lambda_http::{Body, Request, Response};
use sha2::{Digest, Sha256};
use std::future::Future;
use std::time::Duration;

pub const HEADER: &str = "Idempotency-Key";
/// Answer header of a replay.
pub const REPLAYED: &str = "idempotent-replayed";
const KEEP_SECS: i64 = 86_400;
/// How long a claim in flight holds the key: past the functions' 10-second timeout, a claim
/// left by a request that died may be taken over by its retry.
const LEASE_SECS: i64 = 30;
/// Pauses of a duplicate waiting for the first request's answer (2.575 s in all).
const WAITS_MS: [u64; 7] = [25, 50, 100, 200, 400, 800, 1000];
const RULE: &str = "must be 1-255 visible ASCII characters, optionally in double quotes";

/// Runs `send` once per idempotency key of `client` in `family` (or simply, without the header).
pub async fn once<F>(
    app: &App,
    req: &Request,
    family: Family,
    client: &str,
    send: F,
) -> Result<Response<Body>, Problem>
where
    F: Future<Output = Result<Response<Body>, Problem>>,
{
    let Some(raw) = req.headers().get(HEADER) else {
        return send.await;
    };
    let key = raw
        .to_str()
        .ok()
        .map(|k| k.trim().trim_matches('"'))
        .filter(|k| (1..=255).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| FieldError::invalid(Location::Header, HEADER, RULE))?;
    let id = idempotency_key(family, client, key);
    let fingerprint = fingerprint(req);
    let mut waits = WAITS_MS.iter();
    loop {
        let now = app.clock.now();
        let claim = app
            .keys
            .claim(&id, &fingerprint, now, now + LEASE_SECS, now + KEEP_SECS)
            .await?;
        match claim {
            Claim::Won => break,
            Claim::Done(replay) => return Ok(replayed(replay)),
            Claim::Mismatch => return Err(refused(
                Reason::KeyReused,
                "its first request had another method, path, query, sid, Accept-Language or body",
            )),
            Claim::InFlight => match waits.next() {
                Some(ms) => tokio::time::sleep(Duration::from_millis(*ms)).await,
                None => {
                    return Err(refused(
                        Reason::KeyInFlight,
                        "retry once the first request has answered",
                    ))
                }
            },
        }
    }
    let result = send.await;
    let kept = match &result {
        Ok(res) if res.status().is_success() => app.keys.complete(&id, &replay_of(res)).await,
        _ => app.keys.release(&id).await,
    };
    if let Err(error) = kept {
        // The key's lease runs out in LEASE_SECS; the answer already given stands.
        tracing::warn!(%error, "could not record the idempotency key's outcome");
    }
    result
}

fn refused(reason: Reason, message: &str) -> Problem {
    let mut problem = Problem::new(reason);
    problem.fields = vec![FieldError::invalid(Location::Header, HEADER, message)];
    problem
}

/// What makes two requests the same: method, path, query, the headers the families read
/// besides credentials and request ids (`sid`, `Accept-Language`), and the body.
fn fingerprint(req: &Request) -> String {
    let mut h = Sha256::new();
    h.update(req.method().as_str());
    h.update([0]);
    h.update(req.uri().path());
    h.update([0]);
    h.update(req.uri().query().unwrap_or_default());
    for name in ["sid", "accept-language"] {
        h.update([0]);
        h.update(req.headers().get(name).map_or(&[][..], |v| v.as_bytes()));
    }
    h.update([0]);
    h.update(req.body().as_ref());
    hex::encode(h.finalize())
}

fn replay_of(res: &Response<Body>) -> Replay {
    Replay {
        status: res.status().as_u16(),
        headers: res
            .headers()
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
            .collect(),
        body: String::from_utf8_lossy(res.body().as_ref()).into_owned(),
    }
}

fn replayed(replay: Replay) -> Response<Body> {
    let mut res = Response::new(Body::Text(replay.body));
    *res.status_mut() = StatusCode::from_u16(replay.status).unwrap_or(StatusCode::OK);
    for (k, v) in replay.headers {
        if let (Ok(k), Ok(v)) = (HeaderName::try_from(k), HeaderValue::try_from(v)) {
            res.headers_mut().insert(k, v);
        }
    }
    res.headers_mut()
        .insert(REPLAYED, HeaderValue::from_static("true"));
    res
}

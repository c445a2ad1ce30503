//! Standard Webhooks signatures (https://www.standardwebhooks.com/): HMAC-SHA256 of
//! `id.timestamp.body` under the secret's bytes, sent as `webhook-signature: v1,<base64>`.
//! The SMS webhook signs what it posts; the receipts endpoint verifies what relays post back.

use base64::Engine;
use hmac::{Hmac, Mac};

/// How far a signed timestamp may be from now, either way (the spec's suggestion): an older
/// message is a replay.
pub const TOLERANCE_SECS: i64 = 5 * 60;

fn mac(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> Hmac<sha2::Sha256> {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    mac
}

/// The `webhook-signature` header: `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body`.
pub fn sign(key: &[u8], id: &str, timestamp: i64, body: &str) -> String {
    let signature = mac(key, id, timestamp, body.as_bytes())
        .finalize()
        .into_bytes();
    format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(signature)
    )
}

/// Whether `signatures` (the header: space-separated `v1,<base64>` entries, any of which may
/// match, so a sender can rotate secrets) signs `id.timestamp.body` under `key`, with
/// `timestamp` within `TOLERANCE_SECS` of `now`. Compared in constant time.
pub fn verify(
    key: &[u8],
    id: &str,
    timestamp: i64,
    body: &[u8],
    signatures: &str,
    now: i64,
) -> bool {
    if id.is_empty() || (now - timestamp).abs() > TOLERANCE_SECS {
        return false;
    }
    signatures
        .split(' ')
        .filter_map(|s| s.strip_prefix("v1,"))
        .filter_map(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
        .any(|given| mac(key, id, timestamp, body).verify_slice(&given).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> Vec<u8> {
        base64::engine::general_purpose::STANDARD
            .decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
            .unwrap()
    }

    /// The Standard Webhooks spec's own example, as its reference library signs it.
    #[test]
    fn signs_as_the_standard_webhooks_reference() {
        let (id, body) = ("msg_p5jXN8AQM9LWM0D4loKWxJek", r#"{"test": 2432232314}"#);
        let signed = sign(&key(), id, 1614265330, body);
        assert_eq!(signed, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn only_the_right_key_body_and_a_fresh_timestamp_verify() {
        let (id, body, at) = ("msg_1", r#"{"id":"msg_x"}"#, 1_800_000_000);
        let signed = sign(&key(), id, at, body);
        let ok = |key: &[u8], body: &str, header: &str, now: i64| {
            verify(key, id, at, body.as_bytes(), header, now)
        };
        assert!(ok(&key(), body, &signed, at + 10));
        assert!(
            ok(&key(), body, &format!("v1,bm9wZQ== {signed}"), at),
            "any entry"
        );
        assert!(!ok(b"another key", body, &signed, at));
        assert!(
            !ok(&key(), r#"{"id":"msg_y"}"#, &signed, at),
            "body changed"
        );
        assert!(
            !ok(&key(), body, &signed, at + TOLERANCE_SECS + 1),
            "a replay"
        );
        assert!(!ok(&key(), body, &signed.replace("v1,", "v2,"), at));
        assert!(!ok(&key(), body, "", at));
    }
}

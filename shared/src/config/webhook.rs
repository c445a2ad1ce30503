//! `OTP_SMS_WEBHOOK_URL` and its secret: SMS handed to the operator's own endpoint (which
//! relays through any provider) instead of SNS, signed per the Standard Webhooks spec.

use super::per_client::PerClient;
use base64::Engine;

/// The endpoint of every client, or per client.
pub type WebhookUrls = PerClient<WebhookUrl>;

/// An `https` URL, or `http` to this machine (a relay beside the local server).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookUrl(lambda_http::http::Uri);

impl WebhookUrl {
    pub fn parse(url: &str) -> Result<WebhookUrl, String> {
        let uri: lambda_http::http::Uri = url
            .parse()
            .map_err(|e| format!("`{url}` is not a URL: {e}"))?;
        let loopback = matches!(uri.host(), Some("127.0.0.1" | "localhost" | "[::1]"));
        match uri.scheme_str() {
            Some("https") if uri.host().is_some() => Ok(WebhookUrl(uri)),
            Some("http") if loopback => Ok(WebhookUrl(uri)),
            _ => Err(format!(
                "`{url}` must be an https URL (http only to 127.0.0.1 or localhost)"
            )),
        }
    }

    pub fn uri(&self) -> &lambda_http::http::Uri {
        &self.0
    }
}

impl WebhookUrls {
    pub fn parse_urls(spec: &str) -> Result<WebhookUrls, String> {
        PerClient::parse(spec, WebhookUrl::parse)
    }
}

/// The signing key, from the secret's `whsec_<base64>` form. `Debug` never shows it.
#[derive(Clone)]
pub struct WebhookKey(Vec<u8>);

impl std::fmt::Debug for WebhookKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookKey(<redacted>)")
    }
}

impl WebhookKey {
    /// Secrets of 16 to 64 bytes, as the spec's libraries make them (24 by default).
    pub fn parse(secret: &str) -> Result<WebhookKey, String> {
        let encoded = secret.trim();
        let encoded = encoded.strip_prefix("whsec_").unwrap_or(encoded);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|_| "must be `whsec_` and base64 (Standard Webhooks)".to_string())?;
        match bytes.len() {
            16..=64 => Ok(WebhookKey(bytes)),
            n => Err(format!("must decode to 16 to 64 bytes, not {n}")),
        }
    }

    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_https_or_loopback_http() {
        let urls = WebhookUrls::parse_urls(
            "https://relay.example.com/sms, acme=http://127.0.0.1:9000/hook",
        )
        .unwrap();
        assert_eq!(urls.get("acme").unwrap().uri().port_u16(), Some(9000));
        assert_eq!(
            urls.get("beta").unwrap().uri().host(),
            Some("relay.example.com")
        );
        for bad in [
            "http://relay.example.com/sms",
            "ftp://x",
            "relay",
            "https://",
        ] {
            assert!(WebhookUrls::parse_urls(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn keys_are_standard_webhooks_secrets() {
        assert_eq!(
            WebhookKey::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
                .unwrap()
                .bytes()
                .len(),
            24
        );
        for bad in ["whsec_", "whsec_!!", "whsec_c2hvcnQ="] {
            assert!(WebhookKey::parse(bad).is_err(), "{bad}");
        }
        assert!(!format!(
            "{:?}",
            WebhookKey::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap()
        )
        .contains("MfKQ"));
    }
}

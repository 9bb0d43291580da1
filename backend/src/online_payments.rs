//! The online payment provider: hosted checkout sessions and signed
//! webhooks. The provider is any service speaking this small protocol (or a
//! relay in front of a real one):
//!
//! * `POST {url}/v1/checkout/sessions` with `Authorization: Bearer {key}`
//!   and JSON `{"amount_minor", "currency", "description", "success_url",
//!   "cancel_url", "metadata": {"clinic_id", "invoice_id"}}`; it answers
//!   `{"id": "cs_…", "url": "https://…"}`, where the patient pays.
//! * When a payment completes it POSTs to our webhook the raw JSON
//!   `{"id": "evt_…", "type": "checkout.completed", "data": {"session_id",
//!   "amount_minor", "currency", "metadata": {…}}}` with the header
//!   `Ambula-Signature: t={unix seconds},v1={hex HMAC-SHA256}` over
//!   `"{t}.{raw body}"` with the shared webhook secret. We refuse a bad
//!   signature and a timestamp more than five minutes away from our clock
//!   (a replayed old delivery), and record each event id once.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::time::Duration;

/// How far a webhook's timestamp may be from our clock.
pub const SIGNATURE_TOLERANCE_SECS: i64 = 300;
pub const SIGNATURE_HEADER: &str = "ambula-signature";

#[derive(Clone, PartialEq, Eq)]
pub struct OnlinePaymentSettings {
    /// The provider's base URL, e.g. `https://pay.example`.
    pub url: String,
    pub api_key: String,
    pub webhook_secret: String,
}

impl std::fmt::Debug for OnlinePaymentSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key or the secret.
        f.debug_struct("OnlinePaymentSettings").field("url", &self.url).finish_non_exhaustive()
    }
}

#[derive(Clone)]
pub struct OnlinePayments {
    settings: OnlinePaymentSettings,
    client: reqwest::Client,
}

impl std::fmt::Debug for OnlinePayments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.settings.fmt(f)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckoutRequest<'a> {
    pub amount_minor: i64,
    pub currency: &'a str,
    pub description: &'a str,
    pub success_url: &'a str,
    pub cancel_url: &'a str,
    pub metadata: Metadata,
}

/// What we ask the provider to send back with the payment: which clinic's
/// which invoice it pays. Trusted only inside a correctly signed webhook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    pub clinic_id: uuid::Uuid,
    pub invoice_id: uuid::Uuid,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CheckoutSession {
    pub id: String,
    pub url: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct WebhookEvent {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub data: WebhookData,
}

#[derive(Debug, Clone, Deserialize)]
pub struct WebhookData {
    #[serde(default)]
    pub session_id: String,
    pub amount_minor: i64,
    pub currency: String,
    pub metadata: Metadata,
}

/// Why a webhook delivery was refused: HTTP 400 for what the provider sent
/// wrong (it should not retry it as is), 500 for our own failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("online payments are not configured")]
    NotConfigured,
    #[error("missing or malformed signature header")]
    MissingSignature,
    #[error("signature does not match")]
    BadSignature,
    #[error("timestamp outside the tolerance")]
    Stale,
    #[error("malformed event: {0}")]
    Malformed(String),
    /// Our side failed (database): HTTP 500, so the provider retries.
    #[error("could not record the event: {0}")]
    Storage(String),
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 || text.len() > 128 {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| text.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok())).collect()
}

/// The signature header for `body` at `timestamp` (what the provider sends;
/// used by tests and by anyone writing a relay).
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("t={timestamp},v1={}", hex(&mac.finalize().into_bytes()))
}

/// Checks a delivery's signature (constant-time) and timestamp against
/// `now` (unix seconds).
pub fn verify(secret: &str, header: Option<&str>, body: &[u8], now: i64) -> Result<(), WebhookError> {
    let header = header.ok_or(WebhookError::MissingSignature)?;
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", s)) => signatures.extend(unhex(s)),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(WebhookError::MissingSignature)?;
    if signatures.is_empty() {
        return Err(WebhookError::MissingSignature);
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_err(|_| WebhookError::NotConfigured)?;
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    // `verify_slice` compares in constant time; any listed v1 may match
    // (the provider may sign with an old and a new secret while rotating).
    if !signatures.iter().any(|s| mac.clone().verify_slice(s).is_ok()) {
        return Err(WebhookError::BadSignature);
    }
    if (now - timestamp).abs() > SIGNATURE_TOLERANCE_SECS {
        return Err(WebhookError::Stale);
    }
    Ok(())
}

impl OnlinePayments {
    pub fn new(settings: OnlinePaymentSettings) -> Result<Self, String> {
        if !(settings.url.starts_with("https://") || settings.url.starts_with("http://")) {
            return Err(format!("payment provider URL must start with https:// (got {:?})", settings.url));
        }
        if settings.api_key.trim().is_empty() || settings.webhook_secret.len() < 16 {
            return Err("payment provider key is empty or webhook secret shorter than 16 characters".into());
        }
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("payment client: {e}"))?;
        Ok(Self { settings, client })
    }

    pub fn webhook_secret(&self) -> &str {
        &self.settings.webhook_secret
    }

    /// Creates a hosted checkout session. The error names what went wrong
    /// without echoing the key.
    pub async fn create_session(&self, request: &CheckoutRequest<'_>) -> Result<CheckoutSession, String> {
        let url = format!("{}/v1/checkout/sessions", self.settings.url.trim_end_matches('/'));
        let response = self
            .client
            .post(url)
            .bearer_auth(&self.settings.api_key)
            .json(request)
            .send()
            .await
            .map_err(|e| format!("payment provider unreachable: {}", e.without_url()))?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("payment provider answered {status}"));
        }
        let session: CheckoutSession = response.json().await.map_err(|_| "payment provider sent an unreadable answer".to_owned())?;
        if !(session.url.starts_with("https://") || session.url.starts_with("http://")) || session.id.is_empty() || session.id.len() > 200 {
            return Err("payment provider sent an unusable session".into());
        }
        Ok(session)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_only_with_the_secret_body_and_time() {
        let body = br#"{"id":"evt_1"}"#;
        let header = sign("0123456789abcdef", 1_700_000_000, body);
        assert_eq!(verify("0123456789abcdef", Some(&header), body, 1_700_000_100), Ok(()));
        assert_eq!(verify("another secret!!", Some(&header), body, 1_700_000_100), Err(WebhookError::BadSignature));
        assert_eq!(verify("0123456789abcdef", Some(&header), br#"{"id":"evt_2"}"#, 1_700_000_100), Err(WebhookError::BadSignature));
        assert_eq!(verify("0123456789abcdef", Some(&header), body, 1_700_000_301), Err(WebhookError::Stale));
        assert_eq!(verify("0123456789abcdef", None, body, 1_700_000_000), Err(WebhookError::MissingSignature));
        assert_eq!(verify("0123456789abcdef", Some("t=1,v1=zz"), body, 1), Err(WebhookError::MissingSignature));
        // A forged timestamp breaks the signature.
        let forged = header.replace("t=1700000000", "t=1700000200");
        assert_eq!(verify("0123456789abcdef", Some(&forged), body, 1_700_000_200), Err(WebhookError::BadSignature));
    }
}

//! Outgoing SMS through an HTTP provider: `POST {url}` with a JSON body
//! `{"to": "+351…", "body": "…"}` and `Authorization: Bearer {token}`; any
//! 2xx is accepted as sent. Most providers (or a small relay in front of
//! one) can take this shape. rustls with the system's root certificates.

use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsSettings {
    pub url: String,
    pub token: String,
}

#[derive(Clone)]
pub struct SmsSender {
    settings: SmsSettings,
    client: reqwest::Client,
}

impl std::fmt::Debug for SmsSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the token.
        f.debug_struct("SmsSender").field("url", &self.settings.url).finish_non_exhaustive()
    }
}

impl SmsSender {
    pub fn new(settings: SmsSettings) -> Result<Self, String> {
        if !(settings.url.starts_with("https://") || settings.url.starts_with("http://")) {
            return Err(format!("SMS provider URL must start with https:// (got {:?})", settings.url));
        }
        if settings.token.trim().is_empty() {
            return Err("SMS provider token is empty".into());
        }
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("SMS client: {e}"))?;
        Ok(Self { settings, client })
    }

    /// Sends one message. The error says what went wrong without echoing
    /// the number or the text (it is stored and may be logged).
    pub async fn send(&self, to: &str, body: &str) -> Result<(), String> {
        let response = self
            .client
            .post(&self.settings.url)
            .bearer_auth(&self.settings.token)
            .json(&serde_json::json!({ "to": to, "body": body }))
            .send()
            .await
            .map_err(|e| format!("SMS provider unreachable: {}", e.without_url()))?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("SMS provider answered {status}"))
        }
    }
}

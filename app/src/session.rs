//! Server-side request helpers for server functions: the services, the
//! session cookie, and who is asking. Compiled only into the server.

use crate::error::AppError;
use ambula_backend::{services::ClientInfo, AuthContext, Services};
use http::{header, request::Parts, HeaderValue};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

/// How the session cookie is named and flagged; set by the server from its
/// configuration and provided to every request.
#[derive(Debug, Clone)]
pub struct CookieSettings {
    /// True when the site is served over HTTPS: the cookie then gets
    /// `Secure` and the `__Host-` prefix (no Domain, Path=/, HTTPS only).
    pub secure: bool,
    pub max_age_secs: u64,
}

impl CookieSettings {
    pub fn name(&self) -> &'static str {
        if self.secure {
            "__Host-ambula_session"
        } else {
            "ambula_session"
        }
    }
}

pub fn services() -> Result<Services, AppError> {
    use_context::<Services>().ok_or_else(|| {
        tracing::error!("Services missing from the request context");
        AppError::Internal
    })
}

fn cookie_settings() -> CookieSettings {
    use_context::<CookieSettings>().unwrap_or(CookieSettings { secure: false, max_age_secs: 12 * 3600 })
}

/// The session token from the request's cookie, if any.
pub fn session_token() -> Option<String> {
    let parts = use_context::<Parts>()?;
    token_from_headers(&parts.headers, cookie_settings().name())
}

pub fn token_from_headers(headers: &http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .filter(|v| !v.is_empty())
}

pub fn client_info() -> ClientInfo {
    let Some(parts) = use_context::<Parts>() else {
        return ClientInfo::default();
    };
    // Resolved by the server's middleware (it knows the trusted proxies).
    if let Some(client) = parts.extensions.get::<ClientInfo>() {
        return client.clone();
    }
    let ip = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip().to_string());
    let user_agent = parts
        .headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    ClientInfo { ip, user_agent }
}

/// The signed-in user, or 401. The server's session middleware has already
/// verified the cookie for this request and left the result here.
/// The signed-in person of this request, if any; unlike `require_auth`,
/// its absence is not an error (and sets no status).
pub fn auth_context() -> Option<AuthContext> {
    use_context::<Parts>().and_then(|parts| parts.extensions.get::<AuthContext>().cloned())
}

pub async fn require_auth() -> Result<(Services, AuthContext), AppError> {
    let services = services()?;
    let context = auth_context()
        // Through ServiceError so the 401 status is set where every other is.
        .ok_or(ambula_backend::ServiceError::Unauthenticated)?;
    no_store();
    Ok((services, context))
}

/// Responses with clinic or patient data must not be kept by the browser or
/// any cache in between.
pub fn no_store() {
    if let Some(response) = use_context::<ResponseOptions>() {
        response.insert_header(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

/// Sets this page's Content-Security-Policy around a per-request nonce,
/// which Leptos puts on its hydration script. No inline script runs without
/// it; `'wasm-unsafe-eval'` lets the wasm bundle compile (never
/// `'unsafe-eval'`); `'self'` covers the lazily loaded page modules.
pub fn content_security_policy() {
    use leptos::nonce::{provide_nonce, use_nonce};
    if use_nonce().is_none() {
        provide_nonce();
    }
    let Some(nonce) = use_nonce() else {
        return;
    };
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; font-src 'self'; manifest-src 'self'; object-src 'none'; \
         base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    );
    if let (Some(response), Ok(value)) = (use_context::<ResponseOptions>(), HeaderValue::from_str(&policy)) {
        response.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
}

/// Where a new session goes next: the app, or the MFA step it must finish.
pub fn landing(stage: ambula_backend::repo::sessions::Stage) -> &'static str {
    use ambula_backend::repo::sessions::Stage;
    match stage {
        Stage::Full => "/app",
        Stage::Mfa => "/sign-in/code",
        Stage::Enrol => "/sign-in/set-up-mfa",
    }
}

pub fn set_session_cookie(token: &str) {
    let settings = cookie_settings();
    let secure = if settings.secure { "; Secure" } else { "" };
    let cookie = format!(
        "{}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        settings.name(),
        settings.max_age_secs
    );
    append_cookie(&cookie);
}

pub fn clear_session_cookie() {
    let settings = cookie_settings();
    let secure = if settings.secure { "; Secure" } else { "" };
    append_cookie(&format!("{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}", settings.name()));
}

fn append_cookie(cookie: &str) {
    if let (Some(response), Ok(value)) = (use_context::<ResponseOptions>(), HeaderValue::from_str(cookie)) {
        response.append_header(header::SET_COOKIE, value);
    }
}

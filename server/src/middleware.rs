//! Middleware every request passes through.

use crate::routes::AppState;
use axum::{
    body::Body,
    extract::State,
    http::{header, HeaderValue, Method, Request, StatusCode},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};

/// The policy for responses that are not pages (API answers, files,
/// errors): nothing may run, load or frame.
const STRICT_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// Headers on every response, errors included. Pages carry their own CSP
/// with the per-request nonce of their hydration script (set by
/// `app::shell`); everything else gets the strict policy.
pub async fn security_headers(request: Request<Body>, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(STRICT_CSP));
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    // A handler may allow its own origin to frame it (document previews);
    // everything else is never framed.
    if !headers.contains_key(header::X_FRAME_OPTIONS) {
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    // Staff pages and server functions carry clinic and patient data.
    if path == "/app" || path.starts_with("/app/") || path.starts_with("/api/") {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// CSRF defence: a request that changes state must come from our own pages.
/// Browsers send `Sec-Fetch-Site` and/or `Origin` on every POST; a request
/// with neither is not from a browser (curl, a test client) and cannot ride
/// on a victim's cookies.
pub async fn same_origin_writes(State(state): State<AppState>, request: Request<Body>, next: Next) -> Response {
    if matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(request).await;
    }
    let headers = request.headers();
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if site != "same-origin" && site != "none" {
            return forbidden_cross_site();
        }
    }
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or_default();
        let same_host = origin.split_once("://").map(|(_, authority)| authority == host).unwrap_or(false);
        if !(same_host || origin == state.public_url) {
            return forbidden_cross_site();
        }
    }
    next.run(request).await
}

/// Where a request comes from, for audit entries, sessions and the sign-in
/// throttle. The socket address, unless it is a configured trusted proxy
/// (`AMBULA_TRUSTED_PROXIES`): then the right-most address in
/// `X-Forwarded-For` that is not itself a trusted proxy. The header is
/// never believed from anyone else (clients can write anything into it).
pub fn client_info(request: &Request<Body>, trusted_proxies: &[std::net::IpAddr]) -> ambula_backend::services::ClientInfo {
    let peer = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip());
    let ip = match peer {
        Some(peer) if trusted_proxies.contains(&peer) => request
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter_map(|a| a.parse::<std::net::IpAddr>().ok())
            .rev()
            .find(|a| !trusted_proxies.contains(a))
            .or(Some(peer)),
        other => other,
    };
    let user_agent = request.headers().get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_owned);
    ambula_backend::services::ClientInfo { ip: ip.map(|ip| ip.to_string()), user_agent }
}

fn forbidden_cross_site() -> Response {
    (StatusCode::FORBIDDEN, "Cross-site requests are not accepted.").into_response()
}

/// Resolves the session cookie once per request and leaves the result in the
/// request's extensions, where server functions (`app::session::require_auth`)
/// and server rendering find it: one lookup per request, however many server
/// functions a page calls. Staff pages without a valid session redirect to
/// sign-in before anything renders (no flash of an empty app, no data in the HTML).
pub async fn resolve_session(State(state): State<AppState>, mut request: Request<Body>, next: Next) -> Response {
    let token = app::session::token_from_headers(request.headers(), state.cookies.name());
    use ambula_backend::services::auth::{authenticate_as, Activity};
    // The live stream reconnects by itself, and a page refreshing after a
    // live update calls a `_live` server function: neither is the user at
    // work, so neither keeps an unattended screen signed in.
    let path = request.uri().path();
    let background = path == crate::routes::LIVE_CALENDAR || (path.starts_with("/api/") && path.ends_with("_live"));
    let activity = if background { Activity::Background } else { Activity::User };
    let context = match token {
        Some(token) => authenticate_as(&state.services, &token, activity).await.ok(),
        None => None,
    };
    let client = client_info(&request, &state.trusted_proxies);
    // Server functions that run before sign-in (sign-in itself, resets) read it here.
    request.extensions_mut().insert(client.clone());
    let context = context.map(|mut context| {
        context.client = client;
        context
    });
    let path = request.uri().path();
    let is_app_page = request.method() == Method::GET && (path == "/app" || path.starts_with("/app/"));
    match context {
        Some(context) => {
            request.extensions_mut().insert(context);
            next.run(request).await
        }
        None if is_app_page => Redirect::to("/sign-in").into_response(),
        None => next.run(request).await,
    }
}

#[derive(Clone, Copy, Debug)]
pub struct BodyLimits {
    pub default: usize,
    pub upload: usize,
}

/// The body limit for this request: uploads have their own. Over a declared
/// Content-Length: 413 at once, nothing read. Otherwise the body is wrapped
/// so that reading past the limit fails (413 from the extractor).
pub async fn body_limit(State(limits): State<BodyLimits>, request: Request<Body>, next: Next) -> Response {
    let is_upload = request.method() == Method::POST
        && request.uri().path().starts_with("/api/patients/")
        && request.uri().path().ends_with("/documents");
    let limit = if is_upload { limits.upload } else { limits.default };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return (StatusCode::PAYLOAD_TOO_LARGE, "The request is too large.").into_response();
    }
    let request = request.map(|body| Body::new(http_body_util::Limited::new(body, limit)));
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{IpAddr, SocketAddr};

    fn request(peer: &str, forwarded: Option<&str>) -> Request<Body> {
        let mut request = Request::builder().uri("/").body(Body::empty()).unwrap();
        if let Some(f) = forwarded {
            request.headers_mut().insert("x-forwarded-for", HeaderValue::from_str(f).unwrap());
        }
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(SocketAddr::new(peer.parse().unwrap(), 40000)));
        request
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        // A client cannot pick its own address by sending the header directly.
        let direct = client_info(&request("203.0.113.9", Some("1.2.3.4")), &[proxy]);
        assert_eq!(direct.ip.as_deref(), Some("203.0.113.9"));
        // Through the proxy: the right-most address the proxy appended, not a
        // spoofed one further left.
        let proxied = client_info(&request("10.0.0.2", Some("1.2.3.4, 198.51.100.7")), &[proxy]);
        assert_eq!(proxied.ip.as_deref(), Some("198.51.100.7"));
        // Through the proxy without the header: the proxy itself.
        assert_eq!(client_info(&request("10.0.0.2", None), &[proxy]).ip.as_deref(), Some("10.0.0.2"));
        // No proxies configured: the socket address, always.
        assert_eq!(client_info(&request("10.0.0.2", Some("1.2.3.4")), &[]).ip.as_deref(), Some("10.0.0.2"));
    }
}

/// Paths whose last segment is a bearer secret: what a request log shows
/// instead of the token.
const SECRET_PATHS: &[&str] = &["/reset-password/", "/invite/", "/sign-up/confirm/", "/calendar/feeds/"];

/// The request path as logs may show it: a token in a link is replaced by
/// `[redacted]` (a leaked log must not be a way in).
pub fn redacted_path(path: &str) -> std::borrow::Cow<'_, str> {
    for prefix in SECRET_PATHS {
        if let Some(rest) = path.strip_prefix(prefix) {
            if !rest.is_empty() {
                return format!("{prefix}[redacted]").into();
            }
        }
    }
    path.into()
}

#[cfg(test)]
mod redaction_tests {
    use super::redacted_path;

    #[test]
    fn link_tokens_never_reach_the_log() {
        assert_eq!(redacted_path("/reset-password/abc123"), "/reset-password/[redacted]");
        assert_eq!(redacted_path("/invite/abc123/extra"), "/invite/[redacted]");
        assert_eq!(redacted_path("/calendar/feeds/tok.ics"), "/calendar/feeds/[redacted]");
        assert_eq!(redacted_path("/app/calendar"), "/app/calendar");
        assert_eq!(redacted_path("/invite/"), "/invite/");
    }
}

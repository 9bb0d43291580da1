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
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
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

/// Where a request comes from, for audit entries and sessions. The socket
/// address, not X-Forwarded-For: that header is client-controlled unless a
/// trusted proxy sets it (see docs/operations.md).
pub fn client_info(request: &Request<Body>) -> ambula_backend::services::ClientInfo {
    let ip = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip().to_string());
    let user_agent = request.headers().get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_owned);
    ambula_backend::services::ClientInfo { ip, user_agent }
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
    let context = match token {
        Some(token) => ambula_backend::services::auth::authenticate(&state.services, &token).await.ok(),
        None => None,
    };
    let context = context.map(|mut context| {
        context.client = client_info(&request);
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

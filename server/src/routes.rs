//! The HTTP surface: health checks, server functions, pages and static
//! files, wrapped in the middleware that every response passes through.

use crate::{billing_pdfs, chart_pdfs};
use crate::{calendar, config::Config, documents, middleware, payments};
use ambula_backend::Services;
use app::{session::CookieSettings, shell, App};
use axum::{
    body::Body,
    extract::{DefaultBodyLimit, FromRef, State},
    http::{Request, StatusCode},
    response::IntoResponse,
    routing::{get, post},
    Router,
};
use leptos::{config::LeptosOptions, prelude::provide_context};
use leptos_axum::{generate_route_list, handle_server_fns_with_context, LeptosRoutes};
use tower_http::{
    timeout::TimeoutLayer,
    trace::{DefaultOnResponse, TraceLayer},
};

#[derive(Clone)]
pub struct AppState {
    pub leptos: LeptosOptions,
    pub services: Services,
    pub cookies: CookieSettings,
    pub public_url: String,
    /// Reverse proxies whose X-Forwarded-For is believed.
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}

pub fn leptos_options(config: &Config) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("ambula")
        .site_root(config.site_root.as_str())
        .site_pkg_dir("pkg")
        .site_addr(config.bind)
        .env(leptos::config::Env::PROD)
        .build()
}

pub fn router(config: &Config, services: Services) -> Router {
    let state = AppState {
        leptos: leptos_options(config),
        cookies: CookieSettings { secure: config.https(), max_age_secs: 12 * 3600 },
        services,
        public_url: config.public_url.clone(),
        trusted_proxies: config.trusted_proxies.clone(),
    };
    let context = {
        let (services, cookies) = (state.services.clone(), state.cookies.clone());
        move || {
            provide_context(services.clone());
            provide_context(cookies.clone());
        }
    };
    let routes = generate_route_list(App);
    let shell_options = state.leptos.clone();

    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route(AUDIT_CSV, get(audit_csv))
        .route(PATIENT_DOCUMENTS, post(documents::upload))
        .route(DOCUMENT, get(documents::download))
        .route(DOCUMENT_PREVIEW, get(documents::preview))
        .route(LIVE_CALENDAR, get(calendar::live_calendar))
        .route(CALENDAR_FEED, get(calendar::feed))
        .route(PRESCRIPTION_PDF, get(chart_pdfs::prescription))
        .route(REFERRAL_LETTER_PDF, get(chart_pdfs::referral_letter))
        .route(CHART_SUMMARY_PDF, get(chart_pdfs::chart_summary))
        .route(INVOICE_PDF, get(billing_pdfs::invoice))
        .route(RECEIPT_PDF, get(billing_pdfs::receipt))
        .route(STATEMENT_PDF, get(billing_pdfs::statement))
        .route(BILLING_CSV, get(billing_pdfs::export_csv))
        .route(PAYMENT_WEBHOOK, post(payments::webhook))
        .route(
            "/api/{*fn_name}",
            post({
                let context = context.clone();
                move |req: Request<Body>| handle_server_fns_with_context(context.clone(), req)
            })
            .get({
                let context = context.clone();
                move |req: Request<Body>| handle_server_fns_with_context(context.clone(), req)
            }),
        )
        .leptos_routes_with_context(&state, routes, context, move || shell(shell_options.clone()))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        // Each layer wraps all of the above; the last added runs first.
        // Body limits per route (uploads get their own): a declared
        // Content-Length over the limit is refused before the body is read,
        // and a chunked body is cut off as it streams past it.
        .layer(DefaultBodyLimit::disable())
        .layer(axum::middleware::from_fn_with_state(
            middleware::BodyLimits { default: config.max_body_bytes, upload: config.max_upload_bytes },
            middleware::body_limit,
        ))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, config.request_timeout))
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::resolve_session))
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::same_origin_writes))
        .layer(axum::middleware::from_fn(middleware::security_headers))
        .layer(tower::util::option_layer(config.tls.is_some().then(|| axum::middleware::from_fn(crate::tls::hsts))))
        // One INFO line per request: method, path, status, latency. Headers
        // (cookies) and query strings are not recorded, and the secret part
        // of a link (reset, invitation, calendar feed) is redacted.
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request<Body>| {
                    tracing::info_span!("request", method = %request.method(), path = %middleware::redacted_path(request.uri().path()))
                })
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .with_state(state)
}

/// Routes outside the server functions that serve clinic data. The
/// authorization matrix test (server/tests/authz.rs) enumerates these and
/// the registered server functions; a route missing from it fails the test.
pub const AUDIT_CSV: &str = "/api/audit.csv";
pub const PATIENT_DOCUMENTS: &str = "/api/patients/{id}/documents";
pub const DOCUMENT: &str = "/api/documents/{id}";
/// Inline, for verified images and PDFs only (the Documents tab's preview).
pub const DOCUMENT_PREVIEW: &str = "/api/documents/{id}/preview";
pub const LIVE_CALENDAR: &str = "/api/live/calendar";
/// `{file}` is `<token>.ics`; the token alone authorizes (no session).
pub const CALENDAR_FEED: &str = "/calendar/feeds/{file}";
/// A medication's printable prescription (PDF).
pub const PRESCRIPTION_PDF: &str = "/api/medications/{id}/prescription";
/// A referral's letter (PDF).
pub const REFERRAL_LETTER_PDF: &str = "/api/referrals/{id}/letter";
/// A patient's chart summary (PDF).
pub const CHART_SUMMARY_PDF: &str = "/api/patients/{id}/summary.pdf";
/// An invoice or credit note (PDF).
pub const INVOICE_PDF: &str = "/api/invoices/{id}/pdf";
/// A payment's receipt (PDF).
pub const RECEIPT_PDF: &str = "/api/payments/{id}/receipt";
/// A patient's statement of account (PDF).
pub const STATEMENT_PDF: &str = "/api/patients/{id}/statement";
/// The accountant's CSV of a period.
pub const BILLING_CSV: &str = "/api/billing/export.csv";
/// The online payment provider's webhook: authorized by its signature,
/// not a session (`server/src/payments.rs`).
pub const PAYMENT_WEBHOOK: &str = "/payments/webhook";
pub const DATA_ROUTES: &[(&str, &str)] = &[
    ("GET", AUDIT_CSV),
    ("POST", PATIENT_DOCUMENTS),
    ("GET", DOCUMENT),
    ("GET", LIVE_CALENDAR),
    ("GET", CALENDAR_FEED),
    ("GET", DOCUMENT_PREVIEW),
    ("GET", PRESCRIPTION_PDF),
    ("GET", REFERRAL_LETTER_PDF),
    ("GET", CHART_SUMMARY_PDF),
    ("GET", INVOICE_PDF),
    ("GET", RECEIPT_PDF),
    ("GET", STATEMENT_PDF),
    ("GET", BILLING_CSV),
];

/// The audit trail as CSV, with the viewer's filters as query parameters.
/// A plain GET so the browser downloads it; it changes nothing but the
/// audit trail, which records the export.
async fn audit_csv(
    State(state): State<AppState>,
    context: Option<axum::Extension<ambula_backend::AuthContext>>,
    query: Result<axum::extract::Query<ambula_domain::security::AuditFilterForm>, axum::extract::rejection::QueryRejection>,
) -> axum::response::Response {
    use ambula_backend::ServiceError;
    let Some(axum::Extension(ctx)) = context else {
        return (StatusCode::UNAUTHORIZED, "Sign in to continue.").into_response();
    };
    let Ok(axum::extract::Query(form)) = query else {
        return (StatusCode::BAD_REQUEST, "The filters could not be read.").into_response();
    };
    match ambula_backend::services::audit_log::export_csv(&state.services, &ctx, &form).await {
        Ok(csv) => {
            let today = state.services.now().0.format("%Y-%m-%d");
            (
                [
                    (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                    (axum::http::header::CONTENT_DISPOSITION, format!("attachment; filename=\"audit-{today}.csv\"")),
                ],
                csv,
            )
                .into_response()
        }
        Err(ServiceError::Invalid(errors)) => (StatusCode::UNPROCESSABLE_ENTITY, errors.to_string()).into_response(),
        Err(ServiceError::Unauthenticated) => StatusCode::UNAUTHORIZED.into_response(),
        Err(ServiceError::Forbidden) | Err(ServiceError::Restricted) => StatusCode::FORBIDDEN.into_response(),
        Err(ServiceError::NotFound) => StatusCode::NOT_FOUND.into_response(),
        Err(ServiceError::RateLimited { .. }) => StatusCode::TOO_MANY_REQUESTS.into_response(),
        Err(ServiceError::Internal(detail)) => {
            tracing::error!(%detail, "audit export failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// Liveness: the process is up and serving.
async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the database answers.
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match state.services.db.ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(error) => {
            tracing::warn!(%error, "database not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}

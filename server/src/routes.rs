//! The HTTP surface: health checks, server functions, pages and static
//! files, wrapped in the middleware that every response passes through.

use crate::{config::Config, middleware};
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
    limit::RequestBodyLimitLayer,
    timeout::TimeoutLayer,
    trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer},
};

#[derive(Clone)]
pub struct AppState {
    pub leptos: LeptosOptions,
    pub services: Services,
    pub cookies: CookieSettings,
    pub public_url: String,
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
        // Refuses a declared Content-Length over the limit before reading the
        // body; DefaultBodyLimit also caps chunked bodies as they stream.
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .layer(RequestBodyLimitLayer::new(config.max_body_bytes))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, config.request_timeout))
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::resolve_session))
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::same_origin_writes))
        .layer(axum::middleware::from_fn(middleware::security_headers))
        // One INFO line per request: method, path, status, latency. Headers
        // (cookies) are not recorded.
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(tracing::Level::INFO))
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .with_state(state)
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

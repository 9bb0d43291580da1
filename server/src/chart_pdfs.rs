//! The chart's printouts as PDF downloads: a medication's prescription, a
//! referral's letter and the patient's chart summary. Signed in only (401),
//! read permission and patient access checked and the print audited by the
//! service; always an attachment, never cached, never sniffed, and
//! sandboxed should a browser open it anyway.

use crate::routes::AppState;
use ambula_backend::{
    services::{chart::summary, medications::printouts},
    AuthContext, ServiceError,
};
use axum::{
    extract::{Path, State},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Extension, Json,
};

pub(crate) fn error(error: ServiceError) -> Response {
    match error {
        ServiceError::Invalid(errors) => (StatusCode::UNPROCESSABLE_ENTITY, Json(errors)).into_response(),
        ServiceError::Unauthenticated => StatusCode::UNAUTHORIZED.into_response(),
        ServiceError::Forbidden | ServiceError::Restricted => StatusCode::FORBIDDEN.into_response(),
        ServiceError::NotFound => StatusCode::NOT_FOUND.into_response(),
        ServiceError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS.into_response(),
        ServiceError::Internal(detail) => {
            tracing::error!(%detail, "printout failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

pub(crate) fn pdf(printout: printouts::Printout) -> Response {
    // Server-made names: letters, digits, dashes and dots only.
    let name: String = printout.file_name.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.')).collect();
    let mut response = printout.bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox"));
    response
}

/// `GET /api/medications/{id}/prescription`.
pub async fn prescription(State(state): State<AppState>, context: Option<Extension<AuthContext>>, Path(id): Path<String>) -> Response {
    let Some(Extension(ctx)) = context else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    match printouts::prescription(&state.services, &ctx, &id).await {
        Ok(printout) => pdf(printout),
        Err(e) => error(e),
    }
}

/// `GET /api/referrals/{id}/letter`.
pub async fn referral_letter(State(state): State<AppState>, context: Option<Extension<AuthContext>>, Path(id): Path<String>) -> Response {
    let Some(Extension(ctx)) = context else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    match printouts::referral_letter(&state.services, &ctx, &id).await {
        Ok(printout) => pdf(printout),
        Err(e) => error(e),
    }
}

/// `GET /api/patients/{id}/summary.pdf`.
pub async fn chart_summary(State(state): State<AppState>, context: Option<Extension<AuthContext>>, Path(id): Path<String>) -> Response {
    let Some(Extension(ctx)) = context else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    match summary::summary_pdf(&state.services, &ctx, &id).await {
        Ok(printout) => pdf(printout),
        Err(e) => error(e),
    }
}

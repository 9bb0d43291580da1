//! Billing downloads: the invoice (or credit note), receipt and statement
//! PDFs, and the accountant's CSV. Signed in only (401); permission, the
//! patient's access rules and the audit are the services'; another
//! clinic's id is a 404. PDFs go out like the chart's (`chart_pdfs::pdf`):
//! an attachment, never cached, never sniffed, sandboxed.

use crate::{
    chart_pdfs::{error, pdf},
    routes::AppState,
};
use ambula_backend::{services::billing::{printouts, reports}, AuthContext};
use ambula_domain::billing::PeriodForm;
use axum::{
    extract::{Path, Query, State},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Extension,
};

/// `GET /api/invoices/{id}/pdf`.
pub async fn invoice(State(state): State<AppState>, context: Option<Extension<AuthContext>>, Path(id): Path<String>) -> Response {
    let Some(Extension(ctx)) = context else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    match printouts::invoice(&state.services, &ctx, &id).await {
        Ok(printout) => pdf(printout),
        Err(e) => error(e),
    }
}

/// `GET /api/payments/{id}/receipt`.
pub async fn receipt(State(state): State<AppState>, context: Option<Extension<AuthContext>>, Path(id): Path<String>) -> Response {
    let Some(Extension(ctx)) = context else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    match printouts::receipt_pdf(&state.services, &ctx, &id).await {
        Ok(printout) => pdf(printout),
        Err(e) => error(e),
    }
}

/// `GET /api/patients/{id}/statement`.
pub async fn statement(State(state): State<AppState>, context: Option<Extension<AuthContext>>, Path(id): Path<String>) -> Response {
    let Some(Extension(ctx)) = context else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    match printouts::statement(&state.services, &ctx, &id).await {
        Ok(printout) => pdf(printout),
        Err(e) => error(e),
    }
}

/// `GET /api/billing/export.csv?from=…&to=…`: the accountant's CSV
/// (`ExportData`; formulas neutralised by the service).
pub async fn export_csv(
    State(state): State<AppState>,
    context: Option<Extension<AuthContext>>,
    query: Result<Query<PeriodForm>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Some(Extension(ctx)) = context else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    // A missing or unreadable period goes to the service as empty dates:
    // the permission is checked first, then the dates get their field
    // errors (422).
    let form = query.map(|Query(form)| form).unwrap_or_default();
    match reports::export_csv(&state.services, &ctx, &form).await {
        Ok(csv) => {
            // Dates only: the period was parsed by the service.
            let name: String = format!("billing-{}-{}.csv", form.from.trim(), form.to.trim())
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.'))
                .collect();
            let mut response = csv.into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
            if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
                headers.insert(header::CONTENT_DISPOSITION, value);
            }
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(e) => error(e),
    }
}

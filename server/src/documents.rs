//! Document upload and download over plain HTTP (binary bodies do not suit
//! server functions). Downloads are always attachments, typed by what the
//! content was sniffed to be, with nosniff and a sandboxing CSP, so a file
//! can never run as a page of ours.

use crate::routes::AppState;
use ambula_backend::{services::documents, AuthContext, ServiceError};
use axum::{
    body::Bytes,
    extract::{Path, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Extension, Json,
};

fn error(error: ServiceError) -> Response {
    match error {
        ServiceError::Invalid(errors) => (StatusCode::UNPROCESSABLE_ENTITY, Json(errors)).into_response(),
        ServiceError::Unauthenticated => StatusCode::UNAUTHORIZED.into_response(),
        ServiceError::Forbidden | ServiceError::Restricted => StatusCode::FORBIDDEN.into_response(),
        ServiceError::NotFound => StatusCode::NOT_FOUND.into_response(),
        ServiceError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS.into_response(),
        ServiceError::Internal(detail) => {
            tracing::error!(%detail, "document request failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// `POST /api/patients/{id}/documents`: the file is the body; its name is
/// in `X-File-Name` (percent-encoded UTF-8).
pub async fn upload(
    State(state): State<AppState>,
    context: Option<Extension<AuthContext>>,
    Path(patient): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let Some(Extension(ctx)) = context else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let body = match body {
        Ok(body) => body,
        Err(rejection) => return rejection.into_response(),
    };
    let raw_name = headers.get("x-file-name").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let name = percent_decode(raw_name);
    match documents::upload(&state.services, &ctx, &patient, &name, &body).await {
        Ok(info) => (
            StatusCode::CREATED,
            Json(serde_json::json!({
                "id": info.id,
                "file_name": info.file_name,
                "content_type": info.content_type,
                "size_bytes": info.size_bytes,
                "sha256": info.sha256,
            })),
        )
            .into_response(),
        Err(e) => error(e),
    }
}

/// `GET /api/documents/{id}`: always a download, never rendered inline.
pub async fn download(State(state): State<AppState>, context: Option<Extension<AuthContext>>, Path(id): Path<String>) -> Response {
    let Some(Extension(ctx)) = context else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    match documents::download(&state.services, &ctx, &id).await {
        Ok(file) => {
            let ascii: String = file.file_name.chars().map(|c| if c.is_ascii_alphanumeric() || ".-_ ".contains(c) { c } else { '_' }).collect();
            let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{}", percent_encode(&file.file_name));
            let mut response = file.bytes.into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_str(&file.content_type).unwrap_or(HeaderValue::from_static("application/octet-stream")));
            if let Ok(value) = HeaderValue::from_str(&disposition) {
                headers.insert(header::CONTENT_DISPOSITION, value);
            }
            headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox"));
            response
        }
        Err(e) => error(e),
    }
}

/// `GET /api/documents/{id}/preview`: shown inline by the Documents tab in
/// an `<img>` or a sandboxed `<iframe>`. Only content that still sniffs as
/// an image or a PDF is served (`documents::preview`), with its real type,
/// nosniff, a sandboxing CSP that loads nothing but our own images, and
/// framing allowed for our own pages only.
pub async fn preview(State(state): State<AppState>, context: Option<Extension<AuthContext>>, Path(id): Path<String>) -> Response {
    let Some(Extension(ctx)) = context else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    match documents::preview(&state.services, &ctx, &id).await {
        Ok(file) => {
            let ascii: String = file.file_name.chars().map(|c| if c.is_ascii_alphanumeric() || ".-_ ".contains(c) { c } else { '_' }).collect();
            let disposition = format!("inline; filename=\"{ascii}\"; filename*=UTF-8''{}", percent_encode(&file.file_name));
            let mut response = file.bytes.into_response();
            let headers = response.headers_mut();
            let Ok(content_type) = HeaderValue::from_str(&file.content_type) else {
                return StatusCode::NOT_FOUND.into_response();
            };
            headers.insert(header::CONTENT_TYPE, content_type);
            if let Ok(value) = HeaderValue::from_str(&disposition) {
                headers.insert(header::CONTENT_DISPOSITION, value);
            }
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("sandbox; default-src 'none'; img-src 'self'; frame-ancestors 'self'"),
            );
            headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("SAMEORIGIN"));
            response
        }
        Err(e) => error(e),
    }
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-._~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((hi * 16 + lo) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

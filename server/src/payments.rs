//! The online payment provider's webhook. No session: the delivery is
//! authorized by its HMAC signature over the raw body (verified before the
//! body is parsed), and names its clinic and invoice in signed metadata.
//! Protocol: `ambula_backend::online_payments`.

use crate::routes::AppState;
use ambula_backend::{
    online_payments::{WebhookError, SIGNATURE_HEADER},
    services::billing::online,
};
use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};

/// `POST /payments/webhook`: 200 when recorded, already recorded or
/// ignored; 400 for a bad signature, a stale timestamp or a malformed
/// event (nothing changes); 404 when online payments are not configured;
/// 500 when we could not store it (the provider retries).
pub async fn webhook(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let signature = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
    match online::handle_webhook(&state.services, signature, &body).await {
        Ok(outcome) => {
            tracing::info!(?outcome, "payment webhook");
            (StatusCode::OK, "ok").into_response()
        }
        Err(WebhookError::NotConfigured) => StatusCode::NOT_FOUND.into_response(),
        Err(WebhookError::Storage(error)) => {
            tracing::error!(%error, "payment webhook could not be stored");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
        Err(refused) => {
            tracing::warn!(%refused, "payment webhook refused");
            (StatusCode::BAD_REQUEST, refused.to_string()).into_response()
        }
    }
}

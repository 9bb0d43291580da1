//! Calendar routes outside the server functions: the live-update stream
//! (server-sent events) and the practitioners' iCalendar feeds.

use crate::routes::AppState;
use ambula_backend::{
    services::{calendar_feed, live},
    AuthContext, ServiceError,
};
use axum::{
    extract::{Path, State},
    http::{header, StatusCode},
    response::{
        sse::{Event, KeepAlive, Sse},
        IntoResponse, Response,
    },
    Extension,
};
use std::{convert::Infallible, time::Duration};

/// How long one live stream runs before the browser must reconnect (and so
/// re-authenticate).
const STREAM_LIFETIME: Duration = Duration::from_secs(60);

/// `GET /api/live/calendar`: `event: calendar` with
/// `{"kind":"booked|moved|status","appointment_id":"…","date":"YYYY-MM-DD"}`
/// for every change in the session's clinic; `event: reload` when this
/// stream fell behind and missed some (reload the whole view); a comment
/// every 15 s keeps proxies from closing an idle stream. The stream ends
/// after a minute; the browser's EventSource reconnects and the reconnect
/// is authenticated afresh (401 once the session ended), so a signed-out or
/// timed-out session stops hearing within a minute. Reconnects do not count
/// as activity (`Activity::Background`): only the user keeps a session alive.
pub async fn live_calendar(State(state): State<AppState>, context: Option<Extension<AuthContext>>) -> Response {
    let Some(Extension(ctx)) = context else {
        return (StatusCode::UNAUTHORIZED, "Sign in to continue.").into_response();
    };
    let subscription = match live::subscribe_calendar(&state.services, &ctx).await {
        Ok(subscription) => subscription,
        Err(error) => return error_status(error, "live calendar").into_response(),
    };
    let until = tokio::time::Instant::now() + STREAM_LIFETIME;
    let stream = futures_util::stream::unfold(subscription, move |mut subscription| async move {
        let next = tokio::time::timeout_at(until, subscription.next()).await.ok()?;
        let event = match next {
            live::Received::Event(change) => Event::default().event("calendar").json_data(&change).ok()?,
            live::Received::Lagged => Event::default().event("reload").data("{}"),
            live::Received::Closed => return None,
        };
        Some((Ok::<_, Infallible>(event), subscription))
    });
    let mut response = Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))).into_response();
    // Reverse proxies (nginx) buffer responses unless told not to.
    response.headers_mut().insert("x-accel-buffering", header::HeaderValue::from_static("no"));
    response
}

/// `GET /calendar/feeds/{token}.ics`: a practitioner's feed, authorized by
/// the secret in its URL alone (calendar apps send no cookies). Unknown,
/// revoked and malformed tokens are all the same 404.
pub async fn feed(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let Some(token) = file.strip_suffix(".ics") else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match calendar_feed::render(&state.services, token).await {
        Ok(ics) => (
            [
                (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
                // The URL is a credential and the content changes: no
                // shared or private caching.
                (header::CACHE_CONTROL, "no-store"),
                (header::CONTENT_DISPOSITION, "inline; filename=\"appointments.ics\""),
            ],
            ics,
        )
            .into_response(),
        Err(error) => error_status(error, "calendar feed").into_response(),
    }
}

fn error_status(error: ServiceError, what: &'static str) -> StatusCode {
    match error {
        ServiceError::NotFound => StatusCode::NOT_FOUND,
        ServiceError::Unauthenticated => StatusCode::UNAUTHORIZED,
        ServiceError::Forbidden | ServiceError::Restricted => StatusCode::FORBIDDEN,
        ServiceError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        ServiceError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        ServiceError::Internal(detail) => {
            tracing::error!(%detail, "{what} failed");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}

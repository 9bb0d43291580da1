//! The one error type of server functions, and its single mapping to HTTP.

use ambula_domain::FieldErrors;
use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// Input that does not meet the rules, with a message per field (422).
    #[error("Please correct the highlighted fields.")]
    Invalid(FieldErrors),
    /// The request itself was malformed: unknown or missing fields, bad
    /// encoding (400). The message names the problem.
    #[error("The request could not be read: {0}")]
    BadRequest(String),
    #[error("Please sign in to continue.")]
    Unauthenticated,
    #[error("Your role does not allow this. Ask your clinic's administrator.")]
    Forbidden,
    #[error("We could not find that.")]
    NotFound,
    /// A restricted record: those allowed can open it with break-glass.
    #[error("This record is restricted to its care team.")]
    Restricted,
    #[error("Too many attempts. Wait a minute and try again.")]
    TooManyRequests,
    #[error("Something went wrong on our side. Please try again in a moment.")]
    Internal,
    /// The browser could not reach the server or read its answer.
    #[error("Could not reach Ambula. Check your connection and try again.")]
    Network(String),
}

impl AppError {
    pub fn field(&self, name: &str) -> Option<String> {
        match self {
            AppError::Invalid(errors) => errors.get(name).map(str::to_owned),
            _ => None,
        }
    }

    /// A message for the top of a form, if this error is not about one field.
    pub fn summary(&self) -> String {
        self.to_string()
    }

    #[cfg(feature = "ssr")]
    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode;
        match self {
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Restricted => StatusCode::FORBIDDEN,
            AppError::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            AppError::Internal | AppError::Network(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Sets this error's status on the response being built. Every error a
    /// server function returns passes through here (via `From` or
    /// `from_server_fn_error`), so the status is decided in one place.
    #[cfg(feature = "ssr")]
    fn with_status(self) -> Self {
        if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(self.status());
        }
        self
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        let error = match value {
            // Raised on the server while decoding the request: the client's fault.
            ServerFnErrorErr::Args(m) | ServerFnErrorErr::MissingArg(m) => AppError::BadRequest(m),
            ServerFnErrorErr::Deserialization(m) if cfg!(feature = "ssr") => AppError::BadRequest(m),
            ServerFnErrorErr::Request(m) | ServerFnErrorErr::Response(m) => AppError::Network(m),
            ServerFnErrorErr::Deserialization(m) | ServerFnErrorErr::Serialization(m) => AppError::Network(m),
            other => {
                #[cfg(feature = "ssr")]
                tracing::error!(error = %other, "server function failed");
                let _ = other;
                AppError::Internal
            }
        };
        #[cfg(feature = "ssr")]
        let error = error.with_status();
        error
    }
}

#[cfg(feature = "ssr")]
impl From<ambula_backend::ServiceError> for AppError {
    fn from(error: ambula_backend::ServiceError) -> Self {
        use ambula_backend::ServiceError as S;
        let mapped = match error {
            S::Invalid(errors) => AppError::Invalid(errors),
            S::Unauthenticated => AppError::Unauthenticated,
            S::Forbidden => AppError::Forbidden,
            S::NotFound => AppError::NotFound,
            S::Restricted => AppError::Restricted,
            S::RateLimited { retry_after_secs } => {
                if let (Some(response), Ok(value)) = (
                    leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
                    http::HeaderValue::from_str(&retry_after_secs.to_string()),
                ) {
                    response.insert_header(http::header::RETRY_AFTER, value);
                }
                AppError::TooManyRequests
            }
            S::Internal(detail) => {
                // The detail can name tables and constraints: log it, never send it.
                tracing::error!(%detail, "internal error");
                AppError::Internal
            }
        };
        mapped.with_status()
    }
}

//! The services' error type. The `app` crate maps it to HTTP exactly once.

use crate::db::DbError;
use ambula_domain::FieldErrors;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Bad input: a message per field. HTTP 422.
    #[error("invalid input: {0}")]
    Invalid(FieldErrors),
    /// No valid session. HTTP 401.
    #[error("not signed in")]
    Unauthenticated,
    /// Signed in, but this role may not do this. HTTP 403.
    #[error("not permitted")]
    Forbidden,
    /// A restricted record outside the user's care team: 403, and the page
    /// offers break-glass access to those allowed it.
    #[error("restricted record")]
    Restricted,
    /// Too many attempts from this network, or the server is at its bound
    /// for password hashing. HTTP 429 with `Retry-After`.
    #[error("too many attempts")]
    RateLimited { retry_after_secs: u64 },
    /// Does not exist, or belongs to another clinic: the two are
    /// deliberately indistinguishable. HTTP 404.
    #[error("not found")]
    NotFound,
    /// Anything unexpected. Logged in full, shown as a generic message. HTTP 500.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ServiceError {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        ServiceError::Invalid(FieldErrors::single(field, message))
    }
}

impl From<DbError> for ServiceError {
    fn from(error: DbError) -> Self {
        ServiceError::Internal(error.to_string())
    }
}

impl From<sqlx::Error> for ServiceError {
    fn from(error: sqlx::Error) -> Self {
        ServiceError::Internal(DbError::from(error).to_string())
    }
}

impl From<FieldErrors> for ServiceError {
    fn from(errors: FieldErrors) -> Self {
        ServiceError::Invalid(errors)
    }
}

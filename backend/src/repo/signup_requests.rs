//! Clinic sign-ups waiting for their owner's email address to be confirmed.

use crate::{db::Tx, error::ServiceError, on_tx, time::DbTime};

/// What the sign-up form said, kept until the mailed link is used. The
/// password is kept only as its argon2 hash.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SignupRequest {
    pub email: String,
    pub clinic_name: String,
    pub time_zone: String,
    pub owner_name: String,
    pub password_hash: String,
}

pub async fn insert(tx: &mut Tx, token_hash: &str, request: &SignupRequest, now: DbTime, expires_at: DbTime) -> Result<(), ServiceError> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO signup_requests (id, email, clinic_name, time_zone, owner_name, password_hash, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(token_hash)
    .bind(&request.email)
    .bind(&request.clinic_name)
    .bind(&request.time_zone)
    .bind(&request.owner_name)
    .bind(&request.password_hash)
    .bind(now)
    .bind(expires_at)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// The clinic name of a live request, for the confirmation page.
pub async fn clinic_name(tx: &mut Tx, token_hash: &str, now: DbTime) -> Result<Option<String>, ServiceError> {
    let row: Option<(String,)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT clinic_name FROM signup_requests WHERE id = $1 AND used_at IS NULL AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(c)
    .await)?;
    Ok(row.map(|(name,)| name))
}

/// Takes a request, once, before it expires: of two uses at the same moment
/// exactly one gets it. The address's other open requests end with it.
pub async fn consume(tx: &mut Tx, token_hash: &str, now: DbTime) -> Result<Option<SignupRequest>, ServiceError> {
    let row: Option<SignupRequest> = on_tx!(tx, c => sqlx::query_as(
        "UPDATE signup_requests SET used_at = $2 WHERE id = $1 AND used_at IS NULL AND expires_at > $2
         RETURNING email, clinic_name, time_zone, owner_name, password_hash",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(c)
    .await)?;
    if let Some(request) = &row {
        on_tx!(tx, c => sqlx::query("UPDATE signup_requests SET used_at = $2 WHERE email = $1 AND used_at IS NULL")
            .bind(&request.email)
            .bind(now)
            .execute(c)
            .await.map(|r| r.rows_affected()))?;
    }
    Ok(row)
}

/// Forgets requests that ended (used or expired) before `before`.
pub async fn purge(tx: &mut Tx, before: DbTime) -> Result<u64, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query("DELETE FROM signup_requests WHERE expires_at < $1 OR used_at < $1")
        .bind(before)
        .execute(c)
        .await.map(|r| r.rows_affected()))?)
}

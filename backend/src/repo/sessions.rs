//! Server-side sessions, stored by the SHA-256 of their token.

use crate::{db::Tx, error::ServiceError, on_tx, time::DbTime};
use ambula_domain::{ClinicId, UserId};
use uuid::Uuid;

pub struct NewSession<'a> {
    pub token_hash: &'a str,
    pub user_id: UserId,
    pub clinic_id: ClinicId,
    pub now: DbTime,
    pub expires_at: DbTime,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

pub async fn insert(tx: &mut Tx, session: NewSession<'_>) -> Result<(), ServiceError> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO sessions (id, user_id, clinic_id, created_at, last_seen_at, expires_at, ip, user_agent)
         VALUES ($1, $2, $3, $4, $4, $5, $6, $7)",
    )
    .bind(session.token_hash)
    .bind(session.user_id.as_uuid())
    .bind(session.clinic_id.as_uuid())
    .bind(session.now)
    .bind(session.expires_at)
    .bind(session.ip)
    .bind(session.user_agent)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// A session joined with who it belongs to and where.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub user_id: Uuid,
    pub clinic_id: Uuid,
    pub last_seen_at: DbTime,
    pub expires_at: DbTime,
    pub user_name: String,
    pub email: String,
    pub membership_id: Uuid,
    pub role: String,
    pub active: bool,
    pub clinic_name: String,
}

pub async fn find(tx: &mut Tx, token_hash: &str) -> Result<Option<SessionRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, SessionRow>(
        "SELECT s.user_id, s.clinic_id, s.last_seen_at, s.expires_at,
                u.name AS user_name, u.email, m.id AS membership_id, m.role, m.active,
                c.name AS clinic_name
         FROM sessions s
         JOIN users u ON u.id = s.user_id
         JOIN memberships m ON m.clinic_id = s.clinic_id AND m.user_id = s.user_id
         JOIN clinics c ON c.id = s.clinic_id
         WHERE s.id = $1",
    )
    .bind(token_hash)
    .fetch_optional(c)
    .await)?)
}

pub async fn touch(tx: &mut Tx, token_hash: &str, now: DbTime) -> Result<(), ServiceError> {
    on_tx!(tx, c => sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE id = $1")
        .bind(token_hash)
        .bind(now)
        .execute(c)
        .await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn delete(tx: &mut Tx, token_hash: &str) -> Result<(), ServiceError> {
    on_tx!(tx, c => sqlx::query("DELETE FROM sessions WHERE id = $1")
        .bind(token_hash)
        .execute(c)
        .await.map(|r| r.rows_affected()))?;
    Ok(())
}

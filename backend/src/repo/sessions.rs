//! Server-side sessions, stored by the SHA-256 of their token.

use crate::{db::Tx, error::ServiceError, on_tx, time::DbTime};
use ambula_domain::{ClinicId, UserId};
use uuid::Uuid;

/// How far a session has got: `mfa` and `enrol` sessions can only finish
/// MFA (verify a code, or set MFA up); nothing else accepts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Full,
    Mfa,
    Enrol,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Full => "full",
            Stage::Mfa => "mfa",
            Stage::Enrol => "enrol",
        }
    }

    fn parse(raw: &str) -> Result<Self, ServiceError> {
        Ok(match raw {
            "full" => Stage::Full,
            "mfa" => Stage::Mfa,
            "enrol" => Stage::Enrol,
            other => return Err(ServiceError::Internal(format!("unknown session stage {other:?}"))),
        })
    }
}

pub struct NewSession<'a> {
    pub token_hash: &'a str,
    pub user_id: UserId,
    pub clinic_id: ClinicId,
    pub stage: Stage,
    pub now: DbTime,
    pub expires_at: DbTime,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

pub async fn insert(tx: &mut Tx, session: NewSession<'_>) -> Result<Uuid, ServiceError> {
    let handle = Uuid::now_v7();
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO sessions (id, handle, user_id, clinic_id, stage, created_at, last_seen_at, expires_at, ip, user_agent)
         VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9)",
    )
    .bind(session.token_hash)
    .bind(handle)
    .bind(session.user_id.as_uuid())
    .bind(session.clinic_id.as_uuid())
    .bind(session.stage.as_str())
    .bind(session.now)
    .bind(session.expires_at)
    .bind(session.ip)
    .bind(session.user_agent)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(handle)
}

/// A session with its user and clinic (global tables only: the membership
/// is read separately, inside the clinic's scope).
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub handle: Uuid,
    pub user_id: Uuid,
    pub clinic_id: Uuid,
    pub stage: Stage,
    pub created_at: DbTime,
    pub last_seen_at: DbTime,
    pub expires_at: DbTime,
    pub user_name: String,
    pub email: String,
    pub mfa_enabled: bool,
    pub clinic_name: String,
    pub idle_timeout_minutes: i32,
    pub require_mfa: bool,
}

type Raw = (Uuid, Uuid, Uuid, String, DbTime, DbTime, DbTime, String, String, Option<DbTime>, String, i32, bool);

pub async fn find(tx: &mut Tx, token_hash: &str) -> Result<Option<SessionRow>, ServiceError> {
    let row: Option<Raw> = on_tx!(tx, c => sqlx::query_as(
        "SELECT s.handle, s.user_id, s.clinic_id, s.stage, s.created_at, s.last_seen_at, s.expires_at,
                u.name, u.email, u.mfa_enabled_at, c.name, c.idle_timeout_minutes, c.require_mfa
         FROM sessions s
         JOIN users u ON u.id = s.user_id
         JOIN clinics c ON c.id = s.clinic_id
         WHERE s.id = $1 AND c.deleted_at IS NULL",
    )
    .bind(token_hash)
    .fetch_optional(c)
    .await)?;
    row.map(|r| {
        Ok(SessionRow {
            handle: r.0,
            user_id: r.1,
            clinic_id: r.2,
            stage: Stage::parse(&r.3)?,
            created_at: r.4,
            last_seen_at: r.5,
            expires_at: r.6,
            user_name: r.7,
            email: r.8,
            mfa_enabled: r.9.is_some(),
            clinic_name: r.10,
            idle_timeout_minutes: r.11,
            require_mfa: r.12,
        })
    })
    .transpose()
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

/// Ends every session of a user (sign out everywhere, password change,
/// deactivation, role change, MFA reset), except `keep` if given.
pub async fn delete_for_user(tx: &mut Tx, user_id: Uuid, keep: Option<&str>) -> Result<u64, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
        .bind(user_id)
        .bind(keep.unwrap_or(""))
        .execute(c)
        .await.map(|r| r.rows_affected()))?)
}

/// Ends a user's sessions in one clinic (deactivation there).
pub async fn delete_for_user_in_clinic(tx: &mut Tx, user_id: Uuid, clinic_id: Uuid) -> Result<u64, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND clinic_id = $2")
        .bind(user_id)
        .bind(clinic_id)
        .execute(c)
        .await.map(|r| r.rows_affected()))?)
}

/// Ends one of the user's sessions by its public handle; false if the user
/// has no such session.
pub async fn delete_by_handle(tx: &mut Tx, user_id: Uuid, handle: Uuid) -> Result<bool, ServiceError> {
    let n = on_tx!(tx, c => sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND handle = $2")
        .bind(user_id)
        .bind(handle)
        .execute(c)
        .await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ActiveSession {
    pub handle: Uuid,
    pub clinic_name: String,
    pub created_at: DbTime,
    pub last_seen_at: DbTime,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

pub async fn list_for_user(tx: &mut Tx, user_id: Uuid, now: DbTime) -> Result<Vec<ActiveSession>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, ActiveSession>(
        "SELECT s.handle, c.name AS clinic_name, s.created_at, s.last_seen_at, s.ip, s.user_agent
         FROM sessions s JOIN clinics c ON c.id = s.clinic_id
         WHERE s.user_id = $1 AND s.stage = 'full' AND s.expires_at > $2
         ORDER BY s.last_seen_at DESC",
    )
    .bind(user_id)
    .bind(now)
    .fetch_all(c)
    .await)?)
}

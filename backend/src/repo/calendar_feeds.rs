//! Calendar feed tokens (hashes only) and the rows a feed shows.

use crate::{db::Tx, error::ServiceError, on_tx, scope::ClinicScope, time::DbTime};
use ambula_domain::PractitionerId;
use uuid::Uuid;

/// Ends the practitioner's live feed, if any; returns how many ended.
pub async fn revoke(tx: &mut Tx, scope: &ClinicScope, practitioner: PractitionerId, now: DbTime) -> Result<u64, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query(
        "UPDATE calendar_feeds SET revoked_at = $3 WHERE clinic_id = $1 AND practitioner_id = $2 AND revoked_at IS NULL",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(practitioner.as_uuid())
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?)
}

/// Ends the live feeds of the practitioner(s) linked to a staff member
/// (deactivation: the feed URL is a credential like a session).
pub async fn revoke_for_member(tx: &mut Tx, scope: &ClinicScope, membership: Uuid, now: DbTime) -> Result<u64, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query(
        "UPDATE calendar_feeds SET revoked_at = $3
         WHERE clinic_id = $1 AND revoked_at IS NULL
           AND practitioner_id IN (SELECT id FROM practitioners WHERE clinic_id = $1 AND membership_id = $2)",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(membership)
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?)
}

pub async fn insert(tx: &mut Tx, scope: &ClinicScope, practitioner: PractitionerId, token_hash: &str, now: DbTime) -> Result<Uuid, ServiceError> {
    let id = Uuid::now_v7();
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO calendar_feeds (clinic_id, id, practitioner_id, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id)
    .bind(practitioner.as_uuid())
    .bind(token_hash)
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(id)
}

/// When the practitioner's live feed was made, if there is one.
pub async fn live_since(tx: &mut Tx, scope: &ClinicScope, practitioner: PractitionerId) -> Result<Option<DbTime>, ServiceError> {
    let row: Option<(DbTime,)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT created_at FROM calendar_feeds WHERE clinic_id = $1 AND practitioner_id = $2 AND revoked_at IS NULL",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(practitioner.as_uuid())
    .fetch_optional(c)
    .await)?;
    Ok(row.map(|(t,)| t))
}

/// The live feed with this token hash: (clinic, practitioner). Runs before
/// any clinic is known; on PostgreSQL the transaction must carry the hash
/// (`Tx::with_feed_token`) for the `feed_by_token` policy to show the row.
pub async fn find_live(tx: &mut Tx, token_hash: &str) -> Result<Option<(Uuid, Uuid)>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as(
        "SELECT clinic_id, practitioner_id FROM calendar_feeds WHERE token_hash = $1 AND revoked_at IS NULL",
    )
    .bind(token_hash)
    .fetch_optional(c)
    .await)?)
}

/// One appointment as a feed shows it: no patient, only the type's name.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FeedRow {
    pub id: Uuid,
    pub starts_at: DbTime,
    pub ends_at: DbTime,
    pub status: String,
    pub version: i64,
    pub updated_at: DbTime,
    pub type_name: String,
    pub room_name: Option<String>,
}

pub async fn appointments(
    tx: &mut Tx,
    scope: &ClinicScope,
    practitioner: Uuid,
    from: DbTime,
    to: DbTime,
) -> Result<Vec<FeedRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, FeedRow>(
        "SELECT a.id, a.starts_at, a.ends_at, a.status, a.version, COALESCE(a.updated_at, a.created_at) AS updated_at,
                t.name AS type_name, rm.name AS room_name
         FROM appointments a
         JOIN appointment_types t ON t.clinic_id = a.clinic_id AND t.id = a.type_id
         LEFT JOIN rooms rm ON rm.clinic_id = a.clinic_id AND rm.id = a.room_id
         WHERE a.clinic_id = $1 AND a.practitioner_id = $2 AND a.starts_at >= $3 AND a.starts_at < $4
         ORDER BY a.starts_at, a.id",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(practitioner)
    .bind(from)
    .bind(to)
    .fetch_all(c)
    .await)?)
}

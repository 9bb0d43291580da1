//! Treatment rooms. Deactivated rooms keep their history but take no new
//! bookings.

use crate::{db::Tx, error::ServiceError, on_tx, scope::ClinicScope, time::DbTime};
use ambula_domain::RoomId;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RoomRow {
    pub id: Uuid,
    pub name: String,
    pub active: bool,
}

pub async fn insert(tx: &mut Tx, scope: &ClinicScope, name: &str, now: DbTime) -> Result<RoomId, ServiceError> {
    let id = RoomId::generate();
    let result = on_tx!(tx, c => sqlx::query(
        "INSERT INTO rooms (clinic_id, id, name, active, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id.as_uuid())
    .bind(name)
    .bind(true)
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()));
    super::unique_as_field(result, "name", "There is already a room with this name.")?;
    Ok(id)
}

pub async fn rename(tx: &mut Tx, scope: &ClinicScope, id: RoomId, name: &str) -> Result<bool, ServiceError> {
    let result = on_tx!(tx, c => sqlx::query("UPDATE rooms SET name = $3 WHERE clinic_id = $1 AND id = $2")
        .bind(scope.clinic_id().as_uuid())
        .bind(id.as_uuid())
        .bind(name)
        .execute(c)
        .await.map(|r| r.rows_affected()));
    Ok(super::unique_as_field(result, "name", "There is already a room with this name.")? == 1)
}

pub async fn set_active(tx: &mut Tx, scope: &ClinicScope, id: RoomId, active: bool) -> Result<bool, ServiceError> {
    let n = on_tx!(tx, c => sqlx::query("UPDATE rooms SET active = $3 WHERE clinic_id = $1 AND id = $2")
        .bind(scope.clinic_id().as_uuid())
        .bind(id.as_uuid())
        .bind(active)
        .execute(c)
        .await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub async fn get(tx: &mut Tx, scope: &ClinicScope, id: RoomId) -> Result<Option<RoomRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, RoomRow>("SELECT id, name, active FROM rooms WHERE clinic_id = $1 AND id = $2")
        .bind(scope.clinic_id().as_uuid())
        .bind(id.as_uuid())
        .fetch_optional(c)
        .await)?)
}

pub async fn list(tx: &mut Tx, scope: &ClinicScope) -> Result<Vec<RoomRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, RoomRow>("SELECT id, name, active FROM rooms WHERE clinic_id = $1 ORDER BY name, id")
        .bind(scope.clinic_id().as_uuid())
        .fetch_all(c)
        .await)?)
}

/// Serializes bookings that use this room (PostgreSQL; SQLite write
/// transactions are already serial). `FOR NO KEY UPDATE` does not block
/// inserts that merely reference the row.
pub async fn lock(tx: &mut Tx, scope: &ClinicScope, id: RoomId) -> Result<(), ServiceError> {
    if let Tx::Postgres(t) = tx {
        sqlx::query("SELECT 1 FROM rooms WHERE clinic_id = $1 AND id = $2 FOR NO KEY UPDATE")
            .bind(scope.clinic_id().as_uuid())
            .bind(id.as_uuid())
            .execute(&mut **t)
            .await?;
    }
    Ok(())
}

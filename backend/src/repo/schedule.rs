//! When people work: the clinic's calendar settings and opening hours, each
//! practitioner's weekly hours, and their time off and blocked time.
//! Weekly hours are stored as `WeeklyHours` JSON and read back through its
//! parser, so a bad row is an error, never a silently wrong schedule.

use crate::{db::Tx, error::ServiceError, on_tx, scope::ClinicScope, time::DbTime};
use ambula_domain::{
    scheduling::{CalendarGrid, TimeOffKind, WeeklyHours},
    PractitionerId, TimeOffId,
};
use std::collections::HashMap;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct ClinicSchedule {
    pub time_zone: String,
    pub grid: CalendarGrid,
    pub opening_hours: Option<WeeklyHours>,
}

fn hours_from_json(raw: &str) -> Result<WeeklyHours, ServiceError> {
    serde_json::from_str(raw).map_err(|e| ServiceError::Internal(format!("stored weekly hours do not parse: {e}")))
}

fn hours_to_json(hours: &WeeklyHours) -> Result<String, ServiceError> {
    serde_json::to_string(hours).map_err(|e| ServiceError::Internal(e.to_string()))
}

pub async fn clinic_schedule(tx: &mut Tx, scope: &ClinicScope) -> Result<ClinicSchedule, ServiceError> {
    let row: Option<(String, i32, Option<String>)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT time_zone, grid_minutes, opening_hours FROM clinics WHERE id = $1",
    )
    .bind(scope.clinic_id().as_uuid())
    .fetch_optional(c)
    .await)?;
    let (time_zone, grid, opening) = row.ok_or(ServiceError::NotFound)?;
    let grid = u32::try_from(grid)
        .ok()
        .and_then(|g| CalendarGrid::try_from(g).ok())
        .ok_or_else(|| ServiceError::Internal(format!("stored calendar grid {grid} is not 5, 10 or 15")))?;
    let opening_hours = opening.as_deref().map(hours_from_json).transpose()?;
    Ok(ClinicSchedule { time_zone, grid, opening_hours })
}

pub async fn set_clinic_schedule(
    tx: &mut Tx,
    scope: &ClinicScope,
    grid: CalendarGrid,
    opening_hours: Option<&WeeklyHours>,
    now: DbTime,
) -> Result<(), ServiceError> {
    let opening = opening_hours.map(hours_to_json).transpose()?;
    on_tx!(tx, c => sqlx::query("UPDATE clinics SET grid_minutes = $2, opening_hours = $3, updated_at = $4 WHERE id = $1")
        .bind(scope.clinic_id().as_uuid())
        .bind(grid.minutes() as i32)
        .bind(opening)
        .bind(now)
        .execute(c)
        .await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn set_hours(tx: &mut Tx, scope: &ClinicScope, practitioner: PractitionerId, hours: &WeeklyHours, now: DbTime) -> Result<(), ServiceError> {
    let json = hours_to_json(hours)?;
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO practitioner_hours (clinic_id, id, practitioner_id, hours, updated_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (clinic_id, practitioner_id) DO UPDATE SET hours = excluded.hours, updated_at = excluded.updated_at",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(Uuid::now_v7())
    .bind(practitioner.as_uuid())
    .bind(json)
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Weekly hours of every practitioner who has set them, in one query.
pub async fn all_hours(tx: &mut Tx, scope: &ClinicScope) -> Result<HashMap<PractitionerId, WeeklyHours>, ServiceError> {
    let rows: Vec<(Uuid, String)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT practitioner_id, hours FROM practitioner_hours WHERE clinic_id = $1",
    )
    .bind(scope.clinic_id().as_uuid())
    .fetch_all(c)
    .await)?;
    rows.into_iter().map(|(id, json)| Ok((PractitionerId::from_uuid(id), hours_from_json(&json)?))).collect()
}

pub async fn hours(tx: &mut Tx, scope: &ClinicScope, practitioner: PractitionerId) -> Result<Option<WeeklyHours>, ServiceError> {
    let row: Option<(String,)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT hours FROM practitioner_hours WHERE clinic_id = $1 AND practitioner_id = $2",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(practitioner.as_uuid())
    .fetch_optional(c)
    .await)?;
    row.map(|(json,)| hours_from_json(&json)).transpose()
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TimeOffRow {
    pub id: Uuid,
    pub practitioner_id: Uuid,
    pub starts_at: DbTime,
    pub ends_at: DbTime,
    pub kind: String,
    pub reason: Option<String>,
}

pub async fn insert_time_off(
    tx: &mut Tx,
    scope: &ClinicScope,
    practitioner: PractitionerId,
    span: (DbTime, DbTime),
    kind: TimeOffKind,
    reason: Option<&str>,
    now: DbTime,
) -> Result<TimeOffId, ServiceError> {
    let id = TimeOffId::generate();
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO time_off (clinic_id, id, practitioner_id, starts_at, ends_at, kind, reason, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id.as_uuid())
    .bind(practitioner.as_uuid())
    .bind(span.0)
    .bind(span.1)
    .bind(kind.as_str())
    .bind(reason)
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(id)
}

pub async fn get_time_off(tx: &mut Tx, scope: &ClinicScope, id: TimeOffId) -> Result<Option<TimeOffRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, TimeOffRow>(
        "SELECT id, practitioner_id, starts_at, ends_at, kind, reason FROM time_off WHERE clinic_id = $1 AND id = $2",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id.as_uuid())
    .fetch_optional(c)
    .await)?)
}

pub async fn delete_time_off(tx: &mut Tx, scope: &ClinicScope, id: TimeOffId) -> Result<bool, ServiceError> {
    let n = on_tx!(tx, c => sqlx::query("DELETE FROM time_off WHERE clinic_id = $1 AND id = $2")
        .bind(scope.clinic_id().as_uuid())
        .bind(id.as_uuid())
        .execute(c)
        .await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Time off overlapping `[from, to)`, for one practitioner or (None) all.
/// Entries are at most a year long (TimeOffForm::MAX_DAYS), which bounds
/// the index range scanned from below.
pub async fn time_off_between(
    tx: &mut Tx,
    scope: &ClinicScope,
    practitioner: Option<PractitionerId>,
    from: DbTime,
    to: DbTime,
) -> Result<Vec<TimeOffRow>, ServiceError> {
    let lower = DbTime::from(from.0 - chrono::Duration::days(367));
    Ok(on_tx!(tx, c => sqlx::query_as::<_, TimeOffRow>(
        "SELECT id, practitioner_id, starts_at, ends_at, kind, reason FROM time_off
         WHERE clinic_id = $1 AND ($2 IS NULL OR practitioner_id = $2)
           AND starts_at >= $5 AND starts_at < $4 AND ends_at > $3
         ORDER BY starts_at, id",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(practitioner.map(|p| p.as_uuid()))
    .bind(from)
    .bind(to)
    .bind(lower)
    .fetch_all(c)
    .await)?)
}

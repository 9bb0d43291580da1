//! Appointments. Times are UTC; `blocks_until` is the end plus the type's
//! buffer when booked, the span the appointment keeps its practitioner and
//! room busy. Only active statuses (see `AppointmentStatus::is_active`)
//! hold time; the list is written into the SQL below once, as `ACTIVE`.

use crate::{db::Tx, error::ServiceError, on_tx, scope::ClinicScope, time::DbTime};
use ambula_domain::{
    scheduling::AppointmentStatus, AppointmentId, AppointmentTypeId, PatientId, PractitionerId, RoomId, SeriesId,
};
use chrono::Duration;
use uuid::Uuid;

/// The statuses that hold time, as an SQL list. A test in
/// tests/scheduling.rs keeps it equal to `AppointmentStatus::is_active`.
pub const ACTIVE: &str = "('booked', 'confirmed', 'arrived', 'in_consultation', 'completed')";

/// No appointment is longer than this (types: 8 h + 2 h buffer), so a
/// clash search only scans starts from this far back: the index on
/// `(clinic_id, practitioner_id, starts_at)` is bounded on both sides.
pub fn longest() -> Duration {
    Duration::hours(24)
}

pub struct NewAppointment<'a> {
    pub patient_id: PatientId,
    pub practitioner_id: PractitionerId,
    pub type_id: AppointmentTypeId,
    pub room_id: Option<RoomId>,
    pub series_id: Option<SeriesId>,
    pub starts_at: DbTime,
    pub ends_at: DbTime,
    pub blocks_until: DbTime,
    pub status: AppointmentStatus,
    pub notes: Option<&'a str>,
    pub override_reason: Option<&'a str>,
}

pub async fn insert(tx: &mut Tx, scope: &ClinicScope, a: NewAppointment<'_>, now: DbTime) -> Result<AppointmentId, ServiceError> {
    let id = AppointmentId::generate();
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO appointments (clinic_id, id, patient_id, practitioner_id, type_id, room_id, series_id, starts_at,
                                   ends_at, blocks_until, status, notes, override_reason, created_at, updated_at, version)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, 1)",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id.as_uuid())
    .bind(a.patient_id.as_uuid())
    .bind(a.practitioner_id.as_uuid())
    .bind(a.type_id.as_uuid())
    .bind(a.room_id.map(|r| r.as_uuid()))
    .bind(a.series_id.map(|s| s.as_uuid()))
    .bind(a.starts_at)
    .bind(a.ends_at)
    .bind(a.blocks_until)
    .bind(a.status.as_str())
    .bind(a.notes)
    .bind(a.override_reason)
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(id)
}

/// An appointment with the names the calendar shows.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AppointmentRow {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub practitioner_id: Uuid,
    pub type_id: Uuid,
    pub room_id: Option<Uuid>,
    pub series_id: Option<Uuid>,
    pub starts_at: DbTime,
    pub ends_at: DbTime,
    pub blocks_until: DbTime,
    pub status: String,
    pub cancel_reason: Option<String>,
    pub notes: Option<String>,
    pub override_reason: Option<String>,
    pub version: i64,
    pub given_name: String,
    pub family_name: String,
    pub mrn: String,
    pub restricted: bool,
    pub practitioner_name: String,
    pub type_name: String,
    pub type_colour: String,
    pub room_name: Option<String>,
}

impl AppointmentRow {
    pub fn status(&self) -> Result<AppointmentStatus, ServiceError> {
        AppointmentStatus::parse(&self.status)
            .map_err(|_| ServiceError::Internal(format!("unknown appointment status {:?} in database", self.status)))
    }
}

const SELECT: &str = "SELECT a.id, a.patient_id, a.practitioner_id, a.type_id, a.room_id, a.series_id, a.starts_at,
        a.ends_at, a.blocks_until, a.status, a.cancel_reason, a.notes, a.override_reason, a.version,
        p.given_name, p.family_name, p.mrn, p.restricted, r.name AS practitioner_name, t.name AS type_name,
        t.colour AS type_colour, rm.name AS room_name
    FROM appointments a
    JOIN patients p ON p.clinic_id = a.clinic_id AND p.id = a.patient_id
    JOIN practitioners r ON r.clinic_id = a.clinic_id AND r.id = a.practitioner_id
    JOIN appointment_types t ON t.clinic_id = a.clinic_id AND t.id = a.type_id
    LEFT JOIN rooms rm ON rm.clinic_id = a.clinic_id AND rm.id = a.room_id";

pub async fn get(tx: &mut Tx, scope: &ClinicScope, id: AppointmentId) -> Result<Option<AppointmentRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, AppointmentRow>(&format!("{SELECT} WHERE a.clinic_id = $1 AND a.id = $2"))
        .bind(scope.clinic_id().as_uuid())
        .bind(id.as_uuid())
        .fetch_optional(c)
        .await)?)
}

/// What a candidate booking would clash with.
#[derive(Debug, Clone, Copy)]
pub struct Footprint {
    pub practitioner_id: PractitionerId,
    pub room_id: Option<RoomId>,
    pub patient_id: PatientId,
    pub starts_at: DbTime,
    /// The patient is busy until here (no buffer: they can walk to the next room).
    pub ends_at: DbTime,
    /// The practitioner and room are busy until here (the buffer included).
    pub blocks_until: DbTime,
}

/// Active appointments that overlap `f` for its practitioner or room
/// (buffers included) or its patient (without buffers). Touching is fine:
/// half-open intervals. One query, bounded on the `starts_at` index.
pub async fn clashes(tx: &mut Tx, scope: &ClinicScope, f: &Footprint) -> Result<Vec<AppointmentRow>, ServiceError> {
    let lower = DbTime::from(f.starts_at.0 - longest());
    let sql = format!(
        "{SELECT} WHERE a.clinic_id = $1 AND a.status IN {ACTIVE}
           AND a.starts_at >= $5 AND a.starts_at < $7
           AND ((a.practitioner_id = $2 AND a.blocks_until > $6)
             OR ($3 IS NOT NULL AND a.room_id = $3 AND a.blocks_until > $6)
             OR (a.patient_id = $4 AND a.ends_at > $6 AND a.starts_at < $8))
         ORDER BY a.starts_at, a.id"
    );
    Ok(on_tx!(tx, c => sqlx::query_as::<_, AppointmentRow>(&sql)
        .bind(scope.clinic_id().as_uuid())
        .bind(f.practitioner_id.as_uuid())
        .bind(f.room_id.map(|r| r.as_uuid()))
        .bind(f.patient_id.as_uuid())
        .bind(lower)
        .bind(f.starts_at)
        .bind(f.blocks_until)
        .bind(f.ends_at)
        .fetch_all(c)
        .await)?)
}

/// Which appointments a calendar shows.
#[derive(Debug, Clone, Copy)]
pub enum Filter {
    All,
    Practitioner(PractitionerId),
}

/// Appointments overlapping `[from, to)` in any status, by start time.
pub async fn between(tx: &mut Tx, scope: &ClinicScope, from: DbTime, to: DbTime, filter: Filter) -> Result<Vec<AppointmentRow>, ServiceError> {
    let lower = DbTime::from(from.0 - longest());
    let practitioner = match filter {
        Filter::All => None,
        Filter::Practitioner(p) => Some(p.as_uuid()),
    };
    let sql = format!(
        "{SELECT} WHERE a.clinic_id = $1 AND ($2 IS NULL OR a.practitioner_id = $2)
           AND a.starts_at >= $3 AND a.starts_at < $5 AND a.ends_at > $4
         ORDER BY a.starts_at, r.name, a.id"
    );
    Ok(on_tx!(tx, c => sqlx::query_as::<_, AppointmentRow>(&sql)
        .bind(scope.clinic_id().as_uuid())
        .bind(practitioner)
        .bind(lower)
        .bind(from)
        .bind(to)
        .fetch_all(c)
        .await)?)
}

/// Busy spans (buffers included) of every practitioner in `[from, to)`:
/// one query for the slot finder, whatever the number of practitioners.
pub async fn busy_between(tx: &mut Tx, scope: &ClinicScope, from: DbTime, to: DbTime) -> Result<Vec<(Uuid, DbTime, DbTime)>, ServiceError> {
    let lower = DbTime::from(from.0 - longest());
    let sql = format!(
        "SELECT practitioner_id, starts_at, blocks_until FROM appointments
         WHERE clinic_id = $1 AND status IN {ACTIVE} AND starts_at >= $2 AND starts_at < $4 AND blocks_until > $3"
    );
    Ok(on_tx!(tx, c => sqlx::query_as(&sql)
        .bind(scope.clinic_id().as_uuid())
        .bind(lower)
        .bind(from)
        .bind(to)
        .fetch_all(c)
        .await)?)
}

/// Start times of active appointments in `[from, to)` (month overview).
pub async fn active_starts_between(tx: &mut Tx, scope: &ClinicScope, from: DbTime, to: DbTime) -> Result<Vec<DbTime>, ServiceError> {
    let sql = format!(
        "SELECT starts_at FROM appointments WHERE clinic_id = $1 AND status IN {ACTIVE} AND starts_at >= $2 AND starts_at < $3"
    );
    let rows: Vec<(DbTime,)> = on_tx!(tx, c => sqlx::query_as(&sql)
        .bind(scope.clinic_id().as_uuid())
        .bind(from)
        .bind(to)
        .fetch_all(c)
        .await)?;
    Ok(rows.into_iter().map(|(t,)| t).collect())
}

/// Who, when and how it ended, for appointments starting in `[from, to)`:
/// what the insights dashboard counts, without touching patient data.
pub async fn facts_between(
    tx: &mut Tx,
    scope: &ClinicScope,
    from: DbTime,
    to: DbTime,
) -> Result<Vec<(Uuid, DbTime, DbTime, String)>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as(
        "SELECT practitioner_id, starts_at, ends_at, status FROM appointments
         WHERE clinic_id = $1 AND starts_at >= $2 AND starts_at < $3",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(from)
    .bind(to)
    .fetch_all(c)
    .await)?)
}

/// The members of a series from `from` on (or all), by start time.
pub async fn in_series(tx: &mut Tx, scope: &ClinicScope, series: SeriesId, from: Option<DbTime>) -> Result<Vec<AppointmentRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, AppointmentRow>(&format!(
        "{SELECT} WHERE a.clinic_id = $1 AND a.series_id = $2 AND ($3 IS NULL OR a.starts_at >= $3) ORDER BY a.starts_at, a.id"
    ))
    .bind(scope.clinic_id().as_uuid())
    .bind(series.as_uuid())
    .bind(from)
    .fetch_all(c)
    .await)?)
}

pub struct Move<'a> {
    pub practitioner_id: PractitionerId,
    pub room_id: Option<RoomId>,
    pub starts_at: DbTime,
    pub ends_at: DbTime,
    pub blocks_until: DbTime,
    pub override_reason: Option<&'a str>,
}

/// Moves an appointment if it is still at `expected_version`; false when
/// someone else changed it meanwhile (or it does not exist).
pub async fn move_to(tx: &mut Tx, scope: &ClinicScope, id: AppointmentId, expected_version: i64, m: Move<'_>, now: DbTime) -> Result<bool, ServiceError> {
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE appointments SET practitioner_id = $4, room_id = $5, starts_at = $6, ends_at = $7, blocks_until = $8,
                                 override_reason = $9, updated_at = $10, version = version + 1
         WHERE clinic_id = $1 AND id = $2 AND version = $3",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id.as_uuid())
    .bind(expected_version)
    .bind(m.practitioner_id.as_uuid())
    .bind(m.room_id.map(|r| r.as_uuid()))
    .bind(m.starts_at)
    .bind(m.ends_at)
    .bind(m.blocks_until)
    .bind(m.override_reason)
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Sets the status if the appointment is still at `expected_version`.
pub async fn set_status(
    tx: &mut Tx,
    scope: &ClinicScope,
    id: AppointmentId,
    expected_version: i64,
    status: AppointmentStatus,
    cancel_reason: Option<&str>,
    now: DbTime,
) -> Result<bool, ServiceError> {
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE appointments SET status = $4, cancel_reason = COALESCE($5, cancel_reason), updated_at = $6, version = version + 1
         WHERE clinic_id = $1 AND id = $2 AND version = $3",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id.as_uuid())
    .bind(expected_version)
    .bind(status.as_str())
    .bind(cancel_reason)
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Appointments starting in `[from, to)` that still take place (not
/// cancelled): the dashboard's "today" count.
pub async fn count_between(tx: &mut Tx, scope: &ClinicScope, from: DbTime, to: DbTime) -> Result<i64, ServiceError> {
    let (n,): (i64,) = on_tx!(tx, c => sqlx::query_as(
        "SELECT COUNT(*) FROM appointments WHERE clinic_id = $1 AND starts_at >= $2 AND starts_at < $3
           AND status NOT IN ('cancelled', 'late_cancelled')",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(from)
    .bind(to)
    .fetch_one(c)
    .await)?;
    Ok(n)
}

/// Cancelled (or late-cancelled) appointments starting in `[from, to)`,
/// soonest first: the freed slots the waitlist screen offers on.
pub async fn cancelled_between(tx: &mut Tx, scope: &ClinicScope, from: DbTime, to: DbTime, limit: i64) -> Result<Vec<AppointmentRow>, ServiceError> {
    let sql = format!(
        "{SELECT} WHERE a.clinic_id = $1 AND a.status IN ('cancelled', 'late_cancelled')
           AND a.starts_at >= $2 AND a.starts_at < $3
         ORDER BY a.starts_at, r.name, a.id LIMIT $4"
    );
    Ok(on_tx!(tx, c => sqlx::query_as::<_, AppointmentRow>(&sql)
        .bind(scope.clinic_id().as_uuid())
        .bind(from)
        .bind(to)
        .bind(limit)
        .fetch_all(c)
        .await)?)
}

/// Completed appointments since `from` with no live invoice and no package
/// session used for them: what is left to bill, newest first.
pub async fn completed_uninvoiced(tx: &mut Tx, scope: &ClinicScope, from: DbTime, limit: i64) -> Result<Vec<AppointmentRow>, ServiceError> {
    let sql = format!(
        "{SELECT} WHERE a.clinic_id = $1 AND a.status = 'completed' AND a.starts_at >= $2
           AND NOT EXISTS (SELECT 1 FROM invoices i WHERE i.clinic_id = a.clinic_id AND i.appointment_id = a.id
                           AND i.kind = 'invoice' AND i.status <> 'void')
           AND NOT EXISTS (SELECT 1 FROM package_uses u WHERE u.clinic_id = a.clinic_id AND u.appointment_id = a.id)
         ORDER BY a.starts_at DESC, a.id
         LIMIT $3"
    );
    Ok(on_tx!(tx, c => sqlx::query_as::<_, AppointmentRow>(&sql)
        .bind(scope.clinic_id().as_uuid())
        .bind(from)
        .bind(limit)
        .fetch_all(c)
        .await)?)
}

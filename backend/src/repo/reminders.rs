//! The reminder outbox and the settings it is built from. A row is one
//! message (appointment at a given start, offset, channel); its life:
//! `pending` → claimed under a lease → `sent`, or back to `pending` with a
//! later `next_attempt_at`, or `failed` after the last attempt, or
//! `skipped` (cancelled, moved, opted out, no address).

use crate::{db::Tx, error::ServiceError, on_tx, scope::ClinicScope, time::DbTime};
use ambula_domain::{AppointmentId, PatientId};
use uuid::Uuid;

/// The clinic's schedule as stored: JSON arrays.
pub async fn settings(tx: &mut Tx, scope: &ClinicScope) -> Result<(String, String), ServiceError> {
    let row: Option<(String, String)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT reminder_offsets, reminder_channels FROM clinics WHERE id = $1",
    )
    .bind(scope.clinic_id().as_uuid())
    .fetch_optional(c)
    .await)?;
    row.ok_or(ServiceError::NotFound)
}

pub async fn set_settings(tx: &mut Tx, scope: &ClinicScope, offsets: &str, channels: &str, now: DbTime) -> Result<(), ServiceError> {
    on_tx!(tx, c => sqlx::query("UPDATE clinics SET reminder_offsets = $2, reminder_channels = $3, updated_at = $4 WHERE id = $1")
        .bind(scope.clinic_id().as_uuid())
        .bind(offsets)
        .bind(channels)
        .bind(now)
        .execute(c)
        .await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// (email wanted, SMS wanted); `None` when the patient is not in this clinic.
pub async fn patient_preferences(tx: &mut Tx, scope: &ClinicScope, patient: PatientId) -> Result<Option<(bool, bool)>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as("SELECT reminder_email, reminder_sms FROM patients WHERE clinic_id = $1 AND id = $2")
        .bind(scope.clinic_id().as_uuid())
        .bind(patient.as_uuid())
        .fetch_optional(c)
        .await)?)
}

pub async fn set_patient_preferences(tx: &mut Tx, scope: &ClinicScope, patient: PatientId, email: bool, sms: bool) -> Result<bool, ServiceError> {
    let n = on_tx!(tx, c => sqlx::query("UPDATE patients SET reminder_email = $3, reminder_sms = $4 WHERE clinic_id = $1 AND id = $2")
        .bind(scope.clinic_id().as_uuid())
        .bind(patient.as_uuid())
        .bind(email)
        .bind(sms)
        .execute(c)
        .await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub struct NewReminder<'a> {
    pub appointment_id: AppointmentId,
    pub appointment_starts_at: DbTime,
    pub offset_minutes: i32,
    pub channel: &'a str,
    pub due_at: DbTime,
}

/// Enqueues one message unless that exact message is already there (the
/// unique key): booking twice, or a retried request, adds nothing.
pub async fn enqueue(tx: &mut Tx, scope: &ClinicScope, r: NewReminder<'_>, now: DbTime) -> Result<(), ServiceError> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO reminder_outbox (clinic_id, id, appointment_id, appointment_starts_at, offset_minutes, channel,
                                      due_at, status, attempts, next_attempt_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, $7, $8, $8)
         ON CONFLICT (clinic_id, appointment_id, appointment_starts_at, offset_minutes, channel) DO NOTHING",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(Uuid::now_v7())
    .bind(r.appointment_id.as_uuid())
    .bind(r.appointment_starts_at)
    .bind(r.offset_minutes)
    .bind(r.channel)
    .bind(r.due_at)
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Skips the appointment's pending messages: all of them (`keep_start`
/// `None`: cancelled) or those for another start than `keep_start` (moved).
pub async fn skip_pending(
    tx: &mut Tx,
    scope: &ClinicScope,
    appointment: AppointmentId,
    keep_start: Option<DbTime>,
    reason: &str,
    now: DbTime,
) -> Result<u64, ServiceError> {
    const SET: &str = "UPDATE reminder_outbox SET status = 'skipped', last_error = $3, lease_token = NULL, lease_until = NULL,
                                    updated_at = $4
         WHERE clinic_id = $1 AND appointment_id = $2 AND status = 'pending'";
    Ok(match keep_start {
        None => on_tx!(tx, c => sqlx::query(SET)
            .bind(scope.clinic_id().as_uuid())
            .bind(appointment.as_uuid())
            .bind(reason)
            .bind(now)
            .execute(c)
            .await.map(|r| r.rows_affected()))?,
        Some(keep) => on_tx!(tx, c => sqlx::query(&format!("{SET} AND appointment_starts_at <> $5"))
            .bind(scope.clinic_id().as_uuid())
            .bind(appointment.as_uuid())
            .bind(reason)
            .bind(now)
            .bind(keep)
            .execute(c)
            .await.map(|r| r.rows_affected()))?,
    })
}

/// Whether anything of this clinic is due: a cheap read, so an idle pass
/// over many clinics takes no write locks.
pub async fn any_due(tx: &mut Tx, scope: &ClinicScope, now: DbTime) -> Result<bool, ServiceError> {
    let row: Option<(i32,)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT 1 FROM reminder_outbox
         WHERE clinic_id = $1 AND status = 'pending' AND next_attempt_at <= $2 AND (lease_until IS NULL OR lease_until <= $2)
         LIMIT 1",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(now)
    .fetch_optional(c)
    .await)?;
    Ok(row.is_some())
}

/// A claimed message.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Claimed {
    pub id: Uuid,
    pub appointment_id: Uuid,
    pub appointment_starts_at: DbTime,
    pub offset_minutes: i32,
    pub channel: String,
    /// Including this one.
    pub attempts: i32,
}

/// Claims the next due message of this clinic for `lease`: sets a fresh
/// lease token that every later update must present. The conditions are
/// repeated on the outer UPDATE so that, on PostgreSQL, a second worker
/// that picked the same row re-checks them after the first one's commit
/// (and finds the lease taken) instead of claiming it again.
pub async fn claim_next(tx: &mut Tx, scope: &ClinicScope, token: Uuid, now: DbTime, lease_until: DbTime) -> Result<Option<Claimed>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, Claimed>(
        "UPDATE reminder_outbox SET lease_token = $3, lease_until = $4, attempts = attempts + 1, updated_at = $2
         WHERE clinic_id = $1 AND status = 'pending' AND next_attempt_at <= $2
           AND (lease_until IS NULL OR lease_until <= $2)
           AND id = (SELECT id FROM reminder_outbox
                     WHERE clinic_id = $1 AND status = 'pending' AND next_attempt_at <= $2
                       AND (lease_until IS NULL OR lease_until <= $2)
                     ORDER BY next_attempt_at, id LIMIT 1)
         RETURNING id, appointment_id, appointment_starts_at, offset_minutes, channel, attempts",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(now)
    .bind(token)
    .bind(lease_until)
    .fetch_optional(c)
    .await)?)
}

/// How a claimed message ended (this time).
pub enum Outcome<'a> {
    Sent,
    Skipped(&'a str),
    Retry { at: DbTime, error: &'a str },
    Failed(&'a str),
}

/// Records the outcome if the lease is still ours; false when it is not
/// (it ran out and another worker took the message).
pub async fn finish(tx: &mut Tx, scope: &ClinicScope, id: Uuid, token: Uuid, outcome: Outcome<'_>, now: DbTime) -> Result<bool, ServiceError> {
    let (status, next, error, sent): (&str, Option<DbTime>, Option<&str>, Option<DbTime>) = match outcome {
        Outcome::Sent => ("sent", None, None, Some(now)),
        Outcome::Skipped(reason) => ("skipped", None, Some(reason), None),
        Outcome::Retry { at, error } => ("pending", Some(at), Some(error), None),
        Outcome::Failed(error) => ("failed", None, Some(error), None),
    };
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE reminder_outbox SET status = $4, next_attempt_at = COALESCE($5, next_attempt_at), last_error = $6,
                                    sent_at = $7, lease_token = NULL, lease_until = NULL, updated_at = $8
         WHERE clinic_id = $1 AND id = $2 AND lease_token = $3",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id)
    .bind(token)
    .bind(status)
    .bind(next)
    .bind(error)
    .bind(sent)
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// What a message needs at send time, read fresh: the appointment may have
/// been cancelled or moved, the patient may have opted out.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MessageFacts {
    pub status: String,
    pub starts_at: DbTime,
    pub patient_id: Uuid,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub reminder_email: bool,
    pub reminder_sms: bool,
    pub practitioner_name: String,
    pub clinic_name: String,
    pub clinic_phone: Option<String>,
    pub time_zone: String,
}

pub async fn facts(tx: &mut Tx, scope: &ClinicScope, appointment: Uuid) -> Result<Option<MessageFacts>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, MessageFacts>(
        "SELECT a.status, a.starts_at, a.patient_id, p.email, p.phone, p.reminder_email, p.reminder_sms,
                r.name AS practitioner_name, cl.name AS clinic_name, cl.phone AS clinic_phone, cl.time_zone
         FROM appointments a
         JOIN patients p ON p.clinic_id = a.clinic_id AND p.id = a.patient_id
         JOIN practitioners r ON r.clinic_id = a.clinic_id AND r.id = a.practitioner_id
         JOIN clinics cl ON cl.id = a.clinic_id
         WHERE a.clinic_id = $1 AND a.id = $2",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(appointment)
    .fetch_optional(c)
    .await)?)
}

/// An outbox row as the reminders page lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboxRow {
    pub id: Uuid,
    pub appointment_id: Uuid,
    pub appointment_starts_at: DbTime,
    pub offset_minutes: i32,
    pub channel: String,
    pub due_at: DbTime,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DbTime,
    pub last_error: Option<String>,
    pub sent_at: Option<DbTime>,
}

pub async fn list(tx: &mut Tx, scope: &ClinicScope, limit: i64) -> Result<Vec<OutboxRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, OutboxRow>(
        "SELECT id, appointment_id, appointment_starts_at, offset_minutes, channel, due_at, status, attempts,
                next_attempt_at, last_error, sent_at
         FROM reminder_outbox WHERE clinic_id = $1 ORDER BY due_at DESC, id LIMIT $2",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(limit)
    .fetch_all(c)
    .await)?)
}

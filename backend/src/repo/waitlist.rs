//! Patients waiting for a slot of a type, optionally with one practitioner,
//! between two local dates.

use crate::{db::Tx, error::ServiceError, on_tx, scope::ClinicScope, time::DbTime};
use ambula_domain::{scheduling::manage::WaitlistRequest, AppointmentId, AppointmentTypeId, PractitionerId, WaitlistEntryId};
use chrono::NaiveDate;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WaitlistRow {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub given_name: String,
    pub family_name: String,
    pub restricted: bool,
    pub mrn: String,
    pub type_id: Uuid,
    pub type_name: String,
    pub practitioner_id: Option<Uuid>,
    pub earliest: NaiveDate,
    pub latest: NaiveDate,
    pub note: Option<String>,
    pub created_at: DbTime,
    pub offered_appointment_id: Option<Uuid>,
}

const SELECT: &str = "SELECT w.id, w.patient_id, p.given_name, p.family_name, p.restricted, p.mrn, w.type_id,
        t.name AS type_name, w.practitioner_id, w.earliest, w.latest, w.note, w.created_at, w.offered_appointment_id
    FROM waitlist w
    JOIN patients p ON p.clinic_id = w.clinic_id AND p.id = w.patient_id
    JOIN appointment_types t ON t.clinic_id = w.clinic_id AND t.id = w.type_id";

pub async fn insert(tx: &mut Tx, scope: &ClinicScope, w: &WaitlistRequest, now: DbTime) -> Result<WaitlistEntryId, ServiceError> {
    let id = WaitlistEntryId::generate();
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO waitlist (clinic_id, id, patient_id, type_id, practitioner_id, earliest, latest, note, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id.as_uuid())
    .bind(w.patient_id.as_uuid())
    .bind(w.type_id.as_uuid())
    .bind(w.practitioner_id.map(|p| p.as_uuid()))
    .bind(w.earliest)
    .bind(w.latest)
    .bind(w.note.as_deref())
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(id)
}

pub async fn get(tx: &mut Tx, scope: &ClinicScope, id: WaitlistEntryId) -> Result<Option<WaitlistRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, WaitlistRow>(&format!("{SELECT} WHERE w.clinic_id = $1 AND w.id = $2"))
        .bind(scope.clinic_id().as_uuid())
        .bind(id.as_uuid())
        .fetch_optional(c)
        .await)?)
}

pub async fn list(tx: &mut Tx, scope: &ClinicScope, limit: i64) -> Result<Vec<WaitlistRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, WaitlistRow>(&format!(
        "{SELECT} WHERE w.clinic_id = $1 ORDER BY w.created_at, w.id LIMIT $2"
    ))
    .bind(scope.clinic_id().as_uuid())
    .bind(limit)
    .fetch_all(c)
    .await)?)
}

pub async fn delete(tx: &mut Tx, scope: &ClinicScope, id: WaitlistEntryId) -> Result<bool, ServiceError> {
    let n = on_tx!(tx, c => sqlx::query("DELETE FROM waitlist WHERE clinic_id = $1 AND id = $2")
        .bind(scope.clinic_id().as_uuid())
        .bind(id.as_uuid())
        .execute(c)
        .await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Entries not yet offered a slot that a freed slot suits: same type, any
/// or the same practitioner, the slot's local date within their range.
/// First come, first offered.
pub async fn matching(
    tx: &mut Tx,
    scope: &ClinicScope,
    type_id: AppointmentTypeId,
    practitioner: PractitionerId,
    date: NaiveDate,
) -> Result<Vec<WaitlistRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, WaitlistRow>(&format!(
        "{SELECT} WHERE w.clinic_id = $1 AND w.type_id = $2 AND (w.practitioner_id IS NULL OR w.practitioner_id = $3)
           AND w.earliest <= $4 AND w.latest >= $4 AND w.offered_appointment_id IS NULL
         ORDER BY w.created_at, w.id LIMIT 20"
    ))
    .bind(scope.clinic_id().as_uuid())
    .bind(type_id.as_uuid())
    .bind(practitioner.as_uuid())
    .bind(date)
    .fetch_all(c)
    .await)?)
}

pub async fn mark_offered(tx: &mut Tx, scope: &ClinicScope, id: WaitlistEntryId, appointment: AppointmentId) -> Result<bool, ServiceError> {
    let n = on_tx!(tx, c => sqlx::query("UPDATE waitlist SET offered_appointment_id = $3 WHERE clinic_id = $1 AND id = $2")
        .bind(scope.clinic_id().as_uuid())
        .bind(id.as_uuid())
        .bind(appointment.as_uuid())
        .execute(c)
        .await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

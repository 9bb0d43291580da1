//! Encounters: a patient's visits.

use crate::{db::Tx, error::ServiceError, on_tx, scope::ClinicScope, time::DbTime};
use ambula_domain::{EncounterId, MembershipId, PatientId};
use uuid::Uuid;

pub struct NewEncounter<'a> {
    pub patient_id: PatientId,
    pub practitioner_id: Option<Uuid>,
    pub appointment_id: Option<Uuid>,
    pub occurred_at: DbTime,
    pub kind: &'a str,
    pub created_by: MembershipId,
}

pub async fn insert(tx: &mut Tx, scope: &ClinicScope, e: NewEncounter<'_>, now: DbTime) -> Result<EncounterId, ServiceError> {
    let id = EncounterId::generate();
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO encounters (clinic_id, id, patient_id, practitioner_id, appointment_id, occurred_at, kind, status, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'in_progress', $8, $9)",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id.as_uuid())
    .bind(e.patient_id.as_uuid())
    .bind(e.practitioner_id)
    .bind(e.appointment_id)
    .bind(e.occurred_at)
    .bind(e.kind)
    .bind(e.created_by.as_uuid())
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(id)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EncounterRow {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub practitioner_id: Option<Uuid>,
    pub practitioner_name: Option<String>,
    pub appointment_id: Option<Uuid>,
    pub occurred_at: DbTime,
    pub kind: String,
    pub status: String,
}

const SELECT: &str = "SELECT e.id, e.patient_id, e.practitioner_id, p.name AS practitioner_name, e.appointment_id, e.occurred_at, e.kind, e.status
     FROM encounters e
     LEFT JOIN practitioners p ON p.clinic_id = e.clinic_id AND p.id = e.practitioner_id";

/// A patient's encounters, newest first (the notes tab; at most `limit`).
pub async fn list_for_patient(tx: &mut Tx, scope: &ClinicScope, patient: PatientId, limit: i64) -> Result<Vec<EncounterRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, EncounterRow>(&format!(
        "{SELECT} WHERE e.clinic_id = $1 AND e.patient_id = $2 ORDER BY e.occurred_at DESC, e.id DESC LIMIT $3"
    ))
    .bind(scope.clinic_id().as_uuid())
    .bind(patient.as_uuid())
    .bind(limit)
    .fetch_all(c)
    .await)?)
}

pub async fn get(tx: &mut Tx, scope: &ClinicScope, id: EncounterId) -> Result<Option<EncounterRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, EncounterRow>(&format!("{SELECT} WHERE e.clinic_id = $1 AND e.id = $2"))
        .bind(scope.clinic_id().as_uuid())
        .bind(id.as_uuid())
        .fetch_optional(c)
        .await)?)
}

pub async fn set_status(tx: &mut Tx, scope: &ClinicScope, id: EncounterId, status: &str) -> Result<(), ServiceError> {
    on_tx!(tx, c => sqlx::query("UPDATE encounters SET status = $3 WHERE clinic_id = $1 AND id = $2")
        .bind(scope.clinic_id().as_uuid())
        .bind(id.as_uuid())
        .bind(status)
        .execute(c)
        .await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// The practitioner linked to a member's account, if any (the default
/// practitioner of an encounter they record).
pub async fn practitioner_of(tx: &mut Tx, scope: &ClinicScope, member: MembershipId) -> Result<Option<Uuid>, ServiceError> {
    let row: Option<(Uuid,)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT id FROM practitioners WHERE clinic_id = $1 AND membership_id = $2 ORDER BY id LIMIT 1",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(member.as_uuid())
    .fetch_optional(c)
    .await)?;
    Ok(row.map(|(id,)| id))
}

/// True when `practitioner` is this clinic's.
pub async fn practitioner_exists(tx: &mut Tx, scope: &ClinicScope, practitioner: Uuid) -> Result<bool, ServiceError> {
    let row: Option<(Uuid,)> = on_tx!(tx, c => sqlx::query_as("SELECT id FROM practitioners WHERE clinic_id = $1 AND id = $2")
        .bind(scope.clinic_id().as_uuid())
        .bind(practitioner)
        .fetch_optional(c)
        .await)?;
    Ok(row.is_some())
}

/// True when `appointment` is this clinic's and this patient's.
pub async fn appointment_of_patient(tx: &mut Tx, scope: &ClinicScope, appointment: Uuid, patient: PatientId) -> Result<bool, ServiceError> {
    let row: Option<(Uuid,)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT id FROM appointments WHERE clinic_id = $1 AND id = $2 AND patient_id = $3",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(appointment)
    .bind(patient.as_uuid())
    .fetch_optional(c)
    .await)?;
    Ok(row.is_some())
}

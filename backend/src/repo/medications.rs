//! Medications and prescriptions. Rows are written once; the only update
//! ends an active row (stopped or changed, with who, when and the sealed
//! reason), so what was prescribed is never overwritten.

use crate::{db::Tx, error::ServiceError, on_tx, scope::ClinicScope, time::DbTime};
use ambula_domain::{MedicationId, MembershipId, PatientId};
use chrono::NaiveDate;
use uuid::Uuid;

pub struct NewMedicationRow<'a> {
    pub id: MedicationId,
    pub patient: PatientId,
    /// "prescribed" or "recorded".
    pub kind: &'a str,
    pub drug: &'a str,
    pub strength: Option<&'a str>,
    pub strength_unit: Option<&'a str>,
    pub dose: &'a str,
    pub dose_unit: &'a str,
    pub route: &'a str,
    pub frequency: &'a str,
    pub duration_days: Option<i32>,
    pub quantity: Option<i32>,
    pub refills: i32,
    pub start_date: NaiveDate,
    pub instructions: Option<&'a [u8]>,
    pub allergy_ack: Option<&'a [u8]>,
    pub prescriber: Option<MembershipId>,
    pub replaces: Option<MedicationId>,
    pub created_by: MembershipId,
}

pub async fn insert(tx: &mut Tx, scope: &ClinicScope, row: NewMedicationRow<'_>, now: DbTime) -> Result<(), ServiceError> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO medications (clinic_id, id, patient_id, kind, drug, strength, strength_unit, dose, dose_unit, route,
                                  frequency, duration_days, quantity, refills, start_date, instructions, allergy_ack,
                                  prescriber_id, replaces_id, status, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, 'active', $20, $21)",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(row.id.as_uuid())
    .bind(row.patient.as_uuid())
    .bind(row.kind)
    .bind(row.drug)
    .bind(row.strength)
    .bind(row.strength_unit)
    .bind(row.dose)
    .bind(row.dose_unit)
    .bind(row.route)
    .bind(row.frequency)
    .bind(row.duration_days)
    .bind(row.quantity)
    .bind(row.refills)
    .bind(row.start_date)
    .bind(row.instructions)
    .bind(row.allergy_ack)
    .bind(row.prescriber.map(|p| p.as_uuid()))
    .bind(row.replaces.map(|r| r.as_uuid()))
    .bind(row.created_by.as_uuid())
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MedicationRow {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub kind: String,
    pub drug: String,
    pub strength: Option<String>,
    pub strength_unit: Option<String>,
    pub dose: String,
    pub dose_unit: String,
    pub route: String,
    pub frequency: String,
    pub duration_days: Option<i32>,
    pub quantity: Option<i32>,
    pub refills: i32,
    pub start_date: NaiveDate,
    pub instructions: Option<Vec<u8>>,
    pub allergy_ack: Option<Vec<u8>>,
    pub prescriber_name: Option<String>,
    pub replaces_id: Option<Uuid>,
    pub status: String,
    pub ended_at: Option<DbTime>,
    pub end_reason: Option<Vec<u8>>,
    pub ended_by_name: Option<String>,
    pub created_at: DbTime,
}

const SELECT: &str = "SELECT md.id, md.patient_id, md.kind, md.drug, md.strength, md.strength_unit, md.dose, md.dose_unit,
                             md.route, md.frequency, md.duration_days, md.quantity, md.refills, md.start_date,
                             md.instructions, md.allergy_ack, pu.name AS prescriber_name, md.replaces_id, md.status,
                             md.ended_at, md.end_reason, eu.name AS ended_by_name, md.created_at
                      FROM medications md
                      LEFT JOIN memberships pm ON pm.clinic_id = md.clinic_id AND pm.id = md.prescriber_id
                      LEFT JOIN users pu ON pu.id = pm.user_id
                      LEFT JOIN memberships em ON em.clinic_id = md.clinic_id AND em.id = md.ended_by
                      LEFT JOIN users eu ON eu.id = em.user_id";

/// Newest first.
pub async fn for_patient(tx: &mut Tx, scope: &ClinicScope, patient: PatientId) -> Result<Vec<MedicationRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, MedicationRow>(&format!(
        "{SELECT} WHERE md.clinic_id = $1 AND md.patient_id = $2 ORDER BY md.created_at DESC, md.id DESC"
    ))
    .bind(scope.clinic_id().as_uuid())
    .bind(patient.as_uuid())
    .fetch_all(c)
    .await)?)
}

pub async fn get(tx: &mut Tx, scope: &ClinicScope, id: MedicationId) -> Result<Option<MedicationRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, MedicationRow>(&format!("{SELECT} WHERE md.clinic_id = $1 AND md.id = $2"))
        .bind(scope.clinic_id().as_uuid())
        .bind(id.as_uuid())
        .fetch_optional(c)
        .await)?)
}

/// Ends an active medication; false if it was not active (already ended
/// by someone else: the caller reports it instead of ending it twice).
pub async fn end(
    tx: &mut Tx,
    scope: &ClinicScope,
    id: MedicationId,
    status: &str,
    reason: &[u8],
    by: MembershipId,
    now: DbTime,
) -> Result<bool, ServiceError> {
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE medications SET status = $3, end_reason = $4, ended_by = $5, ended_at = $6
         WHERE clinic_id = $1 AND id = $2 AND status = 'active'",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id.as_uuid())
    .bind(status)
    .bind(reason)
    .bind(by.as_uuid())
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

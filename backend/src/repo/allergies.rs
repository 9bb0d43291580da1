//! Allergies and the "no known allergies" statement of a patient. The
//! reaction arrives sealed (envelope-encrypted by the service).

use crate::{db::Tx, error::ServiceError, on_tx, scope::ClinicScope, time::DbTime};
use ambula_domain::{AllergyId, MembershipId, PatientId};
use uuid::Uuid;

pub struct NewAllergyRow<'a> {
    pub id: AllergyId,
    pub patient: PatientId,
    pub substance: &'a str,
    pub coded: Option<&'a str>,
    pub reaction: Option<&'a [u8]>,
    pub severity: &'a str,
    pub kind: &'a str,
    pub recorded_by: MembershipId,
}

pub async fn insert(tx: &mut Tx, scope: &ClinicScope, row: NewAllergyRow<'_>, now: DbTime) -> Result<(), ServiceError> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO allergies (clinic_id, id, patient_id, substance, coded, reaction, severity, kind, status, recorded_by, recorded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'active', $9, $10)",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(row.id.as_uuid())
    .bind(row.patient.as_uuid())
    .bind(row.substance)
    .bind(row.coded)
    .bind(row.reaction)
    .bind(row.severity)
    .bind(row.kind)
    .bind(row.recorded_by.as_uuid())
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AllergyRow {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub substance: String,
    pub coded: Option<String>,
    pub reaction: Option<Vec<u8>>,
    pub severity: String,
    pub kind: String,
    pub status: String,
    pub recorded_by_name: String,
    pub recorded_at: DbTime,
    pub status_changed_at: Option<DbTime>,
}

const SELECT: &str = "SELECT a.id, a.patient_id, a.substance, a.coded, a.reaction, a.severity, a.kind, a.status,
                             u.name AS recorded_by_name, a.recorded_at, a.status_changed_at
                      FROM allergies a
                      JOIN memberships m ON m.clinic_id = a.clinic_id AND m.id = a.recorded_by
                      JOIN users u ON u.id = m.user_id";

/// Active first, then by when they were recorded.
pub async fn for_patient(tx: &mut Tx, scope: &ClinicScope, patient: PatientId) -> Result<Vec<AllergyRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, AllergyRow>(&format!(
        "{SELECT} WHERE a.clinic_id = $1 AND a.patient_id = $2
         ORDER BY CASE a.status WHEN 'active' THEN 0 ELSE 1 END, a.recorded_at, a.id"
    ))
    .bind(scope.clinic_id().as_uuid())
    .bind(patient.as_uuid())
    .fetch_all(c)
    .await)?)
}

pub async fn get(tx: &mut Tx, scope: &ClinicScope, id: AllergyId) -> Result<Option<AllergyRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, AllergyRow>(&format!("{SELECT} WHERE a.clinic_id = $1 AND a.id = $2"))
        .bind(scope.clinic_id().as_uuid())
        .bind(id.as_uuid())
        .fetch_optional(c)
        .await)?)
}

pub async fn set_status(tx: &mut Tx, scope: &ClinicScope, id: AllergyId, status: &str, by: MembershipId, now: DbTime) -> Result<bool, ServiceError> {
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE allergies SET status = $3, status_changed_by = $4, status_changed_at = $5 WHERE clinic_id = $1 AND id = $2",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id.as_uuid())
    .bind(status)
    .bind(by.as_uuid())
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Who said "no known allergies", and when; `None` if nobody has.
pub async fn no_known(tx: &mut Tx, scope: &ClinicScope, patient: PatientId) -> Result<Option<(String, DbTime)>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as(
        "SELECT u.name, n.recorded_at FROM no_known_allergies n
         JOIN memberships m ON m.clinic_id = n.clinic_id AND m.id = n.recorded_by
         JOIN users u ON u.id = m.user_id
         WHERE n.clinic_id = $1 AND n.patient_id = $2",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(patient.as_uuid())
    .fetch_optional(c)
    .await)?)
}

/// Records "no known allergies" (replacing an earlier statement).
pub async fn set_no_known(tx: &mut Tx, scope: &ClinicScope, patient: PatientId, by: MembershipId, now: DbTime) -> Result<(), ServiceError> {
    clear_no_known(tx, scope, patient).await?;
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO no_known_allergies (clinic_id, id, patient_id, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(Uuid::now_v7())
    .bind(patient.as_uuid())
    .bind(by.as_uuid())
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn clear_no_known(tx: &mut Tx, scope: &ClinicScope, patient: PatientId) -> Result<bool, ServiceError> {
    let n = on_tx!(tx, c => sqlx::query("DELETE FROM no_known_allergies WHERE clinic_id = $1 AND patient_id = $2")
        .bind(scope.clinic_id().as_uuid())
        .bind(patient.as_uuid())
        .execute(c)
        .await.map(|r| r.rows_affected()))?;
    Ok(n > 0)
}

//! The problem list. Notes arrive and leave sealed.

use crate::{db::Tx, error::ServiceError, on_tx, scope::ClinicScope, time::DbTime};
use ambula_domain::{MembershipId, PatientId, ProblemId};
use chrono::NaiveDate;
use uuid::Uuid;

pub struct ProblemData<'a> {
    pub code: Option<&'a str>,
    pub description: &'a str,
    pub onset_date: Option<NaiveDate>,
    pub status: &'a str,
    pub notes: Option<Vec<u8>>,
}

pub async fn insert(
    tx: &mut Tx,
    scope: &ClinicScope,
    id: ProblemId,
    patient: PatientId,
    p: ProblemData<'_>,
    by: MembershipId,
    now: DbTime,
) -> Result<(), ServiceError> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO problems (clinic_id, id, patient_id, code, description, onset_date, status, notes, recorded_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id.as_uuid())
    .bind(patient.as_uuid())
    .bind(p.code)
    .bind(p.description)
    .bind(p.onset_date)
    .bind(p.status)
    .bind(&p.notes)
    .bind(by.as_uuid())
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn update(tx: &mut Tx, scope: &ClinicScope, id: ProblemId, p: ProblemData<'_>, now: DbTime) -> Result<bool, ServiceError> {
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE problems SET code = $3, description = $4, onset_date = $5, status = $6, notes = $7, updated_at = $8
         WHERE clinic_id = $1 AND id = $2",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id.as_uuid())
    .bind(p.code)
    .bind(p.description)
    .bind(p.onset_date)
    .bind(p.status)
    .bind(&p.notes)
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProblemRow {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub code: Option<String>,
    pub description: String,
    pub onset_date: Option<NaiveDate>,
    pub status: String,
    pub notes: Option<Vec<u8>>,
    pub created_at: DbTime,
}

const COLUMNS: &str = "id, patient_id, code, description, onset_date, status, notes, created_at";

pub async fn get(tx: &mut Tx, scope: &ClinicScope, id: ProblemId) -> Result<Option<ProblemRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, ProblemRow>(&format!("SELECT {COLUMNS} FROM problems WHERE clinic_id = $1 AND id = $2"))
        .bind(scope.clinic_id().as_uuid())
        .bind(id.as_uuid())
        .fetch_optional(c)
        .await)?)
}

/// Active first, then resolved and inactive; newest first within each.
pub async fn list_for_patient(tx: &mut Tx, scope: &ClinicScope, patient: PatientId) -> Result<Vec<ProblemRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, ProblemRow>(&format!(
        "SELECT {COLUMNS} FROM problems WHERE clinic_id = $1 AND patient_id = $2
         ORDER BY CASE status WHEN 'active' THEN 0 ELSE 1 END, created_at DESC, id DESC LIMIT 500"
    ))
    .bind(scope.clinic_id().as_uuid())
    .bind(patient.as_uuid())
    .fetch_all(c)
    .await)?)
}

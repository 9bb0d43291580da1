//! Immunizations given to a patient (here or elsewhere).

use crate::{db::Tx, error::ServiceError, on_tx, scope::ClinicScope, time::DbTime};
use ambula_domain::{ImmunizationId, MembershipId, PatientId};
use chrono::NaiveDate;
use uuid::Uuid;

pub struct NewImmunizationRow<'a> {
    pub id: ImmunizationId,
    pub patient: PatientId,
    pub vaccine: &'a str,
    pub given_on: NaiveDate,
    pub dose_number: Option<i32>,
    pub lot: Option<&'a str>,
    pub site: &'a str,
    pub given_by: &'a str,
    pub recorded_by: MembershipId,
}

pub async fn insert(tx: &mut Tx, scope: &ClinicScope, row: NewImmunizationRow<'_>, now: DbTime) -> Result<(), ServiceError> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO immunizations (clinic_id, id, patient_id, vaccine, given_on, dose_number, lot, site, given_by, recorded_by, recorded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(row.id.as_uuid())
    .bind(row.patient.as_uuid())
    .bind(row.vaccine)
    .bind(row.given_on)
    .bind(row.dose_number)
    .bind(row.lot)
    .bind(row.site)
    .bind(row.given_by)
    .bind(row.recorded_by.as_uuid())
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ImmunizationRow {
    pub id: Uuid,
    pub vaccine: String,
    pub given_on: NaiveDate,
    pub dose_number: Option<i32>,
    pub lot: Option<String>,
    pub site: String,
    pub given_by: String,
    pub recorded_at: DbTime,
}

/// Most recent first.
pub async fn for_patient(tx: &mut Tx, scope: &ClinicScope, patient: PatientId) -> Result<Vec<ImmunizationRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, ImmunizationRow>(
        "SELECT id, vaccine, given_on, dose_number, lot, site, given_by, recorded_at FROM immunizations
         WHERE clinic_id = $1 AND patient_id = $2 ORDER BY given_on DESC, id DESC",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(patient.as_uuid())
    .fetch_all(c)
    .await)?)
}

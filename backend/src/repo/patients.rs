use crate::{db::Tx, error::ServiceError, on_tx, scope::ClinicScope, time::DbTime};
use ambula_domain::PatientId;
use chrono::NaiveDate;

pub struct NewPatient<'a> {
    pub mrn: &'a str,
    pub given_name: &'a str,
    pub family_name: &'a str,
    pub date_of_birth: NaiveDate,
    pub phone: Option<&'a str>,
    pub email: Option<&'a str>,
}

pub async fn insert(tx: &mut Tx, scope: &ClinicScope, patient: NewPatient<'_>, now: DbTime) -> Result<PatientId, ServiceError> {
    let id = PatientId::generate();
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO patients (clinic_id, id, mrn, given_name, family_name, date_of_birth, phone, email, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id.as_uuid())
    .bind(patient.mrn)
    .bind(patient.given_name)
    .bind(patient.family_name)
    .bind(patient.date_of_birth)
    .bind(patient.phone)
    .bind(patient.email)
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(id)
}

pub async fn count(tx: &mut Tx, scope: &ClinicScope) -> Result<i64, ServiceError> {
    let (n,): (i64,) = on_tx!(tx, c => sqlx::query_as("SELECT COUNT(*) FROM patients WHERE clinic_id = $1")
        .bind(scope.clinic_id().as_uuid())
        .fetch_one(c)
        .await)?;
    Ok(n)
}

//! The fee schedule: billable services with their code, price and tax rate.
//! Deactivated services stay on old invoices but are offered no more.

use crate::{db::Tx, error::ServiceError, on_tx, scope::ClinicScope, time::DbTime};
use ambula_domain::{billing::FeeServiceSpec, AppointmentTypeId, FeeServiceId};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FeeServiceRow {
    pub id: Uuid,
    pub code: String,
    pub description: String,
    pub price_minor: i64,
    pub tax_rate_bp: i32,
    pub appointment_type_id: Option<Uuid>,
    pub active: bool,
}

const COLUMNS: &str = "id, code, description, price_minor, tax_rate_bp, appointment_type_id, active";

fn taken<T>(result: Result<T, sqlx::Error>) -> Result<T, ServiceError> {
    match result {
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            // Two unique rules: the code, and one active service per type.
            if e.message().contains("one_per_type") || e.message().contains("appointment_type_id") {
                Err(ServiceError::field("appointment_type_id", "Another active service already bills this appointment type."))
            } else {
                Err(ServiceError::field("code", "There is already a service with this code."))
            }
        }
        other => Ok(other?),
    }
}

pub async fn insert(tx: &mut Tx, scope: &ClinicScope, spec: &FeeServiceSpec, now: DbTime) -> Result<FeeServiceId, ServiceError> {
    let id = FeeServiceId::generate();
    taken(on_tx!(tx, c => sqlx::query(
        "INSERT INTO fee_services (clinic_id, id, code, description, price_minor, tax_rate_bp, appointment_type_id, active,
                                   created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id.as_uuid())
    .bind(&spec.code)
    .bind(&spec.description)
    .bind(spec.price.minor)
    .bind(spec.tax_rate.basis_points() as i32)
    .bind(spec.appointment_type_id.map(|t| t.as_uuid()))
    .bind(true)
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected())))?;
    Ok(id)
}

pub async fn update(tx: &mut Tx, scope: &ClinicScope, id: FeeServiceId, spec: &FeeServiceSpec, now: DbTime) -> Result<bool, ServiceError> {
    let n = taken(on_tx!(tx, c => sqlx::query(
        "UPDATE fee_services SET code = $3, description = $4, price_minor = $5, tax_rate_bp = $6, appointment_type_id = $7,
                                 updated_at = $8
         WHERE clinic_id = $1 AND id = $2",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id.as_uuid())
    .bind(&spec.code)
    .bind(&spec.description)
    .bind(spec.price.minor)
    .bind(spec.tax_rate.basis_points() as i32)
    .bind(spec.appointment_type_id.map(|t| t.as_uuid()))
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected())))?;
    Ok(n == 1)
}

pub async fn set_active(tx: &mut Tx, scope: &ClinicScope, id: FeeServiceId, active: bool, now: DbTime) -> Result<bool, ServiceError> {
    let n = taken(on_tx!(tx, c => sqlx::query("UPDATE fee_services SET active = $3, updated_at = $4 WHERE clinic_id = $1 AND id = $2")
        .bind(scope.clinic_id().as_uuid())
        .bind(id.as_uuid())
        .bind(active)
        .bind(now)
        .execute(c)
        .await.map(|r| r.rows_affected())))?;
    Ok(n == 1)
}

pub async fn get(tx: &mut Tx, scope: &ClinicScope, id: FeeServiceId) -> Result<Option<FeeServiceRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, FeeServiceRow>(&format!("SELECT {COLUMNS} FROM fee_services WHERE clinic_id = $1 AND id = $2"))
        .bind(scope.clinic_id().as_uuid())
        .bind(id.as_uuid())
        .fetch_optional(c)
        .await)?)
}

pub async fn list(tx: &mut Tx, scope: &ClinicScope) -> Result<Vec<FeeServiceRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, FeeServiceRow>(&format!("SELECT {COLUMNS} FROM fee_services WHERE clinic_id = $1 ORDER BY code"))
        .bind(scope.clinic_id().as_uuid())
        .fetch_all(c)
        .await)?)
}

/// The active service that bills an appointment type, if any.
pub async fn for_appointment_type(tx: &mut Tx, scope: &ClinicScope, type_id: AppointmentTypeId) -> Result<Option<FeeServiceRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, FeeServiceRow>(&format!(
        "SELECT {COLUMNS} FROM fee_services WHERE clinic_id = $1 AND appointment_type_id = $2 AND active"
    ))
    .bind(scope.clinic_id().as_uuid())
    .bind(type_id.as_uuid())
    .fetch_optional(c)
    .await)?)
}

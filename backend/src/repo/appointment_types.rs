//! Appointment types (what is booked: duration, buffer, colour, price) and
//! which practitioners deliver each.

use crate::{db::Tx, error::ServiceError, on_tx, scope::ClinicScope, time::DbTime};
use ambula_domain::{scheduling::AppointmentTypeSpec, AppointmentTypeId, PractitionerId};
use chrono::Duration;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TypeRow {
    pub id: Uuid,
    pub name: String,
    pub duration_minutes: i32,
    pub buffer_minutes: i32,
    pub colour: String,
    pub price_minor: Option<i64>,
    pub online_booking: bool,
    pub active: bool,
}

impl TypeRow {
    pub fn duration(&self) -> Duration {
        Duration::minutes(self.duration_minutes.into())
    }

    pub fn buffer(&self) -> Duration {
        Duration::minutes(self.buffer_minutes.into())
    }
}

const COLUMNS: &str = "id, name, duration_minutes, buffer_minutes, colour, price_minor, online_booking, active";
const TAKEN: &str = "There is already an appointment type with this name.";

pub async fn insert(tx: &mut Tx, scope: &ClinicScope, spec: &AppointmentTypeSpec, now: DbTime) -> Result<AppointmentTypeId, ServiceError> {
    let id = AppointmentTypeId::generate();
    let result = on_tx!(tx, c => sqlx::query(
        "INSERT INTO appointment_types (clinic_id, id, name, duration_minutes, buffer_minutes, colour, price_minor,
                                        online_booking, active, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id.as_uuid())
    .bind(&spec.name)
    .bind(spec.duration_minutes as i32)
    .bind(spec.buffer_minutes as i32)
    .bind(spec.colour.as_str())
    .bind(spec.price_minor.map(i64::from))
    .bind(spec.online_booking)
    .bind(true)
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()));
    super::unique_as_field(result, "name", TAKEN)?;
    Ok(id)
}

pub async fn update(tx: &mut Tx, scope: &ClinicScope, id: AppointmentTypeId, spec: &AppointmentTypeSpec, now: DbTime) -> Result<bool, ServiceError> {
    let result = on_tx!(tx, c => sqlx::query(
        "UPDATE appointment_types SET name = $3, duration_minutes = $4, buffer_minutes = $5, colour = $6, price_minor = $7,
                                      online_booking = $8, updated_at = $9
         WHERE clinic_id = $1 AND id = $2",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id.as_uuid())
    .bind(&spec.name)
    .bind(spec.duration_minutes as i32)
    .bind(spec.buffer_minutes as i32)
    .bind(spec.colour.as_str())
    .bind(spec.price_minor.map(i64::from))
    .bind(spec.online_booking)
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()));
    Ok(super::unique_as_field(result, "name", TAKEN)? == 1)
}

pub async fn set_active(tx: &mut Tx, scope: &ClinicScope, id: AppointmentTypeId, active: bool, now: DbTime) -> Result<bool, ServiceError> {
    let n = on_tx!(tx, c => sqlx::query("UPDATE appointment_types SET active = $3, updated_at = $4 WHERE clinic_id = $1 AND id = $2")
        .bind(scope.clinic_id().as_uuid())
        .bind(id.as_uuid())
        .bind(active)
        .bind(now)
        .execute(c)
        .await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub async fn get(tx: &mut Tx, scope: &ClinicScope, id: AppointmentTypeId) -> Result<Option<TypeRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, TypeRow>(&format!(
        "SELECT {COLUMNS} FROM appointment_types WHERE clinic_id = $1 AND id = $2"
    ))
    .bind(scope.clinic_id().as_uuid())
    .bind(id.as_uuid())
    .fetch_optional(c)
    .await)?)
}

pub async fn list(tx: &mut Tx, scope: &ClinicScope) -> Result<Vec<TypeRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, TypeRow>(&format!(
        "SELECT {COLUMNS} FROM appointment_types WHERE clinic_id = $1 ORDER BY name, id"
    ))
    .bind(scope.clinic_id().as_uuid())
    .fetch_all(c)
    .await)?)
}

/// Replaces the list of practitioners who deliver a type (empty: all).
pub async fn set_practitioners(tx: &mut Tx, scope: &ClinicScope, id: AppointmentTypeId, practitioners: &[PractitionerId]) -> Result<(), ServiceError> {
    on_tx!(tx, c => sqlx::query("DELETE FROM appointment_type_practitioners WHERE clinic_id = $1 AND type_id = $2")
        .bind(scope.clinic_id().as_uuid())
        .bind(id.as_uuid())
        .execute(c)
        .await.map(|r| r.rows_affected()))?;
    for practitioner in practitioners {
        on_tx!(tx, c => sqlx::query(
            "INSERT INTO appointment_type_practitioners (clinic_id, id, type_id, practitioner_id) VALUES ($1, $2, $3, $4)",
        )
        .bind(scope.clinic_id().as_uuid())
        .bind(Uuid::now_v7())
        .bind(id.as_uuid())
        .bind(practitioner.as_uuid())
        .execute(c)
        .await.map(|r| r.rows_affected()))?;
    }
    Ok(())
}

/// The practitioners named for a type; empty means everyone delivers it.
pub async fn practitioners(tx: &mut Tx, scope: &ClinicScope, id: AppointmentTypeId) -> Result<Vec<PractitionerId>, ServiceError> {
    let rows: Vec<(Uuid,)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT practitioner_id FROM appointment_type_practitioners WHERE clinic_id = $1 AND type_id = $2 ORDER BY practitioner_id",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id.as_uuid())
    .fetch_all(c)
    .await)?;
    Ok(rows.into_iter().map(|(id,)| PractitionerId::from_uuid(id)).collect())
}

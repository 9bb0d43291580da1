//! Vital signs: one row per reading, values in canonical units
//! (domain/src/vitals.rs). Postgres `integer` columns, hence `i32` here.

use crate::{db::Tx, error::ServiceError, on_tx, scope::ClinicScope, time::DbTime};
use ambula_domain::{MembershipId, PatientId, VitalSignsId};
use uuid::Uuid;

/// A reading to store, already checked against the plausibility limits.
#[derive(Debug, Clone, Default)]
pub struct NewVitals {
    pub systolic: Option<i32>,
    pub diastolic: Option<i32>,
    pub pulse: Option<i32>,
    pub temperature_dc: Option<i32>,
    pub respiratory_rate: Option<i32>,
    pub spo2: Option<i32>,
    pub height_mm: Option<i32>,
    pub weight_g: Option<i32>,
    pub bmi_dt: Option<i32>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VitalsRow {
    pub id: Uuid,
    pub recorded_at: DbTime,
    pub recorded_by_name: Option<String>,
    pub systolic_mmhg: Option<i32>,
    pub diastolic_mmhg: Option<i32>,
    pub pulse_bpm: Option<i32>,
    pub temperature_dc: Option<i32>,
    pub respiratory_rate: Option<i32>,
    pub spo2_pct: Option<i32>,
    pub height_mm: Option<i32>,
    pub weight_g: Option<i32>,
    pub bmi_dt: Option<i32>,
}

pub async fn insert(
    tx: &mut Tx,
    scope: &ClinicScope,
    patient: PatientId,
    recorded_at: DbTime,
    recorded_by: MembershipId,
    v: &NewVitals,
    now: DbTime,
) -> Result<VitalSignsId, ServiceError> {
    let id = VitalSignsId::generate();
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO vital_signs (clinic_id, id, patient_id, recorded_at, recorded_by, systolic_mmhg, diastolic_mmhg,
             pulse_bpm, temperature_dc, respiratory_rate, spo2_pct, height_mm, weight_g, bmi_dt, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id.as_uuid())
    .bind(patient.as_uuid())
    .bind(recorded_at)
    .bind(recorded_by.as_uuid())
    .bind(v.systolic)
    .bind(v.diastolic)
    .bind(v.pulse)
    .bind(v.temperature_dc)
    .bind(v.respiratory_rate)
    .bind(v.spo2)
    .bind(v.height_mm)
    .bind(v.weight_g)
    .bind(v.bmi_dt)
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(id)
}

/// The latest height recorded at or before `at` (for BMI when a reading
/// has a weight but no height).
pub async fn latest_height_before(tx: &mut Tx, scope: &ClinicScope, patient: PatientId, at: DbTime) -> Result<Option<i32>, ServiceError> {
    let row: Option<(i32,)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT height_mm FROM vital_signs
         WHERE clinic_id = $1 AND patient_id = $2 AND height_mm IS NOT NULL AND recorded_at <= $3
         ORDER BY recorded_at DESC, id DESC LIMIT 1",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(patient.as_uuid())
    .bind(at)
    .fetch_optional(c)
    .await)?;
    Ok(row.map(|(h,)| h))
}

/// A patient's readings, oldest first (the order the charts draw them in),
/// at most `limit` of the most recent.
pub async fn list(tx: &mut Tx, scope: &ClinicScope, patient: PatientId, limit: i64) -> Result<Vec<VitalsRow>, ServiceError> {
    let mut rows: Vec<VitalsRow> = on_tx!(tx, c => sqlx::query_as::<_, VitalsRow>(
        "SELECT v.id, v.recorded_at, u.name AS recorded_by_name, v.systolic_mmhg, v.diastolic_mmhg, v.pulse_bpm,
                v.temperature_dc, v.respiratory_rate, v.spo2_pct, v.height_mm, v.weight_g, v.bmi_dt
         FROM vital_signs v
         LEFT JOIN memberships m ON m.clinic_id = v.clinic_id AND m.id = v.recorded_by
         LEFT JOIN users u ON u.id = m.user_id
         WHERE v.clinic_id = $1 AND v.patient_id = $2
         ORDER BY v.recorded_at DESC, v.id DESC LIMIT $3",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(patient.as_uuid())
    .bind(limit)
    .fetch_all(c)
    .await)?;
    rows.reverse();
    Ok(rows)
}

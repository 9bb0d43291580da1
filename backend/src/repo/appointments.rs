use crate::{db::Tx, error::ServiceError, on_tx, scope::ClinicScope, time::DbTime};
use ambula_domain::{AppointmentId, PatientId, PractitionerId};

pub struct NewAppointment<'a> {
    pub patient_id: PatientId,
    pub practitioner_id: PractitionerId,
    pub starts_at: DbTime,
    pub ends_at: DbTime,
    pub kind: &'a str,
    pub status: &'a str,
}

pub async fn insert(tx: &mut Tx, scope: &ClinicScope, a: NewAppointment<'_>, now: DbTime) -> Result<AppointmentId, ServiceError> {
    let id = AppointmentId::generate();
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO appointments (clinic_id, id, patient_id, practitioner_id, starts_at, ends_at, kind, status, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id.as_uuid())
    .bind(a.patient_id.as_uuid())
    .bind(a.practitioner_id.as_uuid())
    .bind(a.starts_at)
    .bind(a.ends_at)
    .bind(a.kind)
    .bind(a.status)
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(id)
}

/// Appointments starting in `[from, to)`: the dashboard's "today" count.
pub async fn count_between(tx: &mut Tx, scope: &ClinicScope, from: DbTime, to: DbTime) -> Result<i64, ServiceError> {
    let (n,): (i64,) = on_tx!(tx, c => sqlx::query_as(
        "SELECT COUNT(*) FROM appointments WHERE clinic_id = $1 AND starts_at >= $2 AND starts_at < $3 AND status <> 'cancelled'",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(from)
    .bind(to)
    .fetch_one(c)
    .await)?;
    Ok(n)
}

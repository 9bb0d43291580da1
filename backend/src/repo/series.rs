//! Weekly series: the rule and its first local start. The occurrences are
//! ordinary appointments pointing here.

use crate::{db::Tx, error::ServiceError, on_tx, scope::ClinicScope, time::DbTime};
use ambula_domain::{AppointmentTypeId, PatientId, PractitionerId, RoomId, SeriesId};
use chrono::NaiveDateTime;

pub struct NewSeries<'a> {
    pub practitioner_id: PractitionerId,
    pub patient_id: PatientId,
    pub type_id: AppointmentTypeId,
    pub room_id: Option<RoomId>,
    pub rrule: &'a str,
    pub first_local: NaiveDateTime,
    pub time_zone: &'a str,
}

pub async fn insert(tx: &mut Tx, scope: &ClinicScope, s: NewSeries<'_>, now: DbTime) -> Result<SeriesId, ServiceError> {
    let id = SeriesId::generate();
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO appointment_series (clinic_id, id, practitioner_id, patient_id, type_id, room_id, rrule, first_local,
                                         time_zone, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id.as_uuid())
    .bind(s.practitioner_id.as_uuid())
    .bind(s.patient_id.as_uuid())
    .bind(s.type_id.as_uuid())
    .bind(s.room_id.map(|r| r.as_uuid()))
    .bind(s.rrule)
    // Local wall-clock time as text on both backends: it is not an instant.
    .bind(s.first_local.format("%Y-%m-%dT%H:%M").to_string())
    .bind(s.time_zone)
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(id)
}

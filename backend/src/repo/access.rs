//! Who may see a restricted patient: the care team, and holders of an
//! unexpired break-glass grant.

use crate::{db::Tx, error::ServiceError, on_tx, scope::ClinicScope, time::DbTime};
use ambula_domain::{MembershipId, PatientId};
use uuid::Uuid;

pub async fn add_to_care_team(tx: &mut Tx, scope: &ClinicScope, patient: PatientId, member: MembershipId, now: DbTime) -> Result<(), ServiceError> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO care_team (clinic_id, id, patient_id, membership_id, created_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (clinic_id, patient_id, membership_id) DO NOTHING",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(Uuid::now_v7())
    .bind(patient.as_uuid())
    .bind(member.as_uuid())
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn on_care_team(tx: &mut Tx, scope: &ClinicScope, patient: PatientId, member: MembershipId) -> Result<bool, ServiceError> {
    let row: Option<(Uuid,)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT id FROM care_team WHERE clinic_id = $1 AND patient_id = $2 AND membership_id = $3",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(patient.as_uuid())
    .bind(member.as_uuid())
    .fetch_optional(c)
    .await)?;
    Ok(row.is_some())
}

pub async fn grant(
    tx: &mut Tx,
    scope: &ClinicScope,
    patient: PatientId,
    member: MembershipId,
    reason: &str,
    now: DbTime,
    expires_at: DbTime,
) -> Result<Uuid, ServiceError> {
    let id = Uuid::now_v7();
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO emergency_grants (clinic_id, id, patient_id, membership_id, reason, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id)
    .bind(patient.as_uuid())
    .bind(member.as_uuid())
    .bind(reason)
    .bind(now)
    .bind(expires_at)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(id)
}

/// The unexpired grant of this member for this patient, if any.
pub async fn active_grant(tx: &mut Tx, scope: &ClinicScope, patient: PatientId, member: MembershipId, now: DbTime) -> Result<Option<DbTime>, ServiceError> {
    let row: Option<(DbTime,)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT expires_at FROM emergency_grants
         WHERE clinic_id = $1 AND patient_id = $2 AND membership_id = $3 AND expires_at > $4
         ORDER BY expires_at DESC LIMIT 1",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(patient.as_uuid())
    .bind(member.as_uuid())
    .bind(now)
    .fetch_optional(c)
    .await)?;
    Ok(row.map(|(t,)| t))
}

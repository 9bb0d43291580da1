//! Referrals to other providers. Reason and letter arrive sealed.

use crate::{db::Tx, error::ServiceError, on_tx, scope::ClinicScope, time::DbTime};
use ambula_domain::{MembershipId, PatientId, ReferralId};
use uuid::Uuid;

pub struct NewReferralRow<'a> {
    pub id: ReferralId,
    pub patient: PatientId,
    pub to_name: &'a str,
    pub specialty: Option<&'a str>,
    pub to_address: Option<&'a str>,
    pub to_email: Option<&'a str>,
    pub reason: &'a [u8],
    pub urgency: &'a str,
    pub letter: Option<&'a [u8]>,
    pub created_by: MembershipId,
}

pub async fn insert(tx: &mut Tx, scope: &ClinicScope, row: NewReferralRow<'_>, now: DbTime) -> Result<(), ServiceError> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO referrals (clinic_id, id, patient_id, to_name, specialty, to_address, to_email, reason, urgency, status,
                                letter, created_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'draft', $10, $11, $12, $12)",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(row.id.as_uuid())
    .bind(row.patient.as_uuid())
    .bind(row.to_name)
    .bind(row.specialty)
    .bind(row.to_address)
    .bind(row.to_email)
    .bind(row.reason)
    .bind(row.urgency)
    .bind(row.letter)
    .bind(row.created_by.as_uuid())
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReferralRow {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub to_name: String,
    pub specialty: Option<String>,
    pub to_address: Option<String>,
    pub to_email: Option<String>,
    pub reason: Vec<u8>,
    pub urgency: String,
    pub status: String,
    pub letter: Option<Vec<u8>>,
    pub created_by_name: String,
    pub created_at: DbTime,
}

const SELECT: &str = "SELECT r.id, r.patient_id, r.to_name, r.specialty, r.to_address, r.to_email, r.reason, r.urgency,
                             r.status, r.letter, u.name AS created_by_name, r.created_at
                      FROM referrals r
                      JOIN memberships m ON m.clinic_id = r.clinic_id AND m.id = r.created_by
                      JOIN users u ON u.id = m.user_id";

pub async fn for_patient(tx: &mut Tx, scope: &ClinicScope, patient: PatientId) -> Result<Vec<ReferralRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, ReferralRow>(&format!(
        "{SELECT} WHERE r.clinic_id = $1 AND r.patient_id = $2 ORDER BY r.created_at DESC, r.id DESC"
    ))
    .bind(scope.clinic_id().as_uuid())
    .bind(patient.as_uuid())
    .fetch_all(c)
    .await)?)
}

pub async fn get(tx: &mut Tx, scope: &ClinicScope, id: ReferralId) -> Result<Option<ReferralRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, ReferralRow>(&format!("{SELECT} WHERE r.clinic_id = $1 AND r.id = $2"))
        .bind(scope.clinic_id().as_uuid())
        .bind(id.as_uuid())
        .fetch_optional(c)
        .await)?)
}

/// Moves the status on from `from`; false if someone moved it first.
pub async fn set_status(tx: &mut Tx, scope: &ClinicScope, id: ReferralId, from: &str, to: &str, now: DbTime) -> Result<bool, ServiceError> {
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE referrals SET status = $4, updated_at = $5 WHERE clinic_id = $1 AND id = $2 AND status = $3",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id.as_uuid())
    .bind(from)
    .bind(to)
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

//! Medical, surgical and family history entries, and social history.
//! Free text arrives and leaves sealed.

use crate::{db::Tx, error::ServiceError, on_tx, scope::ClinicScope, time::DbTime};
use ambula_domain::{HistoryEntryId, MembershipId, PatientId};
use uuid::Uuid;

pub struct NewEntry<'a> {
    pub id: HistoryEntryId,
    pub patient_id: PatientId,
    pub kind: &'a str,
    pub relation: Option<&'a str>,
    pub year: Option<i32>,
    pub details: Vec<u8>,
    pub recorded_by: MembershipId,
}

pub async fn insert(tx: &mut Tx, scope: &ClinicScope, e: NewEntry<'_>, now: DbTime) -> Result<(), ServiceError> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO history_entries (clinic_id, id, patient_id, kind, relation, year, details, recorded_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(e.id.as_uuid())
    .bind(e.patient_id.as_uuid())
    .bind(e.kind)
    .bind(e.relation)
    .bind(e.year)
    .bind(&e.details)
    .bind(e.recorded_by.as_uuid())
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EntryRow {
    pub id: Uuid,
    pub kind: String,
    pub relation: Option<String>,
    pub year: Option<i32>,
    pub details: Vec<u8>,
}

pub async fn list_for_patient(tx: &mut Tx, scope: &ClinicScope, patient: PatientId) -> Result<Vec<EntryRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, EntryRow>(
        "SELECT id, kind, relation, year, details FROM history_entries
         WHERE clinic_id = $1 AND patient_id = $2 ORDER BY kind, created_at, id LIMIT 500",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(patient.as_uuid())
    .fetch_all(c)
    .await)?)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SocialRow {
    pub id: Uuid,
    pub smoking: String,
    pub alcohol: String,
    pub occupation: Option<Vec<u8>>,
    pub notes: Option<Vec<u8>>,
}

pub async fn social(tx: &mut Tx, scope: &ClinicScope, patient: PatientId) -> Result<Option<SocialRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, SocialRow>(
        "SELECT id, smoking, alcohol, occupation, notes FROM social_history WHERE clinic_id = $1 AND patient_id = $2",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(patient.as_uuid())
    .fetch_optional(c)
    .await)?)
}

pub struct SocialData<'a> {
    /// The row's id (its ciphertexts are bound to it): the existing one, or new.
    pub id: Uuid,
    pub smoking: &'a str,
    pub alcohol: &'a str,
    pub occupation: Option<Vec<u8>>,
    pub notes: Option<Vec<u8>>,
}

/// Creates or replaces the patient's social history.
pub async fn save_social(tx: &mut Tx, scope: &ClinicScope, patient: PatientId, s: SocialData<'_>, by: MembershipId, now: DbTime) -> Result<(), ServiceError> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO social_history (clinic_id, id, patient_id, smoking, alcohol, occupation, notes, updated_by, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (clinic_id, patient_id) DO UPDATE SET
             smoking = excluded.smoking, alcohol = excluded.alcohol, occupation = excluded.occupation,
             notes = excluded.notes, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(s.id)
    .bind(patient.as_uuid())
    .bind(s.smoking)
    .bind(s.alcohol)
    .bind(&s.occupation)
    .bind(&s.notes)
    .bind(by.as_uuid())
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(())
}

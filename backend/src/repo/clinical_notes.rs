//! SOAP notes and their amendments. Sections arrive and leave as
//! ciphertext (the service seals and opens them). A signed note is never
//! updated: `update_draft` and `sign` only touch drafts, and the database
//! refuses any change to a signed row (trigger) as a backstop.

use crate::{db::Tx, error::ServiceError, on_tx, scope::ClinicScope, time::DbTime};
use ambula_domain::{ClinicalNoteId, EncounterId, MembershipId, NoteAmendmentId, PatientId};
use uuid::Uuid;

/// The four sealed sections, in SOAP order.
pub struct SealedSections {
    pub subjective: Vec<u8>,
    pub objective: Vec<u8>,
    pub assessment: Vec<u8>,
    pub plan: Vec<u8>,
}

pub struct NewNote {
    pub id: ClinicalNoteId,
    pub encounter_id: EncounterId,
    pub patient_id: PatientId,
    pub template_id: Option<Uuid>,
    pub author_id: MembershipId,
    pub sections: SealedSections,
}

pub async fn insert(tx: &mut Tx, scope: &ClinicScope, note: NewNote, now: DbTime) -> Result<(), ServiceError> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO clinical_notes (clinic_id, id, encounter_id, patient_id, template_id, author_id,
                                     subjective, objective, assessment, plan, status, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'draft', $11, $11)",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(note.id.as_uuid())
    .bind(note.encounter_id.as_uuid())
    .bind(note.patient_id.as_uuid())
    .bind(note.template_id)
    .bind(note.author_id.as_uuid())
    .bind(&note.sections.subjective)
    .bind(&note.sections.objective)
    .bind(&note.sections.assessment)
    .bind(&note.sections.plan)
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NoteRow {
    pub id: Uuid,
    pub encounter_id: Uuid,
    pub patient_id: Uuid,
    pub template_id: Option<Uuid>,
    pub author_id: Uuid,
    pub author_name: String,
    pub subjective: Vec<u8>,
    pub objective: Vec<u8>,
    pub assessment: Vec<u8>,
    pub plan: Vec<u8>,
    pub status: String,
    pub signed_by: Option<Uuid>,
    pub signer_name: Option<String>,
    pub signed_at: Option<DbTime>,
    pub updated_at: DbTime,
}

const SELECT: &str = "SELECT n.id, n.encounter_id, n.patient_id, n.template_id, n.author_id, au.name AS author_name,
            n.subjective, n.objective, n.assessment, n.plan, n.status, n.signed_by, su.name AS signer_name,
            n.signed_at, n.updated_at
     FROM clinical_notes n
     JOIN memberships am ON am.clinic_id = n.clinic_id AND am.id = n.author_id
     JOIN users au ON au.id = am.user_id
     LEFT JOIN memberships sm ON sm.clinic_id = n.clinic_id AND sm.id = n.signed_by
     LEFT JOIN users su ON su.id = sm.user_id";

pub async fn get(tx: &mut Tx, scope: &ClinicScope, id: ClinicalNoteId) -> Result<Option<NoteRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, NoteRow>(&format!("{SELECT} WHERE n.clinic_id = $1 AND n.id = $2"))
        .bind(scope.clinic_id().as_uuid())
        .bind(id.as_uuid())
        .fetch_optional(c)
        .await)?)
}

/// The notes of a patient's encounters (at most one each).
pub async fn list_for_patient(tx: &mut Tx, scope: &ClinicScope, patient: PatientId) -> Result<Vec<NoteRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, NoteRow>(&format!(
        "{SELECT} WHERE n.clinic_id = $1 AND n.patient_id = $2 ORDER BY n.created_at DESC"
    ))
    .bind(scope.clinic_id().as_uuid())
    .bind(patient.as_uuid())
    .fetch_all(c)
    .await)?)
}

/// Replaces a draft's sections. False when the note is not a draft (or not
/// this clinic's): signed notes are never updated.
pub async fn update_draft(tx: &mut Tx, scope: &ClinicScope, id: ClinicalNoteId, sections: SealedSections, now: DbTime) -> Result<bool, ServiceError> {
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE clinical_notes SET subjective = $3, objective = $4, assessment = $5, plan = $6, updated_at = $7
         WHERE clinic_id = $1 AND id = $2 AND status = 'draft'",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id.as_uuid())
    .bind(&sections.subjective)
    .bind(&sections.objective)
    .bind(&sections.assessment)
    .bind(&sections.plan)
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Signs a draft: one UPDATE sets status, signer and time. False when it
/// was not a draft.
pub async fn sign(tx: &mut Tx, scope: &ClinicScope, id: ClinicalNoteId, signer: MembershipId, now: DbTime) -> Result<bool, ServiceError> {
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE clinical_notes SET status = 'signed', signed_by = $3, signed_at = $4, updated_at = $4
         WHERE clinic_id = $1 AND id = $2 AND status = 'draft'",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id.as_uuid())
    .bind(signer.as_uuid())
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub struct NewAmendment {
    pub id: NoteAmendmentId,
    pub note_id: ClinicalNoteId,
    pub patient_id: PatientId,
    pub author_id: MembershipId,
    pub reason: Vec<u8>,
    pub body: Vec<u8>,
}

pub async fn insert_amendment(tx: &mut Tx, scope: &ClinicScope, a: NewAmendment, now: DbTime) -> Result<(), ServiceError> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO note_amendments (clinic_id, id, note_id, patient_id, author_id, reason, body, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(a.id.as_uuid())
    .bind(a.note_id.as_uuid())
    .bind(a.patient_id.as_uuid())
    .bind(a.author_id.as_uuid())
    .bind(&a.reason)
    .bind(&a.body)
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AmendmentRow {
    pub id: Uuid,
    pub note_id: Uuid,
    pub author_name: String,
    pub reason: Vec<u8>,
    pub body: Vec<u8>,
    pub created_at: DbTime,
}

/// A patient's amendments, oldest first (they read in order under the note).
pub async fn amendments_for_patient(tx: &mut Tx, scope: &ClinicScope, patient: PatientId) -> Result<Vec<AmendmentRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, AmendmentRow>(
        "SELECT a.id, a.note_id, u.name AS author_name, a.reason, a.body, a.created_at
         FROM note_amendments a
         JOIN memberships m ON m.clinic_id = a.clinic_id AND m.id = a.author_id
         JOIN users u ON u.id = m.user_id
         WHERE a.clinic_id = $1 AND a.patient_id = $2
         ORDER BY a.created_at, a.id",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(patient.as_uuid())
    .fetch_all(c)
    .await)?)
}

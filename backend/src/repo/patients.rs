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
    // The search keys are computed here, on every insert path (the demo
    // seed included), so no record is missing from searches.
    let keys = SearchKeys::of(patient.given_name, patient.family_name, None, patient.phone, patient.email);
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO patients (clinic_id, id, mrn, given_name, family_name, date_of_birth, phone, email, created_at,
                               family_key, given_key, preferred_key, family_phonetic, given_phonetic, phone_rev, email_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
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
    .bind(&keys.family_key)
    .bind(&keys.given_key)
    .bind(&keys.preferred_key)
    .bind(&keys.family_phonetic)
    .bind(&keys.given_phonetic)
    .bind(&keys.phone_rev)
    .bind(&keys.email_key)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(id)
}

/// The indexed search columns of a record (domain/src/registry/text.rs).
#[derive(Debug, Clone)]
pub struct SearchKeys {
    pub family_key: String,
    pub given_key: String,
    pub preferred_key: Option<String>,
    pub family_phonetic: String,
    pub given_phonetic: String,
    pub phone_rev: Option<String>,
    pub email_key: Option<String>,
}

impl SearchKeys {
    pub fn of(given: &str, family: &str, preferred: Option<&str>, phone: Option<&str>, email: Option<&str>) -> Self {
        use ambula_domain::registry::text;
        Self {
            family_key: text::fold(family),
            given_key: text::fold(given),
            preferred_key: preferred.map(text::fold).filter(|k| !k.is_empty()),
            family_phonetic: text::phonetic(family),
            given_phonetic: text::phonetic(given),
            phone_rev: phone.map(text::phone_key).filter(|k| !k.is_empty()),
            email_key: email.map(|e| e.trim().to_lowercase()).filter(|k| !k.is_empty()),
        }
    }
}

pub async fn count(tx: &mut Tx, scope: &ClinicScope) -> Result<i64, ServiceError> {
    let (n,): (i64,) = on_tx!(tx, c => sqlx::query_as("SELECT COUNT(*) FROM patients WHERE clinic_id = $1")
        .bind(scope.clinic_id().as_uuid())
        .fetch_one(c)
        .await)?;
    Ok(n)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PatientRow {
    pub id: uuid::Uuid,
    pub mrn: String,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: NaiveDate,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub restricted: bool,
    pub preferred_name: Option<String>,
    pub sex_at_birth: Option<String>,
    pub gender_identity: Option<String>,
    pub preferred_language: Option<String>,
    pub address_line1: Option<String>,
    pub address_line2: Option<String>,
    pub city: Option<String>,
    pub postcode: Option<String>,
    pub country: Option<String>,
    pub national_id: Option<String>,
    pub insurance_id: Option<String>,
    pub emergency_name: Option<String>,
    pub emergency_relation: Option<String>,
    pub emergency_phone: Option<String>,
    pub guardian_name: Option<String>,
    pub guardian_relation: Option<String>,
    pub guardian_phone: Option<String>,
    pub guardian_email: Option<String>,
    pub contact_email: bool,
    pub contact_sms: bool,
    pub consent_treatment_on: Option<NaiveDate>,
    pub consent_sharing_on: Option<NaiveDate>,
    pub active: bool,
    pub inactive_reason: Option<String>,
    pub inactive_on: Option<NaiveDate>,
    pub inactive_note: Option<String>,
    pub merged_into: Option<uuid::Uuid>,
    pub created_at: DbTime,
}

pub(crate) const COLUMNS: &str = "id, mrn, given_name, family_name, date_of_birth, phone, email, restricted,
    preferred_name, sex_at_birth, gender_identity, preferred_language, address_line1, address_line2, city, postcode,
    country, national_id, insurance_id, emergency_name, emergency_relation, emergency_phone, guardian_name,
    guardian_relation, guardian_phone, guardian_email, contact_email, contact_sms, consent_treatment_on,
    consent_sharing_on, active, inactive_reason, inactive_on, inactive_note, merged_into, created_at";

pub async fn get(tx: &mut Tx, scope: &ClinicScope, id: PatientId) -> Result<Option<PatientRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, PatientRow>(&format!(
        "SELECT {COLUMNS} FROM patients WHERE clinic_id = $1 AND id = $2"
    ))
    .bind(scope.clinic_id().as_uuid())
    .bind(id.as_uuid())
    .fetch_optional(c)
    .await)?)
}

/// The records merged into `survivor` (id, MRN), oldest first: their
/// encounters, notes and issued invoices stay on them (see
/// `repo::registry::NOT_REPOINTED`), so the survivor's chart links to them.
pub async fn merged_into(tx: &mut Tx, scope: &ClinicScope, survivor: PatientId) -> Result<Vec<(uuid::Uuid, String)>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, (uuid::Uuid, String)>(
        "SELECT id, mrn FROM patients WHERE clinic_id = $1 AND merged_into = $2 ORDER BY created_at, id"
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(survivor.as_uuid())
    .fetch_all(c)
    .await)?)
}

/// What a report line shows of a patient.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PatientLabel {
    pub id: uuid::Uuid,
    pub mrn: String,
    pub given_name: String,
    pub family_name: String,
    pub restricted: bool,
}

/// The labels of these patients of the clinic (ids of another clinic, or
/// of none, are simply absent): one indexed query per 200 ids.
pub async fn labels(tx: &mut Tx, scope: &ClinicScope, ids: &[uuid::Uuid]) -> Result<Vec<PatientLabel>, ServiceError> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(200) {
        let placeholders = (2..chunk.len() + 2).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
        let sql = format!(
            "SELECT id, mrn, given_name, family_name, restricted FROM patients WHERE clinic_id = $1 AND id IN ({placeholders})"
        );
        let rows: Vec<PatientLabel> = on_tx!(tx, c => {
            let mut q = sqlx::query_as::<_, PatientLabel>(&sql).bind(scope.clinic_id().as_uuid());
            for id in chunk {
                q = q.bind(*id);
            }
            q.fetch_all(c).await
        })?;
        out.extend(rows);
    }
    Ok(out)
}

pub async fn set_restricted(tx: &mut Tx, scope: &ClinicScope, id: PatientId, restricted: bool) -> Result<(), ServiceError> {
    on_tx!(tx, c => sqlx::query("UPDATE patients SET restricted = $3 WHERE clinic_id = $1 AND id = $2")
        .bind(scope.clinic_id().as_uuid())
        .bind(id.as_uuid())
        .bind(restricted)
        .execute(c)
        .await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// The next MRN from the clinic's counter, incremented in the caller's
/// transaction: it commits or rolls back with the registration, survives
/// deletes and merges, and (a row lock on PostgreSQL, the write lock on
/// SQLite) never hands two registrations the same number. A number already
/// taken (by an MRN given some other way) is skipped.
pub async fn next_mrn(tx: &mut Tx, scope: &ClinicScope) -> Result<String, ServiceError> {
    loop {
        let (n,): (i64,) = on_tx!(tx, c => sqlx::query_as(
            "UPDATE clinics SET mrn_counter = mrn_counter + 1 WHERE id = $1 RETURNING mrn_counter",
        )
        .bind(scope.clinic_id().as_uuid())
        .fetch_one(c)
        .await)?;
        let mrn = format!("P{n:06}");
        let taken: Option<(uuid::Uuid,)> = on_tx!(tx, c => sqlx::query_as("SELECT id FROM patients WHERE clinic_id = $1 AND mrn = $2")
            .bind(scope.clinic_id().as_uuid())
            .bind(&mrn)
            .fetch_optional(c)
            .await)?;
        if taken.is_none() {
            return Ok(mrn);
        }
    }
}

/// Serializes bookings for one patient on PostgreSQL (see
/// `practitioners::lock`); taken after the practitioner and room locks,
/// always in that order, so two bookings cannot deadlock.
pub async fn lock(tx: &mut Tx, scope: &ClinicScope, id: PatientId) -> Result<(), ServiceError> {
    if let Tx::Postgres(t) = tx {
        sqlx::query("SELECT 1 FROM patients WHERE clinic_id = $1 AND id = $2 FOR NO KEY UPDATE")
            .bind(scope.clinic_id().as_uuid())
            .bind(id.as_uuid())
            .execute(&mut **t)
            .await?;
    }
    Ok(())
}

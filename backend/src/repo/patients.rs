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
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO patients (clinic_id, id, mrn, given_name, family_name, date_of_birth, phone, email, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
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
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(id)
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
}

const COLUMNS: &str = "id, mrn, given_name, family_name, date_of_birth, phone, email, restricted";

pub async fn get(tx: &mut Tx, scope: &ClinicScope, id: PatientId) -> Result<Option<PatientRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, PatientRow>(&format!(
        "SELECT {COLUMNS} FROM patients WHERE clinic_id = $1 AND id = $2"
    ))
    .bind(scope.clinic_id().as_uuid())
    .bind(id.as_uuid())
    .fetch_optional(c)
    .await)?)
}

pub struct PatientUpdate<'a> {
    pub given_name: &'a str,
    pub family_name: &'a str,
    pub date_of_birth: NaiveDate,
    pub phone: Option<&'a str>,
    pub email: Option<&'a str>,
    pub restricted: bool,
}

pub async fn update(tx: &mut Tx, scope: &ClinicScope, id: PatientId, p: PatientUpdate<'_>, now: DbTime) -> Result<bool, ServiceError> {
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE patients SET given_name = $3, family_name = $4, date_of_birth = $5, phone = $6, email = $7,
                             restricted = $8, updated_at = $9
         WHERE clinic_id = $1 AND id = $2",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id.as_uuid())
    .bind(p.given_name)
    .bind(p.family_name)
    .bind(p.date_of_birth)
    .bind(p.phone)
    .bind(p.email)
    .bind(p.restricted)
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
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

/// Name-prefix search. The pattern's wildcards are escaped: a search for
/// `%%%%` looks for percent signs, it does not match everything slowly.
/// The order comes from an allow-list.
pub async fn search(
    tx: &mut Tx,
    scope: &ClinicScope,
    query: &str,
    sort: ambula_domain::patients::PatientSort,
    limit: i64,
) -> Result<Vec<PatientRow>, ServiceError> {
    use ambula_domain::patients::PatientSort;
    let escaped: String = query
        .to_lowercase()
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    let pattern = format!("{escaped}%");
    let order = match sort {
        PatientSort::Name => "family_name, given_name, id",
        PatientSort::BirthDate => "date_of_birth, family_name, id",
        PatientSort::Newest => "created_at DESC, id",
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM patients
         WHERE clinic_id = $1
           AND ($2 = '' OR lower(family_name) LIKE $3 ESCAPE '\\' OR lower(given_name) LIKE $3 ESCAPE '\\' OR mrn = $2)
         ORDER BY {order} LIMIT $4"
    );
    Ok(on_tx!(tx, c => sqlx::query_as::<_, PatientRow>(&sql)
        .bind(scope.clinic_id().as_uuid())
        .bind(query)
        .bind(&pattern)
        .bind(limit)
        .fetch_all(c)
        .await)?)
}

pub async fn next_mrn(tx: &mut Tx, scope: &ClinicScope) -> Result<String, ServiceError> {
    let (n,): (i64,) = on_tx!(tx, c => sqlx::query_as("SELECT COUNT(*) FROM patients WHERE clinic_id = $1")
        .bind(scope.clinic_id().as_uuid())
        .fetch_one(c)
        .await)?;
    Ok(format!("P{:06}", n + 1))
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

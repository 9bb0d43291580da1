//! Note templates: per clinic, fields stored as JSON text.

use crate::{db::Tx, error::ServiceError, on_tx, scope::ClinicScope, time::DbTime};
use ambula_domain::NoteTemplateId;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TemplateRow {
    pub id: Uuid,
    pub name: String,
    pub fields: String,
    pub active: bool,
}

pub async fn list(tx: &mut Tx, scope: &ClinicScope) -> Result<Vec<TemplateRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, TemplateRow>(
        "SELECT id, name, fields, active FROM note_templates WHERE clinic_id = $1 ORDER BY name, id",
    )
    .bind(scope.clinic_id().as_uuid())
    .fetch_all(c)
    .await)?)
}

pub async fn get(tx: &mut Tx, scope: &ClinicScope, id: Uuid) -> Result<Option<TemplateRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, TemplateRow>(
        "SELECT id, name, fields, active FROM note_templates WHERE clinic_id = $1 AND id = $2",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id)
    .fetch_optional(c)
    .await)?)
}

/// `fields`: the JSON text. A taken name is a field error.
pub async fn insert(tx: &mut Tx, scope: &ClinicScope, name: &str, fields: &str, now: DbTime) -> Result<NoteTemplateId, ServiceError> {
    let id = NoteTemplateId::generate();
    let result = on_tx!(tx, c => sqlx::query(
        "INSERT INTO note_templates (clinic_id, id, name, fields, active, created_at, updated_at)
         VALUES ($1, $2, $3, $4, true, $5, $5)",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id.as_uuid())
    .bind(name)
    .bind(fields)
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()));
    super::unique_as_field(result, "name", "A template with this name already exists.")?;
    Ok(id)
}

pub async fn update(tx: &mut Tx, scope: &ClinicScope, id: Uuid, name: &str, fields: &str, active: bool, now: DbTime) -> Result<bool, ServiceError> {
    let result = on_tx!(tx, c => sqlx::query(
        "UPDATE note_templates SET name = $3, fields = $4, active = $5, updated_at = $6 WHERE clinic_id = $1 AND id = $2",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id)
    .bind(name)
    .bind(fields)
    .bind(active)
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()));
    Ok(super::unique_as_field(result, "name", "A template with this name already exists.")? == 1)
}

/// Every template the clinic ever had, active or not.
pub async fn count(tx: &mut Tx, scope: &ClinicScope) -> Result<i64, ServiceError> {
    let (n,): (i64,) = on_tx!(tx, c => sqlx::query_as("SELECT COUNT(*) FROM note_templates WHERE clinic_id = $1")
        .bind(scope.clinic_id().as_uuid())
        .fetch_one(c)
        .await)?;
    Ok(n)
}

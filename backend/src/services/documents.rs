//! Patient documents: uploads checked by content, stored encrypted, served
//! back only as attachments. (The chart issue adds previews and listing in
//! the timeline.)

use crate::{
    audit::{self, Actor, Entry},
    envelope::{Field, KeyOwner},
    error::ServiceError,
    on_tx,
    scope::AuthContext,
    Services,
};
use ambula_domain::{
    documents::{clean_file_name, DocumentKind},
    FieldErrors, PatientId, Permission,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct DocumentInfo {
    pub id: Uuid,
    pub file_name: String,
    pub content_type: &'static str,
    pub size_bytes: i64,
    pub sha256: String,
}

#[derive(Debug, Clone)]
pub struct Download {
    pub file_name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

async fn require(services: &Services, ctx: &AuthContext, permission: Permission, action: &'static str, id: &str) -> Result<(), ServiceError> {
    if ctx.can(permission) {
        return Ok(());
    }
    audit::record_denial(services, ctx, action, "document", id, None).await?;
    Err(ServiceError::Forbidden)
}

pub async fn upload(services: &Services, ctx: &AuthContext, patient: &str, file_name: &str, bytes: &[u8]) -> Result<DocumentInfo, ServiceError> {
    require(services, ctx, Permission::EditClinical, "document.upload", patient).await?;
    let kind = DocumentKind::sniff(bytes).map_err(|e| ServiceError::Invalid(FieldErrors::single("file", e.0)))?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    // The patient must be this clinic's and visible to the uploader.
    let patient_row = super::patients::load_for(&mut tx, ctx, patient, "document.upload", now).await?;
    let patient_id = match patient_row {
        Ok((row, _)) => PatientId::from_uuid(row.id),
        Err(denied) => {
            tx.commit().await?;
            return Err(denied);
        }
    };
    let id = Uuid::now_v7();
    let row = id.to_string();
    let sealed = services
        .keys
        .encrypt(&mut tx, KeyOwner::clinic(&ctx.scope), Field { table: "documents", column: "content", row: &row }, bytes, now)
        .await?;
    let info = DocumentInfo {
        id,
        file_name: clean_file_name(file_name, kind),
        content_type: kind.content_type(),
        size_bytes: bytes.len() as i64,
        sha256: Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect(),
    };
    on_tx!(&mut tx, c => sqlx::query(
        "INSERT INTO documents (clinic_id, id, patient_id, file_name, content_type, size_bytes, sha256, content, uploaded_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(ctx.scope.clinic_id().as_uuid())
    .bind(id)
    .bind(patient_id.as_uuid())
    .bind(&info.file_name)
    .bind(info.content_type)
    .bind(info.size_bytes)
    .bind(&info.sha256)
    .bind(&sealed)
    .bind(ctx.membership_id.as_uuid())
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    let entry = Entry::ok("document.upload", "document", id).patient(patient_id.as_uuid()).detail(format!("{} ({} bytes)", info.file_name, info.size_bytes));
    audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), entry, now).await?;
    tx.commit().await?;
    Ok(info)
}

type Row = (Uuid, String, String, String, Vec<u8>);

/// A document as listed on the chart's Documents tab.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DocumentListItem {
    pub id: Uuid,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub created_at: crate::time::DbTime,
    pub uploaded_by: Option<String>,
}

/// A patient's documents, newest first (no content). ViewClinical; the
/// listing is audited as a read of the patient's record.
pub async fn list(services: &Services, ctx: &AuthContext, patient: &str) -> Result<Vec<DocumentListItem>, ServiceError> {
    require(services, ctx, Permission::ViewClinical, "document.list", patient).await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let (row, until) = match super::patients::load_for(&mut tx, ctx, patient, "document.list", now).await? {
        Ok(found) => found,
        Err(denied) => {
            tx.commit().await?;
            return Err(denied);
        }
    };
    let items: Vec<DocumentListItem> = on_tx!(&mut tx, c => sqlx::query_as::<_, DocumentListItem>(
        "SELECT d.id, d.file_name, d.content_type, d.size_bytes, d.created_at, u.name AS uploaded_by
         FROM documents d
         LEFT JOIN memberships m ON m.clinic_id = d.clinic_id AND m.id = d.uploaded_by
         LEFT JOIN users u ON u.id = m.user_id
         WHERE d.clinic_id = $1 AND d.patient_id = $2
         ORDER BY d.created_at DESC, d.id DESC LIMIT 500",
    )
    .bind(ctx.scope.clinic_id().as_uuid())
    .bind(row.id)
    .fetch_all(c)
    .await)?;
    let entry = Entry::ok("document.list", "patient", row.id).patient(row.id).break_glass(until.is_some()).detail(format!("{} documents", items.len()));
    audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), entry, now).await?;
    tx.commit().await?;
    Ok(items)
}

pub async fn download(services: &Services, ctx: &AuthContext, id: &str) -> Result<Download, ServiceError> {
    fetch(services, ctx, id, "document.read").await
}

/// The document to show inline (an image or a PDF in a sandboxed frame).
/// Served only when the decrypted content itself is still one of the kinds
/// we accept, whatever the stored content type says.
pub async fn preview(services: &Services, ctx: &AuthContext, id: &str) -> Result<Download, ServiceError> {
    let file = fetch(services, ctx, id, "document.preview").await?;
    match DocumentKind::sniff(&file.bytes) {
        Ok(kind) if kind.content_type() == file.content_type => Ok(file),
        _ => Err(ServiceError::NotFound),
    }
}

async fn fetch(services: &Services, ctx: &AuthContext, id: &str, action: &'static str) -> Result<Download, ServiceError> {
    require(services, ctx, Permission::ViewClinical, action, id).await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let parsed = ambula_domain::parse_uuid(id).ok();
    let row: Option<Row> = match parsed {
        Some(uuid) => on_tx!(&mut tx, c => sqlx::query_as(
            "SELECT patient_id, file_name, content_type, sha256, content FROM documents WHERE clinic_id = $1 AND id = $2",
        )
        .bind(ctx.scope.clinic_id().as_uuid())
        .bind(uuid)
        .fetch_optional(c)
        .await)?,
        None => None,
    };
    let Some((patient, file_name, content_type, sha256, sealed)) = row else {
        audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), Entry::denied(action, "document", id), now).await?;
        tx.commit().await?;
        return Err(ServiceError::NotFound);
    };
    // The record's restrictions apply to its documents.
    if let Err(denied) = super::patients::load_for(&mut tx, ctx, &patient.to_string(), action, now).await? {
        tx.commit().await?;
        return Err(denied);
    }
    // The row binding of the encryption: the id's one text form.
    let row_id = parsed.map(|uuid| uuid.to_string()).unwrap_or_default();
    let plain = services
        .keys
        .decrypt(&mut tx, KeyOwner::clinic(&ctx.scope), Field { table: "documents", column: "content", row: &row_id }, &sealed)
        .await?;
    let digest: String = Sha256::digest(plain.as_slice()).iter().map(|b| format!("{b:02x}")).collect();
    if digest != sha256 {
        return Err(ServiceError::Internal(format!("document {id} fails its integrity check")));
    }
    audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), Entry::ok(action, "document", id.trim()).patient(patient), now).await?;
    tx.commit().await?;
    Ok(Download { file_name, content_type, bytes: plain.to_vec() })
}

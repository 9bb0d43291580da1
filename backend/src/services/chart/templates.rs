//! Note templates per clinic. Who manages them: members with
//! `EditClinical` (the clinicians who write the notes) or `ManageClinic`
//! (owners and administrators setting the clinic up); the same people read
//! them. A clinic's first look at its templates seeds the defaults
//! ("First consultation", "Follow-up"), so every clinic, old or new, starts
//! with them. Templates hold no patient data; changes are still audited.

use super::notes::template_fields;
use crate::{
    audit::{self, Actor, Entry},
    db::Tx,
    error::ServiceError,
    repo,
    scope::AuthContext,
    time::DbTime,
    Services,
};
use ambula_domain::{
    chart::templates::{default_templates, TemplateField, TemplateForm, TemplateSpec},
    Permission,
};
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct TemplateView {
    pub id: Uuid,
    pub name: String,
    pub fields: Vec<TemplateField>,
    pub active: bool,
}

impl TemplateView {
    /// The fields as the textarea shows them, one per line.
    pub fn lines(&self) -> String {
        self.fields.iter().map(TemplateField::to_line).collect::<Vec<_>>().join("\n")
    }
}

async fn require(services: &Services, ctx: &AuthContext, action: &'static str, id: &str) -> Result<(), ServiceError> {
    if ctx.can(Permission::EditClinical) || ctx.can(Permission::ManageClinic) {
        return Ok(());
    }
    audit::record_denial(services, ctx, action, "note_template", id, None).await?;
    Err(ServiceError::Forbidden)
}

fn fields_json(spec: &TemplateSpec) -> Result<String, ServiceError> {
    serde_json::to_string(&spec.fields).map_err(|e| ServiceError::Internal(e.to_string()))
}

/// Seeds the default templates for a clinic that never had any.
pub(crate) async fn seed_defaults(tx: &mut Tx, ctx_scope: &crate::ClinicScope, now: DbTime) -> Result<(), ServiceError> {
    if repo::note_templates::count(tx, ctx_scope).await? > 0 {
        return Ok(());
    }
    for spec in default_templates() {
        repo::note_templates::insert(tx, ctx_scope, &spec.name, &fields_json(&spec)?, now).await?;
    }
    Ok(())
}

fn view(row: repo::note_templates::TemplateRow) -> Result<TemplateView, ServiceError> {
    Ok(TemplateView { fields: template_fields(&row.fields)?, id: row.id, name: row.name, active: row.active })
}

pub async fn list(services: &Services, ctx: &AuthContext) -> Result<Vec<TemplateView>, ServiceError> {
    require(services, ctx, "note_template.list", "").await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    seed_defaults(&mut tx, &ctx.scope, now).await?;
    let rows = repo::note_templates::list(&mut tx, &ctx.scope).await?;
    tx.commit().await?;
    rows.into_iter().map(view).collect()
}

pub async fn create(services: &Services, ctx: &AuthContext, form: &TemplateForm) -> Result<TemplateView, ServiceError> {
    require(services, ctx, "note_template.create", "").await?;
    let spec = form.parse()?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    seed_defaults(&mut tx, &ctx.scope, now).await?;
    let id = repo::note_templates::insert(&mut tx, &ctx.scope, &spec.name, &fields_json(&spec)?, now).await?;
    audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), Entry::ok("note_template.create", "note_template", id).detail(&spec.name), now).await?;
    tx.commit().await?;
    Ok(TemplateView { id: id.as_uuid(), name: spec.name, fields: spec.fields, active: true })
}

/// Renames, redefines, retires (`active` false) or restores a template.
/// Notes already written keep their text; drafts see the new fields.
pub async fn update(services: &Services, ctx: &AuthContext, id: &str, form: &TemplateForm, active: bool) -> Result<TemplateView, ServiceError> {
    require(services, ctx, "note_template.update", id).await?;
    let spec = form.parse()?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let found = match ambula_domain::parse_uuid(id) {
        Ok(uuid) if repo::note_templates::update(&mut tx, &ctx.scope, uuid, &spec.name, &fields_json(&spec)?, active, now).await? => uuid,
        _ => return Err(super::not_found(tx, ctx, "note_template.update", "note_template", id, now).await),
    };
    let entry = Entry::ok("note_template.update", "note_template", found).detail(format!("{} ({})", spec.name, if active { "active" } else { "retired" }));
    audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), entry, now).await?;
    tx.commit().await?;
    Ok(TemplateView { id: found, name: spec.name, fields: spec.fields, active })
}

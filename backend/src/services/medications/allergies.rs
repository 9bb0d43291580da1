//! Allergies: record one, change its status, say "no known allergies",
//! and the badge in the chart's header.

use super::{not_found, open_in, open_patient, parse_id, permit, seal, unseal_opt};
use crate::{
    error::ServiceError,
    repo::{self, allergies::{AllergyRow, NewAllergyRow}},
    scope::AuthContext,
    time::DbTime,
    Services,
};
use ambula_domain::{
    medications::{allergy_check::class_by_key, AllergyForm, AllergyKind, AllergyStatus, KnownAllergy, Severity},
    AllergyId, FieldErrors, PatientId, Permission,
};

#[derive(Debug, Clone)]
pub struct AllergyView {
    pub id: AllergyId,
    pub substance: String,
    /// The drug class's label, when coded.
    pub coded: Option<&'static str>,
    pub reaction: Option<String>,
    pub severity: Severity,
    pub kind: AllergyKind,
    pub status: AllergyStatus,
    pub recorded_by: String,
    pub recorded_at: DbTime,
}

fn bad_row(what: &str, value: &str) -> ServiceError {
    ServiceError::Internal(format!("unknown allergy {what} {value:?} in database"))
}

pub(crate) async fn view(services: &Services, tx: &mut crate::db::Tx, ctx: &AuthContext, row: AllergyRow) -> Result<AllergyView, ServiceError> {
    let reaction = unseal_opt(services, tx, ctx, "allergies", "reaction", row.id, row.reaction.as_deref()).await?;
    Ok(AllergyView {
        id: AllergyId::from_uuid(row.id),
        coded: row.coded.as_deref().and_then(class_by_key).map(|c| c.label),
        reaction,
        severity: Severity::parse(&row.severity).map_err(|_| bad_row("severity", &row.severity))?,
        kind: AllergyKind::parse(&row.kind).map_err(|_| bad_row("type", &row.kind))?,
        status: AllergyStatus::parse(&row.status).map_err(|_| bad_row("status", &row.status))?,
        recorded_by: row.recorded_by_name,
        recorded_at: row.recorded_at,
        substance: row.substance,
    })
}

/// The check's view of the active allergies.
pub(crate) fn known(rows: &[AllergyRow]) -> Vec<KnownAllergy<'_>> {
    rows.iter()
        .filter(|a| a.status == AllergyStatus::Active.as_str())
        .map(|a| KnownAllergy {
            substance: &a.substance,
            coded: a.coded.as_deref(),
            severity: Severity::parse(&a.severity).map(Severity::label).unwrap_or("severity unknown"),
        })
        .collect()
}

pub async fn add(services: &Services, ctx: &AuthContext, patient: &str, form: &AllergyForm) -> Result<AllergyId, ServiceError> {
    permit(services, ctx, Permission::EditClinical, "allergy.create", "patient", patient).await?;
    let mut o = open_patient(services, ctx, patient, "allergy.create").await?;
    let new = form.parse()?;
    let id = AllergyId::generate();
    let reaction = match &new.reaction {
        Some(text) => Some(seal(services, &mut o, ctx, "allergies", "reaction", id.as_uuid(), text).await?),
        None => None,
    };
    let row = NewAllergyRow {
        id,
        patient: o.patient_id(),
        substance: &new.substance,
        coded: new.coded,
        reaction: reaction.as_deref(),
        severity: new.severity.as_str(),
        kind: new.kind.as_str(),
        recorded_by: ctx.membership_id,
    };
    repo::allergies::insert(&mut o.tx, &ctx.scope, row, o.now).await?;
    // An allergy ends an earlier "no known allergies".
    let patient_id = o.patient_id();
    let cleared = repo::allergies::clear_no_known(&mut o.tx, &ctx.scope, patient_id).await?;
    let mut detail = format!("{} ({}, {})", new.substance, new.kind.label(), new.severity.label());
    if cleared {
        detail.push_str("; replaces \"no known allergies\"");
    }
    o.audit(ctx, "allergy.create", "allergy", id, Some(detail)).await?;
    o.commit().await?;
    Ok(id)
}

pub async fn set_status(services: &Services, ctx: &AuthContext, allergy: &str, status: &str) -> Result<(), ServiceError> {
    permit(services, ctx, Permission::EditClinical, "allergy.status", "allergy", allergy).await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let row = match parse_id::<ambula_domain::ids::kinds::Allergy>(allergy) {
        Some(id) => repo::allergies::get(&mut tx, &ctx.scope, id).await?,
        None => None,
    };
    let Some(row) = row else {
        return not_found(tx, ctx, "allergy.status", "allergy", allergy, now).await;
    };
    let mut o = open_in(tx, ctx, &row.patient_id.to_string(), "allergy.status", now).await?;
    let next = AllergyStatus::parse(status).map_err(|e| FieldErrors::single("status", e.0))?;
    let id = AllergyId::from_uuid(row.id);
    repo::allergies::set_status(&mut o.tx, &ctx.scope, id, next.as_str(), ctx.membership_id, o.now).await?;
    o.audit(ctx, "allergy.status", "allergy", id, Some(format!("{}: {} → {}", row.substance, row.status, next.as_str()))).await?;
    o.commit().await
}

pub async fn no_known(services: &Services, ctx: &AuthContext, patient: &str) -> Result<(), ServiceError> {
    permit(services, ctx, Permission::EditClinical, "allergy.no_known", "patient", patient).await?;
    let mut o = open_patient(services, ctx, patient, "allergy.no_known").await?;
    let patient_id = o.patient_id();
    let rows = repo::allergies::for_patient(&mut o.tx, &ctx.scope, patient_id).await?;
    if !known(&rows).is_empty() {
        return Err(ServiceError::field(
            "no_known",
            "This patient has active allergies. Mark them inactive or refuted before recording no known allergies.",
        ));
    }
    repo::allergies::set_no_known(&mut o.tx, &ctx.scope, patient_id, ctx.membership_id, o.now).await?;
    o.audit(ctx, "allergy.no_known", "patient", patient_id, None).await?;
    o.commit().await
}

/// What the chart's header shows about allergies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllergyBadge {
    /// Nobody has recorded allergies or their absence.
    NotRecorded,
    NoKnown,
    /// Active allergies: substance and severity label.
    Active(Vec<(String, &'static str)>),
}

/// `None` for roles that do not read clinical records: the header just
/// shows no badge (and nothing is refused or recorded).
pub async fn badge(services: &Services, ctx: &AuthContext, patient: &str) -> Result<Option<AllergyBadge>, ServiceError> {
    if !ctx.can(Permission::ViewClinical) {
        return Ok(None);
    }
    let mut o = open_patient(services, ctx, patient, "allergy.read").await?;
    let patient_id = o.patient_id();
    let badge = badge_in(&mut o.tx, ctx, patient_id).await?;
    o.audit(ctx, "allergy.read", "patient", patient_id, None).await?;
    o.commit().await?;
    Ok(Some(badge))
}

/// The badge's content, read inside the caller's transaction (which
/// audits the read): the chart's opening call shares it.
pub(crate) async fn badge_in(tx: &mut crate::db::Tx, ctx: &AuthContext, patient_id: PatientId) -> Result<AllergyBadge, ServiceError> {
    let rows = repo::allergies::for_patient(tx, &ctx.scope, patient_id).await?;
    let active: Vec<(String, &'static str)> = rows
        .iter()
        .filter(|a| a.status == AllergyStatus::Active.as_str())
        .map(|a| (a.substance.clone(), Severity::parse(&a.severity).map(Severity::label).unwrap_or("")))
        .collect();
    Ok(if !active.is_empty() {
        AllergyBadge::Active(active)
    } else if repo::allergies::no_known(tx, &ctx.scope, patient_id).await?.is_some() {
        AllergyBadge::NoKnown
    } else {
        AllergyBadge::NotRecorded
    })
}

//! Server functions of the patient registry: search with a status filter,
//! registration with the duplicate warning, the full record for the chart's
//! Summary tab, deactivation, merging, and CSV import and export. Each
//! authenticates, calls one service and shapes the answer.

use crate::error::AppError;
use ambula_domain::{
    accounts::NoExtraFields,
    patients::PatientForm,
    registry::{csv::RowProblem, DeactivateForm, MergeForm, RegistrySearchForm},
};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::session::require_auth;
#[cfg(feature = "ssr")]
use ambula_backend::services::{patients, registry};

/// A line of the patient list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegistryRowView {
    pub id: String,
    pub mrn: String,
    /// None for a restricted record the user may not open.
    pub name: Option<String>,
    pub date_of_birth: Option<String>,
    pub restricted: bool,
    pub active: bool,
    /// "Deceased", "Moved away", … for inactive records.
    pub status: String,
}

#[cfg(feature = "ssr")]
fn status_label(active: bool, reason: Option<&str>) -> String {
    if active {
        return String::new();
    }
    reason
        .and_then(ambula_domain::registry::InactiveReason::from_db)
        .map(|r| r.label().to_owned())
        .unwrap_or_else(|| "Inactive".to_owned())
}

#[server(endpoint = "registry_search")]
pub async fn registry_search(
    #[server(flatten)] form: RegistrySearchForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<Vec<RegistryRowView>, AppError> {
    let _ = extra;
    let (services, ctx) = require_auth().await?;
    Ok(patients::search_registry(&services, &ctx, &form)
        .await?
        .into_iter()
        .map(|p| RegistryRowView {
            id: p.id.to_string(),
            mrn: p.mrn,
            name: p.name,
            date_of_birth: p.date_of_birth.map(|d| d.to_string()),
            restricted: p.restricted,
            active: p.active,
            status: status_label(p.active, p.inactive_reason.as_deref()),
        })
        .collect())
}

/// Everything the Summary tab shows and edits. `form` holds the stored
/// values in the edit form's shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatientRecordView {
    pub id: String,
    pub mrn: String,
    pub age: String,
    pub minor: bool,
    pub restricted: bool,
    pub active: bool,
    pub status: String,
    pub inactive_on: Option<String>,
    pub inactive_note: Option<String>,
    /// The record this one was merged into.
    pub merged_into: Option<String>,
    /// Records merged into this one: (id, MRN).
    pub merged_from: Vec<(String, String)>,
    pub break_glass_until: Option<String>,
    pub registered_on: String,
    pub form: PatientFormValues,
}

/// The stored values as strings, field for field like `PatientForm`
/// (which has no `PartialEq`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PatientFormValues {
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: String,
    pub phone: String,
    pub email: String,
    pub preferred_name: String,
    pub sex_at_birth: String,
    pub gender_identity: String,
    pub preferred_language: String,
    pub address_line1: String,
    pub address_line2: String,
    pub city: String,
    pub postcode: String,
    pub country: String,
    pub national_id: String,
    pub insurance_id: String,
    pub emergency_name: String,
    pub emergency_relation: String,
    pub emergency_phone: String,
    pub guardian_name: String,
    pub guardian_relation: String,
    pub guardian_phone: String,
    pub guardian_email: String,
    pub contact_email: bool,
    pub contact_sms: bool,
    pub consent_treatment_on: String,
    pub consent_sharing_on: String,
}

#[cfg(feature = "ssr")]
fn record_view(p: patients::PatientView, tz: &str) -> PatientRecordView {
    let tz_parsed = ambula_domain::TimeZoneName::parse(tz).map(|t| t.tz()).unwrap_or(chrono_tz::UTC);
    let r = p.record;
    let text = |v: Option<String>| v.unwrap_or_default();
    let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    PatientRecordView {
        id: p.id.to_string(),
        mrn: p.mrn,
        age: p.age,
        minor: p.minor,
        restricted: r.restricted,
        active: r.active,
        status: status_label(r.active, r.inactive_reason.as_deref()),
        inactive_on: r.inactive_on.map(|d| d.to_string()),
        inactive_note: r.inactive_note.clone(),
        merged_into: r.merged_into.map(|m| m.to_string()),
        merged_from: p.merged_from.iter().map(|(id, mrn)| (id.to_string(), mrn.clone())).collect(),
        break_glass_until: p
            .break_glass_until
            .map(|t| t.0.with_timezone(&tz_parsed).format("%e %b %Y, %H:%M").to_string().trim().to_owned()),
        registered_on: r.created_at.0.with_timezone(&tz_parsed).date_naive().to_string(),
        form: PatientFormValues {
            given_name: r.given_name,
            family_name: r.family_name,
            date_of_birth: r.date_of_birth.to_string(),
            phone: text(r.phone),
            email: text(r.email),
            preferred_name: text(r.preferred_name),
            sex_at_birth: text(r.sex_at_birth),
            gender_identity: text(r.gender_identity),
            preferred_language: text(r.preferred_language),
            address_line1: text(r.address_line1),
            address_line2: text(r.address_line2),
            city: text(r.city),
            postcode: text(r.postcode),
            country: text(r.country),
            national_id: text(r.national_id),
            insurance_id: text(r.insurance_id),
            emergency_name: text(r.emergency_name),
            emergency_relation: text(r.emergency_relation),
            emergency_phone: text(r.emergency_phone),
            guardian_name: text(r.guardian_name),
            guardian_relation: text(r.guardian_relation),
            guardian_phone: text(r.guardian_phone),
            guardian_email: text(r.guardian_email),
            contact_email: r.contact_email,
            contact_sms: r.contact_sms,
            consent_treatment_on: date(r.consent_treatment_on),
            consent_sharing_on: date(r.consent_sharing_on),
        },
    }
}

#[cfg(feature = "ssr")]
async fn clinic_tz(services: &ambula_backend::Services, ctx: &ambula_backend::AuthContext) -> Result<String, AppError> {
    Ok(ambula_backend::services::accounts::clinic_profile(services, ctx).await?.time_zone)
}

#[server(endpoint = "patient_record")]
pub async fn patient_record(id: String) -> Result<PatientRecordView, AppError> {
    let (services, ctx) = require_auth().await?;
    let patient = patients::get(&services, &ctx, &id).await?;
    Ok(record_view(patient, &clinic_tz(&services, &ctx).await?))
}

/// What the chart page needs before it can show anything: the record
/// (header and Summary tab) and the allergy badge, in one request and one
/// database transaction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChartOpeningView {
    pub record: PatientRecordView,
    /// `None` for roles that do not read clinical records.
    pub allergies: Option<crate::meds_api::AllergyBadgeView>,
}

#[server(endpoint = "chart_open")]
pub async fn chart_open(id: String) -> Result<ChartOpeningView, AppError> {
    let (services, ctx) = require_auth().await?;
    let opened = ambula_backend::services::chart::opening::open(&services, &ctx, &id).await?;
    Ok(ChartOpeningView {
        record: record_view(opened.patient, &opened.time_zone),
        allergies: opened.allergies.map(crate::meds_api::badge_view),
    })
}

/// Saves the Summary tab's edit form.
#[server(endpoint = "patient_save")]
pub async fn patient_save(
    id: String,
    #[server(flatten)] form: PatientForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<PatientRecordView, AppError> {
    let _ = extra;
    let (services, ctx) = require_auth().await?;
    let patient = patients::update(&services, &ctx, &id, &form).await?;
    Ok(record_view(patient, &clinic_tz(&services, &ctx).await?))
}

/// A record that may be the person being registered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DuplicateView {
    pub id: String,
    pub mrn: String,
    pub name: Option<String>,
    pub date_of_birth: Option<String>,
    pub active: bool,
    pub reasons: Vec<String>,
}

/// Either the new record (`created`) or the possible duplicates (nothing
/// saved; send again with `create_anyway`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegisterView {
    pub created: Option<RegistryRowView>,
    pub duplicates: Vec<DuplicateView>,
}

#[server(endpoint = "patient_register")]
pub async fn patient_register(
    #[server(flatten)] form: PatientForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<RegisterView, AppError> {
    let _ = extra;
    let (services, ctx) = require_auth().await?;
    Ok(match registry::register(&services, &ctx, &form).await? {
        registry::Registration::Created(p) => RegisterView {
            created: Some(RegistryRowView {
                id: p.id.to_string(),
                mrn: p.mrn,
                name: Some(format!("{}, {}", p.family_name, p.given_name)),
                date_of_birth: Some(p.date_of_birth.to_string()),
                restricted: p.restricted,
                active: true,
                status: String::new(),
            }),
            duplicates: Vec::new(),
        },
        registry::Registration::PossibleDuplicates(candidates) => RegisterView {
            created: None,
            duplicates: candidates
                .into_iter()
                .map(|c| DuplicateView {
                    id: c.id.to_string(),
                    mrn: c.mrn,
                    name: c.name,
                    date_of_birth: c.date_of_birth.map(|d| d.to_string()),
                    active: c.active,
                    reasons: c.reasons.into_iter().map(str::to_owned).collect(),
                })
                .collect(),
        },
    })
}

#[server(endpoint = "patient_deactivate")]
pub async fn patient_deactivate(
    #[server(flatten)] form: DeactivateForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<PatientRecordView, AppError> {
    let _ = extra;
    let (services, ctx) = require_auth().await?;
    let patient = registry::deactivate(&services, &ctx, &form).await?;
    Ok(record_view(patient, &clinic_tz(&services, &ctx).await?))
}

#[server(endpoint = "patient_reactivate")]
pub async fn patient_reactivate(patient_id: String) -> Result<PatientRecordView, AppError> {
    let (services, ctx) = require_auth().await?;
    let patient = registry::reactivate(&services, &ctx, &patient_id).await?;
    Ok(record_view(patient, &clinic_tz(&services, &ctx).await?))
}

#[server(endpoint = "patient_merge")]
pub async fn patient_merge(
    #[server(flatten)] form: MergeForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<PatientRecordView, AppError> {
    let _ = extra;
    let (services, ctx) = require_auth().await?;
    let patient = registry::merge(&services, &ctx, &form).await?;
    Ok(record_view(patient, &clinic_tz(&services, &ctx).await?))
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportReportView {
    pub rows: usize,
    pub problems: Vec<RowProblem>,
    pub imported: usize,
    pub dry_run: bool,
}

/// Checks (`dry_run` ticked) or imports a CSV file's text.
#[server(endpoint = "patient_import")]
pub async fn patient_import(csv: String, dry_run: Option<String>) -> Result<ImportReportView, AppError> {
    let (services, ctx) = require_auth().await?;
    let dry_run = matches!(dry_run.as_deref(), Some("on" | "true" | "1" | "yes"));
    let report = registry::import(&services, &ctx, &csv, dry_run).await?;
    Ok(ImportReportView { rows: report.rows, problems: report.problems, imported: report.imported, dry_run: report.dry_run })
}

/// Every record the caller may open, as CSV text (the page offers it as a
/// download).
#[server(endpoint = "patient_export")]
pub async fn patient_export() -> Result<String, AppError> {
    let (services, ctx) = require_auth().await?;
    crate::session::no_store();
    Ok(registry::export(&services, &ctx).await?)
}

//! Server functions of the chart's medications tab: allergies, medications
//! and prescriptions, immunizations, referrals, and the allergy badge in
//! the chart's header. Each authenticates, calls one service in
//! `ambula_backend::services::medications` and shapes the answer; forms
//! come flattened with `NoExtraFields`, so a stray field is refused. The
//! PDFs (prescription, referral letter) are plain GET routes in the server
//! (`server/src/chart_pdfs.rs`); `prescription_href` and `letter_href`
//! build their links.

use crate::error::AppError;
use ambula_domain::{
    accounts::NoExtraFields,
    medications::{AllergyForm, ImmunizationForm, MedicationForm, ReferralForm},
};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::session::require_auth;
#[cfg(feature = "ssr")]
use ambula_backend::services::medications::{allergies, immunizations, overview, prescriptions, referrals};

/// The printable prescription of a medication.
pub fn prescription_href(medication_id: &str) -> String {
    format!("/api/medications/{medication_id}/prescription")
}

/// The referral letter of a referral.
pub fn letter_href(referral_id: &str) -> String {
    format!("/api/referrals/{referral_id}/letter")
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllergyItem {
    pub id: String,
    pub substance: String,
    /// The drug class's name, when coded.
    pub coded: Option<String>,
    pub reaction: Option<String>,
    pub severity: String,
    pub kind: String,
    /// "active", "inactive" or "refuted".
    pub status: String,
    pub status_label: String,
    /// "Ana Costa, 24 Nov 2026".
    pub recorded: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MedicationItem {
    pub id: String,
    pub prescribed: bool,
    /// "Amoxicillin 500 mg".
    pub title: String,
    pub dose: String,
    pub route: String,
    pub frequency: String,
    pub duration_days: Option<i32>,
    pub quantity: Option<i32>,
    pub refills: i32,
    pub start_date: String,
    pub instructions: Option<String>,
    /// Why it was prescribed despite an allergy warning.
    pub allergy_ack: Option<String>,
    pub prescriber: Option<String>,
    /// "active", "stopped" or "changed".
    pub status: String,
    /// "Stopped 24 Nov 2026 by Ana Costa".
    pub ended: Option<String>,
    pub end_reason: Option<String>,
    /// The values as typed, to prefill a change.
    pub form: MedicationForm,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImmunizationItem {
    pub id: String,
    pub vaccine: String,
    pub given_on: String,
    pub dose_number: Option<i32>,
    pub lot: Option<String>,
    pub site: String,
    pub given_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralItem {
    pub id: String,
    pub to_name: String,
    pub specialty: Option<String>,
    pub to_address: Option<String>,
    pub to_email: Option<String>,
    pub reason: String,
    pub urgency: String,
    /// "draft", "sent" or "completed".
    pub status: String,
    pub status_label: String,
    pub letter: Option<String>,
    pub created: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MedsChartView {
    pub can_edit: bool,
    pub can_prescribe: bool,
    /// The clinic's today, `YYYY-MM-DD` (default start date).
    pub today: String,
    /// "Ana Costa, 24 Nov 2026" when "no known allergies" was recorded.
    pub no_known_allergies: Option<String>,
    pub allergies: Vec<AllergyItem>,
    pub current: Vec<MedicationItem>,
    pub past: Vec<MedicationItem>,
    pub immunizations: Vec<ImmunizationItem>,
    pub referrals: Vec<ReferralItem>,
}

/// The chart header's allergy badge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AllergyBadgeView {
    NotRecorded,
    NoKnown,
    /// "Penicillin (Severe)", …
    Active(Vec<String>),
}

#[cfg(feature = "ssr")]
fn clinic_zone(tz: &str) -> chrono_tz::Tz {
    ambula_domain::TimeZoneName::parse(tz).map(|t| t.tz()).unwrap_or(chrono_tz::UTC)
}

#[cfg(feature = "ssr")]
fn day(time: ambula_backend::time::DbTime, tz: chrono_tz::Tz) -> String {
    time.0.with_timezone(&tz).format("%-d %b %Y").to_string()
}

#[cfg(feature = "ssr")]
fn medication_item(m: prescriptions::MedicationView, tz: chrono_tz::Tz) -> MedicationItem {
    let ended = m.ended_at.map(|t| {
        let verb = if m.status == "changed" { "Changed" } else { "Stopped" };
        match &m.ended_by {
            Some(who) => format!("{verb} {} by {who}", day(t, tz)),
            None => format!("{verb} {}", day(t, tz)),
        }
    });
    MedicationItem {
        id: m.id.to_string(),
        prescribed: m.prescribed,
        title: m.title(),
        dose: m.dose,
        route: m.route,
        frequency: m.frequency,
        duration_days: m.duration_days,
        quantity: m.quantity,
        refills: m.refills,
        start_date: m.start_date.to_string(),
        instructions: m.instructions,
        allergy_ack: m.allergy_ack,
        prescriber: m.prescriber,
        status: m.status,
        ended,
        end_reason: m.end_reason,
        form: m.form,
    }
}

#[server(endpoint = "meds_chart")]
pub async fn meds_chart(patient_id: String) -> Result<MedsChartView, AppError> {
    let (services, ctx) = require_auth().await?;
    let view = overview::get(&services, &ctx, &patient_id).await?;
    let tz = clinic_zone(&ambula_backend::services::accounts::clinic_profile(&services, &ctx).await?.time_zone);
    Ok(MedsChartView {
        can_edit: view.can_edit,
        can_prescribe: view.can_prescribe,
        today: services.now().0.with_timezone(&tz).date_naive().to_string(),
        no_known_allergies: view.no_known_allergies.map(|(who, at)| format!("{who}, {}", day(at, tz))),
        allergies: view
            .allergies
            .into_iter()
            .map(|a| AllergyItem {
                id: a.id.to_string(),
                substance: a.substance,
                coded: a.coded.map(str::to_owned),
                reaction: a.reaction,
                severity: a.severity.label().to_owned(),
                kind: a.kind.label().to_owned(),
                status: a.status.as_str().to_owned(),
                status_label: a.status.label().to_owned(),
                recorded: format!("{}, {}", a.recorded_by, day(a.recorded_at, tz)),
            })
            .collect(),
        current: view.current.into_iter().map(|m| medication_item(m, tz)).collect(),
        past: view.past.into_iter().map(|m| medication_item(m, tz)).collect(),
        immunizations: view
            .immunizations
            .into_iter()
            .map(|i| ImmunizationItem {
                id: i.id.to_string(),
                vaccine: i.vaccine,
                given_on: i.given_on.to_string(),
                dose_number: i.dose_number,
                lot: i.lot,
                site: i.site,
                given_by: i.given_by,
            })
            .collect(),
        referrals: view
            .referrals
            .into_iter()
            .map(|r| ReferralItem {
                id: r.id.to_string(),
                to_name: r.to_name,
                specialty: r.specialty,
                to_address: r.to_address,
                to_email: r.to_email,
                reason: r.reason,
                urgency: r.urgency.label().to_owned(),
                status: r.status.as_str().to_owned(),
                status_label: r.status.label().to_owned(),
                letter: r.letter,
                created: format!("{}, {}", r.created_by, day(r.created_at, tz)),
            })
            .collect(),
    })
}

/// `None` for roles that do not read clinical records (no badge shown).
#[server(endpoint = "allergy_badge")]
pub async fn allergy_badge(patient_id: String) -> Result<Option<AllergyBadgeView>, AppError> {
    let (services, ctx) = require_auth().await?;
    Ok(allergies::badge(&services, &ctx, &patient_id).await?.map(badge_view))
}

#[cfg(feature = "ssr")]
pub(crate) fn badge_view(badge: allergies::AllergyBadge) -> AllergyBadgeView {
    match badge {
        allergies::AllergyBadge::NotRecorded => AllergyBadgeView::NotRecorded,
        allergies::AllergyBadge::NoKnown => AllergyBadgeView::NoKnown,
        allergies::AllergyBadge::Active(list) => {
            AllergyBadgeView::Active(list.into_iter().map(|(substance, severity)| format!("{substance} ({severity})")).collect())
        }
    }
}

#[server(endpoint = "allergy_add")]
pub async fn allergy_add(
    patient_id: String,
    #[server(flatten)] form: AllergyForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<String, AppError> {
    let _ = extra;
    let (services, ctx) = require_auth().await?;
    allergies::add(&services, &ctx, &patient_id, &form).await?;
    Ok(form.substance.trim().to_owned())
}

/// `status`: "active", "inactive" or "refuted".
#[server(endpoint = "allergy_set_status")]
pub async fn allergy_set_status(allergy_id: String, status: String) -> Result<(), AppError> {
    let (services, ctx) = require_auth().await?;
    Ok(allergies::set_status(&services, &ctx, &allergy_id, &status).await?)
}

#[server(endpoint = "allergy_none_known")]
pub async fn allergy_none_known(patient_id: String) -> Result<(), AppError> {
    let (services, ctx) = require_auth().await?;
    Ok(allergies::no_known(&services, &ctx, &patient_id).await?)
}

/// Returns the drug's name, for the status line.
#[server(endpoint = "medication_prescribe")]
pub async fn medication_prescribe(
    patient_id: String,
    #[server(flatten)] form: MedicationForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<String, AppError> {
    let _ = extra;
    let (services, ctx) = require_auth().await?;
    prescriptions::prescribe(&services, &ctx, &patient_id, &form).await?;
    Ok(form.drug.trim().to_owned())
}

#[server(endpoint = "medication_record")]
pub async fn medication_record(
    patient_id: String,
    #[server(flatten)] form: MedicationForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<String, AppError> {
    let _ = extra;
    let (services, ctx) = require_auth().await?;
    prescriptions::record(&services, &ctx, &patient_id, &form).await?;
    Ok(form.drug.trim().to_owned())
}

#[server(endpoint = "medication_stop")]
pub async fn medication_stop(medication_id: String, reason: String) -> Result<(), AppError> {
    let (services, ctx) = require_auth().await?;
    let form = ambula_domain::medications::StopForm { reason };
    Ok(prescriptions::stop(&services, &ctx, &medication_id, &form).await?)
}

#[server(endpoint = "medication_change")]
pub async fn medication_change(
    medication_id: String,
    change_reason: String,
    #[server(flatten)] form: MedicationForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<String, AppError> {
    let _ = extra;
    let (services, ctx) = require_auth().await?;
    prescriptions::change(&services, &ctx, &medication_id, &change_reason, &form).await?;
    Ok(form.drug.trim().to_owned())
}

#[server(endpoint = "immunization_add")]
pub async fn immunization_add(
    patient_id: String,
    #[server(flatten)] form: ImmunizationForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<String, AppError> {
    let _ = extra;
    let (services, ctx) = require_auth().await?;
    immunizations::add(&services, &ctx, &patient_id, &form).await?;
    Ok(form.vaccine.trim().to_owned())
}

#[server(endpoint = "referral_create")]
pub async fn referral_create(
    patient_id: String,
    #[server(flatten)] form: ReferralForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<String, AppError> {
    let _ = extra;
    let (services, ctx) = require_auth().await?;
    referrals::create(&services, &ctx, &patient_id, &form).await?;
    Ok(form.to_name.trim().to_owned())
}

/// `status`: "sent" or "completed".
#[server(endpoint = "referral_set_status")]
pub async fn referral_set_status(referral_id: String, status: String) -> Result<(), AppError> {
    let (services, ctx) = require_auth().await?;
    Ok(referrals::set_status(&services, &ctx, &referral_id, &status).await?)
}

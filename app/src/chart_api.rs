//! Server functions of the clinical chart's notes, problems and timeline
//! tabs and the printable summary. Each authenticates, calls one service
//! in `ambula_backend::services::chart` (which checks `ViewClinical` /
//! `EditClinical`, opens the patient and audits) and shapes the answer.
//! Form-backed ones take the domain form flattened plus `NoExtraFields`.

use crate::error::AppError;
use ambula_domain::{
    accounts::NoExtraFields,
    chart::{
        encounters::{AmendmentForm, EncounterForm, NoteForm},
        history::{HistoryForm, SocialHistoryForm},
        problems::ProblemForm,
        templates::{TemplateField, TemplateForm},
        timeline::TimelineForm,
    },
};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::session::require_auth;
#[cfg(feature = "ssr")]
use ambula_backend::services::chart::{notes, problems, summary, templates, timeline};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AmendmentItem {
    pub id: String,
    pub author: String,
    pub at: String,
    pub reason: String,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoteItem {
    pub id: String,
    /// "draft" or "signed".
    pub status: String,
    pub author: String,
    /// Written by the signed-in member: they may edit and sign the draft.
    pub mine: bool,
    pub subjective: String,
    pub objective: String,
    pub assessment: String,
    pub plan: String,
    /// The template's fields, for a draft written from one.
    pub fields: Vec<TemplateField>,
    pub signed_by: Option<String>,
    pub signed_at: Option<String>,
    pub updated_at: String,
    pub amendments: Vec<AmendmentItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncounterItem {
    pub id: String,
    /// Clinic time.
    pub when: String,
    pub kind: String,
    pub status: String,
    pub practitioner: Option<String>,
    pub note: Option<NoteItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateItem {
    pub id: String,
    pub name: String,
    /// The fields as typed, one per line.
    pub lines: String,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProblemItem {
    pub id: String,
    pub code: Option<String>,
    pub description: String,
    pub onset_date: Option<String>,
    /// "active", "resolved" or "inactive".
    pub status: String,
    pub notes: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryItem {
    pub id: String,
    /// "medical", "surgical" or "family".
    pub kind: String,
    pub relation: Option<String>,
    pub year: Option<i32>,
    pub details: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SocialItem {
    pub smoking: String,
    pub alcohol: String,
    pub occupation: String,
    pub notes: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProblemsTab {
    pub problems: Vec<ProblemItem>,
    pub history: Vec<HistoryItem>,
    pub social: Option<SocialItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeItem {
    pub code: String,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub kind: String,
    pub id: String,
    pub when: String,
    pub title: String,
    pub detail: Option<String>,
    /// Kept on a record merged into this one: its (id, MRN).
    pub merged_record: Option<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelinePageView {
    pub items: Vec<TimelineEntry>,
    pub next: Option<String>,
    /// (value, label) of each kind, for the filter.
    pub kinds: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrintedNoteItem {
    pub when: String,
    pub kind: String,
    pub practitioner: Option<String>,
    pub signed_by: Option<String>,
    pub signed_at: Option<String>,
    /// (section label, text), empty sections left out.
    pub sections: Vec<(String, String)>,
    pub amendments: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrintView {
    pub clinic_name: String,
    pub mrn: String,
    pub name: String,
    pub date_of_birth: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub problems: Vec<ProblemItem>,
    /// (heading, lines).
    pub history: Vec<(String, Vec<String>)>,
    pub social: Option<SocialItem>,
    pub allergies: Vec<String>,
    pub no_known_allergies: bool,
    pub medications: Vec<String>,
    pub notes: Vec<PrintedNoteItem>,
    pub printed_at: String,
}

#[cfg(feature = "ssr")]
fn note_item(n: notes::NoteView) -> NoteItem {
    NoteItem {
        id: n.id.to_string(),
        status: n.status.as_str().to_owned(),
        author: n.author_name,
        mine: n.mine,
        subjective: n.content.subjective,
        objective: n.content.objective,
        assessment: n.content.assessment,
        plan: n.content.plan,
        fields: n.template_fields,
        signed_by: n.signed_by,
        signed_at: n.signed_at,
        updated_at: n.updated_at,
        amendments: n.amendments.into_iter().map(amendment_item).collect(),
    }
}

#[cfg(feature = "ssr")]
fn amendment_item(a: notes::AmendmentView) -> AmendmentItem {
    AmendmentItem { id: a.id.to_string(), author: a.author_name, at: a.at, reason: a.reason, body: a.body }
}

#[cfg(feature = "ssr")]
fn encounter_item(e: notes::EncounterView) -> EncounterItem {
    EncounterItem {
        id: e.id.to_string(),
        when: e.when,
        kind: e.kind.label().to_owned(),
        status: e.status,
        practitioner: e.practitioner,
        note: e.note.map(note_item),
    }
}

#[cfg(feature = "ssr")]
fn template_item(t: templates::TemplateView) -> TemplateItem {
    TemplateItem { lines: t.lines(), id: t.id.to_string(), name: t.name, active: t.active }
}

#[cfg(feature = "ssr")]
fn problem_item(p: problems::ProblemView) -> ProblemItem {
    ProblemItem {
        id: p.id.to_string(),
        code: p.code,
        description: p.description,
        onset_date: p.onset_date.map(|d| d.to_string()),
        status: p.status.as_str().to_owned(),
        notes: p.notes,
    }
}

#[cfg(feature = "ssr")]
fn social_item(s: problems::SocialView) -> SocialItem {
    SocialItem { smoking: s.smoking, alcohol: s.alcohol, occupation: s.occupation.unwrap_or_default(), notes: s.notes.unwrap_or_default() }
}

// ---- Encounters and notes ----

#[server(endpoint = "chart_encounters")]
pub async fn chart_encounters(patient_id: String) -> Result<Vec<EncounterItem>, AppError> {
    let (services, ctx) = require_auth().await?;
    Ok(notes::list(&services, &ctx, &patient_id).await?.into_iter().map(encounter_item).collect())
}

#[server(endpoint = "chart_encounter_create")]
pub async fn chart_encounter_create(
    #[server(flatten)] form: EncounterForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<EncounterItem, AppError> {
    let _ = extra;
    let (services, ctx) = require_auth().await?;
    Ok(encounter_item(notes::create_encounter(&services, &ctx, &form).await?))
}

#[server(endpoint = "chart_note_save")]
pub async fn chart_note_save(
    note_id: String,
    #[server(flatten)] form: NoteForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<String, AppError> {
    let _ = extra;
    let (services, ctx) = require_auth().await?;
    Ok(notes::save_draft(&services, &ctx, &note_id, &form).await?.id.to_string())
}

#[server(endpoint = "chart_note_sign")]
pub async fn chart_note_sign(note_id: String) -> Result<String, AppError> {
    let (services, ctx) = require_auth().await?;
    Ok(notes::sign(&services, &ctx, &note_id).await?.id.to_string())
}

#[server(endpoint = "chart_note_amend")]
pub async fn chart_note_amend(
    #[server(flatten)] form: AmendmentForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<AmendmentItem, AppError> {
    let _ = extra;
    let (services, ctx) = require_auth().await?;
    Ok(amendment_item(notes::amend(&services, &ctx, &form).await?))
}

// ---- Templates ----

#[server(endpoint = "chart_templates")]
pub async fn chart_templates() -> Result<Vec<TemplateItem>, AppError> {
    let (services, ctx) = require_auth().await?;
    Ok(templates::list(&services, &ctx).await?.into_iter().map(template_item).collect())
}

#[server(endpoint = "chart_template_create")]
pub async fn chart_template_create(
    #[server(flatten)] form: TemplateForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<TemplateItem, AppError> {
    let _ = extra;
    let (services, ctx) = require_auth().await?;
    Ok(template_item(templates::create(&services, &ctx, &form).await?))
}

/// `active`: a checkbox; unticked retires the template.
#[server(endpoint = "chart_template_update")]
pub async fn chart_template_update(
    template_id: String,
    active: Option<String>,
    #[server(flatten)] form: TemplateForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<TemplateItem, AppError> {
    let _ = extra;
    let (services, ctx) = require_auth().await?;
    let active = matches!(active.as_deref(), Some("on" | "true"));
    Ok(template_item(templates::update(&services, &ctx, &template_id, &form, active).await?))
}

// ---- Problems and history ----

#[server(endpoint = "chart_problems")]
pub async fn chart_problems(patient_id: String) -> Result<ProblemsTab, AppError> {
    let (services, ctx) = require_auth().await?;
    let chart = problems::chart(&services, &ctx, &patient_id).await?;
    Ok(ProblemsTab {
        problems: chart.problems.into_iter().map(problem_item).collect(),
        history: chart
            .history
            .into_iter()
            .map(|h| HistoryItem { id: h.id.to_string(), kind: h.kind.as_str().to_owned(), relation: h.relation, year: h.year, details: h.details })
            .collect(),
        social: chart.social.map(social_item),
    })
}

#[server(endpoint = "chart_problem_add")]
pub async fn chart_problem_add(
    patient_id: String,
    #[server(flatten)] form: ProblemForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<ProblemItem, AppError> {
    let _ = extra;
    let (services, ctx) = require_auth().await?;
    Ok(problem_item(problems::add(&services, &ctx, &patient_id, &form).await?))
}

#[server(endpoint = "chart_problem_update")]
pub async fn chart_problem_update(
    problem_id: String,
    #[server(flatten)] form: ProblemForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<ProblemItem, AppError> {
    let _ = extra;
    let (services, ctx) = require_auth().await?;
    Ok(problem_item(problems::update(&services, &ctx, &problem_id, &form).await?))
}

#[server(endpoint = "chart_history_add")]
pub async fn chart_history_add(
    patient_id: String,
    #[server(flatten)] form: HistoryForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<String, AppError> {
    let _ = extra;
    let (services, ctx) = require_auth().await?;
    Ok(problems::add_history(&services, &ctx, &patient_id, &form).await?.id.to_string())
}

#[server(endpoint = "chart_social_save")]
pub async fn chart_social_save(
    patient_id: String,
    #[server(flatten)] form: SocialHistoryForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<SocialItem, AppError> {
    let _ = extra;
    let (services, ctx) = require_auth().await?;
    Ok(social_item(problems::save_social(&services, &ctx, &patient_id, &form).await?))
}

/// The ICD-10-CM picker's search (at most 20 codes).
#[server(endpoint = "chart_icd_search")]
pub async fn chart_icd_search(q: String) -> Result<Vec<CodeItem>, AppError> {
    let (services, ctx) = require_auth().await?;
    let form = ambula_domain::chart::problems::IcdSearchForm { q };
    let codes = problems::search_codes(&services, &ctx, &form).await?;
    Ok(codes.into_iter().map(|c| CodeItem { code: c.code.to_owned(), title: c.title.to_owned() }).collect())
}

// ---- Timeline and print ----

#[server(endpoint = "chart_timeline")]
pub async fn chart_timeline(
    #[server(flatten)] form: TimelineForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<TimelinePageView, AppError> {
    let _ = extra;
    let (services, ctx) = require_auth().await?;
    let page = timeline::page(&services, &ctx, &form).await?;
    Ok(TimelinePageView {
        items: page
            .items
            .into_iter()
            .map(|i| TimelineEntry {
                kind: i.kind.to_owned(),
                id: i.id.to_string(),
                when: i.when,
                title: i.title,
                detail: i.detail,
                merged_record: i.merged_record.map(|(id, mrn)| (id.to_string(), mrn)),
            })
            .collect(),
        next: page.next,
        kinds: timeline::kinds().into_iter().map(|(k, l)| (k.to_owned(), l.to_owned())).collect(),
    })
}

#[server(endpoint = "chart_print")]
pub async fn chart_print(patient_id: String) -> Result<PrintView, AppError> {
    use ambula_domain::chart::encounters::Section;
    let (services, ctx) = require_auth().await?;
    let s = summary::print(&services, &ctx, &patient_id).await?;
    Ok(PrintView {
        clinic_name: s.clinic_name,
        mrn: s.mrn,
        name: format!("{}, {}", s.family_name, s.given_name),
        date_of_birth: s.date_of_birth.to_string(),
        phone: s.phone,
        email: s.email,
        problems: s.problems.into_iter().map(problem_item).collect(),
        history: s.history.into_iter().map(|(k, lines)| (k.label().to_owned(), lines)).collect(),
        social: s.social.map(social_item),
        allergies: s.allergies,
        no_known_allergies: s.no_known_allergies,
        medications: s.medications,
        notes: s
            .notes
            .into_iter()
            .map(|n| PrintedNoteItem {
                when: n.when,
                kind: n.kind.label().to_owned(),
                practitioner: n.practitioner,
                signed_by: n.signed_by,
                signed_at: n.signed_at,
                sections: Section::ALL
                    .into_iter()
                    .filter(|sec| !n.content.section(*sec).is_empty())
                    .map(|sec| (sec.label().to_owned(), n.content.section(sec).to_owned()))
                    .collect(),
                amendments: n.amendments,
            })
            .collect(),
        printed_at: s.printed_at,
    })
}

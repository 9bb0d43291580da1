//! The problem list (ICD-10-CM coded, searched in the shipped list) and
//! the history sections: medical, surgical, family and social.

use super::{clinic_tz, not_found, open, open_patient, require, seal, today_in};
use crate::{
    audit::{self, Actor, Entry},
    db::Tx,
    error::ServiceError,
    icd10,
    repo::{
        self,
        history::{NewEntry, SocialData},
        problems::{ProblemData, ProblemRow},
    },
    scope::AuthContext,
    Services,
};
use ambula_domain::{
    chart::{
        history::{HistoryForm, HistoryKind, SocialHistoryForm},
        problems::{IcdSearchForm, ProblemForm, ProblemSpec, ProblemStatus},
    },
    HistoryEntryId, PatientId, Permission, ProblemId,
};
use chrono::NaiveDate;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct ProblemView {
    pub id: ProblemId,
    pub code: Option<String>,
    pub description: String,
    pub onset_date: Option<NaiveDate>,
    pub status: ProblemStatus,
    pub notes: Option<String>,
}

#[derive(Debug, Clone)]
pub struct HistoryView {
    pub id: Uuid,
    pub kind: HistoryKind,
    pub relation: Option<String>,
    pub year: Option<i32>,
    pub details: String,
}

#[derive(Debug, Clone, Default)]
pub struct SocialView {
    pub smoking: String,
    pub alcohol: String,
    pub occupation: Option<String>,
    pub notes: Option<String>,
}

/// The problems tab: problems, history entries and social history.
#[derive(Debug, Clone)]
pub struct ProblemChart {
    pub problems: Vec<ProblemView>,
    pub history: Vec<HistoryView>,
    pub social: Option<SocialView>,
}

const PROBLEMS: &str = "problems";
const HISTORY: &str = "history_entries";
const SOCIAL: &str = "social_history";

pub(crate) async fn problem_view(services: &Services, tx: &mut Tx, ctx: &AuthContext, row: ProblemRow) -> Result<ProblemView, ServiceError> {
    let notes = match &row.notes {
        Some(sealed) => Some(open(services, tx, ctx, PROBLEMS, "notes", &row.id.to_string(), sealed).await?),
        None => None,
    };
    let status = ProblemStatus::parse(&row.status).map_err(|_| ServiceError::Internal(format!("problem status {:?}", row.status)))?;
    Ok(ProblemView { id: ProblemId::from_uuid(row.id), code: row.code, description: row.description, onset_date: row.onset_date, status, notes })
}

pub(crate) async fn social_view(services: &Services, tx: &mut Tx, ctx: &AuthContext, patient: PatientId) -> Result<Option<SocialView>, ServiceError> {
    let Some(row) = repo::history::social(tx, &ctx.scope, patient).await? else {
        return Ok(None);
    };
    let id = row.id.to_string();
    let occupation = match &row.occupation {
        Some(s) => Some(open(services, tx, ctx, SOCIAL, "occupation", &id, s).await?),
        None => None,
    };
    let notes = match &row.notes {
        Some(s) => Some(open(services, tx, ctx, SOCIAL, "notes", &id, s).await?),
        None => None,
    };
    Ok(Some(SocialView { smoking: row.smoking, alcohol: row.alcohol, occupation, notes }))
}

pub async fn chart(services: &Services, ctx: &AuthContext, patient: &str) -> Result<ProblemChart, ServiceError> {
    require(services, ctx, Permission::ViewClinical, "problem.list", "patient", patient).await?;
    let now = services.now();
    let tx = services.db.write_in(&ctx.scope).await?;
    let (mut tx, row, break_glass) = open_patient(tx, ctx, patient, "problem.list", now).await?;
    let patient_id = PatientId::from_uuid(row.id);
    let mut problems = Vec::new();
    for p in repo::problems::list_for_patient(&mut tx, &ctx.scope, patient_id).await? {
        problems.push(problem_view(services, &mut tx, ctx, p).await?);
    }
    let mut history = Vec::new();
    for h in repo::history::list_for_patient(&mut tx, &ctx.scope, patient_id).await? {
        let kind = HistoryKind::parse(&h.kind).map_err(|_| ServiceError::Internal(format!("history kind {:?}", h.kind)))?;
        let details = open(services, &mut tx, ctx, HISTORY, "details", &h.id.to_string(), &h.details).await?;
        history.push(HistoryView { id: h.id, kind, relation: h.relation, year: h.year, details });
    }
    let social = social_view(services, &mut tx, ctx, patient_id).await?;
    let detail = format!("{} problems, {} history entries", problems.len(), history.len());
    let entry = Entry::ok("problem.list", "patient", row.id).patient(row.id).break_glass(break_glass).detail(detail);
    audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), entry, now).await?;
    tx.commit().await?;
    Ok(ProblemChart { problems, history, social })
}

/// The code's title when the form names a code; a code not in the list is
/// a field error.
fn resolve(spec: &ProblemSpec) -> Result<String, ServiceError> {
    match (&spec.code, &spec.description) {
        (Some(code), description) => match icd10::lookup(code) {
            Some(found) => Ok(description.clone().unwrap_or_else(|| found.title.to_owned())),
            None => Err(ServiceError::field("code", "This code is not in the ICD-10-CM list. Search and pick one.")),
        },
        (None, Some(description)) => Ok(description.clone()),
        (None, None) => Err(ServiceError::field("description", "Search for a diagnosis code, or describe the problem.")),
    }
}

pub async fn add(services: &Services, ctx: &AuthContext, patient: &str, form: &ProblemForm) -> Result<ProblemView, ServiceError> {
    require(services, ctx, Permission::EditClinical, "problem.create", "patient", patient).await?;
    let now = services.now();
    let tx = services.db.write_in(&ctx.scope).await?;
    let (mut tx, row, break_glass) = open_patient(tx, ctx, patient, "problem.create", now).await?;
    let tz = clinic_tz(&mut tx, ctx).await?;
    let spec = form.parse(today_in(tz, now))?;
    let description = resolve(&spec)?;
    let id = ProblemId::generate();
    let notes = match &spec.notes {
        Some(text) => Some(seal(services, &mut tx, ctx, PROBLEMS, "notes", &id.to_string(), text, now).await?),
        None => None,
    };
    let data = ProblemData { code: spec.code.as_deref(), description: &description, onset_date: spec.onset_date, status: spec.status.as_str(), notes };
    repo::problems::insert(&mut tx, &ctx.scope, id, PatientId::from_uuid(row.id), data, ctx.membership_id, now).await?;
    let detail = format!("{} {}", spec.code.as_deref().unwrap_or("(no code)"), spec.status.as_str());
    let entry = Entry::ok("problem.create", "problem", id).patient(row.id).break_glass(break_glass).detail(detail);
    audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), entry, now).await?;
    let saved = repo::problems::get(&mut tx, &ctx.scope, id).await?.ok_or(ServiceError::NotFound)?;
    let view = problem_view(services, &mut tx, ctx, saved).await?;
    tx.commit().await?;
    Ok(view)
}

pub async fn update(services: &Services, ctx: &AuthContext, problem: &str, form: &ProblemForm) -> Result<ProblemView, ServiceError> {
    require(services, ctx, Permission::EditClinical, "problem.update", "problem", problem).await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let existing = match problem.trim().parse::<ProblemId>() {
        Ok(id) => repo::problems::get(&mut tx, &ctx.scope, id).await?,
        Err(_) => None,
    };
    let Some(existing) = existing else {
        return Err(not_found(tx, ctx, "problem.update", "problem", problem, now).await);
    };
    let (mut tx, row, break_glass) = open_patient(tx, ctx, &existing.patient_id.to_string(), "problem.update", now).await?;
    let tz = clinic_tz(&mut tx, ctx).await?;
    let spec = form.parse(today_in(tz, now))?;
    let description = resolve(&spec)?;
    let id = ProblemId::from_uuid(existing.id);
    let notes = match &spec.notes {
        Some(text) => Some(seal(services, &mut tx, ctx, PROBLEMS, "notes", &id.to_string(), text, now).await?),
        None => None,
    };
    let data = ProblemData { code: spec.code.as_deref(), description: &description, onset_date: spec.onset_date, status: spec.status.as_str(), notes };
    repo::problems::update(&mut tx, &ctx.scope, id, data, now).await?;
    let entry = Entry::ok("problem.update", "problem", id).patient(row.id).break_glass(break_glass).detail(spec.status.as_str());
    audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), entry, now).await?;
    let saved = repo::problems::get(&mut tx, &ctx.scope, id).await?.ok_or(ServiceError::NotFound)?;
    let view = problem_view(services, &mut tx, ctx, saved).await?;
    tx.commit().await?;
    Ok(view)
}

pub async fn add_history(services: &Services, ctx: &AuthContext, patient: &str, form: &HistoryForm) -> Result<HistoryView, ServiceError> {
    require(services, ctx, Permission::EditClinical, "history.create", "patient", patient).await?;
    let now = services.now();
    let tx = services.db.write_in(&ctx.scope).await?;
    let (mut tx, row, break_glass) = open_patient(tx, ctx, patient, "history.create", now).await?;
    let tz = clinic_tz(&mut tx, ctx).await?;
    let spec = form.parse(today_in(tz, now))?;
    let id = HistoryEntryId::generate();
    let details = seal(services, &mut tx, ctx, HISTORY, "details", &id.to_string(), &spec.details, now).await?;
    let new = NewEntry {
        id,
        patient_id: PatientId::from_uuid(row.id),
        kind: spec.kind.as_str(),
        relation: spec.relation.as_deref(),
        year: spec.year,
        details,
        recorded_by: ctx.membership_id,
    };
    repo::history::insert(&mut tx, &ctx.scope, new, now).await?;
    let entry = Entry::ok("history.create", "history_entry", id).patient(row.id).break_glass(break_glass).detail(spec.kind.as_str());
    audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), entry, now).await?;
    tx.commit().await?;
    Ok(HistoryView { id: id.as_uuid(), kind: spec.kind, relation: spec.relation, year: spec.year, details: spec.details })
}

pub async fn save_social(services: &Services, ctx: &AuthContext, patient: &str, form: &SocialHistoryForm) -> Result<SocialView, ServiceError> {
    require(services, ctx, Permission::EditClinical, "history.social", "patient", patient).await?;
    let social = form.parse()?;
    let now = services.now();
    let tx = services.db.write_in(&ctx.scope).await?;
    let (mut tx, row, break_glass) = open_patient(tx, ctx, patient, "history.social", now).await?;
    let patient_id = PatientId::from_uuid(row.id);
    // Ciphertexts are bound to the row: keep its id when it exists.
    let id = match repo::history::social(&mut tx, &ctx.scope, patient_id).await? {
        Some(existing) => existing.id,
        None => Uuid::now_v7(),
    };
    let row_id = id.to_string();
    let occupation = match &social.occupation {
        Some(text) => Some(seal(services, &mut tx, ctx, SOCIAL, "occupation", &row_id, text, now).await?),
        None => None,
    };
    let notes = match &social.notes {
        Some(text) => Some(seal(services, &mut tx, ctx, SOCIAL, "notes", &row_id, text, now).await?),
        None => None,
    };
    let data = SocialData { id, smoking: &social.smoking, alcohol: &social.alcohol, occupation, notes };
    repo::history::save_social(&mut tx, &ctx.scope, patient_id, data, ctx.membership_id, now).await?;
    let entry = Entry::ok("history.social", "patient", row.id).patient(row.id).break_glass(break_glass);
    audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), entry, now).await?;
    tx.commit().await?;
    Ok(SocialView { smoking: social.smoking, alcohol: social.alcohol, occupation: social.occupation, notes: social.notes })
}

/// Searches the shipped ICD-10-CM list (no patient data: not audited
/// unless refused).
pub async fn search_codes(services: &Services, ctx: &AuthContext, form: &IcdSearchForm) -> Result<Vec<icd10::Code>, ServiceError> {
    require(services, ctx, Permission::ViewClinical, "icd10.search", "icd10", "").await?;
    let query = form.parse()?;
    // The first search decompresses the list: off the async workers.
    tokio::task::spawn_blocking(move || icd10::search(&query, 20))
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))
}


//! The printable chart summary: who the patient is, their problems and
//! history, and their most recent signed notes (with amendments noted).
//! Allergies and current medications join it when their modules exist
//! (one more section each, see `PrintSummary`).

use super::{
    clinic_tz, local_text, notes::open_sections, open, open_patient,
    problems::{problem_view, social_view, ProblemView, SocialView},
    require,
};
use crate::{
    audit::{self, Actor, Entry},
    error::ServiceError,
    repo,
    scope::AuthContext,
    Services,
};
use ambula_domain::{
    chart::{encounters::{EncounterKind, NoteContent}, history::HistoryKind},
    PatientId, Permission,
};
use chrono::NaiveDate;

#[derive(Debug, Clone)]
pub struct PrintedNote {
    pub when: String,
    pub kind: EncounterKind,
    pub practitioner: Option<String>,
    pub signed_by: Option<String>,
    pub signed_at: Option<String>,
    pub content: NoteContent,
    /// "reason: text" of each amendment, oldest first.
    pub amendments: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct PrintSummary {
    pub clinic_name: String,
    pub mrn: String,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: NaiveDate,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub problems: Vec<ProblemView>,
    /// (section, lines) for medical, surgical and family history.
    pub history: Vec<(HistoryKind, Vec<String>)>,
    pub social: Option<SocialView>,
    pub notes: Vec<PrintedNote>,
    /// Clinic time of printing.
    pub printed_at: String,
}

/// How many of the latest signed notes the summary includes.
pub const RECENT_NOTES: usize = 3;

pub async fn print(services: &Services, ctx: &AuthContext, patient: &str) -> Result<PrintSummary, ServiceError> {
    require(services, ctx, Permission::ViewClinical, "chart.print", "patient", patient).await?;
    let now = services.now();
    let tx = services.db.write_in(&ctx.scope).await?;
    let (mut tx, row, break_glass) = open_patient(tx, ctx, patient, "chart.print", now).await?;
    let patient_id = PatientId::from_uuid(row.id);
    let tz = clinic_tz(&mut tx, ctx).await?;
    let mut problems = Vec::new();
    for p in repo::problems::list_for_patient(&mut tx, &ctx.scope, patient_id).await? {
        problems.push(problem_view(services, &mut tx, ctx, p).await?);
    }
    let mut history: Vec<(HistoryKind, Vec<String>)> = HistoryKind::ALL.iter().map(|k| (*k, Vec::new())).collect();
    for h in repo::history::list_for_patient(&mut tx, &ctx.scope, patient_id).await? {
        let details = open(services, &mut tx, ctx, "history_entries", "details", &h.id.to_string(), &h.details).await?;
        let line = match (&h.relation, h.year) {
            (Some(r), Some(y)) => format!("{r}: {details} ({y})"),
            (Some(r), None) => format!("{r}: {details}"),
            (None, Some(y)) => format!("{details} ({y})"),
            (None, None) => details,
        };
        if let Some((_, lines)) = history.iter_mut().find(|(k, _)| k.as_str() == h.kind) {
            lines.push(line);
        }
    }
    let social = social_view(services, &mut tx, ctx, patient_id).await?;
    let encounters = repo::encounters::list_for_patient(&mut tx, &ctx.scope, patient_id, 200).await?;
    let all_notes = repo::clinical_notes::list_for_patient(&mut tx, &ctx.scope, patient_id).await?;
    let amendments = repo::clinical_notes::amendments_for_patient(&mut tx, &ctx.scope, patient_id).await?;
    let mut notes = Vec::new();
    for encounter in &encounters {
        if notes.len() == RECENT_NOTES {
            break;
        }
        let Some(note) = all_notes.iter().find(|n| n.encounter_id == encounter.id && n.status == "signed") else { continue };
        let mut amended = Vec::new();
        for a in amendments.iter().filter(|a| a.note_id == note.id) {
            let id = a.id.to_string();
            let reason = open(services, &mut tx, ctx, "note_amendments", "reason", &id, &a.reason).await?;
            let body = open(services, &mut tx, ctx, "note_amendments", "body", &id, &a.body).await?;
            amended.push(format!("{} ({}, {}): {body}", reason, a.author_name, local_text(a.created_at, tz)));
        }
        notes.push(PrintedNote {
            when: local_text(encounter.occurred_at, tz),
            kind: EncounterKind::parse(&encounter.kind).unwrap_or(EncounterKind::Other),
            practitioner: encounter.practitioner_name.clone(),
            signed_by: note.signer_name.clone(),
            signed_at: note.signed_at.map(|t| local_text(t, tz)),
            content: open_sections(services, &mut tx, ctx, note).await?,
            amendments: amended,
        });
    }
    let entry = Entry::ok("chart.print", "patient", row.id).patient(row.id).break_glass(break_glass);
    audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), entry, now).await?;
    tx.commit().await?;
    Ok(PrintSummary {
        clinic_name: ctx.clinic_name.clone(),
        mrn: row.mrn,
        given_name: row.given_name,
        family_name: row.family_name,
        date_of_birth: row.date_of_birth,
        phone: row.phone,
        email: row.email,
        problems,
        history,
        social,
        notes,
        printed_at: local_text(now, tz),
    })
}

//! The printable chart summary: who the patient is, their allergies,
//! current medicines, problems and history, and their most recent signed
//! notes (with amendments noted). The same summary is shown as a print
//! view (`/app/patients/:id/print`) and rendered as a PDF with the clinic's
//! letterhead (`summary_pdf`).

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
use crate::{
    pdf::{Block, Column, Document},
    services::medications::{
        prescriptions,
        printouts::{letterhead, Printout},
    },
};
use ambula_domain::{
    chart::{
        encounters::{EncounterKind, NoteContent, Section},
        history::HistoryKind,
    },
    medications::{AllergyStatus, Severity},
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
    /// Active allergies, "substance (severity): reaction".
    pub allergies: Vec<String>,
    /// "No known allergies" was recorded (and no allergy since).
    pub no_known_allergies: bool,
    /// Active medicines, "name — dose, route, frequency".
    pub medications: Vec<String>,
    pub notes: Vec<PrintedNote>,
    /// Clinic time of printing.
    pub printed_at: String,
    /// The clinic's name, address and contact lines for the PDF.
    pub letterhead: Vec<String>,
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
    let mut allergies = Vec::new();
    for a in repo::allergies::for_patient(&mut tx, &ctx.scope, patient_id).await? {
        if a.status != AllergyStatus::Active.as_str() {
            continue;
        }
        let severity = Severity::parse(&a.severity).map(|s| s.label()).unwrap_or("");
        let reaction = match &a.reaction {
            Some(sealed) => Some(open(services, &mut tx, ctx, "allergies", "reaction", &a.id.to_string(), sealed).await?),
            None => None,
        };
        allergies.push(match reaction.filter(|r| !r.is_empty()) {
            Some(r) => format!("{} ({severity}): {r}", a.substance),
            None => format!("{} ({severity})", a.substance),
        });
    }
    let no_known_allergies = allergies.is_empty() && repo::allergies::no_known(&mut tx, &ctx.scope, patient_id).await?.is_some();
    let mut medications = Vec::new();
    for m in repo::medications::for_patient(&mut tx, &ctx.scope, patient_id).await? {
        if m.status == "active" {
            let m = prescriptions::view(services, &mut tx, ctx, m).await?;
            medications.push(format!("{} — {}, {}, {}", m.title(), m.dose, m.route, m.frequency));
        }
    }
    let clinic = repo::clinics::get(&mut tx, &ctx.scope).await?;
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
        allergies,
        no_known_allergies,
        medications,
        notes,
        printed_at: local_text(now, tz),
        letterhead: letterhead(&clinic),
    })
}

/// The summary as a PDF download. Audited as a print, like the print view.
pub async fn summary_pdf(services: &Services, ctx: &AuthContext, patient: &str) -> Result<Printout, ServiceError> {
    let s = print(services, ctx, patient).await?;
    let name = format!("{} {}", s.given_name, s.family_name);
    let running = format!("{name}, born {} · record {}", s.date_of_birth, s.mrn);
    let mut doc = Document::new("Chart summary", s.letterhead.clone(), running);
    doc.push(Block::Heading(format!("Chart summary — {name}")))
        .push(Block::Field("Date of birth".into(), s.date_of_birth.to_string()))
        .push(Block::Field("Record".into(), s.mrn.clone()));
    let contact: Vec<String> = [s.phone.clone(), s.email.clone()].into_iter().flatten().collect();
    if !contact.is_empty() {
        doc.push(Block::Field("Contact".into(), contact.join(" · ")));
    }
    doc.push(Block::Field("Printed".into(), s.printed_at.clone())).push(Block::Rule);
    let list = |lines: &[String], empty: &str| if lines.is_empty() { empty.to_owned() } else { lines.join("\n") };
    doc.push(Block::Heading("Allergies".into())).push(Block::Paragraph(if s.no_known_allergies {
        "No known allergies.".to_owned()
    } else {
        list(&s.allergies, "Not recorded.")
    }));
    doc.push(Block::Heading("Current medicines".into())).push(Block::Paragraph(list(&s.medications, "None recorded.")));
    doc.push(Block::Heading("Problems".into()));
    if s.problems.is_empty() {
        doc.push(Block::Paragraph("None recorded.".into()));
    } else {
        doc.push(Block::Table {
            columns: vec![Column::new("Code", 0.14), Column::new("Problem", 0.5), Column::new("Status", 0.16), Column::new("Since", 0.2)],
            rows: s
                .problems
                .iter()
                .map(|p| {
                    vec![
                        p.code.clone().unwrap_or_default(),
                        p.description.clone(),
                        p.status.label().to_owned(),
                        p.onset_date.map(|d| d.to_string()).unwrap_or_default(),
                    ]
                })
                .collect(),
        });
    }
    for (kind, lines) in s.history.iter().filter(|(_, lines)| !lines.is_empty()) {
        doc.push(Block::Heading(kind.label().to_owned())).push(Block::Paragraph(lines.join("\n")));
    }
    if let Some(social) = &s.social {
        let mut text = format!("Smoking: {} · Alcohol: {}", social.smoking, social.alcohol);
        if let Some(o) = social.occupation.as_ref().filter(|o| !o.is_empty()) {
            text.push_str(&format!("\nOccupation: {o}"));
        }
        if let Some(n) = social.notes.as_ref().filter(|n| !n.is_empty()) {
            text.push_str(&format!("\n{n}"));
        }
        doc.push(Block::Heading("Social history".into())).push(Block::Paragraph(text));
    }
    doc.push(Block::Heading("Recent signed notes".into()));
    if s.notes.is_empty() {
        doc.push(Block::Paragraph("None.".into()));
    }
    for n in &s.notes {
        let mut by = vec![n.kind.label().to_owned()];
        by.extend(n.practitioner.clone());
        if let (Some(who), Some(when)) = (&n.signed_by, &n.signed_at) {
            by.push(format!("signed by {who} on {when}"));
        }
        doc.push(Block::Field(n.when.clone(), by.join(" · ")));
        for section in Section::ALL {
            let text = n.content.section(section);
            if !text.is_empty() {
                doc.push(Block::Field(section.label().to_owned(), text.to_owned()));
            }
        }
        for a in &n.amendments {
            doc.push(Block::Field("Amendment".into(), a.clone()));
        }
        doc.push(Block::Space(6.0));
    }
    Ok(Printout { file_name: format!("chart-summary-{}.pdf", s.mrn), bytes: doc.render() })
}

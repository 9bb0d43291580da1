//! Encounters and their SOAP notes: record an encounter (with a blank
//! draft, optionally from a template), edit the draft (its author only),
//! sign it (locks it), and amend a signed note (appended, the original
//! kept). Sections are sealed per row and column.

use super::{clinic_tz, local_text, not_found, open, open_patient, require, seal, today_in};
use crate::{
    audit::{self, Actor, Entry},
    db::Tx,
    error::ServiceError,
    repo::{
        self,
        clinical_notes::{NewAmendment, NewNote, NoteRow, SealedSections},
        encounters::{EncounterRow, NewEncounter},
    },
    scope::AuthContext,
    time::DbTime,
    Services,
};
use ambula_domain::{
    chart::{
        encounters::{AmendmentForm, EncounterForm, EncounterKind, NoteContent, NoteForm, NoteStatus, Section},
        templates::TemplateField,
    },
    scheduling::zone::span_start_utc,
    ClinicalNoteId, EncounterId, FieldErrors, NoteAmendmentId, PatientId, Permission,
};
use chrono_tz::Tz;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct AmendmentView {
    pub id: Uuid,
    pub author_name: String,
    /// Clinic time.
    pub at: String,
    pub reason: String,
    pub body: String,
}

#[derive(Debug, Clone)]
pub struct NoteView {
    pub id: ClinicalNoteId,
    pub status: NoteStatus,
    pub author_name: String,
    /// The signed-in member wrote it (only they edit or sign a draft).
    pub mine: bool,
    pub content: NoteContent,
    /// The template's fields, for a draft written from one.
    pub template_fields: Vec<TemplateField>,
    pub signed_by: Option<String>,
    pub signed_at: Option<String>,
    pub updated_at: String,
    pub amendments: Vec<AmendmentView>,
}

#[derive(Debug, Clone)]
pub struct EncounterView {
    pub id: EncounterId,
    pub patient_id: PatientId,
    /// Clinic time, `YYYY-MM-DD HH:MM`.
    pub when: String,
    pub kind: EncounterKind,
    pub status: String,
    pub practitioner: Option<String>,
    pub appointment_id: Option<Uuid>,
    pub note: Option<NoteView>,
}

const NOTES: &str = "clinical_notes";
const AMENDMENTS: &str = "note_amendments";

fn kind_of(raw: &str) -> Result<EncounterKind, ServiceError> {
    EncounterKind::parse(raw).map_err(|_| ServiceError::Internal(format!("unknown encounter kind {raw:?}")))
}

pub(crate) fn template_fields(json: &str) -> Result<Vec<TemplateField>, ServiceError> {
    serde_json::from_str(json).map_err(|e| ServiceError::Internal(format!("template fields: {e}")))
}

async fn seal_sections(services: &Services, tx: &mut Tx, ctx: &AuthContext, row: &str, content: &NoteContent, now: DbTime) -> Result<SealedSections, ServiceError> {
    let mut sealed = Vec::with_capacity(4);
    for section in Section::ALL {
        sealed.push(seal(services, tx, ctx, NOTES, section.as_str(), row, content.section(section), now).await?);
    }
    let mut it = sealed.into_iter();
    let mut next = || it.next().unwrap_or_default();
    Ok(SealedSections { subjective: next(), objective: next(), assessment: next(), plan: next() })
}

pub(crate) async fn open_sections(services: &Services, tx: &mut Tx, ctx: &AuthContext, note: &NoteRow) -> Result<NoteContent, ServiceError> {
    let row = note.id.to_string();
    Ok(NoteContent {
        subjective: open(services, tx, ctx, NOTES, "subjective", &row, &note.subjective).await?,
        objective: open(services, tx, ctx, NOTES, "objective", &row, &note.objective).await?,
        assessment: open(services, tx, ctx, NOTES, "assessment", &row, &note.assessment).await?,
        plan: open(services, tx, ctx, NOTES, "plan", &row, &note.plan).await?,
    })
}

async fn note_view(
    services: &Services,
    tx: &mut Tx,
    ctx: &AuthContext,
    note: NoteRow,
    amendments: Vec<AmendmentView>,
    tz: Tz,
) -> Result<NoteView, ServiceError> {
    let status = NoteStatus::parse(&note.status).ok_or_else(|| ServiceError::Internal(format!("note status {:?}", note.status)))?;
    let content = open_sections(services, tx, ctx, &note).await?;
    let template_fields = match (status, note.template_id) {
        (NoteStatus::Draft, Some(template)) => match repo::note_templates::get(tx, &ctx.scope, template).await? {
            Some(t) => template_fields(&t.fields)?,
            None => Vec::new(),
        },
        _ => Vec::new(),
    };
    Ok(NoteView {
        id: ClinicalNoteId::from_uuid(note.id),
        status,
        author_name: note.author_name,
        mine: note.author_id == ctx.membership_id.as_uuid(),
        content,
        template_fields,
        signed_by: note.signer_name,
        signed_at: note.signed_at.map(|t| local_text(t, tz)),
        updated_at: local_text(note.updated_at, tz),
        amendments,
    })
}

fn encounter_view(row: EncounterRow, note: Option<NoteView>, tz: Tz) -> Result<EncounterView, ServiceError> {
    Ok(EncounterView {
        id: EncounterId::from_uuid(row.id),
        patient_id: PatientId::from_uuid(row.patient_id),
        when: local_text(row.occurred_at, tz),
        kind: kind_of(&row.kind)?,
        status: row.status,
        practitioner: row.practitioner_name,
        appointment_id: row.appointment_id,
        note,
    })
}

/// A patient's encounters with their notes and amendments, newest first.
pub async fn list(services: &Services, ctx: &AuthContext, patient: &str) -> Result<Vec<EncounterView>, ServiceError> {
    require(services, ctx, Permission::ViewClinical, "note.list", "patient", patient).await?;
    let now = services.now();
    let tx = services.db.write_in(&ctx.scope).await?;
    let (mut tx, row, break_glass) = open_patient(tx, ctx, patient, "note.list", now).await?;
    let patient_id = PatientId::from_uuid(row.id);
    let tz = clinic_tz(&mut tx, ctx).await?;
    let encounters = repo::encounters::list_for_patient(&mut tx, &ctx.scope, patient_id, 200).await?;
    let notes = repo::clinical_notes::list_for_patient(&mut tx, &ctx.scope, patient_id).await?;
    let amendment_rows = repo::clinical_notes::amendments_for_patient(&mut tx, &ctx.scope, patient_id).await?;
    let mut amendments: Vec<(Uuid, AmendmentView)> = Vec::with_capacity(amendment_rows.len());
    for a in amendment_rows {
        let row = a.id.to_string();
        let view = AmendmentView {
            id: a.id,
            author_name: a.author_name,
            at: local_text(a.created_at, tz),
            reason: open(services, &mut tx, ctx, AMENDMENTS, "reason", &row, &a.reason).await?,
            body: open(services, &mut tx, ctx, AMENDMENTS, "body", &row, &a.body).await?,
        };
        amendments.push((a.note_id, view));
    }
    let mut views = Vec::with_capacity(encounters.len());
    for encounter in encounters {
        let note = match notes.iter().find(|n| n.encounter_id == encounter.id) {
            Some(n) => {
                let mine: Vec<AmendmentView> = amendments.iter().filter(|(id, _)| *id == n.id).map(|(_, a)| a.clone()).collect();
                Some(note_view(services, &mut tx, ctx, n.clone(), mine, tz).await?)
            }
            None => None,
        };
        views.push(encounter_view(encounter, note, tz)?);
    }
    let entry = Entry::ok("note.list", "patient", row.id).patient(row.id).break_glass(break_glass).detail(format!("{} encounters", views.len()));
    audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), entry, now).await?;
    tx.commit().await?;
    Ok(views)
}

/// Records an encounter and opens its draft note (blank, or with the
/// template's fields to fill in).
pub async fn create_encounter(services: &Services, ctx: &AuthContext, form: &EncounterForm) -> Result<EncounterView, ServiceError> {
    require(services, ctx, Permission::EditClinical, "encounter.create", "patient", &form.patient_id).await?;
    let now = services.now();
    let tx = services.db.write_in(&ctx.scope).await?;
    let (mut tx, row, break_glass) = open_patient(tx, ctx, &form.patient_id, "encounter.create", now).await?;
    let patient_id = PatientId::from_uuid(row.id);
    let tz = clinic_tz(&mut tx, ctx).await?;
    let spec = form.parse(today_in(tz, now))?;
    let occurred_at = DbTime::from(span_start_utc(tz, spec.local));
    if occurred_at > now {
        return Err(ServiceError::field("time", "The encounter cannot be in the future."));
    }
    let mut errors = FieldErrors::new();
    let practitioner_id = match spec.practitioner_id {
        Some(p) if repo::encounters::practitioner_exists(&mut tx, &ctx.scope, p).await? => Some(p),
        Some(_) => {
            errors.add("practitioner_id", "Choose a practitioner from the list.");
            None
        }
        None => repo::encounters::practitioner_of(&mut tx, &ctx.scope, ctx.membership_id).await?,
    };
    if let Some(appointment) = spec.appointment_id {
        if !repo::encounters::appointment_of_patient(&mut tx, &ctx.scope, appointment, patient_id).await? {
            errors.add("appointment_id", "Choose one of this patient's appointments, or none.");
        }
    }
    let template = match spec.template_id {
        Some(t) => match repo::note_templates::get(&mut tx, &ctx.scope, t).await? {
            Some(found) if found.active => Some(found),
            _ => {
                errors.add("template_id", "Choose a template from the list, or none.");
                None
            }
        },
        None => None,
    };
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let new = NewEncounter {
        patient_id,
        practitioner_id,
        appointment_id: spec.appointment_id,
        occurred_at,
        kind: spec.kind.as_str(),
        created_by: ctx.membership_id,
    };
    let encounter_id = repo::encounters::insert(&mut tx, &ctx.scope, new, now).await?;
    let note_id = ClinicalNoteId::generate();
    let sections = seal_sections(services, &mut tx, ctx, &note_id.to_string(), &NoteContent::default(), now).await?;
    let note = NewNote {
        id: note_id,
        encounter_id,
        patient_id,
        template_id: template.as_ref().map(|t| t.id),
        author_id: ctx.membership_id,
        sections,
    };
    repo::clinical_notes::insert(&mut tx, &ctx.scope, note, now).await?;
    let detail = format!("{} at {}", spec.kind.label(), local_text(occurred_at, tz));
    let entry = Entry::ok("encounter.create", "encounter", encounter_id).patient(row.id).break_glass(break_glass).detail(detail);
    audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), entry, now).await?;
    let encounter = repo::encounters::get(&mut tx, &ctx.scope, encounter_id).await?.ok_or(ServiceError::NotFound)?;
    let note = repo::clinical_notes::get(&mut tx, &ctx.scope, note_id).await?.ok_or(ServiceError::NotFound)?;
    let note = note_view(services, &mut tx, ctx, note, Vec::new(), tz).await?;
    tx.commit().await?;
    encounter_view(encounter, Some(note), tz)
}

/// What a note is after a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteState {
    pub id: ClinicalNoteId,
    pub status: NoteStatus,
}

/// Loads a note of this clinic and opens its patient, or records why not.
async fn load_note(services: &Services, ctx: &AuthContext, raw_id: &str, action: &'static str, now: DbTime) -> Result<(Tx, NoteRow, bool), ServiceError> {
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let note = match raw_id.trim().parse::<ClinicalNoteId>() {
        Ok(id) => repo::clinical_notes::get(&mut tx, &ctx.scope, id).await?,
        Err(_) => None,
    };
    let Some(note) = note else {
        return Err(not_found(tx, ctx, action, "note", raw_id, now).await);
    };
    let (tx, _, break_glass) = open_patient(tx, ctx, &note.patient_id.to_string(), action, now).await?;
    Ok((tx, note, break_glass))
}

/// Records a refused change to a note and returns `error`.
async fn refuse(mut tx: Tx, ctx: &AuthContext, action: &'static str, note: &NoteRow, why: &str, error: ServiceError, now: DbTime) -> ServiceError {
    let entry = Entry::denied(action, "note", note.id).patient(note.patient_id).detail(why);
    if let Err(e) = audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), entry, now).await {
        return e;
    }
    match tx.commit().await {
        Ok(()) => error,
        Err(e) => e.into(),
    }
}

fn signed_error() -> ServiceError {
    ServiceError::field("note", "This note is signed and can no longer be changed. Add an amendment instead.")
}

fn not_author() -> ServiceError {
    ServiceError::Forbidden
}

/// Saves a draft's sections (its author only; a signed note is refused).
pub async fn save_draft(services: &Services, ctx: &AuthContext, note_id: &str, form: &NoteForm) -> Result<NoteState, ServiceError> {
    require(services, ctx, Permission::EditClinical, "note.update", "note", note_id).await?;
    let now = services.now();
    let (mut tx, note, break_glass) = load_note(services, ctx, note_id, "note.update", now).await?;
    if note.status != NoteStatus::Draft.as_str() {
        return Err(refuse(tx, ctx, "note.update", &note, "signed note", signed_error(), now).await);
    }
    if note.author_id != ctx.membership_id.as_uuid() {
        return Err(refuse(tx, ctx, "note.update", &note, "not the author", not_author(), now).await);
    }
    let fields = match note.template_id {
        Some(t) => match repo::note_templates::get(&mut tx, &ctx.scope, t).await? {
            Some(found) => template_fields(&found.fields)?,
            None => Vec::new(),
        },
        None => Vec::new(),
    };
    let content = form.parse(&fields)?;
    let id = ClinicalNoteId::from_uuid(note.id);
    let sections = seal_sections(services, &mut tx, ctx, &id.to_string(), &content, now).await?;
    if !repo::clinical_notes::update_draft(&mut tx, &ctx.scope, id, sections, now).await? {
        return Err(signed_error());
    }
    let entry = Entry::ok("note.update", "note", note.id).patient(note.patient_id).break_glass(break_glass);
    audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), entry, now).await?;
    tx.commit().await?;
    Ok(NoteState { id, status: NoteStatus::Draft })
}

/// Signs a draft (its author only): the note is locked from then on and
/// its encounter is finished.
pub async fn sign(services: &Services, ctx: &AuthContext, note_id: &str) -> Result<NoteState, ServiceError> {
    require(services, ctx, Permission::EditClinical, "note.sign", "note", note_id).await?;
    let now = services.now();
    let (mut tx, note, break_glass) = load_note(services, ctx, note_id, "note.sign", now).await?;
    if note.status != NoteStatus::Draft.as_str() {
        return Err(refuse(tx, ctx, "note.sign", &note, "already signed", ServiceError::field("note", "This note is already signed."), now).await);
    }
    if note.author_id != ctx.membership_id.as_uuid() {
        return Err(refuse(tx, ctx, "note.sign", &note, "not the author", not_author(), now).await);
    }
    if open_sections(services, &mut tx, ctx, &note).await?.is_empty() {
        return Err(ServiceError::field("note", "Write the note before signing it."));
    }
    let id = ClinicalNoteId::from_uuid(note.id);
    if !repo::clinical_notes::sign(&mut tx, &ctx.scope, id, ctx.membership_id, now).await? {
        return Err(ServiceError::field("note", "This note is already signed."));
    }
    repo::encounters::set_status(&mut tx, &ctx.scope, EncounterId::from_uuid(note.encounter_id), "finished").await?;
    let entry = Entry::ok("note.sign", "note", note.id).patient(note.patient_id).break_glass(break_glass);
    audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), entry, now).await?;
    tx.commit().await?;
    Ok(NoteState { id, status: NoteStatus::Signed })
}

/// Appends an amendment to a signed note. The note itself is untouched.
pub async fn amend(services: &Services, ctx: &AuthContext, form: &AmendmentForm) -> Result<AmendmentView, ServiceError> {
    require(services, ctx, Permission::EditClinical, "note.amend", "note", &form.note_id).await?;
    let amendment = form.parse()?;
    let now = services.now();
    let (mut tx, note, break_glass) = load_note(services, ctx, &amendment.note_id, "note.amend", now).await?;
    if note.status != NoteStatus::Signed.as_str() {
        return Err(ServiceError::field("body", "This note is still a draft: edit it instead of amending it."));
    }
    let tz = clinic_tz(&mut tx, ctx).await?;
    let id = NoteAmendmentId::generate();
    let row = id.to_string();
    let reason = seal(services, &mut tx, ctx, AMENDMENTS, "reason", &row, &amendment.reason, now).await?;
    let body = seal(services, &mut tx, ctx, AMENDMENTS, "body", &row, &amendment.body, now).await?;
    let new = NewAmendment {
        id,
        note_id: ClinicalNoteId::from_uuid(note.id),
        patient_id: PatientId::from_uuid(note.patient_id),
        author_id: ctx.membership_id,
        reason,
        body,
    };
    repo::clinical_notes::insert_amendment(&mut tx, &ctx.scope, new, now).await?;
    let entry = Entry::ok("note.amend", "note", note.id).patient(note.patient_id).break_glass(break_glass).detail(format!("amendment {id}"));
    audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), entry, now).await?;
    tx.commit().await?;
    Ok(AmendmentView { id: id.as_uuid(), author_name: ctx.user_name.clone(), at: local_text(now, tz), reason: amendment.reason, body: amendment.body })
}

//! The patient registry's use cases beyond register/read/update/search
//! (`patients.rs`): registration with a duplicate warning, deactivation
//! and reactivation, merging two records, CSV import (dry run, then all
//! or nothing) and export, and who receives a patient's communications.
//! Every read and write of a record is audited in its transaction.

use super::patients::{clinic_today, insert_details, list_name, load_for, require, PatientView};
use crate::{
    audit::{self, Actor, Entry},
    db::Tx,
    error::ServiceError,
    repo::{self, patients::PatientRow},
    scope::{AuthContext, ClinicScope},
    time::DbTime,
    Services,
};
use ambula_domain::{
    patients::{is_minor, PatientDetails, PatientForm},
    registry::{
        csv::{self, RowProblem},
        names_look_alike, text, DeactivateForm, InactiveReason, MergeForm,
    },
    Permission, PatientId,
};
use chrono::NaiveDate;

/// An existing record that may be the person being registered.
#[derive(Debug, Clone)]
pub struct DuplicateCandidate {
    pub id: PatientId,
    pub mrn: String,
    /// `None` for a restricted record the user may not open.
    pub name: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub active: bool,
    /// Why it looks alike ("same date of birth and a similar name", …).
    pub reasons: Vec<&'static str>,
}

#[derive(Debug, Clone)]
pub enum Registration {
    Created(PatientView),
    /// Nothing was saved: the form must be sent again with "create anyway".
    PossibleDuplicates(Vec<DuplicateCandidate>),
}

/// Why `row` may be the person `d` describes; empty if it does not look alike.
pub fn duplicate_reasons(d: &PatientDetails, row: &PatientRow) -> Vec<&'static str> {
    let mut reasons = Vec::new();
    if row.date_of_birth == d.date_of_birth
        && names_look_alike((d.given_name.as_str(), d.family_name.as_str()), (&row.given_name, &row.family_name))
    {
        reasons.push("same date of birth and a similar name");
    }
    let phone_key = |p: &str| text::phone_key(p);
    if let (Some(a), Some(b)) = (d.phone.as_deref(), row.phone.as_deref()) {
        if !phone_key(a).is_empty() && phone_key(a) == phone_key(b) {
            reasons.push("same phone number");
        }
    }
    if let (Some(a), Some(b)) = (d.email.as_ref(), row.email.as_deref()) {
        if a.as_str().eq_ignore_ascii_case(b.trim()) {
            reasons.push("same email address");
        }
    }
    let same_id = |a: &Option<ambula_domain::patients::Identifier>, b: &Option<String>| match (a, b) {
        (Some(a), Some(b)) => a.key() == text::identifier_key(b),
        _ => false,
    };
    if same_id(&d.national_id, &row.national_id) {
        reasons.push("same national id");
    }
    if same_id(&d.insurance_id, &row.insurance_id) {
        reasons.push("same insurance number");
    }
    reasons
}

/// Registration from the registration page: unless "create anyway" is
/// ticked, records that look like the same person are returned instead
/// and nothing is saved.
pub async fn register(services: &Services, ctx: &AuthContext, form: &PatientForm) -> Result<Registration, ServiceError> {
    require(services, ctx, Permission::EditPatients, "patient.create", "").await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let today = clinic_today(&mut tx, ctx, now).await?;
    let details = form.parse(today)?;
    if !details.create_anyway {
        let candidates = find_duplicates(&mut tx, ctx, &details, now).await?;
        if !candidates.is_empty() {
            tx.commit().await?;
            return Ok(Registration::PossibleDuplicates(candidates));
        }
    }
    let id = insert_details(&mut tx, ctx, &details, "patient.create", now).await?;
    let row = repo::patients::get(&mut tx, &ctx.scope, id).await?.ok_or(ServiceError::NotFound)?;
    tx.commit().await?;
    Ok(Registration::Created(PatientView::from_row(row, None, today)))
}

async fn find_duplicates(tx: &mut Tx, ctx: &AuthContext, d: &PatientDetails, now: DbTime) -> Result<Vec<DuplicateCandidate>, ServiceError> {
    let phone = d.phone.as_deref().map(text::phone_key).filter(|k| !k.is_empty());
    let email = d.email.as_ref().map(|e| e.as_str().to_lowercase());
    let national = d.national_id.as_ref().map(|i| i.key());
    let insurance = d.insurance_id.as_ref().map(|i| i.key());
    let rows = repo::registry::possible_duplicates(
        tx, &ctx.scope, d.date_of_birth, phone.as_deref(), email.as_deref(), national.as_deref(), insurance.as_deref(),
    )
    .await?;
    let matches: Vec<(PatientRow, Vec<&'static str>)> =
        rows.into_iter().map(|row| { let reasons = duplicate_reasons(d, &row); (row, reasons) }).filter(|(_, r)| !r.is_empty()).collect();
    let restricted: Vec<uuid::Uuid> = matches.iter().filter(|(r, _)| r.restricted).map(|(r, _)| r.id).collect();
    let visible = repo::registry::restricted_access(tx, &ctx.scope, ctx.membership_id, &restricted, now).await?;
    let mut out = Vec::with_capacity(matches.len());
    for (row, reasons) in matches {
        let shown = !row.restricted || visible.contains_key(&row.id);
        // Showing a possible duplicate reads that record: audited.
        let entry = Entry::ok("patient.duplicate_check", "patient", row.id).patient(row.id).detail(reasons.join(", "));
        audit::record(tx, &ctx.scope, &Actor::from(ctx), entry, now).await?;
        out.push(DuplicateCandidate {
            id: PatientId::from_uuid(row.id),
            mrn: row.mrn.clone(),
            name: shown.then(|| list_name(&row.family_name, &row.given_name, row.preferred_name.as_deref())),
            date_of_birth: shown.then_some(row.date_of_birth),
            active: row.active,
            reasons,
        });
    }
    Ok(out)
}

/// Loads a patient for a registry action or returns the recorded denial
/// (committing it).
macro_rules! load_or_deny {
    ($tx:expr, $ctx:expr, $id:expr, $action:expr, $now:expr) => {
        match load_for(&mut $tx, $ctx, $id, $action, $now).await? {
            Ok(found) => found,
            Err(denied) => {
                $tx.commit().await?;
                return Err(denied);
            }
        }
    };
}

/// Deceased (with the date of death), moved away or other: the record
/// stays, hidden from the default search.
pub async fn deactivate(services: &Services, ctx: &AuthContext, form: &DeactivateForm) -> Result<PatientView, ServiceError> {
    require(services, ctx, Permission::EditPatients, "patient.deactivate", &form.patient_id).await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let (row, until) = load_or_deny!(tx, ctx, &form.patient_id, "patient.deactivate", now);
    if row.merged_into.is_some() {
        return Err(ServiceError::field("reason", "This record was merged into another; it stays inactive."));
    }
    let today = clinic_today(&mut tx, ctx, now).await?;
    let deactivation = form.parse(today, row.date_of_birth)?;
    let id = PatientId::from_uuid(row.id);
    repo::registry::deactivate(&mut tx, &ctx.scope, id, deactivation.reason, deactivation.on, deactivation.note.as_deref(), None, now).await?;
    let detail = format!("{} on {}", deactivation.reason.label(), deactivation.on);
    let entry = Entry::ok("patient.deactivate", "patient", row.id).patient(row.id).break_glass(until.is_some()).detail(detail);
    audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), entry, now).await?;
    let row = repo::patients::get(&mut tx, &ctx.scope, id).await?.ok_or(ServiceError::NotFound)?;
    tx.commit().await?;
    Ok(PatientView::from_row(row, until, today))
}

pub async fn reactivate(services: &Services, ctx: &AuthContext, patient_id: &str) -> Result<PatientView, ServiceError> {
    require(services, ctx, Permission::EditPatients, "patient.reactivate", patient_id).await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let (row, until) = load_or_deny!(tx, ctx, patient_id, "patient.reactivate", now);
    if row.merged_into.is_some() {
        return Err(ServiceError::field("patient_id", "A merged record cannot be reactivated: open the record it was merged into."));
    }
    let id = PatientId::from_uuid(row.id);
    repo::registry::reactivate(&mut tx, &ctx.scope, id, now).await?;
    let entry = Entry::ok("patient.reactivate", "patient", row.id).patient(row.id).break_glass(until.is_some());
    audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), entry, now).await?;
    let today = clinic_today(&mut tx, ctx, now).await?;
    let row = repo::patients::get(&mut tx, &ctx.scope, id).await?.ok_or(ServiceError::NotFound)?;
    tx.commit().await?;
    Ok(PatientView::from_row(row, until, today))
}

/// Fills the survivor's empty details from the duplicate: each group
/// (address, emergency contact, guardian) whole, never mixed.
fn fill_gaps(mut s: PatientRow, d: &PatientRow) -> PatientRow {
    fn take(a: &mut Option<String>, b: &Option<String>) {
        if a.as_deref().is_none_or(|v| v.trim().is_empty()) {
            a.clone_from(b);
        }
    }
    take(&mut s.phone, &d.phone);
    take(&mut s.email, &d.email);
    take(&mut s.preferred_name, &d.preferred_name);
    take(&mut s.sex_at_birth, &d.sex_at_birth);
    take(&mut s.gender_identity, &d.gender_identity);
    take(&mut s.preferred_language, &d.preferred_language);
    take(&mut s.national_id, &d.national_id);
    take(&mut s.insurance_id, &d.insurance_id);
    if s.address_line1.is_none() && s.city.is_none() && s.postcode.is_none() {
        s.address_line1.clone_from(&d.address_line1);
        s.address_line2.clone_from(&d.address_line2);
        s.city.clone_from(&d.city);
        s.postcode.clone_from(&d.postcode);
        s.country.clone_from(&d.country);
    }
    if s.emergency_name.is_none() {
        s.emergency_name.clone_from(&d.emergency_name);
        s.emergency_relation.clone_from(&d.emergency_relation);
        s.emergency_phone.clone_from(&d.emergency_phone);
    }
    if s.guardian_name.is_none() {
        s.guardian_name.clone_from(&d.guardian_name);
        s.guardian_relation.clone_from(&d.guardian_relation);
        s.guardian_phone.clone_from(&d.guardian_phone);
        s.guardian_email.clone_from(&d.guardian_email);
    }
    s.consent_treatment_on = s.consent_treatment_on.or(d.consent_treatment_on);
    s.consent_sharing_on = s.consent_sharing_on.or(d.consent_sharing_on);
    // A restriction on either record protects the merged one.
    s.restricted = s.restricted || d.restricted;
    s
}

/// Merges the duplicate into the survivor: every row referencing the
/// duplicate moves (`repo::registry::PATIENT_REFERENCES`), the survivor's
/// gaps are filled from it, and it stays as an inactive record pointing at
/// the survivor. One transaction, audited on both records. Another
/// clinic's record is a 404 and changes nothing.
pub async fn merge(services: &Services, ctx: &AuthContext, form: &MergeForm) -> Result<PatientView, ServiceError> {
    require(services, ctx, Permission::EditPatients, "patient.merge", &form.survivor_id).await?;
    let (survivor_id, duplicate_id) = form.parse()?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let (survivor, s_until) = load_or_deny!(tx, ctx, &survivor_id.to_string(), "patient.merge", now);
    let (duplicate, d_until) = load_or_deny!(tx, ctx, &duplicate_id.to_string(), "patient.merge", now);
    if survivor.merged_into.is_some() {
        return Err(ServiceError::field("survivor_id", "This record was itself merged into another: keep that one instead."));
    }
    if duplicate.merged_into.is_some() {
        return Err(ServiceError::field("duplicate_id", "This record was already merged."));
    }
    // Bookings for either patient wait for the merge (PostgreSQL row
    // locks, in id order so two merges cannot deadlock).
    let (first, second) = if survivor_id < duplicate_id { (survivor_id, duplicate_id) } else { (duplicate_id, survivor_id) };
    repo::patients::lock(&mut tx, &ctx.scope, first).await?;
    repo::patients::lock(&mut tx, &ctx.scope, second).await?;
    let today = clinic_today(&mut tx, ctx, now).await?;
    let moved = repo::registry::repoint(&mut tx, &ctx.scope, duplicate_id, survivor_id).await?;
    let merged = fill_gaps(survivor.clone(), &duplicate);
    repo::registry::save_row(&mut tx, &ctx.scope, &merged, now).await?;
    let note = format!("Merged into record {}", survivor.mrn);
    repo::registry::deactivate(&mut tx, &ctx.scope, duplicate_id, InactiveReason::Merged, today, Some(&note), Some(survivor_id), now).await?;
    let moved: Vec<String> = moved.iter().filter(|(_, n)| *n > 0).map(|(t, n)| format!("{t} {n}")).collect();
    let moved = if moved.is_empty() { "nothing to move".to_owned() } else { moved.join(", ") };
    let actor = Actor::from(ctx);
    let entry = Entry::ok("patient.merge", "patient", survivor.id)
        .patient(survivor.id)
        .break_glass(s_until.is_some())
        .detail(format!("kept {}, merged {} into it; moved: {moved}", survivor.mrn, duplicate.mrn));
    audit::record(&mut tx, &ctx.scope, &actor, entry, now).await?;
    let entry = Entry::ok("patient.merged", "patient", duplicate.id)
        .patient(duplicate.id)
        .break_glass(d_until.is_some())
        .detail(format!("merged into {}", survivor.mrn));
    audit::record(&mut tx, &ctx.scope, &actor, entry, now).await?;
    let row = repo::patients::get(&mut tx, &ctx.scope, survivor_id).await?.ok_or(ServiceError::NotFound)?;
    tx.commit().await?;
    Ok(PatientView::from_row(row, s_until, today))
}

/// What an import found, or did.
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    /// Patient rows in the file.
    pub rows: usize,
    /// Every problem, by line; any at all means nothing was imported.
    pub problems: Vec<RowProblem>,
    pub imported: usize,
    pub dry_run: bool,
}

/// Checks a CSV file (`dry_run`), or imports it: all rows in one
/// transaction, and only if no row has a problem. Each patient gets a new
/// MRN and an audit entry. See `domain/src/registry/csv.rs` for columns.
pub async fn import(services: &Services, ctx: &AuthContext, text: &str, dry_run: bool) -> Result<ImportReport, ServiceError> {
    require(services, ctx, Permission::EditPatients, "patient.import", "").await?;
    let now = services.now();
    let today = {
        let mut tx = services.db.read_in(&ctx.scope).await?;
        clinic_today(&mut tx, ctx, now).await?
    };
    let rows = match csv::read_import(text) {
        Ok(rows) => rows,
        Err(problems) => return Ok(ImportReport { rows: 0, problems, imported: 0, dry_run }),
    };
    let mut problems = Vec::new();
    let mut parsed = Vec::with_capacity(rows.len());
    for row in &rows {
        match row.form.parse(today) {
            Ok(details) => parsed.push(details),
            Err(errors) => problems.extend(csv::problems_at(row.line, &errors)),
        }
    }
    let mut report = ImportReport { rows: rows.len(), problems, imported: 0, dry_run };
    if dry_run || !report.problems.is_empty() {
        return Ok(report);
    }
    let mut tx = services.db.write_in(&ctx.scope).await?;
    for details in &parsed {
        insert_details(&mut tx, ctx, details, "patient.import", now).await?;
    }
    let entry = Entry::ok("patient.import", "patient", "").detail(format!("{} patients imported from CSV", parsed.len()));
    audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), entry, now).await?;
    tx.commit().await?;
    report.imported = parsed.len();
    Ok(report)
}

/// Every record the caller may open, as CSV (RFC 4180, UTF-8, the import
/// columns plus MRN and status). Needs `ExportData`; each exported record
/// is audited, and restricted records outside the caller's access are
/// left out (counted in the summary entry).
pub async fn export(services: &Services, ctx: &AuthContext) -> Result<String, ServiceError> {
    require(services, ctx, Permission::ExportData, "patient.export", "").await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let rows = repo::registry::export_rows(&mut tx, &ctx.scope).await?;
    let restricted: Vec<uuid::Uuid> = rows.iter().filter(|r| r.restricted).map(|r| r.id).collect();
    let visible = repo::registry::restricted_access(&mut tx, &ctx.scope, ctx.membership_id, &restricted, now).await?;
    let mut out = csv::header();
    let (mut exported, mut withheld) = (0usize, 0usize);
    let actor = Actor::from(ctx);
    for row in &rows {
        if row.restricted && !visible.contains_key(&row.id) {
            withheld += 1;
            continue;
        }
        out.push_str(&export_line(row));
        let entry = Entry::ok("patient.export", "patient", row.id).patient(row.id).break_glass(visible.get(&row.id).is_some_and(Option::is_some));
        audit::record(&mut tx, &ctx.scope, &actor, entry, now).await?;
        exported += 1;
    }
    let entry = Entry::ok("patient.export", "patient", "").detail(format!("CSV export: {exported} records, {withheld} restricted left out"));
    audit::record(&mut tx, &ctx.scope, &actor, entry, now).await?;
    tx.commit().await?;
    Ok(out)
}

fn export_line(r: &PatientRow) -> String {
    let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let yes = |b: bool| if b { "yes".to_owned() } else { "no".to_owned() };
    let status = match (&r.inactive_reason, r.active) {
        (_, true) => "active".to_owned(),
        (Some(reason), false) => format!("inactive ({reason})"),
        (None, false) => "inactive".to_owned(),
    };
    // The order of csv::COLUMNS.
    let fields = [
        r.mrn.clone(), r.given_name.clone(), r.family_name.clone(), text(&r.preferred_name), r.date_of_birth.to_string(),
        text(&r.sex_at_birth), text(&r.gender_identity), text(&r.phone), text(&r.email), text(&r.address_line1),
        text(&r.address_line2), text(&r.city), text(&r.postcode), text(&r.country), text(&r.preferred_language),
        text(&r.national_id), text(&r.insurance_id), text(&r.emergency_name), text(&r.emergency_relation),
        text(&r.emergency_phone), text(&r.guardian_name), text(&r.guardian_relation), text(&r.guardian_phone),
        text(&r.guardian_email), yes(r.contact_email), yes(r.contact_sms), date(r.consent_treatment_on),
        date(r.consent_sharing_on), status,
    ];
    debug_assert_eq!(fields.len(), csv::COLUMNS.len());
    csv::line(&fields.iter().map(String::as_str).collect::<Vec<_>>())
}

/// Who receives a patient's communications (reminders, letters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommunicationContact {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// The patient is a minor: this is their guardian.
    pub guardian: bool,
}

/// The guardian for a minor who has one, the patient otherwise.
pub fn contact_of(row: &PatientRow, today: NaiveDate) -> CommunicationContact {
    if is_minor(row.date_of_birth, today) {
        if let Some(name) = &row.guardian_name {
            return CommunicationContact {
                name: name.clone(),
                email: row.guardian_email.clone(),
                phone: row.guardian_phone.clone(),
                guardian: true,
            };
        }
    }
    CommunicationContact {
        name: format!("{} {}", row.given_name, row.family_name),
        email: row.email.clone(),
        phone: row.phone.clone(),
        guardian: false,
    }
}

/// The contact for a patient's communications, read in the caller's
/// transaction (`today` in the clinic's zone); `None` if no such patient.
pub async fn contact_for_communications(
    tx: &mut Tx,
    scope: &ClinicScope,
    patient: PatientId,
    today: NaiveDate,
) -> Result<Option<CommunicationContact>, ServiceError> {
    Ok(repo::patients::get(tx, scope, patient).await?.map(|row| contact_of(&row, today)))
}

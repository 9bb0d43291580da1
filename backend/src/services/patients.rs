//! The patient registry's core (the chart issue extends it): register,
//! read, update and search patients, with restricted records and
//! break-glass access. Every read and write is audited in the same
//! transaction; another clinic's patient is a 404 and an audited denial.

use crate::{
    audit::{self, Actor, Entry},
    db::Tx,
    error::ServiceError,
    mail::Email,
    repo::{self, patients::{PatientRow, NewPatient}, registry::ListRow},
    scope::AuthContext,
    time::DbTime,
    Services,
};
use ambula_domain::{
    patients::{describe_age, is_minor, PatientDetails, PatientForm, PatientSearch, PatientSearchForm, PatientSort},
    registry::{NameKeys, RegistrySearchForm, SearchQuery},
    security::BreakGlassForm,
    Permission, PatientId, TimeZoneName,
};
use chrono::NaiveDate;

#[derive(Debug, Clone)]
pub struct PatientView {
    pub id: PatientId,
    pub mrn: String,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: NaiveDate,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub restricted: bool,
    /// Seen through break-glass access, which ends at this time.
    pub break_glass_until: Option<DbTime>,
    /// Every stored demographic (contacts, identifiers, consents, status).
    pub record: PatientRow,
    /// Records merged into this one (id, MRN); filled by `get` only.
    pub merged_from: Vec<(PatientId, String)>,
    /// Age on the clinic's today ("42 years", "7 months").
    pub age: String,
    /// Under 18 on the clinic's today: the guardian is the contact.
    pub minor: bool,
}

impl PatientView {
    pub(crate) fn from_row(row: PatientRow, break_glass_until: Option<DbTime>, today: NaiveDate) -> Self {
        Self {
            id: PatientId::from_uuid(row.id),
            mrn: row.mrn.clone(),
            given_name: row.given_name.clone(),
            family_name: row.family_name.clone(),
            date_of_birth: row.date_of_birth,
            phone: row.phone.clone(),
            email: row.email.clone(),
            restricted: row.restricted,
            break_glass_until,
            merged_from: Vec::new(),
            age: describe_age(row.date_of_birth, today),
            minor: is_minor(row.date_of_birth, today),
            record: row,
        }
    }
}

/// A line of the patient list. Restricted records the user may not open
/// show only their MRN.
#[derive(Debug, Clone)]
pub struct PatientListItem {
    pub id: PatientId,
    pub mrn: String,
    pub name: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub restricted: bool,
    /// False for deceased, moved away and merged records.
    pub active: bool,
    pub inactive_reason: Option<String>,
}

enum Access {
    Allowed { break_glass_until: Option<DbTime> },
    Restricted,
}

async fn access(tx: &mut Tx, ctx: &AuthContext, row: &PatientRow, now: DbTime) -> Result<Access, ServiceError> {
    let id = PatientId::from_uuid(row.id);
    if !row.restricted || repo::access::on_care_team(tx, &ctx.scope, id, ctx.membership_id).await? {
        return Ok(Access::Allowed { break_glass_until: None });
    }
    Ok(match repo::access::active_grant(tx, &ctx.scope, id, ctx.membership_id, now).await? {
        Some(until) => Access::Allowed { break_glass_until: Some(until) },
        None => Access::Restricted,
    })
}

fn parse_id(raw: &str) -> Option<PatientId> {
    raw.trim().parse().ok()
}

/// Loads a patient the caller may act on, or records the denial and says
/// why not. `Ok(Err(e))`: denied, the denial is in `tx` (commit it).
async fn load(
    tx: &mut Tx,
    ctx: &AuthContext,
    raw_id: &str,
    action: &'static str,
    now: DbTime,
) -> Result<Result<(PatientRow, Option<DbTime>), ServiceError>, ServiceError> {
    let row = match parse_id(raw_id) {
        Some(id) => repo::patients::get(tx, &ctx.scope, id).await?,
        None => None,
    };
    let Some(row) = row else {
        // Not in this clinic (or no such id): the same 404 either way, and
        // the attempt is in this clinic's trail.
        audit::record(tx, &ctx.scope, &Actor::from(ctx), Entry::denied(action, "patient", raw_id), now).await?;
        return Ok(Err(ServiceError::NotFound));
    };
    match access(tx, ctx, &row, now).await? {
        Access::Allowed { break_glass_until } => Ok(Ok((row, break_glass_until))),
        Access::Restricted => {
            let entry = Entry::denied(action, "patient", row.id).patient(row.id).detail("restricted record");
            audit::record(tx, &ctx.scope, &Actor::from(ctx), entry, now).await?;
            Ok(Err(ServiceError::Restricted))
        }
    }
}

/// For other services (documents, and the chart later): the patient the
/// caller may act on, or the recorded denial.
pub(crate) async fn load_for(
    tx: &mut Tx,
    ctx: &AuthContext,
    raw_id: &str,
    action: &'static str,
    now: DbTime,
) -> Result<Result<(PatientRow, Option<DbTime>), ServiceError>, ServiceError> {
    load(tx, ctx, raw_id, action, now).await
}

pub(crate) async fn require(services: &Services, ctx: &AuthContext, permission: Permission, action: &'static str, id: &str) -> Result<(), ServiceError> {
    if ctx.can(permission) {
        return Ok(());
    }
    let patient = parse_id(id).map(|p| p.as_uuid());
    audit::record_denial(services, ctx, action, "patient", id, patient).await?;
    Err(ServiceError::Forbidden)
}

pub(crate) async fn clinic_today(tx: &mut Tx, ctx: &AuthContext, now: DbTime) -> Result<NaiveDate, ServiceError> {
    let clinic = repo::clinics::get(tx, &ctx.scope).await?;
    Ok(today_in(&clinic.time_zone, now))
}

/// The date it is `now` in a clinic's IANA zone (UTC if the stored name
/// no longer parses).
pub(crate) fn today_in(time_zone: &str, now: DbTime) -> NaiveDate {
    let tz = TimeZoneName::parse(time_zone).map(|t| t.tz()).unwrap_or(chrono_tz::UTC);
    now.0.with_timezone(&tz).date_naive()
}

pub async fn get(services: &Services, ctx: &AuthContext, id: &str) -> Result<PatientView, ServiceError> {
    require(services, ctx, Permission::ViewPatients, "patient.read", id).await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let (row, until) = match load(&mut tx, ctx, id, "patient.read", now).await? {
        Ok(found) => found,
        Err(denied) => {
            tx.commit().await?;
            return Err(denied);
        }
    };
    let today = clinic_today(&mut tx, ctx, now).await?;
    let view = read_in(&mut tx, ctx, row, until, today, now).await?;
    tx.commit().await?;
    Ok(view)
}

/// The audited read of a patient the caller may see (found by `load_for`),
/// inside the caller's transaction: the view `get` answers with. `today`
/// is the clinic's date (for the age shown).
pub(crate) async fn read_in(
    tx: &mut Tx,
    ctx: &AuthContext,
    row: PatientRow,
    until: Option<DbTime>,
    today: NaiveDate,
    now: DbTime,
) -> Result<PatientView, ServiceError> {
    let entry = Entry::ok("patient.read", "patient", row.id).patient(row.id).break_glass(until.is_some());
    audit::record(tx, &ctx.scope, &Actor::from(ctx), entry, now).await?;
    let merged_from = repo::patients::merged_into(tx, &ctx.scope, PatientId::from_uuid(row.id)).await?;
    let mut view = PatientView::from_row(row, until, today);
    view.merged_from = merged_from.into_iter().map(|(id, mrn)| (PatientId::from_uuid(id), mrn)).collect();
    Ok(view)
}

/// Registers a patient without the duplicate check: the calendar's quick
/// registration and programmatic callers. The registration page goes
/// through `registry::register`, which warns about possible duplicates.
pub async fn create(services: &Services, ctx: &AuthContext, form: &PatientForm) -> Result<PatientView, ServiceError> {
    require(services, ctx, Permission::EditPatients, "patient.create", "").await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let today = clinic_today(&mut tx, ctx, now).await?;
    let details = form.parse(today)?;
    let id = insert_details(&mut tx, ctx, &details, "patient.create", now).await?;
    let row = repo::patients::get(&mut tx, &ctx.scope, id).await?.ok_or(ServiceError::NotFound)?;
    tx.commit().await?;
    Ok(PatientView::from_row(row, None, today))
}

/// Inserts a parsed registration with a fresh MRN, its care team when
/// restricted, and its audit entry (`action`), inside the caller's
/// transaction.
pub(crate) async fn insert_details(
    tx: &mut Tx,
    ctx: &AuthContext,
    details: &PatientDetails,
    action: &'static str,
    now: DbTime,
) -> Result<PatientId, ServiceError> {
    let mrn = repo::patients::next_mrn(tx, &ctx.scope).await?;
    let new = NewPatient {
        mrn: &mrn,
        given_name: details.given_name.as_str(),
        family_name: details.family_name.as_str(),
        date_of_birth: details.date_of_birth,
        phone: details.phone.as_deref(),
        email: details.email.as_ref().map(|e| e.as_str()),
    };
    let id = repo::patients::insert(tx, &ctx.scope, new, now).await?;
    repo::registry::save_details(tx, &ctx.scope, id, details, details.restricted, now).await?;
    if details.restricted {
        // Whoever registers a restricted record keeps access to it.
        repo::access::add_to_care_team(tx, &ctx.scope, id, ctx.membership_id, now).await?;
    }
    let entry = Entry::ok(action, "patient", id).patient(id.as_uuid()).detail(format!("MRN {mrn}"));
    audit::record(tx, &ctx.scope, &Actor::from(ctx), entry, now).await?;
    Ok(id)
}

pub async fn update(services: &Services, ctx: &AuthContext, id: &str, form: &PatientForm) -> Result<PatientView, ServiceError> {
    require(services, ctx, Permission::EditPatients, "patient.update", id).await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let (row, until) = match load(&mut tx, ctx, id, "patient.update", now).await? {
        Ok(found) => found,
        Err(denied) => {
            tx.commit().await?;
            return Err(denied);
        }
    };
    let today = clinic_today(&mut tx, ctx, now).await?;
    let details = form.parse(today)?;
    // Only managers may lift or set a restriction; others keep it as it is.
    let restricted = if ctx.can(Permission::ManageStaff) { details.restricted } else { row.restricted };
    let patient = PatientId::from_uuid(row.id);
    repo::registry::save_details(&mut tx, &ctx.scope, patient, &details, restricted, now).await?;
    let entry = Entry::ok("patient.update", "patient", row.id).patient(row.id).break_glass(until.is_some());
    audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), entry, now).await?;
    let row = repo::patients::get(&mut tx, &ctx.scope, patient).await?.ok_or(ServiceError::NotFound)?;
    tx.commit().await?;
    Ok(PatientView::from_row(row, until, today))
}

/// The patient list's search (active records): see `search_registry`.
pub async fn search(services: &Services, ctx: &AuthContext, form: &PatientSearchForm) -> Result<Vec<PatientListItem>, ServiceError> {
    require(services, ctx, Permission::ViewPatients, "patient.search", "").await?;
    let search = form.parse()?;
    run_search(services, ctx, search).await
}

/// Search by name (typo-tolerant), phone, date of birth, email, MRN or
/// national / insurance id, with a status filter. Each path is a bounded
/// index lookup; restricted rows are checked for the whole page at once.
pub async fn search_registry(services: &Services, ctx: &AuthContext, form: &RegistrySearchForm) -> Result<Vec<PatientListItem>, ServiceError> {
    require(services, ctx, Permission::ViewPatients, "patient.search", "").await?;
    let search = form.parse()?;
    run_search(services, ctx, search).await
}

/// At most this many lines per search.
const PAGE: usize = 100;

async fn run_search(services: &Services, ctx: &AuthContext, search: PatientSearch) -> Result<Vec<PatientListItem>, ServiceError> {
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    repo::registry::fill_missing_keys(&mut tx, &ctx.scope).await?;
    let (scope, status, limit) = (&ctx.scope, search.status, PAGE as i64);
    let rows = match SearchQuery::classify(&search.query) {
        SearchQuery::All => repo::registry::list(&mut tx, scope, search.sort, status, 200).await?,
        SearchQuery::BirthDate(date) => repo::registry::by_birth_date(&mut tx, scope, date, status, limit).await?,
        SearchQuery::Email(email) => repo::registry::by_email(&mut tx, scope, &email, status, limit).await?,
        SearchQuery::Identifier { mrn, key, phone } => {
            repo::registry::by_identifier(&mut tx, scope, &mrn, &key, phone.as_deref(), status, limit).await?
        }
        SearchQuery::Names(words) => {
            // Candidates come from the longest word (the most selective);
            // every word must then match for a row to be listed.
            match words.iter().max_by_key(|w| w.chars().count()) {
                None => Vec::new(),
                Some(longest) => {
                    let candidates = repo::registry::name_candidates(&mut tx, scope, longest, status, 100).await?;
                    rank(candidates, &words, search.sort)
                }
            }
        }
    };
    let restricted: Vec<uuid::Uuid> = rows.iter().filter(|r| r.restricted).map(|r| r.id).collect();
    let visible = repo::registry::restricted_access(&mut tx, scope, ctx.membership_id, &restricted, now).await?;
    let items: Vec<PatientListItem> = rows
        .into_iter()
        .map(|row| {
            let shown = !row.restricted || visible.contains_key(&row.id);
            PatientListItem {
                id: PatientId::from_uuid(row.id),
                mrn: row.mrn,
                name: shown.then(|| list_name(&row.family_name, &row.given_name, row.preferred_name.as_deref())),
                date_of_birth: shown.then_some(row.date_of_birth),
                restricted: row.restricted,
                active: row.active,
                inactive_reason: row.inactive_reason,
            }
        })
        .collect();
    let detail = format!("query {:?}, {} results", search.query, items.len());
    audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), Entry::ok("patient.search", "patient", "").detail(detail), now).await?;
    tx.commit().await?;
    Ok(items)
}

/// "Family, Given (Preferred)".
pub(crate) fn list_name(family: &str, given: &str, preferred: Option<&str>) -> String {
    match preferred {
        Some(p) if !p.is_empty() && p != given => format!("{family}, {given} ({p})"),
        _ => format!("{family}, {given}"),
    }
}

/// Keeps the candidates every word matches, best first, then in the
/// chosen order; at most a page.
fn rank(candidates: Vec<ListRow>, words: &[String], sort: PatientSort) -> Vec<ListRow> {
    let mut scored: Vec<(usize, ListRow)> = candidates
        .into_iter()
        .filter_map(|row| {
            let keys = NameKeys::of(&row.given_name, &row.family_name, row.preferred_name.as_deref());
            keys.cost(words).map(|cost| (cost, row))
        })
        .collect();
    scored.sort_by(|(ca, a), (cb, b)| {
        let by_sort = match sort {
            PatientSort::Name => (&a.family_name, &a.given_name).cmp(&(&b.family_name, &b.given_name)),
            PatientSort::BirthDate => a.date_of_birth.cmp(&b.date_of_birth),
            PatientSort::Newest => b.created_at.0.cmp(&a.created_at.0),
        };
        ca.cmp(cb).then(by_sort).then(a.id.cmp(&b.id))
    });
    scored.into_iter().take(PAGE).map(|(_, row)| row).collect()
}

/// Break-glass: a designated user opens a restricted record in an
/// emergency by stating why. Access lasts the clinic's set time, every use
/// is flagged in the audit trail, and the clinic's managers are emailed.
pub async fn break_glass(services: &Services, ctx: &AuthContext, form: &BreakGlassForm) -> Result<PatientView, ServiceError> {
    require(services, ctx, Permission::BreakGlass, "patient.break_glass", &form.patient_id).await?;
    let (patient, reason) = form.parse()?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let Some(row) = repo::patients::get(&mut tx, &ctx.scope, patient).await? else {
        let entry = Entry::denied("patient.break_glass", "patient", patient);
        audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), entry, now).await?;
        tx.commit().await?;
        return Err(ServiceError::NotFound);
    };
    let settings = repo::clinics::security_settings(&mut tx, ctx.scope.clinic_id().as_uuid()).await?;
    let until = DbTime::from(now.0 + chrono::Duration::minutes(i64::from(settings.break_glass_minutes)));
    repo::access::grant(&mut tx, &ctx.scope, patient, ctx.membership_id, &reason, now, until).await?;
    let entry = Entry::ok("patient.break_glass", "patient", row.id).patient(row.id).break_glass(true).detail(&reason);
    audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), entry, now).await?;
    let detail = format!("{} opened restricted record {}", ctx.user_name, row.mrn);
    repo::security_events::record(&mut tx, Some(ctx.user_id.as_uuid()), Some(ctx.scope.clinic_id().as_uuid()), "break_glass", &ctx.client, Some(&detail), now).await?;
    let managers = repo::memberships::managers(&mut tx, &ctx.scope).await?;
    tx.commit().await?;
    // Told after the commit; the audit trail is the record, the email the
    // nudge to review it. No clinical details in email.
    for (_, name, email) in managers {
        let message = Email {
            to: email,
            subject: format!("Emergency access used at {}", ctx.clinic_name),
            body: format!(
                "Hello {name},\n\n{} used emergency (break-glass) access to the restricted record {} at {} UTC.\n\
                 Reason given: {reason}\n\nReview it in Ambula under Audit trail.\n",
                ctx.user_name,
                row.mrn,
                now.0.format("%Y-%m-%d %H:%M")
            ),
        };
        if let Err(error) = services.mailer.send(message).await {
            tracing::warn!(%error, "break-glass notification could not be sent");
        }
    }
    let today = {
        let mut tx = services.db.read_in(&ctx.scope).await?;
        clinic_today(&mut tx, ctx, now).await?
    };
    Ok(PatientView::from_row(row, Some(until), today))
}

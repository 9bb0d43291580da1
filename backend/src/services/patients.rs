//! The patient registry's core (the chart issue extends it): register,
//! read, update and search patients, with restricted records and
//! break-glass access. Every read and write is audited in the same
//! transaction; another clinic's patient is a 404 and an audited denial.

use crate::{
    audit::{self, Actor, Entry},
    db::Tx,
    error::ServiceError,
    mail::Email,
    repo::{self, patients::{PatientRow, PatientUpdate, NewPatient}},
    scope::AuthContext,
    time::DbTime,
    Services,
};
use ambula_domain::{
    patients::{PatientForm, PatientSearchForm},
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
}

impl PatientView {
    fn from_row(row: PatientRow, break_glass_until: Option<DbTime>) -> Self {
        Self {
            id: PatientId::from_uuid(row.id),
            mrn: row.mrn,
            given_name: row.given_name,
            family_name: row.family_name,
            date_of_birth: row.date_of_birth,
            phone: row.phone,
            email: row.email,
            restricted: row.restricted,
            break_glass_until,
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

async fn require(services: &Services, ctx: &AuthContext, permission: Permission, action: &'static str, id: &str) -> Result<(), ServiceError> {
    if ctx.can(permission) {
        return Ok(());
    }
    let patient = parse_id(id).map(|p| p.as_uuid());
    audit::record_denial(services, ctx, action, "patient", id, patient).await?;
    Err(ServiceError::Forbidden)
}

async fn clinic_today(tx: &mut Tx, ctx: &AuthContext, now: DbTime) -> Result<NaiveDate, ServiceError> {
    let clinic = repo::clinics::get(tx, &ctx.scope).await?;
    let tz = TimeZoneName::parse(&clinic.time_zone).map(|t| t.tz()).unwrap_or(chrono_tz::UTC);
    Ok(now.0.with_timezone(&tz).date_naive())
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
    let entry = Entry::ok("patient.read", "patient", row.id).patient(row.id).break_glass(until.is_some());
    audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), entry, now).await?;
    tx.commit().await?;
    Ok(PatientView::from_row(row, until))
}

pub async fn create(services: &Services, ctx: &AuthContext, form: &PatientForm) -> Result<PatientView, ServiceError> {
    require(services, ctx, Permission::EditPatients, "patient.create", "").await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let details = form.parse(clinic_today(&mut tx, ctx, now).await?)?;
    let mrn = repo::patients::next_mrn(&mut tx, &ctx.scope).await?;
    let phone = details.phone.as_deref();
    let email = details.email.as_ref().map(|e| e.as_str());
    let new = NewPatient {
        mrn: &mrn,
        given_name: details.given_name.as_str(),
        family_name: details.family_name.as_str(),
        date_of_birth: details.date_of_birth,
        phone,
        email,
    };
    let id = repo::patients::insert(&mut tx, &ctx.scope, new, now).await?;
    if details.restricted {
        repo::patients::set_restricted(&mut tx, &ctx.scope, id, true).await?;
        // Whoever registers a restricted record keeps access to it.
        repo::access::add_to_care_team(&mut tx, &ctx.scope, id, ctx.membership_id, now).await?;
    }
    let entry = Entry::ok("patient.create", "patient", id).patient(id.as_uuid());
    audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), entry, now).await?;
    let row = repo::patients::get(&mut tx, &ctx.scope, id).await?.ok_or(ServiceError::NotFound)?;
    tx.commit().await?;
    Ok(PatientView::from_row(row, None))
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
    let details = form.parse(clinic_today(&mut tx, ctx, now).await?)?;
    // Only managers may lift or set a restriction; others keep it as it is.
    let restricted = if ctx.can(Permission::ManageStaff) { details.restricted } else { row.restricted };
    let patient = PatientId::from_uuid(row.id);
    let update = PatientUpdate {
        given_name: details.given_name.as_str(),
        family_name: details.family_name.as_str(),
        date_of_birth: details.date_of_birth,
        phone: details.phone.as_deref(),
        email: details.email.as_ref().map(|e| e.as_str()),
        restricted,
    };
    repo::patients::update(&mut tx, &ctx.scope, patient, update, now).await?;
    let entry = Entry::ok("patient.update", "patient", row.id).patient(row.id).break_glass(until.is_some());
    audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), entry, now).await?;
    let row = repo::patients::get(&mut tx, &ctx.scope, patient).await?.ok_or(ServiceError::NotFound)?;
    tx.commit().await?;
    Ok(PatientView::from_row(row, until))
}

pub async fn search(services: &Services, ctx: &AuthContext, form: &PatientSearchForm) -> Result<Vec<PatientListItem>, ServiceError> {
    require(services, ctx, Permission::ViewPatients, "patient.search", "").await?;
    let search = form.parse()?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let rows = repo::patients::search(&mut tx, &ctx.scope, &search.query, search.sort, 200).await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        let visible = matches!(access(&mut tx, ctx, &row, now).await?, Access::Allowed { .. });
        items.push(PatientListItem {
            id: PatientId::from_uuid(row.id),
            mrn: row.mrn,
            name: visible.then(|| format!("{}, {}", row.family_name, row.given_name)),
            date_of_birth: visible.then_some(row.date_of_birth),
            restricted: row.restricted,
        });
    }
    let detail = format!("query {:?}, {} results", search.query, items.len());
    audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), Entry::ok("patient.search", "patient", "").detail(detail), now).await?;
    tx.commit().await?;
    Ok(items)
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
    Ok(PatientView::from_row(row, Some(until)))
}

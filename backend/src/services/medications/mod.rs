//! The chart's medications tab: allergies, medications and prescriptions,
//! immunizations, referrals, and the printed prescription and referral
//! letter. Reading needs `ViewClinical`, writing `EditClinical`, and
//! prescribing or changing a prescription `Prescribe`. The patient is
//! always reached through `patients::load_for` (restricted records,
//! break-glass, another clinic's patient → 404), every read and write is
//! audited in its transaction, and clinical free text is sealed with the
//! clinic's data key, bound to its table, column and row.

pub mod allergies;
pub mod immunizations;
pub mod overview;
pub mod prescriptions;
pub mod printouts;
pub mod referrals;

use crate::{
    audit::{self, Actor, Entry},
    db::Tx,
    envelope::{Field, KeyOwner},
    error::ServiceError,
    repo::{self, patients::PatientRow},
    scope::AuthContext,
    time::DbTime,
    Services,
};
use ambula_domain::{Permission, TimeZoneName};
use chrono::NaiveDate;
use uuid::Uuid;

/// A write transaction, and the patient the caller may act on.
pub(crate) struct Opened {
    pub tx: Tx,
    pub patient: PatientRow,
    /// Reached through break-glass access (flagged in the audit entries).
    pub break_glass: bool,
    pub now: DbTime,
}

impl Opened {
    pub fn patient_id(&self) -> ambula_domain::PatientId {
        ambula_domain::PatientId::from_uuid(self.patient.id)
    }

    /// Appends an audit entry about this patient.
    pub async fn audit(&mut self, ctx: &AuthContext, action: &'static str, entity: &'static str, id: impl ToString, detail: Option<String>) -> Result<(), ServiceError> {
        let mut entry = Entry::ok(action, entity, id).patient(self.patient.id).break_glass(self.break_glass);
        entry.detail = detail;
        audit::record(&mut self.tx, &ctx.scope, &Actor::from(ctx), entry, self.now).await
    }

    pub async fn commit(self) -> Result<(), ServiceError> {
        Ok(self.tx.commit().await?)
    }
}

/// Refuses (and audits the refusal) unless the role has `permission`.
pub(crate) async fn permit(
    services: &Services,
    ctx: &AuthContext,
    permission: Permission,
    action: &'static str,
    entity: &'static str,
    id: &str,
) -> Result<(), ServiceError> {
    if ctx.can(permission) {
        return Ok(());
    }
    let patient = (entity == "patient").then(|| ambula_domain::parse_uuid(id).ok()).flatten();
    audit::record_denial(services, ctx, action, entity, id, patient).await?;
    Err(ServiceError::Forbidden)
}

/// Opens a transaction on the patient `raw_patient`, or returns the
/// recorded denial (404 / restricted) after committing it.
pub(crate) async fn open_patient(services: &Services, ctx: &AuthContext, raw_patient: &str, action: &'static str) -> Result<Opened, ServiceError> {
    let now = services.now();
    let tx = services.db.write_in(&ctx.scope).await?;
    open_in(tx, ctx, raw_patient, action, now).await
}

/// The same, inside a transaction already open (the record was found by
/// its own id first).
pub(crate) async fn open_in(mut tx: Tx, ctx: &AuthContext, raw_patient: &str, action: &'static str, now: DbTime) -> Result<Opened, ServiceError> {
    match super::patients::load_for(&mut tx, ctx, raw_patient, action, now).await? {
        Ok((patient, until)) => Ok(Opened { tx, patient, break_glass: until.is_some(), now }),
        Err(denied) => {
            tx.commit().await?;
            Err(denied)
        }
    }
}

/// An id that is not this clinic's (or not an id at all): the attempt is
/// in the audit trail and the answer is 404, as for one that never existed.
pub(crate) async fn not_found<T>(mut tx: Tx, ctx: &AuthContext, action: &'static str, entity: &'static str, raw: &str, now: DbTime) -> Result<T, ServiceError> {
    audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), Entry::denied(action, entity, raw.trim()), now).await?;
    tx.commit().await?;
    Err(ServiceError::NotFound)
}

pub(crate) fn parse_id<T>(raw: &str) -> Option<ambula_domain::Id<T>> {
    raw.trim().parse().ok()
}

/// Seals clinical text for one column of one row.
pub(crate) async fn seal(
    services: &Services,
    o: &mut Opened,
    ctx: &AuthContext,
    table: &str,
    column: &str,
    row: Uuid,
    text: &str,
) -> Result<Vec<u8>, ServiceError> {
    let row = row.to_string();
    Ok(services.keys.encrypt(&mut o.tx, KeyOwner::clinic(&ctx.scope), Field { table, column, row: &row }, text.as_bytes(), o.now).await?)
}

pub(crate) async fn unseal(services: &Services, tx: &mut Tx, ctx: &AuthContext, table: &str, column: &str, row: Uuid, sealed: &[u8]) -> Result<String, ServiceError> {
    let row = row.to_string();
    let plain = services.keys.decrypt(tx, KeyOwner::clinic(&ctx.scope), Field { table, column, row: &row }, sealed).await?;
    String::from_utf8(plain.to_vec()).map_err(|_| ServiceError::Internal(format!("{table}.{column} of {row} is not text")))
}

pub(crate) async fn unseal_opt(services: &Services, tx: &mut Tx, ctx: &AuthContext, table: &str, column: &str, row: Uuid, sealed: Option<&[u8]>) -> Result<Option<String>, ServiceError> {
    match sealed {
        Some(bytes) => unseal(services, tx, ctx, table, column, row, bytes).await.map(Some),
        None => Ok(None),
    }
}

/// Today in the clinic's time zone (dates typed on forms are the clinic's).
pub(crate) async fn clinic_today(tx: &mut Tx, ctx: &AuthContext, now: DbTime) -> Result<NaiveDate, ServiceError> {
    let clinic = repo::clinics::get(tx, &ctx.scope).await?;
    let tz = TimeZoneName::parse(&clinic.time_zone).map(|t| t.tz()).unwrap_or(chrono_tz::UTC);
    Ok(now.0.with_timezone(&tz).date_naive())
}

//! The clinical chart's use cases: encounters and SOAP notes (`notes`),
//! note templates (`templates`), the problem list and history
//! (`problems`), the timeline (`timeline`) and the printable summary
//! (`summary`).
//!
//! Rules shared by all of them: `ViewClinical` to read, `EditClinical` to
//! write (a denial is audited); the patient is opened through
//! `patients::load_for` (restricted records, break-glass, another clinic's
//! patient → 404); clinical free text is sealed with the clinic's data key,
//! bound to its table, column and row; every read and write of PHI is
//! audited in the transaction that does it.

pub mod notes;
pub mod opening;
pub mod problems;
pub mod summary;
pub mod templates;
pub mod timeline;

use crate::{
    audit,
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
use chrono_tz::Tz;

/// Checks a permission; a refusal is recorded (with the patient, when the
/// id names one) and is a 403.
pub(crate) async fn require(
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
    audit::record_denial(services, ctx, action, entity, id, None).await?;
    Err(ServiceError::Forbidden)
}

/// The patient the caller may act on. A denial is already in `tx`: it is
/// committed here before the error is returned, so the trail keeps it.
pub(crate) async fn open_patient(
    tx: Tx,
    ctx: &AuthContext,
    raw_id: &str,
    action: &'static str,
    now: DbTime,
) -> Result<(Tx, PatientRow, bool), ServiceError> {
    let mut tx = tx;
    match super::patients::load_for(&mut tx, ctx, raw_id, action, now).await? {
        Ok((row, until)) => Ok((tx, row, until.is_some())),
        Err(denied) => {
            tx.commit().await?;
            Err(denied)
        }
    }
}

/// Records that `raw_id` (of `entity`) was not found in this clinic, and
/// answers 404. Another clinic's id and a made-up one look the same.
pub(crate) async fn not_found(mut tx: Tx, ctx: &AuthContext, action: &'static str, entity: &'static str, raw_id: &str, now: DbTime) -> ServiceError {
    let entry = audit::Entry::denied(action, entity, raw_id);
    let recorded = audit::record(&mut tx, &ctx.scope, &audit::Actor::from(ctx), entry, now).await;
    match recorded {
        Ok(()) => match tx.commit().await {
            Ok(()) => ServiceError::NotFound,
            Err(e) => e.into(),
        },
        Err(e) => e,
    }
}

/// Seals clinical text under the clinic's data key, bound to its place.
pub(crate) async fn seal(
    services: &Services,
    tx: &mut Tx,
    ctx: &AuthContext,
    table: &str,
    column: &str,
    row: &str,
    text: &str,
    now: DbTime,
) -> Result<Vec<u8>, ServiceError> {
    Ok(services.keys.encrypt(tx, KeyOwner::clinic(&ctx.scope), Field { table, column, row }, text.as_bytes(), now).await?)
}

/// Opens what [`seal`] sealed.
pub(crate) async fn open(
    services: &Services,
    tx: &mut Tx,
    ctx: &AuthContext,
    table: &str,
    column: &str,
    row: &str,
    sealed: &[u8],
) -> Result<String, ServiceError> {
    let plain = services.keys.decrypt(tx, KeyOwner::clinic(&ctx.scope), Field { table, column, row }, sealed).await?;
    String::from_utf8(plain.to_vec()).map_err(|_| ServiceError::Internal(format!("{table}.{column} of {row} is not text")))
}

/// The clinic's time zone.
pub(crate) async fn clinic_tz(tx: &mut Tx, ctx: &AuthContext) -> Result<Tz, ServiceError> {
    let clinic = repo::clinics::get(tx, &ctx.scope).await?;
    Ok(TimeZoneName::parse(&clinic.time_zone).map(|t| t.tz()).unwrap_or(chrono_tz::UTC))
}

/// Today in the clinic's zone.
pub(crate) fn today_in(tz: Tz, now: DbTime) -> NaiveDate {
    now.0.with_timezone(&tz).date_naive()
}

/// A UTC instant as the clinic's wall-clock time, e.g. `2026-11-24 09:30`.
pub fn local_text(at: DbTime, tz: Tz) -> String {
    at.0.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
}

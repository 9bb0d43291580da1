//! Repositories: one module per table family, plain SQL written once for
//! both backends. Functions on clinic-owned tables take a `ClinicScope` and
//! always filter by its clinic id.

pub mod access;
pub mod allergies;
pub mod appointment_types;
pub mod appointments;
pub mod calendar_feeds;
pub mod clinics;
pub mod immunizations;
pub mod invites;
pub mod invoices;
pub mod login_throttle;
pub mod medications;
pub mod memberships;
pub mod password_resets;
pub mod patients;
pub mod practitioners;
pub mod referrals;
pub mod reminders;
pub mod rooms;
pub mod schedule;
pub mod security_events;
pub mod signup_requests;
pub mod series;
pub mod sessions;
pub mod users;
pub mod waitlist;
pub mod registry;
pub mod encounters;
pub mod clinical_notes;
pub mod note_templates;
pub mod problems;
pub mod history;
pub mod vitals;
pub mod lab_results;
pub mod fee_services;
pub mod payments;
pub mod payers;
pub mod packages;
pub mod insurance;

use crate::error::ServiceError;
use ambula_domain::Role;

pub(crate) fn role_from_db(raw: &str) -> Result<Role, ServiceError> {
    Role::parse(raw).map_err(|_| ServiceError::Internal(format!("unknown role {raw:?} in database")))
}

/// Maps a UNIQUE violation to a field error (the value is taken), whichever
/// concurrent request won the race; any other error stays an error.
pub(crate) fn unique_as_field<T>(result: Result<T, sqlx::Error>, field: &str, message: &str) -> Result<T, ServiceError> {
    match result {
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(ServiceError::field(field, message)),
        other => Ok(other?),
    }
}

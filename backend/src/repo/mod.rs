//! Repositories: one module per table family, plain SQL written once for
//! both backends. Functions on clinic-owned tables take a `ClinicScope` and
//! always filter by its clinic id.

pub mod appointments;
pub mod clinics;
pub mod invites;
pub mod invoices;
pub mod memberships;
pub mod patients;
pub mod practitioners;
pub mod sessions;
pub mod users;

use crate::error::ServiceError;
use ambula_domain::Role;

pub(crate) fn role_from_db(raw: &str) -> Result<Role, ServiceError> {
    Role::parse(raw).map_err(|_| ServiceError::Internal(format!("unknown role {raw:?} in database")))
}

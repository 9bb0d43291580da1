//! The clinic scope: proof that the caller may touch one clinic's data.

use crate::services::ClientInfo;
use ambula_domain::{ClinicId, EmailAddress, MembershipId, Permission, Role, UserId};
use uuid::Uuid;

/// Every repository function on clinic-owned data takes one of these and
/// filters by its clinic id; `Db::write_in`/`read_in` also bind the
/// transaction to it for PostgreSQL's row-level security. Its constructor is
/// private to this crate: the only ways to get one are a verified session
/// ([`crate::services::auth`]), creating a clinic, or an operator command.
/// A server function cannot conjure another clinic's scope from a request
/// parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClinicScope {
    clinic_id: ClinicId,
}

impl ClinicScope {
    pub(crate) fn new(clinic_id: ClinicId) -> Self {
        Self { clinic_id }
    }

    pub fn clinic_id(&self) -> ClinicId {
        self.clinic_id
    }
}

/// Who is making the request, resolved from a fully signed-in session.
#[derive(Debug, Clone)]
pub struct AuthContext {
    pub user_id: UserId,
    pub user_name: String,
    pub email: EmailAddress,
    pub membership_id: MembershipId,
    pub role: Role,
    pub clinic_name: String,
    pub scope: ClinicScope,
    /// The session's public handle (the sessions page marks "this device").
    pub session: Uuid,
    /// This clinic's automatic logoff.
    pub idle_timeout_minutes: u32,
    pub mfa_enabled: bool,
    /// Where the request came from; recorded in audit entries.
    pub client: ClientInfo,
}

impl AuthContext {
    pub fn can(&self, permission: Permission) -> bool {
        self.role.can(permission)
    }

    pub fn require(&self, permission: Permission) -> Result<(), crate::ServiceError> {
        if self.can(permission) {
            Ok(())
        } else {
            Err(crate::ServiceError::Forbidden)
        }
    }
}

//! The clinic scope: proof that the caller may touch one clinic's data.

use ambula_domain::{ClinicId, EmailAddress, MembershipId, Role, UserId};

/// Every repository function on clinic-owned data takes one of these and
/// filters by its clinic id. Its constructor is private to this crate: the
/// only ways to get one are a verified session ([`crate::services::auth`]),
/// creating a clinic, or an operator command. A server function cannot
/// conjure another clinic's scope from a request parameter.
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

/// Who is making the request, resolved from the session cookie.
#[derive(Debug, Clone)]
pub struct AuthContext {
    pub user_id: UserId,
    pub user_name: String,
    pub email: EmailAddress,
    pub membership_id: MembershipId,
    pub role: Role,
    pub clinic_name: String,
    pub scope: ClinicScope,
}

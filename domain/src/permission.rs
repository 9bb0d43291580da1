//! The permission matrix: what each role may do, in one place. Services ask
//! `role.can(Permission::…)`; the settings page and docs/security.md render
//! this same table.

use crate::role::Role;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    ViewPatients,
    EditPatients,
    ViewClinical,
    EditClinical,
    /// Prescribe, change and print prescriptions. Owner and practitioner:
    /// nurses record medications a patient takes but do not prescribe.
    Prescribe,
    Schedule,
    /// Book over a clash, outside working hours or in time off, with a
    /// reason that is audited. Owner, administrator and front desk: the
    /// people who run the calendar. Practitioners and nurses ask them, so
    /// one person cannot quietly overbook their own list.
    OverrideSchedule,
    ViewBilling,
    ManageBilling,
    ManageStaff,
    ManageClinic,
    ViewAudit,
    ExportData,
    BreakGlass,
}

impl Permission {
    pub const ALL: [Permission; 14] = [
        Permission::ViewPatients,
        Permission::EditPatients,
        Permission::ViewClinical,
        Permission::EditClinical,
        Permission::Prescribe,
        Permission::Schedule,
        Permission::OverrideSchedule,
        Permission::ViewBilling,
        Permission::ManageBilling,
        Permission::ManageStaff,
        Permission::ManageClinic,
        Permission::ViewAudit,
        Permission::ExportData,
        Permission::BreakGlass,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Permission::ViewPatients => "See patient list and demographics",
            Permission::EditPatients => "Register and edit patients",
            Permission::ViewClinical => "Read clinical records",
            Permission::EditClinical => "Write clinical records",
            Permission::Prescribe => "Prescribe medications",
            Permission::Schedule => "Book and change appointments",
            Permission::OverrideSchedule => "Book over clashes and outside working hours",
            Permission::ViewBilling => "See invoices and balances",
            Permission::ManageBilling => "Issue, void and refund invoices",
            Permission::ManageStaff => "Invite staff, change roles, deactivate",
            Permission::ManageClinic => "Change clinic and security settings",
            Permission::ViewAudit => "Read the audit trail and security events",
            Permission::ExportData => "Export data",
            Permission::BreakGlass => "Emergency access to restricted records",
        }
    }
}

use Permission as P;

/// The matrix. Least privilege: administrators run the clinic but do not
/// read clinical notes; front desk books and registers; billing bills.
const fn grants(role: Role) -> &'static [Permission] {
    match role {
        Role::Owner => &[
            P::ViewPatients, P::EditPatients, P::ViewClinical, P::EditClinical, P::Prescribe, P::Schedule,
            P::OverrideSchedule, P::ViewBilling, P::ManageBilling, P::ManageStaff, P::ManageClinic, P::ViewAudit, P::ExportData,
            P::BreakGlass,
        ],
        Role::Admin => &[
            P::ViewPatients, P::EditPatients, P::Schedule, P::OverrideSchedule, P::ViewBilling, P::ManageBilling,
            P::ManageStaff, P::ManageClinic, P::ViewAudit, P::ExportData,
        ],
        Role::Practitioner => &[
            P::ViewPatients, P::EditPatients, P::ViewClinical, P::EditClinical, P::Prescribe, P::Schedule, P::BreakGlass,
        ],
        Role::Nurse => &[P::ViewPatients, P::EditPatients, P::ViewClinical, P::EditClinical, P::Schedule, P::BreakGlass],
        Role::FrontDesk => &[P::ViewPatients, P::EditPatients, P::Schedule, P::OverrideSchedule, P::ViewBilling],
        Role::Billing => &[P::ViewPatients, P::ViewBilling, P::ManageBilling],
        // Patients use the portal, which checks ownership of each record.
        Role::Patient => &[],
    }
}

impl Role {
    pub fn can(self, permission: Permission) -> bool {
        grants(self).contains(&permission)
    }

    pub const STAFF: [Role; 6] = [Role::Owner, Role::Admin, Role::Practitioner, Role::Nurse, Role::FrontDesk, Role::Billing];
}

/// The matrix as a Markdown table (docs/security.md embeds it; a test keeps
/// the two identical).
pub fn matrix_markdown() -> String {
    let mut out = String::from("| Permission |");
    for role in Role::STAFF {
        out.push_str(&format!(" {} |", role.label()));
    }
    out.push_str("\n|---|");
    for _ in Role::STAFF {
        out.push_str(":---:|");
    }
    out.push('\n');
    for permission in Permission::ALL {
        out.push_str(&format!("| {} |", permission.label()));
        for role in Role::STAFF {
            out.push_str(if role.can(permission) { " ✓ |" } else { " – |" });
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_can_do_everything_and_patients_nothing_on_the_staff_side() {
        for permission in Permission::ALL {
            assert!(Role::Owner.can(permission), "{permission:?}");
            assert!(!Role::Patient.can(permission), "{permission:?}");
        }
    }

    #[test]
    fn least_privilege_holds() {
        assert!(!Role::Admin.can(Permission::ViewClinical));
        assert!(!Role::FrontDesk.can(Permission::ViewClinical));
        assert!(!Role::Billing.can(Permission::EditPatients));
        assert!(!Role::FrontDesk.can(Permission::ManageBilling));
        assert!(!Role::Practitioner.can(Permission::ManageStaff));
        assert!(!Role::Nurse.can(Permission::ViewAudit));
        assert!(!Role::Practitioner.can(Permission::OverrideSchedule));
        assert!(!Role::Nurse.can(Permission::OverrideSchedule));
        assert!(Role::FrontDesk.can(Permission::OverrideSchedule));
        assert!(Role::Practitioner.can(Permission::Prescribe));
        assert!(!Role::Nurse.can(Permission::Prescribe));
        assert!(!Role::Admin.can(Permission::Prescribe));
    }

    #[test]
    fn the_documented_matrix_is_this_one() {
        let docs = include_str!("../../docs/security.md");
        assert!(docs.contains(&matrix_markdown()), "docs/security.md must embed:\n{}", matrix_markdown());
    }
}

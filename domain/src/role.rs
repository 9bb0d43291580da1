//! Staff and patient roles. What each role may do is decided in one place on
//! the server (the permission matrix of the trust layer); this is the name.

use crate::errors::ParseError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Owner,
    Admin,
    Practitioner,
    Nurse,
    FrontDesk,
    Billing,
    Patient,
}

impl Role {
    /// Roles that can be given to staff through an invitation. Owner is given
    /// only at sign-up; patients join through the portal.
    pub const INVITABLE: [Role; 5] = [
        Role::Admin,
        Role::Practitioner,
        Role::Nurse,
        Role::FrontDesk,
        Role::Billing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Practitioner => "practitioner",
            Role::Nurse => "nurse",
            Role::FrontDesk => "front_desk",
            Role::Billing => "billing",
            Role::Patient => "patient",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::Admin => "Administrator",
            Role::Practitioner => "Practitioner",
            Role::Nurse => "Nurse",
            Role::FrontDesk => "Front desk",
            Role::Billing => "Billing",
            Role::Patient => "Patient",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        Ok(match raw.trim() {
            "owner" => Role::Owner,
            "admin" => Role::Admin,
            "practitioner" => Role::Practitioner,
            "nurse" => Role::Nurse,
            "front_desk" => Role::FrontDesk,
            "billing" => Role::Billing,
            "patient" => Role::Patient,
            _ => return Err(ParseError::new("Choose a role from the list.")),
        })
    }

    /// Who may manage the clinic's profile and staff.
    pub fn manages_clinic(self) -> bool {
        self.can(crate::Permission::ManageStaff)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip() {
        for role in [Role::Owner, Role::Admin, Role::Practitioner, Role::Nurse, Role::FrontDesk, Role::Billing, Role::Patient] {
            assert_eq!(Role::parse(role.as_str()).unwrap(), role);
        }
        assert!(Role::parse("superuser").is_err());
    }
}

//! Forms of the trust layer: MFA codes, password change and reset, clinic
//! security settings, staff management and break-glass.

use crate::{
    accounts::ticked,
    errors::{FieldErrors, ParseError},
    EmailAddress, MembershipId, Password, PatientId, Role,
};
use serde::{Deserialize, Serialize};

/// A code typed at the MFA step: six digits from the app, or a recovery
/// code (16 letters and digits, dashes optional).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MfaCodeForm {
    pub code: String,
}

#[derive(Debug, Clone)]
pub struct MfaCode(String);

impl MfaCode {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_recovery_code(&self) -> bool {
        self.0.len() != 6
    }
}

impl MfaCodeForm {
    pub fn parse(&self) -> Result<MfaCode, FieldErrors> {
        let code: String = self.code.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
        let valid = (code.len() == 6 && code.chars().all(|c| c.is_ascii_digit()))
            || (code.len() == 16 && code.chars().all(|c| c.is_ascii_alphanumeric()));
        if code.is_empty() {
            Err(FieldErrors::single("code", "Enter the 6-digit code from your authenticator app."))
        } else if !valid {
            Err(FieldErrors::single(
                "code",
                "Enter the 6-digit code from your app, or one of your 16-character recovery codes.",
            ))
        } else {
            Ok(MfaCode(code))
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ChangePasswordForm {
    pub current_password: String,
    pub new_password: String,
}

#[derive(Debug, Clone)]
pub struct PasswordChange {
    pub current: String,
    pub new: Password,
}

impl ChangePasswordForm {
    pub fn parse(&self) -> Result<PasswordChange, FieldErrors> {
        let mut errors = FieldErrors::new();
        if self.current_password.is_empty() {
            errors.add("current_password", "Enter your current password.");
        } else if self.current_password.chars().count() > Password::MAX_CHARS {
            errors.add("current_password", "That is not your current password.");
        }
        let new = errors.check("new_password", Password::parse(&self.new_password));
        if new.is_some() && self.new_password == self.current_password {
            errors.add("new_password", "Choose a password different from the current one.");
        }
        match new {
            Some(new) if errors.is_empty() => Ok(PasswordChange { current: self.current_password.clone(), new }),
            _ => Err(errors),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ResetRequestForm {
    pub email: String,
}

impl ResetRequestForm {
    pub fn parse(&self) -> Result<EmailAddress, FieldErrors> {
        EmailAddress::parse(&self.email).map_err(|e| FieldErrors::single("email", e.0))
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ResetPasswordForm {
    pub token: String,
    pub password: String,
}

#[derive(Debug, Clone)]
pub struct PasswordReset {
    pub token: String,
    pub password: Password,
}

impl ResetPasswordForm {
    pub fn parse(&self) -> Result<PasswordReset, FieldErrors> {
        let mut errors = FieldErrors::new();
        let token = self.token.trim();
        if token.is_empty() || token.len() > 128 {
            errors.add("password", "This reset link is not valid. Ask for a new one.");
        }
        let password = errors.check("password", Password::parse(&self.password));
        match password {
            Some(password) if errors.is_empty() => Ok(PasswordReset { token: token.to_owned(), password }),
            _ => Err(errors),
        }
    }
}

/// The clinic's security settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SecuritySettingsForm {
    #[serde(default)]
    pub require_mfa: Option<String>,
    pub idle_timeout_minutes: String,
    pub break_glass_minutes: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecuritySettings {
    pub require_mfa: bool,
    pub idle_timeout_minutes: u32,
    pub break_glass_minutes: u32,
}

fn minutes(raw: &str, min: u32, max: u32) -> Result<u32, ParseError> {
    match raw.trim().parse::<u32>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(ParseError::new(format!("Enter a whole number of minutes from {min} to {max}."))),
    }
}

impl SecuritySettingsForm {
    pub const IDLE_RANGE: (u32, u32) = (2, 60);
    pub const BREAK_GLASS_RANGE: (u32, u32) = (5, 720);

    pub fn parse(&self) -> Result<SecuritySettings, FieldErrors> {
        let mut errors = FieldErrors::new();
        let (lo, hi) = Self::IDLE_RANGE;
        let idle = errors.check("idle_timeout_minutes", minutes(&self.idle_timeout_minutes, lo, hi));
        let (lo, hi) = Self::BREAK_GLASS_RANGE;
        let glass = errors.check("break_glass_minutes", minutes(&self.break_glass_minutes, lo, hi));
        match (idle, glass) {
            (Some(idle_timeout_minutes), Some(break_glass_minutes)) => Ok(SecuritySettings {
                require_mfa: ticked(&self.require_mfa),
                idle_timeout_minutes,
                break_glass_minutes,
            }),
            _ => Err(errors),
        }
    }
}

fn membership(raw: &str) -> Result<MembershipId, ParseError> {
    raw.trim().parse().map_err(|_| ParseError::new("Choose a staff member from the list."))
}

/// Change a staff member's role.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RoleChangeForm {
    pub membership_id: String,
    pub role: String,
}

impl RoleChangeForm {
    pub fn parse(&self) -> Result<(MembershipId, Role), FieldErrors> {
        let mut errors = FieldErrors::new();
        let id = errors.check("membership_id", membership(&self.membership_id));
        let role = errors.check(
            "role",
            Role::parse(&self.role).and_then(|role| {
                if Role::INVITABLE.contains(&role) {
                    Ok(role)
                } else {
                    Err(ParseError::new("Choose a staff role from the list."))
                }
            }),
        );
        match (id, role) {
            (Some(id), Some(role)) => Ok((id, role)),
            _ => Err(errors),
        }
    }
}

/// Deactivate, reactivate or reset the MFA of a staff member.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MemberForm {
    pub membership_id: String,
}

impl MemberForm {
    pub fn parse(&self) -> Result<MembershipId, FieldErrors> {
        membership(&self.membership_id).map_err(|e| FieldErrors::single("membership_id", e.0))
    }
}

/// Emergency access to a restricted record.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BreakGlassForm {
    pub patient_id: String,
    pub reason: String,
}

impl BreakGlassForm {
    pub const MIN_REASON: usize = 10;
    pub const MAX_REASON: usize = 500;

    pub fn parse(&self) -> Result<(PatientId, String), FieldErrors> {
        let mut errors = FieldErrors::new();
        let id = errors.check(
            "patient_id",
            self.patient_id.trim().parse::<PatientId>().map_err(|_| ParseError::new("Unknown patient.")),
        );
        let reason = self.reason.trim();
        let chars = reason.chars().count();
        if chars < Self::MIN_REASON {
            errors.add("reason", "Say why you need this record now (at least a short sentence). It is reviewed.");
        } else if chars > Self::MAX_REASON {
            errors.add("reason", format!("Keep the reason under {} characters.", Self::MAX_REASON));
        } else if reason.chars().any(|c| c.is_control() && c != '\n') {
            errors.add("reason", "Remove control characters from the reason.");
        }
        match id {
            Some(id) if errors.is_empty() => Ok((id, reason.to_owned())),
            _ => Err(errors),
        }
    }
}

/// The audit viewer's filters, as typed in the page or the CSV link.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AuditFilterForm {
    #[serde(default)]
    pub user: String,
    #[serde(default)]
    pub patient: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub until: String,
    #[serde(default)]
    pub sort: String,
    #[serde(default)]
    pub page: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuditSort {
    #[default]
    Newest,
    Oldest,
    Actor,
    Action,
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub user: Option<uuid::Uuid>,
    pub patient: Option<uuid::Uuid>,
    pub action: Option<String>,
    /// Local dates in the clinic's time zone, `until` inclusive.
    pub from: Option<chrono::NaiveDate>,
    pub until: Option<chrono::NaiveDate>,
    pub sort: AuditSort,
    pub page: u32,
}

impl AuditFilterForm {
    pub fn parse(&self) -> Result<AuditFilter, FieldErrors> {
        let mut errors = FieldErrors::new();
        let id = |raw: &str| -> Result<Option<uuid::Uuid>, ParseError> {
            let raw = raw.trim();
            if raw.is_empty() {
                Ok(None)
            } else {
                crate::ids::parse_uuid(raw).map(Some).map_err(|_| ParseError::new("Choose from the list."))
            }
        };
        let date = |raw: &str| -> Result<Option<chrono::NaiveDate>, ParseError> {
            if raw.trim().is_empty() {
                Ok(None)
            } else {
                crate::patients::parse_date(raw).map(Some)
            }
        };
        let user = errors.check("user", id(&self.user)).flatten();
        let patient = errors.check("patient", id(&self.patient)).flatten();
        let action = self.action.trim();
        let action = if action.is_empty() {
            None
        } else if action.len() <= 64 && action.chars().all(|c| c.is_ascii_lowercase() || c == '.' || c == '_') {
            Some(action.to_owned())
        } else {
            errors.add("action", "Choose an action from the list.");
            None
        };
        let from = errors.check("from", date(&self.from)).flatten();
        let until = errors.check("until", date(&self.until)).flatten();
        if let (Some(from), Some(until)) = (from, until) {
            if until < from {
                errors.add("until", "The end date is before the start date.");
            }
        }
        let sort = match self.sort.trim() {
            "" | "newest" => AuditSort::Newest,
            "oldest" => AuditSort::Oldest,
            "actor" => AuditSort::Actor,
            "action" => AuditSort::Action,
            _ => {
                errors.add("sort", "Sort by newest, oldest, person or action.");
                AuditSort::Newest
            }
        };
        let page = match self.page.trim() {
            "" => 0,
            raw => match raw.parse::<u32>() {
                Ok(n) if n <= 100_000 => n,
                _ => {
                    errors.add("page", "Not a page number.");
                    0
                }
            },
        };
        errors.into_result(|| AuditFilter { user, patient, action, from, until, sort, page })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mfa_codes() {
        assert!(MfaCodeForm { code: " 123 456 ".into() }.parse().is_ok());
        assert!(!MfaCodeForm { code: "123456".into() }.parse().unwrap().is_recovery_code());
        assert!(MfaCodeForm { code: "abcd-efgh-2345-6789".into() }.parse().unwrap().is_recovery_code());
        assert!(MfaCodeForm { code: "12345".into() }.parse().is_err());
        assert!(MfaCodeForm { code: "' OR 1=1--".into() }.parse().is_err());
        assert!(MfaCodeForm { code: "".into() }.parse().is_err());
    }

    #[test]
    fn settings_ranges_are_enforced_per_field() {
        let form = |idle: &str, glass: &str| SecuritySettingsForm {
            require_mfa: Some("on".into()),
            idle_timeout_minutes: idle.into(),
            break_glass_minutes: glass.into(),
        };
        assert_eq!(
            form("15", "60").parse().unwrap(),
            SecuritySettings { require_mfa: true, idle_timeout_minutes: 15, break_glass_minutes: 60 }
        );
        let errors = form("0", "100000").parse().unwrap_err();
        assert!(errors.get("idle_timeout_minutes").is_some() && errors.get("break_glass_minutes").is_some());
        assert!(form("15.5", "60").parse().is_err());
    }

    #[test]
    fn break_glass_needs_a_real_reason() {
        let id = "0190f0f0-0000-7000-8000-000000000000";
        assert!(BreakGlassForm { patient_id: id.into(), reason: "unconscious in ER, need allergies".into() }.parse().is_ok());
        let errors = BreakGlassForm { patient_id: "x".into(), reason: "".into() }.parse().unwrap_err();
        assert!(errors.get("patient_id").is_some() && errors.get("reason").is_some());
    }

    #[test]
    fn audit_filters_refuse_sql_and_bad_dates() {
        let bad = AuditFilterForm {
            user: "' OR 1=1--".into(),
            action: "x; DROP TABLE audit_events".into(),
            from: "2024-02-30".into(),
            sort: "(SELECT 1)".into(),
            page: "-1".into(),
            ..Default::default()
        };
        let errors = bad.parse().unwrap_err();
        for field in ["user", "action", "from", "sort", "page"] {
            assert!(errors.get(field).is_some(), "{field}");
        }
        let reversed = AuditFilterForm { from: "2026-02-02".into(), until: "2026-02-01".into(), ..Default::default() };
        assert!(reversed.parse().unwrap_err().get("until").is_some());
        assert!(AuditFilterForm::default().parse().is_ok());
    }

    #[test]
    fn owner_cannot_be_given_by_role_change() {
        let id = "0190f0f0-0000-7000-8000-000000000000";
        assert!(RoleChangeForm { membership_id: id.into(), role: "owner".into() }.parse().is_err());
        assert!(RoleChangeForm { membership_id: id.into(), role: "nurse".into() }.parse().is_ok());
    }
}

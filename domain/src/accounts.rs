//! Account forms: the raw input as it arrives from a browser form, and the
//! parsed command the server acts on. `parse` collects an error per field in
//! one pass, so the user can fix everything at once.

use crate::{
    errors::{has_forbidden_chars, FieldErrors, ParseError},
    ClinicName, EmailAddress, Password, PersonName, Role, TimeZoneName,
};
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

/// Raw sign-up form. Field names are the form's `name` attributes.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SignupForm {
    pub clinic_name: String,
    pub time_zone: String,
    pub owner_name: String,
    pub email: String,
    pub password: String,
    /// A checkbox: present ("on"/"true") when ticked, absent otherwise.
    #[serde(default)]
    pub confirm_adult: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Signup {
    pub clinic_name: ClinicName,
    pub time_zone: TimeZoneName,
    pub owner_name: PersonName,
    pub email: EmailAddress,
    pub password: Password,
}

pub(crate) fn ticked(value: &Option<String>) -> bool {
    matches!(value.as_deref().map(str::trim), Some("on" | "true" | "yes" | "1"))
}

impl SignupForm {
    pub fn parse(&self) -> Result<Signup, FieldErrors> {
        let mut errors = FieldErrors::new();
        let clinic_name = errors.check("clinic_name", ClinicName::parse(&self.clinic_name));
        let time_zone = errors.check("time_zone", TimeZoneName::parse(&self.time_zone));
        let owner_name = errors.check("owner_name", PersonName::parse(&self.owner_name));
        let email = errors.check("email", EmailAddress::parse(&self.email));
        let password = errors.check("password", Password::parse(&self.password));
        if !ticked(&self.confirm_adult) {
            // The policies promise: no accounts for people under 18.
            errors.add("confirm_adult", "Confirm that you are 18 or older to open an account.");
        }
        match (clinic_name, time_zone, owner_name, email, password) {
            (Some(clinic_name), Some(time_zone), Some(owner_name), Some(email), Some(password))
                if errors.is_empty() =>
            {
                Ok(Signup { clinic_name, time_zone, owner_name, email, password })
            }
            _ => Err(errors),
        }
    }
}

/// Sign-in form. The password is not checked against the policy here: an
/// account created under an older policy must still be able to sign in.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LoginForm {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Clone)]
pub struct Login {
    pub email: EmailAddress,
    pub password: String,
}

impl LoginForm {
    pub fn parse(&self) -> Result<Login, FieldErrors> {
        let mut errors = FieldErrors::new();
        let email = errors.check("email", EmailAddress::parse(&self.email));
        if self.password.is_empty() {
            errors.add("password", "Enter your password.");
        } else if self.password.chars().count() > Password::MAX_CHARS {
            errors.add("password", "That password is longer than any we accept.");
        }
        match email {
            Some(email) if errors.is_empty() => Ok(Login { email, password: self.password.clone() }),
            _ => Err(errors),
        }
    }
}

/// An owner or admin invites a staff member by email.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct InviteForm {
    pub email: String,
    pub role: String,
}

#[derive(Debug, Clone)]
pub struct Invite {
    pub email: EmailAddress,
    pub role: Role,
}

impl InviteForm {
    pub fn parse(&self) -> Result<Invite, FieldErrors> {
        let mut errors = FieldErrors::new();
        let email = errors.check("email", EmailAddress::parse(&self.email));
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
        match (email, role) {
            (Some(email), Some(role)) => Ok(Invite { email, role }),
            _ => Err(errors),
        }
    }
}

/// The invited person chooses their name and password.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AcceptInviteForm {
    pub token: String,
    pub name: String,
    pub password: String,
}

#[derive(Debug, Clone)]
pub struct AcceptInvite {
    pub token: String,
    pub name: PersonName,
    pub password: Password,
}

impl AcceptInviteForm {
    pub fn parse(&self) -> Result<AcceptInvite, FieldErrors> {
        let mut errors = FieldErrors::new();
        let token = self.token.trim();
        if token.is_empty() || token.len() > 128 {
            errors.add("token", "This invitation link is incomplete. Open the link from the email again.");
        }
        let name = errors.check("name", PersonName::parse(&self.name));
        let password = errors.check("password", Password::parse(&self.password));
        match (name, password) {
            (Some(name), Some(password)) if errors.is_empty() => {
                Ok(AcceptInvite { token: token.to_owned(), name, password })
            }
            _ => Err(errors),
        }
    }
}

/// The clinic's profile, edited in settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ClinicProfileForm {
    pub name: String,
    pub time_zone: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub address: String,
    /// The tax registration number on invoices (VAT, NIF, EIN…); optional.
    #[serde(default)]
    pub tax_number: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClinicProfile {
    pub name: ClinicName,
    pub time_zone: TimeZoneName,
    pub phone: Option<String>,
    pub email: Option<EmailAddress>,
    pub address: Option<String>,
    pub tax_number: Option<String>,
}

/// The longest tax registration number accepted.
pub const MAX_TAX_NUMBER: usize = 40;

/// A tax registration number as printed on invoices: optional; letters,
/// digits, spaces and `-./` ("PT 123 456 789", "12-3456789"), at most
/// [`MAX_TAX_NUMBER`] characters, at least one letter or digit.
pub fn parse_tax_number(raw: &str) -> Result<Option<String>, ParseError> {
    let value = raw.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let allowed = value.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '.' | '/'));
    if !allowed || !value.chars().any(|c| c.is_ascii_alphanumeric()) || value.chars().count() > MAX_TAX_NUMBER {
        return Err(ParseError::new(format!(
            "Enter the tax number as registered, like PT 123 456 789: up to {MAX_TAX_NUMBER} letters, digits, spaces, dashes, dots or slashes."
        )));
    }
    Ok(Some(value.to_owned()))
}

pub fn parse_phone(raw: &str) -> Result<Option<String>, ParseError> {
    let value = raw.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let digits = value.chars().filter(char::is_ascii_digit).count();
    let allowed = value
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')' | '.'));
    if !allowed || !(5..=20).contains(&digits) || value.len() > 32 {
        return Err(ParseError::new("Enter a phone number like +351 21 123 4567."));
    }
    Ok(Some(value.to_owned()))
}

fn parse_optional_text(raw: &str, max: usize, what: &str) -> Result<Option<String>, ParseError> {
    let value = raw.trim();
    if value.is_empty() {
        return Ok(None);
    }
    if value.chars().count() > max {
        return Err(ParseError::new(format!("The {what} can be at most {max} characters.")));
    }
    if has_forbidden_chars(value, true) {
        return Err(ParseError::new(format!("The {what} contains characters that cannot be displayed.")));
    }
    Ok(Some(value.to_owned()))
}

impl ClinicProfileForm {
    pub fn parse(&self) -> Result<ClinicProfile, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = errors.check("name", ClinicName::parse(&self.name));
        let time_zone = errors.check("time_zone", TimeZoneName::parse(&self.time_zone));
        let phone = errors.check("phone", parse_phone(&self.phone));
        let email = errors.check(
            "email",
            if self.email.trim().is_empty() {
                Ok(None)
            } else {
                EmailAddress::parse(&self.email).map(Some)
            },
        );
        let address = errors.check("address", parse_optional_text(&self.address, 300, "address"));
        let tax_number = errors.check("tax_number", parse_tax_number(&self.tax_number));
        match (name, time_zone, phone, email, address, tax_number) {
            (Some(name), Some(time_zone), Some(phone), Some(email), Some(address), Some(tax_number)) => {
                Ok(ClinicProfile { name, time_zone, phone, email, address, tax_number })
            }
            _ => Err(errors),
        }
    }
}

/// Put this last in a server function's arguments, as
/// `#[server(flatten)] extra: NoExtraFields`: any form field the function does
/// not know about lands here and is refused, instead of being silently
/// ignored (mass-assignment of `clinic_id` or `role`, typos in clients).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoExtraFields;

impl Serialize for NoExtraFields {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        s.serialize_map(Some(0))?.end()
    }
}

impl<'de> Deserialize<'de> for NoExtraFields {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> de::Visitor<'de> for Visitor {
            type Value = NoExtraFields;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("no further fields")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while let Some((key, _)) = map.next_entry::<String, de::IgnoredAny>()? {
                    // Leptos adds the form's submit button as a nameless
                    // pair (`&=`); a field without a name assigns nothing.
                    if key.trim_matches('=').is_empty() {
                        continue;
                    }
                    return Err(de::Error::custom(format!("unknown field `{key}`")));
                }
                Ok(NoExtraFields)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(NoExtraFields)
            }
        }
        d.deserialize_map(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signup() -> SignupForm {
        SignupForm {
            clinic_name: "Harbour Physio".into(),
            time_zone: "Europe/Lisbon".into(),
            owner_name: "Ana Costa".into(),
            email: "ana@harbour.example".into(),
            password: "tide pools at dawn".into(),
            confirm_adult: Some("on".into()),
        }
    }

    #[test]
    fn a_good_signup_parses() {
        let parsed = signup().parse().unwrap();
        assert_eq!(parsed.email.as_str(), "ana@harbour.example");
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let form = SignupForm {
            clinic_name: "".into(),
            email: "nope".into(),
            password: "short".into(),
            confirm_adult: None,
            ..signup()
        };
        let errors = form.parse().unwrap_err();
        for field in ["clinic_name", "email", "password", "confirm_adult"] {
            assert!(errors.get(field).is_some(), "missing error for {field}: {errors}");
        }
        assert!(errors.get("time_zone").is_none());
    }

    #[test]
    fn owner_is_not_invitable() {
        let form = InviteForm { email: "x@y.example".into(), role: "owner".into() };
        assert!(form.parse().unwrap_err().get("role").is_some());
    }

    #[test]
    fn clinic_profile_optional_fields() {
        let form = ClinicProfileForm {
            name: "Harbour".into(),
            time_zone: "UTC".into(),
            phone: "".into(),
            email: "".into(),
            address: "1 Quay St\nLisbon".into(),
            tax_number: "".into(),
        };
        let parsed = form.parse().unwrap();
        assert_eq!(parsed.phone, None);
        assert_eq!(parsed.tax_number, None);
        assert_eq!(parsed.address.as_deref(), Some("1 Quay St\nLisbon"));
        let bad = ClinicProfileForm { phone: "call me".into(), ..form.clone() };
        assert!(bad.parse().unwrap_err().get("phone").is_some());
        let taxed = ClinicProfileForm { tax_number: "  PT 123.456/789-0  ".into(), ..form.clone() };
        assert_eq!(taxed.parse().unwrap().tax_number.as_deref(), Some("PT 123.456/789-0"));
        for bad in ["PT#123", "<b>1</b>", "---", "1".repeat(MAX_TAX_NUMBER + 1).as_str()] {
            let form = ClinicProfileForm { tax_number: bad.into(), ..form.clone() };
            assert!(form.parse().unwrap_err().get("tax_number").is_some(), "{bad:?} accepted");
        }
        let longest = ClinicProfileForm { tax_number: "9".repeat(MAX_TAX_NUMBER), ..form };
        assert!(longest.parse().is_ok());
    }
}

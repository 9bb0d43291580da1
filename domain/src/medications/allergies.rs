//! Allergies and intolerances: what the patient reacts to, how, how badly,
//! and whether it still holds. "No known allergies" is a separate, explicit
//! statement (an empty list only means nobody has asked yet).

use super::{allergy_check::class_by_key, text};
use crate::errors::{FieldErrors, ParseError};
use serde::{Deserialize, Serialize};

macro_rules! choice {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $code:literal, $label:literal;)+ } $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored and submitted code.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }

            pub fn parse(raw: &str) -> Result<Self, ParseError> {
                match raw.trim() {
                    $($code => Ok($name::$variant),)+
                    _ => Err(ParseError::new(concat!("Choose the ", $what, " from the list."))),
                }
            }

            /// `(code, label)` pairs for a `<select>`.
            pub fn options() -> Vec<(String, String)> {
                Self::ALL.iter().map(|v| (v.as_str().to_owned(), v.label().to_owned())).collect()
            }
        }
    };
}
pub(crate) use choice;

choice!(Severity {
    Mild => "mild", "Mild";
    Moderate => "moderate", "Moderate";
    Severe => "severe", "Severe";
    LifeThreatening => "life_threatening", "Life-threatening";
} "severity");

choice!(AllergyKind {
    Allergy => "allergy", "Allergy";
    Intolerance => "intolerance", "Intolerance";
} "type");

choice!(
    /// Active allergies warn; inactive ones (outgrown) and refuted ones
    /// (tested negative) stay in the list, struck through, and do not.
    AllergyStatus {
        Active => "active", "Active";
        Inactive => "inactive", "Inactive";
        Refuted => "refuted", "Refuted";
    } "status"
);

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AllergyForm {
    pub substance: String,
    /// A drug class key from the shipped map, or empty.
    #[serde(default)]
    pub coded: String,
    #[serde(default)]
    pub reaction: String,
    pub severity: String,
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAllergy {
    pub substance: String,
    pub coded: Option<&'static str>,
    pub reaction: Option<String>,
    pub severity: Severity,
    pub kind: AllergyKind,
}

impl AllergyForm {
    pub const MAX_SUBSTANCE: usize = 200;
    pub const MAX_REACTION: usize = 1000;

    pub fn parse(&self) -> Result<NewAllergy, FieldErrors> {
        let mut errors = FieldErrors::new();
        let substance = errors.check("substance", text::required(&self.substance, Self::MAX_SUBSTANCE, "substance"));
        let coded = errors.check(
            "coded",
            match self.coded.trim() {
                "" => Ok(None),
                key => class_by_key(key).map(|c| Some(c.key)).ok_or_else(|| ParseError::new("Choose a drug class from the list, or none.")),
            },
        );
        let reaction = errors.check("reaction", text::optional_multi_line(&self.reaction, Self::MAX_REACTION, "reaction"));
        let severity = errors.check("severity", Severity::parse(&self.severity));
        let kind = errors.check("kind", AllergyKind::parse(&self.kind));
        match (substance, coded, reaction, severity, kind) {
            (Some(substance), Some(coded), Some(reaction), Some(severity), Some(kind)) if errors.is_empty() => {
                Ok(NewAllergy { substance, coded, reaction, severity, kind })
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_allergy_parses_with_its_choices() {
        let form = AllergyForm {
            substance: " Penicillin ".into(),
            coded: "penicillins".into(),
            reaction: "Hives".into(),
            severity: "life_threatening".into(),
            kind: "allergy".into(),
        };
        let allergy = form.parse().unwrap();
        assert_eq!(allergy.substance, "Penicillin");
        assert_eq!(allergy.coded, Some("penicillins"));
        assert_eq!(allergy.severity, Severity::LifeThreatening);
        assert_eq!(Severity::LifeThreatening.label(), "Life-threatening");
    }

    #[test]
    fn every_bad_field_is_reported() {
        let form = AllergyForm {
            substance: "<script>x</script>".into(),
            coded: "made-up".into(),
            reaction: "r".repeat(1_000_001),
            severity: "deadly".into(),
            kind: "".into(),
        };
        let errors = form.parse().unwrap_err();
        for field in ["substance", "coded", "reaction", "severity", "kind"] {
            assert!(errors.get(field).is_some(), "{field}");
        }
        assert_eq!(AllergyStatus::parse("refuted").unwrap(), AllergyStatus::Refuted);
        assert!(AllergyStatus::parse("ACTIVE; DROP TABLE").is_err());
    }
}

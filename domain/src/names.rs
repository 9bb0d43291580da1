//! Names of clinics and people.

use crate::errors::{has_forbidden_chars, ParseError};
use serde::{Deserialize, Serialize};

fn parse_name(raw: &str, what: &str, max: usize) -> Result<String, ParseError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(ParseError::new(format!("Enter the {what}.")));
    }
    if trimmed.chars().count() > max {
        return Err(ParseError::new(format!(
            "The {what} can be at most {max} characters."
        )));
    }
    if has_forbidden_chars(trimmed, false) {
        return Err(ParseError::new(format!(
            "The {what} contains characters that cannot be displayed."
        )));
    }
    // Collapse inner runs of whitespace so "Anna   Smith" and "Anna Smith"
    // are the same person in lists and searches.
    Ok(trimmed.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// The name a clinic is known by: 1–120 visible characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClinicName(String);

impl ClinicName {
    pub const MAX_CHARS: usize = 120;

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        parse_name(raw, "clinic name", Self::MAX_CHARS).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A person's full name as they want it shown: 1–100 visible characters.
/// No assumptions about given/family order: many cultures differ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonName(String);

impl PersonName {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        parse_name(raw, "name", Self::MAX_CHARS).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_collapsed() {
        assert_eq!(PersonName::parse("  Anna   Smith ").unwrap().as_str(), "Anna Smith");
    }

    #[test]
    fn empty_long_and_control_names_are_refused() {
        assert_eq!(PersonName::parse("   ").unwrap_err().0, "Enter the name.");
        assert!(ClinicName::parse(&"x".repeat(121)).is_err());
        assert!(ClinicName::parse(&"x".repeat(120)).is_ok());
        assert!(PersonName::parse("Anna\u{0007}").is_err());
        assert!(PersonName::parse("Anna\u{202E}htims").is_err());
    }

    #[test]
    fn markup_is_kept_as_text_not_refused() {
        // Escaping is the renderer's job; a name may legitimately contain '<'.
        assert_eq!(PersonName::parse("<b>Al</b>").unwrap().as_str(), "<b>Al</b>");
    }
}

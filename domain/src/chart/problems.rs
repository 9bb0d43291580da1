//! The problem list: diagnoses coded with ICD-10-CM (or free text), with
//! onset, status and notes.

use super::{clinical_text, line_text};
use crate::{
    errors::{FieldErrors, ParseError},
    patients::parse_date,
};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemStatus {
    Active,
    Resolved,
    Inactive,
}

impl ProblemStatus {
    pub const ALL: [ProblemStatus; 3] = [ProblemStatus::Active, ProblemStatus::Resolved, ProblemStatus::Inactive];

    pub fn as_str(self) -> &'static str {
        match self {
            ProblemStatus::Active => "active",
            ProblemStatus::Resolved => "resolved",
            ProblemStatus::Inactive => "inactive",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ProblemStatus::Active => "Active",
            ProblemStatus::Resolved => "Resolved",
            ProblemStatus::Inactive => "Inactive",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw.trim())
            .ok_or_else(|| ParseError::new("Choose active, resolved or inactive."))
    }
}

/// An ICD-10-CM code in its dotted form (`E11.9`), from what was typed
/// (`e119`, ` E11.9 `). Shape only; whether it exists is the code list's call.
pub fn normalize_code(raw: &str) -> Result<String, ParseError> {
    let compact: String = raw.trim().chars().filter(|c| *c != '.').collect::<String>().to_ascii_uppercase();
    let bad = || ParseError::new("Enter an ICD-10-CM code like E11.9, or pick one from the search.");
    let bytes = compact.as_bytes();
    if !(3..=7).contains(&bytes.len()) || !bytes[0].is_ascii_uppercase() || !bytes.iter().all(u8::is_ascii_alphanumeric) {
        return Err(bad());
    }
    Ok(if bytes.len() > 3 { format!("{}.{}", &compact[..3], &compact[3..]) } else { compact })
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ProblemForm {
    /// An ICD-10-CM code, or empty for a free-text problem.
    #[serde(default)]
    pub code: String,
    /// Free text; with a code, empty means the code's own title.
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub onset_date: String,
    pub status: String,
    #[serde(default)]
    pub notes: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProblemSpec {
    pub code: Option<String>,
    pub description: Option<String>,
    pub onset_date: Option<NaiveDate>,
    pub status: ProblemStatus,
    pub notes: Option<String>,
}

impl ProblemForm {
    pub const MAX_DESCRIPTION: usize = 200;
    pub const MAX_NOTES: usize = 5_000;

    /// `today` in the clinic's zone: an onset cannot be in the future.
    pub fn parse(&self, today: NaiveDate) -> Result<ProblemSpec, FieldErrors> {
        let mut errors = FieldErrors::new();
        let code = match self.code.trim() {
            "" => Some(None),
            raw => errors.check("code", normalize_code(raw)).map(Some),
        };
        let description = errors.check("description", line_text(&self.description, Self::MAX_DESCRIPTION, "description"));
        if matches!(code, Some(None)) && matches!(description.as_deref(), Some("")) {
            errors.add("description", "Search for a diagnosis code, or describe the problem.");
        }
        let onset_date = match self.onset_date.trim() {
            "" => Some(None),
            raw => errors
                .check(
                    "onset_date",
                    parse_date(raw).and_then(|d| {
                        if d > today {
                            Err(ParseError::new("The onset cannot be in the future."))
                        } else {
                            Ok(d)
                        }
                    }),
                )
                .map(Some),
        };
        let status = errors.check("status", ProblemStatus::parse(&self.status));
        let notes = errors.check("notes", clinical_text(&self.notes, Self::MAX_NOTES, "notes"));
        match (code, description, onset_date, status, notes) {
            (Some(code), Some(description), Some(onset_date), Some(status), Some(notes)) if errors.is_empty() => Ok(ProblemSpec {
                code,
                description: (!description.is_empty()).then_some(description),
                onset_date,
                status,
                notes: (!notes.is_empty()).then_some(notes),
            }),
            _ => Err(errors),
        }
    }
}

/// A search of the ICD-10-CM list: a code prefix (`E11`) or words
/// (`type 2 diabetes`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct IcdSearchForm {
    #[serde(default)]
    pub q: String,
}

impl IcdSearchForm {
    pub const MAX_QUERY: usize = 60;

    /// Empty or whitespace: no search (an empty answer, not an error).
    pub fn parse(&self) -> Result<String, FieldErrors> {
        let q = self.q.trim();
        if q.chars().count() > Self::MAX_QUERY {
            Err(FieldErrors::single("q", format!("Search for at most {} characters.", Self::MAX_QUERY)))
        } else if q.chars().any(char::is_control) {
            Err(FieldErrors::single("q", "Remove control characters from the search."))
        } else {
            Ok(q.to_owned())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
    }

    #[test]
    fn codes_normalize_to_the_dotted_form() {
        assert_eq!(normalize_code("e119").unwrap(), "E11.9");
        assert_eq!(normalize_code(" E11.9 ").unwrap(), "E11.9");
        assert_eq!(normalize_code("I10").unwrap(), "I10");
        assert_eq!(normalize_code("S72.001A").unwrap(), "S72.001A");
        for bad in ["", "11.9", "E1", "E11.9'; --", "E11.99999", "<b>"] {
            assert!(normalize_code(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn problem_form_rules() {
        let empty = ProblemForm { status: "active".into(), ..Default::default() };
        assert!(empty.parse(today()).unwrap_err().get("description").is_some());
        let future = ProblemForm { code: "I10".into(), onset_date: "2027-01-01".into(), status: "active".into(), ..Default::default() };
        assert!(future.parse(today()).unwrap_err().get("onset_date").is_some());
        let bad_status = ProblemForm { description: "Back pain".into(), status: "cured".into(), ..Default::default() };
        assert!(bad_status.parse(today()).unwrap_err().get("status").is_some());
        let huge = ProblemForm { description: "x".into(), status: "active".into(), notes: "n".repeat(1_000_000), ..Default::default() };
        assert!(huge.parse(today()).unwrap_err().get("notes").is_some());
        let ok = ProblemForm { code: "e119".into(), status: "resolved".into(), onset_date: "2020-02-29".into(), ..Default::default() }
            .parse(today())
            .unwrap();
        assert_eq!(ok.code.as_deref(), Some("E11.9"));
        assert_eq!(ok.description, None);
    }

    #[test]
    fn icd_search_is_bounded() {
        assert!(IcdSearchForm { q: "x".repeat(61) }.parse().is_err());
        assert_eq!(IcdSearchForm { q: " diabetes ".into() }.parse().unwrap(), "diabetes");
    }
}

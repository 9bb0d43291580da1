//! Medical, surgical and family history entries, and social history.

use super::{clinical_text, line_text, required_text};
use crate::errors::{FieldErrors, ParseError};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HistoryKind {
    Medical,
    Surgical,
    Family,
}

impl HistoryKind {
    pub const ALL: [HistoryKind; 3] = [HistoryKind::Medical, HistoryKind::Surgical, HistoryKind::Family];

    pub fn as_str(self) -> &'static str {
        match self {
            HistoryKind::Medical => "medical",
            HistoryKind::Surgical => "surgical",
            HistoryKind::Family => "family",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            HistoryKind::Medical => "Medical history",
            HistoryKind::Surgical => "Surgical history",
            HistoryKind::Family => "Family history",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == raw.trim())
            .ok_or_else(|| ParseError::new("Choose medical, surgical or family history."))
    }
}

/// Relations offered for family history.
pub const RELATIONS: [&str; 9] =
    ["mother", "father", "sister", "brother", "daughter", "son", "grandparent", "aunt or uncle", "other relative"];

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct HistoryForm {
    pub kind: String,
    /// Family history only.
    #[serde(default)]
    pub relation: String,
    /// The year it happened or was diagnosed, if known.
    #[serde(default)]
    pub year: String,
    pub details: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistorySpec {
    pub kind: HistoryKind,
    pub relation: Option<String>,
    pub year: Option<i32>,
    pub details: String,
}

impl HistoryForm {
    pub const MAX_DETAILS: usize = 2_000;

    pub fn parse(&self, today: NaiveDate) -> Result<HistorySpec, FieldErrors> {
        let mut errors = FieldErrors::new();
        let kind = errors.check("kind", HistoryKind::parse(&self.kind));
        let relation = match (kind, self.relation.trim()) {
            (Some(HistoryKind::Family), raw) => match RELATIONS.iter().find(|r| **r == raw) {
                Some(r) => Some((*r).to_owned()),
                None => {
                    errors.add("relation", "Choose the relative.");
                    None
                }
            },
            _ => None,
        };
        let year = match self.year.trim() {
            "" => Some(None),
            raw => match raw.parse::<i32>() {
                Ok(y) if (1900..=today.year()).contains(&y) => Some(Some(y)),
                _ => {
                    errors.add("year", format!("Enter a year from 1900 to {}, or leave it empty.", today.year()));
                    None
                }
            },
        };
        let details = errors.check("details", required_text(&self.details, Self::MAX_DETAILS, "details"));
        match (kind, year, details) {
            (Some(kind), Some(year), Some(details)) if errors.is_empty() => Ok(HistorySpec { kind, relation, year, details }),
            _ => Err(errors),
        }
    }
}

pub const SMOKING: [(&str, &str); 4] = [("unknown", "Not asked"), ("never", "Never smoked"), ("former", "Former smoker"), ("current", "Smokes")];
pub const ALCOHOL: [(&str, &str); 5] =
    [("unknown", "Not asked"), ("none", "None"), ("occasional", "Occasional"), ("regular", "Regular"), ("heavy", "Heavy")];

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SocialHistoryForm {
    pub smoking: String,
    pub alcohol: String,
    #[serde(default)]
    pub occupation: String,
    #[serde(default)]
    pub notes: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SocialHistory {
    pub smoking: String,
    pub alcohol: String,
    pub occupation: Option<String>,
    pub notes: Option<String>,
}

impl SocialHistoryForm {
    pub const MAX_OCCUPATION: usize = 120;
    pub const MAX_NOTES: usize = 2_000;

    pub fn parse(&self) -> Result<SocialHistory, FieldErrors> {
        let mut errors = FieldErrors::new();
        let pick = |list: &[(&str, &str)], raw: &str| list.iter().find(|(v, _)| *v == raw.trim()).map(|(v, _)| (*v).to_owned());
        let smoking = pick(&SMOKING, &self.smoking);
        if smoking.is_none() {
            errors.add("smoking", "Choose a smoking status.");
        }
        let alcohol = pick(&ALCOHOL, &self.alcohol);
        if alcohol.is_none() {
            errors.add("alcohol", "Choose an alcohol use.");
        }
        let occupation = errors.check("occupation", line_text(&self.occupation, Self::MAX_OCCUPATION, "occupation"));
        let notes = errors.check("notes", clinical_text(&self.notes, Self::MAX_NOTES, "notes"));
        match (smoking, alcohol, occupation, notes) {
            (Some(smoking), Some(alcohol), Some(occupation), Some(notes)) if errors.is_empty() => Ok(SocialHistory {
                smoking,
                alcohol,
                occupation: (!occupation.is_empty()).then_some(occupation),
                notes: (!notes.is_empty()).then_some(notes),
            }),
            _ => Err(errors),
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
    fn family_history_needs_a_relative() {
        let form = HistoryForm { kind: "family".into(), details: "Type 2 diabetes".into(), ..Default::default() };
        assert!(form.parse(today()).unwrap_err().get("relation").is_some());
        let ok = HistoryForm { kind: "family".into(), relation: "mother".into(), details: "Type 2 diabetes".into(), ..Default::default() };
        assert_eq!(ok.parse(today()).unwrap().relation.as_deref(), Some("mother"));
        let medical = HistoryForm { kind: "medical".into(), relation: "mother".into(), details: "Asthma".into(), year: "1999".into() };
        assert_eq!(medical.parse(today()).unwrap().relation, None);
    }

    #[test]
    fn history_years_and_text_are_bounded() {
        let form = HistoryForm { kind: "surgical".into(), year: "2027".into(), details: "x".repeat(3_000), ..Default::default() };
        let errors = form.parse(today()).unwrap_err();
        assert!(errors.get("year").is_some() && errors.get("details").is_some());
        assert!(HistoryForm { kind: "dental".into(), details: "x".into(), ..Default::default() }.parse(today()).is_err());
    }

    #[test]
    fn social_history_uses_the_lists() {
        assert!(SocialHistoryForm { smoking: "sometimes".into(), alcohol: "none".into(), ..Default::default() }.parse().is_err());
        let ok = SocialHistoryForm { smoking: "former".into(), alcohol: "occasional".into(), occupation: "Teacher".into(), notes: String::new() }
            .parse()
            .unwrap();
        assert_eq!(ok.occupation.as_deref(), Some("Teacher"));
        assert_eq!(ok.notes, None);
    }
}

//! Immunizations: which vaccine, when, which dose of the course, the lot,
//! where on the body, and who gave it (possibly elsewhere).

use super::{allergies::choice, text};
use crate::{
    errors::{FieldErrors, ParseError},
    patients::parse_date,
};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

choice!(InjectionSite {
    LeftArm => "left_arm", "Left upper arm";
    RightArm => "right_arm", "Right upper arm";
    LeftThigh => "left_thigh", "Left thigh";
    RightThigh => "right_thigh", "Right thigh";
    Oral => "oral", "By mouth";
    Nasal => "nasal", "In the nose";
    Other => "other", "Other";
} "site");

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ImmunizationForm {
    pub vaccine: String,
    pub given_on: String,
    #[serde(default)]
    pub dose_number: String,
    #[serde(default)]
    pub lot: String,
    pub site: String,
    /// Empty: the person recording it gave it.
    #[serde(default)]
    pub given_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewImmunization {
    pub vaccine: String,
    pub given_on: NaiveDate,
    pub dose_number: Option<u32>,
    pub lot: Option<String>,
    pub site: InjectionSite,
    pub given_by: Option<String>,
}

impl ImmunizationForm {
    pub fn parse(&self, today: NaiveDate) -> Result<NewImmunization, FieldErrors> {
        let mut errors = FieldErrors::new();
        let vaccine = errors.check("vaccine", text::required(&self.vaccine, 200, "vaccine"));
        let given_on = errors.check("given_on", parse_given_on(&self.given_on, today));
        let dose_number = errors.check("dose_number", text::optional_count(&self.dose_number, 1, 10, "dose number"));
        let lot = errors.check(
            "lot",
            text::optional(&self.lot, 40, "lot number").and_then(|lot| match lot {
                Some(l) if !l.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '/' | '.' | ' ')) => {
                    Err(ParseError::new("Enter the lot as printed: letters, digits, dashes."))
                }
                other => Ok(other),
            }),
        );
        let site = errors.check("site", InjectionSite::parse(&self.site));
        let given_by = errors.check("given_by", text::optional(&self.given_by, 120, "name of who gave it"));
        match (vaccine, given_on, dose_number, lot, site, given_by) {
            (Some(vaccine), Some(given_on), Some(dose_number), Some(lot), Some(site), Some(given_by)) if errors.is_empty() => {
                Ok(NewImmunization { vaccine, given_on, dose_number, lot, site, given_by })
            }
            _ => Err(errors),
        }
    }
}

fn parse_given_on(raw: &str, today: NaiveDate) -> Result<NaiveDate, ParseError> {
    if raw.trim().is_empty() {
        return Err(ParseError::new("Enter the date it was given."));
    }
    let date = parse_date(raw)?;
    if date > today {
        return Err(ParseError::new("The date given cannot be in the future."));
    }
    if date < NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(date) {
        return Err(ParseError::new("Check the year of the date given."));
    }
    Ok(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn immunizations_refuse_future_dates_and_odd_lots() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        let good = ImmunizationForm {
            vaccine: "Influenza (inactivated)".into(),
            given_on: "2026-11-20".into(),
            dose_number: "1".into(),
            lot: "FL-2026/11".into(),
            site: "left_arm".into(),
            given_by: String::new(),
        };
        let parsed = good.parse(today).unwrap();
        assert_eq!((parsed.dose_number, parsed.site), (Some(1), InjectionSite::LeftArm));
        let bad = ImmunizationForm { given_on: "2026-11-25".into(), dose_number: "0".into(), lot: "<b>".into(), site: "ear".into(), ..good };
        let errors = bad.parse(today).unwrap_err();
        assert!(errors.get("given_on").unwrap().contains("future"));
        for field in ["dose_number", "lot", "site"] {
            assert!(errors.get(field).is_some(), "{field}");
        }
    }
}

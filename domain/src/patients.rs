//! Patient registration forms (the registry grows with the chart issue).

use crate::{
    accounts::{parse_phone, ticked},
    errors::{FieldErrors, ParseError},
    EmailAddress, PersonName,
};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// A calendar date typed as `YYYY-MM-DD` (what `<input type=date>` sends).
/// Strict: no other shapes, no out-of-range days (2024-02-30), no times.
pub fn parse_date(raw: &str) -> Result<NaiveDate, ParseError> {
    let raw = raw.trim();
    let bad = || ParseError::new("Enter a date as YYYY-MM-DD, e.g. 1984-03-12.");
    let bytes = raw.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return Err(bad());
    }
    let digits = |range: std::ops::Range<usize>| -> Result<u32, ParseError> {
        let part = &raw[range];
        if part.bytes().all(|b| b.is_ascii_digit()) {
            part.parse().map_err(|_| bad())
        } else {
            Err(bad())
        }
    };
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    if !(1..=12).contains(&month) {
        return Err(ParseError::new("The month must be from 01 to 12."));
    }
    NaiveDate::from_ymd_opt(year as i32, month, day)
        .ok_or_else(|| ParseError::new("That day does not exist in that month."))
}

pub fn parse_birth_date(raw: &str, today: NaiveDate) -> Result<NaiveDate, ParseError> {
    if raw.trim().is_empty() {
        return Err(ParseError::new("Enter the date of birth."));
    }
    let date = parse_date(raw)?;
    if date > today {
        return Err(ParseError::new("The date of birth cannot be in the future."));
    }
    if today.year() - date.year() > 130 {
        return Err(ParseError::new("Check the year: that is more than 130 years ago."));
    }
    Ok(date)
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PatientForm {
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
    /// Checkbox: a restricted record is visible only to its care team.
    #[serde(default)]
    pub restricted: Option<String>,
}

#[derive(Debug, Clone)]
pub struct PatientDetails {
    pub given_name: PersonName,
    pub family_name: PersonName,
    pub date_of_birth: NaiveDate,
    pub phone: Option<String>,
    pub email: Option<EmailAddress>,
    pub restricted: bool,
}

impl PatientForm {
    /// `today` is in the clinic's time zone (the server passes it; the
    /// browser passes its own for instant feedback).
    pub fn parse(&self, today: NaiveDate) -> Result<PatientDetails, FieldErrors> {
        let mut errors = FieldErrors::new();
        let given_name = errors.check("given_name", PersonName::parse(&self.given_name));
        let family_name = errors.check("family_name", PersonName::parse(&self.family_name));
        let date_of_birth = errors.check("date_of_birth", parse_birth_date(&self.date_of_birth, today));
        let phone = errors.check("phone", parse_phone(&self.phone));
        let email = if self.email.trim().is_empty() {
            None
        } else {
            errors.check("email", EmailAddress::parse(&self.email))
        };
        match (given_name, family_name, date_of_birth, phone) {
            (Some(given_name), Some(family_name), Some(date_of_birth), Some(phone)) if errors.is_empty() => {
                Ok(PatientDetails { given_name, family_name, date_of_birth, phone, email, restricted: ticked(&self.restricted) })
            }
            _ => Err(errors),
        }
    }
}

/// Orders the patient list offers: an allow-list, never SQL from a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PatientSort {
    #[default]
    Name,
    BirthDate,
    Newest,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PatientSearchForm {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub sort: String,
}

#[derive(Debug, Clone)]
pub struct PatientSearch {
    pub query: String,
    pub sort: PatientSort,
}

impl PatientSearchForm {
    pub const MAX_QUERY: usize = 100;

    pub fn parse(&self) -> Result<PatientSearch, FieldErrors> {
        let mut errors = FieldErrors::new();
        let query = self.q.trim();
        if query.chars().count() > Self::MAX_QUERY {
            errors.add("q", format!("Search for at most {} characters.", Self::MAX_QUERY));
        } else if query.chars().any(char::is_control) {
            errors.add("q", "Remove control characters from the search.");
        }
        let sort = match self.sort.trim() {
            "" | "name" => Some(PatientSort::Name),
            "birth_date" => Some(PatientSort::BirthDate),
            "newest" => Some(PatientSort::Newest),
            _ => {
                errors.add("sort", "Sort by name, birth date or newest.");
                None
            }
        };
        match sort {
            Some(sort) if errors.is_empty() => Ok(PatientSearch { query: query.to_owned(), sort }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    #[test]
    fn dates_are_strict() {
        assert_eq!(parse_date("2024-02-29").unwrap(), NaiveDate::from_ymd_opt(2024, 2, 29).unwrap());
        for bad in ["2024-02-30", "2024-13-01", "2024-00-10", "2024-1-01", "24-01-01", "2024-01-01T25:61", "2024/01/01", "", "２０２４-01-01", "+024-01-01"] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
        assert!(parse_birth_date("2027-01-01", today()).unwrap_err().0.contains("future"));
        assert!(parse_birth_date("1800-01-01", today()).is_err());
    }

    #[test]
    fn patient_form_reports_every_field() {
        let form = PatientForm { date_of_birth: "2024-02-30".into(), email: "nope".into(), ..Default::default() };
        let errors = form.parse(today()).unwrap_err();
        for field in ["given_name", "family_name", "date_of_birth", "email"] {
            assert!(errors.get(field).is_some(), "{field}");
        }
    }

    #[test]
    fn search_caps_length_and_allows_only_known_sorts() {
        assert!(PatientSearchForm { q: "%".repeat(10_000), sort: String::new() }.parse().is_err());
        assert!(PatientSearchForm { q: "costa".into(), sort: "(SELECT 1)".into() }.parse().is_err());
        let ok = PatientSearchForm { q: "' OR 1=1--".into(), sort: "newest".into() }.parse().unwrap();
        assert_eq!(ok.sort, PatientSort::Newest);
    }
}

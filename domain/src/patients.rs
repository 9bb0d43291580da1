//! Patient registration: the demographics form and its rules (guardian
//! for minors, consents, typed identifiers), ages, and the search form.
//! Search keys, CSV and the registry's other forms are in `registry`.

use crate::{
    accounts::{parse_phone, ticked},
    errors::{has_forbidden_chars, FieldErrors, ParseError},
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

/// The registration / demographics form. Only the names and the date of
/// birth are required (plus a guardian for a minor); every other field may
/// be left empty, so the calendar's quick registration sends just those.
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
    #[serde(default)]
    pub preferred_name: String,
    /// `female`, `male`, `intersex`, `unknown` or empty.
    #[serde(default)]
    pub sex_at_birth: String,
    #[serde(default)]
    pub gender_identity: String,
    #[serde(default)]
    pub preferred_language: String,
    #[serde(default)]
    pub address_line1: String,
    #[serde(default)]
    pub address_line2: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub postcode: String,
    #[serde(default)]
    pub country: String,
    #[serde(default)]
    pub national_id: String,
    #[serde(default)]
    pub insurance_id: String,
    #[serde(default)]
    pub emergency_name: String,
    #[serde(default)]
    pub emergency_relation: String,
    #[serde(default)]
    pub emergency_phone: String,
    #[serde(default)]
    pub guardian_name: String,
    #[serde(default)]
    pub guardian_relation: String,
    #[serde(default)]
    pub guardian_phone: String,
    #[serde(default)]
    pub guardian_email: String,
    /// Checkboxes: the patient agrees to be contacted this way (beyond
    /// appointment reminders, which have their own opt-out).
    #[serde(default)]
    pub contact_email: Option<String>,
    #[serde(default)]
    pub contact_sms: Option<String>,
    /// The dates consents were recorded (empty: not given).
    #[serde(default)]
    pub consent_treatment_on: String,
    #[serde(default)]
    pub consent_sharing_on: String,
    /// Checkbox on registration: the user saw the possible duplicates and
    /// registers a new record anyway.
    #[serde(default)]
    pub create_anyway: Option<String>,
}

/// Sex recorded at birth (clinical reference ranges use it); gender
/// identity is a separate, free-text field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SexAtBirth {
    Female,
    Male,
    Intersex,
    Unknown,
}

impl SexAtBirth {
    pub const ALL: [SexAtBirth; 4] = [SexAtBirth::Female, SexAtBirth::Male, SexAtBirth::Intersex, SexAtBirth::Unknown];

    pub fn as_str(self) -> &'static str {
        match self {
            SexAtBirth::Female => "female",
            SexAtBirth::Male => "male",
            SexAtBirth::Intersex => "intersex",
            SexAtBirth::Unknown => "unknown",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SexAtBirth::Female => "Female",
            SexAtBirth::Male => "Male",
            SexAtBirth::Intersex => "Intersex",
            SexAtBirth::Unknown => "Unknown",
        }
    }

    pub fn parse(raw: &str) -> Result<Option<Self>, ParseError> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "" => Ok(None),
            "female" | "f" => Ok(Some(SexAtBirth::Female)),
            "male" | "m" => Ok(Some(SexAtBirth::Male)),
            "intersex" | "x" => Ok(Some(SexAtBirth::Intersex)),
            "unknown" | "u" => Ok(Some(SexAtBirth::Unknown)),
            _ => Err(ParseError::new("Choose female, male, intersex or unknown.")),
        }
    }
}

/// The kinds of identifier a patient has besides the clinic's MRN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentifierKind {
    National,
    Insurance,
}

/// A typed identifier: what it is and its value as entered (trimmed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identifier {
    pub kind: IdentifierKind,
    pub value: String,
}

impl Identifier {
    pub const MAX_CHARS: usize = 40;

    pub fn parse(kind: IdentifierKind, raw: &str) -> Result<Option<Self>, ParseError> {
        let value = raw.trim();
        if value.is_empty() {
            return Ok(None);
        }
        if value.chars().count() > Self::MAX_CHARS {
            return Err(ParseError::new(format!("An identifier can be at most {} characters.", Self::MAX_CHARS)));
        }
        if !value.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '/' | '.')) {
            return Err(ParseError::new("Use letters, digits, spaces, '-', '/' or '.' only."));
        }
        if !value.chars().any(|c| c.is_ascii_alphanumeric()) {
            return Err(ParseError::new("Enter the identifier's letters and digits."));
        }
        Ok(Some(Self { kind, value: value.to_owned() }))
    }

    /// The form compared in searches and duplicate checks.
    pub fn key(&self) -> String {
        crate::registry::text::identifier_key(&self.value)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guardian {
    pub name: PersonName,
    pub relation: String,
    pub phone: Option<String>,
    pub email: Option<EmailAddress>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmergencyContact {
    pub name: PersonName,
    pub relation: Option<String>,
    pub phone: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Address {
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub city: Option<String>,
    pub postcode: Option<String>,
    pub country: Option<String>,
}

#[derive(Debug, Clone)]
pub struct PatientDetails {
    pub given_name: PersonName,
    pub family_name: PersonName,
    pub date_of_birth: NaiveDate,
    pub phone: Option<String>,
    pub email: Option<EmailAddress>,
    pub restricted: bool,
    pub preferred_name: Option<PersonName>,
    pub sex_at_birth: Option<SexAtBirth>,
    pub gender_identity: Option<String>,
    pub preferred_language: Option<String>,
    pub address: Address,
    pub national_id: Option<Identifier>,
    pub insurance_id: Option<Identifier>,
    pub emergency: Option<EmergencyContact>,
    pub guardian: Option<Guardian>,
    pub contact_email: bool,
    pub contact_sms: bool,
    pub consent_treatment_on: Option<NaiveDate>,
    pub consent_sharing_on: Option<NaiveDate>,
    pub create_anyway: bool,
}

/// Short optional text (one line): trimmed, at most `max` characters, no
/// control or bidirectional-override characters. Markup is kept as text.
pub fn optional_line(raw: &str, max: usize, what: &str) -> Result<Option<String>, ParseError> {
    let value = raw.trim();
    if value.is_empty() {
        return Ok(None);
    }
    if value.chars().count() > max {
        return Err(ParseError::new(format!("The {what} can be at most {max} characters.")));
    }
    if has_forbidden_chars(value, false) {
        return Err(ParseError::new(format!("The {what} contains characters that cannot be displayed.")));
    }
    Ok(Some(value.split_whitespace().collect::<Vec<_>>().join(" ")))
}

fn optional_email(raw: &str) -> Result<Option<EmailAddress>, ParseError> {
    if raw.trim().is_empty() {
        Ok(None)
    } else {
        EmailAddress::parse(raw).map(Some)
    }
}

/// A consent date: empty (not given), or a real date not in the future.
fn consent_date(raw: &str, today: NaiveDate) -> Result<Option<NaiveDate>, ParseError> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    let date = parse_date(raw)?;
    if date > today {
        return Err(ParseError::new("A consent cannot be recorded in the future."));
    }
    Ok(Some(date))
}

/// Whole years from `born` to `on` (0 before the first birthday).
pub fn age_in_years(born: NaiveDate, on: NaiveDate) -> u32 {
    let mut years = on.year() - born.year();
    if (on.month(), on.day()) < (born.month(), born.day()) {
        years -= 1;
    }
    years.max(0) as u32
}

/// Age as a clinic shows it: months under two, years after.
pub fn describe_age(born: NaiveDate, on: NaiveDate) -> String {
    let years = age_in_years(born, on);
    if years >= 2 {
        return format!("{years} years");
    }
    let mut months = (on.year() - born.year()) * 12 + on.month() as i32 - born.month() as i32;
    if on.day() < born.day() {
        months -= 1;
    }
    match months.max(0) {
        1 => "1 month".to_owned(),
        n => format!("{n} months"),
    }
}

/// Under 18 on `today`: must have a guardian, who receives communications.
pub fn is_minor(born: NaiveDate, today: NaiveDate) -> bool {
    age_in_years(born, today) < 18
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
        let email = errors.check("email", optional_email(&self.email));
        let preferred_name = if self.preferred_name.trim().is_empty() {
            Some(None)
        } else {
            errors.check("preferred_name", PersonName::parse(&self.preferred_name).map(Some))
        };
        let sex_at_birth = errors.check("sex_at_birth", SexAtBirth::parse(&self.sex_at_birth));
        let gender_identity = errors.check("gender_identity", optional_line(&self.gender_identity, 60, "gender identity"));
        let preferred_language = errors.check("preferred_language", optional_line(&self.preferred_language, 60, "language"));
        let line1 = errors.check("address_line1", optional_line(&self.address_line1, 200, "address line"));
        let line2 = errors.check("address_line2", optional_line(&self.address_line2, 200, "address line"));
        let city = errors.check("city", optional_line(&self.city, 100, "city"));
        let postcode = errors.check("postcode", optional_line(&self.postcode, 20, "postcode"));
        let country = errors.check("country", optional_line(&self.country, 60, "country"));
        let national_id = errors.check("national_id", Identifier::parse(IdentifierKind::National, &self.national_id));
        let insurance_id = errors.check("insurance_id", Identifier::parse(IdentifierKind::Insurance, &self.insurance_id));
        let emergency = self.emergency(&mut errors);
        let guardian = self.guardian(&mut errors, date_of_birth.map(|born| is_minor(born, today)).unwrap_or(false));
        let consent_treatment_on = errors.check("consent_treatment_on", consent_date(&self.consent_treatment_on, today));
        let consent_sharing_on = errors.check("consent_sharing_on", consent_date(&self.consent_sharing_on, today));
        if !errors.is_empty() {
            return Err(errors);
        }
        match (
            given_name, family_name, date_of_birth, phone, email, preferred_name, sex_at_birth, gender_identity,
            preferred_language, line1, line2, city, postcode, country, national_id, insurance_id,
            consent_treatment_on, consent_sharing_on,
        ) {
            (
                Some(given_name), Some(family_name), Some(date_of_birth), Some(phone), Some(email), Some(preferred_name),
                Some(sex_at_birth), Some(gender_identity), Some(preferred_language), Some(line1), Some(line2),
                Some(city), Some(postcode), Some(country), Some(national_id), Some(insurance_id),
                Some(consent_treatment_on), Some(consent_sharing_on),
            ) => Ok(PatientDetails {
                given_name,
                family_name,
                date_of_birth,
                phone,
                email,
                restricted: ticked(&self.restricted),
                preferred_name,
                sex_at_birth,
                gender_identity,
                preferred_language,
                address: Address { line1, line2, city, postcode, country },
                national_id,
                insurance_id,
                emergency: emergency.flatten(),
                guardian: guardian.flatten(),
                contact_email: ticked(&self.contact_email),
                contact_sms: ticked(&self.contact_sms),
                consent_treatment_on,
                consent_sharing_on,
                create_anyway: ticked(&self.create_anyway),
            }),
            _ => Err(errors),
        }
    }

    /// An emergency contact is optional; once started it needs a name and
    /// a phone number.
    fn emergency(&self, errors: &mut FieldErrors) -> Option<Option<EmergencyContact>> {
        let given = [&self.emergency_name, &self.emergency_relation, &self.emergency_phone].iter().any(|f| !f.trim().is_empty());
        let relation = errors.check("emergency_relation", optional_line(&self.emergency_relation, 60, "relation"));
        let phone = errors.check("emergency_phone", parse_phone(&self.emergency_phone));
        if !given {
            return Some(None);
        }
        let name = errors.check("emergency_name", PersonName::parse(&self.emergency_name).map_err(|_| {
            if self.emergency_name.trim().is_empty() {
                ParseError::new("Enter the emergency contact's name, or clear their other details.")
            } else {
                ParseError::new("Enter the emergency contact's name (at most 100 visible characters).")
            }
        }));
        let phone = match phone {
            Some(Some(phone)) => Some(phone),
            Some(None) => {
                errors.add("emergency_phone", "Enter a phone number for the emergency contact.");
                None
            }
            None => None,
        };
        Some(Some(EmergencyContact { name: name?, relation: relation?, phone: phone? }))
    }

    /// A minor must have a guardian (name, relation, and a phone or an
    /// email to reach them); for an adult the guardian is optional (e.g. a
    /// legal guardian) but, once started, complete.
    fn guardian(&self, errors: &mut FieldErrors, minor: bool) -> Option<Option<Guardian>> {
        let given = [&self.guardian_name, &self.guardian_relation, &self.guardian_phone, &self.guardian_email]
            .iter()
            .any(|f| !f.trim().is_empty());
        let phone = errors.check("guardian_phone", parse_phone(&self.guardian_phone));
        let email = errors.check("guardian_email", optional_email(&self.guardian_email));
        if !given && !minor {
            return Some(None);
        }
        let name = if self.guardian_name.trim().is_empty() {
            errors.add("guardian_name", if minor {
                "A patient under 18 needs a parent or guardian: enter their name."
            } else {
                "Enter the guardian's name, or clear their other details."
            });
            None
        } else {
            errors.check("guardian_name", PersonName::parse(&self.guardian_name))
        };
        let relation = match errors.check("guardian_relation", optional_line(&self.guardian_relation, 60, "relation")) {
            Some(Some(relation)) => Some(relation),
            Some(None) => {
                errors.add("guardian_relation", "Say how the guardian is related (e.g. mother, legal guardian).");
                None
            }
            None => None,
        };
        let (phone, email) = (phone?, email?);
        if phone.is_none() && email.is_none() {
            errors.add("guardian_phone", "Enter a phone number or an email address to reach the guardian.");
            return None;
        }
        Some(Some(Guardian { name: name?, relation: relation?, phone, email }))
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
    /// Which records: active only (the default), inactive only, or all.
    pub status: crate::registry::StatusFilter,
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
            Some(sort) if errors.is_empty() => {
                Ok(PatientSearch { query: query.to_owned(), sort, status: crate::registry::StatusFilter::Active })
            }
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

    fn adult() -> PatientForm {
        PatientForm { given_name: "Ana".into(), family_name: "Silva".into(), date_of_birth: "1984-03-12".into(), ..Default::default() }
    }

    #[test]
    fn ages_count_whole_years_and_months_for_babies() {
        let on = today();
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(age_in_years(day(1984, 11, 23), on), 42);
        assert_eq!(age_in_years(day(1984, 11, 24), on), 41, "the birthday is tomorrow");
        assert_eq!(describe_age(day(2026, 4, 23), on), "7 months");
        assert_eq!(describe_age(day(2025, 10, 30), on), "12 months");
        assert_eq!(describe_age(day(2026, 10, 23), on), "1 month");
        assert_eq!(describe_age(day(2024, 11, 23), on), "2 years");
        assert!(is_minor(day(2008, 11, 24), on) && !is_minor(day(2008, 11, 23), on), "18 on the birthday");
    }

    #[test]
    fn a_minor_needs_a_reachable_guardian() {
        let child = PatientForm { date_of_birth: "2016-05-05".into(), ..adult() };
        let errors = child.parse(today()).unwrap_err();
        assert!(errors.get("guardian_name").unwrap().contains("under 18"));
        assert!(errors.get("guardian_relation").is_some());
        assert!(errors.get("guardian_phone").is_some());
        let with = PatientForm { guardian_name: "Maria".into(), guardian_relation: "mother".into(), guardian_email: "m@x.example".into(), ..child };
        let details = with.parse(today()).unwrap();
        assert_eq!(details.guardian.unwrap().relation, "mother");
        // An adult's guardian is optional but, once started, complete.
        assert!(adult().parse(today()).unwrap().guardian.is_none());
        let half = PatientForm { guardian_phone: "+351 910 000 000".into(), ..adult() };
        assert!(half.parse(today()).unwrap_err().get("guardian_name").is_some());
    }

    #[test]
    fn optional_details_are_checked_and_typed() {
        let form = PatientForm {
            sex_at_birth: "F".into(),
            national_id: " 123 456-789 ".into(),
            consent_treatment_on: "2026-01-02".into(),
            contact_sms: Some("on".into()),
            emergency_name: "João".into(),
            emergency_phone: "+351 913 000 111".into(),
            ..adult()
        };
        let d = form.parse(today()).unwrap();
        assert_eq!(d.sex_at_birth, Some(SexAtBirth::Female));
        assert_eq!(d.national_id.as_ref().unwrap().key(), "123456789");
        assert_eq!(d.consent_treatment_on, NaiveDate::from_ymd_opt(2026, 1, 2));
        assert!(d.contact_sms && !d.contact_email);
        assert_eq!(d.emergency.unwrap().phone, "+351 913 000 111");
        let bad = PatientForm {
            sex_at_birth: "robot".into(),
            national_id: "<b>1</b>".into(),
            consent_sharing_on: "2026-12-01".into(),
            emergency_relation: "brother".into(),
            city: "x".repeat(101),
            ..adult()
        };
        let errors = bad.parse(today()).unwrap_err();
        for field in ["sex_at_birth", "national_id", "consent_sharing_on", "emergency_name", "city"] {
            assert!(errors.get(field).is_some(), "{field}: {errors:?}");
        }
        // Markup is text, kept as typed.
        let markup = PatientForm { city: "<img src=x onerror=alert(1)>".into(), ..adult() };
        assert_eq!(markup.parse(today()).unwrap().address.city.as_deref(), Some("<img src=x onerror=alert(1)>"));
    }

    #[test]
    fn search_caps_length_and_allows_only_known_sorts() {
        assert!(PatientSearchForm { q: "%".repeat(10_000), sort: String::new() }.parse().is_err());
        assert!(PatientSearchForm { q: "costa".into(), sort: "(SELECT 1)".into() }.parse().is_err());
        let ok = PatientSearchForm { q: "' OR 1=1--".into(), sort: "newest".into() }.parse().unwrap();
        assert_eq!(ok.sort, PatientSort::Newest);
    }
}

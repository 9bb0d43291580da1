//! The patient registry's rules beyond the demographics form
//! (`crate::patients`): search keys and typo distance (`text`), the search
//! query's shape, deactivation and merge forms, and CSV import/export
//! (`csv`). No I/O: the same code runs in the browser and on the server.

pub mod csv;
pub mod text;

use crate::{
    errors::{has_forbidden_chars, FieldErrors, ParseError},
    patients::{parse_date, PatientSort},
    PatientId,
};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Which records a search returns. Inactive ones (deceased, moved away,
/// merged) are hidden unless asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusFilter {
    #[default]
    Active,
    Inactive,
    All,
}

/// The patient list's search: the query, the order and the status filter.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RegistrySearchForm {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub sort: String,
    /// `active` (or empty), `inactive`, `all`.
    #[serde(default)]
    pub status: String,
}

impl RegistrySearchForm {
    pub fn parse(&self) -> Result<crate::patients::PatientSearch, FieldErrors> {
        let base = crate::patients::PatientSearchForm { q: self.q.clone(), sort: self.sort.clone() }.parse();
        let status = match self.status.trim() {
            "" | "active" => Ok(StatusFilter::Active),
            "inactive" => Ok(StatusFilter::Inactive),
            "all" => Ok(StatusFilter::All),
            _ => Err("Show active, inactive or all records."),
        };
        match (base, status) {
            (Ok(mut search), Ok(status)) => {
                search.status = status;
                Ok(search)
            }
            (Err(mut errors), Err(message)) => {
                errors.add("status", message);
                Err(errors)
            }
            (Err(errors), Ok(_)) => Err(errors),
            (Ok(_), Err(message)) => Err(FieldErrors::single("status", message)),
        }
    }
}

/// What a search text asks for, decided once here so every path is an
/// index lookup: a date of birth, an email, an identifier or phone number,
/// or names (typo-tolerant).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchQuery {
    /// Empty: the list in the chosen order.
    All,
    BirthDate(NaiveDate),
    /// Lower case.
    Email(String),
    /// MRN (as typed, upper case), national or insurance id (normalized),
    /// and the reversed digits for a phone search when there are enough.
    Identifier { mrn: String, key: String, phone: Option<String> },
    /// Folded words; every one must match a name. Empty: nothing matches
    /// (a search for "%" finds nothing rather than everything).
    Names(Vec<String>),
}

impl SearchQuery {
    pub fn classify(raw: &str) -> SearchQuery {
        let q = raw.trim();
        if q.is_empty() {
            return SearchQuery::All;
        }
        if let Ok(date) = parse_date(q) {
            return SearchQuery::BirthDate(date);
        }
        if q.contains('@') {
            return SearchQuery::Email(q.to_lowercase());
        }
        let digits = q.chars().filter(char::is_ascii_digit).count();
        let identifier_like = digits > 0
            && q.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '+' | '(' | ')' | '.' | '/'));
        if identifier_like {
            let phone_like = digits >= 5 && q.chars().all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '+' | '(' | ')' | '.'));
            return SearchQuery::Identifier {
                mrn: q.to_uppercase(),
                key: text::identifier_key(q),
                phone: phone_like.then(|| text::phone_key(q)),
            };
        }
        SearchQuery::Names(text::folded_words(q))
    }
}

/// The names of a candidate record, folded, for ranking.
#[derive(Debug, Clone, Default)]
pub struct NameKeys {
    pub words: Vec<String>,
    pub whole: Vec<String>,
}

impl NameKeys {
    pub fn of(given: &str, family: &str, preferred: Option<&str>) -> Self {
        let mut words = text::folded_words(family);
        words.extend(text::folded_words(given));
        let mut whole = vec![text::fold(family), text::fold(given)];
        if let Some(preferred) = preferred {
            words.extend(text::folded_words(preferred));
            whole.push(text::fold(preferred));
        }
        whole.retain(|w| !w.is_empty());
        Self { words, whole }
    }

    /// The summed cost of the search words against these names, or `None`
    /// when some word matches none of them within its typo allowance.
    pub fn cost(&self, query: &[String]) -> Option<usize> {
        if query.is_empty() {
            return None;
        }
        query
            .iter()
            .map(|word| self.words.iter().chain(&self.whole).filter_map(|key| text::match_cost(word, key)).min())
            .sum()
    }
}

/// Two records that look like the same person: same date of birth and
/// names within typo distance of each other (either order).
pub fn names_look_alike(a: (&str, &str), b: (&str, &str)) -> bool {
    let close = |x: &str, y: &str| {
        let (x, y) = (text::fold(x), text::fold(y));
        !x.is_empty() && !y.is_empty() && text::edit_distance(&x, &y) <= text::typo_allowance(&x).max(1)
    };
    (close(a.0, b.0) && close(a.1, b.1)) || (close(a.0, b.1) && close(a.1, b.0))
}

/// Why a record is made inactive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InactiveReason {
    Deceased,
    Moved,
    Other,
    /// Set by a merge only, never chosen on the form.
    Merged,
}

impl InactiveReason {
    pub fn as_str(self) -> &'static str {
        match self {
            InactiveReason::Deceased => "deceased",
            InactiveReason::Moved => "moved",
            InactiveReason::Other => "other",
            InactiveReason::Merged => "merged",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            InactiveReason::Deceased => "Deceased",
            InactiveReason::Moved => "Moved away",
            InactiveReason::Other => "Other",
            InactiveReason::Merged => "Merged into another record",
        }
    }

    pub fn from_db(raw: &str) -> Option<Self> {
        match raw {
            "deceased" => Some(InactiveReason::Deceased),
            "moved" => Some(InactiveReason::Moved),
            "other" => Some(InactiveReason::Other),
            "merged" => Some(InactiveReason::Merged),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DeactivateForm {
    pub patient_id: String,
    /// `deceased`, `moved` or `other`.
    #[serde(default)]
    pub reason: String,
    /// Date of death (required when deceased), or since when.
    #[serde(default)]
    pub date: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone)]
pub struct Deactivation {
    pub reason: InactiveReason,
    pub on: NaiveDate,
    pub note: Option<String>,
}

impl DeactivateForm {
    pub const MAX_NOTE: usize = 500;

    /// `born`: the patient's date of birth (a death cannot precede it).
    pub fn parse(&self, today: NaiveDate, born: NaiveDate) -> Result<Deactivation, FieldErrors> {
        let mut errors = FieldErrors::new();
        let reason = match self.reason.trim() {
            "deceased" => Some(InactiveReason::Deceased),
            "moved" => Some(InactiveReason::Moved),
            "other" => Some(InactiveReason::Other),
            _ => {
                errors.add("reason", "Choose why: deceased, moved away or other.");
                None
            }
        };
        let on = if self.date.trim().is_empty() {
            if reason == Some(InactiveReason::Deceased) {
                errors.add("date", "Enter the date of death.");
                None
            } else {
                Some(today)
            }
        } else {
            match parse_date(&self.date) {
                Ok(date) if date > today => {
                    errors.add("date", "The date cannot be in the future.");
                    None
                }
                Ok(date) if date < born => {
                    errors.add("date", "The date cannot be before the date of birth.");
                    None
                }
                Ok(date) => Some(date),
                Err(e) => {
                    errors.add("date", e.0);
                    None
                }
            }
        };
        let note = errors.check("note", optional_text(&self.note, Self::MAX_NOTE, "note"));
        match (reason, on, note) {
            (Some(reason), Some(on), Some(note)) if errors.is_empty() => Ok(Deactivation { reason, on, note }),
            _ => Err(errors),
        }
    }
}

/// Multi-line optional text.
fn optional_text(raw: &str, max: usize, what: &str) -> Result<Option<String>, ParseError> {
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

/// Merge `duplicate_id` into `survivor_id`: the survivor keeps its
/// details (filling its gaps from the duplicate) and gets every record
/// that pointed at the duplicate, which stays as an inactive record.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MergeForm {
    pub survivor_id: String,
    pub duplicate_id: String,
    /// Checkbox: the user confirms these are the same person.
    #[serde(default)]
    pub confirm: Option<String>,
}

impl MergeForm {
    pub fn parse(&self) -> Result<(PatientId, PatientId), FieldErrors> {
        let mut errors = FieldErrors::new();
        let survivor = self.survivor_id.trim().parse::<PatientId>().ok();
        let duplicate = self.duplicate_id.trim().parse::<PatientId>().ok();
        if survivor.is_none() {
            errors.add("survivor_id", "Choose the record to keep.");
        }
        if duplicate.is_none() {
            errors.add("duplicate_id", "Choose the duplicate record.");
        }
        if survivor.is_some() && survivor == duplicate {
            errors.add("duplicate_id", "Choose two different records.");
        }
        if !crate::accounts::ticked(&self.confirm) {
            errors.add("confirm", "Confirm that both records are the same person.");
        }
        match (survivor, duplicate) {
            (Some(s), Some(d)) if errors.is_empty() => Ok((s, d)),
            _ => Err(errors),
        }
    }
}

/// The sort for the list, shared with `PatientSearchForm`.
pub fn sort_label(sort: PatientSort) -> &'static str {
    match sort {
        PatientSort::Name => "name",
        PatientSort::BirthDate => "birth_date",
        PatientSort::Newest => "newest",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn queries_are_classified_by_shape() {
        assert_eq!(SearchQuery::classify("  "), SearchQuery::All);
        assert_eq!(SearchQuery::classify("1984-03-12"), SearchQuery::BirthDate(day(1984, 3, 12)));
        assert_eq!(SearchQuery::classify("Ana@Mail.example"), SearchQuery::Email("ana@mail.example".into()));
        assert_eq!(
            SearchQuery::classify("+351 912 345 678"),
            SearchQuery::Identifier { mrn: "+351 912 345 678".into(), key: "351912345678".into(), phone: Some("876543219153".into()) }
        );
        assert!(matches!(SearchQuery::classify("p000012"), SearchQuery::Identifier { ref mrn, phone: None, .. } if mrn == "P000012"));
        assert_eq!(SearchQuery::classify("Sílva  Ana"), SearchQuery::Names(vec!["silva".into(), "ana".into()]));
        assert_eq!(SearchQuery::classify("%"), SearchQuery::Names(vec![]));
        assert_eq!(SearchQuery::classify("' OR 1=1--"), SearchQuery::Names(vec!["or".into(), "11".into()]));
    }

    #[test]
    fn name_costs_need_every_word_and_allow_typos() {
        let keys = NameKeys::of("Ana", "Silva", Some("Aninha"));
        assert_eq!(keys.cost(&["silva".into()]), Some(0));
        assert_eq!(keys.cost(&["slva".into()]), Some(1));
        assert_eq!(keys.cost(&["ana".into(), "slva".into()]), Some(1));
        assert_eq!(keys.cost(&["anin".into()]), Some(0));
        assert_eq!(keys.cost(&["ana".into(), "costa".into()]), None);
        assert_eq!(keys.cost(&[]), None);
        assert!(names_look_alike(("Ana", "Silva"), ("Ana", "Slva")));
        assert!(names_look_alike(("Silva", "Ana"), ("Ana", "Silva")));
        assert!(!names_look_alike(("Ana", "Silva"), ("Bruno", "Silva")));
    }

    #[test]
    fn deactivation_needs_a_reason_and_a_sane_date() {
        let today = day(2026, 11, 24);
        let born = day(1950, 1, 1);
        let form = |reason: &str, date: &str| DeactivateForm { patient_id: String::new(), reason: reason.into(), date: date.into(), note: String::new() };
        assert!(form("deceased", "").parse(today, born).unwrap_err().get("date").unwrap().contains("death"));
        assert!(form("deceased", "2027-01-01").parse(today, born).unwrap_err().get("date").unwrap().contains("future"));
        assert!(form("deceased", "1949-01-01").parse(today, born).unwrap_err().get("date").unwrap().contains("birth"));
        assert!(form("merged", "").parse(today, born).unwrap_err().get("reason").is_some());
        assert_eq!(form("moved", "").parse(today, born).unwrap().on, today);
        let long = DeactivateForm { note: "x".repeat(1_000_000), ..form("other", "") };
        assert!(long.parse(today, born).unwrap_err().get("note").is_some());
    }

    #[test]
    fn merge_needs_two_different_records_and_confirmation() {
        let id = "0190f1b2-7c1e-7a4b-8f00-123456789abc".to_owned();
        let same = MergeForm { survivor_id: id.clone(), duplicate_id: id.clone(), confirm: Some("on".into()) };
        assert!(same.parse().unwrap_err().get("duplicate_id").is_some());
        let unconfirmed = MergeForm { survivor_id: id, duplicate_id: "0190f1b2-7c1e-7a4b-8f00-123456789abd".into(), confirm: None };
        assert!(unconfirmed.parse().unwrap_err().get("confirm").is_some());
    }

    #[test]
    fn status_filter_is_an_allow_list() {
        let form = RegistrySearchForm { q: "ana".into(), sort: String::new(), status: "all".into() };
        assert_eq!(form.parse().unwrap().status, StatusFilter::All);
        let bad = RegistrySearchForm { status: "deleted".into(), ..Default::default() };
        assert!(bad.parse().unwrap_err().get("status").is_some());
    }
}

//! The timeline's filter and paging cursor. The kinds themselves are the
//! server's list of sources (`services::chart::timeline`); the form is
//! checked against that list.

use crate::errors::{FieldErrors, ParseError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Where the next page starts: strictly before this (time, id), newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cursor {
    pub at: DateTime<Utc>,
    pub id: Uuid,
}

impl Cursor {
    pub fn encode(&self) -> String {
        format!("{}~{}", self.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true), self.id)
    }

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let bad = || ParseError::new("That page link is not valid; start from the first page.");
        let (at, id) = raw.trim().split_once('~').ok_or_else(bad)?;
        let at = DateTime::parse_from_rfc3339(at).map_err(|_| bad())?.with_timezone(&Utc);
        let id = crate::ids::parse_uuid(id).map_err(|_| bad())?;
        Ok(Self { at, id })
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TimelineForm {
    pub patient_id: String,
    /// Empty: every kind.
    #[serde(default)]
    pub kind: String,
    /// Empty: the first page.
    #[serde(default)]
    pub before: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineQuery {
    pub patient_id: String,
    pub kind: Option<&'static str>,
    pub before: Option<Cursor>,
}

impl TimelineForm {
    /// `kinds`: the kinds the server has sources for.
    pub fn parse(&self, kinds: &[&'static str]) -> Result<TimelineQuery, FieldErrors> {
        let mut errors = FieldErrors::new();
        let kind = match self.kind.trim() {
            "" => Some(None),
            raw => match kinds.iter().find(|k| **k == raw) {
                Some(k) => Some(Some(*k)),
                None => {
                    errors.add("kind", "Choose one of the listed kinds, or all.");
                    None
                }
            },
        };
        let before = match self.before.trim() {
            "" => Some(None),
            raw => errors.check("before", Cursor::parse(raw)).map(Some),
        };
        match (kind, before) {
            (Some(kind), Some(before)) if errors.is_empty() => {
                Ok(TimelineQuery { patient_id: self.patient_id.trim().to_owned(), kind, before })
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_bad_ones_are_refused() {
        let cursor = Cursor { at: DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap(), id: Uuid::nil() };
        assert_eq!(Cursor::parse(&cursor.encode()).unwrap(), cursor);
        assert!(Cursor::parse("yesterday~x").is_err());
        let kinds = ["note", "problem"];
        let form = TimelineForm { patient_id: "p".into(), kind: "billing".into(), before: "nope".into() };
        let errors = form.parse(&kinds).unwrap_err();
        assert!(errors.get("kind").is_some() && errors.get("before").is_some());
        let ok = TimelineForm { patient_id: "p".into(), kind: "note".into(), before: String::new() }.parse(&kinds).unwrap();
        assert_eq!(ok.kind, Some("note"));
    }
}

//! Repeating appointments: a deliberately small subset of RFC 5545 RRULE
//! (weekly, an interval, and a count or an end date). Small enough to
//! explain on one form, and stored as RRULE text so calendar exports can
//! use it unchanged.

use crate::{
    errors::{FieldErrors, ParseError},
    patients::parse_date,
};
use chrono::{Duration, Months, NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

/// Hard cap on a series, whichever way it ends, so one booking cannot
/// fill a practitioner's calendar for decades.
pub const MAX_OCCURRENCES: u32 = 200;
pub const MAX_EVERY_WEEKS: u32 = 52;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecurrenceEnd {
    Count(u32),
    /// Inclusive, as a local date in the clinic's zone.
    Until(NaiveDate),
}

/// Exactly one way of ending is representable, so "neither" or "both"
/// cannot reach the code that books the series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Recurrence {
    every_weeks: u32,
    end: RecurrenceEnd,
}

impl Recurrence {
    pub fn new(every_weeks: u32, end: RecurrenceEnd) -> Result<Self, ParseError> {
        if !(1..=MAX_EVERY_WEEKS).contains(&every_weeks) {
            return Err(ParseError::new(format!("Repeat every 1 to {MAX_EVERY_WEEKS} weeks.")));
        }
        if let RecurrenceEnd::Count(count) = end {
            if !(1..=MAX_OCCURRENCES).contains(&count) {
                return Err(ParseError::new(format!("Repeat from 1 to {MAX_OCCURRENCES} times.")));
            }
        }
        Ok(Self { every_weeks, end })
    }

    pub fn every_weeks(&self) -> u32 {
        self.every_weeks
    }

    pub fn end(&self) -> RecurrenceEnd {
        self.end
    }

    pub fn count(&self) -> Option<u32> {
        match self.end {
            RecurrenceEnd::Count(count) => Some(count),
            RecurrenceEnd::Until(_) => None,
        }
    }

    pub fn until(&self) -> Option<NaiveDate> {
        match self.end {
            RecurrenceEnd::Until(until) => Some(until),
            RecurrenceEnd::Count(_) => None,
        }
    }

    /// E.g. `FREQ=WEEKLY;INTERVAL=2;COUNT=10`. UNTIL is a plain date (our
    /// series are stored as local times, so a UTC cut-off would be wrong).
    pub fn to_rrule(&self) -> String {
        let end = match self.end {
            RecurrenceEnd::Count(count) => format!("COUNT={count}"),
            RecurrenceEnd::Until(until) => format!("UNTIL={}", until.format("%Y%m%d")),
        };
        format!("FREQ=WEEKLY;INTERVAL={};{end}", self.every_weeks)
    }
}

impl TryFrom<String> for Recurrence {
    type Error = ParseError;
    fn try_from(rule: String) -> Result<Self, ParseError> {
        parse_rrule(&rule)
    }
}

impl From<Recurrence> for String {
    fn from(rule: Recurrence) -> String {
        rule.to_rrule()
    }
}

/// Reads back exactly what `to_rrule` writes (keys in any order, INTERVAL
/// optional). Anything richer is refused rather than half-understood: a
/// rule silently missing its BYDAY would book the wrong days.
pub fn parse_rrule(raw: &str) -> Result<Recurrence, ParseError> {
    let garbage = || ParseError::new("Not a repeat rule. Expected something like FREQ=WEEKLY;INTERVAL=2;COUNT=10.");
    let raw = raw.trim().to_ascii_uppercase();
    if raw.is_empty() || raw.len() > 100 {
        return Err(garbage());
    }
    let (mut freq, mut interval, mut count, mut until) = (None, None, None, None);
    for part in raw.split(';') {
        let (key, value) = part.split_once('=').ok_or_else(garbage)?;
        let slot = match key {
            "FREQ" => &mut freq,
            "INTERVAL" => &mut interval,
            "COUNT" => &mut count,
            "UNTIL" => &mut until,
            _ if !key.is_empty() && key.len() <= 20 && key.bytes().all(|b| b.is_ascii_uppercase() || b == b'-') => {
                return Err(ParseError::new(format!(
                    "Only weekly repeats with an interval and a count or end date are supported, not {key}."
                )))
            }
            _ => return Err(garbage()),
        };
        if slot.replace(value).is_some() {
            return Err(ParseError::new(format!("{key} appears twice in the repeat rule.")));
        }
    }
    if freq != Some("WEEKLY") {
        return Err(ParseError::new("Only weekly repeats are supported (FREQ=WEEKLY)."));
    }
    let number = |value: &str| -> Result<u32, ParseError> {
        if value.is_empty() || value.len() > 9 || !value.bytes().all(|b| b.is_ascii_digit()) {
            return Err(garbage());
        }
        value.parse().map_err(|_| garbage())
    };
    let every_weeks = interval.map(number).transpose()?.unwrap_or(1);
    let end = match (count, until) {
        (Some(count), None) => RecurrenceEnd::Count(number(count)?),
        (None, Some(until)) => RecurrenceEnd::Until(rrule_date(until)?),
        (None, None) => return Err(ParseError::new("A repeat rule needs COUNT or UNTIL.")),
        (Some(_), Some(_)) => return Err(ParseError::new("A repeat rule takes COUNT or UNTIL, not both.")),
    };
    Recurrence::new(every_weeks, end)
}

fn rrule_date(value: &str) -> Result<NaiveDate, ParseError> {
    let bad = || ParseError::new("UNTIL must be a date written YYYYMMDD.");
    if value.len() != 8 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    NaiveDate::parse_from_str(value, "%Y%m%d").map_err(|_| bad())
}

/// Every start of the series, the first included, in local wall-clock time:
/// a 09:00 series stays at 09:00 through DST. The server turns each into
/// UTC with `zone`, where an occurrence in a clock change can be flagged.
pub fn occurrences(first_local: NaiveDateTime, rule: &Recurrence) -> Vec<NaiveDateTime> {
    let step = Duration::weeks(rule.every_weeks.into());
    let cap = rule.count().unwrap_or(MAX_OCCURRENCES).min(MAX_OCCURRENCES) as usize;
    std::iter::successors(Some(first_local), |prev| prev.checked_add_signed(step))
        .take_while(|start| rule.until().is_none_or(|until| start.date() <= until))
        .take(cap)
        .collect()
}

/// The repeat section of the booking form.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RecurrenceForm {
    /// "" (does not repeat) or "weekly".
    #[serde(default)]
    pub repeat: String,
    #[serde(default)]
    pub every_weeks: String,
    /// "count" or "until".
    #[serde(default)]
    pub ends: String,
    #[serde(default)]
    pub count: String,
    #[serde(default)]
    pub until: String,
}

impl RecurrenceForm {
    /// `first_date` is the first appointment's local date: the end date is
    /// checked against it, and kept within two years of it.
    pub fn parse(&self, first_date: NaiveDate) -> Result<Option<Recurrence>, FieldErrors> {
        match self.repeat.trim() {
            "" => return Ok(None),
            "weekly" => {}
            _ => return Err(FieldErrors::single("repeat", "Choose whether the appointment repeats weekly.")),
        }
        let mut errors = FieldErrors::new();
        let every_weeks = match self.every_weeks.trim() {
            "" => Some(1),
            raw => match raw.parse::<u32>() {
                Ok(n) if (1..=MAX_EVERY_WEEKS).contains(&n) => Some(n),
                _ => {
                    errors.add("every_weeks", format!("Enter a whole number of weeks from 1 to {MAX_EVERY_WEEKS}."));
                    None
                }
            },
        };
        let end = match self.ends.trim() {
            "count" => match self.count.trim().parse::<u32>() {
                Ok(n) if (1..=MAX_OCCURRENCES).contains(&n) => Some(RecurrenceEnd::Count(n)),
                _ => {
                    errors.add("count", format!("Enter how many appointments, from 1 to {MAX_OCCURRENCES}."));
                    None
                }
            },
            "until" => errors.check("until", until_date(&self.until, first_date)).map(RecurrenceEnd::Until),
            _ => {
                errors.add("ends", "Choose whether the series ends after a number of appointments or on a date.");
                None
            }
        };
        match (every_weeks, end) {
            (Some(every_weeks), Some(end)) if errors.is_empty() => {
                Recurrence::new(every_weeks, end).map(Some).map_err(|e| FieldErrors::single("repeat", e.0))
            }
            _ => Err(errors),
        }
    }
}

fn until_date(raw: &str, first_date: NaiveDate) -> Result<NaiveDate, ParseError> {
    if raw.trim().is_empty() {
        return Err(ParseError::new("Choose the date of the last appointment."));
    }
    let until = parse_date(raw)?;
    if until < first_date {
        return Err(ParseError::new("The end date must be on or after the first appointment."));
    }
    if first_date.checked_add_months(Months::new(24)).is_none_or(|limit| until > limit) {
        return Err(ParseError::new("A series can run for at most two years."));
    }
    Ok(until)
}

/// Which part of a series an edit or cancellation applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeriesScope {
    ThisOne,
    ThisAndFollowing,
    All,
}

impl SeriesScope {
    pub fn as_str(self) -> &'static str {
        match self {
            SeriesScope::ThisOne => "this_one",
            SeriesScope::ThisAndFollowing => "this_and_following",
            SeriesScope::All => "all",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SeriesScope::ThisOne => "Only this appointment",
            SeriesScope::ThisAndFollowing => "This and the following ones",
            SeriesScope::All => "Every appointment in the series",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        match raw.trim() {
            "this_one" => Ok(SeriesScope::ThisOne),
            "this_and_following" => Ok(SeriesScope::ThisAndFollowing),
            "all" => Ok(SeriesScope::All),
            _ => Err(ParseError::new("Choose which appointments of the series to change.")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveTime;
    use serde::de::IntoDeserializer;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }
    fn nine(d: NaiveDate) -> NaiveDateTime {
        d.and_time(NaiveTime::from_hms_opt(9, 0, 0).unwrap())
    }

    #[test]
    fn rrules_round_trip() {
        let every_other = Recurrence::new(2, RecurrenceEnd::Count(10)).unwrap();
        assert_eq!(every_other.to_rrule(), "FREQ=WEEKLY;INTERVAL=2;COUNT=10");
        let until = Recurrence::new(1, RecurrenceEnd::Until(date(2026, 12, 31))).unwrap();
        assert_eq!(until.to_rrule(), "FREQ=WEEKLY;INTERVAL=1;UNTIL=20261231");
        for rule in [every_other, until] {
            assert_eq!(parse_rrule(&rule.to_rrule()).unwrap(), rule);
        }
        assert_eq!(parse_rrule("count=3;freq=weekly").unwrap(), Recurrence::new(1, RecurrenceEnd::Count(3)).unwrap());
        // Stored as the rule text, validated on the way back in.
        let load = |text: &str| Recurrence::deserialize(text.to_owned().into_deserializer());
        let loaded: Result<Recurrence, serde::de::value::Error> = load("FREQ=WEEKLY;INTERVAL=2;COUNT=10");
        assert_eq!(loaded.unwrap(), every_other);
        assert!(load("FREQ=DAILY;COUNT=10").is_err());
        assert_eq!(String::from(every_other), every_other.to_rrule());
    }

    #[test]
    fn anything_outside_the_subset_is_refused() {
        for (rule, says) in [
            ("FREQ=DAILY;COUNT=10", "Only weekly"),
            ("FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10", "not BYDAY"),
            ("FREQ=WEEKLY;COUNT=10;WKST=SU", "not WKST"),
            ("RRULE:FREQ=WEEKLY;COUNT=10", "Not a repeat rule"),
            ("garbage", "Not a repeat rule"),
            ("", "Not a repeat rule"),
            ("FREQ=WEEKLY;;COUNT=2", "Not a repeat rule"),
            ("FREQ=WEEKLY", "COUNT or UNTIL"),
            ("FREQ=WEEKLY;COUNT=2;UNTIL=20261231", "not both"),
            ("FREQ=WEEKLY;COUNT=2;COUNT=3", "twice"),
            ("FREQ=WEEKLY;INTERVAL=0;COUNT=2", "1 to 52"),
            ("FREQ=WEEKLY;INTERVAL=53;COUNT=2", "1 to 52"),
            ("FREQ=WEEKLY;COUNT=201", "1 to 200"),
            ("FREQ=WEEKLY;COUNT=0", "1 to 200"),
            ("FREQ=WEEKLY;COUNT=-1", "Not a repeat rule"),
            ("FREQ=WEEKLY;COUNT=+1", "Not a repeat rule"),
            ("FREQ=WEEKLY;COUNT=99999999999", "Not a repeat rule"),
            ("FREQ=WEEKLY;UNTIL=20260230", "YYYYMMDD"),
            ("FREQ=WEEKLY;UNTIL=20261231T235959Z", "YYYYMMDD"),
        ] {
            let error = parse_rrule(rule).unwrap_err().0;
            assert!(error.contains(says), "{rule}: {error}");
        }
    }

    #[test]
    fn weekly_series_keep_local_time_and_stop_where_told() {
        // Across the 2026-03-29 clock change in Europe: still 09:00 local.
        let weekly = Recurrence::new(1, RecurrenceEnd::Count(3)).unwrap();
        let got = occurrences(nine(date(2026, 3, 22)), &weekly);
        assert_eq!(got, vec![nine(date(2026, 3, 22)), nine(date(2026, 3, 29)), nine(date(2026, 4, 5))]);
        // UNTIL is inclusive.
        let fortnightly = Recurrence::new(2, RecurrenceEnd::Until(date(2026, 4, 19))).unwrap();
        let got = occurrences(nine(date(2026, 3, 22)), &fortnightly);
        assert_eq!(got, vec![nine(date(2026, 3, 22)), nine(date(2026, 4, 5)), nine(date(2026, 4, 19))]);
        // A far UNTIL still stops at the cap.
        let forever = Recurrence::new(1, RecurrenceEnd::Until(date(2200, 1, 1))).unwrap();
        assert_eq!(occurrences(nine(date(2026, 1, 1)), &forever).len(), MAX_OCCURRENCES as usize);
    }

    #[cfg(feature = "server")]
    #[test]
    fn each_occurrence_converts_on_its_own_day() {
        use crate::scheduling::zone::resolve_local;
        let weekly = Recurrence::new(1, RecurrenceEnd::Count(2)).unwrap();
        let utc: Vec<String> = occurrences(nine(date(2026, 3, 22)), &weekly)
            .iter()
            .map(|t| resolve_local(chrono_tz::Europe::Lisbon, t.date(), t.time(), None).unwrap().to_rfc3339())
            .collect();
        assert_eq!(utc, ["2026-03-22T09:00:00+00:00", "2026-03-29T08:00:00+00:00"]);
    }

    #[test]
    fn the_form_reports_at_each_field() {
        let first = date(2026, 3, 2);
        let form = |every: &str, ends: &str, count: &str, until: &str| RecurrenceForm {
            repeat: "weekly".into(),
            every_weeks: every.into(),
            ends: ends.into(),
            count: count.into(),
            until: until.into(),
        };
        assert_eq!(RecurrenceForm::default().parse(first).unwrap(), None);
        assert_eq!(
            form("", "count", "6", "").parse(first).unwrap(),
            Some(Recurrence::new(1, RecurrenceEnd::Count(6)).unwrap())
        );
        assert_eq!(form("3", "until", "", "2026-03-02").parse(first).unwrap().and_then(|r| r.until()), Some(first));
        assert!(form("0", "count", "6", "").parse(first).unwrap_err().get("every_weeks").is_some());
        assert!(form("1", "count", "500", "").parse(first).unwrap_err().get("count").is_some());
        assert!(form("1", "sometime", "", "").parse(first).unwrap_err().get("ends").is_some());
        let until = |raw: &str| form("1", "until", "", raw).parse(first).unwrap_err().get("until").map(str::to_owned);
        assert!(until("2026-03-01").unwrap().contains("on or after"));
        assert!(until("2028-03-03").unwrap().contains("two years"));
        assert!(until("2026-02-30").is_some() && until("").is_some());
        assert!(form("1", "until", "", "2028-03-02").parse(first).is_ok());
        let bad = RecurrenceForm { repeat: "daily".into(), ..Default::default() };
        assert!(bad.parse(first).unwrap_err().get("repeat").is_some());
    }

    #[test]
    fn series_scopes_round_trip() {
        for scope in [SeriesScope::ThisOne, SeriesScope::ThisAndFollowing, SeriesScope::All] {
            assert_eq!(SeriesScope::parse(scope.as_str()).unwrap(), scope);
            assert!(!scope.label().is_empty());
        }
        assert!(SeriesScope::parse("some").is_err());
    }
}

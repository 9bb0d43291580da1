//! The arithmetic of the billing reports: aging buckets, revenue periods,
//! the collection rate, and CSV fields for the accountant. The server
//! gathers the figures; these decide where each one goes.

use crate::errors::{FieldErrors, ParseError};
use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};

/// Receivables by how long they are past their due date. Not yet due counts
/// as 0–30.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum AgingBucket {
    UpTo30,
    From31To60,
    From61To90,
    Over90,
}

impl AgingBucket {
    pub const ALL: [AgingBucket; 4] = [AgingBucket::UpTo30, AgingBucket::From31To60, AgingBucket::From61To90, AgingBucket::Over90];

    pub fn of(due_on: NaiveDate, as_of: NaiveDate) -> Self {
        match (as_of - due_on).num_days() {
            i64::MIN..=30 => AgingBucket::UpTo30,
            31..=60 => AgingBucket::From31To60,
            61..=90 => AgingBucket::From61To90,
            _ => AgingBucket::Over90,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AgingBucket::UpTo30 => "0–30 days",
            AgingBucket::From31To60 => "31–60 days",
            AgingBucket::From61To90 => "61–90 days",
            AgingBucket::Over90 => "over 90 days",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// How revenue is grouped over time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    #[default]
    Day,
    /// ISO weeks, starting on Monday.
    Week,
    Month,
}

impl Granularity {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        match raw.trim() {
            "" | "day" => Ok(Granularity::Day),
            "week" => Ok(Granularity::Week),
            "month" => Ok(Granularity::Month),
            _ => Err(ParseError::new("Group by day, week or month.")),
        }
    }

    /// The first day of the period holding `day`.
    pub fn start_of(self, day: NaiveDate) -> NaiveDate {
        match self {
            Granularity::Day => day,
            Granularity::Week => day - Duration::days(day.weekday().num_days_from_monday().into()),
            Granularity::Month => day.with_day(1).unwrap_or(day),
        }
    }
}

/// Collected ÷ billed, in basis points (9 850 = 98.5 %); `None` when
/// nothing was billed.
pub fn collection_rate_bp(collected: i64, billed: i64) -> Option<i64> {
    if billed <= 0 {
        return None;
    }
    Some(super::lines::div_round_half_away(i128::from(collected) * 10_000, i128::from(billed)) as i64)
}

/// A report's date range, in the clinic's local days, both ends included.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PeriodForm {
    pub from: String,
    pub to: String,
    #[serde(default)]
    pub group_by: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub group_by: Granularity,
}

/// Longest period one report covers: five years of days.
pub const MAX_PERIOD_DAYS: i64 = 5 * 366;

impl PeriodForm {
    pub fn parse(&self) -> Result<Period, FieldErrors> {
        let mut errors = FieldErrors::new();
        let date = |raw: &str| {
            NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| ParseError::new("Enter a date as YYYY-MM-DD."))
        };
        let from = errors.check("from", date(&self.from));
        let to = errors.check("to", date(&self.to));
        let group_by = errors.check("group_by", Granularity::parse(&self.group_by));
        if let (Some(from), Some(to)) = (from, to) {
            if to < from {
                errors.add("to", "The end is before the start.");
            } else if (to - from).num_days() > MAX_PERIOD_DAYS {
                errors.add("to", "Choose at most five years.");
            }
        }
        let (Some(from), Some(to), Some(group_by)) = (from, to, group_by) else {
            return Err(errors);
        };
        errors.into_result(|| Period { from, to, group_by })
    }
}

/// One CSV field, quoted, with spreadsheet formulas neutralised (a text
/// starting with `=`, `+`, `-`, `@` is prefixed with `'`). Amounts are
/// written by [`csv_amount`], which is never prefixed.
pub fn csv_text(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{value}") } else { value.to_owned() };
    format!("\"{}\"", value.replace('"', "\"\""))
}

/// An amount as a plain decimal (`-12.50`): numbers, not text, so the
/// accountant's spreadsheet can sum them.
pub fn csv_amount(money: super::money::Money) -> String {
    money.decimal()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn aging_buckets_by_days_past_due() {
        let due = d("2026-01-01");
        assert_eq!(AgingBucket::of(due, d("2025-12-01")), AgingBucket::UpTo30);
        assert_eq!(AgingBucket::of(due, d("2026-01-31")), AgingBucket::UpTo30);
        assert_eq!(AgingBucket::of(due, d("2026-02-01")), AgingBucket::From31To60);
        assert_eq!(AgingBucket::of(due, d("2026-03-02")), AgingBucket::From31To60);
        assert_eq!(AgingBucket::of(due, d("2026-03-03")), AgingBucket::From61To90);
        assert_eq!(AgingBucket::of(due, d("2026-04-01")), AgingBucket::From61To90);
        assert_eq!(AgingBucket::of(due, d("2026-04-02")), AgingBucket::Over90);
    }

    #[test]
    fn periods_start_on_the_right_day() {
        assert_eq!(Granularity::Week.start_of(d("2026-11-26")), d("2026-11-23"));
        assert_eq!(Granularity::Week.start_of(d("2026-11-23")), d("2026-11-23"));
        assert_eq!(Granularity::Month.start_of(d("2026-11-26")), d("2026-11-01"));
        assert_eq!(Granularity::Day.start_of(d("2026-11-26")), d("2026-11-26"));
    }

    #[test]
    fn collection_rate_and_period_form() {
        assert_eq!(collection_rate_bp(985, 1000), Some(9850));
        assert_eq!(collection_rate_bp(1, 3), Some(3333));
        assert_eq!(collection_rate_bp(5, 0), None);
        let ok = PeriodForm { from: "2026-01-01".into(), to: "2026-01-31".into(), group_by: "week".into() }.parse().unwrap();
        assert_eq!(ok.group_by, Granularity::Week);
        let bad = PeriodForm { from: "2026-02-01".into(), to: "2026-01-31".into(), group_by: "year".into() }.parse().unwrap_err();
        assert!(bad.get("to").is_some() && bad.get("group_by").is_some());
    }

    #[test]
    fn csv_neutralises_formulas_but_not_amounts() {
        assert_eq!(csv_text("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_text("Ana"), "\"Ana\"");
        assert_eq!(csv_amount(super::super::money::Money::new(-1250, super::super::money::Currency::EUR)), "-12.50");
    }
}

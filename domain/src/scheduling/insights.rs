//! Scheduling insights: appointments per day, no-show and cancellation
//! rates, and practitioner utilization over a range of local dates.
//!
//! Pure arithmetic over facts the service gathers (appointments, working
//! time), so the figures are tested without a database and the page can
//! render the same types it receives. Aggregates only: no patient appears.

use super::{
    interval::{merge, subtract},
    AppointmentStatus, Interval,
};
use crate::{ParseError, PractitionerId};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The longest range the dashboard summarizes at once.
pub const MAX_DAYS: i64 = 366;

/// From and to (inclusive) local dates, checked: ordered and at most
/// `MAX_DAYS` long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InsightRange {
    from: NaiveDate,
    to: NaiveDate,
}

impl InsightRange {
    /// Errors name the field they concern ("from" or "to").
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Self, (&'static str, ParseError)> {
        if to < from {
            return Err(("to", ParseError("The end date must be on or after the start date.".into())));
        }
        if (to - from).num_days() + 1 > MAX_DAYS {
            return Err(("to", ParseError(format!("Choose at most {MAX_DAYS} days."))));
        }
        Ok(InsightRange { from, to })
    }

    pub fn from(&self) -> NaiveDate {
        self.from
    }

    pub fn to(&self) -> NaiveDate {
        self.to
    }

    pub fn days(&self) -> impl Iterator<Item = NaiveDate> {
        let to = self.to;
        self.from.iter_days().take_while(move |d| *d <= to)
    }
}

/// One appointment as the summary sees it: its local start date, who, how
/// it ended up, and when (UTC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    pub date: NaiveDate,
    pub practitioner: PractitionerId,
    pub status: AppointmentStatus,
    pub span: Interval,
}

/// A practitioner's working time in the range: weekly hours less time off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capacity {
    pub practitioner: PractitionerId,
    pub name: String,
    pub working: Vec<Interval>,
    pub time_off: Vec<Interval>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayCount {
    pub date: NaiveDate,
    /// Arrived, in consultation or completed.
    pub attended: u32,
    /// Booked or confirmed (not yet happened, or not yet updated).
    pub upcoming: u32,
    /// Cancelled or late-cancelled.
    pub cancelled: u32,
    pub no_show: u32,
}

impl DayCount {
    pub fn total(&self) -> u32 {
        self.attended + self.upcoming + self.cancelled + self.no_show
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Utilization {
    pub practitioner_id: PractitionerId,
    pub name: String,
    /// Minutes of appointments (not cancelled) inside working time.
    pub booked_minutes: u32,
    pub working_minutes: u32,
}

impl Utilization {
    /// Whole per cent; `None` when there was no working time.
    pub fn percent(&self) -> Option<u32> {
        (self.working_minutes > 0).then(|| ((u64::from(self.booked_minutes) * 100 + u64::from(self.working_minutes) / 2) / u64::from(self.working_minutes)) as u32)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub days: Vec<DayCount>,
    pub total: u32,
    pub cancelled: u32,
    pub no_show: u32,
    /// Cancelled (any kind) out of all appointments, in basis points
    /// (1/100 of a per cent); `None` without appointments.
    pub cancellation_bp: Option<u32>,
    /// No-shows out of the appointments that were not cancelled, in basis
    /// points; `None` when there were none.
    pub no_show_bp: Option<u32>,
    pub utilization: Vec<Utilization>,
}

/// Basis points as a per cent with one decimal: 1234 → "12.3 %".
pub fn percent_text(bp: Option<u32>) -> String {
    match bp {
        Some(bp) => {
            let tenths = (bp + 5) / 10;
            format!("{}.{} %", tenths / 10, tenths % 10)
        }
        None => "–".to_owned(),
    }
}

fn ratio_bp(part: u32, whole: u32) -> Option<u32> {
    (whole > 0).then(|| ((u64::from(part) * 10_000 + u64::from(whole) / 2) / u64::from(whole)) as u32)
}

fn minutes(spans: &[Interval]) -> u32 {
    let total: i64 = merge(spans).iter().map(|s| s.duration().num_minutes()).sum();
    u32::try_from(total.max(0)).unwrap_or(u32::MAX)
}

/// Intersection of two sets of spans, as `base` less what is outside `keep`.
fn intersect(base: &[Interval], keep: &[Interval]) -> Vec<Interval> {
    let outside = subtract(base, keep);
    subtract(base, &outside)
}

pub fn summarize(range: InsightRange, facts: &[Fact], capacity: &[Capacity]) -> Summary {
    let mut days: Vec<DayCount> = range.days().map(|date| DayCount { date, ..Default::default() }).collect();
    for fact in facts {
        let Some(day) = days.iter_mut().find(|d| d.date == fact.date) else {
            continue;
        };
        match fact.status {
            AppointmentStatus::Arrived | AppointmentStatus::InConsultation | AppointmentStatus::Completed => day.attended += 1,
            AppointmentStatus::Booked | AppointmentStatus::Confirmed => day.upcoming += 1,
            AppointmentStatus::Cancelled | AppointmentStatus::LateCancelled => day.cancelled += 1,
            AppointmentStatus::NoShow => day.no_show += 1,
        }
    }
    let total: u32 = days.iter().map(DayCount::total).sum();
    let cancelled: u32 = days.iter().map(|d| d.cancelled).sum();
    let no_show: u32 = days.iter().map(|d| d.no_show).sum();
    let utilization = capacity
        .iter()
        .map(|c| {
            let working = subtract(&c.working, &c.time_off);
            let booked: Vec<Interval> = facts
                .iter()
                .filter(|f| f.practitioner == c.practitioner && !matches!(f.status, AppointmentStatus::Cancelled | AppointmentStatus::LateCancelled))
                .map(|f| f.span)
                .collect();
            Utilization {
                practitioner_id: c.practitioner,
                name: c.name.clone(),
                booked_minutes: minutes(&intersect(&booked, &working)),
                working_minutes: minutes(&working),
            }
        })
        .collect();
    Summary {
        from: range.from,
        to: range.to,
        days,
        total,
        cancelled,
        no_show,
        cancellation_bp: ratio_bp(cancelled, total),
        no_show_bp: ratio_bp(no_show, total - cancelled),
        utilization,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().expect("test instant")
    }

    fn span(a: &str, b: &str) -> Interval {
        Interval::new(at(a), at(b)).expect("ordered")
    }

    fn date(s: &str) -> NaiveDate {
        s.parse().expect("test date")
    }

    fn fact(d: &str, p: PractitionerId, status: AppointmentStatus, a: &str, b: &str) -> Fact {
        Fact { date: date(d), practitioner: p, status, span: span(a, b) }
    }

    #[test]
    fn ranges_are_ordered_and_bounded() {
        assert!(InsightRange::new(date("2027-01-02"), date("2027-01-01")).is_err());
        assert_eq!(InsightRange::new(date("2027-01-01"), date("2027-12-31")).map(|r| r.days().count()), Ok(365));
        let (field, _) = InsightRange::new(date("2027-01-01"), date("2028-01-02")).unwrap_err();
        assert_eq!(field, "to");
    }

    #[test]
    fn counts_rates_and_utilization() {
        let p = PractitionerId::from_uuid(uuid::Uuid::from_u128(1));
        let q = PractitionerId::from_uuid(uuid::Uuid::from_u128(2));
        let range = InsightRange::new(date("2027-03-01"), date("2027-03-02")).expect("range");
        let facts = vec![
            fact("2027-03-01", p, AppointmentStatus::Completed, "2027-03-01T09:00:00Z", "2027-03-01T10:00:00Z"),
            fact("2027-03-01", p, AppointmentStatus::NoShow, "2027-03-01T10:00:00Z", "2027-03-01T10:30:00Z"),
            fact("2027-03-01", p, AppointmentStatus::Cancelled, "2027-03-01T11:00:00Z", "2027-03-01T12:00:00Z"),
            // Partly outside working time: only the inside half counts.
            fact("2027-03-02", p, AppointmentStatus::Booked, "2027-03-02T12:30:00Z", "2027-03-02T13:30:00Z"),
            // Outside the range: ignored.
            fact("2027-03-03", p, AppointmentStatus::Booked, "2027-03-03T09:00:00Z", "2027-03-03T10:00:00Z"),
        ];
        let capacity = vec![
            Capacity {
                practitioner: p,
                name: "Dr P".into(),
                working: vec![span("2027-03-01T09:00:00Z", "2027-03-01T13:00:00Z"), span("2027-03-02T09:00:00Z", "2027-03-02T13:00:00Z")],
                // An hour off on the second day: four working hours in all… less one.
                time_off: vec![span("2027-03-02T09:00:00Z", "2027-03-02T10:00:00Z")],
            },
            Capacity { practitioner: q, name: "Dr Q".into(), working: vec![], time_off: vec![] },
        ];
        let s = summarize(range, &facts, &capacity);
        assert_eq!(s.days.len(), 2);
        assert_eq!((s.days[0].attended, s.days[0].no_show, s.days[0].cancelled, s.days[0].total()), (1, 1, 1, 3));
        assert_eq!((s.days[1].upcoming, s.days[1].total()), (1, 1));
        assert_eq!((s.total, s.cancelled, s.no_show), (4, 1, 1));
        assert_eq!(s.cancellation_bp, Some(2500));
        assert_eq!(s.no_show_bp, Some(3333));
        // Working: 4 h + 3 h = 420 min. Booked inside: 60 + 30 + 30 = 120.
        assert_eq!((s.utilization[0].booked_minutes, s.utilization[0].working_minutes), (120, 420));
        assert_eq!(s.utilization[0].percent(), Some(29));
        assert_eq!(s.utilization[1].percent(), None);
    }

    #[test]
    fn an_empty_range_has_no_rates() {
        let range = InsightRange::new(date("2027-03-01"), date("2027-03-01")).expect("range");
        let s = summarize(range, &[], &[]);
        assert_eq!((s.total, s.cancellation_bp, s.no_show_bp), (0, None, None));
        assert_eq!(percent_text(s.no_show_bp), "–");
        assert_eq!(percent_text(Some(3333)), "33.3 %");
        assert_eq!(percent_text(Some(2500)), "25.0 %");
        assert_eq!(percent_text(Some(9996)), "100.0 %");
    }
}

//! Spans of UTC time. Every scheduling question (is this free, does it
//! clash) reduces to set operations on these, so they live in one place.

use crate::errors::ParseError;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// A half-open span `[start, end)`: an appointment ending at 10:00 and one
/// starting at 10:00 do not clash. Never empty, so callers need not guard
/// against zero-length slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "IntervalFields")]
pub struct Interval {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

/// Stored intervals go back through `Interval::new`, so a corrupted row
/// cannot produce an empty or reversed span.
#[derive(Deserialize)]
struct IntervalFields {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

impl TryFrom<IntervalFields> for Interval {
    type Error = ParseError;
    fn try_from(fields: IntervalFields) -> Result<Self, ParseError> {
        Interval::new(fields.start, fields.end)
    }
}

impl Interval {
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Result<Self, ParseError> {
        if end > start {
            Ok(Self { start, end })
        } else {
            Err(ParseError::new("The end must be after the start."))
        }
    }

    pub fn starting_at(start: DateTime<Utc>, length: Duration) -> Result<Self, ParseError> {
        Self::new(start, start + length)
    }

    /// For spans whose order the scheduling code itself guarantees (derived
    /// from the tz database or from an already valid interval).
    pub(super) fn from_ordered(start: DateTime<Utc>, end: DateTime<Utc>) -> Self {
        debug_assert!(end > start, "{start} .. {end}");
        Self { start, end }
    }

    pub fn start(&self) -> DateTime<Utc> {
        self.start
    }

    pub fn end(&self) -> DateTime<Utc> {
        self.end
    }

    pub fn duration(&self) -> Duration {
        self.end - self.start
    }

    pub fn overlaps(&self, other: &Interval) -> bool {
        self.start < other.end && other.start < self.end
    }

    /// Whether `other` lies entirely within this span.
    pub fn contains(&self, other: &Interval) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    pub fn contains_instant(&self, instant: DateTime<Utc>) -> bool {
        self.start <= instant && instant < self.end
    }

    /// This span followed by `buffer` (clean-up, notes): the time an
    /// appointment actually keeps the practitioner busy.
    pub fn with_buffer(&self, buffer: Duration) -> Interval {
        Self { start: self.start, end: (self.end + buffer).max(self.end) }
    }
}

/// Sorts and joins overlapping or touching spans, so later sweeps can walk
/// each list once. Input order does not matter.
pub fn merge(intervals: &[Interval]) -> Vec<Interval> {
    let mut sorted = intervals.to_vec();
    sorted.sort_unstable();
    let mut merged: Vec<Interval> = Vec::with_capacity(sorted.len());
    for next in sorted {
        match merged.last_mut() {
            Some(last) if next.start <= last.end => last.end = last.end.max(next.end),
            _ => merged.push(next),
        }
    }
    merged
}

/// The parts of `base` not covered by `remove` (free = working minus busy),
/// sorted and merged. One sweep after sorting: O((n + m) log(n + m)).
pub fn subtract(base: &[Interval], remove: &[Interval]) -> Vec<Interval> {
    let (base, remove) = (merge(base), merge(remove));
    let mut out = Vec::with_capacity(base.len());
    let mut first = 0;
    for span in base {
        // Removals ending before this span cannot touch it or any later one.
        while first < remove.len() && remove[first].end <= span.start {
            first += 1;
        }
        let mut cursor = span.start;
        for cut in remove[first..].iter().take_while(|cut| cut.start < span.end) {
            if cut.start > cursor {
                out.push(Interval::from_ordered(cursor, cut.start));
            }
            cursor = cursor.max(cut.end);
        }
        if cursor < span.end {
            out.push(Interval::from_ordered(cursor, span.end));
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use chrono::TimeZone;

    pub(crate) fn at(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, day, hour, minute, 0).unwrap()
    }

    /// Hours on 2026-06-01 (hours past 24 spill into the next days).
    pub(crate) fn span(from: (u32, u32), to: (u32, u32)) -> Interval {
        let t = |(h, m): (u32, u32)| at(1 + h / 24, h % 24, m);
        Interval::new(t(from), t(to)).unwrap()
    }

    #[test]
    fn empty_and_reversed_spans_are_refused() {
        assert!(Interval::new(at(1, 9, 0), at(1, 9, 0)).is_err());
        assert!(Interval::new(at(1, 10, 0), at(1, 9, 0)).is_err());
        assert!(Interval::starting_at(at(1, 9, 0), Duration::zero()).is_err());
        assert_eq!(Interval::starting_at(at(1, 9, 0), Duration::minutes(30)).unwrap(), span((9, 0), (9, 30)));
    }

    #[test]
    fn stored_intervals_are_checked_on_load() {
        use serde::de::{
            value::{Error, MapDeserializer},
            IntoDeserializer,
        };
        let load = |start: &'static str, end: &'static str| {
            let fields = [("start", start), ("end", end)].map(|(k, v)| (k.into_deserializer(), v.into_deserializer()));
            Interval::deserialize(MapDeserializer::<_, Error>::new(fields.into_iter()))
        };
        assert_eq!(load("2026-06-01T09:00:00Z", "2026-06-01T10:00:00Z").unwrap(), span((9, 0), (10, 0)));
        assert!(load("2026-06-01T10:00:00Z", "2026-06-01T09:00:00Z").is_err());
    }

    #[test]
    fn touching_spans_do_not_overlap() {
        let a = span((9, 0), (10, 0));
        assert!(!a.overlaps(&span((10, 0), (11, 0))));
        assert!(!span((8, 0), (9, 0)).overlaps(&a));
        assert!(a.overlaps(&span((9, 59), (11, 0))));
        assert!(a.overlaps(&span((8, 0), (12, 0))));
        assert!(a.contains(&span((9, 0), (10, 0))) && a.contains(&span((9, 15), (9, 45))));
        assert!(!a.contains(&span((9, 30), (10, 30))));
        assert!(a.contains_instant(at(1, 9, 0)) && !a.contains_instant(at(1, 10, 0)));
        assert_eq!(a.with_buffer(Duration::minutes(10)), span((9, 0), (10, 10)));
    }

    #[test]
    fn spans_across_midnight_behave_like_any_other() {
        let night = span((23, 0), (25, 0)); // 23:00 to 01:00 the next day
        assert_eq!(night.duration(), Duration::hours(2));
        assert!(night.overlaps(&span((24, 30), (26, 0))));
        assert!(night.contains_instant(at(2, 0, 30)));
        assert_eq!(
            subtract(&[night], &[span((23, 30), (24, 15))]),
            vec![span((23, 0), (23, 30)), span((24, 15), (25, 0))]
        );
    }

    #[test]
    fn merge_sorts_and_joins_touching_and_overlapping() {
        let merged = merge(&[
            span((14, 0), (15, 0)),
            span((9, 0), (10, 0)),
            span((10, 0), (11, 0)),
            span((10, 30), (10, 45)),
            span((12, 0), (13, 0)),
        ]);
        assert_eq!(merged, vec![span((9, 0), (11, 0)), span((12, 0), (13, 0)), span((14, 0), (15, 0))]);
        assert!(merge(&[]).is_empty());
    }

    #[test]
    fn subtraction_edge_cases() {
        let day = [span((9, 0), (17, 0))];
        // Nothing removed, removed entirely, removed beyond both ends.
        assert_eq!(subtract(&day, &[]), day.to_vec());
        assert!(subtract(&day, &day).is_empty());
        assert!(subtract(&day, &[span((8, 0), (18, 0))]).is_empty());
        assert!(subtract(&[], &day).is_empty());
        // Touching removals leave the span whole.
        assert_eq!(subtract(&day, &[span((8, 0), (9, 0)), span((17, 0), (18, 0))]), day.to_vec());
        // Trimmed at either edge.
        assert_eq!(subtract(&day, &[span((8, 0), (10, 0))]), vec![span((10, 0), (17, 0))]);
        assert_eq!(subtract(&day, &[span((16, 0), (18, 0))]), vec![span((9, 0), (16, 0))]);
        // Split in the middle, by unsorted and overlapping removals.
        assert_eq!(
            subtract(&day, &[span((15, 0), (15, 30)), span((12, 0), (13, 0)), span((12, 30), (13, 30))]),
            vec![span((9, 0), (12, 0)), span((13, 30), (15, 0)), span((15, 30), (17, 0))]
        );
        // One removal spanning two bases trims both.
        let split = [span((9, 0), (13, 0)), span((14, 0), (18, 0))];
        assert_eq!(subtract(&split, &[span((12, 0), (15, 0))]), vec![span((9, 0), (12, 0)), span((15, 0), (18, 0))]);
        // Removals entirely between bases change nothing.
        assert_eq!(subtract(&split, &[span((13, 0), (14, 0))]), split.to_vec());
    }
}

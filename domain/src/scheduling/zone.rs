//! Local wall-clock time to UTC, with the clock changes made explicit.
//! Server only: it needs the tz database, which is too large for the
//! browser bundle.

use super::{hours::WeeklyHours, interval, interval::Interval, local::DstChoice};
use crate::errors::ParseError;
use chrono::{
    DateTime, Datelike, Duration, MappedLocalTime, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Utc,
};
use chrono_tz::Tz;

/// What a local date and time means as an instant. Spelled out (rather than
/// an `Option`) so each caller has to decide what a clock change means for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalResolution {
    Single(DateTime<Utc>),
    /// The clocks went back: the local time happened twice (usually an hour apart).
    Ambiguous {
        earlier: DateTime<Utc>,
        later: DateTime<Utc>,
    },
    /// The clocks went forward over it: it never happened.
    Nonexistent,
}

pub fn local_to_utc(tz: Tz, local: NaiveDateTime) -> LocalResolution {
    match tz.from_local_datetime(&local) {
        MappedLocalTime::Single(t) => LocalResolution::Single(t.to_utc()),
        MappedLocalTime::Ambiguous(a, b) => {
            let (a, b) = (a.to_utc(), b.to_utc());
            LocalResolution::Ambiguous { earlier: a.min(b), later: a.max(b) }
        }
        MappedLocalTime::None => LocalResolution::Nonexistent,
    }
}

/// A time someone typed for a booking. Nothing is guessed: a time in the
/// spring-forward gap is refused, and a time in the repeated autumn hour
/// needs the person to say which one they mean.
pub fn resolve_local(
    tz: Tz,
    date: NaiveDate,
    time: NaiveTime,
    choice: Option<DstChoice>,
) -> Result<DateTime<Utc>, ParseError> {
    match (local_to_utc(tz, date.and_time(time)), choice) {
        (LocalResolution::Single(t), _) => Ok(t),
        (LocalResolution::Ambiguous { earlier, .. }, Some(DstChoice::Earlier)) => Ok(earlier),
        (LocalResolution::Ambiguous { later, .. }, Some(DstChoice::Later)) => Ok(later),
        (LocalResolution::Ambiguous { .. }, None) => Err(ParseError::new(
            "This time happens twice on that day: the clocks go back. Choose the earlier or later one.",
        )),
        (LocalResolution::Nonexistent, _) => Err(ParseError::new(
            "This time does not exist on that day: the clocks go forward. Choose a time after the change.",
        )),
    }
}

/// Where a span that starts at `local` begins. A start in the gap moves to
/// the moment the clocks change (nothing before it exists); a start in the
/// repeated hour takes the earlier instant, so the span keeps all of the
/// time the clinic announced.
pub fn span_start_utc(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match local_to_utc(tz, local) {
        LocalResolution::Single(t) | LocalResolution::Ambiguous { earlier: t, .. } => t,
        LocalResolution::Nonexistent => first_instant_after_gap(tz, local),
    }
}

/// Where a span that ends at `local` stops: the mirror of `span_start_utc`.
/// An end in the repeated hour takes the later instant (again the longer
/// span); an end in the gap stops when the clocks change.
pub fn span_end_utc(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match local_to_utc(tz, local) {
        LocalResolution::Single(t) | LocalResolution::Ambiguous { later: t, .. } => t,
        LocalResolution::Nonexistent => first_instant_after_gap(tz, local),
    }
}

/// The instant the clocks jump over `local`. chrono-tz does not expose its
/// transitions, so this bisects the second-by-second UTC window the gap can
/// lie in (about a dozen steps for an hour's gap).
fn first_instant_after_gap(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    // Zones change offset at most a few times a year, so a day either side
    // is safely before and after the change that made the gap.
    let offset_near =
        |naive: NaiveDateTime| Duration::seconds(tz.offset_from_utc_datetime(&naive).fix().local_minus_utc().into());
    let (before, after) = (offset_near(local - Duration::days(1)), offset_near(local + Duration::days(1)));
    let wall = |instant: DateTime<Utc>| instant.with_timezone(&tz).naive_local();
    // Invariant: wall(low + below) < local <= wall(low + above).
    let low = local.and_utc() - after;
    let (mut below, mut above) = (0_i64, (after - before).num_seconds().max(1));
    while above - below > 1 {
        let mid = below + (above - below) / 2;
        if wall(low + Duration::seconds(mid)) >= local {
            above = mid;
        } else {
            below = mid;
        }
    }
    low + Duration::seconds(above)
}

/// When a local day starts. Midnight itself can fall in a gap in zones that
/// change clocks at 00:00 (e.g. America/Santiago), hence `span_start_utc`.
fn start_of_day(tz: Tz, date: NaiveDate) -> DateTime<Utc> {
    span_start_utc(tz, date.and_time(NaiveTime::MIN))
}

/// The UTC span of one local calendar day: 23 hours on the day the clocks
/// go forward, 25 on the day they go back. Used for "today's" calendar and
/// day-level queries instead of assuming 24 hours.
pub fn day_bounds_utc(tz: Tz, date: NaiveDate) -> Interval {
    let start = start_of_day(tz, date);
    let end = date.succ_opt().map(|next| start_of_day(tz, next)).filter(|end| *end > start);
    Interval::from_ordered(start, end.unwrap_or(start + Duration::days(1)))
}

/// Weekly local hours as UTC intervals for each day from `from` to
/// `to_inclusive`, sorted and merged. Each span is converted on its own day,
/// so 09:00–17:00 stays 09:00–17:00 on the clock across a DST change (its
/// UTC hours shift instead). Clock changes inside a span follow
/// `span_start_utc` / `span_end_utc`; spans that vanish entirely (both ends
/// in the same gap) are dropped.
pub fn working_intervals(tz: Tz, hours: &WeeklyHours, from: NaiveDate, to_inclusive: NaiveDate) -> Vec<Interval> {
    let spans = from.iter_days().take_while(|date| *date <= to_inclusive).flat_map(|date| {
        hours.spans(date.weekday()).iter().filter_map(move |(start, end)| {
            let (start, end) = (span_start_utc(tz, date.and_time(*start)), span_end_utc(tz, date.and_time(*end)));
            Interval::new(start, end).ok()
        })
    });
    // In the repeated hour two back-to-back spans can overlap in UTC.
    interval::merge(&spans.collect::<Vec<_>>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduling::hours::WeeklyHoursForm;
    use chrono_tz::{America::New_York, Europe::Lisbon};

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }
    fn time(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }
    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn lisbon_spring_gap_and_autumn_repeat() {
        // 2026-03-29: 01:00 WET becomes 02:00 WEST at 01:00 UTC.
        let gap = date(2026, 3, 29).and_time(time(1, 30));
        assert_eq!(local_to_utc(Lisbon, gap), LocalResolution::Nonexistent);
        assert_eq!(
            local_to_utc(Lisbon, date(2026, 3, 29).and_time(time(0, 59))),
            LocalResolution::Single(utc("2026-03-29T00:59:00Z"))
        );
        assert_eq!(
            local_to_utc(Lisbon, date(2026, 3, 29).and_time(time(2, 0))),
            LocalResolution::Single(utc("2026-03-29T01:00:00Z"))
        );
        assert_eq!(span_start_utc(Lisbon, gap), utc("2026-03-29T01:00:00Z"));
        assert_eq!(span_start_utc(Lisbon, date(2026, 3, 29).and_time(time(1, 0))), utc("2026-03-29T01:00:00Z"));
        // 2026-10-25: 02:00 WEST goes back to 01:00 WET at 01:00 UTC.
        let repeat = date(2026, 10, 25).and_time(time(1, 30));
        let both =
            LocalResolution::Ambiguous { earlier: utc("2026-10-25T00:30:00Z"), later: utc("2026-10-25T01:30:00Z") };
        assert_eq!(local_to_utc(Lisbon, repeat), both);
        assert_eq!(span_start_utc(Lisbon, repeat), utc("2026-10-25T00:30:00Z"));
        assert_eq!(span_end_utc(Lisbon, repeat), utc("2026-10-25T01:30:00Z"));
    }

    #[test]
    fn new_york_gap_and_repeat() {
        // 2026-03-08: 02:00 EST becomes 03:00 EDT at 07:00 UTC.
        let gap = date(2026, 3, 8).and_time(time(2, 30));
        assert_eq!(local_to_utc(New_York, gap), LocalResolution::Nonexistent);
        assert_eq!(span_start_utc(New_York, gap), utc("2026-03-08T07:00:00Z"));
        assert_eq!(span_end_utc(New_York, gap), utc("2026-03-08T07:00:00Z"));
        // 2026-11-01: 02:00 EDT goes back to 01:00 EST at 06:00 UTC.
        let both =
            LocalResolution::Ambiguous { earlier: utc("2026-11-01T05:30:00Z"), later: utc("2026-11-01T06:30:00Z") };
        assert_eq!(local_to_utc(New_York, date(2026, 11, 1).and_time(time(1, 30))), both);
    }

    #[test]
    fn typed_times_in_a_clock_change_need_a_decision() {
        let gap = resolve_local(Lisbon, date(2026, 3, 29), time(1, 30), None).unwrap_err();
        assert_eq!(
            gap.0,
            "This time does not exist on that day: the clocks go forward. Choose a time after the change."
        );
        assert!(resolve_local(New_York, date(2026, 3, 8), time(2, 30), Some(DstChoice::Later)).is_err());
        let repeat = resolve_local(New_York, date(2026, 11, 1), time(1, 30), None).unwrap_err();
        assert_eq!(
            repeat.0,
            "This time happens twice on that day: the clocks go back. Choose the earlier or later one."
        );
        assert_eq!(
            resolve_local(New_York, date(2026, 11, 1), time(1, 30), Some(DstChoice::Earlier)).unwrap(),
            utc("2026-11-01T05:30:00Z")
        );
        assert_eq!(
            resolve_local(New_York, date(2026, 11, 1), time(1, 30), Some(DstChoice::Later)).unwrap(),
            utc("2026-11-01T06:30:00Z")
        );
        // An ordinary time ignores a stray choice.
        assert_eq!(
            resolve_local(Lisbon, date(2026, 7, 1), time(9, 0), Some(DstChoice::Later)).unwrap(),
            utc("2026-07-01T08:00:00Z")
        );
    }

    #[test]
    fn days_are_23_or_25_hours_at_the_changes() {
        let spring = day_bounds_utc(Lisbon, date(2026, 3, 29));
        assert_eq!((spring.start(), spring.end()), (utc("2026-03-29T00:00:00Z"), utc("2026-03-29T23:00:00Z")));
        assert_eq!(spring.duration(), Duration::hours(23));
        let autumn = day_bounds_utc(Lisbon, date(2026, 10, 25));
        assert_eq!((autumn.start(), autumn.end()), (utc("2026-10-24T23:00:00Z"), utc("2026-10-26T00:00:00Z")));
        assert_eq!(autumn.duration(), Duration::hours(25));
        assert_eq!(day_bounds_utc(New_York, date(2026, 3, 8)).duration(), Duration::hours(23));
        assert_eq!(day_bounds_utc(New_York, date(2026, 11, 1)).duration(), Duration::hours(25));
        assert_eq!(day_bounds_utc(New_York, date(2026, 6, 1)).start(), utc("2026-06-01T04:00:00Z"));
        // Midnight itself is skipped in Santiago when its clocks go forward.
        let santiago = day_bounds_utc(chrono_tz::America::Santiago, date(2026, 9, 6));
        assert_eq!(santiago.start(), utc("2026-09-06T04:00:00Z"));
        assert_eq!(santiago.duration(), Duration::hours(23));
    }

    #[test]
    fn working_hours_keep_their_local_time_across_the_spring_change() {
        let every_day = "09:00-17:00".to_owned();
        let hours = WeeklyHoursForm {
            hours_mon: every_day.clone(),
            hours_sat: every_day.clone(),
            hours_sun: every_day,
            ..Default::default()
        }
        .parse()
        .unwrap();
        // Saturday 28 (WET), Sunday 29 (the change, WEST), Monday 30.
        let got = working_intervals(Lisbon, &hours, date(2026, 3, 28), date(2026, 3, 30));
        let want: Vec<Interval> = [
            ("2026-03-28T09:00:00Z", "2026-03-28T17:00:00Z"),
            ("2026-03-29T08:00:00Z", "2026-03-29T16:00:00Z"),
            ("2026-03-30T08:00:00Z", "2026-03-30T16:00:00Z"),
        ]
        .iter()
        .map(|(a, b)| Interval::new(utc(a), utc(b)).unwrap())
        .collect();
        assert_eq!(got, want);
        assert!(working_intervals(Lisbon, &hours, date(2026, 3, 30), date(2026, 3, 28)).is_empty());
    }

    #[test]
    fn working_spans_through_the_change_itself() {
        let hours = |sunday: &str| WeeklyHoursForm { hours_sun: sunday.into(), ..Default::default() }.parse().unwrap();
        let on = |sunday: &str, day: NaiveDate| working_intervals(Lisbon, &hours(sunday), day, day);
        let span = |a: &str, b: &str| Interval::new(utc(a), utc(b)).unwrap();
        // Ends in the gap: stops when the clocks jump (one real hour of work).
        assert_eq!(on("00:00-01:30", date(2026, 3, 29)), vec![span("2026-03-29T00:00:00Z", "2026-03-29T01:00:00Z")]);
        // Starts in the gap: begins when the clocks jump (at 02:00 local).
        assert_eq!(on("01:30-03:00", date(2026, 3, 29)), vec![span("2026-03-29T01:00:00Z", "2026-03-29T02:00:00Z")]);
        // Wholly inside the gap: nothing to work.
        assert!(on("01:10-01:50", date(2026, 3, 29)).is_empty());
        // Ends in the repeated hour: the later 01:30, so both 01:00s are worked.
        assert_eq!(on("00:00-01:30", date(2026, 10, 25)), vec![span("2026-10-24T23:00:00Z", "2026-10-25T01:30:00Z")]);
        // Back-to-back spans meeting in the repeated hour merge rather than overlap.
        assert_eq!(
            on("00:00-01:30, 01:30-03:00", date(2026, 10, 25)),
            vec![span("2026-10-24T23:00:00Z", "2026-10-25T03:00:00Z")]
        );
    }
}

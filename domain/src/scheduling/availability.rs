//! Which start times can be offered. Works purely on UTC intervals (the
//! server converts local hours with `zone` first), so it has no tz
//! dependency and can be tested with plain instants.

use super::interval::{self, Interval};
use chrono::{DateTime, Duration, Utc};

/// Bookable slots of `duration`, earliest first, at most `limit`.
///
/// A slot is offered when the slot plus its `buffer` lies inside one free
/// stretch: `working` minus `blocked` (time off, room closures) minus
/// `busy`. Busy intervals must already include their own appointment's
/// buffer; only the new slot's buffer is added here. Touching is fine: a
/// slot may start the moment a busy interval ends.
///
/// Starts are multiples of `grid_minutes` since the Unix epoch, which are
/// also wall-clock multiples in every zone whose UTC offset is a multiple
/// of the grid: all whole- and half-hour zones for grids of 5, 10 and 15.
/// Caveat: in a zone offset by 45 minutes (Asia/Kathmandu, Pacific/Chatham)
/// a 10-minute grid lands on :05, :15, … local; the 5 and 15 grids still
/// line up.
///
/// Cost is one sort and sweep of the intervals plus one step per slot
/// returned: O((n + m) log(n + m) + limit), never a scan minute by minute.
#[allow(clippy::too_many_arguments)]
pub fn free_slots(
    working: &[Interval],
    blocked: &[Interval],
    busy: &[Interval],
    duration: Duration,
    buffer: Duration,
    grid_minutes: u32,
    not_before: DateTime<Utc>,
    limit: usize,
) -> Vec<Interval> {
    if duration <= Duration::zero() || limit == 0 {
        return Vec::new();
    }
    let grid = Duration::minutes(grid_minutes.max(1).into());
    let needed = duration + buffer.max(Duration::zero());
    let taken: Vec<Interval> = blocked.iter().chain(busy).copied().collect();
    let mut slots = Vec::new();
    for free in interval::subtract(working, &taken) {
        if free.end() <= not_before {
            continue;
        }
        let mut start = align_up(free.start().max(not_before), grid);
        while start + needed <= free.end() {
            slots.push(Interval::from_ordered(start, start + duration));
            if slots.len() == limit {
                return slots;
            }
            start += grid;
        }
    }
    slots
}

/// Whether `candidate` clashes with any of `busy` (which should include
/// buffers and only appointments that still take up time).
pub fn conflicts(candidate: &Interval, busy: &[Interval]) -> bool {
    busy.iter().any(|other| candidate.overlaps(other))
}

/// The first multiple of `grid` since the epoch at or after `instant`.
fn align_up(instant: DateTime<Utc>, grid: Duration) -> DateTime<Utc> {
    let since_epoch = instant - DateTime::UNIX_EPOCH;
    let (nanos, grid_nanos) = (since_epoch.num_nanoseconds(), grid.num_nanoseconds());
    match (nanos, grid_nanos) {
        (Some(nanos), Some(grid_nanos)) if grid_nanos > 0 => match nanos.rem_euclid(grid_nanos) {
            0 => instant,
            past => instant + Duration::nanoseconds(grid_nanos - past),
        },
        // Centuries away from the epoch: no clinic books there.
        _ => instant,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduling::interval::tests::{at, span};
    use chrono::{Datelike, Timelike, Weekday};

    fn mins(n: i64) -> Duration {
        Duration::minutes(n)
    }

    fn starts(slots: &[Interval]) -> Vec<(u32, u32)> {
        slots.iter().map(|s| (s.start().hour(), s.start().minute())).collect()
    }

    fn lunch_break() -> Vec<Interval> {
        vec![span((14, 0), (18, 0)), span((9, 0), (13, 0))]
    }

    #[test]
    fn slots_skip_lunch_and_fit_inside_working_hours() {
        let slots = free_slots(&lunch_break(), &[], &[], mins(60), mins(0), 30, at(1, 0, 0), 100);
        let got = starts(&slots);
        assert_eq!(&got[..7], &[(9, 0), (9, 30), (10, 0), (10, 30), (11, 0), (11, 30), (12, 0)]);
        assert_eq!(got[7], (14, 0));
        assert_eq!(got.last(), Some(&(17, 0)));
        assert!(slots.iter().all(|s| s.duration() == mins(60)));
        assert!(slots.windows(2).all(|w| w[0].start() < w[1].start()));
    }

    #[test]
    fn buffer_must_fit_too() {
        // 30 minutes + 10 of buffer: the last morning start is 12:15, not 12:30.
        let slots = free_slots(&lunch_break(), &[], &[], mins(30), mins(10), 15, at(1, 0, 0), 100);
        let got = starts(&slots);
        assert!(got.contains(&(12, 15)) && !got.contains(&(12, 30)));
        assert_eq!(got.last(), Some(&(17, 15)));
    }

    #[test]
    fn busy_and_blocked_time_is_avoided_but_may_be_touched() {
        let busy = [span((10, 0), (10, 45))];
        let blocked = [span((15, 0), (18, 0))];
        let got = starts(&free_slots(&lunch_break(), &blocked, &busy, mins(30), mins(0), 15, at(1, 0, 0), 100));
        assert!(got.contains(&(9, 30)), "ends exactly when the busy interval starts");
        assert!(!got.contains(&(9, 45)) && !got.contains(&(10, 0)) && !got.contains(&(10, 30)));
        assert!(got.contains(&(10, 45)), "starts exactly when the busy interval ends");
        assert_eq!(got.last(), Some(&(14, 30)));
    }

    #[test]
    fn starts_are_aligned_to_the_grid() {
        let odd = [span((9, 7), (11, 0))];
        let got = starts(&free_slots(&odd, &[], &[], mins(20), mins(0), 15, at(1, 0, 0), 100));
        assert_eq!(got, vec![(9, 15), (9, 30), (9, 45), (10, 0), (10, 15), (10, 30)]);
        let five = starts(&free_slots(&odd, &[], &[], mins(20), mins(0), 5, at(1, 0, 0), 2));
        assert_eq!(five, vec![(9, 10), (9, 15)]);
        assert_eq!(align_up(at(1, 9, 0), mins(10)), at(1, 9, 0));
        assert_eq!(align_up(at(1, 9, 0) + Duration::nanoseconds(1), mins(10)), at(1, 9, 10));
    }

    #[test]
    fn limit_and_not_before_are_respected() {
        let got = starts(&free_slots(&lunch_break(), &[], &[], mins(30), mins(0), 15, at(1, 11, 2), 3));
        assert_eq!(got, vec![(11, 15), (11, 30), (11, 45)]);
        assert!(free_slots(&lunch_break(), &[], &[], mins(30), mins(0), 15, at(2, 0, 0), 10).is_empty());
        assert!(free_slots(&lunch_break(), &[], &[], mins(30), mins(0), 15, at(1, 0, 0), 0).is_empty());
        assert!(free_slots(&lunch_break(), &[], &[], mins(0), mins(0), 15, at(1, 0, 0), 10).is_empty());
        assert!(free_slots(&lunch_break(), &[], &[], mins(300), mins(0), 15, at(1, 0, 0), 10).is_empty());
    }

    #[test]
    fn slots_may_cross_midnight_in_utc() {
        // A clinic in UTC-5 working 18:00-22:00 local works 23:00-03:00 UTC.
        let evening = [span((23, 0), (27, 0))];
        let slots = free_slots(&evening, &[], &[span((24, 0), (24, 30))], mins(60), mins(0), 30, at(1, 0, 0), 10);
        let got: Vec<(u32, u32, u32)> =
            slots.iter().map(|s| (s.start().day(), s.start().hour(), s.start().minute())).collect();
        assert_eq!(got, vec![(1, 23, 0), (2, 0, 30), (2, 1, 0), (2, 1, 30), (2, 2, 0)]);
    }

    #[test]
    fn a_year_of_appointments_is_handled_in_one_sweep() {
        let (mut working, mut busy) = (Vec::new(), Vec::new());
        let first = at(1, 0, 0);
        for day in 0..366 {
            let midnight = first + Duration::days(day);
            if matches!(midnight.weekday(), Weekday::Sat | Weekday::Sun) {
                continue;
            }
            working.push(Interval::new(midnight + Duration::hours(8), midnight + Duration::hours(18)).unwrap());
            // Every half hour booked except a gap at 16:00 on day 302 (a Tuesday).
            for half in 16..36 {
                if !(day == 302 && half == 32) {
                    busy.push(Interval::starting_at(midnight + mins(30 * half), mins(30)).unwrap());
                }
            }
        }
        busy.reverse();
        let slots = free_slots(&working, &[], &busy, mins(30), mins(0), 5, first, 10);
        assert_eq!(
            slots,
            vec![Interval::starting_at(first + Duration::days(302) + Duration::hours(16), mins(30)).unwrap()]
        );
        assert!(conflicts(&slots[0], &working) && !conflicts(&slots[0], &busy));
        // And a wide-open year returns only `limit` slots.
        assert_eq!(free_slots(&working, &[], &[], mins(30), mins(0), 5, first, 500).len(), 500);
    }

    #[test]
    fn conflicts_respect_half_open_ends() {
        let busy = [span((9, 0), (10, 0)), span((11, 0), (12, 0))];
        assert!(!conflicts(&span((10, 0), (11, 0)), &busy));
        assert!(conflicts(&span((10, 0), (11, 1)), &busy));
        assert!(conflicts(&span((8, 0), (13, 0)), &busy));
        assert!(!conflicts(&span((9, 0), (10, 0)), &[]));
    }
}

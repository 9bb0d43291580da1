//! Forms that put something on the calendar: a booking and a stretch of
//! time off. Both arrive as local date and time; the server resolves them
//! to UTC with `zone` (where clock changes are decided) and checks clashes.

use super::local::{parse_time, DstChoice};
use crate::{
    accounts::ticked,
    errors::{FieldErrors, ParseError},
    patients::parse_date,
    AppointmentTypeId, PatientId, PractitionerId, RoomId,
};
use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use serde::{Deserialize, Serialize};
use std::str::FromStr;

pub(super) fn pick<T: FromStr>(raw: &str, message: &str) -> Result<T, ParseError> {
    raw.trim().parse().map_err(|_| ParseError::new(message))
}

pub(super) fn required_date(raw: &str) -> Result<NaiveDate, ParseError> {
    if raw.trim().is_empty() {
        return Err(ParseError::new("Choose the date."));
    }
    parse_date(raw)
}

/// Optional trimmed free text with a length cap; newlines allowed.
pub(super) fn free_text(raw: &str, max: usize, what: &str) -> Result<Option<String>, ParseError> {
    let text = raw.trim();
    if text.chars().count() > max {
        Err(ParseError::new(format!("Keep the {what} under {max} characters.")))
    } else if crate::errors::has_forbidden_chars(text, true) {
        Err(ParseError::new(format!("Remove control characters from the {what}.")))
    } else {
        Ok((!text.is_empty()).then(|| text.to_owned()))
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BookingForm {
    pub patient_id: String,
    pub practitioner_id: String,
    #[serde(default)]
    pub room_id: String,
    pub type_id: String,
    pub date: String,
    pub time: String,
    /// "", "earlier" or "later": only asked when the time falls in the
    /// repeated hour of a clock change.
    #[serde(default)]
    pub dst_choice: String,
    /// Checkbox: book even though it clashes.
    #[serde(default)]
    pub override_conflicts: Option<String>,
    #[serde(default)]
    pub override_reason: String,
    #[serde(default)]
    pub notes: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booking {
    pub patient_id: PatientId,
    pub practitioner_id: PractitionerId,
    pub room_id: Option<RoomId>,
    pub type_id: AppointmentTypeId,
    /// Local date and time in the clinic's zone.
    pub date: NaiveDate,
    pub time: NaiveTime,
    pub dst_choice: Option<DstChoice>,
    /// Present only when staff chose to book over a clash; the reason goes
    /// to the audit trail.
    pub override_reason: Option<String>,
    pub notes: Option<String>,
}

impl BookingForm {
    pub const MIN_OVERRIDE_REASON: usize = 10;
    pub const MAX_OVERRIDE_REASON: usize = 500;
    pub const MAX_NOTES: usize = 500;

    pub fn parse(&self) -> Result<Booking, FieldErrors> {
        let mut errors = FieldErrors::new();
        let patient_id = errors.check("patient_id", pick(&self.patient_id, "Choose a patient from the list."));
        let practitioner_id =
            errors.check("practitioner_id", pick(&self.practitioner_id, "Choose a practitioner from the list."));
        let room_id = match self.room_id.trim() {
            "" => Some(None),
            raw => errors.check("room_id", pick(raw, "Choose a room from the list, or none.")).map(Some),
        };
        let type_id = errors.check("type_id", pick(&self.type_id, "Choose the type of appointment."));
        let date = errors.check("date", required_date(&self.date));
        let time = errors.check("time", booking_time(&self.time));
        let dst_choice = errors.check("dst_choice", DstChoice::parse(&self.dst_choice)).flatten();
        let override_reason = if ticked(&self.override_conflicts) {
            errors.check("override_reason", override_reason(&self.override_reason))
        } else {
            None
        };
        let notes = errors.check("notes", free_text(&self.notes, Self::MAX_NOTES, "notes")).flatten();
        match (patient_id, practitioner_id, room_id, type_id, date, time) {
            (Some(patient_id), Some(practitioner_id), Some(room_id), Some(type_id), Some(date), Some(time))
                if errors.is_empty() =>
            {
                Ok(Booking {
                    patient_id,
                    practitioner_id,
                    room_id,
                    type_id,
                    date,
                    time,
                    dst_choice,
                    override_reason,
                    notes,
                })
            }
            _ => Err(errors),
        }
    }
}

/// Bookings sit on 5-minute marks, matching the finest calendar grid, so
/// every appointment can be drawn and found on the grid.
fn booking_time(raw: &str) -> Result<NaiveTime, ParseError> {
    if raw.trim().is_empty() {
        return Err(ParseError::new("Choose the time."));
    }
    let time = parse_time(raw)?;
    if time.minute() % 5 != 0 {
        return Err(ParseError::new("Choose a time on a 5-minute mark, like 09:05 or 09:10."));
    }
    Ok(time)
}

pub(super) fn override_reason(raw: &str) -> Result<String, ParseError> {
    let reason = free_text(raw, BookingForm::MAX_OVERRIDE_REASON, "reason")?.unwrap_or_default();
    if reason.chars().count() < BookingForm::MIN_OVERRIDE_REASON {
        return Err(ParseError::new(
            "Say why this booking may overlap (at least 10 characters). It is recorded with the booking.",
        ));
    }
    Ok(reason)
}

/// A practitioner's absence (holiday, training, sick leave).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TimeOffForm {
    pub practitioner_id: String,
    pub from_date: String,
    /// Empty means from the start of the day.
    #[serde(default)]
    pub from_time: String,
    pub to_date: String,
    /// Empty means to the end of the day.
    #[serde(default)]
    pub to_time: String,
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeOff {
    pub practitioner_id: PractitionerId,
    /// Local, in the clinic's zone; `to` is exclusive (a whole day off ends
    /// at the next midnight).
    pub from: NaiveDateTime,
    pub to: NaiveDateTime,
    pub reason: Option<String>,
}

impl TimeOffForm {
    pub const MAX_REASON: usize = 200;
    /// One entry per year at most: longer absences are rare enough to split,
    /// and a typo in the year should not blank out a decade.
    pub const MAX_DAYS: i64 = 366;

    pub fn parse(&self) -> Result<TimeOff, FieldErrors> {
        let mut errors = FieldErrors::new();
        let practitioner_id =
            errors.check("practitioner_id", pick(&self.practitioner_id, "Choose a practitioner from the list."));
        let from_date = errors.check("from_date", required_date(&self.from_date));
        let to_date = errors.check("to_date", required_date(&self.to_date));
        let from_time = errors.check("from_time", optional_time(&self.from_time));
        let to_time = errors.check("to_time", optional_time(&self.to_time));
        let reason = errors.check("reason", free_text(&self.reason, Self::MAX_REASON, "reason")).flatten();
        let (Some(practitioner_id), Some(from_date), Some(to_date), Some(from_time), Some(to_time)) =
            (practitioner_id, from_date, to_date, from_time, to_time)
        else {
            return Err(errors);
        };
        let from = from_date.and_time(from_time.unwrap_or(NaiveTime::MIN));
        let to = match to_time {
            Some(time) => Some(to_date.and_time(time)),
            None => to_date.succ_opt().map(|next| next.and_time(NaiveTime::MIN)),
        };
        match to {
            _ if to_date < from_date => errors.add("to_date", "The end date is before the start date."),
            Some(to) if to <= from => errors.add("to_time", "The end must be after the start."),
            Some(to) if to - from > Duration::days(Self::MAX_DAYS) => {
                errors.add("to_date", "Enter time off of at most a year at a time.")
            }
            None => errors.add("to_date", "Choose an earlier end date."),
            Some(_) => {}
        }
        match to {
            Some(to) if errors.is_empty() => Ok(TimeOff { practitioner_id, from, to, reason }),
            _ => Err(errors),
        }
    }
}

fn optional_time(raw: &str) -> Result<Option<NaiveTime>, ParseError> {
    if raw.trim().is_empty() {
        Ok(None)
    } else {
        parse_time(raw).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0190f0f0-0000-7000-8000-000000000000";

    fn booking() -> BookingForm {
        BookingForm {
            patient_id: ID.into(),
            practitioner_id: ID.into(),
            type_id: ID.into(),
            date: "2026-03-10".into(),
            time: "09:05".into(),
            ..Default::default()
        }
    }

    fn booking_errors(f: impl FnOnce(&mut BookingForm)) -> FieldErrors {
        let mut form = booking();
        f(&mut form);
        form.parse().unwrap_err()
    }

    #[test]
    fn a_plain_booking_parses_to_typed_values() {
        let parsed = booking().parse().unwrap();
        assert_eq!(parsed.patient_id.to_string(), ID);
        assert_eq!(parsed.date, NaiveDate::from_ymd_opt(2026, 3, 10).unwrap());
        assert_eq!(parsed.time, NaiveTime::from_hms_opt(9, 5, 0).unwrap());
        assert_eq!((parsed.room_id, parsed.dst_choice, parsed.override_reason, parsed.notes), (None, None, None, None));
        let full = BookingForm {
            room_id: ID.into(),
            dst_choice: "later".into(),
            notes: " Bring the X-ray.\nFasting. ".into(),
            // A reason typed without ticking the override is ignored.
            override_reason: "x".into(),
            ..booking()
        };
        let parsed = full.parse().unwrap();
        assert!(parsed.room_id.is_some() && parsed.dst_choice == Some(DstChoice::Later));
        assert_eq!(parsed.notes.as_deref(), Some("Bring the X-ray.\nFasting."));
    }

    #[test]
    fn errors_land_on_their_fields() {
        assert!(booking_errors(|f| f.time = "25:61".into()).get("time").is_some());
        assert!(booking_errors(|f| f.time = "09:07".into()).get("time").unwrap().contains("5-minute"));
        assert!(booking_errors(|f| f.time = "".into()).get("time").is_some());
        assert!(booking_errors(|f| f.date = "2026-02-30".into()).get("date").is_some());
        assert!(booking_errors(|f| f.date = "".into()).get("date").is_some());
        assert!(booking_errors(|f| f.dst_choice = "both".into()).get("dst_choice").is_some());
        assert!(booking_errors(|f| f.notes = "n".repeat(501)).get("notes").is_some());
        let ids = booking_errors(|f| {
            f.patient_id = "' OR 1=1--".into();
            f.practitioner_id = "".into();
            f.room_id = "room 3".into();
            f.type_id = "42".into();
        });
        for field in ["patient_id", "practitioner_id", "room_id", "type_id"] {
            assert!(ids.get(field).is_some(), "{field}");
        }
        assert_eq!(ids.0.len(), 4);
    }

    #[test]
    fn overriding_a_clash_needs_a_reason() {
        let tick = |reason: &str| BookingForm {
            override_conflicts: Some("on".into()),
            override_reason: reason.into(),
            ..booking()
        };
        assert!(tick("urgent").parse().unwrap_err().get("override_reason").unwrap().contains("at least 10"));
        assert!(tick("          ").parse().unwrap_err().get("override_reason").is_some());
        assert!(tick(&"r".repeat(501)).parse().unwrap_err().get("override_reason").is_some());
        let ok = tick(" Patient in pain, seen between appointments ").parse().unwrap();
        assert_eq!(ok.override_reason.as_deref(), Some("Patient in pain, seen between appointments"));
    }

    fn time_off(from_date: &str, from_time: &str, to_date: &str, to_time: &str) -> Result<TimeOff, FieldErrors> {
        TimeOffForm {
            practitioner_id: ID.into(),
            from_date: from_date.into(),
            from_time: from_time.into(),
            to_date: to_date.into(),
            to_time: to_time.into(),
            reason: "Conference".into(),
        }
        .parse()
    }

    fn local(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn time_off_spans_whole_days_or_exact_times() {
        let days = time_off("2026-08-03", "", "2026-08-07", "").unwrap();
        assert_eq!((days.from, days.to), (local("2026-08-03 00:00"), local("2026-08-08 00:00")));
        assert_eq!(days.reason.as_deref(), Some("Conference"));
        // Across midnight, with times.
        let night = time_off("2026-08-03", "22:00", "2026-08-04", "02:00").unwrap();
        assert_eq!((night.from, night.to), (local("2026-08-03 22:00"), local("2026-08-04 02:00")));
        let one_day = time_off("2026-08-03", "", "2026-08-03", "").unwrap();
        assert_eq!(one_day.to - one_day.from, Duration::days(1));
    }

    #[test]
    fn time_off_must_end_after_it_starts() {
        assert!(time_off("2026-08-03", "14:00", "2026-08-03", "14:00").unwrap_err().get("to_time").is_some());
        assert!(time_off("2026-08-03", "14:00", "2026-08-03", "09:00").unwrap_err().get("to_time").is_some());
        assert!(time_off("2026-08-03", "", "2026-08-02", "").unwrap_err().get("to_date").is_some());
        assert!(time_off("2026-08-03", "", "2036-08-03", "").unwrap_err().get("to_date").unwrap().contains("a year"));
        let errors = time_off("2026-02-30", "9am", "", "24:00").unwrap_err();
        for field in ["from_date", "from_time", "to_date", "to_time"] {
            assert!(errors.get(field).is_some(), "{field}");
        }
        let nobody = TimeOffForm {
            practitioner_id: "x".into(),
            from_date: "2026-08-03".into(),
            to_date: "2026-08-03".into(),
            ..Default::default()
        };
        assert!(nobody.parse().unwrap_err().get("practitioner_id").is_some());
    }
}

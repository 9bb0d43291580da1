//! The smaller scheduling forms: rooms, the clinic's calendar settings,
//! moving and resizing an appointment, status changes, the waitlist. Like
//! the others they parse into typed values or report at the field.

use super::{
    booking::{free_text, override_reason, pick, required_date},
    hours::{WeeklyHours, WeeklyHoursForm},
    local::{parse_time, DstChoice},
    recurrence::SeriesScope,
    setup::{AppointmentTypeForm, CalendarGrid},
    status::AppointmentStatus,
};
use crate::{
    accounts::ticked,
    errors::{has_forbidden_chars, FieldErrors, ParseError},
    AppointmentTypeId, PatientId, PractitionerId, RoomId,
};
use chrono::{NaiveDate, NaiveTime, Timelike};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RoomForm {
    pub name: String,
}

impl RoomForm {
    pub const MAX_NAME: usize = 60;

    pub fn parse(&self) -> Result<String, FieldErrors> {
        let name = self.name.trim();
        let error = if name.is_empty() {
            "Name the room, e.g. Room 1."
        } else if name.chars().count() > Self::MAX_NAME {
            "Keep the room name under 60 characters."
        } else if has_forbidden_chars(name, false) {
            "Remove control characters from the name."
        } else {
            return Ok(name.to_owned());
        };
        Err(FieldErrors::single("name", error))
    }
}

/// Leave (holiday, training, sick) or blocked time (meetings, admin): both
/// keep bookings out; the calendar shows them differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeOffKind {
    Leave,
    Blocked,
}

impl TimeOffKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TimeOffKind::Leave => "leave",
            TimeOffKind::Blocked => "blocked",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        match raw.trim() {
            "leave" => Ok(TimeOffKind::Leave),
            "blocked" => Ok(TimeOffKind::Blocked),
            _ => Err(ParseError::new("Choose leave or blocked time.")),
        }
    }
}

/// How the day view is split into columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CalendarBy {
    #[default]
    Practitioner,
    Room,
}

/// The clinic's calendar grid and its own opening hours (empty on every
/// day: no clinic-wide limit, only the practitioners' hours count).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ScheduleSettingsForm {
    pub grid_minutes: String,
    #[serde(default)]
    pub opening_hours: WeeklyHoursForm,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleSettings {
    pub grid: CalendarGrid,
    pub opening_hours: Option<WeeklyHours>,
}

impl ScheduleSettingsForm {
    pub fn parse(&self) -> Result<ScheduleSettings, FieldErrors> {
        let mut errors = FieldErrors::new();
        let grid = errors.check("grid_minutes", CalendarGrid::parse(&self.grid_minutes));
        let hours = match self.opening_hours.parse() {
            Ok(hours) => Some(hours),
            Err(hour_errors) => {
                for (field, message) in hour_errors.0 {
                    errors.add(&field, message);
                }
                None
            }
        };
        match (grid, hours) {
            (Some(grid), Some(hours)) if errors.is_empty() => {
                Ok(ScheduleSettings { grid, opening_hours: (!hours.is_closed()).then_some(hours) })
            }
            _ => Err(errors),
        }
    }
}

/// Moving (drag and drop, or the edit form) and resizing an appointment.
/// Empty fields keep what the appointment has.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RescheduleForm {
    pub date: String,
    pub time: String,
    #[serde(default)]
    pub dst_choice: String,
    #[serde(default)]
    pub practitioner_id: String,
    /// "" keeps the room, "none" takes the appointment out of its room.
    #[serde(default)]
    pub room_id: String,
    #[serde(default)]
    pub duration_minutes: String,
    /// The version the calendar showed; a move made meanwhile wins and
    /// this one is refused rather than silently overwriting it.
    pub expected_version: String,
    /// "this_one" (default), "this_and_following" or "all" for a series.
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub override_conflicts: Option<String>,
    #[serde(default)]
    pub override_reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoomChange {
    Keep,
    Clear,
    To(RoomId),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reschedule {
    pub date: NaiveDate,
    pub time: NaiveTime,
    pub dst_choice: Option<DstChoice>,
    pub practitioner_id: Option<PractitionerId>,
    pub room: RoomChange,
    pub duration_minutes: Option<u32>,
    pub expected_version: i64,
    pub scope: SeriesScope,
    pub override_reason: Option<String>,
}

impl RescheduleForm {
    pub fn parse(&self) -> Result<Reschedule, FieldErrors> {
        let mut errors = FieldErrors::new();
        let date = errors.check("date", required_date(&self.date));
        let time = errors.check("time", five_minute_time(&self.time));
        let dst_choice = errors.check("dst_choice", DstChoice::parse(&self.dst_choice)).flatten();
        let practitioner_id = match self.practitioner_id.trim() {
            "" => Some(None),
            raw => errors.check("practitioner_id", pick(raw, "Choose a practitioner from the list.")).map(Some),
        };
        let room = match self.room_id.trim() {
            "" => Some(RoomChange::Keep),
            "none" => Some(RoomChange::Clear),
            raw => errors.check("room_id", pick(raw, "Choose a room from the list, or none.")).map(RoomChange::To),
        };
        let (lo, hi) = AppointmentTypeForm::DURATION_RANGE;
        let duration_minutes = match self.duration_minutes.trim() {
            "" => Some(None),
            raw => match raw.parse::<u32>() {
                Ok(n) if (lo..=hi).contains(&n) && n % 5 == 0 => Some(Some(n)),
                _ => {
                    errors.add("duration_minutes", format!("Enter a duration from {lo} to {hi} minutes, in steps of 5."));
                    None
                }
            },
        };
        let expected_version = match self.expected_version.trim().parse::<i64>() {
            Ok(n) if n >= 1 => Some(n),
            _ => {
                errors.add("expected_version", "Reload the calendar and try again.");
                None
            }
        };
        let scope = match self.scope.trim() {
            "" => Some(SeriesScope::ThisOne),
            raw => errors.check("scope", SeriesScope::parse(raw)),
        };
        let override_reason = if ticked(&self.override_conflicts) {
            errors.check("override_reason", override_reason(&self.override_reason))
        } else {
            None
        };
        match (date, time, practitioner_id, room, duration_minutes, expected_version, scope) {
            (Some(date), Some(time), Some(practitioner_id), Some(room), Some(duration_minutes), Some(expected_version), Some(scope))
                if errors.is_empty() =>
            {
                Ok(Reschedule {
                    date,
                    time,
                    dst_choice,
                    practitioner_id,
                    room,
                    duration_minutes,
                    expected_version,
                    scope,
                    override_reason,
                })
            }
            _ => Err(errors),
        }
    }
}

fn five_minute_time(raw: &str) -> Result<NaiveTime, ParseError> {
    if raw.trim().is_empty() {
        return Err(ParseError::new("Choose the time."));
    }
    let time = parse_time(raw)?;
    if time.minute() % 5 != 0 {
        return Err(ParseError::new("Choose a time on a 5-minute mark, like 09:05 or 09:10."));
    }
    Ok(time)
}

/// A status change from the calendar (arrived, completed, cancelled, …).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StatusForm {
    pub status: String,
    #[serde(default)]
    pub reason: String,
    /// For a cancellation in a series: "this_one" (default), "this_and_following", "all".
    #[serde(default)]
    pub scope: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    pub next: AppointmentStatus,
    pub reason: Option<String>,
    pub scope: SeriesScope,
}

impl StatusForm {
    pub const MAX_REASON: usize = 500;

    pub fn parse(&self) -> Result<StatusChange, FieldErrors> {
        let mut errors = FieldErrors::new();
        let next = errors.check("status", AppointmentStatus::parse(&self.status));
        let reason = errors.check("reason", free_text(&self.reason, Self::MAX_REASON, "reason")).flatten();
        let scope = match self.scope.trim() {
            "" => Some(SeriesScope::ThisOne),
            raw => errors.check("scope", SeriesScope::parse(raw)),
        };
        if let Some(next) = next {
            if next.requires_reason() && reason.is_none() {
                errors.add("reason", "Say why the appointment is cancelled. It goes to the cancellation report.");
            }
        }
        match (next, scope) {
            (Some(next), Some(scope)) if errors.is_empty() => Ok(StatusChange { next, reason, scope }),
            _ => Err(errors),
        }
    }
}

/// A patient waiting for an earlier or any slot of a type.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct WaitlistForm {
    pub patient_id: String,
    pub type_id: String,
    /// Empty: any practitioner who delivers the type.
    #[serde(default)]
    pub practitioner_id: String,
    pub earliest: String,
    pub latest: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitlistRequest {
    pub patient_id: PatientId,
    pub type_id: AppointmentTypeId,
    pub practitioner_id: Option<PractitionerId>,
    pub earliest: NaiveDate,
    pub latest: NaiveDate,
    pub note: Option<String>,
}

impl WaitlistForm {
    pub const MAX_NOTE: usize = 500;

    pub fn parse(&self) -> Result<WaitlistRequest, FieldErrors> {
        let mut errors = FieldErrors::new();
        let patient_id = errors.check("patient_id", pick(&self.patient_id, "Choose a patient from the list."));
        let type_id = errors.check("type_id", pick(&self.type_id, "Choose the type of appointment."));
        let practitioner_id = match self.practitioner_id.trim() {
            "" => Some(None),
            raw => errors.check("practitioner_id", pick(raw, "Choose a practitioner from the list, or any.")).map(Some),
        };
        let earliest = errors.check("earliest", required_date(&self.earliest));
        let latest = errors.check("latest", required_date(&self.latest));
        let note = errors.check("note", free_text(&self.note, Self::MAX_NOTE, "note")).flatten();
        if let (Some(earliest), Some(latest)) = (earliest, latest) {
            if latest < earliest {
                errors.add("latest", "The last date is before the first.");
            }
        }
        match (patient_id, type_id, practitioner_id, earliest, latest) {
            (Some(patient_id), Some(type_id), Some(practitioner_id), Some(earliest), Some(latest)) if errors.is_empty() => {
                Ok(WaitlistRequest { patient_id, type_id, practitioner_id, earliest, latest, note })
            }
            _ => Err(errors),
        }
    }
}

/// Booking a waitlisted patient into a slot (a freed one, or one the slot
/// finder found): where and when. The patient and the type come from the
/// waitlist entry, so the rest is an ordinary booking with its checks.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct WaitlistBookForm {
    pub practitioner_id: String,
    #[serde(default)]
    pub room_id: String,
    pub date: String,
    pub time: String,
    #[serde(default)]
    pub override_conflicts: Option<String>,
    #[serde(default)]
    pub override_reason: String,
}

/// The entry's note as the appointment's notes, shortened (with "…") to
/// fit them: the entry's note may be as long as the notes themselves.
fn waitlist_note(note: &str) -> String {
    const PREFIX: &str = "From the waitlist: ";
    let room = super::BookingForm::MAX_NOTES - PREFIX.chars().count();
    if note.chars().count() <= room {
        format!("{PREFIX}{note}")
    } else {
        format!("{PREFIX}{}…", note.chars().take(room - 1).collect::<String>())
    }
}

impl WaitlistBookForm {
    /// The booking form for the entry's patient and type; its note (what
    /// the patient asked for) goes with the appointment.
    pub fn booking_for(&self, patient_id: &str, type_id: &str, note: Option<&str>) -> super::BookingForm {
        super::BookingForm {
            patient_id: patient_id.to_owned(),
            practitioner_id: self.practitioner_id.clone(),
            room_id: self.room_id.clone(),
            type_id: type_id.to_owned(),
            date: self.date.clone(),
            time: self.time.clone(),
            dst_choice: String::new(),
            override_conflicts: self.override_conflicts.clone(),
            override_reason: self.override_reason.clone(),
            notes: note.map(waitlist_note).unwrap_or_default(),
        }
    }

    /// Whether the person asked to book over a clash (checked against the
    /// role before anything is read).
    pub fn overrides(&self) -> bool {
        ticked(&self.override_conflicts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0190f0f0-0000-7000-8000-000000000000";

    #[test]
    fn reschedule_keeps_what_is_left_empty() {
        let form = RescheduleForm {
            date: "2026-03-10".into(),
            time: "10:15".into(),
            expected_version: "3".into(),
            ..Default::default()
        };
        let parsed = form.parse().unwrap();
        assert_eq!((parsed.practitioner_id, parsed.room, parsed.duration_minutes), (None, RoomChange::Keep, None));
        assert_eq!((parsed.expected_version, parsed.scope), (3, SeriesScope::ThisOne));
        let bad = RescheduleForm {
            date: "2026-02-30".into(),
            time: "25:61".into(),
            room_id: "x".into(),
            duration_minutes: "7".into(),
            expected_version: "".into(),
            scope: "some".into(),
            ..Default::default()
        }
        .parse()
        .unwrap_err();
        for field in ["date", "time", "room_id", "duration_minutes", "expected_version", "scope"] {
            assert!(bad.get(field).is_some(), "{field}");
        }
        let clear = RescheduleForm { room_id: "none".into(), practitioner_id: ID.into(), ..form };
        assert_eq!(clear.parse().unwrap().room, RoomChange::Clear);
    }

    #[test]
    fn cancelling_needs_a_reason() {
        let cancel = |reason: &str| StatusForm { status: "cancelled".into(), reason: reason.into(), scope: "".into() };
        assert!(cancel("  ").parse().unwrap_err().get("reason").is_some());
        assert_eq!(cancel("Patient is ill").parse().unwrap().reason.as_deref(), Some("Patient is ill"));
        assert!(StatusForm { status: "arrived".into(), ..Default::default() }.parse().is_ok());
        assert!(StatusForm { status: "gone".into(), ..Default::default() }.parse().unwrap_err().get("status").is_some());
    }

    #[test]
    fn a_waitlist_booking_is_an_ordinary_booking_for_the_entry() {
        let form = WaitlistBookForm {
            practitioner_id: ID.into(),
            date: "2026-05-04".into(),
            time: "09:30".into(),
            ..Default::default()
        };
        let booking = form.booking_for(ID, ID, Some("Mornings")).parse().unwrap();
        assert_eq!((booking.room_id, booking.override_reason), (None, None));
        assert_eq!(booking.notes.as_deref(), Some("From the waitlist: Mornings"));
        assert!(!form.overrides());
        let bad = WaitlistBookForm { time: "09:31".into(), date: "2026-02-30".into(), ..form };
        let errors = bad.booking_for(ID, ID, None).parse().unwrap_err();
        assert!(errors.get("time").is_some() && errors.get("date").is_some());
        // A 500-character note plus the prefix still fits the booking's notes.
        let long = "n".repeat(WaitlistForm::MAX_NOTE);
        assert!(WaitlistBookForm { date: "2026-05-04".into(), time: "09:30".into(), practitioner_id: ID.into(), ..Default::default() }
            .booking_for(ID, ID, Some(&long))
            .parse()
            .is_ok());
    }

    #[test]
    fn settings_and_waitlist_and_rooms() {
        let settings = ScheduleSettingsForm { grid_minutes: "10".into(), opening_hours: WeeklyHoursForm::default() };
        assert_eq!(settings.parse().unwrap(), ScheduleSettings { grid: CalendarGrid::Ten, opening_hours: None });
        let bad = ScheduleSettingsForm {
            grid_minutes: "7".into(),
            opening_hours: WeeklyHoursForm { hours_mon: "9-5".into(), ..Default::default() },
        };
        let errors = bad.parse().unwrap_err();
        assert!(errors.get("grid_minutes").is_some() && errors.get("hours_mon").is_some());
        let wait = WaitlistForm {
            patient_id: ID.into(),
            type_id: ID.into(),
            earliest: "2026-05-02".into(),
            latest: "2026-05-01".into(),
            ..Default::default()
        };
        assert!(wait.parse().unwrap_err().get("latest").is_some());
        assert!(RoomForm { name: " ".into() }.parse().is_err());
        assert_eq!(RoomForm { name: " Room 1 ".into() }.parse().unwrap(), "Room 1");
    }
}

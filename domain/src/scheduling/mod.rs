//! Scheduling rules: weekly hours, availability, recurrence, appointment
//! status and the booking forms.
//!
//! Everything is stored in UTC and typed in the clinic's local time. The
//! conversion between the two lives in `zone` (server only, as it needs the
//! tz database); the rest works on either side, so the browser can give the
//! same answers the server will enforce.

pub mod availability;
pub mod booking;
pub mod hours;
pub mod insights;
pub mod interval;
pub mod local;
pub mod manage;
pub mod recurrence;
pub mod setup;
pub mod status;
#[cfg(feature = "server")]
pub mod zone;

pub use availability::{conflicts, free_slots};
pub use booking::{Booking, BookingForm, TimeOff, TimeOffForm};
pub use hours::{WeeklyHours, WeeklyHoursForm};
pub use interval::Interval;
pub use local::DstChoice;
pub use manage::{
    CalendarBy, RescheduleForm, RoomChange, RoomForm, ScheduleSettingsForm, StatusForm, TimeOffKind, WaitlistBookForm,
    WaitlistForm,
};
pub use recurrence::{Recurrence, RecurrenceEnd, RecurrenceForm, SeriesScope};
pub use setup::{AppointmentTypeForm, AppointmentTypeSpec, CalendarGrid, Colour};
pub use status::AppointmentStatus;
#[cfg(feature = "server")]
pub use zone::LocalResolution;

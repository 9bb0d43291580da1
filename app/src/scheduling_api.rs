//! Server functions of the calendar: the day, week and month views,
//! booking, moving and resizing, status changes, the slot finder and the
//! pickers' lists. Each authenticates, calls one scheduling service and
//! shapes its answer for the page: local times become minutes from the
//! shown day's midnight, so the page positions appointments without a
//! time-zone database in the browser.

use crate::error::AppError;
use ambula_domain::{
    accounts::NoExtraFields,
    scheduling::{AppointmentStatus, BookingForm, CalendarBy, RecurrenceForm, RescheduleForm, StatusForm},
};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::session::require_auth;
#[cfg(feature = "ssr")]
use ambula_backend::services::scheduling::{booking, calendar, setup, AppointmentView, LocalSpan};

/// Minutes in a day: the page's rows run from 0 to this.
pub const DAY_MINUTES: u32 = 24 * 60;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Appointment {
    pub id: String,
    /// Sent back as `expected_version` when moving it.
    pub version: i64,
    pub patient_name: String,
    pub practitioner_id: String,
    pub practitioner_name: String,
    pub practitioner_colour: String,
    pub room_id: String,
    pub room_name: String,
    pub type_id: String,
    pub type_name: String,
    pub type_colour: String,
    pub status: AppointmentStatus,
    pub series: bool,
    /// Local date and times, as typed in the forms ("2026-03-10", "09:30").
    pub date: String,
    pub start: String,
    pub end: String,
    pub duration_minutes: u32,
    /// Minutes from the shown day's local midnight, clamped to the day.
    pub start_min: u32,
    pub end_min: u32,
    pub notes: String,
    pub cancel_reason: String,
    pub override_reason: String,
}

/// A shaded stretch of a column: working hours, or time off with its label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Span {
    pub start_min: u32,
    pub end_min: u32,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Column {
    pub title: String,
    /// Empty for a room column.
    pub practitioner_id: String,
    /// Empty for a practitioner column (and for "No room").
    pub room_id: String,
    /// The practitioner's colour; empty for a room.
    pub colour: String,
    pub working: Vec<Span>,
    pub blocked: Vec<Span>,
    pub appointments: Vec<Appointment>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DayData {
    pub date: String,
    /// "Tuesday 10 March 2026".
    pub title: String,
    pub today: String,
    pub time_zone: String,
    pub grid_minutes: u32,
    pub by: CalendarBy,
    /// Minutes from midnight when the shown day is today in the clinic.
    pub now_min: Option<u32>,
    pub can_override: bool,
    pub columns: Vec<Column>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeekDayData {
    pub date: String,
    pub title: String,
    pub working: Vec<Span>,
    pub blocked: Vec<Span>,
    pub appointments: Vec<Appointment>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeekData {
    pub practitioner_id: String,
    pub practitioner_name: String,
    pub time_zone: String,
    pub grid_minutes: u32,
    pub can_override: bool,
    /// Today in the clinic, and the minutes from its midnight (the now line).
    pub today: String,
    pub now_min: Option<u32>,
    pub days: Vec<WeekDayData>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonthData {
    pub year: i32,
    pub month: u32,
    pub title: String,
    /// Every day of the month: date, weekday (0 = Monday) and the number of
    /// active appointments.
    pub days: Vec<(String, u32, u32)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    pub id: String,
    pub name: String,
    pub colour: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TypeChoice {
    pub id: String,
    pub name: String,
    pub duration_minutes: u32,
    pub colour: String,
    /// Who delivers it; empty means everyone.
    pub practitioners: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Slot {
    pub practitioner_id: String,
    pub practitioner_name: String,
    pub date: String,
    pub start: String,
    pub end: String,
    /// "Tue 10 Mar, 09:30–10:00 · Dr Silva".
    pub label: String,
}

#[cfg(feature = "ssr")]
mod shape {
    use super::*;
    use chrono::{NaiveDate, NaiveDateTime, Timelike};

    /// Minutes from `day`'s midnight, clamped to the day.
    pub fn minutes(at: NaiveDateTime, day: NaiveDate) -> u32 {
        if at.date() < day {
            0
        } else if at.date() > day {
            DAY_MINUTES
        } else {
            at.hour() * 60 + at.minute()
        }
    }

    pub fn span(s: &LocalSpan, day: NaiveDate, label: String) -> Span {
        Span { start_min: minutes(s.local_start, day), end_min: minutes(s.local_end, day), label }
    }

    pub fn appointment(a: AppointmentView, day: NaiveDate, practitioner_colour: &str) -> Appointment {
        Appointment {
            id: a.id.to_string(),
            version: a.version,
            patient_name: a.patient_name,
            practitioner_id: a.practitioner_id.to_string(),
            practitioner_name: a.practitioner_name,
            practitioner_colour: practitioner_colour.to_owned(),
            room_id: a.room_id.map(|r| r.to_string()).unwrap_or_default(),
            room_name: a.room_name.unwrap_or_default(),
            type_id: a.type_id.to_string(),
            type_name: a.type_name,
            type_colour: a.colour,
            status: a.status,
            series: a.series_id.is_some(),
            date: a.local_start.date().to_string(),
            start: a.local_start.format("%H:%M").to_string(),
            end: a.local_end.format("%H:%M").to_string(),
            duration_minutes: (a.ends_at.0 - a.starts_at.0).num_minutes().max(0) as u32,
            start_min: minutes(a.local_start, day),
            end_min: minutes(a.local_end, day),
            notes: a.notes.unwrap_or_default(),
            cancel_reason: a.cancel_reason.unwrap_or_default(),
            override_reason: a.override_reason.unwrap_or_default(),
        }
    }

    pub fn blocked(b: &calendar::BlockedView, day: NaiveDate) -> Span {
        let kind = match b.kind {
            ambula_domain::scheduling::TimeOffKind::Leave => "Leave",
            ambula_domain::scheduling::TimeOffKind::Blocked => "Blocked",
        };
        let label = match &b.reason {
            Some(reason) => format!("{kind}: {reason}"),
            None => kind.to_owned(),
        };
        span(&b.span, day, label)
    }

    pub fn now_in(time_zone: &str, services: &ambula_backend::Services) -> NaiveDateTime {
        let tz = ambula_domain::TimeZoneName::parse(time_zone).map(|t| t.tz()).unwrap_or(chrono_tz::UTC);
        services.now().0.with_timezone(&tz).naive_local()
    }
}

/// One day in columns by practitioner or by room (`by`: "practitioner",
/// "room"). An empty `date` is today in the clinic.
/// The same as [`calendar_day`], asked by the page itself after a live update:
/// its endpoint ends in `_live`, so the server does not count it as the user
/// at work and an unattended calendar still signs out on time.
#[server(endpoint = "calendar_day_live")]
pub async fn calendar_day_live(date: String, by: String) -> Result<DayData, AppError> {
    calendar_day(date, by).await
}

#[server(endpoint = "calendar_day")]
pub async fn calendar_day(date: String, by: String) -> Result<DayData, AppError> {
    let (services, ctx) = require_auth().await?;
    let by = match by.trim() {
        "room" => CalendarBy::Room,
        _ => CalendarBy::Practitioner,
    };
    let date = match date.trim() {
        "" => calendar::clinic_today(&services, &ctx).await?.to_string(),
        raw => raw.to_owned(),
    };
    let view = calendar::day_view(&services, &ctx, &date, by).await?;
    let now = shape::now_in(&view.time_zone, &services);
    let day = view.date;
    let colours: std::collections::HashMap<String, String> = view
        .columns
        .iter()
        .filter_map(|c| Some((c.practitioner_id?.to_string(), c.colour.clone()?)))
        .collect();
    let colour_of = |id: &str| colours.get(id).cloned().unwrap_or_else(|| "#4a5563".to_owned());
    Ok(DayData {
        date: day.to_string(),
        title: day.format("%A %-d %B %Y").to_string(),
        today: now.date().to_string(),
        time_zone: view.time_zone.clone(),
        grid_minutes: view.grid_minutes,
        by,
        now_min: (now.date() == day).then(|| shape::minutes(now, day)),
        can_override: ctx.can(ambula_domain::Permission::OverrideSchedule),
        columns: view
            .columns
            .into_iter()
            .map(|c| Column {
                title: c.title,
                practitioner_id: c.practitioner_id.map(|p| p.to_string()).unwrap_or_default(),
                room_id: c.room_id.map(|r| r.to_string()).unwrap_or_default(),
                colour: c.colour.clone().unwrap_or_default(),
                working: c.working.iter().map(|w| shape::span(w, day, String::new())).collect(),
                blocked: c.blocked.iter().map(|b| shape::blocked(b, day)).collect(),
                appointments: c
                    .appointments
                    .into_iter()
                    .map(|a| {
                        let colour = colour_of(&a.practitioner_id.to_string());
                        shape::appointment(a, day, &colour)
                    })
                    .collect(),
            })
            .collect(),
    })
}

/// One practitioner's week (Monday to Sunday) around `date`; an empty
/// `date` is today in the clinic.
/// The same as [`calendar_week`], asked by the page itself after a live update:
/// its endpoint ends in `_live`, so the server does not count it as the user
/// at work and an unattended calendar still signs out on time.
#[server(endpoint = "calendar_week_live")]
pub async fn calendar_week_live(practitioner_id: String, date: String) -> Result<WeekData, AppError> {
    calendar_week(practitioner_id, date).await
}

#[server(endpoint = "calendar_week")]
pub async fn calendar_week(practitioner_id: String, date: String) -> Result<WeekData, AppError> {
    use chrono::{Datelike, Duration};
    let (services, ctx) = require_auth().await?;
    let day = match date.trim() {
        "" => calendar::clinic_today(&services, &ctx).await?,
        raw => ambula_domain::patients::parse_date(raw).map_err(|e| AppError::Invalid(ambula_domain::FieldErrors::single("date", e.0)))?,
    };
    let monday = day - Duration::days(day.weekday().num_days_from_monday().into());
    let view = calendar::week_view(&services, &ctx, &practitioner_id, &monday.to_string()).await?;
    let now = shape::now_in(&view.time_zone, &services);
    Ok(WeekData {
        today: now.date().to_string(),
        now_min: Some(shape::minutes(now, now.date())),
        practitioner_id: view.practitioner_id.to_string(),
        practitioner_name: view.practitioner_name.clone(),
        time_zone: view.time_zone,
        grid_minutes: view.grid_minutes,
        can_override: ctx.can(ambula_domain::Permission::OverrideSchedule),
        days: view
            .days
            .into_iter()
            .map(|d| WeekDayData {
                date: d.date.to_string(),
                title: d.date.format("%a %-d %b").to_string(),
                working: d.working.iter().map(|w| shape::span(w, d.date, String::new())).collect(),
                blocked: d.blocked.iter().map(|b| shape::blocked(b, d.date)).collect(),
                appointments: d.appointments.into_iter().map(|a| shape::appointment(a, d.date, "#4a5563")).collect(),
            })
            .collect(),
    })
}

/// Counts per day of a month; year 0 is this month in the clinic.
/// The same as [`calendar_month`], asked by the page itself after a live update:
/// its endpoint ends in `_live`, so the server does not count it as the user
/// at work and an unattended calendar still signs out on time.
#[server(endpoint = "calendar_month_live")]
pub async fn calendar_month_live(year: i32, month: u32) -> Result<MonthData, AppError> {
    calendar_month(year, month).await
}

#[server(endpoint = "calendar_month")]
pub async fn calendar_month(year: i32, month: u32) -> Result<MonthData, AppError> {
    use chrono::Datelike;
    let (services, ctx) = require_auth().await?;
    let (year, month) = match year {
        0 => {
            let today = calendar::clinic_today(&services, &ctx).await?;
            (today.year(), today.month())
        }
        _ => (year, month),
    };
    let view = calendar::month_overview(&services, &ctx, year, month).await?;
    let title = view.days.first().map(|(d, _)| d.format("%B %Y").to_string()).unwrap_or_default();
    Ok(MonthData {
        year: view.year,
        month: view.month,
        title,
        days: view.days.into_iter().map(|(d, n)| (d.to_string(), d.weekday().num_days_from_monday(), n)).collect(),
    })
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BookResult {
    /// How many appointments were created (more than one for a series).
    pub count: usize,
    pub first_date: String,
}

/// Books one appointment, or a weekly series with the repeat fields.
#[server(endpoint = "appointment_book")]
pub async fn appointment_book(
    #[server(flatten)] form: BookingForm,
    #[server(flatten)] repeat: RecurrenceForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<BookResult, AppError> {
    let _ = extra;
    let (services, ctx) = require_auth().await?;
    let booked = booking::book(&services, &ctx, &form, Some(&repeat)).await?;
    Ok(BookResult {
        count: booked.appointments.len(),
        first_date: booked.appointments.first().map(|a| a.local_start.date().to_string()).unwrap_or_default(),
    })
}

/// Moves or resizes an appointment (or with `scope`, part of its series).
#[server(endpoint = "appointment_reschedule")]
pub async fn appointment_reschedule(
    id: String,
    #[server(flatten)] form: RescheduleForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<usize, AppError> {
    let _ = extra;
    let (services, ctx) = require_auth().await?;
    Ok(booking::reschedule(&services, &ctx, &id, &form).await?.len())
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusResult {
    pub changed: usize,
    /// Waiting patients the freed slot suits ("Family, Given · Type").
    pub waitlist_offers: Vec<String>,
}

/// A step of the status workflow; cancellations carry a reason.
#[server(endpoint = "appointment_status")]
pub async fn set_appointment_status(
    id: String,
    #[server(flatten)] form: StatusForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<StatusResult, AppError> {
    let _ = extra;
    let (services, ctx) = require_auth().await?;
    let changed = booking::set_status(&services, &ctx, &id, &form).await?;
    Ok(StatusResult {
        changed: changed.appointments.len(),
        waitlist_offers: changed.waitlist_offers.into_iter().map(|w| format!("{} · {}", w.patient_name, w.type_name)).collect(),
    })
}

/// The first free slots for a type (optionally one practitioner) from a date.
#[server(endpoint = "next_available")]
pub async fn next_available(type_id: String, practitioner_id: String, from: String) -> Result<Vec<Slot>, AppError> {
    let (services, ctx) = require_auth().await?;
    let slots = calendar::next_available(&services, &ctx, &type_id, Some(&practitioner_id), &from, 12).await?;
    Ok(slots
        .into_iter()
        .map(|s| Slot {
            practitioner_id: s.practitioner_id.to_string(),
            label: format!(
                "{}–{} · {}",
                s.local_start.format("%a %-d %b, %H:%M"),
                s.local_end.format("%H:%M"),
                s.practitioner_name
            ),
            practitioner_name: s.practitioner_name,
            date: s.local_start.date().to_string(),
            start: s.local_start.format("%H:%M").to_string(),
            end: s.local_end.format("%H:%M").to_string(),
        })
        .collect())
}

#[server(endpoint = "appointment_types")]
pub async fn appointment_types() -> Result<Vec<TypeChoice>, AppError> {
    let (services, ctx) = require_auth().await?;
    Ok(setup::list_types(&services, &ctx)
        .await?
        .into_iter()
        .filter(|t| t.active)
        .map(|t| TypeChoice {
            id: t.id.to_string(),
            name: t.name,
            duration_minutes: t.duration_minutes,
            colour: t.colour,
            practitioners: t.practitioners.iter().map(|p| p.to_string()).collect(),
        })
        .collect())
}

#[server(endpoint = "rooms_list")]
pub async fn rooms_list() -> Result<Vec<Choice>, AppError> {
    let (services, ctx) = require_auth().await?;
    Ok(setup::list_rooms(&services, &ctx)
        .await?
        .into_iter()
        .filter(|r| r.active)
        .map(|r| Choice { id: r.id.to_string(), name: r.name, colour: String::new() })
        .collect())
}

#[server(endpoint = "practitioners_list")]
pub async fn practitioners_list() -> Result<Vec<Choice>, AppError> {
    let (services, ctx) = require_auth().await?;
    Ok(setup::list_practitioners(&services, &ctx)
        .await?
        .into_iter()
        .map(|p| Choice { id: p.id.to_string(), name: p.name, colour: p.colour })
        .collect())
}

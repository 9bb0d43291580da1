//! The booking rules, shared by booking, moving and series: what a
//! candidate appointment runs into. Each problem names the form field it
//! belongs to and says what clashes in the clinic's local time. All of them
//! may be overridden (with permission and a reason); the hard rules (the
//! practitioner delivers the type, the room is in use) are checked by the
//! callers before these.

use super::ClinicCalendar;
use crate::{
    db::Tx,
    error::ServiceError,
    repo::{self, appointments::Footprint},
    scope::AuthContext,
};
use ambula_domain::{
    scheduling::{zone, Interval, TimeOffKind},
    FieldErrors,
};
use chrono::{Duration, NaiveDate};
use std::collections::BTreeMap;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub field: &'static str,
    pub message: String,
}

fn problem(field: &'static str, message: String) -> Problem {
    Problem { field, message }
}

/// Everything `f` runs into, ignoring the appointments in `exclude` (the
/// ones being moved). `practitioner_name` and `room_name` go into messages.
pub(crate) async fn problems(
    tx: &mut Tx,
    ctx: &AuthContext,
    clinic: &ClinicCalendar,
    f: &Footprint,
    practitioner_name: &str,
    room_name: Option<&str>,
    exclude: &[Uuid],
) -> Result<Vec<Problem>, ServiceError> {
    let mut found = Vec::new();
    let day = clinic.local(f.starts_at).date();
    let Ok(busy) = Interval::new(f.starts_at.0, f.blocks_until.0) else {
        return Ok(vec![problem("time", "The appointment must end after it starts.".into())]);
    };
    // Working hours are looked at from the day before (a span cannot pass
    // midnight, but the appointment's start may be in yesterday's zone day
    // after a clock change) to the day the buffer ends.
    let first = day.pred_opt().unwrap_or(day);
    let last = clinic.local(f.blocks_until).date();
    let inside = |hours: &ambula_domain::scheduling::WeeklyHours| {
        zone::working_intervals(clinic.tz, hours, first, last).iter().any(|w| w.contains(&busy))
    };
    match repo::schedule::hours(tx, &ctx.scope, f.practitioner_id).await? {
        None => found.push(problem("time", format!("{practitioner_name} has no working hours set up yet."))),
        Some(hours) if !inside(&hours) => found.push(problem(
            "time",
            format!("{practitioner_name} does not work then (outside working hours, clean-up time included)."),
        )),
        Some(_) => {}
    }
    if let Some(opening) = &clinic.opening_hours {
        if !inside(opening) {
            found.push(problem("time", "The clinic is closed then (outside opening hours).".into()));
        }
    }
    for off in repo::schedule::time_off_between(tx, &ctx.scope, Some(f.practitioner_id), f.starts_at, f.blocks_until).await? {
        let span = format!("from {} to {}", clinic.describe(off.starts_at, Some(day)), clinic.describe(off.ends_at, Some(day)));
        let what = match TimeOffKind::parse(&off.kind) {
            Ok(TimeOffKind::Leave) => "is away",
            _ => "has blocked time",
        };
        let reason = off.reason.map(|r| format!(" ({r})")).unwrap_or_default();
        found.push(problem("time", format!("{practitioner_name} {what}{reason} {span}.")));
    }
    for other in repo::appointments::clashes(tx, &ctx.scope, f).await? {
        if exclude.contains(&other.id) {
            continue;
        }
        let busy_overlap = other.starts_at < f.blocks_until && f.starts_at < other.blocks_until;
        let span = format!("from {} to {}", clinic.describe(other.starts_at, Some(day)), clinic.describe(other.ends_at, Some(day)));
        let clean_up = other.blocks_until.0 - other.ends_at.0;
        let buffer = if clean_up > Duration::zero() {
            format!(" (and {} minutes' clean-up after it)", clean_up.num_minutes())
        } else {
            String::new()
        };
        if busy_overlap && other.practitioner_id == f.practitioner_id.as_uuid() {
            found.push(problem("time", format!("{practitioner_name} already has an appointment {span}{buffer}.")));
        }
        if busy_overlap && other.room_id.is_some() && other.room_id == f.room_id.map(|r| r.as_uuid()) {
            let room = room_name.unwrap_or("The room");
            found.push(problem("room_id", format!("{room} is booked {span}{buffer}.")));
        }
        if other.patient_id == f.patient_id.as_uuid() && other.starts_at < f.ends_at && f.starts_at < other.ends_at {
            found.push(problem(
                "patient_id",
                format!("The patient already has an appointment {span} with {}.", other.practitioner_name),
            ));
        }
    }
    Ok(found)
}

/// Problems as field errors: all messages of a field joined, in order.
pub(crate) fn as_field_errors(problems: &[Problem]) -> FieldErrors {
    let mut by_field: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for p in problems {
        let messages = by_field.entry(p.field).or_default();
        if !messages.contains(&p.message.as_str()) {
            messages.push(&p.message);
        }
    }
    let mut errors = FieldErrors::new();
    for (field, messages) in by_field {
        errors.add(field, messages.join(" "));
    }
    errors
}

/// For a series: one line per date that has problems, at `field`.
pub(crate) fn series_errors(field: &str, dated: &[(NaiveDate, Vec<Problem>)], total: usize) -> FieldErrors {
    let lines: Vec<String> = dated
        .iter()
        .filter(|(_, p)| !p.is_empty())
        .map(|(date, problems)| {
            let text: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
            format!("{}: {}", date.format("%Y-%m-%d"), text.join(" "))
        })
        .collect();
    FieldErrors::single(
        field,
        format!("Not booked: {} of the {total} dates cannot be booked. {}", lines.len(), lines.join(" ")),
    )
}

/// A one-line summary for the audit trail.
pub(crate) fn summary(problems: &[Problem]) -> String {
    problems.iter().map(|p| p.message.as_str()).collect::<Vec<_>>().join(" ")
}

//! Scheduling: the calendar's set-up, bookings (single and weekly series),
//! moves, status changes, the calendar views, the slot finder and the
//! waitlist.
//!
//! Times are stored and compared in UTC and typed and shown in the clinic's
//! zone; views carry both (`DbTime` and the local `NaiveDateTime`). Every
//! booking, move and status change is checked against working hours, time
//! off and clashes inside one transaction that is serialized per
//! practitioner, room and patient (SQLite: `BEGIN IMMEDIATE`; PostgreSQL:
//! row locks in that fixed order, plus exclusion constraints as a
//! backstop), and audited in that same transaction.
//!
//! Permissions: setting up rooms, types, hours and time off needs
//! `ManageClinic`; booking, moving, status changes, the calendar and the
//! waitlist need `Schedule`; booking over a clash, outside hours or in time
//! off needs `OverrideSchedule` and a reason.

pub mod booking;
pub mod calendar;
pub mod insights;
mod rules;
pub mod setup;
pub mod waitlist;

use crate::{
    audit,
    db::Tx,
    error::ServiceError,
    repo::{self, appointments::AppointmentRow},
    scope::AuthContext,
    time::DbTime,
    Services,
};
use ambula_domain::{
    scheduling::{AppointmentStatus, CalendarGrid, WeeklyHours},
    AppointmentId, AppointmentTypeId, PatientId, Permission, PractitionerId, RoomId, SeriesId, TimeZoneName,
};
use chrono::{NaiveDateTime, Utc};
use chrono_tz::Tz;
use std::str::FromStr;

/// The clinic's zone and calendar settings, loaded once per request.
#[derive(Debug, Clone)]
pub struct ClinicCalendar {
    pub tz: Tz,
    pub time_zone: String,
    pub grid: CalendarGrid,
    pub opening_hours: Option<WeeklyHours>,
}

impl ClinicCalendar {
    pub(crate) async fn load(tx: &mut Tx, ctx: &AuthContext) -> Result<Self, ServiceError> {
        let settings = repo::schedule::clinic_schedule(tx, &ctx.scope).await?;
        let tz = TimeZoneName::parse(&settings.time_zone)
            .map(|t| t.tz())
            .map_err(|_| ServiceError::Internal(format!("clinic time zone {:?} is not known", settings.time_zone)))?;
        Ok(Self { tz, time_zone: settings.time_zone, grid: settings.grid, opening_hours: settings.opening_hours })
    }

    pub fn local(&self, at: DbTime) -> NaiveDateTime {
        at.0.with_timezone(&self.tz).naive_local()
    }

    /// "10:00", or "Tue 2026-03-10 10:00" when `at` is not on `day`.
    pub(crate) fn describe(&self, at: DbTime, day: Option<chrono::NaiveDate>) -> String {
        let local = self.local(at);
        if day.is_some_and(|d| d == local.date()) {
            local.format("%H:%M").to_string()
        } else {
            local.format("%a %Y-%m-%d %H:%M").to_string()
        }
    }
}

/// An appointment as the calendar and the booking pages show it.
#[derive(Debug, Clone)]
pub struct AppointmentView {
    pub id: AppointmentId,
    /// Send back as `expected_version` when moving it.
    pub version: i64,
    pub patient_id: PatientId,
    /// "Family, Given"; for a restricted record the caller may not open,
    /// only "Restricted record" and the MRN.
    pub patient_name: String,
    pub practitioner_id: PractitionerId,
    pub practitioner_name: String,
    pub room_id: Option<RoomId>,
    pub room_name: Option<String>,
    pub type_id: AppointmentTypeId,
    pub type_name: String,
    pub colour: String,
    pub status: AppointmentStatus,
    pub series_id: Option<SeriesId>,
    pub starts_at: DbTime,
    pub ends_at: DbTime,
    /// The end plus the clean-up buffer: busy until here.
    pub blocks_until: DbTime,
    pub local_start: NaiveDateTime,
    pub local_end: NaiveDateTime,
    pub notes: Option<String>,
    pub cancel_reason: Option<String>,
    /// Set when it was booked over a clash or outside hours.
    pub override_reason: Option<String>,
}

impl AppointmentView {
    pub(crate) async fn build(
        tx: &mut Tx,
        ctx: &AuthContext,
        clinic: &ClinicCalendar,
        row: AppointmentRow,
    ) -> Result<Self, ServiceError> {
        let patient = PatientId::from_uuid(row.patient_id);
        let visible = !row.restricted || repo::access::on_care_team(tx, &ctx.scope, patient, ctx.membership_id).await?;
        let patient_name = if visible {
            format!("{}, {}", row.family_name, row.given_name)
        } else {
            format!("Restricted record {}", row.mrn)
        };
        Ok(Self {
            id: AppointmentId::from_uuid(row.id),
            version: row.version,
            patient_id: patient,
            patient_name,
            practitioner_id: PractitionerId::from_uuid(row.practitioner_id),
            practitioner_name: row.practitioner_name.clone(),
            room_id: row.room_id.map(RoomId::from_uuid),
            room_name: row.room_name.clone(),
            type_id: AppointmentTypeId::from_uuid(row.type_id),
            type_name: row.type_name.clone(),
            colour: row.type_colour.clone(),
            status: row.status()?,
            series_id: row.series_id.map(SeriesId::from_uuid),
            starts_at: row.starts_at,
            ends_at: row.ends_at,
            blocks_until: row.blocks_until,
            local_start: clinic.local(row.starts_at),
            local_end: clinic.local(row.ends_at),
            notes: row.notes,
            cancel_reason: row.cancel_reason,
            override_reason: row.override_reason,
        })
    }

    pub(crate) async fn build_all(
        tx: &mut Tx,
        ctx: &AuthContext,
        clinic: &ClinicCalendar,
        rows: Vec<AppointmentRow>,
    ) -> Result<Vec<Self>, ServiceError> {
        let mut views = Vec::with_capacity(rows.len());
        for row in rows {
            views.push(Self::build(tx, ctx, clinic, row).await?);
        }
        Ok(views)
    }
}

/// A span of local time for shading (working hours, time off).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalSpan {
    pub starts_at: DbTime,
    pub ends_at: DbTime,
    pub local_start: NaiveDateTime,
    pub local_end: NaiveDateTime,
}

impl LocalSpan {
    pub(crate) fn new(clinic: &ClinicCalendar, starts_at: DbTime, ends_at: DbTime) -> Self {
        Self { starts_at, ends_at, local_start: clinic.local(starts_at), local_end: clinic.local(ends_at) }
    }
}

/// Parses an id typed or posted by the client; a malformed one is a field
/// error, like any other bad input.
pub(crate) fn parse_id<T: FromStr>(raw: &str, field: &str, message: &str) -> Result<T, ServiceError> {
    raw.trim().parse().map_err(|_| ServiceError::field(field, message))
}

/// Refuses (and audits the refusal) when the role lacks `permission`.
pub(crate) async fn require(
    services: &Services,
    ctx: &AuthContext,
    permission: Permission,
    action: &'static str,
    entity_id: &str,
) -> Result<(), ServiceError> {
    if ctx.can(permission) {
        return Ok(());
    }
    audit::record_denial(services, ctx, action, "appointment", entity_id, None).await?;
    Err(ServiceError::Forbidden)
}

/// The message when the clash check passed but the database's exclusion
/// constraint (PostgreSQL) still refused: another booking won the race.
const TAKEN_MEANWHILE: &str = "Someone else booked this time a moment ago. Choose another time.";

/// Commits a transaction that booked or moved appointments. An exclusion
/// violation (the PostgreSQL backstop, checked at commit) means a race was
/// lost: a clash for the person booking, not a server error.
pub(crate) async fn commit_booking(tx: Tx) -> Result<(), ServiceError> {
    let result = match tx {
        Tx::Sqlite(t) => t.commit().await,
        Tx::Postgres(t) => t.commit().await,
    };
    match result {
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("23P01") => {
            Err(ServiceError::field("time", TAKEN_MEANWHILE))
        }
        other => Ok(other?),
    }
}

/// Now, for "not in the past" in the slot finder.
pub(crate) fn now_utc(services: &Services) -> chrono::DateTime<Utc> {
    services.now().0
}

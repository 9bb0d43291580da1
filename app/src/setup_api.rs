//! Server functions of the calendar set-up page: grid and opening hours,
//! rooms, appointment types, practitioners' hours and time off, reminders.
//! Each authenticates, calls one service (`scheduling::setup` or
//! `reminders::settings`, which check `ManageClinic`) and shapes the answer.
//! Form-backed ones take the domain form flattened plus `NoExtraFields`, so
//! a stray field (`clinic_id`) is refused rather than ignored.

use crate::error::AppError;
use ambula_domain::{
    accounts::NoExtraFields,
    scheduling::{AppointmentTypeForm, RoomForm, TimeOffForm, WeeklyHoursForm},
};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::session::require_auth;
#[cfg(feature = "ssr")]
use ambula_backend::services::{reminders::settings as reminders, scheduling::setup};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PractitionerItem {
    pub id: String,
    pub name: String,
}

/// Grid and opening hours; `hours` holds the seven day fields, Monday first,
/// as typed ("09:00-13:00, 14:00-18:00"; empty: no clinic-wide limit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleView {
    pub grid_minutes: u32,
    pub hours: WeeklyHoursForm,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomItem {
    pub id: String,
    pub name: String,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypeItem {
    pub id: String,
    pub name: String,
    pub duration_minutes: u32,
    pub buffer_minutes: u32,
    pub colour: String,
    pub price_minor: Option<i64>,
    pub online_booking: bool,
    pub active: bool,
    /// Who delivers it, comma-separated ids; empty for everyone. Sent back
    /// unchanged by the edit form, which does not change it.
    pub practitioners: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeOffItem {
    pub id: String,
    /// "leave" or "blocked".
    pub kind: String,
    pub reason: Option<String>,
    /// Local times, e.g. "Tue 24 Nov 2026 09:00".
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemindersView {
    /// "24 h, 2 h".
    pub offsets: String,
    pub email: bool,
    pub sms: bool,
}

#[cfg(feature = "ssr")]
fn schedule_view(settings: ambula_domain::scheduling::manage::ScheduleSettings) -> ScheduleView {
    ScheduleView {
        grid_minutes: settings.grid.minutes(),
        hours: settings.opening_hours.map(WeeklyHoursForm::from).unwrap_or_default(),
    }
}

#[cfg(feature = "ssr")]
fn room_item(room: setup::RoomView) -> RoomItem {
    RoomItem { id: room.id.to_string(), name: room.name, active: room.active }
}

#[cfg(feature = "ssr")]
fn type_item(t: setup::AppointmentTypeView) -> TypeItem {
    TypeItem {
        id: t.id.to_string(),
        name: t.name,
        duration_minutes: t.duration_minutes,
        buffer_minutes: t.buffer_minutes,
        colour: t.colour,
        price_minor: t.price_minor,
        online_booking: t.online_booking,
        active: t.active,
        practitioners: t.practitioners.iter().map(ToString::to_string).collect::<Vec<_>>().join(","),
    }
}

#[cfg(feature = "ssr")]
fn reminders_view(settings: reminders::ReminderSettings) -> RemindersView {
    RemindersView { offsets: settings.offsets_text(), email: settings.email, sms: settings.sms }
}

/// Managers only: the page loads this first, so other roles see the 403.
#[server(endpoint = "setup_practitioners")]
pub async fn setup_practitioners() -> Result<Vec<PractitionerItem>, AppError> {
    let (services, ctx) = require_auth().await?;
    let list = setup::practitioners_to_set_up(&services, &ctx).await?;
    Ok(list.into_iter().map(|p| PractitionerItem { id: p.id.to_string(), name: p.name }).collect())
}

// ---- Grid and opening hours ----

#[server(endpoint = "setup_schedule")]
pub async fn setup_schedule() -> Result<ScheduleView, AppError> {
    let (services, ctx) = require_auth().await?;
    Ok(schedule_view(setup::schedule_settings(&services, &ctx).await?))
}

#[server(endpoint = "setup_save_schedule")]
pub async fn setup_save_schedule(
    grid_minutes: String,
    #[server(flatten)] opening_hours: WeeklyHoursForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<ScheduleView, AppError> {
    let _ = extra;
    let (services, ctx) = require_auth().await?;
    let form = ambula_domain::scheduling::ScheduleSettingsForm { grid_minutes, opening_hours };
    Ok(schedule_view(setup::set_schedule_settings(&services, &ctx, &form).await?))
}

// ---- Rooms ----

#[server(endpoint = "setup_rooms")]
pub async fn setup_rooms() -> Result<Vec<RoomItem>, AppError> {
    let (services, ctx) = require_auth().await?;
    Ok(setup::list_rooms(&services, &ctx).await?.into_iter().map(room_item).collect())
}

#[server(endpoint = "setup_add_room")]
pub async fn setup_add_room(
    #[server(flatten)] form: RoomForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<RoomItem, AppError> {
    let _ = extra;
    let (services, ctx) = require_auth().await?;
    Ok(room_item(setup::create_room(&services, &ctx, &form).await?))
}

#[server(endpoint = "setup_rename_room")]
pub async fn setup_rename_room(
    room_id: String,
    #[server(flatten)] form: RoomForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<RoomItem, AppError> {
    let _ = extra;
    let (services, ctx) = require_auth().await?;
    Ok(room_item(setup::rename_room(&services, &ctx, &room_id, &form).await?))
}

/// `active`: "true" to take bookings again, anything else to stop.
#[server(endpoint = "setup_set_room_active")]
pub async fn setup_set_room_active(room_id: String, active: String) -> Result<(), AppError> {
    let (services, ctx) = require_auth().await?;
    Ok(setup::set_room_active(&services, &ctx, &room_id, active == "true").await?)
}

// ---- Appointment types ----

#[server(endpoint = "setup_types")]
pub async fn setup_types() -> Result<Vec<TypeItem>, AppError> {
    let (services, ctx) = require_auth().await?;
    Ok(setup::list_types(&services, &ctx).await?.into_iter().map(type_item).collect())
}

/// A new type is delivered by every practitioner.
#[server(endpoint = "setup_add_type")]
pub async fn setup_add_type(
    #[server(flatten)] form: AppointmentTypeForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<TypeItem, AppError> {
    let _ = extra;
    let (services, ctx) = require_auth().await?;
    Ok(type_item(setup::create_type(&services, &ctx, &form, &[]).await?))
}

/// `practitioners`: comma-separated ids, as `TypeItem` gave them.
#[server(endpoint = "setup_update_type")]
pub async fn setup_update_type(
    type_id: String,
    practitioners: String,
    #[server(flatten)] form: AppointmentTypeForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<TypeItem, AppError> {
    let _ = extra;
    let (services, ctx) = require_auth().await?;
    let who: Vec<String> = practitioners.split(',').map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned).collect();
    Ok(type_item(setup::update_type(&services, &ctx, &type_id, &form, &who).await?))
}

#[server(endpoint = "setup_set_type_active")]
pub async fn setup_set_type_active(type_id: String, active: String) -> Result<(), AppError> {
    let (services, ctx) = require_auth().await?;
    Ok(setup::set_type_active(&services, &ctx, &type_id, active == "true").await?)
}

// ---- Practitioners' hours and time off ----

/// The seven day fields; all empty when no hours are set yet.
#[server(endpoint = "setup_practitioner_hours")]
pub async fn setup_practitioner_hours(practitioner_id: String) -> Result<WeeklyHoursForm, AppError> {
    let (services, ctx) = require_auth().await?;
    let hours = setup::practitioner_hours(&services, &ctx, &practitioner_id).await?;
    Ok(hours.map(WeeklyHoursForm::from).unwrap_or_default())
}

#[server(endpoint = "setup_save_practitioner_hours")]
pub async fn setup_save_practitioner_hours(
    practitioner_id: String,
    #[server(flatten)] form: WeeklyHoursForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<WeeklyHoursForm, AppError> {
    let _ = extra;
    let (services, ctx) = require_auth().await?;
    Ok(setup::set_practitioner_hours(&services, &ctx, &practitioner_id, &form).await?.into())
}

#[server(endpoint = "setup_time_off")]
pub async fn setup_time_off(practitioner_id: String) -> Result<Vec<TimeOffItem>, AppError> {
    let (services, ctx) = require_auth().await?;
    let list = setup::list_time_off(&services, &ctx, &practitioner_id).await?;
    // "Tue 24 Nov 2026 09:00", in the clinic's time.
    Ok(list
        .into_iter()
        .map(|t| TimeOffItem {
            id: t.id.to_string(),
            kind: t.kind.as_str().to_owned(),
            reason: t.reason,
            from: t.span.local_start.format("%a %-d %b %Y %H:%M").to_string(),
            to: t.span.local_end.format("%a %-d %b %Y %H:%M").to_string(),
        })
        .collect())
}

/// `kind`: "leave" or "blocked".
#[server(endpoint = "setup_add_time_off")]
pub async fn setup_add_time_off(
    kind: String,
    #[server(flatten)] form: TimeOffForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<(), AppError> {
    let _ = extra;
    let (services, ctx) = require_auth().await?;
    let kind = ambula_domain::scheduling::TimeOffKind::parse(&kind)
        .map_err(|e| AppError::Invalid(ambula_domain::FieldErrors::single("kind", e.0)))?;
    setup::add_time_off(&services, &ctx, &form, kind).await?;
    Ok(())
}

#[server(endpoint = "setup_remove_time_off")]
pub async fn setup_remove_time_off(time_off_id: String) -> Result<(), AppError> {
    let (services, ctx) = require_auth().await?;
    Ok(setup::remove_time_off(&services, &ctx, &time_off_id).await?)
}

// ---- Reminders ----

#[server(endpoint = "setup_reminders")]
pub async fn setup_reminders() -> Result<RemindersView, AppError> {
    let (services, ctx) = require_auth().await?;
    Ok(reminders_view(reminders::get(&services, &ctx).await?))
}

/// `offsets`: "24h, 2h"; the check boxes are present when ticked.
#[server(endpoint = "setup_save_reminders")]
pub async fn setup_save_reminders(
    offsets: String,
    email: Option<String>,
    sms: Option<String>,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<RemindersView, AppError> {
    let _ = extra;
    let (services, ctx) = require_auth().await?;
    let form = reminders::ReminderSettingsForm { offsets, email, sms };
    Ok(reminders_view(reminders::update(&services, &ctx, &form).await?))
}

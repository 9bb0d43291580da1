//! Setting up the calendar: rooms, appointment types (and who delivers
//! them), each practitioner's weekly hours, time off and blocked time, and
//! the clinic's grid and opening hours. Managers only (`ManageClinic`);
//! every change is audited.

use super::{parse_id, require, ClinicCalendar, LocalSpan};
use crate::{
    audit::{self, Actor, Entry},
    error::ServiceError,
    repo::{self, appointment_types::TypeRow},
    scope::AuthContext,
    Services,
};
use ambula_domain::{
    scheduling::{
        manage::ScheduleSettings, zone, AppointmentTypeForm, RoomForm, ScheduleSettingsForm, TimeOffForm,
        TimeOffKind, WeeklyHours, WeeklyHoursForm,
    },
    AppointmentTypeId, Permission, PractitionerId, RoomId, TimeOffId,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomView {
    pub id: RoomId,
    pub name: String,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppointmentTypeView {
    pub id: AppointmentTypeId,
    pub name: String,
    pub duration_minutes: u32,
    pub buffer_minutes: u32,
    pub colour: String,
    pub price_minor: Option<i64>,
    pub online_booking: bool,
    pub active: bool,
    /// Who delivers it; empty means every practitioner.
    pub practitioners: Vec<PractitionerId>,
}

impl AppointmentTypeView {
    fn from_row(row: TypeRow, practitioners: Vec<PractitionerId>) -> Self {
        Self {
            id: AppointmentTypeId::from_uuid(row.id),
            name: row.name,
            duration_minutes: row.duration_minutes.max(0) as u32,
            buffer_minutes: row.buffer_minutes.max(0) as u32,
            colour: row.colour,
            price_minor: row.price_minor,
            online_booking: row.online_booking,
            active: row.active,
            practitioners,
        }
    }
}

#[derive(Debug, Clone)]
pub struct TimeOffView {
    pub id: TimeOffId,
    pub practitioner_id: PractitionerId,
    pub kind: TimeOffKind,
    pub reason: Option<String>,
    pub span: LocalSpan,
}

async fn manage(services: &Services, ctx: &AuthContext, action: &'static str, id: &str) -> Result<(), ServiceError> {
    require(services, ctx, Permission::ManageClinic, action, id).await
}

fn record(ctx: &AuthContext, action: &'static str, entity: &'static str, id: impl ToString, detail: String) -> (Actor, Entry) {
    (Actor::from(ctx), Entry::ok(action, entity, id).detail(detail))
}

pub async fn list_rooms(services: &Services, ctx: &AuthContext) -> Result<Vec<RoomView>, ServiceError> {
    require(services, ctx, Permission::Schedule, "room.list", "").await?;
    let mut tx = services.db.read_in(&ctx.scope).await?;
    let rows = repo::rooms::list(&mut tx, &ctx.scope).await?;
    Ok(rows.into_iter().map(|r| RoomView { id: RoomId::from_uuid(r.id), name: r.name, active: r.active }).collect())
}

pub async fn create_room(services: &Services, ctx: &AuthContext, form: &RoomForm) -> Result<RoomView, ServiceError> {
    manage(services, ctx, "room.create", "").await?;
    let name = form.parse()?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let id = repo::rooms::insert(&mut tx, &ctx.scope, &name, now).await?;
    let (actor, entry) = record(ctx, "room.create", "room", id, name.clone());
    audit::record(&mut tx, &ctx.scope, &actor, entry, now).await?;
    tx.commit().await?;
    Ok(RoomView { id, name, active: true })
}

pub async fn rename_room(services: &Services, ctx: &AuthContext, id: &str, form: &RoomForm) -> Result<RoomView, ServiceError> {
    manage(services, ctx, "room.update", id).await?;
    let room: RoomId = parse_id(id, "room_id", "Choose a room from the list.")?;
    let name = form.parse()?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    if !repo::rooms::rename(&mut tx, &ctx.scope, room, &name).await? {
        return Err(ServiceError::NotFound);
    }
    let (actor, entry) = record(ctx, "room.update", "room", room, name);
    audit::record(&mut tx, &ctx.scope, &actor, entry, now).await?;
    let row = repo::rooms::get(&mut tx, &ctx.scope, room).await?.ok_or(ServiceError::NotFound)?;
    tx.commit().await?;
    Ok(RoomView { id: room, name: row.name, active: row.active })
}

/// Deactivating keeps the room's history; it just takes no new bookings.
pub async fn set_room_active(services: &Services, ctx: &AuthContext, id: &str, active: bool) -> Result<(), ServiceError> {
    let action = if active { "room.reactivate" } else { "room.deactivate" };
    manage(services, ctx, action, id).await?;
    let room: RoomId = parse_id(id, "room_id", "Choose a room from the list.")?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    if !repo::rooms::set_active(&mut tx, &ctx.scope, room, active).await? {
        return Err(ServiceError::NotFound);
    }
    let (actor, entry) = record(ctx, action, "room", room, String::new());
    audit::record(&mut tx, &ctx.scope, &actor, entry, now).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn list_types(services: &Services, ctx: &AuthContext) -> Result<Vec<AppointmentTypeView>, ServiceError> {
    require(services, ctx, Permission::Schedule, "appointment_type.list", "").await?;
    let mut tx = services.db.read_in(&ctx.scope).await?;
    let rows = repo::appointment_types::list(&mut tx, &ctx.scope).await?;
    let mut views = Vec::with_capacity(rows.len());
    for row in rows {
        let who = repo::appointment_types::practitioners(&mut tx, &ctx.scope, AppointmentTypeId::from_uuid(row.id)).await?;
        views.push(AppointmentTypeView::from_row(row, who));
    }
    Ok(views)
}

/// Parses the practitioner ids of a type and checks that each is in this
/// clinic (another clinic's id is reported like a malformed one).
async fn practitioner_ids(
    tx: &mut crate::db::Tx,
    ctx: &AuthContext,
    raw: &[String],
) -> Result<Vec<PractitionerId>, ServiceError> {
    let mut ids = Vec::with_capacity(raw.len());
    for id in raw {
        let id: PractitionerId = parse_id(id, "practitioners", "Choose practitioners from the list.")?;
        if repo::practitioners::get(tx, &ctx.scope, id).await?.is_none() {
            return Err(ServiceError::field("practitioners", "Choose practitioners from the list."));
        }
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

/// `practitioners`: who delivers the type (ids); empty for everyone.
pub async fn create_type(
    services: &Services,
    ctx: &AuthContext,
    form: &AppointmentTypeForm,
    practitioners: &[String],
) -> Result<AppointmentTypeView, ServiceError> {
    manage(services, ctx, "appointment_type.create", "").await?;
    let spec = form.parse()?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let who = practitioner_ids(&mut tx, ctx, practitioners).await?;
    let id = repo::appointment_types::insert(&mut tx, &ctx.scope, &spec, now).await?;
    repo::appointment_types::set_practitioners(&mut tx, &ctx.scope, id, &who).await?;
    let detail = format!("{}, {} min + {} min buffer", spec.name, spec.duration_minutes, spec.buffer_minutes);
    let (actor, entry) = record(ctx, "appointment_type.create", "appointment_type", id, detail);
    audit::record(&mut tx, &ctx.scope, &actor, entry, now).await?;
    let row = repo::appointment_types::get(&mut tx, &ctx.scope, id).await?.ok_or(ServiceError::NotFound)?;
    tx.commit().await?;
    Ok(AppointmentTypeView::from_row(row, who))
}

/// Changing a type's duration or buffer applies to new bookings; existing
/// appointments keep the times and buffer they were booked with.
pub async fn update_type(
    services: &Services,
    ctx: &AuthContext,
    id: &str,
    form: &AppointmentTypeForm,
    practitioners: &[String],
) -> Result<AppointmentTypeView, ServiceError> {
    manage(services, ctx, "appointment_type.update", id).await?;
    let type_id: AppointmentTypeId = parse_id(id, "type_id", "Choose the type of appointment.")?;
    let spec = form.parse()?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let who = practitioner_ids(&mut tx, ctx, practitioners).await?;
    if !repo::appointment_types::update(&mut tx, &ctx.scope, type_id, &spec, now).await? {
        return Err(ServiceError::NotFound);
    }
    repo::appointment_types::set_practitioners(&mut tx, &ctx.scope, type_id, &who).await?;
    let detail = format!("{}, {} min + {} min buffer", spec.name, spec.duration_minutes, spec.buffer_minutes);
    let (actor, entry) = record(ctx, "appointment_type.update", "appointment_type", type_id, detail);
    audit::record(&mut tx, &ctx.scope, &actor, entry, now).await?;
    let row = repo::appointment_types::get(&mut tx, &ctx.scope, type_id).await?.ok_or(ServiceError::NotFound)?;
    tx.commit().await?;
    Ok(AppointmentTypeView::from_row(row, who))
}

pub async fn set_type_active(services: &Services, ctx: &AuthContext, id: &str, active: bool) -> Result<(), ServiceError> {
    let action = if active { "appointment_type.reactivate" } else { "appointment_type.deactivate" };
    manage(services, ctx, action, id).await?;
    let type_id: AppointmentTypeId = parse_id(id, "type_id", "Choose the type of appointment.")?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    if !repo::appointment_types::set_active(&mut tx, &ctx.scope, type_id, active, now).await? {
        return Err(ServiceError::NotFound);
    }
    let (actor, entry) = record(ctx, action, "appointment_type", type_id, String::new());
    audit::record(&mut tx, &ctx.scope, &actor, entry, now).await?;
    tx.commit().await?;
    Ok(())
}

async fn practitioner(tx: &mut crate::db::Tx, ctx: &AuthContext, id: &str) -> Result<PractitionerId, ServiceError> {
    let id: PractitionerId = parse_id(id, "practitioner_id", "Choose a practitioner from the list.")?;
    match repo::practitioners::get(tx, &ctx.scope, id).await? {
        Some(_) => Ok(id),
        None => Err(ServiceError::NotFound),
    }
}

/// A practitioner's regular weekly hours, in the clinic's local time. Set
/// by managers, or by practitioners for themselves (their own calendar;
/// time off still goes through a manager, who plans cover).
pub async fn set_practitioner_hours(
    services: &Services,
    ctx: &AuthContext,
    practitioner_id: &str,
    form: &WeeklyHoursForm,
) -> Result<WeeklyHours, ServiceError> {
    let id: PractitionerId = parse_id(practitioner_id, "practitioner_id", "Choose a practitioner from the list.")?;
    if !ctx.can(Permission::ManageClinic) {
        let mut tx = services.db.read_in(&ctx.scope).await?;
        let own = repo::practitioners::get(&mut tx, &ctx.scope, id)
            .await?
            .is_some_and(|p| p.membership_id == Some(ctx.membership_id.as_uuid()));
        drop(tx);
        if !own || !ctx.can(Permission::Schedule) {
            manage(services, ctx, "practitioner.hours", practitioner_id).await?;
        }
    }
    let hours = form.parse()?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let id = practitioner(&mut tx, ctx, &id.to_string()).await?;
    repo::schedule::set_hours(&mut tx, &ctx.scope, id, &hours, now).await?;
    let detail = serde_json::to_string(&hours).unwrap_or_default();
    let (actor, entry) = record(ctx, "practitioner.hours", "practitioner", id, detail);
    audit::record(&mut tx, &ctx.scope, &actor, entry, now).await?;
    tx.commit().await?;
    Ok(hours)
}

pub async fn practitioner_hours(services: &Services, ctx: &AuthContext, practitioner_id: &str) -> Result<Option<WeeklyHours>, ServiceError> {
    require(services, ctx, Permission::Schedule, "practitioner.hours_read", practitioner_id).await?;
    let mut tx = services.db.read_in(&ctx.scope).await?;
    let id = practitioner(&mut tx, ctx, practitioner_id).await?;
    repo::schedule::hours(&mut tx, &ctx.scope, id).await
}

/// Leave or blocked time, typed in local time. The ends are placed on the
/// clock as a span would be (`span_start_utc` / `span_end_utc`): time off
/// typed across a clock change covers all of the time it names.
pub async fn add_time_off(
    services: &Services,
    ctx: &AuthContext,
    form: &TimeOffForm,
    kind: TimeOffKind,
) -> Result<TimeOffView, ServiceError> {
    manage(services, ctx, "time_off.create", &form.practitioner_id).await?;
    let off = form.parse()?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    if repo::practitioners::get(&mut tx, &ctx.scope, off.practitioner_id).await?.is_none() {
        return Err(ServiceError::field("practitioner_id", "Choose a practitioner from the list."));
    }
    let clinic = ClinicCalendar::load(&mut tx, ctx).await?;
    let starts_at = crate::time::DbTime::from(zone::span_start_utc(clinic.tz, off.from));
    let ends_at = crate::time::DbTime::from(zone::span_end_utc(clinic.tz, off.to));
    if ends_at <= starts_at {
        // Both ends in one clock-change gap: nothing would be blocked.
        return Err(ServiceError::field("to_time", "The end must be after the start."));
    }
    let id = repo::schedule::insert_time_off(&mut tx, &ctx.scope, off.practitioner_id, (starts_at, ends_at), kind, off.reason.as_deref(), now).await?;
    let detail = format!("{} {} to {}", kind.as_str(), off.from.format("%Y-%m-%d %H:%M"), off.to.format("%Y-%m-%d %H:%M"));
    let (actor, entry) = record(ctx, "time_off.create", "time_off", id, detail);
    audit::record(&mut tx, &ctx.scope, &actor, entry, now).await?;
    tx.commit().await?;
    Ok(TimeOffView { id, practitioner_id: off.practitioner_id, kind, reason: off.reason, span: LocalSpan::new(&clinic, starts_at, ends_at) })
}

pub async fn remove_time_off(services: &Services, ctx: &AuthContext, id: &str) -> Result<(), ServiceError> {
    manage(services, ctx, "time_off.delete", id).await?;
    let id: TimeOffId = parse_id(id, "time_off_id", "Choose time off from the list.")?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let Some(row) = repo::schedule::get_time_off(&mut tx, &ctx.scope, id).await? else {
        return Err(ServiceError::NotFound);
    };
    repo::schedule::delete_time_off(&mut tx, &ctx.scope, id).await?;
    let detail = format!("{} from {} to {}", row.kind, row.starts_at.0.to_rfc3339(), row.ends_at.0.to_rfc3339());
    let (actor, entry) = record(ctx, "time_off.delete", "time_off", id, detail);
    audit::record(&mut tx, &ctx.scope, &actor, entry, now).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn schedule_settings(services: &Services, ctx: &AuthContext) -> Result<ScheduleSettings, ServiceError> {
    let mut tx = services.db.read_in(&ctx.scope).await?;
    let clinic = ClinicCalendar::load(&mut tx, ctx).await?;
    Ok(ScheduleSettings { grid: clinic.grid, opening_hours: clinic.opening_hours })
}

pub async fn set_schedule_settings(
    services: &Services,
    ctx: &AuthContext,
    form: &ScheduleSettingsForm,
) -> Result<ScheduleSettings, ServiceError> {
    manage(services, ctx, "clinic.schedule_settings", "").await?;
    let settings = form.parse()?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    repo::schedule::set_clinic_schedule(&mut tx, &ctx.scope, settings.grid, settings.opening_hours.as_ref(), now).await?;
    let detail = format!(
        "grid {} min, opening hours {}",
        settings.grid.minutes(),
        settings.opening_hours.as_ref().map(|h| serde_json::to_string(h).unwrap_or_default()).unwrap_or_else(|| "none".into())
    );
    let (actor, entry) = record(ctx, "clinic.schedule_settings", "clinic", ctx.scope.clinic_id(), detail);
    audit::record(&mut tx, &ctx.scope, &actor, entry, now).await?;
    tx.commit().await?;
    Ok(settings)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PractitionerView {
    pub id: PractitionerId,
    pub name: String,
    pub colour: String,
}

/// Everyone who can be booked, for the calendar's pickers.
pub async fn list_practitioners(services: &Services, ctx: &AuthContext) -> Result<Vec<PractitionerView>, ServiceError> {
    require(services, ctx, Permission::Schedule, "practitioner.list", "").await?;
    practitioners(services, ctx).await
}

/// The same list for the set-up page. Managers only: the page loads this
/// first, so other roles get its 403.
pub async fn practitioners_to_set_up(services: &Services, ctx: &AuthContext) -> Result<Vec<PractitionerView>, ServiceError> {
    manage(services, ctx, "practitioner.list", "").await?;
    practitioners(services, ctx).await
}

async fn practitioners(services: &Services, ctx: &AuthContext) -> Result<Vec<PractitionerView>, ServiceError> {
    let mut tx = services.db.read_in(&ctx.scope).await?;
    let rows = repo::practitioners::list(&mut tx, &ctx.scope).await?;
    Ok(rows.into_iter().map(|p| PractitionerView { id: PractitionerId::from_uuid(p.id), name: p.name, colour: p.colour }).collect())
}

/// How far ahead the set-up page lists time off: planned leave rarely
/// reaches further than a year and a bit.
const TIME_OFF_HORIZON_DAYS: i64 = 400;

/// A practitioner's time off and blocked time that has not ended before
/// today (clinic time), earliest first, so it can be reviewed and removed.
pub async fn list_time_off(services: &Services, ctx: &AuthContext, practitioner_id: &str) -> Result<Vec<TimeOffView>, ServiceError> {
    manage(services, ctx, "time_off.list", practitioner_id).await?;
    let mut tx = services.db.read_in(&ctx.scope).await?;
    let id = practitioner(&mut tx, ctx, practitioner_id).await?;
    let clinic = ClinicCalendar::load(&mut tx, ctx).await?;
    let today = clinic.local(services.now()).date().and_time(chrono::NaiveTime::MIN);
    let from = crate::time::DbTime::from(zone::span_start_utc(clinic.tz, today));
    let to = crate::time::DbTime::from(from.0 + chrono::Duration::days(TIME_OFF_HORIZON_DAYS));
    let rows = repo::schedule::time_off_between(&mut tx, &ctx.scope, Some(id), from, to).await?;
    rows.into_iter()
        .map(|row| {
            let kind = TimeOffKind::parse(&row.kind)
                .map_err(|_| ServiceError::Internal(format!("stored time off kind {:?} is unknown", row.kind)))?;
            Ok(TimeOffView {
                id: TimeOffId::from_uuid(row.id),
                practitioner_id: id,
                kind,
                reason: row.reason,
                span: LocalSpan::new(&clinic, row.starts_at, row.ends_at),
            })
        })
        .collect()
}

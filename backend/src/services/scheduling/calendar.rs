//! The calendar: a day by practitioner or by room, a practitioner's week,
//! a month's counts, and the slot finder. Day and week views show patient
//! names, so each call is one audited `calendar.read`.

use super::{now_utc, parse_id, require, AppointmentView, ClinicCalendar, LocalSpan};
use crate::{
    audit::{self, Actor, Entry},
    error::ServiceError,
    repo::{self, appointments::Filter, schedule::TimeOffRow},
    scope::AuthContext,
    time::DbTime,
    Services,
};
use ambula_domain::{
    patients::parse_date,
    scheduling::{free_slots, interval, zone, CalendarBy, Interval, TimeOffKind},
    AppointmentTypeId, Permission, PractitionerId, RoomId, TimeOffId,
};
use chrono::{Duration, NaiveDate};
use std::collections::BTreeMap;

#[derive(Debug, Clone)]
pub struct BlockedView {
    pub id: TimeOffId,
    pub practitioner_id: PractitionerId,
    pub kind: TimeOffKind,
    pub reason: Option<String>,
    pub span: LocalSpan,
}

/// One column of the day view: a practitioner, a room, or (by room) the
/// appointments without one.
#[derive(Debug, Clone)]
pub struct CalendarColumn {
    pub practitioner_id: Option<PractitionerId>,
    pub room_id: Option<RoomId>,
    pub title: String,
    pub colour: Option<String>,
    /// Working (or, for rooms, opening) hours, for shading.
    pub working: Vec<LocalSpan>,
    pub blocked: Vec<BlockedView>,
    /// Every status; the page decides how to show cancelled ones. An
    /// appointment across midnight is in both days' views.
    pub appointments: Vec<AppointmentView>,
}

#[derive(Debug, Clone)]
pub struct DayView {
    pub date: NaiveDate,
    pub time_zone: String,
    pub grid_minutes: u32,
    pub by: CalendarBy,
    /// The day in UTC: 23 or 25 hours on the days the clocks change.
    pub day: LocalSpan,
    pub columns: Vec<CalendarColumn>,
}

#[derive(Debug, Clone)]
pub struct WeekDay {
    pub date: NaiveDate,
    pub working: Vec<LocalSpan>,
    pub blocked: Vec<BlockedView>,
    pub appointments: Vec<AppointmentView>,
}

#[derive(Debug, Clone)]
pub struct WeekView {
    pub practitioner_id: PractitionerId,
    pub practitioner_name: String,
    pub time_zone: String,
    pub grid_minutes: u32,
    pub days: Vec<WeekDay>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthOverview {
    pub year: i32,
    pub month: u32,
    /// Every day of the month with its number of active appointments.
    pub days: Vec<(NaiveDate, u32)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotView {
    pub practitioner_id: PractitionerId,
    pub practitioner_name: String,
    pub starts_at: DbTime,
    pub ends_at: DbTime,
    pub local_start: chrono::NaiveDateTime,
    pub local_end: chrono::NaiveDateTime,
}

pub(super) fn date_field(raw: &str, field: &str) -> Result<NaiveDate, ServiceError> {
    if raw.trim().is_empty() {
        return Err(ServiceError::field(field, "Choose the date."));
    }
    parse_date(raw).map_err(|e| ServiceError::field(field, e.0))
}

fn span_of(clinic: &ClinicCalendar, interval: &Interval) -> LocalSpan {
    LocalSpan::new(clinic, DbTime::from(interval.start()), DbTime::from(interval.end()))
}

fn blocked_view(clinic: &ClinicCalendar, row: &TimeOffRow) -> BlockedView {
    BlockedView {
        id: TimeOffId::from_uuid(row.id),
        practitioner_id: PractitionerId::from_uuid(row.practitioner_id),
        kind: TimeOffKind::parse(&row.kind).unwrap_or(TimeOffKind::Blocked),
        reason: row.reason.clone(),
        span: LocalSpan::new(clinic, row.starts_at, row.ends_at),
    }
}

fn overlaps(view: &AppointmentView, bounds: &Interval) -> bool {
    view.starts_at.0 < bounds.end() && bounds.start() < view.ends_at.0
}

async fn record_read(tx: &mut crate::db::Tx, ctx: &AuthContext, detail: String, now: DbTime) -> Result<(), ServiceError> {
    let entry = Entry::ok("calendar.read", "calendar", "").detail(detail);
    audit::record(tx, &ctx.scope, &Actor::from(ctx), entry, now).await
}

/// Today's date in the clinic's zone: the calendar opens on it.
pub async fn clinic_today(services: &Services, ctx: &AuthContext) -> Result<NaiveDate, ServiceError> {
    require(services, ctx, Permission::Schedule, "calendar.read", "").await?;
    let mut tx = services.db.read_in(&ctx.scope).await?;
    let clinic = ClinicCalendar::load(&mut tx, ctx).await?;
    Ok(now_utc(services).with_timezone(&clinic.tz).date_naive())
}

/// One local day, in columns by practitioner or by room.
pub async fn day_view(services: &Services, ctx: &AuthContext, date: &str, by: CalendarBy) -> Result<DayView, ServiceError> {
    require(services, ctx, Permission::Schedule, "calendar.read", date).await?;
    let date = date_field(date, "date")?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let clinic = ClinicCalendar::load(&mut tx, ctx).await?;
    let bounds = zone::day_bounds_utc(clinic.tz, date);
    let (from, to) = (DbTime::from(bounds.start()), DbTime::from(bounds.end()));
    let rows = repo::appointments::between(&mut tx, &ctx.scope, from, to, Filter::All).await?;
    let appointments = AppointmentView::build_all(&mut tx, ctx, &clinic, rows).await?;
    let time_off = repo::schedule::time_off_between(&mut tx, &ctx.scope, None, from, to).await?;
    let hours = repo::schedule::all_hours(&mut tx, &ctx.scope).await?;
    let mut columns = Vec::new();
    match by {
        CalendarBy::Practitioner => {
            for p in repo::practitioners::list(&mut tx, &ctx.scope).await? {
                let id = PractitionerId::from_uuid(p.id);
                let working = hours
                    .get(&id)
                    .map(|h| zone::working_intervals(clinic.tz, h, date, date))
                    .unwrap_or_default();
                columns.push(CalendarColumn {
                    practitioner_id: Some(id),
                    room_id: None,
                    title: p.name,
                    colour: Some(p.colour),
                    working: working.iter().map(|w| span_of(&clinic, w)).collect(),
                    blocked: time_off.iter().filter(|t| t.practitioner_id == p.id).map(|t| blocked_view(&clinic, t)).collect(),
                    appointments: appointments.iter().filter(|a| a.practitioner_id == id).cloned().collect(),
                });
            }
        }
        CalendarBy::Room => {
            let opening: Vec<LocalSpan> = clinic
                .opening_hours
                .as_ref()
                .map(|h| zone::working_intervals(clinic.tz, h, date, date))
                .unwrap_or_default()
                .iter()
                .map(|w| span_of(&clinic, w))
                .collect();
            for room in repo::rooms::list(&mut tx, &ctx.scope).await? {
                let id = RoomId::from_uuid(room.id);
                let mine: Vec<AppointmentView> = appointments.iter().filter(|a| a.room_id == Some(id)).cloned().collect();
                if !room.active && mine.is_empty() {
                    continue;
                }
                columns.push(CalendarColumn {
                    practitioner_id: None,
                    room_id: Some(id),
                    title: room.name,
                    colour: None,
                    working: opening.clone(),
                    blocked: Vec::new(),
                    appointments: mine,
                });
            }
            let roomless: Vec<AppointmentView> = appointments.iter().filter(|a| a.room_id.is_none()).cloned().collect();
            if !roomless.is_empty() {
                columns.push(CalendarColumn {
                    practitioner_id: None,
                    room_id: None,
                    title: "No room".into(),
                    colour: None,
                    working: opening,
                    blocked: Vec::new(),
                    appointments: roomless,
                });
            }
        }
    }
    let by_text = match by {
        CalendarBy::Practitioner => "practitioner",
        CalendarBy::Room => "room",
    };
    record_read(&mut tx, ctx, format!("day {date} by {by_text}, {} appointments", appointments.len()), now).await?;
    tx.commit().await?;
    Ok(DayView {
        date,
        time_zone: clinic.time_zone.clone(),
        grid_minutes: clinic.grid.minutes(),
        by,
        day: span_of(&clinic, &bounds),
        columns,
    })
}

/// One practitioner's seven days from `week_start` (any weekday; the page
/// decides where weeks start).
pub async fn week_view(services: &Services, ctx: &AuthContext, practitioner_id: &str, week_start: &str) -> Result<WeekView, ServiceError> {
    require(services, ctx, Permission::Schedule, "calendar.read", practitioner_id).await?;
    let practitioner: PractitionerId = parse_id(practitioner_id, "practitioner_id", "Choose a practitioner from the list.")?;
    let start = date_field(week_start, "week_start")?;
    let last = start + Duration::days(6);
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let Some(p) = repo::practitioners::get(&mut tx, &ctx.scope, practitioner).await? else {
        return Err(ServiceError::NotFound);
    };
    let clinic = ClinicCalendar::load(&mut tx, ctx).await?;
    let (from, to) = (zone::day_bounds_utc(clinic.tz, start).start(), zone::day_bounds_utc(clinic.tz, last).end());
    let (from, to) = (DbTime::from(from), DbTime::from(to));
    let rows = repo::appointments::between(&mut tx, &ctx.scope, from, to, Filter::Practitioner(practitioner)).await?;
    let appointments = AppointmentView::build_all(&mut tx, ctx, &clinic, rows).await?;
    let time_off = repo::schedule::time_off_between(&mut tx, &ctx.scope, Some(practitioner), from, to).await?;
    let hours = repo::schedule::hours(&mut tx, &ctx.scope, practitioner).await?;
    let days = start
        .iter_days()
        .take(7)
        .map(|date| {
            let bounds = zone::day_bounds_utc(clinic.tz, date);
            let working = hours.as_ref().map(|h| zone::working_intervals(clinic.tz, h, date, date)).unwrap_or_default();
            WeekDay {
                date,
                working: working.iter().map(|w| span_of(&clinic, w)).collect(),
                blocked: time_off
                    .iter()
                    .filter(|t| t.starts_at.0 < bounds.end() && bounds.start() < t.ends_at.0)
                    .map(|t| blocked_view(&clinic, t))
                    .collect(),
                appointments: appointments.iter().filter(|a| overlaps(a, &bounds)).cloned().collect(),
            }
        })
        .collect();
    record_read(&mut tx, ctx, format!("week from {start} for {}, {} appointments", p.name, appointments.len()), now).await?;
    tx.commit().await?;
    Ok(WeekView {
        practitioner_id: practitioner,
        practitioner_name: p.name,
        time_zone: clinic.time_zone.clone(),
        grid_minutes: clinic.grid.minutes(),
        days,
    })
}

/// How many active appointments start on each local day of a month (no
/// patient data, so not an audited read).
pub async fn month_overview(services: &Services, ctx: &AuthContext, year: i32, month: u32) -> Result<MonthOverview, ServiceError> {
    require(services, ctx, Permission::Schedule, "calendar.month", "").await?;
    let first = NaiveDate::from_ymd_opt(year, month, 1)
        .filter(|_| (2000..=2100).contains(&year))
        .ok_or_else(|| ServiceError::field("month", "Choose a month between 2000 and 2100."))?;
    let next = first.checked_add_months(chrono::Months::new(1)).ok_or_else(|| ServiceError::field("month", "Choose another month."))?;
    let mut tx = services.db.read_in(&ctx.scope).await?;
    let clinic = ClinicCalendar::load(&mut tx, ctx).await?;
    let from = DbTime::from(zone::day_bounds_utc(clinic.tz, first).start());
    let to = DbTime::from(zone::day_bounds_utc(clinic.tz, next).start());
    let mut counts: BTreeMap<NaiveDate, u32> = first.iter_days().take_while(|d| *d < next).map(|d| (d, 0)).collect();
    for start in repo::appointments::active_starts_between(&mut tx, &ctx.scope, from, to).await? {
        if let Some(n) = counts.get_mut(&clinic.local(start).date()) {
            *n += 1;
        }
    }
    Ok(MonthOverview { year, month, days: counts.into_iter().collect() })
}

/// How far ahead the slot finder looks, and in what steps: each step is a
/// handful of queries for all practitioners together, not one per day.
pub const SEARCH_DAYS: i64 = 60;
const CHUNK_DAYS: i64 = 14;
pub const MAX_SLOTS: usize = 50;

/// The first free slots for a type from a local date on: inside working
/// (and opening) hours, outside time off, clear of active appointments and
/// their buffers, on the clinic's grid, never in the past; for one
/// practitioner or any who delivers the type. Earliest first, then by name.
pub async fn next_available(
    services: &Services,
    ctx: &AuthContext,
    type_id: &str,
    practitioner_id: Option<&str>,
    from: &str,
    limit: usize,
) -> Result<Vec<SlotView>, ServiceError> {
    require(services, ctx, Permission::Schedule, "calendar.slots", "").await?;
    let kind_id: AppointmentTypeId = parse_id(type_id, "type_id", "Choose the type of appointment.")?;
    let wanted: Option<PractitionerId> = practitioner_id
        .filter(|raw| !raw.trim().is_empty())
        .map(|raw| parse_id(raw, "practitioner_id", "Choose a practitioner from the list, or any."))
        .transpose()?;
    let from = date_field(from, "from")?;
    let limit = limit.clamp(1, MAX_SLOTS);
    let mut tx = services.db.read_in(&ctx.scope).await?;
    let kind = match repo::appointment_types::get(&mut tx, &ctx.scope, kind_id).await? {
        Some(kind) if kind.active => kind,
        _ => return Err(ServiceError::field("type_id", "Choose the type of appointment.")),
    };
    let deliverers = repo::appointment_types::practitioners(&mut tx, &ctx.scope, kind_id).await?;
    let mut candidates: Vec<(PractitionerId, String)> = repo::practitioners::list(&mut tx, &ctx.scope)
        .await?
        .into_iter()
        .map(|p| (PractitionerId::from_uuid(p.id), p.name))
        .filter(|(id, _)| deliverers.is_empty() || deliverers.contains(id))
        .collect();
    if let Some(wanted) = wanted {
        candidates.retain(|(id, _)| *id == wanted);
        if candidates.is_empty() {
            let message = match repo::practitioners::get(&mut tx, &ctx.scope, wanted).await? {
                Some(p) => format!("{} does not offer {}.", p.name, kind.name),
                None => "Choose a practitioner from the list, or any.".to_owned(),
            };
            return Err(ServiceError::field("practitioner_id", message));
        }
    }
    let clinic = ClinicCalendar::load(&mut tx, ctx).await?;
    let hours = repo::schedule::all_hours(&mut tx, &ctx.scope).await?;
    // Slots are never offered in the past: the search starts today at the
    // earliest (its 60 days are then all useful).
    let now = now_utc(services);
    let from = from.max(now.with_timezone(&clinic.tz).date_naive());
    let not_before = now.max(zone::day_bounds_utc(clinic.tz, from).start());
    let mut found: Vec<SlotView> = Vec::new();
    let mut chunk_start = from;
    while chunk_start < from + Duration::days(SEARCH_DAYS) && found.len() < limit {
        let chunk_end = (chunk_start + Duration::days(CHUNK_DAYS - 1)).min(from + Duration::days(SEARCH_DAYS - 1));
        let range = Interval::new(
            zone::day_bounds_utc(clinic.tz, chunk_start).start(),
            zone::day_bounds_utc(clinic.tz, chunk_end).end(),
        )
        .map_err(|e| ServiceError::Internal(e.0))?;
        let (range_from, range_to) = (DbTime::from(range.start()), DbTime::from(range.end()));
        // Outside opening hours is closed for everyone in this chunk.
        let closed = clinic
            .opening_hours
            .as_ref()
            .map(|h| interval::subtract(&[range], &zone::working_intervals(clinic.tz, h, chunk_start, chunk_end)))
            .unwrap_or_default();
        let time_off = repo::schedule::time_off_between(&mut tx, &ctx.scope, None, range_from, range_to).await?;
        let busy = repo::appointments::busy_between(&mut tx, &ctx.scope, range_from, range_to).await?;
        let mut chunk: Vec<SlotView> = Vec::new();
        for (id, name) in &candidates {
            let Some(weekly) = hours.get(id) else { continue };
            let working = zone::working_intervals(clinic.tz, weekly, chunk_start, chunk_end);
            let mut blocked: Vec<Interval> = time_off
                .iter()
                .filter(|t| t.practitioner_id == id.as_uuid())
                .filter_map(|t| Interval::new(t.starts_at.0, t.ends_at.0).ok())
                .collect();
            blocked.extend_from_slice(&closed);
            let taken: Vec<Interval> = busy
                .iter()
                .filter(|(p, ..)| *p == id.as_uuid())
                .filter_map(|(_, start, until)| Interval::new(start.0, until.0).ok())
                .collect();
            let slots = free_slots(&working, &blocked, &taken, kind.duration(), kind.buffer(), clinic.grid.minutes(), not_before, limit);
            chunk.extend(slots.into_iter().map(|slot| SlotView {
                practitioner_id: *id,
                practitioner_name: name.clone(),
                starts_at: DbTime::from(slot.start()),
                ends_at: DbTime::from(slot.end()),
                local_start: clinic.local(DbTime::from(slot.start())),
                local_end: clinic.local(DbTime::from(slot.end())),
            }));
        }
        chunk.sort_by(|a, b| (a.starts_at, &a.practitioner_name).cmp(&(b.starts_at, &b.practitioner_name)));
        found.extend(chunk);
        chunk_start = chunk_end + Duration::days(1);
    }
    found.truncate(limit);
    Ok(found)
}

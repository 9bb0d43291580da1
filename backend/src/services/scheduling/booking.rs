//! Booking (single or a weekly series), moving and resizing, and status
//! changes. Each runs in one write transaction: lock (PostgreSQL), check,
//! write, audit, commit. See the module docs of `scheduling` for why that
//! is race-free on both backends.

use super::{
    commit_booking, require,
    rules::{self, Problem},
    waitlist::{offers_for_slot, WaitlistEntryView},
    AppointmentView, ClinicCalendar,
};
use crate::{
    audit::{self, Actor, Entry},
    db::Tx,
    error::ServiceError,
    repo::{
        self,
        appointment_types::TypeRow,
        appointments::{AppointmentRow, Footprint, Move, NewAppointment},
        practitioners::PractitionerRow,
        rooms::RoomRow,
        series::NewSeries,
    },
    scope::AuthContext,
    services::{
        live::{CalendarChange, CalendarEvent},
        reminders,
    },
    time::DbTime,
    Services,
};
use ambula_domain::{
    scheduling::{
        recurrence::occurrences, zone, AppointmentStatus, Booking, BookingForm, Recurrence, RecurrenceForm, RescheduleForm, RoomChange,
        SeriesScope, StatusForm,
    },
    AppointmentId, AppointmentTypeId, FieldErrors, PatientId, Permission, PractitionerId, RoomId, SeriesId,
};
use chrono::{Duration, NaiveDate, NaiveDateTime};
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct Booked {
    /// Set for a weekly series.
    pub series_id: Option<SeriesId>,
    /// The appointments created, by start time.
    pub appointments: Vec<AppointmentView>,
}

#[derive(Debug, Clone)]
pub struct StatusChanged {
    /// The appointments changed (more than one when a series is cancelled).
    pub appointments: Vec<AppointmentView>,
    /// After a cancellation: waiting patients the freed slot suits, to
    /// offer it to (oldest request first).
    pub waitlist_offers: Vec<WaitlistEntryView>,
}

const STALE: &str = "Someone else changed this appointment meanwhile. Reload the calendar and try again.";

/// The rows a booking refers to, each checked to be in this clinic (an id
/// from another clinic is "not in the list", exactly like a made-up one).
struct References {
    practitioner: PractitionerRow,
    room: Option<RoomRow>,
    kind: TypeRow,
}

/// `existing`: the appointment being moved, if any. Its own type and room
/// stay usable after being deactivated (deactivation stops new bookings,
/// it does not pin existing ones in place).
async fn references(
    tx: &mut Tx,
    ctx: &AuthContext,
    patient: PatientId,
    practitioner: PractitionerId,
    room: Option<RoomId>,
    kind: AppointmentTypeId,
    existing: Option<&AppointmentRow>,
) -> Result<References, ServiceError> {
    let own_room = |id: RoomId| existing.is_some_and(|e| e.room_id == Some(id.as_uuid()));
    let mut errors = FieldErrors::new();
    match repo::patients::get(tx, &ctx.scope, patient).await? {
        None => errors.add("patient_id", "Choose a patient from the list."),
        // A merged record is a redirect, not a patient: booking it would
        // split their history again. Moving an existing appointment is
        // left alone, as for deactivated types and rooms.
        Some(row) if existing.is_none() && row.merged_into.is_some() => {
            errors.add("patient_id", "This record was merged into another one. Book the patient's remaining record.")
        }
        Some(row) if existing.is_none() && !row.active => errors.add(
            "patient_id",
            format!("{} {} is marked inactive. Reactivate the record before booking.", row.given_name, row.family_name),
        ),
        Some(_) => {}
    }
    let practitioner_row = repo::practitioners::get(tx, &ctx.scope, practitioner).await?;
    if practitioner_row.is_none() {
        errors.add("practitioner_id", "Choose a practitioner from the list.");
    }
    let room_row = match room {
        None => None,
        Some(id) => match repo::rooms::get(tx, &ctx.scope, id).await? {
            Some(row) if row.active || own_room(id) => Some(row),
            Some(row) => {
                errors.add("room_id", format!("{} is out of use. Choose another room.", row.name));
                None
            }
            None => {
                errors.add("room_id", "Choose a room from the list, or none.");
                None
            }
        },
    };
    let type_row = match repo::appointment_types::get(tx, &ctx.scope, kind).await? {
        Some(row) if row.active || existing.is_some() => Some(row),
        _ => {
            errors.add("type_id", "Choose the type of appointment.");
            None
        }
    };
    if let (Some(p), Some(t)) = (&practitioner_row, &type_row) {
        let deliverers = repo::appointment_types::practitioners(tx, &ctx.scope, kind).await?;
        if !deliverers.is_empty() && !deliverers.contains(&practitioner) {
            errors.add("practitioner_id", format!("{} does not offer {}.", p.name, t.name));
        }
    }
    match (practitioner_row, type_row) {
        (Some(practitioner), Some(kind)) if errors.is_empty() => Ok(References { practitioner, room: room_row, kind }),
        _ => Err(ServiceError::Invalid(errors)),
    }
}

/// Serializes this booking against every other one for the same
/// practitioner, room or patient (PostgreSQL row locks, always in this
/// order so two bookings cannot deadlock; a no-op on SQLite, whose write
/// transactions are serial).
async fn lock(tx: &mut Tx, ctx: &AuthContext, practitioner: PractitionerId, room: Option<RoomId>, patient: PatientId) -> Result<(), ServiceError> {
    repo::practitioners::lock(tx, &ctx.scope, practitioner).await?;
    if let Some(room) = room {
        repo::rooms::lock(tx, &ctx.scope, room).await?;
    }
    repo::patients::lock(tx, &ctx.scope, patient).await
}

fn footprint(practitioner: PractitionerId, room: Option<RoomId>, patient: PatientId, start: DbTime, length: Duration, buffer: Duration) -> Footprint {
    let ends_at = DbTime::from(start.0 + length);
    Footprint {
        practitioner_id: practitioner,
        room_id: room,
        patient_id: patient,
        starts_at: start,
        ends_at,
        blocks_until: DbTime::from(ends_at.0 + buffer.max(Duration::zero())),
    }
}

fn local_text(clinic: &ClinicCalendar, at: DbTime) -> String {
    format!("{} {}", clinic.local(at).format("%Y-%m-%d %H:%M"), clinic.time_zone)
}

/// What the audit entry says about an override.
fn override_detail(reason: Option<&str>, problems: &[Problem]) -> String {
    match reason {
        Some(reason) if !problems.is_empty() => {
            format!(" Override: {reason} (booked over: {})", rules::summary(problems))
        }
        _ => String::new(),
    }
}

/// Books one appointment or, with a weekly `recurrence`, a series (all or
/// nothing). Clashes, hours and time off are refused at the field they
/// concern, in the clinic's local time, unless the form overrides them
/// (needs `OverrideSchedule` and a reason, which is audited).
pub async fn book(
    services: &Services,
    ctx: &AuthContext,
    form: &BookingForm,
    recurrence: Option<&RecurrenceForm>,
) -> Result<Booked, ServiceError> {
    require(services, ctx, Permission::Schedule, "appointment.create", "").await?;
    let booking = form.parse()?;
    let rule = match recurrence {
        Some(rec) => rec.parse(booking.date)?,
        None => None,
    };
    if booking.override_reason.is_some() && !ctx.can(Permission::OverrideSchedule) {
        audit::record_denial(services, ctx, "appointment.override", "appointment", "", Some(booking.patient_id.as_uuid())).await?;
        return Err(ServiceError::Forbidden);
    }
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let booked = book_in(&mut tx, ctx, &booking, rule.as_ref(), now).await?;
    commit_booking(tx).await?;
    announce(services, ctx, CalendarChange::Booked, &booked.appointments);
    Ok(booked)
}

/// The body of `book` inside the caller's write transaction (which the
/// caller commits with `commit_booking`, then announces): booking a
/// waitlisted patient removes their entry in the same transaction.
pub(crate) async fn book_in(
    tx: &mut Tx,
    ctx: &AuthContext,
    booking: &Booking,
    rule: Option<&Recurrence>,
    now: DbTime,
) -> Result<Booked, ServiceError> {
    lock(tx, ctx, booking.practitioner_id, booking.room_id, booking.patient_id).await?;
    let refs = references(tx, ctx, booking.patient_id, booking.practitioner_id, booking.room_id, booking.type_id, None).await?;
    let clinic = ClinicCalendar::load(tx, ctx).await?;

    let first_local = booking.date.and_time(booking.time);
    let starts_local: Vec<NaiveDateTime> = match rule {
        Some(rule) => occurrences(first_local, rule),
        None => vec![first_local],
    };
    // Each occurrence is resolved in local time on its own date, so a
    // 09:00 series stays at 09:00 across a clock change.
    let mut starts = Vec::with_capacity(starts_local.len());
    let mut unresolvable = Vec::new();
    for (i, local) in starts_local.iter().enumerate() {
        match zone::resolve_local(clinic.tz, local.date(), local.time(), booking.dst_choice) {
            Ok(start) => starts.push((local.date(), DbTime::from(start))),
            Err(e) if i == 0 => return Err(ServiceError::field("time", e.0)),
            Err(e) => unresolvable.push((local.date(), vec![Problem { field: "time", message: e.0 }])),
        }
    }
    if !unresolvable.is_empty() {
        return Err(ServiceError::Invalid(rules::series_errors("repeat", &unresolvable, starts_local.len())));
    }

    let mut planned = Vec::with_capacity(starts.len());
    let mut dated: Vec<(NaiveDate, Vec<Problem>)> = Vec::new();
    for (date, start) in starts {
        let f = footprint(booking.practitioner_id, booking.room_id, booking.patient_id, start, refs.kind.duration(), refs.kind.buffer());
        let found = rules::problems(
            tx,
            ctx,
            &clinic,
            &f,
            &refs.practitioner.name,
            refs.room.as_ref().map(|r| r.name.as_str()),
            &[],
        )
        .await?;
        dated.push((date, found));
        planned.push(f);
    }
    let all_problems: Vec<Problem> = dated.iter().flat_map(|(_, p)| p.iter().cloned()).collect();
    if !all_problems.is_empty() && booking.override_reason.is_none() {
        let errors = match rule {
            Some(_) => rules::series_errors("repeat", &dated, planned.len()),
            None => rules::as_field_errors(&all_problems),
        };
        return Err(ServiceError::Invalid(errors));
    }

    let series_id = match rule {
        Some(rule) => Some(
            repo::series::insert(
                tx,
                &ctx.scope,
                NewSeries {
                    practitioner_id: booking.practitioner_id,
                    patient_id: booking.patient_id,
                    type_id: booking.type_id,
                    room_id: booking.room_id,
                    rrule: &rule.to_rrule(),
                    first_local,
                    time_zone: &clinic.time_zone,
                },
                now,
            )
            .await?,
        ),
        None => None,
    };
    let mut ids = Vec::with_capacity(planned.len());
    for (f, (_, problems)) in planned.iter().zip(&dated) {
        // Only appointments that actually clash carry the override reason;
        // the others stay under the database's no-overlap constraint.
        let override_reason = if problems.is_empty() { None } else { booking.override_reason.as_deref() };
        let id = repo::appointments::insert(
            tx,
            &ctx.scope,
            NewAppointment {
                patient_id: booking.patient_id,
                practitioner_id: booking.practitioner_id,
                type_id: booking.type_id,
                room_id: booking.room_id,
                series_id,
                starts_at: f.starts_at,
                ends_at: f.ends_at,
                blocks_until: f.blocks_until,
                status: AppointmentStatus::Booked,
                notes: booking.notes.as_deref(),
                override_reason,
            },
            now,
        )
        .await?;
        let mut detail = format!("{} with {} at {}", refs.kind.name, refs.practitioner.name, local_text(&clinic, f.starts_at));
        if let Some(room) = &refs.room {
            detail.push_str(&format!(" in {}", room.name));
        }
        detail.push_str(&override_detail(override_reason, problems));
        let entry = Entry::ok("appointment.create", "appointment", id).patient(booking.patient_id.as_uuid()).detail(detail);
        audit::record(tx, &ctx.scope, &Actor::from(ctx), entry, now).await?;
        reminders::enqueue::scheduled(tx, &ctx.scope, id, f.starts_at, now).await?;
        ids.push(id);
    }
    let mut rows = Vec::with_capacity(ids.len());
    for id in ids {
        rows.push(repo::appointments::get(tx, &ctx.scope, id).await?.ok_or(ServiceError::NotFound)?);
    }
    let appointments = AppointmentView::build_all(tx, ctx, &clinic, rows).await?;
    Ok(Booked { series_id, appointments })
}

/// Loads an appointment of this clinic. Another clinic's id, or none, is a
/// 404, and the attempt is recorded (commit `tx` before returning it).
async fn load(tx: &mut Tx, ctx: &AuthContext, raw: &str, action: &'static str, now: DbTime) -> Result<Option<AppointmentRow>, ServiceError> {
    let row = match raw.trim().parse::<AppointmentId>() {
        Ok(id) => repo::appointments::get(tx, &ctx.scope, id).await?,
        Err(_) => None,
    };
    if row.is_none() {
        audit::record(tx, &ctx.scope, &Actor::from(ctx), Entry::denied(action, "appointment", raw), now).await?;
    }
    Ok(row)
}

fn movable(status: AppointmentStatus) -> bool {
    matches!(status, AppointmentStatus::Booked | AppointmentStatus::Confirmed)
}

/// The members of `row`'s series that `scope` covers (just `row` when it
/// is not in a series), keeping only those `keep` accepts; `row` first.
async fn in_scope(
    tx: &mut Tx,
    ctx: &AuthContext,
    row: &AppointmentRow,
    scope: SeriesScope,
    keep: impl Fn(&AppointmentRow) -> Result<bool, ServiceError>,
) -> Result<Vec<AppointmentRow>, ServiceError> {
    let series = match (scope, row.series_id) {
        (SeriesScope::ThisOne, _) | (_, None) => return Ok(vec![row.clone()]),
        (_, Some(series)) => SeriesId::from_uuid(series),
    };
    let from = (scope == SeriesScope::ThisAndFollowing).then_some(row.starts_at);
    let mut members = vec![row.clone()];
    for member in repo::appointments::in_series(tx, &ctx.scope, series, from).await? {
        if member.id != row.id && keep(&member)? {
            members.push(member);
        }
    }
    Ok(members)
}

/// Moves (and optionally resizes, reassigns or re-rooms) an appointment,
/// or with `scope` the rest or all of its series: each member keeps its own
/// date shifted by the same number of days, at the new local time. The
/// same checks as booking, ignoring the appointments being moved.
pub async fn reschedule(services: &Services, ctx: &AuthContext, id: &str, form: &RescheduleForm) -> Result<Vec<AppointmentView>, ServiceError> {
    require(services, ctx, Permission::Schedule, "appointment.move", id).await?;
    let change = form.parse()?;
    if change.override_reason.is_some() && !ctx.can(Permission::OverrideSchedule) {
        audit::record_denial(services, ctx, "appointment.override", "appointment", id, None).await?;
        return Err(ServiceError::Forbidden);
    }
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let Some(row) = load(&mut tx, ctx, id, "appointment.move", now).await? else {
        tx.commit().await?;
        return Err(ServiceError::NotFound);
    };
    if row.version != change.expected_version {
        return Err(ServiceError::field("expected_version", STALE));
    }
    let status = row.status()?;
    if !movable(status) {
        return Err(ServiceError::field(
            "status",
            format!("Only booked or confirmed appointments can be moved; this one is {}.", status.label().to_lowercase()),
        ));
    }
    let patient = PatientId::from_uuid(row.patient_id);
    let practitioner = change.practitioner_id.unwrap_or(PractitionerId::from_uuid(row.practitioner_id));
    let room_of = |member: &AppointmentRow| match change.room {
        RoomChange::Keep => member.room_id.map(RoomId::from_uuid),
        RoomChange::Clear => None,
        RoomChange::To(room) => Some(room),
    };
    lock(&mut tx, ctx, practitioner, room_of(&row), patient).await?;
    let refs = references(&mut tx, ctx, patient, practitioner, room_of(&row), AppointmentTypeId::from_uuid(row.type_id), Some(&row)).await?;
    let clinic = ClinicCalendar::load(&mut tx, ctx).await?;
    let targets = in_scope(&mut tx, ctx, &row, change.scope, |m| Ok(movable(m.status()?))).await?;
    let exclude: Vec<Uuid> = targets.iter().map(|t| t.id).collect();
    let shift = change.date - clinic.local(row.starts_at).date();

    let mut planned = Vec::with_capacity(targets.len());
    let mut dated = Vec::with_capacity(targets.len());
    for (i, target) in targets.iter().enumerate() {
        let date = clinic.local(target.starts_at).date() + shift;
        let start = match zone::resolve_local(clinic.tz, date, change.time, change.dst_choice) {
            Ok(start) => DbTime::from(start),
            Err(e) if i == 0 => return Err(ServiceError::field("time", e.0)),
            Err(e) => {
                dated.push((date, vec![Problem { field: "time", message: e.0 }]));
                continue;
            }
        };
        let length = change
            .duration_minutes
            .map(|m| Duration::minutes(m.into()))
            .unwrap_or(target.ends_at.0 - target.starts_at.0);
        let buffer = target.blocks_until.0 - target.ends_at.0;
        let room = room_of(target);
        let room_name = match (room, &refs.room) {
            (Some(_), Some(r)) if change.room != RoomChange::Keep => Some(r.name.clone()),
            _ => target.room_name.clone(),
        };
        let f = footprint(practitioner, room, patient, start, length, buffer);
        let found = rules::problems(&mut tx, ctx, &clinic, &f, &refs.practitioner.name, room_name.as_deref(), &exclude).await?;
        dated.push((date, found));
        planned.push((target, f));
    }
    let all_problems: Vec<Problem> = dated.iter().flat_map(|(_, p)| p.iter().cloned()).collect();
    let unresolved = planned.len() < targets.len();
    if unresolved || (!all_problems.is_empty() && change.override_reason.is_none()) {
        let errors = if targets.len() > 1 {
            rules::series_errors("time", &dated, targets.len())
        } else {
            rules::as_field_errors(&all_problems)
        };
        return Err(ServiceError::Invalid(errors));
    }
    let mut moved = Vec::with_capacity(planned.len());
    for ((target, f), (_, problems)) in planned.iter().zip(&dated) {
        let override_reason = if problems.is_empty() { None } else { change.override_reason.as_deref() };
        let target_id = AppointmentId::from_uuid(target.id);
        let m = Move {
            practitioner_id: f.practitioner_id,
            room_id: f.room_id,
            starts_at: f.starts_at,
            ends_at: f.ends_at,
            blocks_until: f.blocks_until,
            override_reason,
        };
        if !repo::appointments::move_to(&mut tx, &ctx.scope, target_id, target.version, m, now).await? {
            return Err(ServiceError::field("expected_version", STALE));
        }
        let mut detail = format!(
            "{} → {} with {}",
            local_text(&clinic, target.starts_at),
            local_text(&clinic, f.starts_at),
            refs.practitioner.name
        );
        if f.ends_at.0 - f.starts_at.0 != target.ends_at.0 - target.starts_at.0 {
            detail.push_str(&format!(", now {} min", (f.ends_at.0 - f.starts_at.0).num_minutes()));
        }
        detail.push_str(&override_detail(override_reason, problems));
        let entry = Entry::ok("appointment.move", "appointment", target_id).patient(target.patient_id).detail(detail);
        audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), entry, now).await?;
        reminders::enqueue::scheduled(&mut tx, &ctx.scope, target_id, f.starts_at, now).await?;
        moved.push(target_id);
    }
    let mut rows = Vec::with_capacity(moved.len());
    for id in moved {
        rows.push(repo::appointments::get(&mut tx, &ctx.scope, id).await?.ok_or(ServiceError::NotFound)?);
    }
    let views = AppointmentView::build_all(&mut tx, ctx, &clinic, rows).await?;
    commit_booking(tx).await?;
    announce(services, ctx, CalendarChange::Moved, &views);
    Ok(views)
}

/// Moves an appointment along its life cycle (`AppointmentStatus::
/// can_move_to`). Cancellations need a reason and, in a series, may cover
/// the following or all appointments; a cancelled slot is free again and
/// the waitlist entries it suits are returned.
pub async fn set_status(services: &Services, ctx: &AuthContext, id: &str, form: &StatusForm) -> Result<StatusChanged, ServiceError> {
    require(services, ctx, Permission::Schedule, "appointment.status", id).await?;
    let change = form.parse()?;
    let action = if change.next.requires_reason() { "appointment.cancel" } else { "appointment.status" };
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let Some(row) = load(&mut tx, ctx, id, action, now).await? else {
        tx.commit().await?;
        return Err(ServiceError::NotFound);
    };
    let current = row.status()?;
    if !current.can_move_to(change.next) {
        let allowed: Vec<&str> = current.next_steps().iter().map(|s| s.label()).collect();
        let next_steps = if allowed.is_empty() {
            "It is final; book a new appointment instead.".to_owned()
        } else {
            format!("It can become: {}.", allowed.join(", "))
        };
        return Err(ServiceError::field(
            "status",
            format!("A {} appointment cannot become {}. {next_steps}", current.label().to_lowercase(), change.next.label().to_lowercase()),
        ));
    }
    let clinic = ClinicCalendar::load(&mut tx, ctx).await?;
    // Only cancellations reach beyond one appointment of a series.
    let scope = if change.next.requires_reason() { change.scope } else { SeriesScope::ThisOne };
    let next = change.next;
    let targets = in_scope(&mut tx, ctx, &row, scope, |m| Ok(m.status()?.can_move_to(next))).await?;
    let mut changed = Vec::with_capacity(targets.len());
    for target in &targets {
        let target_id = AppointmentId::from_uuid(target.id);
        let reason = change.reason.as_deref().filter(|_| next.requires_reason());
        if !repo::appointments::set_status(&mut tx, &ctx.scope, target_id, target.version, next, reason, now).await? {
            return Err(ServiceError::field("status", STALE));
        }
        let mut detail = format!("{} → {} ({})", target.status, next.as_str(), local_text(&clinic, target.starts_at));
        if let Some(reason) = &change.reason {
            detail.push_str(&format!(": {reason}"));
        }
        let entry = Entry::ok(action, "appointment", target_id).patient(target.patient_id).detail(detail);
        audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), entry, now).await?;
        if !matches!(next, AppointmentStatus::Booked | AppointmentStatus::Confirmed) {
            reminders::enqueue::withdrawn(&mut tx, &ctx.scope, target_id, next.as_str(), now).await?;
        }
        changed.push(target_id);
    }
    let waitlist_offers = if next.requires_reason() { offers_for_slot(&mut tx, ctx, &clinic, &row).await? } else { Vec::new() };
    let mut rows = Vec::with_capacity(changed.len());
    for id in changed {
        rows.push(repo::appointments::get(&mut tx, &ctx.scope, id).await?.ok_or(ServiceError::NotFound)?);
    }
    let appointments = AppointmentView::build_all(&mut tx, ctx, &clinic, rows).await?;
    tx.commit().await?;
    announce(services, ctx, CalendarChange::Status, &appointments);
    Ok(StatusChanged { appointments, waitlist_offers })
}

/// Tells the clinic's open calendars, after the commit (see `services::live`).
pub(super) fn announce(services: &Services, ctx: &AuthContext, kind: CalendarChange, appointments: &[AppointmentView]) {
    for a in appointments {
        services.live.publish(&ctx.scope, CalendarEvent { kind, appointment_id: a.id, date: a.local_start.date() });
    }
}

//! The waitlist: patients who want a slot of a type sooner (or at all)
//! between two dates. When an appointment is cancelled, the entries its
//! slot suits are returned to the person cancelling, to offer it on.

use super::{
    booking::{self, announce},
    commit_booking, parse_id, require, rules, AppointmentView, ClinicCalendar,
};
use crate::{
    audit::{self, Actor, Entry},
    db::Tx,
    error::ServiceError,
    repo::{self, appointments::Footprint, waitlist::WaitlistRow},
    scope::AuthContext,
    services::live::CalendarChange,
    time::DbTime,
    Services,
};
use ambula_domain::{
    scheduling::{WaitlistBookForm, WaitlistForm},
    AppointmentId, AppointmentTypeId, PatientId, Permission, PractitionerId, RoomId, WaitlistEntryId,
};
use chrono::{Duration, NaiveDate, NaiveDateTime};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitlistEntryView {
    pub id: WaitlistEntryId,
    pub patient_id: PatientId,
    pub patient_name: String,
    pub type_id: AppointmentTypeId,
    pub type_name: String,
    pub practitioner_id: Option<PractitionerId>,
    pub earliest: NaiveDate,
    pub latest: NaiveDate,
    pub note: Option<String>,
    pub created_at: DbTime,
    pub offered_appointment_id: Option<AppointmentId>,
}

pub(crate) async fn views(tx: &mut Tx, ctx: &AuthContext, rows: Vec<WaitlistRow>) -> Result<Vec<WaitlistEntryView>, ServiceError> {
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let patient = PatientId::from_uuid(row.patient_id);
        let visible = !row.restricted || repo::access::on_care_team(tx, &ctx.scope, patient, ctx.membership_id).await?;
        out.push(WaitlistEntryView {
            id: WaitlistEntryId::from_uuid(row.id),
            patient_id: patient,
            patient_name: if visible { format!("{}, {}", row.family_name, row.given_name) } else { format!("Restricted record {}", row.mrn) },
            type_id: AppointmentTypeId::from_uuid(row.type_id),
            type_name: row.type_name,
            practitioner_id: row.practitioner_id.map(PractitionerId::from_uuid),
            earliest: row.earliest,
            latest: row.latest,
            note: row.note,
            created_at: row.created_at,
            offered_appointment_id: row.offered_appointment_id.map(AppointmentId::from_uuid),
        });
    }
    Ok(out)
}

pub async fn add_to_waitlist(services: &Services, ctx: &AuthContext, form: &WaitlistForm) -> Result<WaitlistEntryView, ServiceError> {
    require(services, ctx, Permission::Schedule, "waitlist.create", "").await?;
    let request = form.parse()?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    if repo::patients::get(&mut tx, &ctx.scope, request.patient_id).await?.is_none() {
        return Err(ServiceError::field("patient_id", "Choose a patient from the list."));
    }
    if !repo::appointment_types::get(&mut tx, &ctx.scope, request.type_id).await?.is_some_and(|t| t.active) {
        return Err(ServiceError::field("type_id", "Choose the type of appointment."));
    }
    if let Some(p) = request.practitioner_id {
        if repo::practitioners::get(&mut tx, &ctx.scope, p).await?.is_none() {
            return Err(ServiceError::field("practitioner_id", "Choose a practitioner from the list, or any."));
        }
    }
    let id = repo::waitlist::insert(&mut tx, &ctx.scope, &request, now).await?;
    let detail = format!("{} to {}", request.earliest, request.latest);
    let entry = Entry::ok("waitlist.create", "waitlist", id).patient(request.patient_id.as_uuid()).detail(detail);
    audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), entry, now).await?;
    let row = repo::waitlist::get(&mut tx, &ctx.scope, id).await?.ok_or(ServiceError::NotFound)?;
    let view = views(&mut tx, ctx, vec![row]).await?.pop().ok_or(ServiceError::NotFound)?;
    tx.commit().await?;
    Ok(view)
}

/// The waitlist, oldest first (patient names: a PHI read, audited).
pub async fn list_waitlist(services: &Services, ctx: &AuthContext) -> Result<Vec<WaitlistEntryView>, ServiceError> {
    require(services, ctx, Permission::Schedule, "waitlist.read", "").await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let rows = repo::waitlist::list(&mut tx, &ctx.scope, 500).await?;
    let list = views(&mut tx, ctx, rows).await?;
    let entry = Entry::ok("waitlist.read", "waitlist", "").detail(format!("{} entries", list.len()));
    audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), entry, now).await?;
    tx.commit().await?;
    Ok(list)
}

pub async fn remove_from_waitlist(services: &Services, ctx: &AuthContext, id: &str) -> Result<(), ServiceError> {
    require(services, ctx, Permission::Schedule, "waitlist.delete", id).await?;
    let entry_id: WaitlistEntryId = parse_id(id, "waitlist_id", "Choose an entry from the waitlist.")?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let Some(row) = repo::waitlist::get(&mut tx, &ctx.scope, entry_id).await? else {
        audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), Entry::denied("waitlist.delete", "waitlist", id), now).await?;
        tx.commit().await?;
        return Err(ServiceError::NotFound);
    };
    repo::waitlist::delete(&mut tx, &ctx.scope, entry_id).await?;
    let entry = Entry::ok("waitlist.delete", "waitlist", entry_id).patient(row.patient_id);
    audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), entry, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Records that the slot of `appointment` was offered to this entry, so it
/// is not offered the next freed slot as well.
pub async fn mark_offered(services: &Services, ctx: &AuthContext, id: &str, appointment: &str) -> Result<(), ServiceError> {
    require(services, ctx, Permission::Schedule, "waitlist.offer", id).await?;
    let entry_id: WaitlistEntryId = parse_id(id, "waitlist_id", "Choose an entry from the waitlist.")?;
    let appointment_id: AppointmentId = parse_id(appointment, "appointment_id", "Choose an appointment.")?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let row = repo::waitlist::get(&mut tx, &ctx.scope, entry_id).await?.ok_or(ServiceError::NotFound)?;
    if repo::appointments::get(&mut tx, &ctx.scope, appointment_id).await?.is_none() {
        return Err(ServiceError::NotFound);
    }
    repo::waitlist::mark_offered(&mut tx, &ctx.scope, entry_id, appointment_id).await?;
    let entry = Entry::ok("waitlist.offer", "waitlist", entry_id).patient(row.patient_id).detail(appointment_id.to_string());
    audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), entry, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Entries that a slot just freed by `appointment` would suit.
pub(crate) async fn offers_for_slot(
    tx: &mut Tx,
    ctx: &AuthContext,
    clinic: &ClinicCalendar,
    appointment: &repo::appointments::AppointmentRow,
) -> Result<Vec<WaitlistEntryView>, ServiceError> {
    let date = clinic.local(appointment.starts_at).date();
    let rows = repo::waitlist::matching(
        tx,
        &ctx.scope,
        AppointmentTypeId::from_uuid(appointment.type_id),
        PractitionerId::from_uuid(appointment.practitioner_id),
        date,
    )
    .await?;
    views(tx, ctx, rows).await
}

/// A cancelled appointment's slot that is still free, with the waiting
/// patients it suits. Nothing about the patient who cancelled.
#[derive(Debug, Clone)]
pub struct FreedSlot {
    pub appointment_id: AppointmentId,
    pub practitioner_id: PractitionerId,
    pub practitioner_name: String,
    pub room_id: Option<RoomId>,
    pub room_name: Option<String>,
    pub type_name: String,
    pub local_start: NaiveDateTime,
    pub local_end: NaiveDateTime,
    pub offers: Vec<WaitlistEntryView>,
}

/// How far ahead freed slots are looked for, and how many are shown.
pub const FREED_DAYS: i64 = 60;
const FREED_LIMIT: i64 = 50;

/// Slots freed by cancellations from now on that nobody has taken since
/// (the practitioner and room are still free then, and inside hours) and
/// that at least one waiting patient fits, soonest first. Shows waiting
/// patients' names: an audited read.
pub async fn freed_slots(services: &Services, ctx: &AuthContext) -> Result<Vec<FreedSlot>, ServiceError> {
    require(services, ctx, Permission::Schedule, "waitlist.read", "").await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let clinic = ClinicCalendar::load(&mut tx, ctx).await?;
    let until = DbTime::from(now.0 + Duration::days(FREED_DAYS));
    let cancelled = repo::appointments::cancelled_between(&mut tx, &ctx.scope, now, until, FREED_LIMIT).await?;
    let mut slots: Vec<FreedSlot> = Vec::new();
    for row in cancelled {
        let practitioner = PractitionerId::from_uuid(row.practitioner_id);
        let starts = clinic.local(row.starts_at);
        // The same slot cancelled twice (booked again, cancelled again).
        if slots.iter().any(|s| s.practitioner_id == practitioner && s.local_start == starts) {
            continue;
        }
        let f = Footprint {
            practitioner_id: practitioner,
            room_id: row.room_id.map(RoomId::from_uuid),
            patient_id: PatientId::from_uuid(row.patient_id),
            starts_at: row.starts_at,
            ends_at: row.ends_at,
            blocks_until: row.blocks_until,
        };
        // Whoever is offered the slot is another patient: only the
        // practitioner's and the room's side decide whether it is free.
        let problems = rules::problems(&mut tx, ctx, &clinic, &f, &row.practitioner_name, row.room_name.as_deref(), &[row.id]).await?;
        if problems.iter().any(|p| p.field != "patient_id") {
            continue;
        }
        let offers = offers_for_slot(&mut tx, ctx, &clinic, &row).await?;
        if offers.is_empty() {
            continue;
        }
        slots.push(FreedSlot {
            appointment_id: AppointmentId::from_uuid(row.id),
            practitioner_id: practitioner,
            practitioner_name: row.practitioner_name.clone(),
            room_id: row.room_id.map(RoomId::from_uuid),
            room_name: row.room_name.clone(),
            type_name: row.type_name.clone(),
            local_start: starts,
            local_end: clinic.local(row.ends_at),
            offers,
        });
    }
    let offered: usize = slots.iter().map(|s| s.offers.len()).sum();
    let entry = Entry::ok("waitlist.read", "waitlist", "").detail(format!("{} freed slots, {offered} offers", slots.len()));
    audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), entry, now).await?;
    tx.commit().await?;
    Ok(slots)
}

/// Books the waiting patient of entry `id` into a slot and takes the entry
/// off the waitlist, in one transaction: both happen or neither. The
/// booking is an ordinary one (hours, time off, clashes, the override
/// rules), for the entry's patient and type.
pub async fn book_from_waitlist(
    services: &Services,
    ctx: &AuthContext,
    id: &str,
    form: &WaitlistBookForm,
) -> Result<AppointmentView, ServiceError> {
    require(services, ctx, Permission::Schedule, "waitlist.book", id).await?;
    let entry_id: WaitlistEntryId = parse_id(id, "waitlist_id", "Choose an entry from the waitlist.")?;
    // Refused before anything is read, like `book` (the denial is written
    // in its own transaction, so it must come before ours).
    if form.overrides() && !ctx.can(Permission::OverrideSchedule) {
        audit::record_denial(services, ctx, "appointment.override", "waitlist", id, None).await?;
        return Err(ServiceError::Forbidden);
    }
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let Some(row) = repo::waitlist::get(&mut tx, &ctx.scope, entry_id).await? else {
        audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), Entry::denied("waitlist.book", "waitlist", id), now).await?;
        tx.commit().await?;
        return Err(ServiceError::NotFound);
    };
    let booking = form.booking_for(&row.patient_id.to_string(), &row.type_id.to_string(), row.note.as_deref()).parse()?;
    let booked = booking::book_in(&mut tx, ctx, &booking, None, now).await?;
    let appointment = booked.appointments.into_iter().next().ok_or(ServiceError::NotFound)?;
    repo::waitlist::delete(&mut tx, &ctx.scope, entry_id).await?;
    let detail = format!("booked as appointment {}", appointment.id);
    let entry = Entry::ok("waitlist.book", "waitlist", entry_id).patient(row.patient_id).detail(detail);
    audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), entry, now).await?;
    commit_booking(tx).await?;
    announce(services, ctx, CalendarChange::Booked, std::slice::from_ref(&appointment));
    Ok(appointment)
}

//! The rest of scheduling against real databases, every case on SQLite and
//! PostgreSQL: moving an appointment to another practitioner's or room's
//! column (what dragging across columns and the move dialog do), booking a
//! waitlisted patient into a freed slot in one step, and a patient's
//! reminder choices.

use ambula_backend::{
    audit, on_tx, repo,
    services::{
        accounts, auth, patients, registry,
        reminders::settings::{self, PatientPreferences},
        scheduling::{booking, calendar, setup, waitlist, AppointmentView},
        ClientInfo,
    },
    AuthContext, Db, ServiceError, Services,
};
use ambula_domain::{
    accounts::{AcceptInviteForm, InviteForm, SignupForm},
    registry::{DeactivateForm, MergeForm},
    patients::PatientForm,
    scheduling::{
        AppointmentTypeForm, BookingForm, CalendarBy, RescheduleForm, RoomForm, StatusForm, WaitlistBookForm, WaitlistForm,
        WeeklyHoursForm,
    },
    AppointmentTypeId, PatientId, PractitionerId, RoomId,
};
use ambula_testkit::{Kind, SmtpSink, TestDb};
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Utc, Weekday};

ambula_testkit::on_both_backends!(
    moving_to_another_practitioners_or_rooms_column,
    a_waitlisted_patient_is_booked_into_a_freed_slot_in_one_step,
    reminder_choices_per_patient_are_audited_and_guarded,
    inactive_and_merged_patients_cannot_be_booked,
);

struct Ctx {
    services: Services,
    owner_db: Db,
    #[allow(dead_code)]
    smtp: SmtpSink,
}

async fn run<F, Fut>(kind: Kind, case: F)
where
    F: FnOnce(Ctx) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let db = TestDb::new(kind).await;
    let smtp = SmtpSink::start().await;
    let services = db.services(smtp.mailer());
    let owner_db = db.owner().await;
    case(Ctx { services, owner_db: owner_db.clone(), smtp }).await;
    owner_db.close().await;
    db.cleanup().await;
}

const PASSWORD: &str = "tide pools at dawn";
const WEEKDAYS: &str = "09:00-13:00, 14:00-18:00";

fn client() -> ClientInfo {
    ClientInfo { ip: Some("192.0.2.30".into()), user_agent: Some("scheduling-more-test".into()) }
}

/// Two practitioners (weekday hours), two rooms, a 30-minute consultation
/// with 10 minutes' clean-up, and four patients.
struct Clinic {
    owner: AuthContext,
    silva: PractitionerId,
    okafor: PractitionerId,
    room1: RoomId,
    room2: RoomId,
    consult: AppointmentTypeId,
    patients: Vec<PatientId>,
}

async fn clinic(ctx: &Ctx, name: &str, email: &str) -> Clinic {
    let form = SignupForm {
        clinic_name: name.into(),
        time_zone: "Europe/Lisbon".into(),
        owner_name: "Marta Reis".into(),
        email: email.into(),
        password: PASSWORD.into(),
        confirm_adult: Some("on".into()),
    };
    let signed = accounts::sign_up(&ctx.services, &form, &client()).await.unwrap();
    let owner = auth::authenticate(&ctx.services, &signed.token).await.unwrap();
    let mut tx = ctx.services.db.write_in(&owner.scope).await.unwrap();
    let now = ctx.services.now();
    let silva = repo::practitioners::insert(&mut tx, &owner.scope, None, "Dr Silva", None, "#1d4ed8", now).await.unwrap();
    let okafor = repo::practitioners::insert(&mut tx, &owner.scope, None, "Dr Okafor", None, "#047857", now).await.unwrap();
    tx.commit().await.unwrap();
    for p in [silva, okafor] {
        set_hours(ctx, &owner, p, WEEKDAYS).await;
    }
    let room1 = setup::create_room(&ctx.services, &owner, &RoomForm { name: "Room 1".into() }).await.unwrap().id;
    let room2 = setup::create_room(&ctx.services, &owner, &RoomForm { name: "Room 2".into() }).await.unwrap().id;
    let consult = setup::create_type(&ctx.services, &owner, &type_form("Consultation", 30, 10), &[]).await.unwrap().id;
    let mut list = Vec::new();
    for (given, family) in [("Ana", "Costa"), ("Bruno", "Almeida"), ("Carla", "Mendes"), ("David", "Ferreira")] {
        let form = PatientForm { given_name: given.into(), family_name: family.into(), date_of_birth: "1984-03-12".into(), ..Default::default() };
        list.push(patients::create(&ctx.services, &owner, &form).await.unwrap().id);
    }
    Clinic { owner, silva, okafor, room1, room2, consult, patients: list }
}

fn type_form(name: &str, minutes: u32, buffer: u32) -> AppointmentTypeForm {
    AppointmentTypeForm {
        name: name.into(),
        duration_minutes: minutes.to_string(),
        buffer_minutes: buffer.to_string(),
        colour: "#3366cc".into(),
        price_minor: "4500".into(),
        online_booking: None,
    }
}

async fn set_hours(ctx: &Ctx, who: &AuthContext, p: PractitionerId, weekdays: &str) {
    let form = WeeklyHoursForm {
        hours_mon: weekdays.into(),
        hours_tue: weekdays.into(),
        hours_wed: weekdays.into(),
        hours_thu: weekdays.into(),
        hours_fri: weekdays.into(),
        hours_sat: String::new(),
        hours_sun: String::new(),
    };
    setup::set_practitioner_hours(&ctx.services, who, &p.to_string(), &form).await.unwrap();
}

async fn join(ctx: &Ctx, owner: &AuthContext, email: &str, role: &str) -> AuthContext {
    let sent = accounts::invite(&ctx.services, owner, &InviteForm { email: email.into(), role: role.into() }).await.unwrap();
    let token = sent.link.rsplit('/').next().unwrap().to_owned();
    let form = AcceptInviteForm { token, name: "Hana Lee".into(), password: PASSWORD.into() };
    let signed = accounts::accept_invite(&ctx.services, &form, &client()).await.unwrap();
    auth::authenticate(&ctx.services, &signed.token).await.unwrap()
}

fn form(c: &Clinic, patient: usize, practitioner: PractitionerId, room: Option<RoomId>, date: &str, time: &str) -> BookingForm {
    BookingForm {
        patient_id: c.patients[patient].to_string(),
        practitioner_id: practitioner.to_string(),
        room_id: room.map(|r| r.to_string()).unwrap_or_default(),
        type_id: c.consult.to_string(),
        date: date.into(),
        time: time.into(),
        ..Default::default()
    }
}

async fn book(ctx: &Ctx, who: &AuthContext, form: &BookingForm) -> Result<AppointmentView, ServiceError> {
    booking::book(&ctx.services, who, form, None).await.map(|b| b.appointments.into_iter().next().unwrap())
}

fn field<T: std::fmt::Debug>(result: Result<T, ServiceError>, name: &str) -> String {
    match result {
        Err(ServiceError::Invalid(errors)) => errors.get(name).unwrap_or_else(|| panic!("no error at {name}: {errors:?}")).to_owned(),
        other => panic!("expected a field error at {name}, got {other:?}"),
    }
}

fn local(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
}

async fn audit_entries(ctx: &Ctx, who: &AuthContext) -> Vec<audit::StoredEntry> {
    let mut tx = ctx.services.db.read_in(&who.scope).await.unwrap();
    audit::search(&mut tx, &who.scope, &audit::Filter { limit: 10_000, ..Default::default() }).await.unwrap()
}

async fn owner_count(ctx: &Ctx, sql: &str) -> i64 {
    let mut tx = ctx.owner_db.read().await.unwrap();
    let (n,): (i64,) = on_tx!(&mut tx, c => sqlx::query_as(sql).fetch_one(c).await).unwrap();
    n
}

fn move_to(view: &AppointmentView, date: &str, time: &str) -> RescheduleForm {
    RescheduleForm { date: date.into(), time: time.into(), expected_version: view.version.to_string(), ..Default::default() }
}

/// The appointment as the day view shows it now, and in whose column.
async fn shown(ctx: &Ctx, who: &AuthContext, date: &str, id: ambula_domain::AppointmentId) -> (PractitionerId, AppointmentView) {
    let day = calendar::day_view(&ctx.services, who, date, CalendarBy::Practitioner).await.unwrap();
    day.columns
        .into_iter()
        .find_map(|c| {
            let a = c.appointments.into_iter().find(|a| a.id == id)?;
            Some((c.practitioner_id?, a))
        })
        .expect("the appointment is in a column")
}

// 2026-07-07 is a Tuesday; Lisbon is on WEST (UTC+1) then.
async fn moving_to_another_practitioners_or_rooms_column(ctx: Ctx) {
    let c = clinic(&ctx, "Harbour", "owner@a.example").await;
    let day = "2026-07-07";
    let ana = book(&ctx, &c.owner, &form(&c, 0, c.silva, Some(c.room1), day, "10:00")).await.unwrap();
    book(&ctx, &c.owner, &form(&c, 1, c.okafor, Some(c.room2), day, "10:00")).await.unwrap();
    let id = ana.id.to_string();

    // Dropped on Dr Okafor's column at a time he is busy: refused at the
    // time field, naming him; nothing moves.
    let onto = RescheduleForm { practitioner_id: c.okafor.to_string(), ..move_to(&ana, day, "10:15") };
    let clash = field(booking::reschedule(&ctx.services, &c.owner, &id, &onto).await, "time");
    assert!(clash.contains("Dr Okafor already has an appointment from 10:00 to 10:30"), "{clash}");
    let (column, still) = shown(&ctx, &c.owner, day, ana.id).await;
    assert_eq!((column, still.version, still.local_start), (c.silva, ana.version, local("2026-07-07 10:00")));

    // At a free time: in his column now, same room, audited with his name.
    let free = RescheduleForm { practitioner_id: c.okafor.to_string(), ..move_to(&ana, day, "11:00") };
    let moved = booking::reschedule(&ctx.services, &c.owner, &id, &free).await.unwrap();
    assert_eq!((moved[0].practitioner_id, moved[0].room_id, moved[0].version), (c.okafor, Some(c.room1), ana.version + 1));
    let (column, now) = shown(&ctx, &c.owner, day, ana.id).await;
    assert_eq!((column, now.local_start, now.practitioner_name.as_str()), (c.okafor, local("2026-07-07 11:00"), "Dr Okafor"));
    let entries = audit_entries(&ctx, &c.owner).await;
    let entry = entries.iter().rev().find(|e| e.action == "appointment.move" && e.outcome == "ok").unwrap();
    assert!(entry.detail.as_deref().unwrap().contains("with Dr Okafor"), "{:?}", entry.detail);
    assert_eq!(entry.patient_id, Some(c.patients[0].as_uuid()));
    // The version the calendar showed before the move is stale now.
    let stale = booking::reschedule(&ctx.services, &c.owner, &id, &RescheduleForm { practitioner_id: c.silva.to_string(), ..move_to(&ana, day, "11:00") }).await;
    assert!(field(stale, "expected_version").contains("changed this appointment meanwhile"));

    // Dropped on Room 2's column (by room) while Room 2 is busy, clean-up
    // included: refused at the room; the front desk may override with a
    // reason, a practitioner may not.
    let into_room2 = RescheduleForm { room_id: c.room2.to_string(), ..move_to(&now, day, "10:35") };
    let busy = field(booking::reschedule(&ctx.services, &c.owner, &id, &into_room2).await, "room_id");
    assert!(busy.contains("Room 2 is booked from 10:00 to 10:30") && busy.contains("clean-up"), "{busy}");
    let doctor = join(&ctx, &c.owner, "doc@a.example", "practitioner").await;
    let overriding = RescheduleForm {
        override_conflicts: Some("on".into()),
        override_reason: "Room 1 flooded this morning".into(),
        ..into_room2.clone()
    };
    let refused = booking::reschedule(&ctx.services, &doctor, &id, &overriding).await;
    assert!(matches!(refused, Err(ServiceError::Forbidden)), "{refused:?}");
    let desk = join(&ctx, &c.owner, "desk@a.example", "front_desk").await;
    let over = booking::reschedule(&ctx.services, &desk, &id, &overriding).await.unwrap();
    assert_eq!((over[0].room_id, over[0].override_reason.as_deref()), (Some(c.room2), Some("Room 1 flooded this morning")));
    let by_room = calendar::day_view(&ctx.services, &c.owner, day, CalendarBy::Room).await.unwrap();
    let room2 = by_room.columns.iter().find(|col| col.room_id == Some(c.room2)).unwrap();
    assert!(room2.appointments.iter().any(|a| a.id == ana.id));

    // Dropped on "No room": out of its room.
    let roomless = RescheduleForm { room_id: "none".into(), ..move_to(&over[0], day, "11:00") };
    let out = booking::reschedule(&ctx.services, &c.owner, &id, &roomless).await.unwrap();
    assert_eq!((out[0].room_id, out[0].override_reason.as_deref()), (None, None));

    // Another clinic's practitioner or room: "not in the list", nothing moves.
    let b = clinic(&ctx, "Other", "owner@b.example").await;
    let theirs = RescheduleForm { practitioner_id: b.silva.to_string(), room_id: b.room1.to_string(), ..move_to(&out[0], day, "15:00") };
    let result = booking::reschedule(&ctx.services, &c.owner, &id, &theirs).await;
    let Err(ServiceError::Invalid(errors)) = result else { panic!("{result:?}") };
    assert!(errors.get("practitioner_id").is_some_and(|m| m.contains("from the list")), "{errors:?}");
    assert!(errors.get("room_id").is_some(), "{errors:?}");
    let (column, same) = shown(&ctx, &c.owner, day, ana.id).await;
    assert_eq!((column, same.version, same.room_id), (c.okafor, out[0].version, None));
    // Made-up ids are field errors too, not server errors.
    let junk = RescheduleForm { practitioner_id: "<b>Dr</b>".into(), ..move_to(&out[0], day, "15:00") };
    assert!(field(booking::reschedule(&ctx.services, &c.owner, &id, &junk).await, "practitioner_id").contains("Choose a practitioner"));

    // A practitioner who does not offer the type, or does not work then.
    let physio = setup::create_type(&ctx.services, &c.owner, &type_form("Physiotherapy", 45, 0), &[c.silva.to_string()]).await.unwrap().id;
    let session = BookingForm { type_id: physio.to_string(), ..form(&c, 2, c.silva, None, day, "15:00") };
    let session = book(&ctx, &c.owner, &session).await.unwrap();
    let to_okafor = RescheduleForm { practitioner_id: c.okafor.to_string(), ..move_to(&session, day, "16:00") };
    let offers = field(booking::reschedule(&ctx.services, &c.owner, &session.id.to_string(), &to_okafor).await, "practitioner_id");
    assert!(offers.contains("Dr Okafor does not offer Physiotherapy"), "{offers}");
    set_hours(&ctx, &c.owner, c.silva, "14:00-18:00").await;
    let morning = RescheduleForm { practitioner_id: c.silva.to_string(), ..move_to(&same, day, "09:00") };
    let hours = field(booking::reschedule(&ctx.services, &c.owner, &id, &morning).await, "time");
    assert!(hours.contains("Dr Silva does not work then"), "{hours}");
    let (column, last) = shown(&ctx, &c.owner, day, ana.id).await;
    assert_eq!((column, last.version), (c.okafor, same.version));
    assert_eq!(owner_count(&ctx, "SELECT COUNT(*) FROM appointments").await, 3);
}

/// A weekday at least `ahead` days from now (the freed-slot list starts
/// now and reaches 60 days ahead).
fn weekday_ahead(ahead: i64) -> NaiveDate {
    let mut d = (Utc::now() + Duration::days(ahead)).date_naive();
    while matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
        d += Duration::days(1);
    }
    d
}

fn cancel(reason: &str) -> StatusForm {
    StatusForm { status: "cancelled".into(), reason: reason.into(), scope: String::new() }
}

async fn a_waitlisted_patient_is_booked_into_a_freed_slot_in_one_step(ctx: Ctx) {
    let c = clinic(&ctx, "Harbour", "owner@a.example").await;
    let day = weekday_ahead(10);
    let date = day.to_string();
    let bruno = book(&ctx, &c.owner, &form(&c, 1, c.silva, Some(c.room1), &date, "10:00")).await.unwrap();
    let wait = |patient: usize, practitioner: Option<PractitionerId>, from: NaiveDate, to: NaiveDate, note: &str| WaitlistForm {
        patient_id: c.patients[patient].to_string(),
        type_id: c.consult.to_string(),
        practitioner_id: practitioner.map(|p| p.to_string()).unwrap_or_default(),
        earliest: from.to_string(),
        latest: to.to_string(),
        note: note.into(),
    };
    let add = |form: WaitlistForm| {
        let services = &ctx.services;
        let owner = &c.owner;
        async move { waitlist::add_to_waitlist(services, owner, &form).await }
    };
    // Markup in a note is kept as the text it is.
    let carla = add(wait(2, None, day - Duration::days(2), day + Duration::days(5), "<b>Mornings</b> please")).await.unwrap();
    assert_eq!(carla.note.as_deref(), Some("<b>Mornings</b> please"));
    let david = add(wait(3, Some(c.okafor), day, day, "")).await.unwrap();
    add(wait(0, None, day + Duration::days(1), day + Duration::days(9), "")).await.unwrap();
    // Bad entries change nothing.
    assert!(field(add(wait(0, None, day, day - Duration::days(1), "")).await, "latest").contains("before the first"));
    assert!(field(add(wait(0, None, day, day, &"n".repeat(501))).await, "note").contains("under 500"));
    let b = clinic(&ctx, "Other", "owner@b.example").await;
    let foreign = WaitlistForm { patient_id: b.patients[0].to_string(), ..wait(0, None, day, day, "") };
    assert!(field(add(foreign).await, "patient_id").contains("from the list"));
    assert_eq!(waitlist::list_waitlist(&ctx.services, &c.owner).await.unwrap().len(), 3);

    // Nothing freed yet.
    assert!(waitlist::freed_slots(&ctx.services, &c.owner).await.unwrap().is_empty());
    // Bruno cancels: Carla is offered the slot (David wants Dr Okafor, Ana
    // a later date).
    let cancelled = booking::set_status(&ctx.services, &c.owner, &bruno.id.to_string(), &cancel("Patient is ill")).await.unwrap();
    assert_eq!(cancelled.waitlist_offers.iter().map(|w| w.id).collect::<Vec<_>>(), vec![carla.id]);
    let freed = waitlist::freed_slots(&ctx.services, &c.owner).await.unwrap();
    assert_eq!(freed.len(), 1);
    let slot = &freed[0];
    assert_eq!((slot.appointment_id, slot.practitioner_id, slot.room_id), (bruno.id, c.silva, Some(c.room1)));
    assert_eq!((slot.local_start, slot.local_end), (day.and_hms_opt(10, 0, 0).unwrap(), day.and_hms_opt(10, 30, 0).unwrap()));
    assert_eq!(slot.offers.iter().map(|o| (o.id, o.patient_name.as_str())).collect::<Vec<_>>(), vec![(carla.id, "Mendes, Carla")]);
    assert!(audit_entries(&ctx, &c.owner).await.iter().any(|e| e.action == "waitlist.read" && e.detail.as_deref() == Some("1 freed slots, 1 offers")));

    // Roles: billing may not, a practitioner may book but not override.
    let billing = join(&ctx, &c.owner, "billing@a.example", "billing").await;
    let into_slot = WaitlistBookForm {
        practitioner_id: c.silva.to_string(),
        room_id: c.room1.to_string(),
        date: date.clone(),
        time: "10:00".into(),
        ..Default::default()
    };
    let denied = waitlist::book_from_waitlist(&ctx.services, &billing, &carla.id.to_string(), &into_slot).await;
    assert!(matches!(denied, Err(ServiceError::Forbidden)), "{denied:?}");
    let doctor = join(&ctx, &c.owner, "doc@a.example", "practitioner").await;
    let forcing = WaitlistBookForm { override_conflicts: Some("on".into()), override_reason: "Squeeze her in, please".into(), ..into_slot.clone() };
    let denied = waitlist::book_from_waitlist(&ctx.services, &doctor, &carla.id.to_string(), &forcing).await;
    assert!(matches!(denied, Err(ServiceError::Forbidden)), "{denied:?}");
    // Another clinic's entry: a 404, recorded; bad input: at the field.
    let theirs = waitlist::book_from_waitlist(&ctx.services, &b.owner, &carla.id.to_string(), &into_slot).await;
    assert!(matches!(theirs, Err(ServiceError::NotFound)), "{theirs:?}");
    assert!(audit_entries(&ctx, &b.owner).await.iter().any(|e| e.action == "waitlist.book" && e.outcome == "denied"));
    let gone = waitlist::remove_from_waitlist(&ctx.services, &b.owner, &carla.id.to_string()).await;
    assert!(matches!(gone, Err(ServiceError::NotFound)), "{gone:?}");
    let bad_time = WaitlistBookForm { time: "10:07".into(), ..into_slot.clone() };
    assert!(field(waitlist::book_from_waitlist(&ctx.services, &c.owner, &carla.id.to_string(), &bad_time).await, "time").contains("5-minute"));
    assert!(field(waitlist::book_from_waitlist(&ctx.services, &c.owner, "1; DROP TABLE waitlist", &into_slot).await, "waitlist_id").contains("Choose an entry"));
    assert_eq!(owner_count(&ctx, "SELECT COUNT(*) FROM appointments").await, 1);
    assert_eq!(waitlist::list_waitlist(&ctx.services, &c.owner).await.unwrap().len(), 3);

    // One step: booked, and off the waitlist, both audited.
    let booked = waitlist::book_from_waitlist(&ctx.services, &c.owner, &carla.id.to_string(), &into_slot).await.unwrap();
    assert_eq!((booked.patient_id, booked.practitioner_id, booked.room_id), (c.patients[2], c.silva, Some(c.room1)));
    assert_eq!(booked.local_start, day.and_hms_opt(10, 0, 0).unwrap());
    assert_eq!(booked.notes.as_deref(), Some("From the waitlist: <b>Mornings</b> please"));
    let left: Vec<_> = waitlist::list_waitlist(&ctx.services, &c.owner).await.unwrap().into_iter().map(|w| w.id).collect();
    assert!(!left.contains(&carla.id) && left.contains(&david.id) && left.len() == 2);
    let entries = audit_entries(&ctx, &c.owner).await;
    let took = entries.iter().find(|e| e.action == "waitlist.book" && e.outcome == "ok").unwrap();
    assert_eq!(took.patient_id, Some(c.patients[2].as_uuid()));
    assert!(took.detail.as_deref().unwrap().contains(&booked.id.to_string()));
    assert!(entries.iter().any(|e| e.action == "appointment.create" && e.entity_id.as_deref() == Some(&booked.id.to_string()[..])));
    // The slot is taken: no longer offered.
    assert!(waitlist::freed_slots(&ctx.services, &c.owner).await.unwrap().is_empty());

    // David into the same time: the clash is refused and he stays waiting
    // (the booking and the removal are one transaction).
    let same = WaitlistBookForm { room_id: String::new(), ..into_slot.clone() };
    let clash = field(waitlist::book_from_waitlist(&ctx.services, &c.owner, &david.id.to_string(), &same).await, "time");
    assert!(clash.contains("Dr Silva already has an appointment"), "{clash}");
    assert!(waitlist::list_waitlist(&ctx.services, &c.owner).await.unwrap().iter().any(|w| w.id == david.id));
    // With Dr Okafor at that time it works.
    let with_okafor = WaitlistBookForm { practitioner_id: c.okafor.to_string(), ..same };
    let second = waitlist::book_from_waitlist(&ctx.services, &c.owner, &david.id.to_string(), &with_okafor).await.unwrap();
    assert_eq!((second.patient_id, second.practitioner_id, second.notes), (c.patients[3], c.okafor, None));
    assert_eq!(waitlist::list_waitlist(&ctx.services, &c.owner).await.unwrap().len(), 1);
    assert_eq!(owner_count(&ctx, "SELECT COUNT(*) FROM appointments").await, 3);
    assert_eq!(owner_count(&ctx, "SELECT COUNT(*) FROM waitlist").await, 1);
}

async fn reminder_choices_per_patient_are_audited_and_guarded(ctx: Ctx) {
    let s = &ctx.services;
    let c = clinic(&ctx, "Harbour", "owner@a.example").await;
    let ana = c.patients[0].to_string();
    assert_eq!(settings::patient_preferences(s, &c.owner, &ana).await.unwrap(), PatientPreferences { email: true, sms: true });
    let no_sms = PatientPreferences { email: true, sms: false };
    assert_eq!(settings::set_patient_preferences(s, &c.owner, &ana, no_sms).await.unwrap(), no_sms);
    assert_eq!(settings::patient_preferences(s, &c.owner, &ana).await.unwrap(), no_sms);
    let entries = audit_entries(&ctx, &c.owner).await;
    let set = entries.iter().find(|e| e.action == "patient.reminders" && e.outcome == "ok").unwrap();
    assert_eq!(set.patient_id, Some(c.patients[0].as_uuid()));
    assert_eq!(set.detail.as_deref(), Some("reminders by email on, by SMS off"));
    assert_eq!(entries.iter().filter(|e| e.action == "patient.reminders.read" && e.outcome == "ok").count(), 2);

    // Billing may read them, not change them (the refusal is recorded).
    let billing = join(&ctx, &c.owner, "billing@a.example", "billing").await;
    assert_eq!(settings::patient_preferences(s, &billing, &ana).await.unwrap(), no_sms);
    let refused = settings::set_patient_preferences(s, &billing, &ana, PatientPreferences { email: false, sms: false }).await;
    assert!(matches!(refused, Err(ServiceError::Forbidden)), "{refused:?}");
    assert!(audit_entries(&ctx, &c.owner).await.iter().any(|e| e.action == "patient.reminders" && e.outcome == "denied"));

    // A restricted record: only its care team (here, the owner who made it).
    let form = PatientForm {
        given_name: "Rita".into(),
        family_name: "Sousa".into(),
        date_of_birth: "1979-09-09".into(),
        restricted: Some("on".into()),
        ..Default::default()
    };
    let rita = patients::create(s, &c.owner, &form).await.unwrap().id.to_string();
    let nurse = join(&ctx, &c.owner, "nurse@a.example", "nurse").await;
    assert!(matches!(settings::patient_preferences(s, &nurse, &rita).await, Err(ServiceError::Restricted)));
    let blocked = settings::set_patient_preferences(s, &nurse, &rita, PatientPreferences { email: false, sms: false }).await;
    assert!(matches!(blocked, Err(ServiceError::Restricted)), "{blocked:?}");
    assert_eq!(settings::patient_preferences(s, &c.owner, &rita).await.unwrap(), PatientPreferences { email: true, sms: true });

    // Another clinic's patient, or a made-up id: 404, nothing changed.
    let b = clinic(&ctx, "Other", "owner@b.example").await;
    let theirs = b.patients[0].to_string();
    assert!(matches!(settings::patient_preferences(s, &c.owner, &theirs).await, Err(ServiceError::NotFound)));
    let result = settings::set_patient_preferences(s, &c.owner, &theirs, PatientPreferences { email: false, sms: false }).await;
    assert!(matches!(result, Err(ServiceError::NotFound)), "{result:?}");
    assert!(matches!(settings::patient_preferences(s, &c.owner, "<script>").await, Err(ServiceError::NotFound)));
    assert_eq!(settings::patient_preferences(s, &b.owner, &theirs).await.unwrap(), PatientPreferences { email: true, sms: true });
    assert!(audit_entries(&ctx, &c.owner).await.iter().any(|e| e.action == "patient.reminders" && e.outcome == "denied" && e.entity_id.as_deref() == Some(&theirs[..])));
}

// A deactivated (deceased, moved away) patient and the duplicate left
// behind by a merge are not bookable; the surviving record is. An
// appointment booked before deactivation can still be moved.
async fn inactive_and_merged_patients_cannot_be_booked(ctx: Ctx) {
    let c = clinic(&ctx, "Harbour", "owner@a.example").await;
    let day = "2026-07-07";
    let earlier = book(&ctx, &c.owner, &form(&c, 0, c.silva, None, day, "09:00")).await.unwrap();

    let deactivate = DeactivateForm { patient_id: c.patients[0].to_string(), reason: "moved".into(), date: "2026-06-01".into(), note: String::new() };
    registry::deactivate(&ctx.services, &c.owner, &deactivate).await.unwrap();
    let refused = field(book(&ctx, &c.owner, &form(&c, 0, c.silva, None, day, "11:00")).await, "patient_id");
    assert!(refused.contains("Ana Costa is marked inactive"), "{refused}");
    let moved = booking::reschedule(&ctx.services, &c.owner, &earlier.id.to_string(), &move_to(&earlier, day, "09:45")).await;
    assert!(moved.is_ok(), "an existing appointment can still be moved: {moved:?}");

    let merge = MergeForm { survivor_id: c.patients[1].to_string(), duplicate_id: c.patients[2].to_string(), confirm: Some("on".into()) };
    registry::merge(&ctx.services, &c.owner, &merge).await.unwrap();
    let refused = field(book(&ctx, &c.owner, &form(&c, 2, c.silva, None, day, "11:00")).await, "patient_id");
    assert!(refused.contains("merged into another"), "{refused}");
    book(&ctx, &c.owner, &form(&c, 1, c.silva, None, day, "11:00")).await.expect("the surviving record is bookable");

    let bookings = owner_count(&ctx, "SELECT COUNT(*) FROM appointments").await;
    assert_eq!(bookings, 2, "only the earlier and the survivor's appointments exist");
}

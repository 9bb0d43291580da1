//! Scheduling against real databases, every case on SQLite and PostgreSQL
//! (the latter as the unprivileged application role, under row-level
//! security): booking and the calendar, clashes and overrides, races,
//! clock changes, hours and time off, the status workflow and waitlist,
//! weekly series, the slot finder, and bad input.

use ambula_backend::{
    audit, on_tx,
    repo,
    services::{
        accounts, auth, patients,
        scheduling::{booking, calendar, insights, setup, waitlist, AppointmentView},
        ClientInfo,
    },
    repo::appointments::NewAppointment,
    time::DbTime,
    AuthContext, Db, ServiceError, Services,
};
use ambula_domain::{
    accounts::{AcceptInviteForm, InviteForm, SignupForm},
    patients::PatientForm,
    scheduling::{
        AppointmentStatus, AppointmentTypeForm, BookingForm, CalendarBy, RecurrenceForm, RescheduleForm, RoomForm,
        ScheduleSettingsForm, StatusForm, TimeOffForm, TimeOffKind, WaitlistForm, WeeklyHoursForm,
    },
    AppointmentTypeId, PatientId, PractitionerId, RoomId,
};
use ambula_testkit::{Kind, SmtpSink, TestDb};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

ambula_testkit::on_both_backends!(
    booking_shows_in_local_time_and_clinics_are_isolated,
    clashes_are_refused_at_the_field_and_overrides_are_audited,
    concurrent_overlapping_bookings_exactly_one_wins,
    clock_changes_are_explicit,
    hours_time_off_and_blocked_time,
    status_workflow_and_waitlist,
    weekly_series,
    next_available_slots,
    bad_input_is_reported_at_the_field,
    insights_count_per_day_rates_and_utilization,
    upcoming_time_off_is_listed_for_managers,
);

struct Ctx {
    services: Services,
    kind: Kind,
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
    case(Ctx { services, kind, owner_db: owner_db.clone(), smtp }).await;
    owner_db.close().await;
    db.cleanup().await;
}

const PASSWORD: &str = "tide pools at dawn";
const WEEKDAYS: &str = "09:00-13:00, 14:00-18:00";

fn client() -> ClientInfo {
    ClientInfo { ip: Some("192.0.2.20".into()), user_agent: Some("scheduling-test".into()) }
}

/// A clinic with two practitioners (weekday hours), two rooms, a 30-minute
/// consultation with 10 minutes' buffer, and four patients.
struct Clinic {
    owner: AuthContext,
    silva: PractitionerId,
    okafor: PractitionerId,
    room1: RoomId,
    room2: RoomId,
    consult: AppointmentTypeId,
    patients: Vec<PatientId>,
}

async fn clinic(ctx: &Ctx, name: &str, email: &str, zone: &str) -> Clinic {
    let form = SignupForm {
        clinic_name: name.into(),
        time_zone: zone.into(),
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
        set_hours(ctx, &owner, p, WEEKDAYS, "").await;
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

async fn set_hours(ctx: &Ctx, who: &AuthContext, p: PractitionerId, weekdays: &str, weekend: &str) {
    let form = WeeklyHoursForm {
        hours_mon: weekdays.into(),
        hours_tue: weekdays.into(),
        hours_wed: weekdays.into(),
        hours_thu: weekdays.into(),
        hours_fri: weekdays.into(),
        hours_sat: weekend.into(),
        hours_sun: weekend.into(),
    };
    setup::set_practitioner_hours(&ctx.services, who, &p.to_string(), &form).await.unwrap();
}

/// Invites `email` as `role` into the owner's clinic and signs them in.
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

fn overriding(mut form: BookingForm, reason: &str) -> BookingForm {
    form.override_conflicts = Some("on".into());
    form.override_reason = reason.into();
    form
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

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn local(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
}

async fn audit_entries(ctx: &Ctx, who: &AuthContext) -> Vec<audit::StoredEntry> {
    let mut tx = ctx.services.db.read_in(&who.scope).await.unwrap();
    audit::search(&mut tx, &who.scope, &audit::Filter { limit: 10_000, ..Default::default() }).await.unwrap()
}

/// Rows as the database owner sees them (every clinic, behind the app's back).
async fn owner_count(ctx: &Ctx, sql: &str) -> i64 {
    let mut tx = ctx.owner_db.read().await.unwrap();
    let (n,): (i64,) = on_tx!(&mut tx, c => sqlx::query_as(sql).fetch_one(c).await).unwrap();
    n
}

fn move_form(view: &AppointmentView, date: &str, time: &str) -> RescheduleForm {
    RescheduleForm { date: date.into(), time: time.into(), expected_version: view.version.to_string(), ..Default::default() }
}

fn status(next: &str, reason: &str) -> StatusForm {
    StatusForm { status: next.into(), reason: reason.into(), scope: String::new() }
}

// 2026-07-07 is a Tuesday; Lisbon is on WEST (UTC+1) then.
async fn booking_shows_in_local_time_and_clinics_are_isolated(ctx: Ctx) {
    // The SQL list of statuses that hold time is the domain's.
    let active: Vec<&str> = AppointmentStatus::ALL.iter().filter(|s| s.is_active()).map(|s| s.as_str()).collect();
    let sql: Vec<String> = repo::appointments::ACTIVE.trim_matches(|c| c == '(' || c == ')').split(", ").map(|s| s.trim_matches('\'').to_owned()).collect();
    assert_eq!(active, sql);

    let a = clinic(&ctx, "Harbour", "owner@a.example", "Europe/Lisbon").await;
    let booked = book(&ctx, &a.owner, &form(&a, 0, a.silva, Some(a.room1), "2026-07-07", "10:00")).await.unwrap();
    assert_eq!(booked.starts_at.0, utc("2026-07-07T09:00:00Z"));
    assert_eq!(booked.blocks_until.0, utc("2026-07-07T09:40:00Z"));
    assert_eq!((booked.local_start, booked.local_end), (local("2026-07-07 10:00"), local("2026-07-07 10:30")));
    assert_eq!(booked.status, AppointmentStatus::Booked);

    let day = calendar::day_view(&ctx.services, &a.owner, "2026-07-07", CalendarBy::Practitioner).await.unwrap();
    assert_eq!(day.time_zone, "Europe/Lisbon");
    let silva = day.columns.iter().find(|c| c.practitioner_id == Some(a.silva)).unwrap();
    assert_eq!(silva.appointments.len(), 1);
    let shown = &silva.appointments[0];
    assert_eq!((shown.local_start, shown.patient_name.as_str()), (local("2026-07-07 10:00"), "Costa, Ana"));
    assert_eq!((shown.type_name.as_str(), shown.colour.as_str(), shown.room_name.as_deref()), ("Consultation", "#3366cc", Some("Room 1")));
    assert_eq!(silva.working.iter().map(|w| (w.local_start, w.local_end)).collect::<Vec<_>>(), vec![
        (local("2026-07-07 09:00"), local("2026-07-07 13:00")),
        (local("2026-07-07 14:00"), local("2026-07-07 18:00")),
    ]);
    let by_room = calendar::day_view(&ctx.services, &a.owner, "2026-07-07", CalendarBy::Room).await.unwrap();
    let room1 = by_room.columns.iter().find(|c| c.room_id == Some(a.room1)).unwrap();
    assert_eq!(room1.appointments[0].id, booked.id);
    let entries = audit_entries(&ctx, &a.owner).await;
    assert_eq!(entries.iter().filter(|e| e.action == "calendar.read").count(), 2, "one entry per view call");
    let created = entries.iter().find(|e| e.action == "appointment.create").unwrap();
    assert_eq!(created.patient_id, Some(a.patients[0].as_uuid()));
    let month = calendar::month_overview(&ctx.services, &a.owner, 2026, 7).await.unwrap();
    assert_eq!(month.days.len(), 31);
    assert_eq!(month.days.iter().map(|d| d.1).sum::<u32>(), 1);
    assert_eq!(month.days[6], (NaiveDate::from_ymd_opt(2026, 7, 7).unwrap(), 1));

    // Another clinic: A's appointment is a 404 and stays as it was.
    let b = clinic(&ctx, "Other", "owner@b.example", "Europe/Lisbon").await;
    let id = booked.id.to_string();
    let moved = booking::reschedule(&ctx.services, &b.owner, &id, &move_form(&booked, "2026-07-07", "15:00")).await;
    assert!(matches!(moved, Err(ServiceError::NotFound)), "{moved:?}");
    let cancelled = booking::set_status(&ctx.services, &b.owner, &id, &status("cancelled", "not mine")).await;
    assert!(matches!(cancelled, Err(ServiceError::NotFound)), "{cancelled:?}");
    assert!(audit_entries(&ctx, &b.owner).await.iter().any(|e| e.action == "appointment.move" && e.outcome == "denied"));
    let again = calendar::day_view(&ctx.services, &a.owner, "2026-07-07", CalendarBy::Practitioner).await.unwrap();
    let still = &again.columns.iter().find(|c| c.practitioner_id == Some(a.silva)).unwrap().appointments[0];
    assert_eq!((still.version, still.starts_at, still.status), (booked.version, booked.starts_at, AppointmentStatus::Booked));
    // B cannot see A's appointment in its calendar either.
    let b_day = calendar::day_view(&ctx.services, &b.owner, "2026-07-07", CalendarBy::Practitioner).await.unwrap();
    assert!(b_day.columns.iter().all(|c| c.appointments.is_empty()));

    // B referring to A's patient, practitioner, room or type: refused at each field.
    let mut theirs = form(&a, 0, a.silva, Some(a.room1), "2026-07-07", "11:00");
    let result = book(&ctx, &b.owner, &theirs).await;
    let Err(ServiceError::Invalid(errors)) = result else { panic!("{result:?}") };
    for name in ["patient_id", "practitioner_id", "room_id", "type_id"] {
        assert!(errors.get(name).is_some(), "{name}: {errors:?}");
    }
    theirs.patient_id = b.patients[0].to_string();
    theirs.type_id = b.consult.to_string();
    theirs.room_id = b.room1.to_string();
    assert!(field(book(&ctx, &b.owner, &theirs).await, "practitioner_id").contains("from the list"));
    assert_eq!(owner_count(&ctx, "SELECT COUNT(*) FROM appointments").await, 1);
}

async fn clashes_are_refused_at_the_field_and_overrides_are_audited(ctx: Ctx) {
    let c = clinic(&ctx, "Harbour", "owner@a.example", "Europe/Lisbon").await;
    let day = "2026-07-07";
    book(&ctx, &c.owner, &form(&c, 0, c.silva, Some(c.room1), day, "10:00")).await.unwrap();
    // The practitioner: overlapping, and inside the buffer.
    let clash = field(book(&ctx, &c.owner, &form(&c, 1, c.silva, None, day, "10:15")).await, "time");
    assert!(clash.contains("Dr Silva already has an appointment from 10:00 to 10:30"), "{clash}");
    let buffer = field(book(&ctx, &c.owner, &form(&c, 1, c.silva, None, day, "10:30")).await, "time");
    assert!(buffer.contains("10 minutes' clean-up"), "{buffer}");
    // Touching the end of the buffer is fine.
    let touching = book(&ctx, &c.owner, &form(&c, 1, c.silva, None, day, "10:40")).await;
    assert!(touching.is_ok(), "{touching:?}");
    // The room, with another practitioner.
    let room = field(book(&ctx, &c.owner, &form(&c, 2, c.okafor, Some(c.room1), day, "10:15")).await, "room_id");
    assert!(room.contains("Room 1 is booked from 10:00 to 10:30"), "{room}");
    // The patient, with another practitioner in another room; touching is fine
    // for a patient (no buffer: they walk to the next room).
    let patient = field(book(&ctx, &c.owner, &form(&c, 0, c.okafor, Some(c.room2), day, "10:15")).await, "patient_id");
    assert!(patient.contains("already has an appointment from 10:00 to 10:30 with Dr Silva"), "{patient}");
    book(&ctx, &c.owner, &form(&c, 0, c.okafor, Some(c.room2), day, "10:30")).await.unwrap();

    // A practitioner may book, but not override.
    let doctor = join(&ctx, &c.owner, "doc@a.example", "practitioner").await;
    book(&ctx, &doctor, &form(&c, 3, c.silva, None, day, "11:30")).await.unwrap();
    let refused = book(&ctx, &doctor, &overriding(form(&c, 2, c.silva, None, day, "10:15"), "Squeeze in, patient in pain")).await;
    assert!(matches!(refused, Err(ServiceError::Forbidden)), "{refused:?}");
    assert!(audit_entries(&ctx, &c.owner).await.iter().any(|e| e.action == "appointment.override" && e.outcome == "denied"));
    // The owner (and front desk) may, with a reason that is audited.
    assert!(field(book(&ctx, &c.owner, &overriding(form(&c, 2, c.silva, None, day, "10:15"), "short")).await, "override_reason").contains("at least 10"));
    let reason = "Squeeze in, patient in pain";
    let over = book(&ctx, &c.owner, &overriding(form(&c, 2, c.silva, None, day, "10:15"), reason)).await.unwrap();
    assert_eq!(over.override_reason.as_deref(), Some(reason));
    let entries = audit_entries(&ctx, &c.owner).await;
    let entry = entries.iter().find(|e| e.action == "appointment.create" && e.entity_id.as_deref() == Some(&over.id.to_string()[..])).unwrap();
    let detail = entry.detail.as_deref().unwrap();
    assert!(detail.contains(reason) && detail.contains("already has an appointment"), "{detail}");
    // An override ticked where nothing clashes records no override.
    let plain = book(&ctx, &c.owner, &overriding(form(&c, 3, c.okafor, None, day, "15:00"), reason)).await.unwrap();
    assert_eq!(plain.override_reason, None);
    let desk = join(&ctx, &c.owner, "desk@a.example", "front_desk").await;
    book(&ctx, &desk, &overriding(form(&c, 3, c.silva, None, day, "10:15"), "Front desk knows best here")).await.unwrap();
}

async fn concurrent_overlapping_bookings_exactly_one_wins(ctx: Ctx) {
    let c = clinic(&ctx, "Harbour", "owner@a.example", "Europe/Lisbon").await;
    let every_day = "08:00-20:00";
    set_hours(&ctx, &c.owner, c.silva, every_day, every_day).await;
    let first = NaiveDate::from_ymd_opt(2027, 1, 4).unwrap();
    const ROUNDS: usize = 100;
    const CONTENDERS: usize = 50;
    let started = std::time::Instant::now();
    for round in 0..ROUNDS {
        // A different day each round, so rounds never clash with each other;
        // within a round the 50 requests overlap (staggered start times).
        let date = (first + chrono::Duration::days(round as i64)).to_string();
        let mut tasks = Vec::with_capacity(CONTENDERS);
        for n in 0..CONTENDERS {
            let services = ctx.services.clone();
            let who = c.owner.clone();
            let time = format!("10:{:02}", (n % 5) * 5);
            let f = form(&c, n % c.patients.len(), c.silva, Some(c.room1), &date, &time);
            tasks.push(tokio::spawn(async move { booking::book(&services, &who, &f, None).await }));
        }
        let (mut won, mut clashed) = (0, 0);
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => won += 1,
                Err(ServiceError::Invalid(_)) => clashed += 1,
                Err(other) => panic!("round {round}: a clash must be a field error, not {other:?}"),
            }
        }
        assert_eq!((won, clashed), (1, CONTENDERS - 1), "round {round}");
    }
    assert_eq!(owner_count(&ctx, "SELECT COUNT(*) FROM appointments").await, ROUNDS as i64);
    let per_day = owner_count(&ctx, "SELECT COUNT(*) FROM (SELECT substr(CAST(starts_at AS TEXT), 1, 10) AS d, COUNT(*) AS n FROM appointments GROUP BY 1 HAVING COUNT(*) > 1) x").await;
    assert_eq!(per_day, 0, "exactly one row per round");
    eprintln!("{ROUNDS} rounds of {CONTENDERS} concurrent bookings in {:?}", started.elapsed());

    // Behind the service's back, an overlapping appointment for the same
    // practitioner: PostgreSQL's exclusion constraint refuses it at commit
    // (the backstop); SQLite relies on its serial write transactions.
    let mut tx = ctx.services.db.write_in(&c.owner.scope).await.unwrap();
    let start = DbTime::from(utc("2027-01-04T10:10:00Z"));
    let end = DbTime::from(utc("2027-01-04T10:40:00Z"));
    let sneaky = NewAppointment {
        patient_id: c.patients[0],
        practitioner_id: c.silva,
        type_id: c.consult,
        room_id: None,
        series_id: None,
        starts_at: start,
        ends_at: end,
        blocks_until: end,
        status: AppointmentStatus::Booked,
        notes: None,
        override_reason: None,
    };
    repo::appointments::insert(&mut tx, &c.owner.scope, sneaky, ctx.services.now()).await.unwrap();
    let committed = tx.commit().await;
    match ctx.kind {
        Kind::Postgres => {
            let error = committed.unwrap_err().to_string();
            assert!(error.contains("appointments_practitioner_no_overlap"), "{error}");
        }
        Kind::Sqlite => committed.unwrap(),
    }
}

async fn clock_changes_are_explicit(ctx: Ctx) {
    let c = clinic(&ctx, "Harbour", "owner@a.example", "Europe/Lisbon").await;
    let all_day = "00:00-23:55";
    set_hours(&ctx, &c.owner, c.silva, all_day, all_day).await;
    // 2026-03-29: 01:00 → 02:00; 01:30 does not exist.
    let gap = field(book(&ctx, &c.owner, &form(&c, 0, c.silva, None, "2026-03-29", "01:30")).await, "time");
    assert!(gap.contains("does not exist"), "{gap}");
    // 2026-10-25: 02:00 → 01:00; 01:30 happens twice and must be chosen.
    let twice = field(book(&ctx, &c.owner, &form(&c, 0, c.silva, None, "2026-10-25", "01:30")).await, "time");
    assert!(twice.contains("happens twice"), "{twice}");
    let earlier = BookingForm { dst_choice: "earlier".into(), ..form(&c, 0, c.silva, None, "2026-10-25", "01:30") };
    let later = BookingForm { dst_choice: "later".into(), ..form(&c, 1, c.silva, None, "2026-10-25", "01:30") };
    assert_eq!(book(&ctx, &c.owner, &earlier).await.unwrap().starts_at.0, utc("2026-10-25T00:30:00Z"));
    let second = book(&ctx, &c.owner, &later).await.unwrap();
    assert_eq!((second.starts_at.0, second.local_start), (utc("2026-10-25T01:30:00Z"), local("2026-10-25 01:30")));
    // The 25-hour day shows both.
    let day = calendar::day_view(&ctx.services, &c.owner, "2026-10-25", CalendarBy::Practitioner).await.unwrap();
    assert_eq!(day.day.ends_at.0 - day.day.starts_at.0, chrono::Duration::hours(25));
    assert_eq!(day.columns.iter().map(|c| c.appointments.len()).sum::<usize>(), 2);

    // Across midnight (hours end at 23:55, so this one is booked over them):
    // on both days' calendars.
    let night = setup::create_type(&ctx.services, &c.owner, &type_form("Night visit", 60, 0), &[]).await.unwrap();
    let late = BookingForm { type_id: night.id.to_string(), ..form(&c, 2, c.silva, None, "2026-07-10", "23:30") };
    let late = book(&ctx, &c.owner, &overriding(late, "Night clinic, hours end at 23:55")).await.unwrap();
    assert_eq!((late.local_start, late.local_end), (local("2026-07-10 23:30"), local("2026-07-11 00:30")));
    for date in ["2026-07-10", "2026-07-11"] {
        let day = calendar::day_view(&ctx.services, &c.owner, date, CalendarBy::Practitioner).await.unwrap();
        let ids: Vec<_> = day.columns.iter().flat_map(|c| c.appointments.iter().map(|a| a.id)).collect();
        assert_eq!(ids, vec![late.id], "{date}");
    }
    let week = calendar::week_view(&ctx.services, &c.owner, &c.silva.to_string(), "2026-07-06").await.unwrap();
    assert_eq!(week.days.iter().map(|d| d.appointments.len()).collect::<Vec<_>>(), vec![0, 0, 0, 0, 1, 1, 0]);

    // New York: 2026-03-08 02:30 does not exist; 2026-11-01 01:30 is twice.
    let ny = clinic(&ctx, "Brooklyn", "owner@ny.example", "America/New_York").await;
    set_hours(&ctx, &ny.owner, ny.silva, all_day, all_day).await;
    let gap = field(book(&ctx, &ny.owner, &form(&ny, 0, ny.silva, None, "2026-03-08", "02:30")).await, "time");
    assert!(gap.contains("does not exist"), "{gap}");
    assert!(field(book(&ctx, &ny.owner, &form(&ny, 0, ny.silva, None, "2026-11-01", "01:30")).await, "time").contains("twice"));
    let earlier = BookingForm { dst_choice: "earlier".into(), ..form(&ny, 0, ny.silva, None, "2026-11-01", "01:30") };
    let later = BookingForm { dst_choice: "later".into(), ..form(&ny, 1, ny.silva, None, "2026-11-01", "01:30") };
    assert_eq!(book(&ctx, &ny.owner, &earlier).await.unwrap().starts_at.0, utc("2026-11-01T05:30:00Z"));
    assert_eq!(book(&ctx, &ny.owner, &later).await.unwrap().starts_at.0, utc("2026-11-01T06:30:00Z"));
}

async fn hours_time_off_and_blocked_time(ctx: Ctx) {
    let c = clinic(&ctx, "Harbour", "owner@a.example", "Europe/Lisbon").await;
    let outside = |time: &'static str, date: &'static str| form(&c, 0, c.silva, None, date, time);
    for (date, time) in [("2026-07-07", "08:30"), ("2026-07-07", "12:45"), ("2026-07-07", "18:00"), ("2026-07-11", "10:00")] {
        let message = field(book(&ctx, &c.owner, &outside(time, date)).await, "time");
        assert!(message.contains("Dr Silva does not work then"), "{date} {time}: {message}");
    }
    // 12:20 + 30 + 10 minutes' buffer ends exactly at lunch.
    book(&ctx, &c.owner, &outside("12:20", "2026-07-07")).await.unwrap();

    let leave = TimeOffForm {
        practitioner_id: c.silva.to_string(),
        from_date: "2026-07-08".into(),
        to_date: "2026-07-08".into(),
        reason: "Conference".into(),
        ..Default::default()
    };
    let off = setup::add_time_off(&ctx.services, &c.owner, &leave, TimeOffKind::Leave).await.unwrap();
    let away = field(book(&ctx, &c.owner, &outside("10:00", "2026-07-08")).await, "time");
    assert!(away.contains("Dr Silva is away (Conference)"), "{away}");
    let meeting = TimeOffForm {
        practitioner_id: c.silva.to_string(),
        from_date: "2026-07-09".into(),
        from_time: "11:00".into(),
        to_date: "2026-07-09".into(),
        to_time: "12:00".into(),
        reason: "Team meeting".into(),
    };
    setup::add_time_off(&ctx.services, &c.owner, &meeting, TimeOffKind::Blocked).await.unwrap();
    let blocked = field(book(&ctx, &c.owner, &outside("10:30", "2026-07-09")).await, "time");
    assert!(blocked.contains("has blocked time (Team meeting) from 11:00 to 12:00"), "{blocked}");
    book(&ctx, &c.owner, &outside("12:00", "2026-07-09")).await.unwrap();
    // Overridden by the owner, with the reason in the audit trail.
    let reason = "Only day the patient can come";
    let over = book(&ctx, &c.owner, &overriding(outside("10:00", "2026-07-08"), reason)).await.unwrap();
    assert_eq!(over.override_reason.as_deref(), Some(reason));
    assert!(audit_entries(&ctx, &c.owner).await.iter().any(|e| e.detail.as_deref().is_some_and(|d| d.contains(reason) && d.contains("is away"))));
    // Removing the leave frees the day.
    setup::remove_time_off(&ctx.services, &c.owner, &off.id.to_string()).await.unwrap();
    book(&ctx, &c.owner, &form(&c, 1, c.silva, None, "2026-07-08", "11:00")).await.unwrap();

    // Clinic opening hours narrow everyone's.
    let settings = ScheduleSettingsForm {
        grid_minutes: "15".into(),
        opening_hours: WeeklyHoursForm { hours_tue: "10:00-17:00".into(), ..Default::default() },
    };
    setup::set_schedule_settings(&ctx.services, &c.owner, &settings).await.unwrap();
    let closed = field(book(&ctx, &c.owner, &form(&c, 2, c.okafor, None, "2026-07-07", "09:00")).await, "time");
    assert!(closed.contains("clinic is closed"), "{closed}");
    book(&ctx, &c.owner, &form(&c, 2, c.okafor, None, "2026-07-07", "10:00")).await.unwrap();
    // Set-up is for managers; practitioners may set their own hours only.
    let nurse = join(&ctx, &c.owner, "nurse@a.example", "nurse").await;
    assert!(matches!(setup::add_time_off(&ctx.services, &nurse, &leave, TimeOffKind::Leave).await, Err(ServiceError::Forbidden)));
    let doctor = join(&ctx, &c.owner, "lee@a.example", "practitioner").await;
    let mut tx = ctx.services.db.write_in(&c.owner.scope).await.unwrap();
    let own = repo::practitioners::insert(&mut tx, &c.owner.scope, Some(doctor.membership_id), "Dr Lee", None, "#b45309", ctx.services.now()).await.unwrap();
    tx.commit().await.unwrap();
    let mornings = WeeklyHoursForm { hours_mon: "08:00-12:00".into(), ..Default::default() };
    setup::set_practitioner_hours(&ctx.services, &doctor, &own.to_string(), &mornings).await.unwrap();
    let others = setup::set_practitioner_hours(&ctx.services, &doctor, &c.silva.to_string(), &mornings).await;
    assert!(matches!(others, Err(ServiceError::Forbidden)), "{others:?}");
    assert_eq!(setup::practitioner_hours(&ctx.services, &doctor, &own.to_string()).await.unwrap().unwrap().day_text(chrono::Weekday::Mon), "08:00-12:00");
}

async fn status_workflow_and_waitlist(ctx: Ctx) {
    let c = clinic(&ctx, "Harbour", "owner@a.example", "Europe/Lisbon").await;
    let day = "2026-07-07";
    let a = book(&ctx, &c.owner, &form(&c, 0, c.silva, None, day, "09:00")).await.unwrap();
    let id = a.id.to_string();
    for next in ["confirmed", "arrived", "in_consultation", "completed"] {
        let changed = booking::set_status(&ctx.services, &c.owner, &id, &status(next, "")).await.unwrap();
        assert_eq!(changed.appointments[0].status.as_str(), next);
    }
    let back = field(booking::set_status(&ctx.services, &c.owner, &id, &status("booked", "")).await, "status");
    assert!(back.contains("A completed appointment cannot become booked"), "{back}");
    let entries = audit_entries(&ctx, &c.owner).await;
    assert_eq!(entries.iter().filter(|e| e.action == "appointment.status" && e.outcome == "ok").count(), 4);
    // A completed appointment cannot be moved either.
    let moved = booking::reschedule(&ctx.services, &c.owner, &id, &RescheduleForm { expected_version: "5".into(), ..move_form(&a, day, "11:00") }).await;
    assert!(field(moved, "status").contains("Only booked or confirmed"));

    // Cancelling needs a reason, frees the slot and offers it to the waitlist.
    let b = book(&ctx, &c.owner, &form(&c, 1, c.silva, None, day, "10:00")).await.unwrap();
    let waiting = WaitlistForm {
        patient_id: c.patients[2].to_string(),
        type_id: c.consult.to_string(),
        practitioner_id: String::new(),
        earliest: "2026-07-01".into(),
        latest: "2026-07-31".into(),
        note: "Mornings".into(),
    };
    let entry = waitlist::add_to_waitlist(&ctx.services, &c.owner, &waiting).await.unwrap();
    let elsewhere = WaitlistForm { earliest: "2026-08-01".into(), latest: "2026-08-31".into(), ..waiting.clone() };
    waitlist::add_to_waitlist(&ctx.services, &c.owner, &elsewhere).await.unwrap();
    assert!(field(booking::set_status(&ctx.services, &c.owner, &b.id.to_string(), &status("cancelled", " ")).await, "reason").contains("Say why"));
    let cancelled = booking::set_status(&ctx.services, &c.owner, &b.id.to_string(), &status("cancelled", "Patient is ill")).await.unwrap();
    assert_eq!(cancelled.appointments[0].status, AppointmentStatus::Cancelled);
    assert_eq!(cancelled.appointments[0].cancel_reason.as_deref(), Some("Patient is ill"));
    assert_eq!(cancelled.waitlist_offers.iter().map(|w| w.id).collect::<Vec<_>>(), vec![entry.id]);
    assert_eq!(cancelled.waitlist_offers[0].patient_name, "Mendes, Carla");
    let entries = audit_entries(&ctx, &c.owner).await;
    let cancel = entries.iter().find(|e| e.action == "appointment.cancel").unwrap();
    assert_eq!(cancel.patient_id, Some(c.patients[1].as_uuid()));
    assert!(cancel.detail.as_deref().unwrap().contains("Patient is ill"));
    // The freed slot can be booked again (here by the waiting patient).
    let rebooked = book(&ctx, &c.owner, &form(&c, 2, c.silva, None, day, "10:00")).await.unwrap();
    waitlist::mark_offered(&ctx.services, &c.owner, &entry.id.to_string(), &rebooked.id.to_string()).await.unwrap();
    assert_eq!(waitlist::list_waitlist(&ctx.services, &c.owner).await.unwrap().len(), 2);
    waitlist::remove_from_waitlist(&ctx.services, &c.owner, &entry.id.to_string()).await.unwrap();
    assert_eq!(waitlist::list_waitlist(&ctx.services, &c.owner).await.unwrap().len(), 1);

    // Deactivating the type stops new bookings, not moves of existing ones.
    setup::set_type_active(&ctx.services, &c.owner, &c.consult.to_string(), false).await.unwrap();
    assert!(field(book(&ctx, &c.owner, &form(&c, 3, c.silva, None, day, "15:00")).await, "type_id").contains("type"));
    // Moves check the version they were shown.
    let moved = booking::reschedule(&ctx.services, &c.owner, &rebooked.id.to_string(), &move_form(&rebooked, day, "11:00")).await.unwrap();
    assert_eq!((moved[0].local_start, moved[0].version), (local("2026-07-07 11:00"), rebooked.version + 1));
    let stale = booking::reschedule(&ctx.services, &c.owner, &rebooked.id.to_string(), &move_form(&rebooked, day, "12:00")).await;
    assert!(field(stale, "expected_version").contains("changed this appointment meanwhile"));
    // Resize to 60 minutes (a move that runs into nothing) and reassign.
    let resize = RescheduleForm { duration_minutes: "60".into(), practitioner_id: c.okafor.to_string(), ..move_form(&moved[0], day, "11:00") };
    let resized = booking::reschedule(&ctx.services, &c.owner, &rebooked.id.to_string(), &resize).await.unwrap();
    assert_eq!((resized[0].local_end, resized[0].practitioner_id), (local("2026-07-07 12:00"), c.okafor));
    assert!(audit_entries(&ctx, &c.owner).await.iter().any(|e| e.action == "appointment.move" && e.detail.as_deref().is_some_and(|d| d.contains("now 60 min"))));
}

async fn weekly_series(ctx: Ctx) {
    let c = clinic(&ctx, "Harbour", "owner@a.example", "Europe/Lisbon").await;
    // Six Tuesdays from 2026-03-17, across the change of 2026-03-29.
    let weekly = RecurrenceForm { repeat: "weekly".into(), every_weeks: "1".into(), ends: "count".into(), count: "6".into(), until: String::new() };
    let series = booking::book(&ctx.services, &c.owner, &form(&c, 0, c.silva, None, "2026-03-17", "09:00"), Some(&weekly)).await.unwrap();
    assert!(series.series_id.is_some());
    let starts: Vec<_> = series.appointments.iter().map(|a| a.starts_at.0).collect();
    assert_eq!(starts, ["2026-03-17T09:00:00Z", "2026-03-24T09:00:00Z", "2026-03-31T08:00:00Z", "2026-04-07T08:00:00Z", "2026-04-14T08:00:00Z", "2026-04-21T08:00:00Z"].map(utc));
    assert!(series.appointments.iter().all(|a| a.local_start.time() == chrono::NaiveTime::from_hms_opt(9, 0, 0).unwrap()));

    // "This and following" from the fourth: only the last three move.
    let fourth = &series.appointments[3];
    let later = RescheduleForm { scope: "this_and_following".into(), ..move_form(fourth, "2026-04-07", "10:00") };
    let moved = booking::reschedule(&ctx.services, &c.owner, &fourth.id.to_string(), &later).await.unwrap();
    assert_eq!(moved.len(), 3);
    let silva = c.silva.to_string();
    let week = |date: &'static str| calendar::week_view(&ctx.services, &c.owner, &silva, date);
    let mut times = Vec::new();
    for date in ["2026-03-17", "2026-03-24", "2026-03-31", "2026-04-07", "2026-04-14", "2026-04-21"] {
        let view = week(date).await.unwrap();
        times.push(view.days[0].appointments[0].local_start.format("%H:%M").to_string());
    }
    assert_eq!(times, ["09:00", "09:00", "09:00", "10:00", "10:00", "10:00"]);

    // A series with one clashing date is refused, naming the date.
    book(&ctx, &c.owner, &form(&c, 1, c.okafor, None, "2026-04-14", "09:00")).await.unwrap();
    let four = RecurrenceForm { count: "4".into(), ..weekly.clone() };
    let refused = booking::book(&ctx.services, &c.owner, &form(&c, 2, c.okafor, None, "2026-03-31", "09:00"), Some(&four)).await;
    let message = field(refused, "repeat");
    assert!(message.contains("1 of the 4 dates") && message.contains("2026-04-14: Dr Okafor already has an appointment"), "{message}");
    assert_eq!(owner_count(&ctx, "SELECT COUNT(*) FROM appointments").await, 7, "all or nothing");

    // "All": every appointment of the series is cancelled.
    let all = StatusForm { status: "cancelled".into(), reason: "Course of treatment ended".into(), scope: "all".into() };
    let cancelled = booking::set_status(&ctx.services, &c.owner, &series.appointments[1].id.to_string(), &all).await.unwrap();
    assert_eq!(cancelled.appointments.len(), 6);
    assert!(cancelled.appointments.iter().all(|a| a.status == AppointmentStatus::Cancelled));
    assert_eq!(audit_entries(&ctx, &c.owner).await.iter().filter(|e| e.action == "appointment.cancel").count(), 6);
}

async fn next_available_slots(ctx: Ctx) {
    let c = clinic(&ctx, "Harbour", "owner@a.example", "Europe/Lisbon").await;
    // 2027-03-01 is a Monday; Lisbon is on UTC+0 until 2027-03-28.
    let find = |practitioner: Option<PractitionerId>, from: &'static str, limit: usize| {
        let services = ctx.services.clone();
        let owner = c.owner.clone();
        let consult = c.consult.to_string();
        async move {
            let p = practitioner.map(|p| p.to_string());
            calendar::next_available(&services, &owner, &consult, p.as_deref(), from, limit).await.unwrap()
        }
    };
    let times = |slots: &[calendar::SlotView]| slots.iter().map(|s| s.local_start.format("%d %H:%M").to_string()).collect::<Vec<_>>();
    assert_eq!(times(&find(Some(c.silva), "2027-03-01", 3).await), ["01 09:00", "01 09:15", "01 09:30"]);
    // An appointment (and its buffer), blocked time and lunch are skipped;
    // 09:45 no longer fits before the blocked time with its buffer.
    book(&ctx, &c.owner, &form(&c, 0, c.silva, None, "2027-03-01", "09:00")).await.unwrap();
    assert_eq!(times(&find(Some(c.silva), "2027-03-01", 1).await), ["01 09:45"], "after the buffer, on the grid");
    let meeting = TimeOffForm {
        practitioner_id: c.silva.to_string(),
        from_date: "2027-03-01".into(),
        from_time: "10:00".into(),
        to_date: "2027-03-01".into(),
        to_time: "12:00".into(),
        reason: "Admin".into(),
    };
    setup::add_time_off(&ctx.services, &c.owner, &meeting, TimeOffKind::Blocked).await.unwrap();
    assert_eq!(times(&find(Some(c.silva), "2027-03-01", 3).await), ["01 12:00", "01 12:15", "01 14:00"]);
    // Time off for days: the search moves on to the next working day.
    let leave = TimeOffForm {
        practitioner_id: c.silva.to_string(),
        from_date: "2027-03-01".into(),
        to_date: "2027-03-05".into(),
        ..Default::default()
    };
    setup::add_time_off(&ctx.services, &c.owner, &leave, TimeOffKind::Leave).await.unwrap();
    let next = find(Some(c.silva), "2027-03-01", 1).await;
    assert_eq!(next[0].local_start, local("2027-03-08 09:00"), "the weekend is not worked either");
    // The grid: on 10 minutes, 09:40 (when the buffer ends) is offered.
    let ten = ScheduleSettingsForm { grid_minutes: "10".into(), ..Default::default() };
    setup::set_schedule_settings(&ctx.services, &c.owner, &ten).await.unwrap();
    book(&ctx, &c.owner, &form(&c, 1, c.okafor, None, "2027-03-01", "09:00")).await.unwrap();
    assert_eq!(times(&find(Some(c.okafor), "2027-03-01", 2).await), ["01 09:40", "01 09:50"]);
    // Any practitioner who delivers the type: Dr Silva is away, so Dr Okafor.
    let any = find(None, "2027-03-01", 3).await;
    assert!(any.iter().all(|s| s.practitioner_id == c.okafor), "{any:?}");
    // A type only Dr Silva delivers: any practitioner means her, after her leave.
    let only = setup::update_type(&ctx.services, &c.owner, &c.consult.to_string(), &type_form("Consultation", 30, 10), &[c.silva.to_string()]).await.unwrap();
    assert_eq!(only.practitioners, vec![c.silva]);
    let any = find(None, "2027-03-01", 1).await;
    assert_eq!((any[0].practitioner_id, any[0].local_start), (c.silva, local("2027-03-08 09:00")));
    let refused = calendar::next_available(&ctx.services, &c.owner, &c.consult.to_string(), Some(&c.okafor.to_string()), "2027-03-01", 3).await;
    assert!(field(refused, "practitioner_id").contains("does not offer Consultation"));
    // Booking Dr Okafor for it is refused the same way.
    assert!(field(book(&ctx, &c.owner, &form(&c, 2, c.okafor, None, "2027-03-02", "11:00")).await, "practitioner_id").contains("does not offer"));
    // Never in the past.
    let now = ctx.services.now();
    let from_past = calendar::next_available(&ctx.services, &c.owner, &c.consult.to_string(), None, "2026-01-01", 5).await.unwrap();
    assert!(!from_past.is_empty() && from_past.iter().all(|s| s.starts_at >= now), "{from_past:?}");
}

async fn bad_input_is_reported_at_the_field(ctx: Ctx) {
    let c = clinic(&ctx, "Harbour", "owner@a.example", "Europe/Lisbon").await;
    let good = form(&c, 0, c.silva, None, "2026-07-07", "10:00");
    assert!(field(book(&ctx, &c.owner, &BookingForm { date: "2026-02-30".into(), ..good.clone() }).await, "date").len() > 5);
    assert!(field(book(&ctx, &c.owner, &BookingForm { time: "25:61".into(), ..good.clone() }).await, "time").contains("does not exist"));
    assert!(field(book(&ctx, &c.owner, &BookingForm { patient_id: "' OR 1=1 --".into(), ..good.clone() }).await, "patient_id").contains("Choose"));
    let unknown = uuid::Uuid::now_v7().to_string();
    assert!(field(book(&ctx, &c.owner, &BookingForm { type_id: unknown.clone(), ..good.clone() }).await, "type_id").contains("type"));
    let weekly = RecurrenceForm { repeat: "weekly".into(), ends: "count".into(), count: "0".into(), ..Default::default() };
    assert!(field(booking::book(&ctx.services, &c.owner, &good, Some(&weekly)).await, "count").contains("from 1"));

    let backwards = TimeOffForm {
        practitioner_id: c.silva.to_string(),
        from_date: "2026-07-08".into(),
        from_time: "14:00".into(),
        to_date: "2026-07-08".into(),
        to_time: "09:00".into(),
        reason: String::new(),
    };
    assert!(field(setup::add_time_off(&ctx.services, &c.owner, &backwards, TimeOffKind::Leave).await, "to_time").contains("after the start"));
    let nobody = TimeOffForm { practitioner_id: unknown.clone(), to_time: "16:00".into(), ..backwards.clone() };
    assert!(field(setup::add_time_off(&ctx.services, &c.owner, &nobody, TimeOffKind::Leave).await, "practitioner_id").contains("Choose"));
    let bad_hours = WeeklyHoursForm { hours_mon: "13:00-09:00".into(), ..Default::default() };
    assert!(field(setup::set_practitioner_hours(&ctx.services, &c.owner, &c.silva.to_string(), &bad_hours).await, "hours_mon").contains("end after"));
    assert!(field(setup::create_type(&ctx.services, &c.owner, &type_form("Consultation", 30, 0), &[]).await, "name").contains("already"));
    assert!(field(setup::create_type(&ctx.services, &c.owner, &type_form("Other", 30, 0), &["nope".into()]).await, "practitioners").contains("Choose"));

    let a = book(&ctx, &c.owner, &good).await.unwrap();
    let id = a.id.to_string();
    let garbled = RescheduleForm { expected_version: "x".into(), ..move_form(&a, "2026-07-07", "11:00") };
    assert!(field(booking::reschedule(&ctx.services, &c.owner, &id, &garbled).await, "expected_version").contains("Reload"));
    let odd = move_form(&a, "2026-07-07", "11:07");
    assert!(field(booking::reschedule(&ctx.services, &c.owner, &id, &odd).await, "time").contains("5-minute"));
    assert!(matches!(booking::reschedule(&ctx.services, &c.owner, "not-an-id", &move_form(&a, "2026-07-07", "11:00")).await, Err(ServiceError::NotFound)));
    assert!(field(booking::set_status(&ctx.services, &c.owner, &id, &status("teleported", "")).await, "status").contains("Choose"));
    assert!(field(calendar::day_view(&ctx.services, &c.owner, "2026-02-30", CalendarBy::Room).await, "date").len() > 5);
    assert!(field(calendar::week_view(&ctx.services, &c.owner, "x", "2026-07-06").await, "practitioner_id").contains("Choose"));
    assert!(field(calendar::month_overview(&ctx.services, &c.owner, 2026, 13).await, "month").contains("Choose"));
    assert!(field(calendar::next_available(&ctx.services, &c.owner, "x", None, "2026-07-07", 5).await, "type_id").contains("type"));
    assert!(field(calendar::next_available(&ctx.services, &c.owner, &c.consult.to_string(), None, "tomorrow", 5).await, "from").len() > 5);
    let settings = ScheduleSettingsForm { grid_minutes: "7".into(), ..Default::default() };
    assert!(field(setup::set_schedule_settings(&ctx.services, &c.owner, &settings).await, "grid_minutes").contains("5, 10 or 15"));
    // Billing staff have no calendar at all.
    let billing = join(&ctx, &c.owner, "billing@a.example", "billing").await;
    assert!(matches!(calendar::day_view(&ctx.services, &billing, "2026-07-07", CalendarBy::Practitioner).await, Err(ServiceError::Forbidden)));
    assert!(matches!(book(&ctx, &billing, &good).await, Err(ServiceError::Forbidden)));
}

// 2026-07-07 is a Tuesday: both practitioners work 8 hours a day.
async fn insights_count_per_day_rates_and_utilization(ctx: Ctx) {
    let c = clinic(&ctx, "Harbour", "owner@a.example", "Europe/Lisbon").await;
    let other = clinic(&ctx, "Elsewhere", "owner@b.example", "Europe/Lisbon").await;
    let day = "2026-07-07";
    let done = book(&ctx, &c.owner, &form(&c, 0, c.silva, None, day, "09:00")).await.unwrap();
    let missed = book(&ctx, &c.owner, &form(&c, 1, c.silva, None, day, "10:00")).await.unwrap();
    let dropped = book(&ctx, &c.owner, &form(&c, 2, c.silva, None, day, "11:00")).await.unwrap();
    book(&ctx, &c.owner, &form(&c, 3, c.okafor, None, day, "09:00")).await.unwrap();
    // Another clinic's appointment on the same day is not counted.
    book(&ctx, &other.owner, &form(&other, 0, other.silva, None, day, "09:00")).await.unwrap();
    for next in ["arrived", "completed"] {
        booking::set_status(&ctx.services, &c.owner, &done.id.to_string(), &status(next, "")).await.unwrap();
    }
    booking::set_status(&ctx.services, &c.owner, &missed.id.to_string(), &status("no_show", "")).await.unwrap();
    booking::set_status(&ctx.services, &c.owner, &dropped.id.to_string(), &status("cancelled", "Travelling")).await.unwrap();

    let s = insights::summary(&ctx.services, &c.owner, "2026-07-07", "2026-07-08").await.unwrap();
    assert_eq!(s.days.len(), 2);
    let d = &s.days[0];
    assert_eq!((d.attended, d.upcoming, d.cancelled, d.no_show), (1, 1, 1, 1));
    assert_eq!(s.days[1].total(), 0);
    assert_eq!((s.total, s.cancellation_bp, s.no_show_bp), (4, Some(2500), Some(3333)));
    let silva = s.utilization.iter().find(|u| u.practitioner_id == c.silva).unwrap();
    // Two days of 8 hours; a completed and a missed half hour count, the cancelled one does not.
    assert_eq!((silva.booked_minutes, silva.working_minutes, silva.percent()), (60, 960, Some(6)));
    let okafor = s.utilization.iter().find(|u| u.practitioner_id == c.okafor).unwrap();
    assert_eq!(okafor.booked_minutes, 30);

    // Bad ranges are refused at the field; a role without Schedule is refused.
    assert!(field(insights::summary(&ctx.services, &c.owner, "2026-07-08", "2026-07-07").await, "to").contains("on or after"));
    assert!(field(insights::summary(&ctx.services, &c.owner, "", "2026-07-07").await, "from").contains("Choose the date"));
    // Nothing chosen: the last 30 days up to today.
    let recent = insights::summary(&ctx.services, &c.owner, "", "").await.unwrap();
    assert_eq!(recent.days.len(), 30);
    assert_eq!(recent.to, ctx.services.now().0.with_timezone(&chrono_tz::Europe::Lisbon).date_naive());
    assert!(field(insights::summary(&ctx.services, &c.owner, "2026-01-01", "2027-06-30").await, "to").contains("at most"));
    let billing = join(&ctx, &c.owner, "billing@a.example", "billing").await;
    assert!(matches!(insights::summary(&ctx.services, &billing, day, day).await, Err(ServiceError::Forbidden)));
}

/// The set-up page lists a practitioner's time off that has not ended
/// before today: past leave and other practitioners' are left out; only
/// managers see it; another clinic's practitioner is not found.
async fn upcoming_time_off_is_listed_for_managers(ctx: Ctx) {
    let c = clinic(&ctx, "Harbour", "owner@a.example", "Europe/Lisbon").await;
    let today = ctx.services.now().0.with_timezone(&chrono_tz::Europe::Lisbon).date_naive();
    let day = |offset: i64| (today + chrono::Duration::days(offset)).format("%Y-%m-%d").to_string();
    let off = |who: PractitionerId, from: i64, to: i64, reason: &str| TimeOffForm {
        practitioner_id: who.to_string(),
        from_date: day(from),
        to_date: day(to),
        reason: reason.into(),
        ..Default::default()
    };
    setup::add_time_off(&ctx.services, &c.owner, &off(c.silva, -10, -3, "Past holiday"), TimeOffKind::Leave).await.unwrap();
    let ongoing = setup::add_time_off(&ctx.services, &c.owner, &off(c.silva, -1, 1, "Flu"), TimeOffKind::Leave).await.unwrap();
    let meeting = TimeOffForm { from_time: "11:00".into(), to_time: "12:00".into(), ..off(c.silva, 5, 5, "Team meeting") };
    let blocked = setup::add_time_off(&ctx.services, &c.owner, &meeting, TimeOffKind::Blocked).await.unwrap();
    setup::add_time_off(&ctx.services, &c.owner, &off(c.okafor, 2, 3, "Course"), TimeOffKind::Leave).await.unwrap();

    let listed = setup::list_time_off(&ctx.services, &c.owner, &c.silva.to_string()).await.unwrap();
    let ids: Vec<_> = listed.iter().map(|t| t.id).collect();
    assert_eq!(ids, vec![ongoing.id, blocked.id], "from today on, earliest first, Dr Silva's only");
    assert_eq!(listed[1].kind, TimeOffKind::Blocked);
    assert_eq!(listed[1].reason.as_deref(), Some("Team meeting"));
    assert_eq!(listed[1].span.local_start.format("%Y-%m-%d %H:%M").to_string(), format!("{} 11:00", day(5)));

    // Removed time off is no longer listed.
    setup::remove_time_off(&ctx.services, &c.owner, &blocked.id.to_string()).await.unwrap();
    let listed = setup::list_time_off(&ctx.services, &c.owner, &c.silva.to_string()).await.unwrap();
    assert_eq!(listed.iter().map(|t| t.id).collect::<Vec<_>>(), vec![ongoing.id]);

    let nurse = join(&ctx, &c.owner, "nurse@a.example", "nurse").await;
    assert!(matches!(setup::list_time_off(&ctx.services, &nurse, &c.silva.to_string()).await, Err(ServiceError::Forbidden)));
    let other = clinic(&ctx, "Elsewhere", "owner@b.example", "Europe/Lisbon").await;
    assert!(matches!(setup::list_time_off(&ctx.services, &other.owner, &c.silva.to_string()).await, Err(ServiceError::NotFound)));
    assert!(field(setup::list_time_off(&ctx.services, &c.owner, "nonsense").await, "practitioner_id").contains("Choose"));
}

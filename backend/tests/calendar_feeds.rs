//! Calendar feeds and live calendar events on SQLite and PostgreSQL (the
//! latter under row-level security): a feed shows a practitioner's
//! appointments without patient details, with stable UIDs and cancellations,
//! as valid folded iCalendar; tokens rotate and revoke; only the
//! practitioner themself or an owner/administrator manages a feed; live
//! events reach the booking clinic's subscribers only.

use ambula_backend::{
    repo,
    services::{
        accounts, auth, calendar_feed,
        live::{CalendarChange, Received},
        patients,
        scheduling::{booking, setup},
        ClientInfo,
    },
    AuthContext, ServiceError, Services,
};
use ambula_domain::{
    accounts::{AcceptInviteForm, InviteForm, SignupForm},
    patients::PatientForm,
    scheduling::{AppointmentTypeForm, BookingForm, RescheduleForm, StatusForm, WeeklyHoursForm},
    AppointmentTypeId, PatientId, PractitionerId,
};
use ambula_testkit::{Kind, SmtpSink, TestDb};
use std::time::Duration;

ambula_testkit::on_both_backends!(
    a_feed_lists_appointments_without_patient_details,
    feeds_rotate_revoke_and_need_permission,
    live_events_reach_only_the_same_clinic,
);

async fn run<F, Fut>(kind: Kind, case: F)
where
    F: FnOnce(Services) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let db = TestDb::new(kind).await;
    let smtp = SmtpSink::start().await;
    case(db.services(smtp.mailer())).await;
    db.cleanup().await;
}

const PASSWORD: &str = "tide pools at dawn";

fn client() -> ClientInfo {
    ClientInfo { ip: Some("192.0.2.40".into()), user_agent: Some("feeds-test".into()) }
}

struct Clinic {
    owner: AuthContext,
    silva: PractitionerId,
    consult: AppointmentTypeId,
    patient: PatientId,
}

async fn clinic(s: &Services, name: &str, email: &str) -> Clinic {
    let form = SignupForm {
        clinic_name: name.into(),
        time_zone: "Europe/Lisbon".into(),
        owner_name: "Marta Reis".into(),
        email: email.into(),
        password: PASSWORD.into(),
        confirm_adult: Some("on".into()),
    };
    let signed = accounts::sign_up(s, &form, &client()).await.unwrap();
    let owner = auth::authenticate(s, &signed.token).await.unwrap();
    let mut tx = s.db.write_in(&owner.scope).await.unwrap();
    let silva = repo::practitioners::insert(&mut tx, &owner.scope, None, "Dr Silva", None, "#1d4ed8", s.now()).await.unwrap();
    tx.commit().await.unwrap();
    let all = "08:00-20:00";
    let hours = WeeklyHoursForm {
        hours_mon: all.into(),
        hours_tue: all.into(),
        hours_wed: all.into(),
        hours_thu: all.into(),
        hours_fri: all.into(),
        hours_sat: all.into(),
        hours_sun: all.into(),
    };
    setup::set_practitioner_hours(s, &owner, &silva.to_string(), &hours).await.unwrap();
    let kind = AppointmentTypeForm {
        name: "Check-up, annual; long".into(),
        duration_minutes: "30".into(),
        buffer_minutes: "0".into(),
        colour: "#3366cc".into(),
        price_minor: "".into(),
        online_booking: None,
    };
    let consult = setup::create_type(s, &owner, &kind, &[]).await.unwrap().id;
    let form = PatientForm { given_name: "Ana".into(), family_name: "Secretname".into(), date_of_birth: "1984-03-12".into(), ..Default::default() };
    let patient = patients::create(s, &owner, &form).await.unwrap().id;
    Clinic { owner, silva, consult, patient }
}

async fn join(s: &Services, owner: &AuthContext, email: &str, role: &str) -> AuthContext {
    let sent = accounts::invite(s, owner, &InviteForm { email: email.into(), role: role.into() }).await.unwrap();
    let token = sent.link.rsplit('/').next().unwrap().to_owned();
    let form = AcceptInviteForm { token, name: "Hana Lee".into(), password: PASSWORD.into() };
    let signed = accounts::accept_invite(s, &form, &client()).await.unwrap();
    auth::authenticate(s, &signed.token).await.unwrap()
}

fn booking(c: &Clinic, date: &str, time: &str) -> BookingForm {
    BookingForm {
        patient_id: c.patient.to_string(),
        practitioner_id: c.silva.to_string(),
        type_id: c.consult.to_string(),
        date: date.into(),
        time: time.into(),
        ..Default::default()
    }
}

fn token_of(url: &str) -> String {
    url.rsplit('/').next().unwrap().trim_end_matches(".ics").to_owned()
}

/// Unfolds content lines (RFC 5545 §3.1).
fn unfold(ics: &str) -> Vec<String> {
    ics.replace("\r\n ", "").split("\r\n").filter(|l| !l.is_empty()).map(str::to_owned).collect()
}

fn tomorrow(s: &Services) -> String {
    (s.now().0 + chrono::Duration::days(1)).format("%Y-%m-%d").to_string()
}

async fn a_feed_lists_appointments_without_patient_details(s: Services) {
    let c = clinic(&s, "Harbour", "owner@a.example").await;
    let day = tomorrow(&s);
    let kept = booking::book(&s, &c.owner, &booking(&c, &day, "10:00"), None).await.unwrap().appointments.remove(0);
    let gone = booking::book(&s, &c.owner, &booking(&c, &day, "11:00"), None).await.unwrap().appointments.remove(0);
    let status = StatusForm { status: "cancelled".into(), reason: "Patient called".into(), scope: String::new() };
    booking::set_status(&s, &c.owner, &gone.id.to_string(), &status).await.unwrap();

    let link = calendar_feed::rotate(&s, &c.owner, &c.silva.to_string()).await.unwrap();
    assert!(link.url.starts_with("http://127.0.0.1:3000/calendar/feeds/") && link.url.ends_with(".ics"), "{}", link.url);
    let ics = calendar_feed::render(&s, &token_of(&link.url)).await.unwrap();
    assert!(ics.ends_with("\r\n") && !ics.replace("\r\n", "").contains('\n'), "CRLF line ends only");
    for physical in ics.split("\r\n") {
        assert!(physical.len() <= 75, "folded at 75 octets: {physical:?}");
    }
    let lines = unfold(&ics);
    assert_eq!(lines.first().map(String::as_str), Some("BEGIN:VCALENDAR"));
    assert_eq!(lines.last().map(String::as_str), Some("END:VCALENDAR"));
    assert_eq!(lines.iter().filter(|l| *l == "BEGIN:VEVENT").count(), 2);
    let uid = format!("UID:{}@127.0.0.1:3000", kept.id);
    assert!(lines.contains(&uid), "{ics}");
    assert!(lines.contains(&format!("UID:{}@127.0.0.1:3000", gone.id)));
    assert!(lines.contains(&format!("DTSTART:{}", kept.starts_at.0.format("%Y%m%dT%H%M%SZ"))), "{ics}");
    assert!(lines.contains(&format!("DTEND:{}", kept.ends_at.0.format("%Y%m%dT%H%M%SZ"))));
    assert!(lines.contains(&"SUMMARY:Check-up\\, annual\\; long".to_owned()), "{ics}");
    assert_eq!(lines.iter().filter(|l| *l == "STATUS:CANCELLED").count(), 1);
    assert_eq!(lines.iter().filter(|l| *l == "STATUS:CONFIRMED").count(), 1);
    assert!(!ics.contains("Ana") && !ics.contains("Secretname"), "no patient details: {ics}");

    // A move keeps the UID and raises SEQUENCE.
    let form = RescheduleForm { date: day.clone(), time: "15:00".into(), expected_version: kept.version.to_string(), ..Default::default() };
    let moved = booking::reschedule(&s, &c.owner, &kept.id.to_string(), &form).await.unwrap().remove(0);
    let again = unfold(&calendar_feed::render(&s, &token_of(&link.url)).await.unwrap());
    assert!(again.contains(&uid));
    assert!(again.contains(&format!("DTSTART:{}", moved.starts_at.0.format("%Y%m%dT%H%M%SZ"))));
    assert!(again.contains(&format!("SEQUENCE:{}", moved.version)) && moved.version > kept.version);
}

async fn feeds_rotate_revoke_and_need_permission(s: Services) {
    let c = clinic(&s, "Harbour", "owner@a.example").await;
    let other = clinic(&s, "Other", "owner@b.example").await;
    let first = calendar_feed::rotate(&s, &c.owner, &c.silva.to_string()).await.unwrap();
    let second = calendar_feed::rotate(&s, &c.owner, &c.silva.to_string()).await.unwrap();
    assert_ne!(first.url, second.url);
    assert!(matches!(calendar_feed::render(&s, &token_of(&first.url)).await, Err(ServiceError::NotFound)), "rotated away");
    assert!(calendar_feed::render(&s, &token_of(&second.url)).await.is_ok());
    assert!(calendar_feed::status(&s, &c.owner, &c.silva.to_string()).await.unwrap().is_some());
    assert!(calendar_feed::revoke(&s, &c.owner, &c.silva.to_string()).await.unwrap());
    assert!(matches!(calendar_feed::render(&s, &token_of(&second.url)).await, Err(ServiceError::NotFound)), "revoked");
    assert!(calendar_feed::status(&s, &c.owner, &c.silva.to_string()).await.unwrap().is_none());
    for junk in ["", "x", "../../etc/passwd", &"a".repeat(200)] {
        assert!(matches!(calendar_feed::render(&s, junk).await, Err(ServiceError::NotFound)), "{junk:?}");
    }

    // Another clinic's practitioner: 404, and nothing is created there.
    let theirs = calendar_feed::rotate(&s, &c.owner, &other.silva.to_string()).await;
    assert!(matches!(theirs, Err(ServiceError::NotFound)), "{theirs:?}");
    assert!(calendar_feed::status(&s, &other.owner, &other.silva.to_string()).await.unwrap().is_none());
    assert!(matches!(calendar_feed::rotate(&s, &c.owner, "not-an-id").await, Err(ServiceError::NotFound)));

    // A practitioner manages their own feed, not a colleague's.
    let hana = join(&s, &c.owner, "hana@a.example", "practitioner").await;
    let mut tx = s.db.write_in(&c.owner.scope).await.unwrap();
    let own = repo::practitioners::insert(&mut tx, &c.owner.scope, Some(hana.membership_id), "Dr Lee", None, "#047857", s.now()).await.unwrap();
    tx.commit().await.unwrap();
    let mine = calendar_feed::rotate(&s, &hana, &own.to_string()).await.unwrap();
    assert!(calendar_feed::render(&s, &token_of(&mine.url)).await.unwrap().contains("Dr Lee"));
    assert!(matches!(calendar_feed::rotate(&s, &hana, &c.silva.to_string()).await, Err(ServiceError::Forbidden)));
    assert!(matches!(calendar_feed::revoke(&s, &hana, &c.silva.to_string()).await, Err(ServiceError::Forbidden)));
    // The owner may end anyone's feed.
    assert!(calendar_feed::revoke(&s, &c.owner, &own.to_string()).await.unwrap());
    assert!(matches!(calendar_feed::render(&s, &token_of(&mine.url)).await, Err(ServiceError::NotFound)));

    // Deactivating a member ends their feed with their sessions; a colleague's stays.
    let again = calendar_feed::rotate(&s, &hana, &own.to_string()).await.unwrap();
    let silvas = calendar_feed::rotate(&s, &c.owner, &c.silva.to_string()).await.unwrap();
    let member = ambula_domain::security::MemberForm { membership_id: hana.membership_id.to_string() };
    ambula_backend::services::staff::set_active(&s, &c.owner, &member, false).await.unwrap();
    assert!(matches!(calendar_feed::render(&s, &token_of(&again.url)).await, Err(ServiceError::NotFound)), "deactivated");
    assert!(calendar_feed::render(&s, &token_of(&silvas.url)).await.is_ok());
}

async fn live_events_reach_only_the_same_clinic(s: Services) {
    let a = clinic(&s, "Harbour", "owner@a.example").await;
    let b = clinic(&s, "Other", "owner@b.example").await;
    let mut a_events = s.live.subscribe(&a.owner.scope);
    let mut b_events = s.live.subscribe(&b.owner.scope);
    let day = tomorrow(&s);
    let booked = booking::book(&s, &a.owner, &booking(&a, &day, "10:00"), None).await.unwrap().appointments.remove(0);
    let next = tokio::time::timeout(Duration::from_secs(1), a_events.next()).await.expect("within a second");
    let Received::Event(event) = next else { panic!("{next:?}") };
    assert_eq!((event.kind, event.appointment_id, event.date.format("%Y-%m-%d").to_string()), (CalendarChange::Booked, booked.id, day.clone()));
    let json = serde_json::to_value(&event).unwrap();
    assert_eq!(json, serde_json::json!({"kind": "booked", "appointment_id": booked.id.to_string(), "date": day}));

    let status = StatusForm { status: "confirmed".into(), reason: String::new(), scope: String::new() };
    booking::set_status(&s, &a.owner, &booked.id.to_string(), &status).await.unwrap();
    let Received::Event(event) = a_events.next().await else { panic!() };
    assert_eq!(event.kind, CalendarChange::Status);
    // A failed booking (clash) publishes nothing.
    assert!(booking::book(&s, &a.owner, &booking(&a, &day, "10:00"), None).await.is_err());
    assert!(tokio::time::timeout(Duration::from_millis(200), a_events.next()).await.is_err());
    // Clinic B heard none of it.
    assert!(tokio::time::timeout(Duration::from_millis(200), b_events.next()).await.is_err());
}

/// Two server processes on one PostgreSQL database (two hubs, as in two
/// processes): a booking in one reaches the other's open calendars within a
/// second, once, and only the booking clinic's. SQLite is one process.
#[tokio::test]
async fn live_events_reach_every_server_process_on_postgres() {
    let db = TestDb::new(Kind::Postgres).await;
    let smtp = SmtpSink::start().await;
    let first = db.services(smtp.mailer());
    let second = Services { live: Default::default(), ..first.clone() };
    first.live.relay_through(&first.db).await.expect("listening");
    second.live.relay_through(&second.db).await.expect("listening");
    let a = clinic(&first, "Harbour", "owner@a.example").await;
    let b = clinic(&first, "Other", "owner@b.example").await;
    let mut there = second.live.subscribe(&a.owner.scope);
    let mut here = first.live.subscribe(&a.owner.scope);
    let mut other_clinic = second.live.subscribe(&b.owner.scope);

    let day = tomorrow(&first);
    let booked = booking::book(&first, &a.owner, &booking(&a, &day, "10:00"), None).await.unwrap().appointments.remove(0);
    for events in [&mut there, &mut here] {
        let next = tokio::time::timeout(Duration::from_secs(1), events.next()).await.expect("within a second");
        let Received::Event(event) = next else { panic!("{next:?}") };
        assert_eq!((event.kind, event.appointment_id), (CalendarChange::Booked, booked.id));
        assert!(tokio::time::timeout(Duration::from_millis(300), events.next()).await.is_err(), "delivered once");
    }
    assert!(tokio::time::timeout(Duration::from_millis(200), other_clinic.next()).await.is_err(), "another clinic hears nothing");
    // The other direction: a status change made in the second process.
    let status = StatusForm { status: "confirmed".into(), reason: String::new(), scope: String::new() };
    booking::set_status(&second, &a.owner, &booked.id.to_string(), &status).await.unwrap();
    let next = tokio::time::timeout(Duration::from_secs(1), here.next()).await.expect("within a second");
    assert!(matches!(next, Received::Event(e) if e.kind == CalendarChange::Status));
    first.live.close();
    second.live.close();
    db.cleanup().await;
}

//! Reminders end to end on SQLite and PostgreSQL: bookings fill the outbox,
//! the delivery loop sends through a real SMTP sink and a real HTTP SMS
//! peer on loopback, and each message arrives exactly once: with opt-outs,
//! cancellations and moves, a provider error and its retry, a provider that
//! never recovers, two workers at once, and a restart in the middle.

use ambula_backend::{
    audit, on_tx, repo,
    services::{
        accounts, auth, patients,
        reminders::{
            delivery::run_once,
            settings::{self, PatientPreferences, ReminderSettingsForm},
            spawn_delivery_with, DeliverySettings,
        },
        scheduling::{booking, setup},
        ClientInfo,
    },
    AuthContext, Services, SmsSender, SmsSettings,
};
use ambula_domain::{
    accounts::SignupForm,
    patients::PatientForm,
    scheduling::{AppointmentTypeForm, BookingForm, RescheduleForm, StatusForm, WeeklyHoursForm},
    AppointmentId, AppointmentTypeId, PatientId, PractitionerId,
};
use ambula_testkit::{Kind, SmtpSink, TestDb};
use axum::{extract::State, http::HeaderMap, http::StatusCode, routing::post, Json, Router};
use chrono::{Duration, NaiveDate};
use std::{
    collections::BTreeMap,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::Duration as StdDuration,
};

ambula_testkit::on_both_backends!(
    each_reminder_arrives_once_respecting_opt_outs_and_cancellations,
    a_moved_appointment_is_reminded_of_its_new_time_only,
    provider_error_is_retried_and_a_dead_provider_gives_up,
    restart_mid_queue_and_two_workers_send_each_message_once,
    settings_are_checked_and_need_permission,
);

struct Ctx {
    db: TestDb,
    smtp: SmtpSink,
    sms: SmsPeer,
    services: Services,
}

async fn run<F, Fut>(kind: Kind, case: F)
where
    F: FnOnce(Ctx) -> Fut,
    Fut: std::future::Future<Output = TestDb>,
{
    let db = TestDb::new(kind).await;
    let smtp = SmtpSink::start().await;
    let sms = SmsPeer::start().await;
    let services = services_for(&db, &smtp, &sms);
    let db = case(Ctx { db, smtp, sms, services }).await;
    db.cleanup().await;
}

fn services_for(db: &TestDb, smtp: &SmtpSink, sms: &SmsPeer) -> Services {
    let sender = SmsSender::new(SmsSettings { url: sms.url.clone(), token: SMS_TOKEN.into() }).unwrap();
    db.services(smtp.mailer()).with_sms(Some(sender))
}

const SMS_TOKEN: &str = "test-provider-token";

/// A tiny SMS provider: POST /sms with a bearer token and {to, body}. It
/// can be told to fail the next N requests (500) and to answer slowly.
#[derive(Clone)]
struct SmsPeer {
    url: String,
    state: Arc<PeerState>,
}

#[derive(Default)]
struct PeerState {
    delivered: Mutex<Vec<(String, String)>>,
    requests: AtomicUsize,
    fail_next: AtomicUsize,
    delay_ms: AtomicUsize,
}

async fn sms_endpoint(State(state): State<Arc<PeerState>>, headers: HeaderMap, Json(body): Json<serde_json::Value>) -> StatusCode {
    state.requests.fetch_add(1, Ordering::SeqCst);
    let delay = state.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(StdDuration::from_millis(delay as u64)).await;
    }
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(&format!("Bearer {SMS_TOKEN}")) {
        return StatusCode::UNAUTHORIZED;
    }
    if state.fail_next.load(Ordering::SeqCst) > 0 {
        state.fail_next.fetch_sub(1, Ordering::SeqCst);
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    let to = body["to"].as_str().unwrap_or_default().to_owned();
    let text = body["body"].as_str().unwrap_or_default().to_owned();
    state.delivered.lock().unwrap().push((to, text));
    StatusCode::ACCEPTED
}

impl SmsPeer {
    async fn start() -> Self {
        let state = Arc::new(PeerState::default());
        let app = Router::new().route("/sms", post(sms_endpoint)).with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/sms", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        SmsPeer { url, state }
    }

    fn delivered(&self) -> Vec<(String, String)> {
        self.state.delivered.lock().unwrap().clone()
    }
}

fn fast() -> DeliverySettings {
    DeliverySettings {
        poll: StdDuration::from_millis(50),
        lease: StdDuration::from_secs(60),
        first_retry: StdDuration::from_millis(200),
        max_attempts: 3,
    }
}

fn client() -> ClientInfo {
    ClientInfo { ip: Some("192.0.2.30".into()), user_agent: Some("reminders-test".into()) }
}

struct Clinic {
    owner: AuthContext,
    silva: PractitionerId,
    consult: AppointmentTypeId,
}

async fn clinic(services: &Services, email: &str, offsets: &str, sms: bool) -> Clinic {
    let form = SignupForm {
        clinic_name: "Harbour Clinic".into(),
        time_zone: "Europe/Lisbon".into(),
        owner_name: "Marta Reis".into(),
        email: email.into(),
        password: "tide pools at dawn".into(),
        confirm_adult: Some("on".into()),
    };
    let signed = accounts::sign_up(services, &form, &client()).await.unwrap();
    let owner = auth::authenticate(services, &signed.token).await.unwrap();
    let mut tx = services.db.write_in(&owner.scope).await.unwrap();
    let silva = repo::practitioners::insert(&mut tx, &owner.scope, None, "Dr Silva", None, "#1d4ed8", services.now()).await.unwrap();
    on_tx!(&mut tx, c => sqlx::query("UPDATE clinics SET phone = '+351 210 000 000' WHERE id = $1")
        .bind(owner.scope.clinic_id().as_uuid()).execute(c).await.map(|r| r.rows_affected())).unwrap();
    tx.commit().await.unwrap();
    let all_week = "07:00-21:00";
    let hours = WeeklyHoursForm {
        hours_mon: all_week.into(),
        hours_tue: all_week.into(),
        hours_wed: all_week.into(),
        hours_thu: all_week.into(),
        hours_fri: all_week.into(),
        hours_sat: all_week.into(),
        hours_sun: all_week.into(),
    };
    setup::set_practitioner_hours(services, &owner, &silva.to_string(), &hours).await.unwrap();
    let kind = AppointmentTypeForm {
        name: "Psychiatry follow-up".into(),
        duration_minutes: "15".into(),
        buffer_minutes: "0".into(),
        colour: "#3366cc".into(),
        price_minor: "".into(),
        online_booking: None,
    };
    let consult = setup::create_type(services, &owner, &kind, &[]).await.unwrap().id;
    let form = ReminderSettingsForm { offsets: offsets.into(), email: Some("on".into()), sms: sms.then(|| "on".into()) };
    settings::update(services, &owner, &form).await.unwrap();
    Clinic { owner, silva, consult }
}

async fn patient(services: &Services, c: &Clinic, given: &str, email: &str, phone: &str) -> PatientId {
    let form = PatientForm {
        given_name: given.into(),
        family_name: "Secretname".into(),
        date_of_birth: "1984-03-12".into(),
        email: email.into(),
        phone: phone.into(),
        ..Default::default()
    };
    patients::create(services, &c.owner, &form).await.unwrap().id
}

/// A date `days` from now (in the clinic's zone, roughly).
fn day(services: &Services, days: i64) -> NaiveDate {
    (services.now().0 + Duration::days(days)).date_naive()
}

async fn book(services: &Services, c: &Clinic, p: PatientId, date: NaiveDate, time: &str) -> AppointmentId {
    let form = BookingForm {
        patient_id: p.to_string(),
        practitioner_id: c.silva.to_string(),
        type_id: c.consult.to_string(),
        date: date.format("%Y-%m-%d").to_string(),
        time: time.into(),
        ..Default::default()
    };
    booking::book(services, &c.owner, &form, None).await.unwrap().appointments[0].id
}

/// Moves the clinic clock to `before` ahead of the appointment starting at
/// `date time` local (Lisbon).
fn advance_to(services: &Services, date: NaiveDate, time: &str, before: Duration) {
    let tz: chrono_tz::Tz = "Europe/Lisbon".parse().unwrap();
    let local = date.and_time(chrono::NaiveTime::parse_from_str(time, "%H:%M").unwrap());
    let start = local.and_local_timezone(tz).single().unwrap().with_timezone(&chrono::Utc);
    let target = start - before;
    let by = (target - services.now().0).num_seconds();
    assert!(by > 0, "the clock only moves forward");
    services.clock.advance(StdDuration::from_secs(by as u64));
}

/// Waits until `done` holds (or fails after 15 s), then a little longer so
/// that a duplicate would have time to show up.
async fn settle(what: &str, done: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + StdDuration::from_secs(15);
    while !done() {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(StdDuration::from_millis(25)).await;
    }
    tokio::time::sleep(StdDuration::from_millis(400)).await;
}

fn recipients(smtp: &SmtpSink) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for m in smtp.messages() {
        for to in m.to {
            *counts.entry(to.trim_matches(|c| c == '<' || c == '>').to_owned()).or_insert(0) += 1;
        }
    }
    counts
}

fn sms_recipients(peer: &SmsPeer) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for (to, _) in peer.delivered() {
        *counts.entry(to).or_insert(0) += 1;
    }
    counts
}

async fn outbox(services: &Services, c: &Clinic) -> Vec<repo::reminders::OutboxRow> {
    let mut tx = services.db.read_in(&c.owner.scope).await.unwrap();
    repo::reminders::list(&mut tx, &c.owner.scope, 1000).await.unwrap()
}

/// Waits until the loop has dealt with every row (none pending).
async fn drained(services: &Services, c: &Clinic) {
    for _ in 0..400 {
        if outbox(services, c).await.iter().all(|r| r.status != "pending") {
            return;
        }
        tokio::time::sleep(StdDuration::from_millis(25)).await;
    }
    panic!("the outbox was not drained");
}

fn statuses(rows: &[repo::reminders::OutboxRow]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for r in rows {
        *counts.entry(r.status.clone()).or_insert(0) += 1;
    }
    counts
}

fn counts(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

async fn each_reminder_arrives_once_respecting_opt_outs_and_cancellations(ctx: Ctx) -> TestDb {
    let s = &ctx.services;
    let c = clinic(s, "owner@a.example", "24h, 2h", true).await;
    let both = patient(s, &c, "Ana", "ana@p.example", "+351910000001").await;
    let no_sms = patient(s, &c, "Bruno", "bruno@p.example", "+351910000002").await;
    let no_email = patient(s, &c, "Carla", "carla@p.example", "+351910000003").await;
    let cancelled = patient(s, &c, "David", "david@p.example", "+351910000004").await;
    let no_contact = patient(s, &c, "Eva", "", "").await;
    settings::set_patient_preferences(s, &c.owner, &no_sms.to_string(), PatientPreferences { email: true, sms: false }).await.unwrap();
    settings::set_patient_preferences(s, &c.owner, &no_email.to_string(), PatientPreferences { email: false, sms: true }).await.unwrap();

    let date = day(s, 3);
    book(s, &c, both, date, "10:00").await;
    book(s, &c, no_sms, date, "10:15").await;
    book(s, &c, no_email, date, "10:30").await;
    let gone = book(s, &c, cancelled, date, "10:45").await;
    book(s, &c, no_contact, date, "11:00").await;
    // Booking again what is already enqueued adds nothing (the unique key).
    assert_eq!(outbox(s, &c).await.len(), 5 * 2 * 2);
    let status = StatusForm { status: "cancelled".into(), reason: "Patient called".into(), scope: String::new() };
    booking::set_status(s, &c.owner, &gone.to_string(), &status).await.unwrap();

    // Nothing is due yet: the loop sends nothing.
    let (_stop_tx, stop) = tokio::sync::watch::channel(false);
    assert_eq!(run_once(s, &fast(), &stop).await.unwrap(), 0);
    assert!(ctx.smtp.messages().is_empty());

    // An hour before the first appointment, both reminders of each are due.
    advance_to(s, date, "10:00", Duration::hours(1));
    let delivery = spawn_delivery_with(s.clone(), fast());
    settle("reminders", || ctx.smtp.messages().len() >= 4 && ctx.sms.delivered().len() >= 4).await;
    drained(s, &c).await;
    delivery.shutdown().await;

    assert_eq!(recipients(&ctx.smtp), counts(&[("ana@p.example", 2), ("bruno@p.example", 2)]));
    assert_eq!(sms_recipients(&ctx.sms), counts(&[("+351910000001", 2), ("+351910000003", 2)]));
    // No clinical detail, no patient name: clinic, time, practitioner, phone.
    for m in ctx.smtp.messages() {
        assert!(m.data.contains("Harbour Clinic") && m.data.contains("Dr Silva") && m.data.contains("+351 210 000 000"), "{}", m.data);
        assert!(!m.data.contains("Psychiatry") && !m.data.contains("Secretname") && !m.data.contains("Ana"), "{}", m.data);
    }
    for (_, text) in ctx.sms.delivered() {
        assert!(text.contains("Harbour Clinic") && text.contains("Dr Silva"), "{text}");
        assert!(!text.contains("Psychiatry") && !text.contains("Secretname"), "{text}");
    }
    let rows = outbox(s, &c).await;
    // 8 sent; skipped: 2 opted out × 2 offsets, the cancelled 4, no address 4.
    assert_eq!(statuses(&rows), counts(&[("sent", 8), ("skipped", 12)]));
    assert!(rows.iter().filter(|r| r.status == "sent").all(|r| r.attempts == 1));
    // Each sent message is in the audit trail, against the patient.
    let mut tx = s.db.read_in(&c.owner.scope).await.unwrap();
    let entries = audit::search(&mut tx, &c.owner.scope, &audit::Filter { limit: 10_000, ..Default::default() }).await.unwrap();
    drop(tx);
    let sent: Vec<_> = entries.iter().filter(|e| e.action == "reminder.sent").collect();
    assert_eq!(sent.len(), 8);
    assert!(sent.iter().all(|e| e.patient_id.is_some() && e.actor_user_id.is_none()));
    ctx.db
}

async fn a_moved_appointment_is_reminded_of_its_new_time_only(ctx: Ctx) -> TestDb {
    let s = &ctx.services;
    let c = clinic(s, "owner@m.example", "24h", false).await;
    let p = patient(s, &c, "Ana", "ana@p.example", "").await;
    let date = day(s, 3);
    let id = book(s, &c, p, date, "10:00").await;
    let later = date + Duration::days(2);
    let form = RescheduleForm {
        date: later.format("%Y-%m-%d").to_string(),
        time: "16:30".into(),
        expected_version: "1".into(),
        ..Default::default()
    };
    booking::reschedule(s, &c.owner, &id.to_string(), &form).await.unwrap();
    // Past the old reminder's time: nothing goes out for the old slot.
    advance_to(s, date, "10:00", Duration::hours(1));
    let (_stop_tx, stop) = tokio::sync::watch::channel(false);
    run_once(s, &fast(), &stop).await.unwrap();
    assert!(ctx.smtp.messages().is_empty());
    // The new one, at the new time.
    advance_to(s, later, "16:30", Duration::hours(23));
    assert_eq!(run_once(s, &fast(), &stop).await.unwrap(), 1);
    let mails = ctx.smtp.messages();
    assert_eq!(mails.len(), 1);
    assert!(mails[0].data.contains("16:30"), "{}", mails[0].data);
    assert_eq!(statuses(&outbox(s, &c).await), counts(&[("sent", 1), ("skipped", 1)]));
    ctx.db
}

async fn provider_error_is_retried_and_a_dead_provider_gives_up(ctx: Ctx) -> TestDb {
    let s = &ctx.services;
    let c = clinic(s, "owner@r.example", "24h", true).await;
    let ana = patient(s, &c, "Ana", "", "+351910000001").await;
    let bruno = patient(s, &c, "Bruno", "", "+351910000002").await;
    let date = day(s, 3);
    book(s, &c, ana, date, "10:00").await;

    // First request 500, then the provider recovers.
    ctx.sms.state.fail_next.store(1, Ordering::SeqCst);
    advance_to(s, date, "10:00", Duration::hours(23));
    let delivery = spawn_delivery_with(s.clone(), fast());
    settle("the retried SMS", || !ctx.sms.delivered().is_empty()).await;
    delivery.shutdown().await;
    assert_eq!(ctx.sms.delivered().len(), 1);
    assert_eq!(ctx.sms.state.requests.load(Ordering::SeqCst), 2);
    let rows = outbox(s, &c).await;
    let sms: Vec<_> = rows.iter().filter(|r| r.channel == "sms").collect();
    assert_eq!((sms[0].status.as_str(), sms[0].attempts), ("sent", 2));

    // A provider that never recovers: three attempts, then failed, visible.
    book(s, &c, bruno, date, "13:00").await;
    ctx.sms.state.fail_next.store(1000, Ordering::SeqCst);
    advance_to(s, date, "13:00", Duration::hours(23));
    let before = ctx.sms.state.requests.load(Ordering::SeqCst);
    let delivery = spawn_delivery_with(s.clone(), fast());
    settle("three attempts", || ctx.sms.state.requests.load(Ordering::SeqCst) >= before + 3).await;
    // Backoff doubles (200, 400 ms): wait past where a fourth would be.
    tokio::time::sleep(StdDuration::from_millis(1200)).await;
    delivery.shutdown().await;
    assert_eq!(ctx.sms.state.requests.load(Ordering::SeqCst), before + 3);
    assert_eq!(ctx.sms.delivered().len(), 1);
    let rows = outbox(s, &c).await;
    let failed: Vec<_> = rows.iter().filter(|r| r.status == "failed").collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].attempts, 3);
    assert!(failed[0].last_error.as_deref().unwrap_or_default().contains("500"), "{:?}", failed[0].last_error);
    // Emails (no address) were skipped, not failed.
    assert_eq!(statuses(&rows), counts(&[("failed", 1), ("sent", 1), ("skipped", 2)]));
    ctx.db
}

async fn restart_mid_queue_and_two_workers_send_each_message_once(ctx: Ctx) -> TestDb {
    let s = &ctx.services;
    let c = clinic(s, "owner@q.example", "24h, 2h", true).await;
    let date = day(s, 3);
    let mut expected = BTreeMap::new();
    for i in 0..8 {
        let phone = format!("+35191000010{i}");
        let p = patient(s, &c, &format!("P{i}"), "", &phone).await;
        book(s, &c, p, date, &format!("{:02}:{:02}", 10 + i / 4, 15 * (i % 4))).await;
        expected.insert(phone, 2);
    }
    // 16 messages; the provider takes 60 ms each.
    ctx.sms.state.delay_ms.store(60, Ordering::SeqCst);
    advance_to(s, date, "10:00", Duration::minutes(5));
    let first = spawn_delivery_with(s.clone(), fast());
    settle("some progress", || ctx.sms.delivered().len() >= 4).await;
    first.shutdown().await;
    let progress = ctx.sms.delivered().len();
    assert!((4..16).contains(&progress), "stopped mid-queue, after {progress}");

    // "Restart": new Services on the same database (same time), and two
    // workers at once for good measure.
    let offset = (s.now().0 - chrono::Utc::now()).num_seconds();
    let restarted = services_for(&ctx.db, &ctx.smtp, &ctx.sms);
    restarted.clock.advance(StdDuration::from_secs(offset as u64));
    let second = services_for(&ctx.db, &ctx.smtp, &ctx.sms);
    second.clock.advance(StdDuration::from_secs(offset as u64));
    let a = spawn_delivery_with(restarted, fast());
    let b = spawn_delivery_with(second, fast());
    settle("every message", || ctx.sms.delivered().len() >= 16).await;
    a.shutdown().await;
    b.shutdown().await;
    assert_eq!(sms_recipients(&ctx.sms), expected);
    let rows = outbox(s, &c).await;
    assert!(rows.iter().filter(|r| r.channel == "sms").all(|r| r.status == "sent" && r.attempts == 1));
    ctx.db
}

async fn settings_are_checked_and_need_permission(ctx: Ctx) -> TestDb {
    let s = &ctx.services;
    let c = clinic(s, "owner@s.example", "24h", false).await;
    let current = settings::get(s, &c.owner).await.unwrap();
    assert_eq!((current.offsets_minutes.clone(), current.email, current.sms), (vec![1440], true, false));
    let bad = ReminderSettingsForm { offsets: "2h, soon".into(), email: Some("on".into()), sms: None };
    match settings::update(s, &c.owner, &bad).await {
        Err(ambula_backend::ServiceError::Invalid(errors)) => assert!(errors.get("offsets").unwrap().contains("soon")),
        other => panic!("{other:?}"),
    }
    let too_close = ReminderSettingsForm { offsets: "5min".into(), email: Some("on".into()), sms: None };
    assert!(matches!(settings::update(s, &c.owner, &too_close).await, Err(ambula_backend::ServiceError::Invalid(_))));
    let good = ReminderSettingsForm { offsets: "2h, 2 days, 24h".into(), email: None, sms: Some("on".into()) };
    let saved = settings::update(s, &c.owner, &good).await.unwrap();
    assert_eq!(saved.offsets_minutes, vec![2880, 1440, 120]);
    assert_eq!(saved.offsets_text(), "2 d, 1 d, 2 h");
    assert_eq!(settings::get(s, &c.owner).await.unwrap(), saved);
    // Another clinic's patient: 404.
    let other = clinic(s, "owner@t.example", "24h", false).await;
    let theirs = patient(s, &other, "Zoe", "zoe@p.example", "").await;
    let result = settings::set_patient_preferences(s, &c.owner, &theirs.to_string(), PatientPreferences { email: false, sms: false }).await;
    assert!(matches!(result, Err(ambula_backend::ServiceError::NotFound)), "{result:?}");
    assert_eq!(
        settings::patient_preferences(s, &other.owner, &theirs.to_string()).await.unwrap(),
        PatientPreferences { email: true, sms: true }
    );
    ctx.db
}

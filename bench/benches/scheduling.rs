//! Scheduling at volume: seeds clinics × practitioners × one year of
//! appointments (100 × 20 × 1 year ≈ 1M rows by default) on SQLite and on
//! PostgreSQL, then prints p50/p99 latency of the calls the calendar makes
//! all day: a clinic's day view, one practitioner's week view, the
//! next-available search and a booking with its conflict checks.
//!
//!     cargo bench -p ambula-bench --bench scheduling
//!
//! Settings (environment): AMBULA_BENCH_CLINICS (100),
//! AMBULA_BENCH_PRACTITIONERS (20), AMBULA_BENCH_SAMPLES (300 per
//! operation), AMBULA_BENCH_BACKENDS ("sqlite,postgres").
//!
//! Calls go through the same services the server functions call (scope,
//! permission check, audit entry included), against a fresh database of
//! each kind made by the testkit: on PostgreSQL as the unprivileged
//! application role, under row-level security, as in production.

use ambula_backend::{
    repo::{self, appointments::NewAppointment},
    services::{
        accounts, auth, patients,
        scheduling::{booking, calendar, setup},
        ClientInfo,
    },
    time::DbTime,
    AuthContext, Mailer, Services,
};
use ambula_domain::{
    accounts::SignupForm,
    patients::PatientForm,
    scheduling::{AppointmentStatus, AppointmentTypeForm, BookingForm, CalendarBy, WeeklyHoursForm},
    AppointmentTypeId, PatientId, PractitionerId,
};
use ambula_testkit::{Kind, TestDb};
use chrono::{Datelike, Duration as Days, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use std::time::{Duration, Instant};

const ZONE: &str = "Europe/Lisbon";
const HOURS: &str = "09:00-13:00, 14:00-18:00";
/// Seeded appointments: 30 minutes at 09:00 and at 14:00 local, every
/// weekday, for every practitioner (≈ 2 × 261 a year each).
const SEEDED_AT: [(u32, u32); 2] = [(9, 0), (14, 0)];
/// Patients per clinic: the first `practitioners` are seen at 09:00, the
/// next at 14:00, and the rest are booked by the benchmark (one per
/// practitioner, so a benchmark booking never clashes on the patient).
const PATIENT_GROUPS: usize = 3;

struct Settings {
    clinics: usize,
    practitioners: usize,
    samples: usize,
    backends: Vec<Kind>,
}

impl Settings {
    fn from_env() -> Result<Self, String> {
        fn number(name: &str, default: usize) -> Result<usize, String> {
            match std::env::var(name) {
                Ok(raw) => raw.trim().parse::<usize>().ok().filter(|n| *n > 0).ok_or(format!("{name} must be a positive number, got {raw:?}")),
                Err(_) => Ok(default),
            }
        }
        let backends = std::env::var("AMBULA_BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
        let backends = backends
            .split(',')
            .map(|b| match b.trim() {
                "sqlite" => Ok(Kind::Sqlite),
                "postgres" => Ok(Kind::Postgres),
                other => Err(format!("AMBULA_BENCH_BACKENDS: unknown backend {other:?} (sqlite, postgres)")),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Settings {
            clinics: number("AMBULA_BENCH_CLINICS", 100)?,
            practitioners: number("AMBULA_BENCH_PRACTITIONERS", 20)?,
            samples: number("AMBULA_BENCH_SAMPLES", 300)?,
            backends,
        })
    }
}

struct Clinic {
    ctx: AuthContext,
    practitioners: Vec<PractitionerId>,
    patients: Vec<PatientId>,
    consult: AppointmentTypeId,
}

fn client() -> ClientInfo {
    ClientInfo { ip: Some("127.0.0.1".into()), user_agent: Some("ambula-bench".into()) }
}

fn is_weekday(d: NaiveDate) -> bool {
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

fn utc(tz: Tz, date: NaiveDate, h: u32, m: u32) -> DbTime {
    let local = date.and_time(NaiveTime::from_hms_opt(h, m, 0).expect("valid seed time"));
    // 09:00 and 14:00 never fall in a clock change in Lisbon.
    let at = tz.from_local_datetime(&local).single().expect("unambiguous seed time");
    DbTime::from(at.with_timezone(&Utc))
}

async fn seed_clinic(services: &Services, n: usize, settings: &Settings, first: NaiveDate, last: NaiveDate) -> Clinic {
    let form = SignupForm {
        clinic_name: format!("Bench Clinic {n:03}"),
        time_zone: ZONE.into(),
        owner_name: "Bench Owner".into(),
        email: format!("owner{n:03}@bench.example"),
        password: "a long bench passphrase".into(),
        confirm_adult: Some("on".into()),
    };
    let signed = accounts::sign_up(services, &form, &client()).await.expect("sign up");
    let ctx = auth::authenticate(services, &signed.token).await.expect("session");
    let now = services.now();

    let mut tx = services.db.write_in(&ctx.scope).await.expect("tx");
    let mut practitioners = Vec::new();
    for p in 0..settings.practitioners {
        let id = repo::practitioners::insert(&mut tx, &ctx.scope, None, &format!("Dr {p:02}"), None, "#1d4ed8", now)
            .await
            .expect("practitioner");
        practitioners.push(id);
    }
    tx.commit().await.expect("commit practitioners");
    let hours = WeeklyHoursForm {
        hours_mon: HOURS.into(),
        hours_tue: HOURS.into(),
        hours_wed: HOURS.into(),
        hours_thu: HOURS.into(),
        hours_fri: HOURS.into(),
        hours_sat: String::new(),
        hours_sun: String::new(),
    };
    for p in &practitioners {
        setup::set_practitioner_hours(services, &ctx, &p.to_string(), &hours).await.expect("hours");
    }
    let type_form = AppointmentTypeForm {
        name: "Consultation".into(),
        duration_minutes: "30".into(),
        buffer_minutes: "0".into(),
        colour: "#3366cc".into(),
        price_minor: "4500".into(),
        online_booking: None,
    };
    let consult = setup::create_type(services, &ctx, &type_form, &[]).await.expect("type").id;
    let mut patients = Vec::new();
    for i in 0..settings.practitioners * PATIENT_GROUPS {
        let form = PatientForm {
            given_name: format!("Patient{i}"),
            family_name: format!("Clinic{n}"),
            date_of_birth: "1980-01-01".into(),
            ..Default::default()
        };
        patients.push(patients::create(services, &ctx, &form).await.expect("patient").id);
    }

    // A year of appointments in one transaction per clinic, through the
    // repository (the services' checks are what the benchmark measures,
    // not what seeds it; the seed is clash-free by construction).
    let tz: Tz = ZONE.parse().expect("zone");
    let mut tx = services.db.write_in(&ctx.scope).await.expect("tx");
    let mut day = first;
    while day <= last {
        if is_weekday(day) {
            for (slot, (h, m)) in SEEDED_AT.iter().enumerate() {
                for (p, practitioner) in practitioners.iter().enumerate() {
                    let starts_at = utc(tz, day, *h, *m);
                    let ends_at = utc(tz, day, *h, m + 30);
                    let status = if day < now.0.date_naive() { AppointmentStatus::Completed } else { AppointmentStatus::Booked };
                    repo::appointments::insert(
                        &mut tx,
                        &ctx.scope,
                        NewAppointment {
                            patient_id: patients[slot * settings.practitioners + p],
                            practitioner_id: *practitioner,
                            type_id: consult,
                            room_id: None,
                            series_id: None,
                            starts_at,
                            ends_at,
                            blocks_until: ends_at,
                            status,
                            notes: None,
                            override_reason: None,
                        },
                        now,
                    )
                    .await
                    .expect("appointment");
                }
            }
        }
        day += Days::days(1);
    }
    tx.commit().await.expect("commit appointments");
    Clinic { ctx, practitioners, patients, consult }
}

struct Figures {
    name: &'static str,
    samples: Vec<Duration>,
}

impl Figures {
    fn percentile(&self, p: usize) -> Duration {
        let mut sorted = self.samples.clone();
        sorted.sort();
        let i = ((sorted.len() * p).div_ceil(100)).saturating_sub(1).min(sorted.len() - 1);
        sorted[i]
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

/// A tiny deterministic generator: the same run picks the same clinics and
/// days, so two runs (or two backends) measure the same work.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, bound: usize) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % bound
    }
}

async fn run(kind: Kind, settings: &Settings) -> Vec<Figures> {
    let db = TestDb::new(kind).await;
    let mailer = Mailer::new(None, "bench@ambula.invalid").expect("mailer");
    let services = db.services(mailer);
    let today = services.now().0.date_naive();
    let (first, last) = (today - Days::days(182), today + Days::days(182));

    let started = Instant::now();
    let mut clinics = Vec::new();
    for n in 0..settings.clinics {
        clinics.push(seed_clinic(&services, n, settings, first, last).await);
    }
    let rows = settings.clinics * settings.practitioners * SEEDED_AT.len() * {
        let mut d = first;
        let mut weekdays = 0;
        while d <= last {
            weekdays += usize::from(is_weekday(d));
            d += Days::days(1);
        }
        weekdays
    };
    eprintln!("{kind:?}: seeded {} clinics, {rows} appointments in {:.0?}", settings.clinics, started.elapsed());

    let mut rng = Lcg(42);
    let weekdays: Vec<NaiveDate> = (0..=(last - first).num_days()).map(|i| first + Days::days(i)).filter(|d| is_weekday(*d)).collect();
    let future: Vec<NaiveDate> = weekdays.iter().copied().filter(|d| *d > today + Days::days(1)).collect();

    let mut day_view = Figures { name: "day view (clinic, 20 columns)", samples: Vec::new() };
    let mut week_view = Figures { name: "week view (one practitioner)", samples: Vec::new() };
    let mut next_any = Figures { name: "next available (any practitioner)", samples: Vec::new() };
    let mut next_one = Figures { name: "next available (one practitioner)", samples: Vec::new() };
    let mut book = Figures { name: "booking with conflict check", samples: Vec::new() };
    // Warm-up: a few calls per operation so connection set-up is not timed.
    for c in clinics.iter().take(3) {
        calendar::day_view(&services, &c.ctx, &today.to_string(), CalendarBy::Practitioner).await.expect("warm-up");
    }
    for i in 0..settings.samples {
        let c = &clinics[rng.next(clinics.len())];
        let date = weekdays[rng.next(weekdays.len())].to_string();
        let t = Instant::now();
        let view = calendar::day_view(&services, &c.ctx, &date, CalendarBy::Practitioner).await.expect("day view");
        day_view.samples.push(t.elapsed());
        assert_eq!(view.columns.len(), settings.practitioners);

        let p = c.practitioners[rng.next(c.practitioners.len())].to_string();
        let week = weekdays[rng.next(weekdays.len())];
        let monday = week - Days::days(i64::from(week.weekday().num_days_from_monday()));
        let t = Instant::now();
        calendar::week_view(&services, &c.ctx, &p, &monday.to_string()).await.expect("week view");
        week_view.samples.push(t.elapsed());

        let from = future[rng.next(future.len())].to_string();
        let t = Instant::now();
        let slots = calendar::next_available(&services, &c.ctx, &c.consult.to_string(), None, &from, 10).await.expect("next available");
        next_any.samples.push(t.elapsed());
        assert!(!slots.is_empty(), "a year of 2-a-day calendars has free slots");
        let t = Instant::now();
        calendar::next_available(&services, &c.ctx, &c.consult.to_string(), Some(&p), &from, 10).await.expect("next available");
        next_one.samples.push(t.elapsed());

        // A free slot by construction: 10:00 or later on a future weekday,
        // a different (practitioner, day, time) for every sample.
        let clinic_no = i % clinics.len();
        let c = &clinics[clinic_no];
        let round = i / clinics.len();
        let p_no = round % c.practitioners.len();
        let slot = round / c.practitioners.len();
        let date = future[slot / 6 % future.len()];
        let minutes = 10 * 60 + 30 * (slot % 6) as u32;
        let form = BookingForm {
            patient_id: c.patients[2 * settings.practitioners + p_no].to_string(),
            practitioner_id: c.practitioners[p_no].to_string(),
            type_id: c.consult.to_string(),
            date: date.to_string(),
            time: format!("{:02}:{:02}", minutes / 60, minutes % 60),
            ..Default::default()
        };
        let t = Instant::now();
        booking::book(&services, &c.ctx, &form, None).await.expect("a free slot books");
        book.samples.push(t.elapsed());
    }
    services.db.close().await;
    db.cleanup().await;
    vec![day_view, week_view, next_any, next_one, book]
}

fn main() {
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    println!(
        "Scheduling benchmark: {} clinics × {} practitioners × one year (2 appointments per practitioner per weekday), {} samples per operation\n",
        settings.clinics, settings.practitioners, settings.samples
    );
    println!("| backend | operation | p50 ms | p99 ms | max ms |");
    println!("|---|---|---:|---:|---:|");
    for kind in &settings.backends {
        let figures = runtime.block_on(run(*kind, &settings));
        for f in &figures {
            let max = f.samples.iter().max().copied().unwrap_or_default();
            println!("| {kind:?} | {} | {} | {} | {} |", f.name, ms(f.percentile(50)), ms(f.percentile(99)), ms(max));
        }
    }
}

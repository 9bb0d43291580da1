//! The demo clinic seeded on first start: enough data to click around in
//! (practitioners, patients, rooms, appointment types, working hours, a
//! week of appointments that follow the scheduling rules, some invoices).

use super::accounts::create_clinic;
use crate::{
    crypto,
    error::ServiceError,
    repo::{
        self,
        appointments::NewAppointment,
        patients::NewPatient,
    },
    time::DbTime,
    Services,
};
use ambula_domain::{
    accounts::SignupForm,
    scheduling::{AppointmentStatus, AppointmentTypeForm, TimeOffKind, WaitlistForm, WeeklyHoursForm},
    EmailAddress, PersonName, Role,
};
use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};

pub const DEMO_PASSWORD: &str = "harbour-demo-2026";
pub const DEMO_CLINIC: &str = "Harbour Family Clinic";
pub const DEMO_TIME_ZONE: &str = "Europe/Lisbon";

/// The accounts of the demo clinic: (email, role).
pub const DEMO_LOGINS: [(&str, Role); 5] = [
    ("owner@harbour-clinic.example", Role::Owner),
    ("dr.silva@harbour-clinic.example", Role::Practitioner),
    ("dr.okafor@harbour-clinic.example", Role::Practitioner),
    ("nurse.lee@harbour-clinic.example", Role::Nurse),
    ("desk@harbour-clinic.example", Role::FrontDesk),
];

const STAFF_NAMES: [&str; 5] = ["Marta Reis", "Dr. João Silva", "Dr. Ngozi Okafor", "Hana Lee", "Rui Tavares"];

const PATIENTS: [(&str, &str, &str); 24] = [
    ("Ana", "Costa", "1984-03-12"), ("Bruno", "Almeida", "1990-07-01"), ("Carla", "Mendes", "1975-11-23"),
    ("David", "Ferreira", "2012-05-30"), ("Elena", "Popescu", "1968-02-14"), ("Filipe", "Santos", "1999-09-09"),
    ("Grace", "Mensah", "1987-12-04"), ("Hugo", "Martins", "1956-06-18"), ("Inês", "Rodrigues", "2001-01-27"),
    ("Jamal", "Haddad", "1979-08-08"), ("Kateryna", "Bondar", "1993-04-16"), ("Luís", "Pereira", "1948-10-31"),
    ("Maya", "Cohen", "2016-03-03"), ("Nuno", "Gomes", "1982-07-22"), ("Olga", "Ivanova", "1970-05-05"),
    ("Pedro", "Lopes", "1995-11-11"), ("Quinn", "O'Brien", "1988-02-29"), ("Rita", "Sousa", "1963-09-17"),
    ("Sofia", "Carvalho", "2008-06-06"), ("Tiago", "Ribeiro", "1977-01-19"), ("Uma", "Patel", "1991-10-10"),
    ("Vasco", "Pinto", "1959-04-04"), ("Wen", "Zhang", "1985-08-28"), ("Yara", "Nunes", "2003-12-12"),
];

/// (name, minutes, buffer minutes, colour, price in cents).
const TYPES: [(&str, u32, u32, &str, u32); 4] = [
    ("Consultation", 30, 0, "#1d4ed8", 4500),
    ("Follow-up", 15, 5, "#047857", 3000),
    ("Physiotherapy", 45, 15, "#b45309", 5500),
    ("Vaccination", 15, 0, "#7c3aed", 2000),
];

#[derive(Debug, Clone)]
pub struct DemoSeeded {
    pub created: bool,
    pub logins: Vec<(String, Role)>,
    pub password: &'static str,
}

/// Seeds the demo clinic unless its owner account already exists.
pub async fn seed_demo(services: &Services) -> Result<DemoSeeded, ServiceError> {
    let logins = DEMO_LOGINS.iter().map(|(e, r)| (e.to_string(), *r)).collect();
    let owner_email = EmailAddress::parse(DEMO_LOGINS[0].0).map_err(|e| ServiceError::Internal(e.0))?;
    let mut tx = services.db.read().await?;
    let exists = repo::users::find_by_email(&mut tx, &owner_email).await?.is_some();
    drop(tx);
    if exists {
        return Ok(DemoSeeded { created: false, logins, password: DEMO_PASSWORD });
    }

    let signup = SignupForm {
        clinic_name: DEMO_CLINIC.into(),
        time_zone: DEMO_TIME_ZONE.into(),
        owner_name: STAFF_NAMES[0].into(),
        email: DEMO_LOGINS[0].0.into(),
        password: DEMO_PASSWORD.into(),
        confirm_adult: Some("on".into()),
    }
    .parse()?;
    let (scope, _) = create_clinic(services, &signup, None).await?;
    let hash = crypto::hash_password(DEMO_PASSWORD.into()).await?;
    let now = services.now();
    let mut tx = services.db.write_in(&scope).await?;

    let colours = ["#1d4ed8", "#047857", "#b45309"];
    let mut practitioners = Vec::new();
    for (i, ((email, role), name)) in DEMO_LOGINS.iter().zip(STAFF_NAMES).enumerate().skip(1) {
        let email = EmailAddress::parse(email).map_err(|e| ServiceError::Internal(e.0))?;
        let person = PersonName::parse(name).map_err(|e| ServiceError::Internal(e.0))?;
        let user_id = repo::users::insert(&mut tx, &email, &person, &hash, now).await?;
        let membership = repo::memberships::insert(&mut tx, &scope, user_id, *role, now).await?;
        if *role == Role::Practitioner {
            let specialty = if i == 1 { "General practice" } else { "Paediatrics" };
            practitioners.push(
                repo::practitioners::insert(&mut tx, &scope, Some(membership), name, Some(specialty), colours[practitioners.len()], now)
                    .await?,
            );
        }
    }
    practitioners.push(
        repo::practitioners::insert(&mut tx, &scope, None, "Sara Vieira", Some("Physiotherapy"), colours[2], now).await?,
    );

    let mut patients = Vec::new();
    for (i, (given, family, dob)) in PATIENTS.iter().enumerate() {
        let date_of_birth = NaiveDate::parse_from_str(dob, "%Y-%m-%d").map_err(|e| ServiceError::Internal(e.to_string()))?;
        let mrn = format!("HFC-{:05}", i + 1);
        let phone = format!("+351 91 {:03} {:04}", 100 + i, 1000 + i * 37);
        let email = format!("{}.{}@mail.example", given.to_lowercase(), family.to_lowercase().replace('\'', ""));
        let patient = NewPatient {
            mrn: &mrn,
            given_name: given,
            family_name: family,
            date_of_birth,
            phone: Some(&phone),
            email: Some(&email),
        };
        patients.push(repo::patients::insert(&mut tx, &scope, patient, now).await?);
    }

    // The calendar's set-up: rooms, types (physiotherapy only by the
    // physiotherapist), weekday hours with a lunch break for everyone, and
    // weekend on-call mornings for the paediatrician.
    let rooms = [
        repo::rooms::insert(&mut tx, &scope, "Room 1", now).await?,
        repo::rooms::insert(&mut tx, &scope, "Room 2", now).await?,
        repo::rooms::insert(&mut tx, &scope, "Physio studio", now).await?,
    ];
    let mut types = Vec::new();
    for (name, minutes, buffer, colour, price) in TYPES {
        let spec = AppointmentTypeForm {
            name: name.into(),
            duration_minutes: minutes.to_string(),
            buffer_minutes: buffer.to_string(),
            colour: colour.into(),
            price_minor: price.to_string(),
            online_booking: Some("on".into()),
        }
        .parse()?;
        types.push((repo::appointment_types::insert(&mut tx, &scope, &spec, now).await?, spec));
    }
    repo::appointment_types::set_practitioners(&mut tx, &scope, types[2].0, &practitioners[2..3]).await?;
    let weekdays = "09:00-13:00, 14:00-18:00";
    for (p, practitioner) in practitioners.iter().enumerate() {
        let weekend = if p == 1 { "10:00-13:00" } else { "" };
        let hours = WeeklyHoursForm {
            hours_mon: weekdays.into(),
            hours_tue: weekdays.into(),
            hours_wed: weekdays.into(),
            hours_thu: weekdays.into(),
            hours_fri: weekdays.into(),
            hours_sat: weekend.into(),
            hours_sun: weekend.into(),
        }
        .parse()?;
        repo::schedule::set_hours(&mut tx, &scope, *practitioner, &hours, now).await?;
    }

    // A week around today (two days back, four ahead) in the clinic's time
    // zone, so whenever the demo starts there is history and a busy today.
    // Every appointment fits its practitioner's hours, buffers included,
    // and no patient is in two places at once (at most 15 a day, 24
    // patients, taken in turn).
    let tz: chrono_tz::Tz = DEMO_TIME_ZONE.parse().unwrap_or(chrono_tz::UTC);
    let today = Utc::now().with_timezone(&tz).date_naive();
    let mut slot = 0usize;
    for day in -2..=4 {
        let date = today + Duration::days(day);
        let weekend = matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
        if !weekend {
            // Dr. Silva's weekly team meeting closes her last hour.
            let meeting = |h| tz.from_local_datetime(&date.and_hms_opt(h, 0, 0).unwrap_or_default()).earliest();
            if let (Some(from), Some(to)) = (meeting(17), meeting(18)) {
                let span = (DbTime::from(from.with_timezone(&Utc)), DbTime::from(to.with_timezone(&Utc)));
                repo::schedule::insert_time_off(&mut tx, &scope, practitioners[0], span, TimeOffKind::Blocked, Some("Team meeting"), now).await?;
            }
        }
        for (p, practitioner) in practitioners.iter().enumerate() {
            let plan: &[(u32, u32, usize)] = match (p, weekend) {
                (0, false) => &[(9, 0, 0), (10, 0, 1), (11, 0, 0), (14, 0, 0), (15, 30, 1)],
                (1, false) => &[(9, 30, 0), (10, 30, 3), (12, 0, 0), (14, 30, 1), (17, 0, 0)],
                (2, false) => &[(9, 15, 2), (10, 30, 2), (11, 45, 2), (14, 15, 2), (16, 30, 2)],
                (1, true) => &[(10, 0, 0), (11, 30, 3)],
                _ => &[],
            };
            for &(hour, minute, kind) in plan {
                slot += 1;
                let Some(local) = date.and_hms_opt(hour, minute, 0) else { continue };
                let Some(start) = tz.from_local_datetime(&local).earliest() else { continue };
                let (type_id, spec) = &types[kind];
                let starts_at = DbTime::from(start.with_timezone(&Utc));
                let ends_at = DbTime::from(starts_at.0 + spec.duration());
                let blocks_until = DbTime::from(ends_at.0 + spec.buffer());
                let patient = patients[slot % patients.len()];
                let past = starts_at.0 < Utc::now();
                let status = match (past, slot % 11) {
                    (true, 3) => AppointmentStatus::NoShow,
                    (true, _) => AppointmentStatus::Completed,
                    (false, 5) => AppointmentStatus::Cancelled,
                    (false, n) if n % 2 == 0 => AppointmentStatus::Confirmed,
                    _ => AppointmentStatus::Booked,
                };
                let id = repo::appointments::insert(
                    &mut tx,
                    &scope,
                    NewAppointment {
                        patient_id: patient,
                        practitioner_id: *practitioner,
                        type_id: *type_id,
                        room_id: Some(rooms[p]),
                        series_id: None,
                        starts_at,
                        ends_at,
                        blocks_until,
                        status,
                        notes: None,
                        override_reason: None,
                    },
                    now,
                )
                .await?;
                if status == AppointmentStatus::Cancelled {
                    repo::appointments::set_status(&mut tx, &scope, id, 1, status, Some("Patient asked to rebook"), now).await?;
                }
                if status == AppointmentStatus::Completed && slot.is_multiple_of(3) {
                    let total = 4_500 + (slot as i64 % 4) * 1_500;
                    let paid = if slot.is_multiple_of(2) { total } else { 0 };
                    super::billing::seed::seed_invoice(&mut tx, &scope, patient, "Consultation", total, paid, ends_at).await?;
                }
            }
        }
    }
    // Someone hoping for an earlier physiotherapy slot.
    let waiting = WaitlistForm {
        patient_id: patients[5].to_string(),
        type_id: types[2].0.to_string(),
        practitioner_id: String::new(),
        earliest: today.to_string(),
        latest: (today + Duration::days(14)).to_string(),
        note: "Any morning".into(),
    }
    .parse()?;
    repo::waitlist::insert(&mut tx, &scope, &waiting, now).await?;
    // A few older invoices so billing has history even early in the week.
    for (i, patient) in patients.iter().take(4).enumerate() {
        let paid = if i % 2 == 0 { 6_000 } else { 2_000 };
        let issued_at = DbTime::from(Utc::now() - Duration::days(10 + i as i64 * 9));
        super::billing::seed::seed_invoice(&mut tx, &scope, *patient, "Physiotherapy, 3 sessions", 6_000, paid, issued_at).await?;
    }
    tx.commit().await?;
    tracing::info!(clinic_id = %scope.clinic_id(), "demo clinic seeded");
    Ok(DemoSeeded { created: true, logins, password: DEMO_PASSWORD })
}

/// Why `--demo` must not run here, if it must not: its accounts have a
/// published password, so it is for a computer of one's own, never a
/// server people reach over HTTPS, nor a database with real clinics.
pub async fn refusal(services: &Services, public_url: &str) -> Result<Option<String>, ServiceError> {
    if public_url.trim().to_ascii_lowercase().starts_with("https://") {
        return Ok(Some(format!(
            "--demo refuses to start: the public URL {public_url} is https://, and the demo accounts' password is published. \
             The demo is for trying Ambula on your own computer; start without --demo."
        )));
    }
    let mut tx = services.db.read().await?;
    let others = repo::clinics::count_named_other_than(&mut tx, DEMO_CLINIC).await?;
    if others > 0 {
        return Ok(Some(format!(
            "--demo refuses to start: this database holds {others} clinic(s) besides the demo clinic. \
             Seeding accounts with a published password into a real installation would open it to anyone; start without --demo."
        )));
    }
    Ok(None)
}

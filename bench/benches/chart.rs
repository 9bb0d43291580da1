//! Patients and the chart at volume: seeds clinics × patients (100 ×
//! 10,000 by default) with a chart history — appointments, encounters with
//! SOAP notes sealed by the clinic's data key, amendments, vitals,
//! problems, allergies and medications — on SQLite and on PostgreSQL, then
//! prints p50/p99/max latency of the registry search by name prefix,
//! opening a chart, its timeline and notes tabs, and saving a note.
//!
//!     cargo bench -p ambula-bench --bench chart
//!
//! Settings (environment): AMBULA_BENCH_CLINICS (100),
//! AMBULA_BENCH_PATIENTS (10000 per clinic), AMBULA_BENCH_PRACTITIONERS
//! (10 per clinic), AMBULA_BENCH_SAMPLES (300 per operation),
//! AMBULA_BENCH_BACKENDS ("sqlite,postgres"); AMBULA_BENCH_KEEP=1 keeps
//! the database afterwards (to look at plans; drop it by hand).
//!
//! Seeding writes the rows the services write (same columns, same
//! values, clinical free text sealed with the same envelope encryption,
//! bound to its table, column and row, so the services open it), many rows
//! per INSERT in one transaction per clinic; on PostgreSQL as the
//! application role under row-level security. The measured calls go
//! through the services the server functions call (permission check,
//! patient access rules, audit entry in the same transaction, commit).

mod common;

use ambula_backend::{
    db::Tx,
    envelope::{Field, KeyOwner},
    icd10,
    repo::{self, patients::SearchKeys},
    services::{
        chart::{notes, opening, timeline},
        patients,
        scheduling::setup,
    },
    time::DbTime,
    AuthContext, Mailer, Services,
};
use ambula_domain::{
    chart::{
        encounters::{EncounterForm, NoteForm},
        timeline::TimelineForm,
    },
    registry::RegistrySearchForm,
    scheduling::AppointmentTypeForm,
};
use ambula_testkit::{Kind, TestDb};
use chrono::{Datelike, Duration as Days, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use common::{insert_rows, os, s, Figures, Lcg, V};
use std::time::Instant;
use uuid::Uuid;

const ZONE: &str = "Europe/Lisbon";

struct Settings {
    clinics: usize,
    patients: usize,
    practitioners: usize,
    samples: usize,
    backends: Vec<Kind>,
}

impl Settings {
    fn from_env() -> Result<Self, String> {
        Ok(Settings {
            clinics: common::number("AMBULA_BENCH_CLINICS", 100)?,
            patients: common::number("AMBULA_BENCH_PATIENTS", 10_000)?,
            practitioners: common::number("AMBULA_BENCH_PRACTITIONERS", 10)?,
            samples: common::number("AMBULA_BENCH_SAMPLES", 300)?,
            backends: common::backends()?,
        })
    }
}

// Names as a Lisbon clinic meets them: Portuguese first, then others;
// earlier entries are picked more often (a skewed, realistic spread).
const FAMILY: &[&str] = &[
    "Silva", "Santos", "Ferreira", "Pereira", "Oliveira", "Costa", "Rodrigues", "Martins", "Jesus", "Sousa",
    "Fernandes", "Gonçalves", "Gomes", "Lopes", "Marques", "Alves", "Almeida", "Ribeiro", "Pinto", "Carvalho",
    "Teixeira", "Moreira", "Correia", "Mendes", "Nunes", "Soares", "Vieira", "Monteiro", "Cardoso", "Rocha",
    "Raposo", "Neves", "Coelho", "Cruz", "Cunha", "Pires", "Ramos", "Reis", "Simões", "Antunes",
    "Matos", "Fonseca", "Machado", "Araújo", "Barbosa", "Tavares", "Lourenço", "Castro", "Figueiredo", "Azevedo",
    "Freitas", "Campos", "Henriques", "Conceição", "Baptista", "Miranda", "Brito", "Borges", "Guerreiro", "Faria",
    "Okafor", "Okonkwo", "Adeyemi", "Mensah", "Diallo", "Ndiaye", "Mbeki", "Kamara", "Traoré", "Boateng",
    "Smith", "Jones", "Williams", "Brown", "Taylor", "Davies", "Evans", "Wilson", "Thomas", "Johnson",
    "García", "Martínez", "López", "Sánchez", "Pérez", "Gómez", "Díaz", "Moreno", "Muñoz", "Álvarez",
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi",
    "Dubois", "Lefèvre", "Moreau", "Laurent", "Kowalski", "Nowak", "Novák", "Horvat", "Popescu", "Ivanov",
    "Nguyen", "Tran", "Le", "Pham", "Kim", "Lee", "Park", "Chen", "Wang", "Zhang", "Patel", "Shah", "Singh", "Kumar", "Khan",
];

const GIVEN: &[&str] = &[
    "Maria", "João", "Ana", "José", "Francisco", "Beatriz", "Tiago", "Inês", "Pedro", "Mariana",
    "Rui", "Carla", "Miguel", "Sofia", "Luís", "Catarina", "António", "Rita", "Manuel", "Joana",
    "Paulo", "Sara", "Ricardo", "Filipa", "Nuno", "Teresa", "Diogo", "Margarida", "Bruno", "Helena",
    "Carlos", "Leonor", "Duarte", "Matilde", "Afonso", "Carolina", "Gonçalo", "Madalena", "Rodrigo", "Lara",
    "Chidi", "Ngozi", "Emeka", "Amara", "Kwame", "Ama", "Moussa", "Fatou", "Aminata", "Ibrahim",
    "James", "Emma", "Oliver", "Olivia", "Harry", "Amelia", "George", "Isla", "Jack", "Ava",
    "Lucía", "Hugo", "Martina", "Mateo", "Elena", "Pablo", "Léa", "Lucas", "Chloé", "Louis",
    "Lukas", "Mia", "Leon", "Hannah", "Giulia", "Marco", "Zofia", "Jakub", "Olena", "Dmytro",
    "Minh", "Linh", "Ji-woo", "Min-jun", "Wei", "Li", "Priya", "Arjun", "Aisha", "Omar",
];

/// Index into a list of `n`, earlier ones more often.
fn skewed(rng: &mut Lcg, n: usize) -> usize {
    let u = rng.next(10_000) as f64 / 10_000.0;
    ((u * u) * n as f64) as usize % n
}

struct Patient {
    id: Uuid,
    family: &'static str,
    given: &'static str,
    restricted: bool,
    /// A long history (chronic illness): many encounters and medications.
    heavy: bool,
}

struct Clinic {
    ctx: AuthContext,
    patients: Vec<Patient>,
}

fn utc(tz: Tz, date: NaiveDate, minutes: u32) -> DbTime {
    let local = date.and_time(NaiveTime::from_hms_opt(minutes / 60, minutes % 60, 0).expect("valid time"));
    // 09:00–17:00 never falls in a clock change in Lisbon.
    let at = tz.from_local_datetime(&local).single().expect("unambiguous time");
    DbTime::from(at.with_timezone(&Utc))
}

fn plus(t: DbTime, minutes: i64) -> DbTime {
    DbTime::from(t.0 + Days::minutes(minutes))
}

async fn seal(services: &Services, tx: &mut Tx, ctx: &AuthContext, table: &str, column: &str, row: Uuid, text: &str, now: DbTime) -> Vec<u8> {
    let row = row.to_string();
    services
        .keys
        .encrypt(tx, KeyOwner::clinic(&ctx.scope), Field { table, column, row: &row }, text.as_bytes(), now)
        .await
        .expect("seal")
}

/// 30-minute slots (practitioner, day, start minute) on weekdays 09:00–17:00,
/// shuffled: each is used at most once, so seeded appointments never clash.
struct Slots {
    slots: Vec<(usize, NaiveDate, u32)>,
}

impl Slots {
    fn new(rng: &mut Lcg, practitioners: usize, from: NaiveDate, to: NaiveDate) -> Self {
        let mut slots = Vec::new();
        let mut day = from;
        while day <= to {
            if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
                for p in 0..practitioners {
                    for k in 0..16 {
                        slots.push((p, day, 9 * 60 + 30 * k));
                    }
                }
            }
            day += Days::days(1);
        }
        for i in (1..slots.len()).rev() {
            let j = rng.next(i + 1);
            slots.swap(i, j);
        }
        Slots { slots }
    }

    fn take(&mut self) -> Option<(usize, NaiveDate, u32)> {
        self.slots.pop()
    }
}

const COMPLAINTS: &[&str] = &[
    "a dry cough", "lower back pain", "headaches", "fatigue", "a sore throat", "knee pain", "dizziness",
    "heartburn after meals", "poor sleep", "a rash on both forearms", "shortness of breath on exertion", "palpitations",
];
const EXAMS: &[&str] = &[
    "Chest clear, heart sounds normal.", "No focal neurological signs.", "Throat mildly erythematous, no exudate.",
    "Tender over L4-L5, straight leg raise negative.", "Abdomen soft, non-tender.", "Skin: fine papular rash, no excoriation.",
];
const PLANS: &[&str] = &[
    "Continue current medication", "Start paracetamol 1 g as needed", "Bloods: FBC, U&E, HbA1c", "Physiotherapy referral",
    "Lifestyle advice given", "Home blood pressure diary for two weeks", "Trial of omeprazole 20 mg daily",
];
const PROBLEMS: &[&str] = &["I10", "E11.9", "E78.5", "J45.909", "M54.50", "F41.1", "K21.9", "J30.9"];
const ALLERGIES: &[(&str, Option<&str>, &str)] = &[
    ("Penicillin", Some("penicillins"), "Hives and facial swelling"),
    ("Ibuprofen", Some("nsaids"), "Wheeze"),
    ("Peanuts", None, "Anaphylaxis"),
    ("Latex", None, "Contact dermatitis"),
    ("Codeine", Some("opioids"), "Nausea and vomiting"),
    ("Co-trimoxazole", Some("sulfonamides"), "Rash"),
];
const SEVERITIES: &[&str] = &["mild", "moderate", "severe", "life_threatening"];
/// drug, strength, unit, dose, dose unit, route, frequency
const DRUGS: &[(&str, &str, &str, &str, &str, &str, &str)] = &[
    ("Amlodipine", "5", "mg", "1", "tablet", "oral", "once_daily"),
    ("Metformin", "500", "mg", "1", "tablet", "oral", "twice_daily"),
    ("Atorvastatin", "20", "mg", "1", "tablet", "oral", "night"),
    ("Salbutamol", "100", "mcg", "2", "puff", "inhaled", "as_needed"),
    ("Omeprazole", "20", "mg", "1", "capsule", "oral", "morning"),
    ("Sertraline", "50", "mg", "1", "tablet", "oral", "once_daily"),
    ("Paracetamol", "500", "mg", "2", "tablet", "oral", "four_times_daily"),
    ("Lisinopril", "10", "mg", "1", "tablet", "oral", "once_daily"),
];

/// Rows of one clinic, in insert order (foreign keys).
#[derive(Default)]
struct Rows {
    patients: Vec<Vec<V>>,
    appointments: Vec<Vec<V>>,
    encounters: Vec<Vec<V>>,
    notes: Vec<Vec<V>>,
    amendments: Vec<Vec<V>>,
    vitals: Vec<Vec<V>>,
    problems: Vec<Vec<V>>,
    allergies: Vec<Vec<V>>,
    no_known: Vec<Vec<V>>,
    medications: Vec<Vec<V>>,
}

impl Rows {
    fn count(&self) -> usize {
        self.patients.len()
            + self.appointments.len()
            + self.encounters.len()
            + self.notes.len()
            + self.amendments.len()
            + self.vitals.len()
            + self.problems.len()
            + self.allergies.len()
            + self.no_known.len()
            + self.medications.len()
    }
}

async fn seed_clinic(services: &Services, n: usize, settings: &Settings, rng: &mut Lcg) -> (Clinic, usize) {
    let ctx = common::sign_up(services, &format!("Bench Clinic {n:03}"), &format!("owner{n:03}@bench.example"), ZONE).await;
    let now = services.now();
    let tz: Tz = ZONE.parse().expect("zone");
    let today = now.0.with_timezone(&tz).date_naive();
    let clinic = ctx.scope.clinic_id().as_uuid();
    let me = ctx.membership_id.as_uuid();

    let mut tx = services.db.write_in(&ctx.scope).await.expect("tx");
    let mut practitioners = Vec::new();
    for p in 0..settings.practitioners {
        let id = repo::practitioners::insert(&mut tx, &ctx.scope, None, &format!("Dr {p:02}"), None, "#1d4ed8", now).await.expect("practitioner");
        practitioners.push(id.as_uuid());
    }
    tx.commit().await.expect("commit practitioners");
    let type_form = AppointmentTypeForm {
        name: "Consultation".into(),
        duration_minutes: "30".into(),
        buffer_minutes: "0".into(),
        colour: "#3366cc".into(),
        price_minor: "4500".into(),
        online_booking: None,
    };
    let consult = setup::create_type(services, &ctx, &type_form, &[]).await.expect("type").id.as_uuid();

    let mut past = Slots::new(rng, settings.practitioners, today - Days::days(730), today - Days::days(1));
    let mut future = Slots::new(rng, settings.practitioners, today + Days::days(1), today + Days::days(42));

    let mut tx = services.db.write_in(&ctx.scope).await.expect("tx");
    services.keys.ensure_key(&mut tx, KeyOwner::clinic(&ctx.scope), now).await.expect("data key");
    let mut rows = Rows::default();
    let mut patients = Vec::with_capacity(settings.patients);
    let registered_from = now.0 - Days::days(3 * 365);
    for k in 0..settings.patients {
        let id = Uuid::now_v7();
        let family = FAMILY[skewed(rng, FAMILY.len())];
        let given = GIVEN[skewed(rng, GIVEN.len())];
        let born = NaiveDate::from_ymd_opt(1930, 1, 1).expect("date") + Days::days(rng.next(94 * 365) as i64);
        let phone = format!("+351 9{}{:07}", 1 + rng.next(6), rng.next(10_000_000));
        let email = rng.chance(60).then(|| {
            let fold = |t: &str| ambula_domain::registry::text::fold(t).replace(' ', "");
            format!("{}.{}{}@example.com", fold(given), fold(family), k)
        });
        let keys = SearchKeys::of(given, family, None, Some(&phone), email.as_deref());
        let restricted = k % 500 == 250;
        let heavy = k % 50 == 7;
        let moved = !heavy && !restricted && rng.chance(2);
        let created = DbTime::from(registered_from + Days::minutes(k as i64 * 90));
        rows.patients.push(vec![
            V::U(clinic),
            V::U(id),
            s(format!("P{:06}", k + 1)),
            s(given),
            s(family),
            V::D(born),
            s(phone.clone()),
            os(email.clone()),
            V::T(created),
            V::T(created),
            V::Bool(restricted),
            os(Some(if rng.chance(52) { "female" } else { "male" })),
            os(Some(format!("{} Rua {}", 1 + rng.next(200), FAMILY[rng.next(FAMILY.len())]))),
            os(Some("Lisboa")),
            os(Some(format!("1{:03}-{:03}", rng.next(1000), rng.next(1000)))),
            os(Some("PT")),
            V::Bool(email.is_some()),
            V::Bool(true),
            V::OD(Some(created.0.date_naive())),
            V::Bool(!moved),
            os(moved.then_some("moved")),
            V::OD(moved.then(|| today - Days::days(rng.next(300) as i64))),
            s(keys.family_key),
            s(keys.given_key),
            V::OS(keys.preferred_key),
            s(keys.family_phonetic),
            s(keys.given_phonetic),
            V::OS(keys.phone_rev),
            V::OS(keys.email_key),
        ]);
        patients.push(Patient { id, family, given, restricted, heavy });

        // Appointments: most patients a few, a chronic few dozens.
        let visits = if heavy {
            24 + rng.next(16)
        } else {
            match rng.next(100) {
                0..=24 => 0,
                25..=54 => 1,
                55..=74 => 2,
                75..=89 => 3,
                _ => 4 + rng.next(3),
            }
        };
        for _ in 0..visits {
            let Some((p, day, minute)) = past.take() else { break };
            let starts = utc(tz, day, minute);
            let ends = plus(starts, 30);
            let appointment = Uuid::now_v7();
            let status = match rng.next(100) {
                0..=84 => "completed",
                85..=89 => "no_show",
                _ => "cancelled",
            };
            rows.appointments.push(vec![
                V::U(clinic), V::U(appointment), V::U(id), V::U(practitioners[p]), V::U(consult), V::OU(None), V::OU(None),
                V::T(starts), V::T(ends), V::T(ends), s(status), V::OS(None), V::OS(None), V::T(plus(starts, -7 * 24 * 60)),
                V::T(ends), V::I(1),
            ]);
            if status == "completed" && rng.chance(80) {
                let kind = if rng.chance(70) { "consultation" } else { "follow_up" };
                add_encounter(services, &mut tx, &ctx, rng, &mut rows, id, Some(practitioners[p]), Some(appointment), starts, kind, now).await;
            }
        }
        if rng.chance(15) {
            if let Some((p, day, minute)) = future.take() {
                let starts = utc(tz, day, minute);
                let ends = plus(starts, 30);
                rows.appointments.push(vec![
                    V::U(clinic), V::U(Uuid::now_v7()), V::U(id), V::U(practitioners[p]), V::U(consult), V::OU(None), V::OU(None),
                    V::T(starts), V::T(ends), V::T(ends), s("booked"), V::OS(None), V::OS(None), V::T(now), V::T(now), V::I(1),
                ]);
            }
        }
        if rng.chance(10) {
            let at = DbTime::from(now.0 - Days::minutes(60 + rng.next(700 * 24 * 60) as i64));
            add_encounter(services, &mut tx, &ctx, rng, &mut rows, id, None, None, at, "telephone", now).await;
        }

        // Problems.
        let problems = if heavy { 3 + rng.next(4) } else { [0, 0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 3][rng.next(12)] };
        for _ in 0..problems {
            let code = *rng.pick(PROBLEMS);
            let title = icd10::lookup(code).map(|c| c.title).unwrap_or("Problem");
            let pid = Uuid::now_v7();
            let notes = match rng.chance(30) {
                true => Some(seal(services, &mut tx, &ctx, "problems", "notes", pid, "Diagnosed elsewhere; confirmed on review.", now).await),
                false => None,
            };
            let at = DbTime::from(created.0 + Days::days(rng.next(900) as i64));
            let at = if at > now { created } else { at };
            let status = if rng.chance(75) { "active" } else { "resolved" };
            rows.problems.push(vec![
                V::U(clinic), V::U(pid), V::U(id), os(Some(code)), s(title), V::OD(Some(at.0.date_naive() - Days::days(30))),
                s(status), V::OB(notes), V::U(me), V::T(at), V::T(at),
            ]);
        }

        // Allergies: some recorded, some "no known allergies", the rest never asked.
        match rng.next(100) {
            0..=19 => {
                for _ in 0..1 + rng.next(2) {
                    let (substance, coded, reaction) = *rng.pick(ALLERGIES);
                    let aid = Uuid::now_v7();
                    let sealed = seal(services, &mut tx, &ctx, "allergies", "reaction", aid, reaction, now).await;
                    rows.allergies.push(vec![
                        V::U(clinic), V::U(aid), V::U(id), s(substance), os(coded), V::OB(Some(sealed)),
                        s(*rng.pick(SEVERITIES)), s(if rng.chance(80) { "allergy" } else { "intolerance" }), s("active"),
                        V::U(me), V::T(created),
                    ]);
                }
            }
            20..=64 => rows.no_known.push(vec![V::U(clinic), V::U(Uuid::now_v7()), V::U(id), V::U(me), V::T(created)]),
            _ => {}
        }

        // Medications.
        let meds = if heavy { 4 + rng.next(5) } else { [0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 3][rng.next(11)] };
        for _ in 0..meds {
            let (drug, strength, unit, dose, dose_unit, route, frequency) = *rng.pick(DRUGS);
            let mid = Uuid::now_v7();
            let instructions = match rng.chance(50) {
                true => Some(seal(services, &mut tx, &ctx, "medications", "instructions", mid, "Take with food.", now).await),
                false => None,
            };
            let start = DbTime::from(created.0 + Days::days(rng.next(900) as i64));
            let start = if start > now { created } else { start };
            let stopped = rng.chance(20);
            let end_reason = match stopped {
                true => Some(seal(services, &mut tx, &ctx, "medications", "end_reason", mid, "Course completed.", now).await),
                false => None,
            };
            rows.medications.push(vec![
                V::U(clinic), V::U(mid), V::U(id), s("prescribed"), s(drug), os(Some(strength)), os(Some(unit)), s(dose),
                s(dose_unit), s(route), s(frequency), V::OI32(Some(28)), V::OI32(Some(56)), V::I32(rng.next(3) as i32),
                V::D(start.0.date_naive()), V::OB(instructions), V::OB(None), V::OU(Some(me)), V::OU(None),
                s(if stopped { "stopped" } else { "active" }), V::OT(stopped.then(|| plus(start, 28 * 24 * 60).min(now))),
                V::OU(stopped.then_some(me)), V::OB(end_reason), V::U(me), V::T(start),
            ]);
        }
    }

    // The MRN counter continues after the seeded numbers.
    common::exec(&mut tx, "UPDATE clinics SET mrn_counter = $2 WHERE id = $1", &[V::U(clinic), V::I(settings.patients as i64)]).await;
    let count = rows.count();
    write_rows(&mut tx, &rows).await;
    tx.commit().await.expect("commit chart history");
    (Clinic { ctx, patients }, count)
}

#[allow(clippy::too_many_arguments)]
async fn add_encounter(
    services: &Services,
    tx: &mut Tx,
    ctx: &AuthContext,
    rng: &mut Lcg,
    rows: &mut Rows,
    patient: Uuid,
    practitioner: Option<Uuid>,
    appointment: Option<Uuid>,
    at: DbTime,
    kind: &str,
    now: DbTime,
) {
    let clinic = ctx.scope.clinic_id().as_uuid();
    let me = ctx.membership_id.as_uuid();
    let encounter = Uuid::now_v7();
    let signed = rng.chance(92);
    rows.encounters.push(vec![
        V::U(clinic), V::U(encounter), V::U(patient), V::OU(practitioner), V::OU(appointment), V::T(at), s(kind),
        s(if signed { "finished" } else { "in_progress" }), V::U(me), V::T(at),
    ]);
    let note = Uuid::now_v7();
    let (systolic, diastolic, pulse) = (105 + rng.next(60) as i32, 60 + rng.next(35) as i32, 55 + rng.next(45) as i32);
    let subjective = format!("Presents with {} for {} days. Sleeping and eating normally.", rng.pick(COMPLAINTS), 1 + rng.next(20));
    let objective = format!("BP {systolic}/{diastolic} mmHg, pulse {pulse}/min. {}", rng.pick(EXAMS));
    let assessment = icd10::lookup(*rng.pick(PROBLEMS)).map(|c| c.title.to_owned()).unwrap_or_default();
    let plan = format!("{}. Review in {} weeks.", rng.pick(PLANS), 2 + rng.next(10));
    let mut sealed = Vec::with_capacity(4);
    for (column, text) in [("subjective", &subjective), ("objective", &objective), ("assessment", &assessment), ("plan", &plan)] {
        sealed.push(seal(services, tx, ctx, "clinical_notes", column, note, text, now).await);
    }
    let signed_at = plus(at, 90).min(now);
    let mut sealed = sealed.into_iter();
    let mut next = || V::B(sealed.next().unwrap_or_default());
    rows.notes.push(vec![
        V::U(clinic), V::U(note), V::U(encounter), V::U(patient), V::OU(None), V::U(me), next(), next(), next(), next(),
        s(if signed { "signed" } else { "draft" }), V::OU(signed.then_some(me)), V::OT(signed.then_some(signed_at)), V::T(at),
        V::T(if signed { signed_at } else { at }),
    ]);
    if signed && rng.chance(2) {
        let amendment = Uuid::now_v7();
        let reason = seal(services, tx, ctx, "note_amendments", "reason", amendment, "Result received after signing", now).await;
        let body = seal(services, tx, ctx, "note_amendments", "body", amendment, "HbA1c 6.9%: continue metformin.", now).await;
        rows.amendments.push(vec![
            V::U(clinic), V::U(amendment), V::U(note), V::U(patient), V::U(me), V::B(reason), V::B(body), V::T(plus(signed_at, 3 * 24 * 60).min(now)),
        ]);
    }
    if kind == "consultation" && rng.chance(70) {
        let height = 1500 + rng.next(450) as i32;
        let weight = 45_000 + rng.next(60_000) as i32;
        let bmi = ambula_domain::vitals::bmi_tenths(Some(i64::from(weight)), Some(i64::from(height))).map(|b| b as i32);
        rows.vitals.push(vec![
            V::U(clinic), V::U(Uuid::now_v7()), V::U(patient), V::T(plus(at, 5)), V::U(me), V::OI32(Some(systolic)),
            V::OI32(Some(diastolic)), V::OI32(Some(pulse)), V::OI32(Some(362 + rng.next(10) as i32)), V::OI32(Some(12 + rng.next(8) as i32)),
            V::OI32(Some(94 + rng.next(7) as i32)), V::OI32(Some(height)), V::OI32(Some(weight)), V::OI32(bmi), V::T(plus(at, 5)),
        ]);
    }
}

async fn write_rows(tx: &mut Tx, rows: &Rows) {
    insert_rows(
        tx,
        "patients",
        &[
            "clinic_id", "id", "mrn", "given_name", "family_name", "date_of_birth", "phone", "email", "created_at", "updated_at",
            "restricted", "sex_at_birth", "address_line1", "city", "postcode", "country", "contact_email", "contact_sms",
            "consent_treatment_on", "active", "inactive_reason", "inactive_on", "family_key", "given_key", "preferred_key",
            "family_phonetic", "given_phonetic", "phone_rev", "email_key",
        ],
        &rows.patients,
    )
    .await;
    insert_rows(
        tx,
        "appointments",
        &[
            "clinic_id", "id", "patient_id", "practitioner_id", "type_id", "room_id", "series_id", "starts_at", "ends_at",
            "blocks_until", "status", "notes", "override_reason", "created_at", "updated_at", "version",
        ],
        &rows.appointments,
    )
    .await;
    insert_rows(
        tx,
        "encounters",
        &["clinic_id", "id", "patient_id", "practitioner_id", "appointment_id", "occurred_at", "kind", "status", "created_by", "created_at"],
        &rows.encounters,
    )
    .await;
    insert_rows(
        tx,
        "clinical_notes",
        &[
            "clinic_id", "id", "encounter_id", "patient_id", "template_id", "author_id", "subjective", "objective", "assessment",
            "plan", "status", "signed_by", "signed_at", "created_at", "updated_at",
        ],
        &rows.notes,
    )
    .await;
    insert_rows(
        tx,
        "note_amendments",
        &["clinic_id", "id", "note_id", "patient_id", "author_id", "reason", "body", "created_at"],
        &rows.amendments,
    )
    .await;
    insert_rows(
        tx,
        "vital_signs",
        &[
            "clinic_id", "id", "patient_id", "recorded_at", "recorded_by", "systolic_mmhg", "diastolic_mmhg", "pulse_bpm",
            "temperature_dc", "respiratory_rate", "spo2_pct", "height_mm", "weight_g", "bmi_dt", "created_at",
        ],
        &rows.vitals,
    )
    .await;
    insert_rows(
        tx,
        "problems",
        &["clinic_id", "id", "patient_id", "code", "description", "onset_date", "status", "notes", "recorded_by", "created_at", "updated_at"],
        &rows.problems,
    )
    .await;
    insert_rows(
        tx,
        "allergies",
        &["clinic_id", "id", "patient_id", "substance", "coded", "reaction", "severity", "kind", "status", "recorded_by", "recorded_at"],
        &rows.allergies,
    )
    .await;
    insert_rows(tx, "no_known_allergies", &["clinic_id", "id", "patient_id", "recorded_by", "recorded_at"], &rows.no_known).await;
    insert_rows(
        tx,
        "medications",
        &[
            "clinic_id", "id", "patient_id", "kind", "drug", "strength", "strength_unit", "dose", "dose_unit", "route", "frequency",
            "duration_days", "quantity", "refills", "start_date", "instructions", "allergy_ack", "prescriber_id", "replaces_id",
            "status", "ended_at", "ended_by", "end_reason", "created_by", "created_at",
        ],
        &rows.medications,
    )
    .await;
}

/// A name prefix as typed in the patient list's search box: the start of
/// a family name, or of a given name and a family name.
fn search_text(rng: &mut Lcg, p: &Patient) -> String {
    let cut = |name: &str, n: usize| name.chars().take(n).collect::<String>().to_lowercase();
    match rng.next(3) {
        0 => cut(p.family, 3 + rng.next(3)),
        1 => cut(p.family, 4 + rng.next(6)),
        _ => format!("{} {}", cut(p.given, 2 + rng.next(3)), cut(p.family, 3 + rng.next(3))),
    }
}

fn pick_patient<'a>(rng: &mut Lcg, c: &'a Clinic) -> &'a Patient {
    // One chart in five opened is a long one (chronic patients come often).
    let heavy = rng.chance(20);
    loop {
        let p = &c.patients[rng.next(c.patients.len())];
        if !p.restricted && (p.heavy == heavy || c.patients.len() < 50) {
            return p;
        }
    }
}

async fn run(kind: Kind, settings: &Settings) -> Vec<Figures> {
    let db = TestDb::new(kind).await;
    let mailer = Mailer::new(None, "bench@ambula.invalid").expect("mailer");
    let services = db.services(mailer);
    eprintln!("{kind:?}: database {} (removed at the end); load average before seeding {}", db.owner_url, common::load_average());
    let started = Instant::now();
    let mut rng = Lcg(7);
    let mut clinics = Vec::new();
    let mut rows = 0;
    for n in 0..settings.clinics {
        let (clinic, count) = seed_clinic(&services, n, settings, &mut rng).await;
        rows += count;
        clinics.push(clinic);
        if (n + 1) % 10 == 0 {
            eprintln!("{kind:?}: {} clinics seeded, {rows} rows, {:.0?}", n + 1, started.elapsed());
        }
    }
    common::analyze(kind, &db.owner_url).await;
    eprintln!(
        "{kind:?}: seeded {} clinics × {} patients, {rows} rows in {:.0?}; load average {}",
        settings.clinics,
        settings.patients,
        started.elapsed(),
        common::load_average()
    );

    let mut search = Figures::new("patient search (name prefix)");
    let mut open = Figures::new("chart open (header, allergy badge, summary: one call)");
    let mut first_page = Figures::new("timeline first page");
    let mut notes_tab = Figures::new("notes tab (all notes decrypted)");
    let mut encounter = Figures::new("new encounter (blank draft)");
    let mut save = Figures::new("save note (SOAP draft)");

    // Warm-up, untimed: connections and caches.
    for c in clinics.iter().take(3) {
        let p = c.patients[0].id.to_string();
        let form = RegistrySearchForm { q: "sil".into(), ..Default::default() };
        patients::search_registry(&services, &c.ctx, &form).await.expect("warm-up search");
        timeline::page(&services, &c.ctx, &TimelineForm { patient_id: p.clone(), ..Default::default() }).await.expect("warm-up timeline");
    }
    let mut rng = Lcg(42);
    let yesterday = (services.now().0.with_timezone(&ZONE.parse::<Tz>().expect("zone")).date_naive() - Days::days(1)).to_string();
    for i in 0..settings.samples {
        let c = &clinics[rng.next(clinics.len())];
        let p = &c.patients[rng.next(c.patients.len())];
        let form = RegistrySearchForm { q: search_text(&mut rng, p), ..Default::default() };
        let t = Instant::now();
        let found = patients::search_registry(&services, &c.ctx, &form).await.expect("search");
        search.samples.push(t.elapsed());
        if i == 0 {
            eprintln!("{kind:?}: search {:?} found {} patients", form.q, found.len());
        }

        let p = pick_patient(&mut rng, c);
        let id = p.id.to_string();
        let t = Instant::now();
        // What the chart page asks for before it shows anything: one call.
        opening::open(&services, &c.ctx, &id).await.expect("chart open");
        open.samples.push(t.elapsed());

        let t = Instant::now();
        let page = timeline::page(&services, &c.ctx, &TimelineForm { patient_id: id.clone(), ..Default::default() }).await.expect("timeline");
        first_page.samples.push(t.elapsed());
        assert!(p.heavy.then_some(page.items.len() == timeline::PAGE).unwrap_or(true), "a long history fills the first page");

        let t = Instant::now();
        notes::list(&services, &c.ctx, &id).await.expect("notes tab");
        notes_tab.samples.push(t.elapsed());

        let form = EncounterForm {
            patient_id: id.clone(),
            date: yesterday.clone(),
            time: format!("{:02}:{:02}", 9 + i % 8, (i * 7) % 60),
            kind: "consultation".into(),
            ..Default::default()
        };
        let t = Instant::now();
        let created = notes::create_encounter(&services, &c.ctx, &form).await.expect("encounter");
        encounter.samples.push(t.elapsed());
        let note_id = created.note.expect("a new encounter has a draft").id.to_string();
        let note = NoteForm {
            subjective: "Three days of productive cough and low-grade fever; no chest pain. Non-smoker. \
                         Taking paracetamol with some relief."
                .into(),
            objective: "T 37.9 °C, pulse 92/min, BP 128/82 mmHg, SpO2 97% on air. Coarse crackles at the right base, \
                        no wheeze. Throat mildly injected."
                .into(),
            assessment: "Community-acquired lower respiratory tract infection, CRB-65 score 0.".into(),
            plan: "Amoxicillin 500 mg three times daily for 5 days. Fluids, rest, paracetamol as needed. \
                   Safety-netting advice given; review in 48 h if not improving or sooner if breathless."
                .into(),
            ..Default::default()
        };
        let t = Instant::now();
        notes::save_draft(&services, &c.ctx, &note_id, &note).await.expect("save note");
        save.samples.push(t.elapsed());
    }
    eprintln!("{kind:?}: load average after the samples {}", common::load_average());
    services.db.close().await;
    common::cleanup(kind, db).await;
    vec![search, open, first_page, notes_tab, encounter, save]
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
        "Chart benchmark: {} clinics × {} patients with a chart history, {} practitioners per clinic, {} samples per operation\n",
        settings.clinics, settings.patients, settings.practitioners, settings.samples
    );
    common::print_header();
    for kind in &settings.backends {
        let figures = runtime.block_on(run(*kind, &settings));
        common::print_figures(*kind, &figures);
    }
}

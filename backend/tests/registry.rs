//! The patient registry on SQLite and PostgreSQL: demographics with every
//! field, guardians for minors, typo-tolerant search, the duplicate
//! warning, deactivation, merging, CSV import and export, the MRN counter,
//! and bad input that must change nothing.

use ambula_backend::{
    audit, on_tx,
    repo::registry::{NOT_REPOINTED, PATIENT_REFERENCES, PATIENT_SINGLETONS},
    services::{accounts, auth, chart::{notes, timeline}, documents, patients, registry, ClientInfo},
    AuthContext, Db, ServiceError, Services,
};
use ambula_domain::{
    accounts::{AcceptInviteForm, InviteForm, SignupForm},
    patients::PatientForm,
    registry::{DeactivateForm, MergeForm, RegistrySearchForm},
    PatientId,
};
use ambula_testkit::{Kind, SmtpSink, TestDb};
use chrono::Datelike;

ambula_testkit::on_both_backends!(
    registration_keeps_every_field_as_text,
    minors_need_a_guardian_who_receives_communications,
    bad_input_is_refused_and_changes_nothing,
    search_finds_typos_phones_dates_and_identifiers,
    duplicates_are_flagged_until_created_anyway,
    deactivated_records_leave_the_default_search,
    merge_moves_every_reference_and_keeps_history,
    merge_with_another_clinics_patient_is_404_and_changes_nothing,
    every_patient_reference_is_listed_for_merge,
    csv_import_reports_bad_rows_and_imports_all_or_nothing,
    csv_export_needs_permission_and_is_audited,
    mrn_counter_is_unique_under_concurrency_and_after_merges,
    a_minors_reminders_go_to_the_guardian,
);

struct Ctx {
    services: Services,
    owner_db: Db,
    kind: Kind,
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
    case(Ctx { services, owner_db: owner_db.clone(), kind, smtp }).await;
    owner_db.close().await;
    db.cleanup().await;
}

const PASSWORD: &str = "tide pools at dawn";
const MARKUP: &str = "<img src=x onerror=alert(1)>";

fn client() -> ClientInfo {
    ClientInfo { ip: Some("192.0.2.10".into()), user_agent: Some("registry-test".into()) }
}

async fn sign_up(ctx: &Ctx, clinic: &str, email: &str) -> AuthContext {
    let form = SignupForm {
        clinic_name: clinic.into(),
        time_zone: "Europe/Lisbon".into(),
        owner_name: "Ana Costa".into(),
        email: email.into(),
        password: PASSWORD.into(),
        confirm_adult: Some("on".into()),
    };
    let signed = accounts::sign_up(&ctx.services, &form, &client()).await.unwrap();
    auth::authenticate(&ctx.services, &signed.token).await.unwrap()
}

async fn join(ctx: &Ctx, owner: &AuthContext, email: &str, role: &str) -> AuthContext {
    let sent = accounts::invite(&ctx.services, owner, &InviteForm { email: email.into(), role: role.into() }).await.unwrap();
    let token = sent.link.rsplit('/').next().unwrap().to_owned();
    let form = AcceptInviteForm { token, name: "Staff Member".into(), password: PASSWORD.into(), ..Default::default() };
    let signed = accounts::accept_invite(&ctx.services, &form, &client()).await.unwrap();
    auth::authenticate(&ctx.services, &signed.token).await.unwrap()
}

fn adult(given: &str, family: &str) -> PatientForm {
    PatientForm { given_name: given.into(), family_name: family.into(), date_of_birth: "1984-03-12".into(), ..Default::default() }
}

fn field<T: std::fmt::Debug>(result: Result<T, ServiceError>, name: &str) -> String {
    match result {
        Err(ServiceError::Invalid(errors)) => errors.get(name).unwrap_or_else(|| panic!("no error at {name}: {errors:?}")).to_owned(),
        other => panic!("expected a field error at {name}, got {other:?}"),
    }
}

async fn create(ctx: &Ctx, who: &AuthContext, form: &PatientForm) -> PatientId {
    patients::create(&ctx.services, who, form).await.unwrap().id
}

async fn search(ctx: &Ctx, who: &AuthContext, q: &str, status: &str) -> Vec<patients::PatientListItem> {
    let form = RegistrySearchForm { q: q.into(), sort: String::new(), status: status.into() };
    patients::search_registry(&ctx.services, who, &form).await.unwrap()
}

fn names(items: &[patients::PatientListItem]) -> Vec<String> {
    items.iter().map(|i| i.name.clone().unwrap_or_else(|| format!("[{}]", i.mrn))).collect()
}

/// Rows of `sql` as the owner sees them (every clinic; behind the app's back).
async fn owner_count(ctx: &Ctx, sql: &str) -> i64 {
    let mut tx = ctx.owner_db.read().await.unwrap();
    let (n,): (i64,) = on_tx!(&mut tx, c => sqlx::query_as(sql).fetch_one(c).await).unwrap();
    n
}

async fn audit_actions(ctx: &Ctx, who: &AuthContext) -> Vec<(String, Option<String>, Option<String>)> {
    let mut tx = ctx.services.db.read_in(&who.scope).await.unwrap();
    audit::search(&mut tx, &who.scope, &audit::Filter { limit: 10_000, ..Default::default() })
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.action, e.patient_id.map(|p| p.to_string()), e.detail))
        .collect()
}

fn today() -> chrono::NaiveDate {
    // The clinic is in Lisbon (UTC or UTC+1): the same date but for an
    // hour around midnight, and the dates below keep well away from edges.
    chrono::Utc::now().date_naive()
}

fn full_form(text: &str) -> PatientForm {
    PatientForm {
        given_name: format!("Ana {text}"),
        family_name: format!("Silva {text}"),
        date_of_birth: "1984-03-12".into(),
        phone: "+351 912 345 678".into(),
        email: "ana.silva@mail.example".into(),
        restricted: None,
        preferred_name: format!("Aninha {text}"),
        sex_at_birth: "female".into(),
        gender_identity: format!("woman {text}"),
        preferred_language: format!("Portuguese {text}"),
        address_line1: format!("Rua das Flores 12 {text}"),
        address_line2: format!("3º Esq {text}"),
        city: format!("Lisboa {text}"),
        postcode: "1200-195".into(),
        country: format!("Portugal {text}"),
        national_id: "123 456 789".into(),
        insurance_id: "SNS-998877".into(),
        emergency_name: format!("João {text}"),
        emergency_relation: format!("husband {text}"),
        emergency_phone: "+351 913 000 111".into(),
        guardian_name: String::new(),
        guardian_relation: String::new(),
        guardian_phone: String::new(),
        guardian_email: String::new(),
        contact_email: Some("on".into()),
        contact_sms: None,
        consent_treatment_on: "2025-01-02".into(),
        consent_sharing_on: String::new(),
        create_anyway: None,
    }
}

async fn registration_keeps_every_field_as_text(ctx: Ctx) {
    let owner = sign_up(&ctx, "A", "a@a.example").await;
    let created = match registry::register(&ctx.services, &owner, &full_form(MARKUP)).await.unwrap() {
        registry::Registration::Created(view) => view,
        other => panic!("expected a new record, got {other:?}"),
    };
    assert_eq!(created.mrn, "P000001");
    let view = patients::get(&ctx.services, &owner, &created.id.to_string()).await.unwrap();
    let r = &view.record;
    // Markup is stored exactly as typed: the pages show it as text.
    assert_eq!(view.given_name, format!("Ana {MARKUP}"));
    assert_eq!(r.preferred_name.as_deref(), Some(format!("Aninha {MARKUP}").as_str()));
    assert_eq!(r.gender_identity.as_deref(), Some(format!("woman {MARKUP}").as_str()));
    assert_eq!(r.address_line2.as_deref(), Some(format!("3º Esq {MARKUP}").as_str()));
    assert_eq!(r.emergency_relation.as_deref(), Some(format!("husband {MARKUP}").as_str()));
    assert_eq!(r.sex_at_birth.as_deref(), Some("female"));
    assert_eq!(r.national_id.as_deref(), Some("123 456 789"));
    assert_eq!(r.consent_treatment_on, Some(chrono::NaiveDate::from_ymd_opt(2025, 1, 2).unwrap()));
    assert_eq!(r.consent_sharing_on, None);
    assert!(r.contact_email && !r.contact_sms && r.active);
    let years = ambula_domain::patients::age_in_years(view.date_of_birth, today());
    assert_eq!(view.age, format!("{years} years"));
    assert!(!view.minor);
    // Editing changes what was sent and keeps the MRN.
    let mut edit = full_form("plain");
    edit.city = "Porto".into();
    edit.national_id = String::new();
    let updated = patients::update(&ctx.services, &owner, &created.id.to_string(), &edit).await.unwrap();
    assert_eq!(updated.record.city.as_deref(), Some("Porto"));
    assert_eq!(updated.record.national_id, None);
    assert_eq!(updated.mrn, "P000001");
    let second = create(&ctx, &owner, &adult("Bruno", "Almeida")).await;
    let second = patients::get(&ctx.services, &owner, &second.to_string()).await.unwrap();
    assert_eq!(second.mrn, "P000002");
    let actions = audit_actions(&ctx, &owner).await;
    assert!(actions.iter().any(|(a, p, _)| a == "patient.create" && p.as_deref() == Some(&created.id.to_string())));
    assert!(actions.iter().any(|(a, p, _)| a == "patient.update" && p.as_deref() == Some(&created.id.to_string())));
}

async fn minors_need_a_guardian_who_receives_communications(ctx: Ctx) {
    let owner = sign_up(&ctx, "A", "a@a.example").await;
    let born = format!("{}-01-15", today().year() - 10);
    let child = PatientForm { date_of_birth: born.clone(), email: "kid@mail.example".into(), ..adult("Rita", "Costa") };
    let refused = patients::create(&ctx.services, &owner, &child).await;
    assert!(field(refused, "guardian_name").contains("under 18"));
    let no_relation = PatientForm { guardian_name: "Maria Costa".into(), guardian_phone: "+351 910 000 000".into(), ..child.clone() };
    assert!(field(patients::create(&ctx.services, &owner, &no_relation).await, "guardian_relation").contains("related"));
    let unreachable = PatientForm { guardian_name: "Maria Costa".into(), guardian_relation: "mother".into(), ..child.clone() };
    assert!(field(patients::create(&ctx.services, &owner, &unreachable).await, "guardian_phone").contains("phone number or an email"));
    assert_eq!(owner_count(&ctx, "SELECT COUNT(*) FROM patients").await, 0, "nothing saved");
    let with_guardian = PatientForm {
        guardian_name: "Maria Costa".into(),
        guardian_relation: "mother".into(),
        guardian_email: "maria@mail.example".into(),
        ..child
    };
    let id = create(&ctx, &owner, &with_guardian).await;
    let view = patients::get(&ctx.services, &owner, &id.to_string()).await.unwrap();
    assert!(view.minor);
    let years = ambula_domain::patients::age_in_years(view.date_of_birth, today());
    assert_eq!(view.age, format!("{years} years"));
    let mut tx = ctx.services.db.read_in(&owner.scope).await.unwrap();
    let contact = registry::contact_for_communications(&mut tx, &owner.scope, id, today()).await.unwrap().unwrap();
    drop(tx);
    assert!(contact.guardian);
    assert_eq!(contact.email.as_deref(), Some("maria@mail.example"), "the guardian, not the child, is written to");
    // An adult is their own contact.
    let grown = create(&ctx, &owner, &PatientForm { email: "ana@mail.example".into(), ..adult("Ana", "Lima") }).await;
    let mut tx = ctx.services.db.read_in(&owner.scope).await.unwrap();
    let contact = registry::contact_for_communications(&mut tx, &owner.scope, grown, today()).await.unwrap().unwrap();
    assert!(!contact.guardian);
    assert_eq!(contact.email.as_deref(), Some("ana@mail.example"));
}

async fn bad_input_is_refused_and_changes_nothing(ctx: Ctx) {
    let owner = sign_up(&ctx, "A", "a@a.example").await;
    let id = create(&ctx, &owner, &full_form("x")).await.to_string();
    let before = patients::get(&ctx.services, &owner, &id).await.unwrap().record;
    let huge = "x".repeat(1_000_000);
    let future = format!("{}-01-01", today().year() + 1);
    type Edit = fn(&mut PatientForm, &str);
    let cases: Vec<(&str, Edit)> = vec![
        ("given_name", |f, v| f.given_name = v.into()),
        ("family_name", |f, v| f.family_name = v.into()),
        ("preferred_name", |f, v| f.preferred_name = v.into()),
        ("gender_identity", |f, v| f.gender_identity = v.into()),
        ("preferred_language", |f, v| f.preferred_language = v.into()),
        ("address_line1", |f, v| f.address_line1 = v.into()),
        ("address_line2", |f, v| f.address_line2 = v.into()),
        ("city", |f, v| f.city = v.into()),
        ("postcode", |f, v| f.postcode = v.into()),
        ("country", |f, v| f.country = v.into()),
        ("national_id", |f, v| f.national_id = v.into()),
        ("insurance_id", |f, v| f.insurance_id = v.into()),
        ("emergency_name", |f, v| f.emergency_name = v.into()),
        ("emergency_relation", |f, v| f.emergency_relation = v.into()),
        ("phone", |f, v| f.phone = v.into()),
        ("email", |f, v| f.email = v.into()),
        ("sex_at_birth", |f, v| f.sex_at_birth = v.into()),
    ];
    for (name, edit) in &cases {
        let mut form = full_form("y");
        edit(&mut form, &huge);
        assert!(!field(patients::update(&ctx.services, &owner, &id, &form).await, name).is_empty(), "1 MB in {name}");
        let mut form = full_form("y");
        edit(&mut form, &huge);
        assert!(!field(patients::create(&ctx.services, &owner, &form).await, name).is_empty(), "1 MB in {name} (create)");
    }
    let mut form = full_form("y");
    form.date_of_birth = future.clone();
    assert!(field(patients::update(&ctx.services, &owner, &id, &form).await, "date_of_birth").contains("future"));
    form = full_form("y");
    form.consent_treatment_on = future;
    assert!(field(patients::update(&ctx.services, &owner, &id, &form).await, "consent_treatment_on").contains("future"));
    form = full_form("y");
    form.national_id = "<script>".into();
    assert!(!field(patients::update(&ctx.services, &owner, &id, &form).await, "national_id").is_empty());
    form = full_form("y");
    form.city = "Lis\u{202E}boa".into();
    assert!(field(patients::update(&ctx.services, &owner, &id, &form).await, "city").contains("cannot be displayed"));
    let after = patients::get(&ctx.services, &owner, &id).await.unwrap().record;
    assert_eq!(format!("{before:?}"), format!("{after:?}"), "the record is unchanged");
    assert_eq!(owner_count(&ctx, "SELECT COUNT(*) FROM patients").await, 1);
}

async fn search_finds_typos_phones_dates_and_identifiers(ctx: Ctx) {
    let owner = sign_up(&ctx, "A", "a@a.example").await;
    let silva = create(&ctx, &owner, &full_form("")).await;
    let okafor = create(&ctx, &owner, &PatientForm { phone: "+44 20 7946 0018".into(), ..adult("Chidi", "Okafor") }).await;
    create(&ctx, &owner, &PatientForm { date_of_birth: "1990-07-01".into(), ..adult("Bruno", "Costa") }).await;
    create(&ctx, &owner, &adult("Zoë", "Müller")).await;
    create(&ctx, &owner, &adult("Percy", "100% Real")).await;
    let other = sign_up(&ctx, "B", "b@b.example").await;
    create(&ctx, &other, &adult("Ana", "Silva")).await;
    let found = |items: Vec<patients::PatientListItem>| items.iter().map(|i| i.id).collect::<Vec<_>>();
    assert_eq!(found(search(&ctx, &owner, "Slva", "").await), vec![silva], "a dropped letter");
    assert_eq!(found(search(&ctx, &owner, "Okafro", "").await), vec![okafor], "swapped letters");
    assert_eq!(found(search(&ctx, &owner, "okaf", "").await), vec![okafor], "a prefix");
    assert_eq!(found(search(&ctx, &owner, "chidi okafro", "").await), vec![okafor], "two words");
    assert!(search(&ctx, &owner, "chidi costa", "").await.is_empty(), "every word must match");
    assert_eq!(names(&search(&ctx, &owner, "muller", "").await), vec!["Müller, Zoë"], "accents folded");
    assert_eq!(names(&search(&ctx, &owner, "Zoe", "").await), vec!["Müller, Zoë"]);
    assert_eq!(found(search(&ctx, &owner, "Aninha", "").await), vec![silva], "the preferred name");
    assert_eq!(found(search(&ctx, &owner, "912 345 678", "").await), vec![silva], "a phone without country code");
    assert_eq!(found(search(&ctx, &owner, "+442079460018", "").await), vec![okafor], "a phone written differently");
    assert_eq!(names(&search(&ctx, &owner, "1990-07-01", "").await), vec!["Costa, Bruno"], "date of birth");
    assert_eq!(found(search(&ctx, &owner, "p000001", "").await), vec![silva], "MRN");
    assert_eq!(found(search(&ctx, &owner, "123456789", "").await), vec![silva], "national id, spacing ignored");
    assert_eq!(found(search(&ctx, &owner, "sns998877", "").await), vec![silva], "insurance number");
    assert_eq!(found(search(&ctx, &owner, "ANA.SILVA@mail.example", "").await), vec![silva], "email");
    assert!(search(&ctx, &owner, "%", "").await.is_empty(), "% is not a wildcard");
    assert_eq!(search(&ctx, &owner, "100%", "").await.len(), 1);
    assert_eq!(search(&ctx, &owner, "", "").await.len(), 5, "only this clinic's records");
    assert!(search(&ctx, &owner, "xq", "").await.is_empty());
    // Restricted records are listed without their name to outsiders, in
    // one batch (the list has several).
    let mut hidden = adult("Vera", "Silvestre");
    hidden.restricted = Some("on".into());
    create(&ctx, &owner, &hidden).await;
    let doctor = join(&ctx, &owner, "d@a.example", "practitioner").await;
    let listed = search(&ctx, &doctor, "", "").await;
    assert_eq!(listed.iter().filter(|i| i.restricted && i.name.is_none()).count(), 1);
    assert_eq!(search(&ctx, &owner, "silvestre", "").await[0].name.as_deref(), Some("Silvestre, Vera"));
    let bad = RegistrySearchForm { q: "a".into(), sort: String::new(), status: "deleted".into() };
    assert!(field(patients::search_registry(&ctx.services, &owner, &bad).await, "status").contains("active"));
}

async fn duplicates_are_flagged_until_created_anyway(ctx: Ctx) {
    let owner = sign_up(&ctx, "A", "a@a.example").await;
    let first = create(&ctx, &owner, &full_form("")).await;
    let unrelated = create(&ctx, &owner, &adult("Bruno", "Almeida")).await;
    for (label, form) in [
        ("similar name, same birth date", PatientForm { ..adult("Ana", "Slva") }),
        ("same phone", PatientForm { phone: "+351912345678".into(), date_of_birth: "1999-09-09".into(), ..adult("Someone", "Else") }),
        ("same email", PatientForm { email: "Ana.Silva@mail.example".into(), date_of_birth: "1999-09-09".into(), ..adult("X", "Y") }),
        ("same national id", PatientForm { national_id: "123456789".into(), date_of_birth: "1999-09-09".into(), ..adult("X", "Y") }),
    ] {
        match registry::register(&ctx.services, &owner, &form).await.unwrap() {
            registry::Registration::PossibleDuplicates(candidates) => {
                assert_eq!(candidates.iter().map(|c| c.id).collect::<Vec<_>>(), vec![first], "{label}");
                assert!(!candidates[0].reasons.is_empty());
            }
            other => panic!("{label}: expected a warning, got {other:?}"),
        }
    }
    assert_eq!(owner_count(&ctx, "SELECT COUNT(*) FROM patients").await, 2, "nothing saved on a warning");
    let anyway = PatientForm { create_anyway: Some("on".into()), ..adult("Ana", "Slva") };
    let created = match registry::register(&ctx.services, &owner, &anyway).await.unwrap() {
        registry::Registration::Created(view) => view.id,
        other => panic!("expected a record, got {other:?}"),
    };
    assert!(![first, unrelated].contains(&created));
    // A different person with the same birth date is not a duplicate.
    let different = PatientForm { ..adult("Carla", "Mendes") };
    assert!(matches!(registry::register(&ctx.services, &owner, &different).await.unwrap(), registry::Registration::Created(_)));
    let actions = audit_actions(&ctx, &owner).await;
    assert!(actions.iter().any(|(a, p, _)| a == "patient.duplicate_check" && p.as_deref() == Some(&first.to_string())));
}

async fn deactivated_records_leave_the_default_search(ctx: Ctx) {
    let owner = sign_up(&ctx, "A", "a@a.example").await;
    let id = create(&ctx, &owner, &adult("Ana", "Silva")).await;
    let raw = id.to_string();
    let form = |reason: &str, date: &str| DeactivateForm { patient_id: raw.clone(), reason: reason.into(), date: date.into(), note: MARKUP.into() };
    assert!(field(registry::deactivate(&ctx.services, &owner, &form("deceased", "")).await, "date").contains("death"));
    assert!(field(registry::deactivate(&ctx.services, &owner, &form("deceased", "1900-01-01")).await, "date").contains("birth"));
    assert!(field(registry::deactivate(&ctx.services, &owner, &form("merged", "")).await, "reason").contains("Choose"));
    assert!(search(&ctx, &owner, "silva", "").await.len() == 1, "still active after refusals");
    let view = registry::deactivate(&ctx.services, &owner, &form("deceased", "2025-06-01")).await.unwrap();
    assert!(!view.record.active);
    assert_eq!(view.record.inactive_reason.as_deref(), Some("deceased"));
    assert_eq!(view.record.inactive_note.as_deref(), Some(MARKUP));
    assert!(search(&ctx, &owner, "silva", "").await.is_empty(), "hidden by default");
    assert_eq!(search(&ctx, &owner, "silva", "inactive").await.len(), 1);
    assert_eq!(search(&ctx, &owner, "", "all").await.len(), 1);
    let back = registry::reactivate(&ctx.services, &owner, &raw).await.unwrap();
    assert!(back.record.active && back.record.inactive_reason.is_none());
    assert_eq!(search(&ctx, &owner, "silva", "").await.len(), 1);
    let billing = join(&ctx, &owner, "bill@a.example", "billing").await;
    assert!(matches!(registry::deactivate(&ctx.services, &billing, &form("moved", "")).await, Err(ServiceError::Forbidden)));
    let actions = audit_actions(&ctx, &owner).await;
    assert!(actions.iter().any(|(a, _, d)| a == "patient.deactivate" && d.as_deref().is_some_and(|d| d.contains("Deceased"))));
    assert!(actions.iter().any(|(a, _, _)| a == "patient.reactivate"));
}

/// An issued invoice row for `patient`, written directly.
async fn add_invoice(ctx: &Ctx, who: &AuthContext, patient: PatientId, number: i64) {
    let mut tx = ctx.services.db.write_in(&who.scope).await.unwrap();
    let now = ctx.services.now();
    on_tx!(&mut tx, c => sqlx::query(
        "INSERT INTO invoices (clinic_id, id, patient_id, number, currency, subtotal_minor, tax_minor, total_minor, status, issued_at, created_at)
         VALUES ($1, $2, $3, $4, 'EUR', 1000, 0, 1000, 'issued', $5, $5)",
    )
    .bind(who.scope.clinic_id().as_uuid())
    .bind(uuid::Uuid::now_v7())
    .bind(patient.as_uuid())
    .bind(number)
    .bind(now)
    .execute(c)
    .await.map(|_| ())).unwrap();
    tx.commit().await.unwrap();
}

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

async fn merge_moves_every_reference_and_keeps_history(ctx: Ctx) {
    let owner = sign_up(&ctx, "A", "a@a.example").await;
    let survivor = create(&ctx, &owner, &adult("Ana", "Silva")).await;
    let duplicate = create(&ctx, &owner, &PatientForm { phone: "+351 910 000 001".into(), national_id: "AB-1".into(), ..adult("Ana", "Slva") }).await;
    add_invoice(&ctx, &owner, duplicate, 1).await;
    add_invoice(&ctx, &owner, survivor, 2).await;
    documents::upload(&ctx.services, &owner, &duplicate.to_string(), "scan.pdf", PDF).await.unwrap();
    let visit = ambula_domain::chart::encounters::EncounterForm {
        patient_id: duplicate.to_string(),
        date: "2025-03-01".into(),
        time: "09:30".into(),
        kind: "consultation".into(),
        ..Default::default()
    };
    let visit = notes::create_encounter(&ctx.services, &owner, &visit).await.unwrap().id;
    let form = |s: PatientId, d: PatientId, confirm: bool| MergeForm {
        survivor_id: s.to_string(),
        duplicate_id: d.to_string(),
        confirm: confirm.then(|| "on".into()),
    };
    assert!(field(registry::merge(&ctx.services, &owner, &form(survivor, duplicate, false)).await, "confirm").contains("same person"));
    assert!(field(registry::merge(&ctx.services, &owner, &form(survivor, survivor, true)).await, "duplicate_id").contains("different"));
    let merged = registry::merge(&ctx.services, &owner, &form(survivor, duplicate, true)).await.unwrap();
    assert_eq!(merged.id, survivor);
    assert_eq!(merged.record.phone.as_deref(), Some("+351 910 000 001"), "the survivor's gaps are filled");
    assert_eq!(merged.record.national_id.as_deref(), Some("AB-1"));
    let count = |table: &'static str, patient: PatientId| {
        let (ctx, owner) = (&ctx, &owner);
        async move {
            let mut tx = ctx.services.db.read_in(&owner.scope).await.unwrap();
            let sql = format!("SELECT COUNT(*) FROM {table} WHERE clinic_id = $1 AND patient_id = $2");
            let (n,): (i64,) = on_tx!(&mut tx, c => sqlx::query_as(&sql)
                .bind(owner.scope.clinic_id().as_uuid())
                .bind(patient.as_uuid())
                .fetch_one(c)
                .await).unwrap();
            n
        }
    };
    // Issued invoices are final (the database refuses to change their
    // patient): they stay with the merged record, which is kept.
    assert_eq!(count("invoices", survivor).await, 1);
    assert_eq!(count("invoices", duplicate).await, 1);
    assert_eq!(count("documents", survivor).await, 1);
    assert_eq!(count("documents", duplicate).await, 0);
    let old = patients::get(&ctx.services, &owner, &duplicate.to_string()).await.unwrap();
    assert!(!old.record.active);
    assert_eq!(old.record.inactive_reason.as_deref(), Some("merged"));
    assert_eq!(old.record.merged_into, Some(survivor.as_uuid()), "kept for history, pointing at the survivor");
    // And the survivor's chart points back at it, where its invoices are.
    let kept = patients::get(&ctx.services, &owner, &survivor.to_string()).await.unwrap();
    assert_eq!(kept.merged_from, vec![(duplicate, old.mrn.clone())]);
    // The duplicate's encounter stays on it (with its note) but is on the
    // survivor's timeline, marked with the record it is kept on.
    assert_eq!(count("encounters", duplicate).await, 1);
    let page = timeline::page(&ctx.services, &owner, &ambula_domain::chart::timeline::TimelineForm { patient_id: survivor.to_string(), ..Default::default() }).await.unwrap();
    let item = page.items.iter().find(|i| i.kind == "encounter").expect("the merged record's encounter on the survivor's timeline");
    assert_eq!(item.id, visit.as_uuid());
    assert_eq!(item.merged_record, Some((duplicate.as_uuid(), old.mrn.clone())));
    assert!(page.items.iter().filter(|i| i.kind == "document").all(|i| i.merged_record.is_none()), "moved rows are the survivor's own");
    assert_eq!(page.items.iter().filter(|i| i.kind == "document").count(), 1);
    // The duplicate's own timeline still has it, as its own.
    let own = timeline::page(&ctx.services, &owner, &ambula_domain::chart::timeline::TimelineForm { patient_id: duplicate.to_string(), ..Default::default() }).await.unwrap();
    assert!(own.items.iter().any(|i| i.id == visit.as_uuid() && i.merged_record.is_none()));
    assert!(search(&ctx, &owner, "slva", "").await.iter().all(|i| i.id != duplicate), "hidden from the default search");
    assert!(field(registry::merge(&ctx.services, &owner, &form(survivor, duplicate, true)).await, "duplicate_id").contains("already"));
    assert!(field(registry::reactivate(&ctx.services, &owner, &duplicate.to_string()).await, "patient_id").contains("merged"));
    let actions = audit_actions(&ctx, &owner).await;
    assert!(actions.iter().any(|(a, p, d)| a == "patient.merge" && p.as_deref() == Some(&survivor.to_string())
        && d.as_deref().is_some_and(|d| d.contains("documents 1"))));
    assert!(actions.iter().any(|(a, p, _)| a == "patient.merged" && p.as_deref() == Some(&duplicate.to_string())));
}

async fn merge_with_another_clinics_patient_is_404_and_changes_nothing(ctx: Ctx) {
    let a = sign_up(&ctx, "A", "a@a.example").await;
    let b = sign_up(&ctx, "B", "b@b.example").await;
    let mine = create(&ctx, &a, &adult("Ana", "Silva")).await;
    let theirs = create(&ctx, &b, &adult("Ana", "Silva")).await;
    add_invoice(&ctx, &b, theirs, 1).await;
    for (s, d) in [(mine, theirs), (theirs, mine)] {
        let form = MergeForm { survivor_id: s.to_string(), duplicate_id: d.to_string(), confirm: Some("on".into()) };
        assert!(matches!(registry::merge(&ctx.services, &a, &form).await, Err(ServiceError::NotFound)));
    }
    let form = DeactivateForm { patient_id: theirs.to_string(), reason: "moved".into(), ..Default::default() };
    assert!(matches!(registry::deactivate(&ctx.services, &a, &form).await, Err(ServiceError::NotFound)));
    assert!(matches!(registry::reactivate(&ctx.services, &a, &theirs.to_string()).await, Err(ServiceError::NotFound)));
    let theirs_now = patients::get(&ctx.services, &b, &theirs.to_string()).await.unwrap();
    assert!(theirs_now.record.active && theirs_now.record.merged_into.is_none());
    let mine_now = patients::get(&ctx.services, &a, &mine.to_string()).await.unwrap();
    assert!(mine_now.record.active && mine_now.record.merged_into.is_none());
    assert_eq!(owner_count(&ctx, "SELECT COUNT(*) FROM invoices").await, 1);
    assert_eq!(owner_count(&ctx, "SELECT COUNT(*) FROM patients WHERE merged_into IS NOT NULL").await, 0);
    let denied = audit_actions(&ctx, &a).await;
    assert!(denied.iter().filter(|(a, _, _)| a == "patient.merge").count() >= 2, "each attempt is in A's trail");
    // The database refuses a cross-clinic merge pointer too.
    let mut tx = ctx.owner_db.write().await.unwrap();
    let forged = on_tx!(&mut tx, c => sqlx::query("UPDATE patients SET merged_into = $1 WHERE id = $2")
        .bind(theirs.as_uuid())
        .bind(mine.as_uuid())
        .execute(c)
        .await.map(|r| r.rows_affected()));
    assert!(forged.is_err(), "merged_into must stay inside the clinic");
}

/// Every table with a `patient_id` column is either re-pointed by a merge
/// or deliberately left alone: a new table referencing patients must be
/// added to `repo::registry::PATIENT_REFERENCES`.
async fn every_patient_reference_is_listed_for_merge(ctx: Ctx) {
    let mut tx = ctx.owner_db.read().await.unwrap();
    let tables: Vec<String> = match &mut tx {
        ambula_backend::db::Tx::Sqlite(t) => {
            let names: Vec<(String,)> = sqlx::query_as(
                "SELECT m.name FROM sqlite_master m JOIN pragma_table_info(m.name) p
                 WHERE m.type = 'table' AND p.name = 'patient_id' ORDER BY 1",
            )
            .fetch_all(&mut **t)
            .await
            .unwrap();
            names.into_iter().map(|n| n.0).collect()
        }
        ambula_backend::db::Tx::Postgres(t) => {
            let names: Vec<(String,)> = sqlx::query_as(
                "SELECT c.table_name::text FROM information_schema.columns c
                 JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
                 WHERE c.table_schema = 'public' AND c.column_name = 'patient_id' AND t.table_type = 'BASE TABLE' ORDER BY 1",
            )
            .fetch_all(&mut **t)
            .await
            .unwrap();
            names.into_iter().map(|n| n.0).collect()
        }
    };
    assert!(tables.contains(&"appointments".to_owned()), "{:?}: {tables:?}", ctx.kind);
    let unlisted: Vec<&String> =
        tables.iter().filter(|t| !PATIENT_REFERENCES.contains(&t.as_str()) && !PATIENT_SINGLETONS.contains(&t.as_str()) && !NOT_REPOINTED.contains(&t.as_str())).collect();
    assert!(unlisted.is_empty(), "tables referencing patients that a merge would not re-point: {unlisted:?}");
}

async fn csv_import_reports_bad_rows_and_imports_all_or_nothing(ctx: Ctx) {
    let owner = sign_up(&ctx, "A", "a@a.example").await;
    let future = format!("{}-01-01", today().year() + 1);
    let bad = format!(
        "given_name,family_name,date_of_birth,phone,email,contact_sms\r\n\
         Ana,Silva,1984-03-12,+351 912 345 678,ana@mail.example,yes\r\n\
         \"{q}\",\"Costa, Jr\",{future},,,no\r\n\
         Bruno,Almeida,1990-02-30,,not-an-email,maybe\r\n\
         Carla,\"Mendes\nSecond line\",1970-01-01,,,\r\n",
        q = MARKUP.replace('"', "\"\"")
    );
    let report = registry::import(&ctx.services, &owner, &bad, true).await.unwrap();
    // A value the file's structure cannot carry (yes/no) is reported at
    // its line and column before any row is checked further.
    let at = |line: usize, field: &str| report.problems.iter().any(|p| p.line == line && p.field == field);
    assert!(at(4, "contact_sms"), "{:?}", report.problems);
    assert_eq!(report.imported, 0);
    assert_eq!(owner_count(&ctx, "SELECT COUNT(*) FROM patients").await, 0);
    // Field-level problems once the structure is right.
    let bad_values = format!(
        "given_name,family_name,date_of_birth,email\r\n\
         Ana,Silva,1984-03-12,ana@mail.example\r\n\
         \"{q}\",\"Costa, Jr\",{future},\r\n\
         Bruno,Almeida,1990-02-30,not-an-email\r\n\
         Carla,\"Mendes\nSecond line\",1970-01-01,\r\n",
        q = MARKUP.replace('"', "\"\"")
    );
    for dry_run in [true, false] {
        let report = registry::import(&ctx.services, &owner, &bad_values, dry_run).await.unwrap();
        let at = |line: usize, field: &str| report.problems.iter().any(|p| p.line == line && p.field == field);
        assert_eq!(report.rows, 4);
        assert!(at(3, "date_of_birth"), "future birth date at line 3: {:?}", report.problems);
        assert!(at(4, "date_of_birth") && at(4, "email"), "{:?}", report.problems);
        assert!(at(5, "family_name"), "a line break in a name (line 5): {:?}", report.problems);
        assert_eq!(report.problems.len(), 4, "{:?}", report.problems);
        assert_eq!(report.imported, 0);
        assert_eq!(owner_count(&ctx, "SELECT COUNT(*) FROM patients").await, 0, "nothing half-imported");
    }
    let unknown = registry::import(&ctx.services, &owner, "given_name,family_name,date_of_birth,religion\nA,B,1980-01-01,x\n", false).await.unwrap();
    assert_eq!((unknown.problems[0].line, unknown.problems[0].field.as_str()), (1, "religion"));
    let good = format!(
        "given_name,family_name,date_of_birth,email,national_id\r\n\
         Ana,Silva,1984-03-12,ana@mail.example,111\r\n\
         \"{q}\",\"Costa, Jr\",1979-05-05,,\r\n",
        q = MARKUP.replace('"', "\"\"")
    );
    let dry = registry::import(&ctx.services, &owner, &good, true).await.unwrap();
    assert!(dry.problems.is_empty() && dry.imported == 0 && dry.rows == 2);
    assert_eq!(owner_count(&ctx, "SELECT COUNT(*) FROM patients").await, 0, "a dry run imports nothing");
    let done = registry::import(&ctx.services, &owner, &good, false).await.unwrap();
    assert_eq!(done.imported, 2);
    let listed = search(&ctx, &owner, "", "").await;
    assert_eq!(names(&listed), vec![format!("Costa, Jr, {MARKUP}"), "Silva, Ana".to_owned()]);
    assert_eq!(search(&ctx, &owner, "111", "").await.len(), 1, "identifiers imported and searchable");
    let desk = join(&ctx, &owner, "desk@a.example", "billing").await;
    assert!(matches!(registry::import(&ctx.services, &desk, &good, true).await, Err(ServiceError::Forbidden)));
    let huge = format!("given_name,family_name,date_of_birth\n{}", "Ana,Silva,1984-03-12\n".repeat(20_000));
    let too_big = registry::import(&ctx.services, &owner, &huge, false).await.unwrap();
    assert!(too_big.problems[0].reason.contains("larger"));
    let actions = audit_actions(&ctx, &owner).await;
    assert_eq!(actions.iter().filter(|(a, p, _)| a == "patient.import" && p.is_some()).count(), 2, "each imported record audited");
}

async fn csv_export_needs_permission_and_is_audited(ctx: Ctx) {
    let owner = sign_up(&ctx, "A", "a@a.example").await;
    let ana = create(&ctx, &owner, &full_form(MARKUP)).await;
    let mut hidden = adult("Vera", "Private");
    hidden.restricted = Some("on".into());
    create(&ctx, &owner, &hidden).await;
    let csv = registry::export(&ctx.services, &owner).await.unwrap();
    let records = ambula_domain::registry::csv::parse_records(&csv).unwrap();
    assert_eq!(records.len(), 3, "header and two records");
    assert_eq!(records[0].fields[0], "mrn");
    assert_eq!(records[1].fields[1], format!("Ana {MARKUP}"), "text exported as it is");
    assert!(records[1].fields.contains(&"+351 912 345 678".to_owned()));
    // The export re-imports (without the export-only columns).
    let nurse = join(&ctx, &owner, "nurse@a.example", "nurse").await;
    assert!(matches!(registry::export(&ctx.services, &nurse).await, Err(ServiceError::Forbidden)));
    let admin = join(&ctx, &owner, "admin@a.example", "admin").await;
    let admins = registry::export(&ctx.services, &admin).await.unwrap();
    assert_eq!(ambula_domain::registry::csv::parse_records(&admins).unwrap().len(), 2, "the restricted record is left out for a non-member");
    let actions = audit_actions(&ctx, &owner).await;
    assert!(actions.iter().any(|(a, p, _)| a == "patient.export" && p.as_deref() == Some(&ana.to_string())));
    assert!(actions.iter().any(|(a, p, d)| a == "patient.export" && p.is_none() && d.as_deref().is_some_and(|d| d.contains("1 restricted left out"))));
}

async fn mrn_counter_is_unique_under_concurrency_and_after_merges(ctx: Ctx) {
    let owner = sign_up(&ctx, "A", "a@a.example").await;
    let mut handles = Vec::new();
    for n in 0..8 {
        let (services, owner) = (ctx.services.clone(), owner.clone());
        handles.push(tokio::spawn(async move {
            let form = PatientForm { given_name: format!("Person{n}"), family_name: "Parallel".into(), date_of_birth: "1980-01-01".into(), ..Default::default() };
            patients::create(&services, &owner, &form).await.unwrap().mrn
        }));
    }
    let mut mrns = Vec::new();
    for handle in handles {
        mrns.push(handle.await.unwrap());
    }
    mrns.sort();
    mrns.dedup();
    assert_eq!(mrns.len(), 8, "distinct numbers: {mrns:?}");
    let listed = search(&ctx, &owner, "parallel", "").await;
    let (a, b) = (listed[0].id, listed[1].id);
    let form = MergeForm { survivor_id: a.to_string(), duplicate_id: b.to_string(), confirm: Some("on".into()) };
    registry::merge(&ctx.services, &owner, &form).await.unwrap();
    // COUNT(*) would now be 8 again and hand out P000008 twice.
    let next = patients::create(&ctx.services, &owner, &adult("After", "Merge")).await.unwrap();
    assert_eq!(next.mrn, "P000009");
}

/// The delivery loop writes to a minor's guardian, not to the child.
async fn a_minors_reminders_go_to_the_guardian(ctx: Ctx) {
    use ambula_backend::{
        repo,
        services::{
            reminders::{delivery::run_once, DeliverySettings},
            scheduling::{booking, setup},
        },
    };
    use ambula_domain::scheduling::{AppointmentTypeForm, BookingForm, WeeklyHoursForm};
    let s = &ctx.services;
    let owner = sign_up(&ctx, "A", "a@a.example").await;
    let mut tx = s.db.write_in(&owner.scope).await.unwrap();
    let doctor = repo::practitioners::insert(&mut tx, &owner.scope, None, "Dr Silva", None, "#1d4ed8", s.now()).await.unwrap();
    tx.commit().await.unwrap();
    let all = "07:00-21:00".to_owned();
    let hours = WeeklyHoursForm {
        hours_mon: all.clone(), hours_tue: all.clone(), hours_wed: all.clone(), hours_thu: all.clone(),
        hours_fri: all.clone(), hours_sat: all.clone(), hours_sun: all,
    };
    setup::set_practitioner_hours(s, &owner, &doctor.to_string(), &hours).await.unwrap();
    let kind = AppointmentTypeForm { name: "Check-up".into(), duration_minutes: "15".into(), colour: "#3366cc".into(), ..Default::default() };
    let kind = setup::create_type(s, &owner, &kind, &[]).await.unwrap().id;
    let child = PatientForm {
        date_of_birth: format!("{}-02-02", today().year() - 9),
        email: "kid@mail.example".into(),
        guardian_name: "Maria Costa".into(),
        guardian_relation: "mother".into(),
        guardian_email: "maria@mail.example".into(),
        ..adult("Rita", "Costa")
    };
    let child = create(&ctx, &owner, &child).await;
    let grown = create(&ctx, &owner, &PatientForm { email: "ana@mail.example".into(), ..adult("Ana", "Lima") }).await;
    let date = (s.now().0 + chrono::Duration::days(3)).date_naive();
    for (patient, time) in [(child, "10:00"), (grown, "10:30")] {
        let form = BookingForm {
            patient_id: patient.to_string(),
            practitioner_id: doctor.to_string(),
            type_id: kind.to_string(),
            date: date.format("%Y-%m-%d").to_string(),
            time: time.into(),
            ..Default::default()
        };
        booking::book(s, &owner, &form, None).await.unwrap();
    }
    // The clinic's default reminder is by email a day before: move the
    // clock past both reminders' due time, still before the appointments.
    s.clock.advance(std::time::Duration::from_secs(2 * 24 * 3600 + 12 * 3600));
    let settings = DeliverySettings {
        poll: std::time::Duration::from_millis(50),
        lease: std::time::Duration::from_secs(60),
        first_retry: std::time::Duration::from_millis(200),
        max_attempts: 3,
    };
    let (_stop_tx, stop) = tokio::sync::watch::channel(false);
    run_once(s, &settings, &stop).await.unwrap();
    let mut to: Vec<String> = ctx.smtp.messages().into_iter().flat_map(|m| m.to).map(|t| t.trim_matches(['<', '>']).to_owned()).collect();
    to.sort();
    assert_eq!(to, vec!["ana@mail.example".to_owned(), "maria@mail.example".to_owned()], "the guardian, not the child");
}

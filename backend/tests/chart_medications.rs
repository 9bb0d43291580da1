//! The chart's medications tab against real databases, every case on
//! SQLite and PostgreSQL: the allergy warning and its audited
//! acknowledgement, stop and change keeping history, the Prescribe
//! permission, another clinic's records (404, unchanged, audited),
//! restricted records, encryption at rest, bad input that changes nothing,
//! and the printed prescription and referral letter.

use ambula_backend::{
    on_tx,
    services::{
        accounts, auth,
        medications::{allergies, immunizations, overview, prescriptions, printouts, referrals},
        chart::{opening, summary},
        patients, ClientInfo,
    },
    AuthContext, Db, ServiceError, Services,
};
use ambula_domain::{
    accounts::{AcceptInviteForm, InviteForm, SignupForm},
    medications::{AllergyForm, ImmunizationForm, MedicationForm, ReferralForm, StopForm},
    patients::PatientForm,
};
use ambula_testkit::{Kind, SmtpSink, TestDb};

ambula_testkit::on_both_backends!(
    the_allergy_warning_needs_an_acknowledgement_which_is_audited,
    no_known_allergies_is_explicit_and_ends_with_an_allergy,
    stop_and_change_keep_the_history,
    only_owners_and_practitioners_prescribe,
    another_clinics_records_are_404_unchanged_and_audited,
    restricted_records_stay_with_their_care_team,
    clinical_text_is_encrypted_at_rest,
    bad_input_is_refused_at_the_field_and_changes_nothing,
    prescriptions_and_referral_letters_print_as_audited_pdfs,
    immunizations_and_referrals_are_listed,
    the_chart_summary_pdf_lists_allergies_and_current_medicines,
    opening_a_chart_reads_record_and_badge_in_one_audited_call,
);

struct Ctx {
    services: Services,
    owner_db: Db,
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
    case(Ctx { services, owner_db: owner_db.clone() }).await;
    owner_db.close().await;
    db.cleanup().await;
}

const PASSWORD: &str = "tide pools at dawn";

fn client() -> ClientInfo {
    ClientInfo { ip: Some("192.0.2.20".into()), user_agent: Some("meds-test".into()) }
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
    let form = AcceptInviteForm { token, name: format!("Staff {role}"), password: PASSWORD.into(), ..Default::default() };
    let signed = accounts::accept_invite(&ctx.services, &form, &client()).await.unwrap();
    auth::authenticate(&ctx.services, &signed.token).await.unwrap()
}

async fn patient(ctx: &Ctx, who: &AuthContext, restricted: bool) -> String {
    let form = PatientForm {
        given_name: "Rita".into(),
        family_name: "Lopes".into(),
        date_of_birth: "1979-06-02".into(),
        restricted: restricted.then(|| "on".to_owned()),
        ..Default::default()
    };
    patients::create(&ctx.services, who, &form).await.unwrap().id.to_string()
}

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

fn penicillin() -> AllergyForm {
    AllergyForm { substance: "Penicillin".into(), coded: String::new(), reaction: "Hives and wheeze".into(), severity: "severe".into(), kind: "allergy".into() }
}

fn amoxicillin() -> MedicationForm {
    MedicationForm {
        drug: "Amoxicillin".into(),
        strength: "500".into(),
        strength_unit: "mg".into(),
        dose: "1".into(),
        dose_unit: "capsule".into(),
        route: "oral".into(),
        frequency: "three_times_daily".into(),
        duration_days: "7".into(),
        quantity: "21".into(),
        refills: "0".into(),
        start_date: today().to_string(),
        instructions: "Take with food.".into(),
        ..Default::default()
    }
}

fn paracetamol() -> MedicationForm {
    MedicationForm { drug: "Paracetamol".into(), strength: "1".into(), strength_unit: "g".into(), dose_unit: "tablet".into(), frequency: "four_times_daily".into(), instructions: String::new(), ..amoxicillin() }
}

fn field<T: std::fmt::Debug>(result: Result<T, ServiceError>, name: &str) -> String {
    match result {
        Err(ServiceError::Invalid(errors)) => errors.get(name).unwrap_or_else(|| panic!("no error at {name}: {errors:?}")).to_owned(),
        other => panic!("expected a field error at {name}, got {other:?}"),
    }
}

async fn count(ctx: &Ctx, sql: &str) -> i64 {
    let mut tx = ctx.owner_db.read().await.unwrap();
    let (n,): (i64,) = on_tx!(&mut tx, c => sqlx::query_as(sql).fetch_one(c).await).unwrap();
    n
}

async fn audited(ctx: &Ctx, action: &str, outcome: &str) -> i64 {
    count(ctx, &format!("SELECT COUNT(*) FROM audit_events WHERE action = '{action}' AND outcome = '{outcome}'")).await
}

async fn the_allergy_warning_needs_an_acknowledgement_which_is_audited(ctx: Ctx) {
    let owner = sign_up(&ctx, "Harbour", "owner@harbour.example").await;
    let p = patient(&ctx, &owner, false).await;
    allergies::add(&ctx.services, &owner, &p, &penicillin()).await.unwrap();

    // Amoxicillin is a penicillin: the warning is at the drug field.
    let warned = prescriptions::prescribe(&ctx.services, &owner, &p, &amoxicillin()).await;
    let message = field(warned, "drug");
    assert!(message.contains("Penicillin") && message.contains("penicillins"), "{message}");
    let again = prescriptions::prescribe(&ctx.services, &owner, &p, &amoxicillin()).await;
    assert!(field(again, "allergy_ack").contains("tick"));
    // Upper case and accents do not slip past it.
    let accented = MedicationForm { drug: "AMOXICILÍNA".into(), ..amoxicillin() };
    field(prescriptions::prescribe(&ctx.services, &owner, &p, &accented).await, "drug");
    // Ticked without a reason: asked for the reason.
    let no_reason = MedicationForm { allergy_ack: Some("on".into()), ..amoxicillin() };
    field(prescriptions::prescribe(&ctx.services, &owner, &p, &no_reason).await, "allergy_ack_reason");
    assert_eq!(count(&ctx, "SELECT COUNT(*) FROM medications").await, 0, "nothing prescribed without the acknowledgement");
    assert_eq!(audited(&ctx, "medication.allergy_override", "ok").await, 0);

    // Acknowledged with a reason: prescribed, and the override is audited.
    let reason = "Tolerated a supervised amoxicillin challenge in 2025";
    let ack = MedicationForm { allergy_ack: Some("on".into()), allergy_ack_reason: reason.into(), ..amoxicillin() };
    prescriptions::prescribe(&ctx.services, &owner, &p, &ack).await.unwrap();
    assert_eq!(audited(&ctx, "medication.allergy_override", "ok").await, 1);
    assert_eq!(audited(&ctx, "medication.prescribe", "ok").await, 1);
    let view = overview::get(&ctx.services, &owner, &p).await.unwrap();
    assert_eq!(view.current.len(), 1);
    assert_eq!(view.current[0].allergy_ack.as_deref(), Some(reason));
    assert_eq!(view.current[0].prescriber.as_deref(), Some("Ana Costa"));

    // No match, no warning; a recorded medication is checked too.
    prescriptions::prescribe(&ctx.services, &owner, &p, &paracetamol()).await.unwrap();
    let ibuprofen = MedicationForm { drug: "Ibuprofen".into(), quantity: String::new(), ..paracetamol() };
    allergies::add(&ctx.services, &owner, &p, &AllergyForm { substance: "Painkillers".into(), coded: "nsaids".into(), ..penicillin() }).await.unwrap();
    field(prescriptions::record(&ctx.services, &owner, &p, &ibuprofen).await, "drug");

    // A refuted allergy no longer warns.
    let view = overview::get(&ctx.services, &owner, &p).await.unwrap();
    let pen = view.allergies.iter().find(|a| a.substance == "Penicillin").unwrap().id.to_string();
    allergies::set_status(&ctx.services, &owner, &pen, "refuted").await.unwrap();
    prescriptions::prescribe(&ctx.services, &owner, &p, &amoxicillin()).await.unwrap();
    assert_eq!(audited(&ctx, "medication.allergy_override", "ok").await, 1);
    assert_eq!(audited(&ctx, "allergy.status", "ok").await, 1);
}

async fn no_known_allergies_is_explicit_and_ends_with_an_allergy(ctx: Ctx) {
    let owner = sign_up(&ctx, "Harbour", "owner@harbour.example").await;
    let p = patient(&ctx, &owner, false).await;
    assert_eq!(allergies::badge(&ctx.services, &owner, &p).await.unwrap(), Some(allergies::AllergyBadge::NotRecorded));
    allergies::no_known(&ctx.services, &owner, &p).await.unwrap();
    assert_eq!(allergies::badge(&ctx.services, &owner, &p).await.unwrap(), Some(allergies::AllergyBadge::NoKnown));
    let view = overview::get(&ctx.services, &owner, &p).await.unwrap();
    assert_eq!(view.no_known_allergies.as_ref().map(|(who, _)| who.as_str()), Some("Ana Costa"));

    let id = allergies::add(&ctx.services, &owner, &p, &penicillin()).await.unwrap();
    let badge = allergies::badge(&ctx.services, &owner, &p).await.unwrap();
    assert_eq!(badge, Some(allergies::AllergyBadge::Active(vec![("Penicillin".into(), "Severe")])));
    assert!(overview::get(&ctx.services, &owner, &p).await.unwrap().no_known_allergies.is_none());
    // Not while an allergy is active.
    field(allergies::no_known(&ctx.services, &owner, &p).await, "no_known");
    allergies::set_status(&ctx.services, &owner, &id.to_string(), "inactive").await.unwrap();
    allergies::no_known(&ctx.services, &owner, &p).await.unwrap();
    field(allergies::set_status(&ctx.services, &owner, &id.to_string(), "gone").await, "status");

    // Roles that do not read clinical records get no badge, and no refusal.
    let desk = join(&ctx, &owner, "desk@harbour.example", "front_desk").await;
    assert_eq!(allergies::badge(&ctx.services, &desk, &p).await.unwrap(), None);
    assert_eq!(audited(&ctx, "allergy.read", "ok").await, 3);
}

async fn stop_and_change_keep_the_history(ctx: Ctx) {
    let owner = sign_up(&ctx, "Harbour", "owner@harbour.example").await;
    let p = patient(&ctx, &owner, false).await;
    let first = prescriptions::prescribe(&ctx.services, &owner, &p, &amoxicillin()).await.unwrap();

    // Change: the old row ends with the reason, the new one points at it.
    let higher = MedicationForm { strength: "875".into(), frequency: "twice_daily".into(), quantity: "14".into(), ..amoxicillin() };
    field(prescriptions::change(&ctx.services, &owner, &first.to_string(), "", &higher).await, "change_reason");
    let second = prescriptions::change(&ctx.services, &owner, &first.to_string(), "Twice daily is easier to keep to", &higher).await.unwrap();
    // Changing it again is refused: it has already ended.
    field(prescriptions::change(&ctx.services, &owner, &first.to_string(), "again", &higher).await, "change_reason");

    let view = overview::get(&ctx.services, &owner, &p).await.unwrap();
    assert_eq!(view.current.len(), 1);
    assert_eq!(view.current[0].id, second);
    assert_eq!(view.current[0].strength.as_deref(), Some("875 mg"));
    assert_eq!(view.current[0].replaces, Some(first));
    assert_eq!(view.past.len(), 1);
    let old = &view.past[0];
    assert_eq!((old.status.as_str(), old.strength.as_deref()), ("changed", Some("500 mg")), "the original is kept as prescribed");
    assert_eq!(old.end_reason.as_deref(), Some("Twice daily is easier to keep to"));
    assert_eq!(old.ended_by.as_deref(), Some("Ana Costa"));

    // Stop with a reason; stopping twice is refused.
    field(prescriptions::stop(&ctx.services, &owner, &second.to_string(), &StopForm { reason: " ".into() }).await, "reason");
    prescriptions::stop(&ctx.services, &owner, &second.to_string(), &StopForm { reason: "Course finished".into() }).await.unwrap();
    field(prescriptions::stop(&ctx.services, &owner, &second.to_string(), &StopForm { reason: "again".into() }).await, "reason");
    let view = overview::get(&ctx.services, &owner, &p).await.unwrap();
    assert!(view.current.is_empty());
    assert_eq!(view.past.len(), 2);
    assert_eq!(view.past[0].status, "stopped");
    assert_eq!(view.past[0].end_reason.as_deref(), Some("Course finished"));
    // The stored rows: two, nothing deleted, the first one's dose untouched.
    assert_eq!(count(&ctx, "SELECT COUNT(*) FROM medications").await, 2);
    assert_eq!(count(&ctx, "SELECT COUNT(*) FROM medications WHERE strength = '500' AND status = 'changed'").await, 1);
    assert_eq!(audited(&ctx, "medication.change", "ok").await, 1);
    assert_eq!(audited(&ctx, "medication.stop", "ok").await, 1);
}

async fn only_owners_and_practitioners_prescribe(ctx: Ctx) {
    let owner = sign_up(&ctx, "Harbour", "owner@harbour.example").await;
    let nurse = join(&ctx, &owner, "nurse@harbour.example", "nurse").await;
    let doctor = join(&ctx, &owner, "doctor@harbour.example", "practitioner").await;
    let desk = join(&ctx, &owner, "desk@harbour.example", "front_desk").await;
    let p = patient(&ctx, &owner, false).await;

    // Nurses record what the patient takes, but do not prescribe or change.
    assert!(matches!(prescriptions::prescribe(&ctx.services, &nurse, &p, &paracetamol()).await, Err(ServiceError::Forbidden)));
    assert_eq!(audited(&ctx, "medication.prescribe", "denied").await, 1);
    let recorded = prescriptions::record(&ctx.services, &nurse, &p, &MedicationForm { quantity: String::new(), ..paracetamol() }).await.unwrap();
    let prescribed = prescriptions::prescribe(&ctx.services, &doctor, &p, &paracetamol()).await.unwrap();
    assert!(matches!(prescriptions::change(&ctx.services, &nurse, &prescribed.to_string(), "dose", &paracetamol()).await, Err(ServiceError::Forbidden)));
    prescriptions::stop(&ctx.services, &nurse, &recorded.to_string(), &StopForm { reason: "Patient stopped taking it".into() }).await.unwrap();
    let view = overview::get(&ctx.services, &nurse, &p).await.unwrap();
    assert!(view.can_edit && !view.can_prescribe);
    assert!(!view.past[0].prescribed && view.past[0].prescriber.is_none());
    assert_eq!(view.current[0].prescriber.as_deref(), Some("Staff practitioner"));

    // Front desk reads no clinical records and writes none.
    assert!(matches!(overview::get(&ctx.services, &desk, &p).await, Err(ServiceError::Forbidden)));
    assert!(matches!(allergies::add(&ctx.services, &desk, &p, &penicillin()).await, Err(ServiceError::Forbidden)));
    assert!(matches!(printouts::prescription(&ctx.services, &desk, &prescribed.to_string()).await, Err(ServiceError::Forbidden)));
    assert_eq!(audited(&ctx, "medications.read", "denied").await, 1);
}

async fn another_clinics_records_are_404_unchanged_and_audited(ctx: Ctx) {
    let a = sign_up(&ctx, "Harbour", "owner@harbour.example").await;
    let b = sign_up(&ctx, "Hillside", "owner@hillside.example").await;
    let theirs = patient(&ctx, &b, false).await;
    let allergy = allergies::add(&ctx.services, &b, &theirs, &penicillin()).await.unwrap().to_string();
    let medication = prescriptions::prescribe(&ctx.services, &b, &theirs, &paracetamol()).await.unwrap().to_string();
    let referral_form = ReferralForm { to_name: "Dr Mota".into(), reason: "Persistent rash".into(), urgency: "routine".into(), ..Default::default() };
    let referral = referrals::create(&ctx.services, &b, &theirs, &referral_form).await.unwrap().to_string();
    let before = count(&ctx, "SELECT COUNT(*) FROM audit_events WHERE outcome = 'denied'").await;

    let nf = |r: Result<(), ServiceError>| assert!(matches!(r, Err(ServiceError::NotFound)), "{r:?}");
    nf(overview::get(&ctx.services, &a, &theirs).await.map(|_| ()));
    nf(allergies::add(&ctx.services, &a, &theirs, &penicillin()).await.map(|_| ()));
    nf(allergies::set_status(&ctx.services, &a, &allergy, "refuted").await);
    nf(allergies::no_known(&ctx.services, &a, &theirs).await);
    nf(allergies::badge(&ctx.services, &a, &theirs).await.map(|_| ()));
    nf(prescriptions::prescribe(&ctx.services, &a, &theirs, &paracetamol()).await.map(|_| ()));
    nf(prescriptions::stop(&ctx.services, &a, &medication, &StopForm { reason: "mine now".into() }).await);
    nf(prescriptions::change(&ctx.services, &a, &medication, "mine now", &paracetamol()).await.map(|_| ()));
    nf(immunizations::add(&ctx.services, &a, &theirs, &ImmunizationForm { vaccine: "MMR".into(), given_on: "2020-01-01".into(), site: "left_arm".into(), ..Default::default() }).await.map(|_| ()));
    nf(referrals::create(&ctx.services, &a, &theirs, &referral_form).await.map(|_| ()));
    nf(referrals::set_status(&ctx.services, &a, &referral, "sent").await);
    nf(printouts::prescription(&ctx.services, &a, &medication).await.map(|_| ()));
    nf(printouts::referral_letter(&ctx.services, &a, &referral).await.map(|_| ()));
    nf(prescriptions::stop(&ctx.services, &a, "not-an-id", &StopForm { reason: "x y z".into() }).await);

    // Each attempt is a denial in the trail; B's rows are as they were.
    assert_eq!(count(&ctx, "SELECT COUNT(*) FROM audit_events WHERE outcome = 'denied'").await - before, 14);
    let view = overview::get(&ctx.services, &b, &theirs).await.unwrap();
    assert_eq!(view.allergies.len(), 1);
    assert_eq!(view.allergies[0].status.as_str(), "active");
    assert_eq!((view.current.len(), view.past.len(), view.immunizations.len()), (1, 0, 0));
    assert_eq!(view.referrals.len(), 1);
    assert_eq!(view.referrals[0].status.as_str(), "draft");
    assert!(view.no_known_allergies.is_none());
}

async fn restricted_records_stay_with_their_care_team(ctx: Ctx) {
    let owner = sign_up(&ctx, "Harbour", "owner@harbour.example").await;
    let doctor = join(&ctx, &owner, "doctor@harbour.example", "practitioner").await;
    let p = patient(&ctx, &owner, true).await;
    let medication = prescriptions::prescribe(&ctx.services, &owner, &p, &paracetamol()).await.unwrap().to_string();
    assert!(matches!(overview::get(&ctx.services, &doctor, &p).await, Err(ServiceError::Restricted)));
    assert!(matches!(prescriptions::prescribe(&ctx.services, &doctor, &p, &paracetamol()).await, Err(ServiceError::Restricted)));
    assert!(matches!(printouts::prescription(&ctx.services, &doctor, &medication).await, Err(ServiceError::Restricted)));
    assert!(matches!(prescriptions::stop(&ctx.services, &doctor, &medication, &StopForm { reason: "no".into() }).await, Err(ServiceError::Restricted)));
    assert_eq!(count(&ctx, "SELECT COUNT(*) FROM medications").await, 1);
    assert_eq!(count(&ctx, "SELECT COUNT(*) FROM medications WHERE status = 'active'").await, 1);
    assert!(count(&ctx, "SELECT COUNT(*) FROM audit_events WHERE outcome = 'denied' AND detail = 'restricted record'").await >= 4);
    // The owner registered it and is on its care team.
    assert_eq!(overview::get(&ctx.services, &owner, &p).await.unwrap().current.len(), 1);
}

async fn clinical_text_is_encrypted_at_rest(ctx: Ctx) {
    let owner = sign_up(&ctx, "Harbour", "owner@harbour.example").await;
    let p = patient(&ctx, &owner, false).await;
    let marker = "zebra-marker-7731";
    allergies::add(&ctx.services, &owner, &p, &AllergyForm { reaction: format!("Swelling {marker}"), ..penicillin() }).await.unwrap();
    let form = MedicationForm { drug: "Metformin".into(), instructions: format!("With meals {marker}"), ..paracetamol() };
    let id = prescriptions::prescribe(&ctx.services, &owner, &p, &form).await.unwrap();
    prescriptions::stop(&ctx.services, &owner, &id.to_string(), &StopForm { reason: format!("Nausea {marker}") }).await.unwrap();
    let referral = ReferralForm {
        to_name: "Dr Mota".into(),
        reason: format!("Review {marker}"),
        urgency: "urgent".into(),
        letter: format!("History {marker}"),
        ..Default::default()
    };
    referrals::create(&ctx.services, &owner, &p, &referral).await.unwrap();

    // Behind the application's back: ciphertext only.
    let mut tx = ctx.owner_db.read().await.unwrap();
    let blobs: Vec<(Option<Vec<u8>>,)> = on_tx!(&mut tx, c => sqlx::query_as(
        "SELECT reaction FROM allergies UNION ALL SELECT instructions FROM medications UNION ALL SELECT end_reason FROM medications
         UNION ALL SELECT reason FROM referrals UNION ALL SELECT letter FROM referrals",
    )
    .fetch_all(c)
    .await)
    .unwrap();
    drop(tx);
    assert_eq!(blobs.len(), 5);
    for (blob,) in &blobs {
        let blob = blob.as_ref().expect("stored");
        assert!(!blob.windows(marker.len()).any(|w| w == marker.as_bytes()), "plaintext at rest");
    }
    // Moved to another row, a ciphertext no longer opens.
    let mut tx = ctx.owner_db.write().await.unwrap();
    on_tx!(&mut tx, c => sqlx::query("UPDATE referrals SET letter = reason").execute(c).await.map(|r| r.rows_affected())).unwrap();
    tx.commit().await.unwrap();
    assert!(matches!(overview::get(&ctx.services, &owner, &p).await, Err(ServiceError::Internal(_))));
}

async fn bad_input_is_refused_at_the_field_and_changes_nothing(ctx: Ctx) {
    let owner = sign_up(&ctx, "Harbour", "owner@harbour.example").await;
    let p = patient(&ctx, &owner, false).await;
    let megabyte = "x".repeat(1024 * 1024);
    let s = &ctx.services;

    assert!(field(prescriptions::prescribe(s, &owner, &p, &MedicationForm { quantity: "-21".into(), ..paracetamol() }).await, "quantity").contains("negative"));
    field(prescriptions::prescribe(s, &owner, &p, &MedicationForm { dose: "-1".into(), ..paracetamol() }).await, "dose");
    field(prescriptions::prescribe(s, &owner, &p, &MedicationForm { instructions: megabyte.clone(), ..paracetamol() }).await, "instructions");
    field(prescriptions::prescribe(s, &owner, &p, &MedicationForm { drug: "<script>alert(1)</script>".into(), ..paracetamol() }).await, "drug");
    field(prescriptions::prescribe(s, &owner, &p, &MedicationForm { start_date: "2099-01-01".into(), ..paracetamol() }).await, "start_date");
    field(prescriptions::prescribe(s, &owner, &p, &MedicationForm { route: "'; DROP TABLE medications; --".into(), ..paracetamol() }).await, "route");
    field(allergies::add(s, &owner, &p, &AllergyForm { substance: megabyte.clone(), ..penicillin() }).await, "substance");
    field(allergies::add(s, &owner, &p, &AllergyForm { reaction: "<img src=x onerror=alert(1)>".into(), ..penicillin() }).await, "reaction");
    field(allergies::add(s, &owner, &p, &AllergyForm { severity: "catastrophic".into(), ..penicillin() }).await, "severity");
    let tomorrow = (today() + chrono::Duration::days(2)).to_string();
    let future = ImmunizationForm { vaccine: "Influenza".into(), given_on: tomorrow, site: "left_arm".into(), ..Default::default() };
    assert!(field(immunizations::add(s, &owner, &p, &future).await, "given_on").contains("future"));
    let letter = ReferralForm { to_name: "Dr Mota".into(), reason: "Persistent rash".into(), urgency: "routine".into(), letter: megabyte, ..Default::default() };
    field(referrals::create(s, &owner, &p, &letter).await, "letter");
    field(referrals::create(s, &owner, &p, &ReferralForm { to_email: "not an email".into(), ..letter.clone() }).await, "to_email");

    for table in ["allergies", "medications", "immunizations", "referrals", "no_known_allergies"] {
        assert_eq!(count(&ctx, &format!("SELECT COUNT(*) FROM {table}")).await, 0, "{table}");
    }
    // Referral statuses only move forward.
    let ok = ReferralForm { letter: String::new(), ..letter };
    let id = referrals::create(s, &owner, &p, &ok).await.unwrap().to_string();
    referrals::set_status(s, &owner, &id, "completed").await.unwrap();
    field(referrals::set_status(s, &owner, &id, "sent").await, "status");
}

async fn prescriptions_and_referral_letters_print_as_audited_pdfs(ctx: Ctx) {
    let owner = sign_up(&ctx, "Harbour (Lisbon)", "owner@harbour.example").await;
    let p = patient(&ctx, &owner, false).await;
    allergies::add(&ctx.services, &owner, &p, &penicillin()).await.unwrap();
    let id = prescriptions::prescribe(&ctx.services, &owner, &p, &paracetamol()).await.unwrap().to_string();
    let printed = printouts::prescription(&ctx.services, &owner, &id).await.unwrap();
    assert!(printed.bytes.starts_with(b"%PDF-1.4"));
    assert!(printed.bytes.ends_with(b"%%EOF\n"));
    assert!(printed.file_name.starts_with("prescription-") && printed.file_name.ends_with(".pdf"));
    let text = String::from_utf8_lossy(&printed.bytes);
    assert!(text.contains("(Harbour \\(Lisbon\\)) Tj"), "letterhead");
    assert!(text.contains("(Rita Lopes, born 1979-06-02"), "patient and birth date on the page");
    assert!(text.contains("(Paracetamol 1 g) Tj"));
    assert!(text.contains("(Page 1 of 1) Tj"));
    assert!(text.contains("(Signature of Ana Costa) Tj"));
    assert_eq!(audited(&ctx, "prescription.print", "ok").await, 1);

    // A recorded medication has no prescription to print.
    let recorded = prescriptions::record(&ctx.services, &owner, &p, &MedicationForm { quantity: String::new(), ..paracetamol() }).await.unwrap();
    assert!(matches!(printouts::prescription(&ctx.services, &owner, &recorded.to_string()).await, Err(ServiceError::NotFound)));

    let form = ReferralForm {
        to_name: "Dr Ines Mota".into(),
        specialty: "Dermatology".into(),
        to_address: "Hospital de Santa Maria\nLisbon".into(),
        reason: "Changing pigmented lesion on the left shoulder".into(),
        urgency: "soon".into(),
        letter: "Family history of melanoma.".into(),
        ..Default::default()
    };
    let referral = referrals::create(&ctx.services, &owner, &p, &form).await.unwrap().to_string();
    let letter = printouts::referral_letter(&ctx.services, &owner, &referral).await.unwrap();
    let text = String::from_utf8_lossy(&letter.bytes);
    assert!(letter.bytes.starts_with(b"%PDF-1.4"));
    for expected in ["(Dear Dr Ines Mota,) Tj", "(Family history of melanoma.) Tj", "(Penicillin \\(Severe\\)) Tj", "(Paracetamol 1 g) Tj"] {
        assert!(text.contains(expected), "{expected}");
    }
    assert_eq!(audited(&ctx, "referral.letter", "ok").await, 1);
}

async fn immunizations_and_referrals_are_listed(ctx: Ctx) {
    let owner = sign_up(&ctx, "Harbour", "owner@harbour.example").await;
    let nurse = join(&ctx, &owner, "nurse@harbour.example", "nurse").await;
    let p = patient(&ctx, &owner, false).await;
    let given_on = (today() - chrono::Duration::days(3)).to_string();
    let form = ImmunizationForm { vaccine: "Influenza".into(), given_on: given_on.clone(), dose_number: "1".into(), lot: "FL-26".into(), site: "right_arm".into(), given_by: String::new() };
    immunizations::add(&ctx.services, &nurse, &p, &form).await.unwrap();
    let elsewhere = ImmunizationForm { vaccine: "Tetanus".into(), given_on: "2015-05-05".into(), given_by: "Travel clinic".into(), ..form };
    immunizations::add(&ctx.services, &nurse, &p, &elsewhere).await.unwrap();
    let view = overview::get(&ctx.services, &owner, &p).await.unwrap();
    assert_eq!(view.immunizations.len(), 2);
    assert_eq!(view.immunizations[0].vaccine, "Influenza");
    assert_eq!(view.immunizations[0].given_by, "Staff nurse", "the recorder gave it when nobody else is named");
    assert_eq!(view.immunizations[0].site, "Right upper arm");
    assert_eq!(view.immunizations[1].given_by, "Travel clinic");

    let referral = ReferralForm { to_name: "Dr Mota".into(), specialty: "Dermatology".into(), reason: "Persistent rash".into(), urgency: "urgent".into(), ..Default::default() };
    let id = referrals::create(&ctx.services, &nurse, &p, &referral).await.unwrap().to_string();
    referrals::set_status(&ctx.services, &nurse, &id, "sent").await.unwrap();
    let view = overview::get(&ctx.services, &owner, &p).await.unwrap();
    assert_eq!(view.referrals[0].status.as_str(), "sent");
    assert_eq!(view.referrals[0].reason, "Persistent rash");
    assert_eq!(view.referrals[0].created_by, "Staff nurse");
    assert_eq!(audited(&ctx, "referral.status", "ok").await, 1);
    assert_eq!(audited(&ctx, "immunization.create", "ok").await, 2);
}

async fn the_chart_summary_pdf_lists_allergies_and_current_medicines(ctx: Ctx) {
    let owner = sign_up(&ctx, "Harbour (Lisbon)", "owner@harbour.example").await;
    let p = patient(&ctx, &owner, false).await;
    allergies::add(&ctx.services, &owner, &p, &penicillin()).await.unwrap();
    prescriptions::prescribe(&ctx.services, &owner, &p, &paracetamol()).await.unwrap();

    let printed = summary::summary_pdf(&ctx.services, &owner, &p).await.unwrap();
    assert!(printed.bytes.starts_with(b"%PDF-1.4") && printed.bytes.ends_with(b"%%EOF\n"));
    assert!(printed.file_name.starts_with("chart-summary-") && printed.file_name.ends_with(".pdf"));
    let text = String::from_utf8_lossy(&printed.bytes);
    for expected in [
        "(Harbour \\(Lisbon\\)) Tj",
        "(Chart summary ",
        "(Penicillin \\(Severe\\): Hives and wheeze) Tj",
        "(Paracetamol 1 g ",
        "(Page 1 of 1) Tj",
    ] {
        assert!(text.contains(expected), "{expected} in the PDF");
    }
    // The print view shows the same sections, from the same service.
    let view = summary::print(&ctx.services, &owner, &p).await.unwrap();
    assert_eq!(view.allergies, vec!["Penicillin (Severe): Hives and wheeze".to_owned()]);
    assert_eq!(view.medications.len(), 1);
    assert_eq!(audited(&ctx, "chart.print", "ok").await, 2, "the PDF and the view are both audited prints");

    // Another clinic's staff: 404, and nothing printed for them.
    let other = sign_up(&ctx, "Elsewhere", "owner@elsewhere.example").await;
    assert!(matches!(summary::summary_pdf(&ctx.services, &other, &p).await, Err(ServiceError::NotFound)));
}

async fn opening_a_chart_reads_record_and_badge_in_one_audited_call(ctx: Ctx) {
    let owner = sign_up(&ctx, "Harbour", "owner@harbour.example").await;
    let p = patient(&ctx, &owner, false).await;
    allergies::add(&ctx.services, &owner, &p, &penicillin()).await.unwrap();
    let reads = audited(&ctx, "patient.read", "ok").await;

    // The same record and badge as the separate reads give.
    let opened = opening::open(&ctx.services, &owner, &p).await.unwrap();
    let record = patients::get(&ctx.services, &owner, &p).await.unwrap();
    assert_eq!((opened.patient.id, opened.patient.mrn.as_str()), (record.id, record.mrn.as_str()));
    assert_eq!(opened.allergies, allergies::badge(&ctx.services, &owner, &p).await.unwrap());
    assert_eq!(opened.allergies, Some(allergies::AllergyBadge::Active(vec![("Penicillin".into(), "Severe")])));
    assert_eq!(opened.time_zone, "Europe/Lisbon");
    // Audited exactly like them: one patient read and one allergy read each.
    assert_eq!(audited(&ctx, "patient.read", "ok").await - reads, 2);
    assert_eq!(audited(&ctx, "allergy.read", "ok").await, 2);

    // Front desk opens the chart without the clinical badge (and no refusal).
    let desk = join(&ctx, &owner, "desk@harbour.example", "front_desk").await;
    let opened = opening::open(&ctx.services, &desk, &p).await.unwrap();
    assert_eq!((opened.patient.id, opened.allergies), (record.id, None));
    assert_eq!(audited(&ctx, "allergy.read", "ok").await, 2);

    // Another clinic's patient, or no id at all: 404 and an audited denial.
    let other = sign_up(&ctx, "Elsewhere", "owner@elsewhere.example").await;
    let denied = audited(&ctx, "patient.read", "denied").await;
    assert!(matches!(opening::open(&ctx.services, &other, &p).await, Err(ServiceError::NotFound)));
    assert!(matches!(opening::open(&ctx.services, &other, "not-an-id").await, Err(ServiceError::NotFound)));
    assert_eq!(audited(&ctx, "patient.read", "denied").await - denied, 2);

    // A restricted record stays with its care team.
    let doctor = join(&ctx, &owner, "doctor@harbour.example", "practitioner").await;
    let hidden = patient(&ctx, &owner, true).await;
    assert!(matches!(opening::open(&ctx.services, &doctor, &hidden).await, Err(ServiceError::Restricted)));
}

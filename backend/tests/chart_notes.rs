//! The clinical chart's core against real databases, every case on SQLite
//! and PostgreSQL (the latter as the unprivileged application role, under
//! row-level security): encounters and SOAP notes (sign and lock,
//! amendments, encryption at rest, the author rule), templates, problems
//! with the ICD-10-CM list, history, the timeline, the printable summary,
//! permissions, audit and bad input.

use ambula_backend::{
    audit, on_tx,
    services::{
        accounts, auth,
        chart::{notes, problems, summary, templates, timeline},
        patients, ClientInfo,
    },
    AuthContext, Db, ServiceError, Services,
};
use ambula_domain::{
    accounts::{AcceptInviteForm, InviteForm, SignupForm},
    chart::{
        encounters::{AmendmentForm, EncounterForm, NoteForm, NoteStatus},
        history::{HistoryForm, SocialHistoryForm},
        problems::{IcdSearchForm, ProblemForm, ProblemStatus},
        templates::TemplateForm,
        timeline::TimelineForm,
    },
    patients::PatientForm,
};
use ambula_testkit::{Kind, SmtpSink, TestDb};

ambula_testkit::on_both_backends!(
    signing_locks_a_note_and_amendments_keep_the_original,
    only_the_author_edits_or_signs_a_draft,
    amending_another_clinics_note_is_404_and_changes_nothing,
    clinical_text_is_encrypted_at_rest,
    reads_and_writes_are_audited,
    templates_are_seeded_checked_and_fill_the_sections,
    icd_search_and_the_problem_list,
    history_and_social_history,
    timeline_is_newest_first_paged_and_filtered,
    print_summary_has_problems_and_signed_notes,
    roles_and_restricted_records_are_enforced,
    bad_input_is_refused_at_the_field_and_changes_nothing,
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

fn client() -> ClientInfo {
    ClientInfo { ip: Some("192.0.2.20".into()), user_agent: Some("chart-test".into()) }
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
    let form = AcceptInviteForm { token, name: "Sam Lee".into(), password: PASSWORD.into(), ..Default::default() };
    let signed = accounts::accept_invite(&ctx.services, &form, &client()).await.unwrap();
    auth::authenticate(&ctx.services, &signed.token).await.unwrap()
}

async fn patient(ctx: &Ctx, who: &AuthContext, family: &str) -> String {
    let form = PatientForm { given_name: "Rita".into(), family_name: family.into(), date_of_birth: "1970-05-05".into(), ..Default::default() };
    patients::create(&ctx.services, who, &form).await.unwrap().id.to_string()
}

fn encounter_form(patient: &str, date: &str, time: &str) -> EncounterForm {
    EncounterForm { patient_id: patient.into(), date: date.into(), time: time.into(), kind: "consultation".into(), ..Default::default() }
}

/// Records an encounter and returns its draft note's id.
async fn encounter(ctx: &Ctx, who: &AuthContext, patient: &str, date: &str) -> String {
    let view = notes::create_encounter(&ctx.services, who, &encounter_form(patient, date, "09:30")).await.unwrap();
    view.note.unwrap().id.to_string()
}

fn soap(s: &str, o: &str, a: &str, p: &str) -> NoteForm {
    NoteForm { subjective: s.into(), objective: o.into(), assessment: a.into(), plan: p.into(), ..Default::default() }
}

fn field<T: std::fmt::Debug>(result: Result<T, ServiceError>, name: &str) -> String {
    match result {
        Err(ServiceError::Invalid(errors)) => errors.get(name).unwrap_or_else(|| panic!("no error at {name}: {errors:?}")).to_owned(),
        other => panic!("expected a field error at {name}, got {other:?}"),
    }
}

async fn audit_actions(ctx: &Ctx, who: &AuthContext) -> Vec<(String, String)> {
    let mut tx = ctx.services.db.read_in(&who.scope).await.unwrap();
    let entries = audit::search(&mut tx, &who.scope, &audit::Filter { limit: 1000, ..Default::default() }).await.unwrap();
    entries.into_iter().map(|e| (e.action, e.outcome)).collect()
}

/// The only encounter's note, as the notes tab shows it.
async fn only_note(ctx: &Ctx, who: &AuthContext, patient: &str) -> notes::NoteView {
    let list = notes::list(&ctx.services, who, patient).await.unwrap();
    assert_eq!(list.len(), 1);
    list.into_iter().next().unwrap().note.unwrap()
}

async fn signing_locks_a_note_and_amendments_keep_the_original(ctx: Ctx) {
    let a = sign_up(&ctx, "A", "a@a.example").await;
    let p = patient(&ctx, &a, "Sousa").await;
    let note = encounter(&ctx, &a, &p, "2026-11-02").await;
    notes::save_draft(&ctx.services, &a, &note, &soap("Cough for 3 days", "Chest clear", "Viral URTI", "Fluids, review in 1 week")).await.unwrap();
    // A draft cannot be amended: it is edited.
    let early = AmendmentForm { note_id: note.clone(), reason: "typo".into(), body: "x".into() };
    assert!(field(notes::amend(&ctx.services, &a, &early).await, "body").contains("draft"));

    let signed = notes::sign(&ctx.services, &a, &note).await.unwrap();
    assert_eq!(signed.status, NoteStatus::Signed);
    let view = only_note(&ctx, &a, &p).await;
    assert_eq!(view.status, NoteStatus::Signed);
    assert_eq!(view.signed_by.as_deref(), Some("Ana Costa"));
    assert!(view.signed_at.is_some());

    // Editing or re-signing a signed note is refused; nothing changes.
    let edit = notes::save_draft(&ctx.services, &a, &note, &soap("Rewritten", "", "", "")).await;
    assert!(field(edit, "note").contains("amendment"));
    assert!(field(notes::sign(&ctx.services, &a, &note).await, "note").contains("already signed"));
    // Even behind the service's back, the database refuses (trigger).
    let mut tx = ctx.services.db.write_in(&a.scope).await.unwrap();
    let id: uuid::Uuid = note.parse().unwrap();
    let raw = on_tx!(&mut tx, c => sqlx::query("UPDATE clinical_notes SET plan = subjective WHERE id = $1").bind(id).execute(c).await.map(|r| r.rows_affected()));
    assert!(raw.is_err(), "the database must refuse to change a signed note");
    drop(tx);
    let mut tx = ctx.services.db.write_in(&a.scope).await.unwrap();
    let raw = on_tx!(&mut tx, c => sqlx::query("DELETE FROM clinical_notes WHERE id = $1").bind(id).execute(c).await.map(|r| r.rows_affected()));
    assert!(raw.is_err(), "the database must refuse to delete a signed note");
    drop(tx);

    // Amendments are appended; the original stays as signed.
    let form = AmendmentForm { note_id: note.clone(), reason: "Wrong review interval".into(), body: "Review in 2 weeks, not 1.".into() };
    let amended = notes::amend(&ctx.services, &a, &form).await.unwrap();
    assert_eq!(amended.author_name, "Ana Costa");
    let second = AmendmentForm { note_id: note.clone(), reason: "Result back".into(), body: "Swab negative.".into() };
    notes::amend(&ctx.services, &a, &second).await.unwrap();
    let view = only_note(&ctx, &a, &p).await;
    assert_eq!(view.content.plan, "Fluids, review in 1 week", "the original is kept");
    let reasons: Vec<&str> = view.amendments.iter().map(|x| x.reason.as_str()).collect();
    assert_eq!(reasons, ["Wrong review interval", "Result back"]);
    assert_eq!(view.amendments[0].body, "Review in 2 weeks, not 1.");
    // Amendments are append-only in the database too.
    let mut tx = ctx.services.db.write_in(&a.scope).await.unwrap();
    let raw = on_tx!(&mut tx, c => sqlx::query("UPDATE note_amendments SET body = reason").execute(c).await.map(|r| r.rows_affected()));
    assert!(raw.is_err(), "amendments are append-only");
    drop(tx);
    // Signing finished the encounter.
    let list = notes::list(&ctx.services, &a, &p).await.unwrap();
    assert_eq!(list[0].status, "finished");
    // An empty draft cannot be signed.
    let empty = encounter(&ctx, &a, &p, "2026-11-03").await;
    assert!(field(notes::sign(&ctx.services, &a, &empty).await, "note").contains("Write"));
}

async fn only_the_author_edits_or_signs_a_draft(ctx: Ctx) {
    let a = sign_up(&ctx, "A", "a@a.example").await;
    let nurse = join(&ctx, &a, "nurse@a.example", "nurse").await;
    let p = patient(&ctx, &a, "Sousa").await;
    let note = encounter(&ctx, &a, &p, "2026-11-02").await;
    notes::save_draft(&ctx.services, &a, &note, &soap("Owner's words", "", "", "")).await.unwrap();
    let edit = notes::save_draft(&ctx.services, &nurse, &note, &soap("Nurse's words", "", "", "")).await;
    assert!(matches!(edit, Err(ServiceError::Forbidden)), "{edit:?}");
    assert!(matches!(notes::sign(&ctx.services, &nurse, &note).await, Err(ServiceError::Forbidden)));
    let view = only_note(&ctx, &nurse, &p).await;
    assert_eq!(view.content.subjective, "Owner's words");
    assert!(!view.mine);
    assert_eq!(view.status, NoteStatus::Draft);
    // Once signed, any clinician may amend it.
    notes::sign(&ctx.services, &a, &note).await.unwrap();
    let form = AmendmentForm { note_id: note.clone(), reason: "Observation".into(), body: "BP rechecked 130/85.".into() };
    assert_eq!(notes::amend(&ctx.services, &nurse, &form).await.unwrap().author_name, "Sam Lee");
}

async fn amending_another_clinics_note_is_404_and_changes_nothing(ctx: Ctx) {
    let a = sign_up(&ctx, "A", "a@a.example").await;
    let b = sign_up(&ctx, "B", "b@b.example").await;
    let pb = patient(&ctx, &b, "Beta").await;
    let theirs = encounter(&ctx, &b, &pb, "2026-11-02").await;
    notes::save_draft(&ctx.services, &b, &theirs, &soap("B's note", "", "", "")).await.unwrap();
    notes::sign(&ctx.services, &b, &theirs).await.unwrap();

    let form = AmendmentForm { note_id: theirs.clone(), reason: "mine now".into(), body: "overwritten".into() };
    assert!(matches!(notes::amend(&ctx.services, &a, &form).await, Err(ServiceError::NotFound)));
    assert!(matches!(notes::save_draft(&ctx.services, &a, &theirs, &soap("x", "", "", "")).await, Err(ServiceError::NotFound)));
    assert!(matches!(notes::sign(&ctx.services, &a, &theirs).await, Err(ServiceError::NotFound)));
    assert!(matches!(notes::list(&ctx.services, &a, &pb).await, Err(ServiceError::NotFound)));
    let bad_encounter = notes::create_encounter(&ctx.services, &a, &encounter_form(&pb, "2026-11-02", "10:00")).await;
    assert!(matches!(bad_encounter, Err(ServiceError::NotFound)));
    // B's note is as it was, with no amendment.
    let view = only_note(&ctx, &b, &pb).await;
    assert_eq!(view.content.subjective, "B's note");
    assert!(view.amendments.is_empty());
    // The attempts are in A's trail, not B's.
    let trail = audit_actions(&ctx, &a).await;
    assert!(trail.contains(&("note.amend".into(), "denied".into())), "{trail:?}");
    assert!(!audit_actions(&ctx, &b).await.iter().any(|(action, outcome)| action == "note.amend" && outcome == "denied"));
    // Row-level security / scoping: A's raw view has no rows of B's.
    let mut tx = ctx.services.db.read_in(&a.scope).await.unwrap();
    let (n,): (i64,) = on_tx!(&mut tx, c => sqlx::query_as("SELECT COUNT(*) FROM note_amendments WHERE clinic_id = $1")
        .bind(b.scope.clinic_id().as_uuid()).fetch_one(c).await).unwrap();
    assert_eq!(n, 0);
}

async fn clinical_text_is_encrypted_at_rest(ctx: Ctx) {
    let a = sign_up(&ctx, "A", "a@a.example").await;
    let p = patient(&ctx, &a, "Sousa").await;
    let note = encounter(&ctx, &a, &p, "2026-11-02").await;
    let secret = "Patient discloses HIV status";
    notes::save_draft(&ctx.services, &a, &note, &soap(secret, "", "", "")).await.unwrap();
    notes::sign(&ctx.services, &a, &note).await.unwrap();
    let amendment = AmendmentForm { note_id: note.clone(), reason: "Confidential reason".into(), body: "Partner informed".into() };
    notes::amend(&ctx.services, &a, &amendment).await.unwrap();
    let problem = ProblemForm { code: "B20".into(), status: "active".into(), notes: "Viral load undetectable".into(), ..Default::default() };
    problems::add(&ctx.services, &a, &p, &problem).await.unwrap();
    let history = HistoryForm { kind: "surgical".into(), details: "Appendicectomy at Santa Maria".into(), ..Default::default() };
    problems::add_history(&ctx.services, &a, &p, &history).await.unwrap();

    // Read the raw columns as the database owner: ciphertext, not text.
    let mut tx = ctx.owner_db.read().await.unwrap();
    let id: uuid::Uuid = note.parse().unwrap();
    let (subjective,): (Vec<u8>,) = on_tx!(&mut tx, c => sqlx::query_as("SELECT subjective FROM clinical_notes WHERE id = $1").bind(id).fetch_one(c).await).unwrap();
    let blobs: Vec<(Vec<u8>, Vec<u8>)> = on_tx!(&mut tx, c => sqlx::query_as("SELECT reason, body FROM note_amendments").fetch_all(c).await).unwrap();
    let (problem_notes,): (Vec<u8>,) = on_tx!(&mut tx, c => sqlx::query_as("SELECT notes FROM problems").fetch_one(c).await).unwrap();
    let (details,): (Vec<u8>,) = on_tx!(&mut tx, c => sqlx::query_as("SELECT details FROM history_entries").fetch_one(c).await).unwrap();
    drop(tx);
    let contains = |hay: &[u8], needle: &str| hay.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(subjective.len() > secret.len() && !contains(&subjective, secret) && !contains(&subjective, "HIV"));
    assert!(!contains(&blobs[0].0, "Confidential") && !contains(&blobs[0].1, "Partner"));
    assert!(!contains(&problem_notes, "Viral load"));
    assert!(!contains(&details, "Appendicectomy"));
    // And the chart reads it back.
    assert_eq!(only_note(&ctx, &a, &p).await.content.subjective, secret);
}

async fn reads_and_writes_are_audited(ctx: Ctx) {
    let a = sign_up(&ctx, "A", "a@a.example").await;
    let p = patient(&ctx, &a, "Sousa").await;
    let note = encounter(&ctx, &a, &p, "2026-11-02").await;
    notes::save_draft(&ctx.services, &a, &note, &soap("s", "o", "a", "p")).await.unwrap();
    notes::sign(&ctx.services, &a, &note).await.unwrap();
    notes::amend(&ctx.services, &a, &AmendmentForm { note_id: note.clone(), reason: "r".into(), body: "b".into() }).await.unwrap();
    notes::list(&ctx.services, &a, &p).await.unwrap();
    let added = problems::add(&ctx.services, &a, &p, &ProblemForm { code: "I10".into(), status: "active".into(), ..Default::default() }).await.unwrap();
    problems::update(&ctx.services, &a, &added.id.to_string(), &ProblemForm { code: "I10".into(), status: "resolved".into(), ..Default::default() }).await.unwrap();
    problems::chart(&ctx.services, &a, &p).await.unwrap();
    problems::add_history(&ctx.services, &a, &p, &HistoryForm { kind: "medical".into(), details: "Asthma".into(), ..Default::default() }).await.unwrap();
    problems::save_social(&ctx.services, &a, &p, &SocialHistoryForm { smoking: "never".into(), alcohol: "none".into(), ..Default::default() }).await.unwrap();
    timeline::page(&ctx.services, &a, &TimelineForm { patient_id: p.clone(), ..Default::default() }).await.unwrap();
    summary::print(&ctx.services, &a, &p).await.unwrap();
    let trail = audit_actions(&ctx, &a).await;
    for action in [
        "encounter.create", "note.update", "note.sign", "note.amend", "note.list", "problem.create", "problem.update",
        "problem.list", "history.create", "history.social", "timeline.read", "chart.print",
    ] {
        assert!(trail.contains(&(action.to_owned(), "ok".to_owned())), "{action} missing from {trail:?}");
    }
    // Entries carry the patient.
    let mut tx = ctx.services.db.read_in(&a.scope).await.unwrap();
    let entries = audit::search(&mut tx, &a.scope, &audit::Filter { limit: 1000, ..Default::default() }).await.unwrap();
    let sign = entries.iter().find(|e| e.action == "note.sign").unwrap();
    assert_eq!(sign.patient_id.map(|u| u.to_string()), Some(p.clone()));
    // The chain still verifies.
    assert!(audit::verify(&mut tx, &a.scope).await.unwrap().is_ok());
}

async fn templates_are_seeded_checked_and_fill_the_sections(ctx: Ctx) {
    let a = sign_up(&ctx, "A", "a@a.example").await;
    let list = templates::list(&ctx.services, &a).await.unwrap();
    let names: Vec<&str> = list.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["First consultation", "Follow-up"]);
    // Listing again does not seed twice.
    assert_eq!(templates::list(&ctx.services, &a).await.unwrap().len(), 2);

    let form = TemplateForm {
        name: "Asthma review".into(),
        fields: "subjective | Night symptoms | choice: none, some, most nights\nobjective | Peak flow (L/min) | number\nplan | Inhaler technique | text".into(),
    };
    let asthma = templates::create(&ctx.services, &a, &form).await.unwrap();
    assert_eq!(asthma.fields.len(), 3);
    assert!(field(templates::create(&ctx.services, &a, &form).await, "name").contains("already exists"));
    let bad = TemplateForm { name: "Broken".into(), fields: "vitals | BP | number".into() };
    assert!(field(templates::create(&ctx.services, &a, &bad).await, "fields").starts_with("Line 1"));

    let p = patient(&ctx, &a, "Sousa").await;
    let mut form_e = encounter_form(&p, "2026-11-02", "11:00");
    form_e.template_id = asthma.id.to_string();
    let created = notes::create_encounter(&ctx.services, &a, &form_e).await.unwrap();
    let note = created.note.unwrap();
    assert_eq!(note.template_fields.len(), 3);
    let note_id = note.id.to_string();
    let wrong = NoteForm { f0: "every night".into(), f1: "lots".into(), ..Default::default() };
    let result = notes::save_draft(&ctx.services, &a, &note_id, &wrong).await;
    match result {
        Err(ServiceError::Invalid(errors)) => assert!(errors.get("f0").is_some() && errors.get("f1").is_some(), "{errors:?}"),
        other => panic!("{other:?}"),
    }
    let right = NoteForm { subjective: "Well overall.".into(), f0: "some".into(), f1: "420".into(), f2: "Good".into(), ..Default::default() };
    notes::save_draft(&ctx.services, &a, &note_id, &right).await.unwrap();
    let saved = only_note(&ctx, &a, &p).await;
    assert_eq!(saved.content.subjective, "Night symptoms: some\nWell overall.");
    assert_eq!(saved.content.objective, "Peak flow (L/min): 420");
    assert_eq!(saved.content.plan, "Inhaler technique: Good");

    // A retired template is no longer offered for new encounters.
    let retire = TemplateForm { name: "Asthma review".into(), fields: asthma.lines() };
    let retired = templates::update(&ctx.services, &a, &asthma.id.to_string(), &retire, false).await.unwrap();
    assert!(!retired.active);
    assert!(field(notes::create_encounter(&ctx.services, &a, &form_e).await, "template_id").contains("template"));
    // Another clinic's template does not exist here.
    let b = sign_up(&ctx, "B", "b@b.example").await;
    let theirs = templates::list(&ctx.services, &b).await.unwrap()[0].id.to_string();
    assert!(matches!(templates::update(&ctx.services, &a, &theirs, &retire, true).await, Err(ServiceError::NotFound)));
    let mut cross = encounter_form(&p, "2026-11-02", "12:00");
    cross.template_id = theirs;
    assert!(field(notes::create_encounter(&ctx.services, &a, &cross).await, "template_id").contains("template"));
    // Front desk has neither EditClinical nor ManageClinic.
    let desk = join(&ctx, &a, "desk@a.example", "front_desk").await;
    assert!(matches!(templates::list(&ctx.services, &desk).await, Err(ServiceError::Forbidden)));
    // An administrator (ManageClinic, no clinical access) may manage them.
    let admin = join(&ctx, &a, "admin@a.example", "admin").await;
    assert_eq!(templates::list(&ctx.services, &admin).await.unwrap().len(), 3);
}

async fn icd_search_and_the_problem_list(ctx: Ctx) {
    let a = sign_up(&ctx, "A", "a@a.example").await;
    let by_code = problems::search_codes(&ctx.services, &a, &IcdSearchForm { q: "E11.9".into() }).await.unwrap();
    assert_eq!(by_code[0].code, "E11.9");
    assert_eq!(by_code[0].title, "Type 2 diabetes mellitus without complications");
    let by_words = problems::search_codes(&ctx.services, &a, &IcdSearchForm { q: "essential hypertension".into() }).await.unwrap();
    assert!(by_words.iter().any(|c| c.code == "I10"), "{by_words:?}");
    assert!(problems::search_codes(&ctx.services, &a, &IcdSearchForm { q: "  ".into() }).await.unwrap().is_empty());
    assert!(field(problems::search_codes(&ctx.services, &a, &IcdSearchForm { q: "x".repeat(61) }).await, "q").contains("at most"));

    let p = patient(&ctx, &a, "Sousa").await;
    let coded = ProblemForm { code: "e119".into(), onset_date: "2019-06-01".into(), status: "active".into(), ..Default::default() };
    let added = problems::add(&ctx.services, &a, &p, &coded).await.unwrap();
    assert_eq!(added.code.as_deref(), Some("E11.9"));
    assert_eq!(added.description, "Type 2 diabetes mellitus without complications");
    let unknown = ProblemForm { code: "E11.999".into(), status: "active".into(), ..Default::default() };
    assert!(field(problems::add(&ctx.services, &a, &p, &unknown).await, "code").contains("not in the ICD-10-CM list"));
    let free = ProblemForm { description: "Chronic low back pain".into(), status: "inactive".into(), notes: "Physio helped".into(), ..Default::default() };
    problems::add(&ctx.services, &a, &p, &free).await.unwrap();

    let resolved = ProblemForm { code: "E11.9".into(), onset_date: "2019-06-01".into(), status: "resolved".into(), notes: "Remission after weight loss".into(), ..Default::default() };
    let updated = problems::update(&ctx.services, &a, &added.id.to_string(), &resolved).await.unwrap();
    assert_eq!(updated.status, ProblemStatus::Resolved);
    let chart = problems::chart(&ctx.services, &a, &p).await.unwrap();
    assert_eq!(chart.problems.len(), 2);
    let diabetes = chart.problems.iter().find(|x| x.code.as_deref() == Some("E11.9")).unwrap();
    assert_eq!(diabetes.notes.as_deref(), Some("Remission after weight loss"));
    assert_eq!(diabetes.onset_date.map(|d| d.to_string()).as_deref(), Some("2019-06-01"));

    // Another clinic's problem: 404, unchanged.
    let b = sign_up(&ctx, "B", "b@b.example").await;
    let pb = patient(&ctx, &b, "Beta").await;
    let theirs = problems::add(&ctx.services, &b, &pb, &ProblemForm { code: "I10".into(), status: "active".into(), ..Default::default() }).await.unwrap();
    let attempt = problems::update(&ctx.services, &a, &theirs.id.to_string(), &resolved).await;
    assert!(matches!(attempt, Err(ServiceError::NotFound)), "{attempt:?}");
    assert!(matches!(problems::add(&ctx.services, &a, &pb, &free).await, Err(ServiceError::NotFound)));
    let still = problems::chart(&ctx.services, &b, &pb).await.unwrap();
    assert_eq!(still.problems.len(), 1);
    assert_eq!(still.problems[0].status, ProblemStatus::Active);
}

async fn history_and_social_history(ctx: Ctx) {
    let a = sign_up(&ctx, "A", "a@a.example").await;
    let p = patient(&ctx, &a, "Sousa").await;
    let family = HistoryForm { kind: "family".into(), relation: "mother".into(), year: "2001".into(), details: "Breast cancer".into() };
    problems::add_history(&ctx.services, &a, &p, &family).await.unwrap();
    let surgical = HistoryForm { kind: "surgical".into(), details: "Tonsillectomy".into(), year: "1980".into(), ..Default::default() };
    problems::add_history(&ctx.services, &a, &p, &surgical).await.unwrap();
    let no_relative = HistoryForm { kind: "family".into(), details: "Diabetes".into(), ..Default::default() };
    assert!(field(problems::add_history(&ctx.services, &a, &p, &no_relative).await, "relation").contains("relative"));
    let chart = problems::chart(&ctx.services, &a, &p).await.unwrap();
    assert_eq!(chart.history.len(), 2);
    let mother = chart.history.iter().find(|h| h.relation.as_deref() == Some("mother")).unwrap();
    assert_eq!((mother.details.as_str(), mother.year), ("Breast cancer", Some(2001)));
    assert!(chart.social.is_none());

    let social = SocialHistoryForm { smoking: "current".into(), alcohol: "occasional".into(), occupation: "Fisher".into(), notes: "10/day".into() };
    problems::save_social(&ctx.services, &a, &p, &social).await.unwrap();
    let again = SocialHistoryForm { smoking: "former".into(), alcohol: "none".into(), occupation: "Fisher".into(), notes: "Quit in 2026".into() };
    problems::save_social(&ctx.services, &a, &p, &again).await.unwrap();
    let read = problems::chart(&ctx.services, &a, &p).await.unwrap().social.unwrap();
    assert_eq!((read.smoking.as_str(), read.alcohol.as_str()), ("former", "none"));
    assert_eq!(read.notes.as_deref(), Some("Quit in 2026"));
    assert_eq!(read.occupation.as_deref(), Some("Fisher"));
    let bad = SocialHistoryForm { smoking: "vapes".into(), alcohol: "lots".into(), ..Default::default() };
    match problems::save_social(&ctx.services, &a, &p, &bad).await {
        Err(ServiceError::Invalid(errors)) => assert!(errors.get("smoking").is_some() && errors.get("alcohol").is_some()),
        other => panic!("{other:?}"),
    }
}

async fn timeline_is_newest_first_paged_and_filtered(ctx: Ctx) {
    let a = sign_up(&ctx, "A", "a@a.example").await;
    let p = patient(&ctx, &a, "Sousa").await;
    // 25 encounters on consecutive days of 2025, then 3 problems and an
    // amendment recorded now (newest).
    let mut first_note = String::new();
    for day in 0..25 {
        let date = chrono::NaiveDate::from_ymd_opt(2025, 3, 1).unwrap() + chrono::Duration::days(day);
        let note = encounter(&ctx, &a, &p, &date.to_string()).await;
        if day == 0 {
            first_note = note;
        }
    }
    notes::save_draft(&ctx.services, &a, &first_note, &soap("s", "", "", "")).await.unwrap();
    notes::sign(&ctx.services, &a, &first_note).await.unwrap();
    notes::amend(&ctx.services, &a, &AmendmentForm { note_id: first_note.clone(), reason: "r".into(), body: "b".into() }).await.unwrap();
    for code in ["I10", "E11.9", "J45.909"] {
        problems::add(&ctx.services, &a, &p, &ProblemForm { code: code.into(), status: "active".into(), ..Default::default() }).await.unwrap();
    }

    let first = timeline::page(&ctx.services, &a, &TimelineForm { patient_id: p.clone(), ..Default::default() }).await.unwrap();
    assert_eq!(first.items.len(), timeline::PAGE);
    assert!(first.items.windows(2).all(|w| (w[0].at, w[0].id) > (w[1].at, w[1].id)), "newest first");
    assert_eq!(first.items[0].kind, "problem", "recorded now, so first");
    assert!(first.items[0].title.starts_with("Problem: J45.909"));
    let next = first.next.clone().expect("a second page");
    let second = timeline::page(&ctx.services, &a, &TimelineForm { patient_id: p.clone(), before: next, ..Default::default() }).await.unwrap();
    assert_eq!(second.items.len(), 29 - timeline::PAGE);
    assert!(second.next.is_none());
    assert!(first.items.last().map(|l| (l.at, l.id)) > second.items.first().map(|f| (f.at, f.id)));
    let mut all: Vec<_> = first.items.iter().chain(&second.items).map(|i| i.id).collect();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 29, "every item exactly once");
    let oldest = second.items.last().unwrap();
    assert_eq!((oldest.kind, oldest.title.as_str(), oldest.detail.as_deref()), ("encounter", "Consultation", Some("Note signed")));
    assert!(oldest.when.starts_with("2025-03-01 09:30"), "clinic time: {}", oldest.when);

    let only = timeline::page(&ctx.services, &a, &TimelineForm { patient_id: p.clone(), kind: "problem".into(), ..Default::default() }).await.unwrap();
    assert_eq!(only.items.len(), 3);
    assert!(only.items.iter().all(|i| i.kind == "problem") && only.next.is_none());
    let amendments = timeline::page(&ctx.services, &a, &TimelineForm { patient_id: p.clone(), kind: "amendment".into(), ..Default::default() }).await.unwrap();
    assert_eq!(amendments.items.len(), 1);

    let bad = TimelineForm { patient_id: p.clone(), kind: "billing".into(), before: "yesterday".into() };
    match timeline::page(&ctx.services, &a, &bad).await {
        Err(ServiceError::Invalid(errors)) => assert!(errors.get("kind").is_some() && errors.get("before").is_some()),
        other => panic!("{other:?}"),
    }
    // Another clinic's patient: 404.
    let b = sign_up(&ctx, "B", "b@b.example").await;
    let theirs = TimelineForm { patient_id: p.clone(), ..Default::default() };
    assert!(matches!(timeline::page(&ctx.services, &b, &theirs).await, Err(ServiceError::NotFound)));
}

async fn print_summary_has_problems_and_signed_notes(ctx: Ctx) {
    let a = sign_up(&ctx, "A", "a@a.example").await;
    let p = patient(&ctx, &a, "Sousa").await;
    let signed = encounter(&ctx, &a, &p, "2026-10-01").await;
    notes::save_draft(&ctx.services, &a, &signed, &soap("Headache", "", "Migraine", "Triptan")).await.unwrap();
    notes::sign(&ctx.services, &a, &signed).await.unwrap();
    notes::amend(&ctx.services, &a, &AmendmentForm { note_id: signed.clone(), reason: "Dose".into(), body: "Sumatriptan 50 mg".into() }).await.unwrap();
    let draft = encounter(&ctx, &a, &p, "2026-11-01").await;
    notes::save_draft(&ctx.services, &a, &draft, &soap("Unsigned thoughts", "", "", "")).await.unwrap();
    problems::add(&ctx.services, &a, &p, &ProblemForm { code: "G43.909".into(), status: "active".into(), ..Default::default() }).await.unwrap();
    let summary = summary::print(&ctx.services, &a, &p).await.unwrap();
    assert_eq!((summary.family_name.as_str(), summary.date_of_birth.to_string().as_str()), ("Sousa", "1970-05-05"));
    assert_eq!(summary.problems.len(), 1);
    assert_eq!(summary.notes.len(), 1, "drafts are not printed");
    assert_eq!(summary.notes[0].content.assessment, "Migraine");
    assert!(summary.notes[0].amendments[0].contains("Sumatriptan 50 mg"));
}

async fn roles_and_restricted_records_are_enforced(ctx: Ctx) {
    let a = sign_up(&ctx, "A", "a@a.example").await;
    let desk = join(&ctx, &a, "desk@a.example", "front_desk").await;
    let billing = join(&ctx, &a, "billing@a.example", "billing").await;
    let nurse = join(&ctx, &a, "nurse@a.example", "nurse").await;
    let p = patient(&ctx, &a, "Sousa").await;
    assert!(matches!(notes::list(&ctx.services, &desk, &p).await, Err(ServiceError::Forbidden)));
    assert!(matches!(timeline::page(&ctx.services, &desk, &TimelineForm { patient_id: p.clone(), ..Default::default() }).await, Err(ServiceError::Forbidden)));
    assert!(matches!(notes::create_encounter(&ctx.services, &billing, &encounter_form(&p, "2026-11-02", "09:00")).await, Err(ServiceError::Forbidden)));
    assert!(matches!(problems::add(&ctx.services, &desk, &p, &ProblemForm { code: "I10".into(), status: "active".into(), ..Default::default() }).await, Err(ServiceError::Forbidden)));
    assert!(matches!(summary::print(&ctx.services, &billing, &p).await, Err(ServiceError::Forbidden)));
    assert!(notes::list(&ctx.services, &a, &p).await.unwrap().is_empty());
    let trail = audit_actions(&ctx, &a).await;
    assert!(trail.contains(&("note.list".into(), "denied".into())) && trail.contains(&("encounter.create".into(), "denied".into())));

    // A restricted record: only its care team (the owner registered it).
    let form = PatientForm { given_name: "Vip".into(), family_name: "Private".into(), date_of_birth: "1960-01-01".into(), restricted: Some("on".into()), ..Default::default() };
    let restricted = patients::create(&ctx.services, &a, &form).await.unwrap().id.to_string();
    encounter(&ctx, &a, &restricted, "2026-11-02").await;
    assert!(matches!(notes::list(&ctx.services, &nurse, &restricted).await, Err(ServiceError::Restricted)));
    assert!(matches!(timeline::page(&ctx.services, &nurse, &TimelineForm { patient_id: restricted.clone(), ..Default::default() }).await, Err(ServiceError::Restricted)));
    assert!(matches!(notes::create_encounter(&ctx.services, &nurse, &encounter_form(&restricted, "2026-11-02", "09:00")).await, Err(ServiceError::Restricted)));
    assert_eq!(notes::list(&ctx.services, &a, &restricted).await.unwrap().len(), 1);
}

async fn bad_input_is_refused_at_the_field_and_changes_nothing(ctx: Ctx) {
    let a = sign_up(&ctx, "A", "a@a.example").await;
    let p = patient(&ctx, &a, "Sousa").await;
    let note = encounter(&ctx, &a, &p, "2026-11-02").await;
    notes::save_draft(&ctx.services, &a, &note, &soap("Before", "", "", "")).await.unwrap();
    // 1 MB in a section.
    let huge = soap(&"x".repeat(1_000_000), "", "", "");
    assert!(field(notes::save_draft(&ctx.services, &a, &note, &huge).await, "subjective").contains("under 50000"));
    // Control characters.
    assert!(field(notes::save_draft(&ctx.services, &a, &note, &soap("a\u{0}b", "", "", "")).await, "subjective").contains("control"));
    assert_eq!(only_note(&ctx, &a, &p).await.content.subjective, "Before", "nothing changed");
    // Markup is kept as text, byte for byte (the page shows it as text).
    let markup = "<script>alert('x')</script><img src=x onerror=alert(1)>";
    notes::save_draft(&ctx.services, &a, &note, &soap(markup, "", "", "")).await.unwrap();
    assert_eq!(only_note(&ctx, &a, &p).await.content.subjective, markup);

    // Encounters: future date, bad time, unknown kind, another clinic's practitioner.
    let future = (chrono::Utc::now() + chrono::Duration::days(3)).date_naive().to_string();
    assert!(field(notes::create_encounter(&ctx.services, &a, &encounter_form(&p, &future, "09:00")).await, "date").contains("future"));
    let mut odd = encounter_form(&p, "2026-11-02", "9h");
    odd.kind = "surgery".into();
    match notes::create_encounter(&ctx.services, &a, &odd).await {
        Err(ServiceError::Invalid(errors)) => assert!(errors.get("time").is_some() && errors.get("kind").is_some()),
        other => panic!("{other:?}"),
    }
    let b = sign_up(&ctx, "B", "b@b.example").await;
    let mut tx = ctx.services.db.write_in(&b.scope).await.unwrap();
    let theirs = ambula_backend::repo::practitioners::insert(&mut tx, &b.scope, None, "Dr B", None, "#1d4ed8", ctx.services.now()).await.unwrap();
    tx.commit().await.unwrap();
    let mut cross = encounter_form(&p, "2026-11-02", "09:00");
    cross.practitioner_id = theirs.to_string();
    assert!(field(notes::create_encounter(&ctx.services, &a, &cross).await, "practitioner_id").contains("practitioner"));
    let mut appointment = encounter_form(&p, "2026-11-02", "09:00");
    appointment.appointment_id = uuid::Uuid::now_v7().to_string();
    assert!(field(notes::create_encounter(&ctx.services, &a, &appointment).await, "appointment_id").contains("appointments"));
    assert_eq!(notes::list(&ctx.services, &a, &p).await.unwrap().len(), 1, "no encounter was added");

    // Amendments: reason and body required and bounded.
    notes::sign(&ctx.services, &a, &note).await.unwrap();
    let empty = AmendmentForm { note_id: note.clone(), reason: " ".into(), body: "x".repeat(1_000_000) };
    match notes::amend(&ctx.services, &a, &empty).await {
        Err(ServiceError::Invalid(errors)) => assert!(errors.get("reason").is_some() && errors.get("body").is_some()),
        other => panic!("{other:?}"),
    }
    assert!(only_note(&ctx, &a, &p).await.amendments.is_empty());
    // A made-up note id is a 404.
    let made_up = AmendmentForm { note_id: "not-an-id".into(), reason: "r".into(), body: "b".into() };
    assert!(matches!(notes::amend(&ctx.services, &a, &made_up).await, Err(ServiceError::NotFound)));
    // Problems: future onset, huge notes; nothing added.
    let future_onset = ProblemForm { code: "I10".into(), onset_date: future, status: "active".into(), ..Default::default() };
    assert!(field(problems::add(&ctx.services, &a, &p, &future_onset).await, "onset_date").contains("future"));
    let huge_notes = ProblemForm { code: "I10".into(), status: "active".into(), notes: "n".repeat(1_000_000), ..Default::default() };
    assert!(field(problems::add(&ctx.services, &a, &p, &huge_notes).await, "notes").contains("under"));
    assert!(problems::chart(&ctx.services, &a, &p).await.unwrap().problems.is_empty());
}

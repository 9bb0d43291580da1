//! Another clinic's real ids, over HTTP, on SQLite and PostgreSQL:
//!
//! - every route whose id the matrix (`authz.rs`) can only probe with the
//!   nil id (rooms, appointment types, time off, note templates, fee
//!   services, payers, packages sold, claims, …) is called by clinic A's
//!   owner with the id of a real record of clinic B: 404, and B's records
//!   read back by B are unchanged;
//! - a record of A combined with a secondary record of B (booking A's
//!   patient with B's practitioner, room or type; invoicing with B's payer
//!   or fee service; …): 404 or a field error naming the field, and
//!   nothing is created in either clinic;
//! - one person who works at both clinics, signed in to A, is refused B's
//!   ids the same way; switched to B, the same calls succeed.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::Value;

ambula_testkit::on_both_backends!(
    another_clinics_real_ids_are_404_and_change_nothing,
    mixing_two_clinics_records_creates_nothing,
    a_member_of_two_clinics_sees_only_the_clinic_signed_in_to,
);

/// Clinic B's records the matrix has no probe target for.
#[derive(Clone, Debug, Default)]
struct Extra {
    room: String,
    kind: String,
    time_off: String,
    template: String,
    service: String,
    payer: String,
    package: String,
    patient_package: String,
    coverage: String,
    claim: String,
}

/// Furnishes a clinic (through its owner) with a room, a time off, a note
/// template, a fee service, a payer, a package sold to its patient, a
/// coverage and a claim on its invoice.
async fn extra(app: &App, owner: &str, records: &Records, tag: &str) -> Extra {
    let mut x = Extra::default();
    x.room = app.call("/api/setup_add_room", &[("name", &format!("Room {tag}"))], owner).await["id"].as_str().unwrap().to_owned();
    x.kind = app.call("/api/appointment_types", &[], owner).await[0]["id"].as_str().unwrap().to_owned();
    // Time off is listed for the coming months only: next week's.
    let from = (chrono::Utc::now().date_naive() + chrono::Duration::days(7)).to_string();
    let to = (chrono::Utc::now().date_naive() + chrono::Duration::days(8)).to_string();
    let off = [("kind", "leave"), ("practitioner_id", records.practitioner.as_str()), ("from_date", &from), ("to_date", &to)];
    app.call("/api/setup_add_time_off", &off, owner).await;
    let offs = app.call("/api/setup_time_off", &[("practitioner_id", &records.practitioner)], owner).await;
    x.time_off = offs[0]["id"].as_str().unwrap().to_owned();
    let template = app.call("/api/chart_template_create", &[("name", &format!("Template {tag}")), ("fields", "plan | Next | text")], owner).await;
    x.template = template["id"].as_str().unwrap().to_owned();
    let code = format!("X{tag}");
    app.call("/api/fee_service_create", &[("code", &code), ("description", "Test"), ("price", "10")], owner).await;
    app.call("/api/payer_create", &[("name", &format!("Insurer {tag}")), ("kind", "insurer")], owner).await;
    let fees = app.call("/api/fee_settings", &[], owner).await;
    x.service = fees["services"].as_array().unwrap().iter().find(|s| s["code"] == code.as_str()).unwrap()["id"].as_str().unwrap().to_owned();
    x.payer = fees["payers"][0]["id"].as_str().unwrap().to_owned();
    app.call("/api/package_create", &[("name", &format!("Ten {tag}")), ("service_id", &x.service), ("sessions", "10"), ("price", "100")], owner).await;
    let packages = app.call("/api/patient_packages", &[("patient_id", &records.patient)], owner).await;
    x.package = packages["for_sale"][0][0].as_str().unwrap().to_owned();
    app.call("/api/package_sell", &[("patient_id", &records.patient), ("package_id", &x.package)], owner).await;
    let packages = app.call("/api/patient_packages", &[("patient_id", &records.patient)], owner).await;
    x.patient_package = packages["packages"][0]["id"].as_str().unwrap().to_owned();
    let coverage = [
        ("patient_id", records.patient.as_str()), ("payer_id", x.payer.as_str()), ("member_id", "M-1"), ("plan", ""),
        ("valid_from", "2020-01-01"), ("valid_to", ""), ("covered_percent", "80"),
    ];
    app.call("/api/coverage_add", &coverage, owner).await;
    let coverages = app.call("/api/patient_coverages", &[("patient_id", &records.patient)], owner).await;
    x.coverage = coverages["coverages"][0]["id"].as_str().unwrap().to_owned();
    let claim = [
        ("invoice_id", records.invoice.as_str()), ("coverage_id", x.coverage.as_str()), ("diagnosis_codes", "J06.9"),
        ("procedure_codes", "99213"), ("amount", ""),
    ];
    app.call("/api/claim_create", &claim, owner).await;
    x.claim = app.call("/api/claims_list", &[("status", "")], owner).await[0]["id"].as_str().unwrap().to_owned();
    x
}

/// Everything a clinic's owner can list, read back as that owner: what a
/// refused call must leave as it was.
async fn snapshot(app: &App, owner: &str, r: &Records) -> Value {
    let mut all = serde_json::Map::new();
    let reads: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("/api/setup_rooms", vec![]),
        ("/api/setup_types", vec![]),
        ("/api/setup_time_off", vec![("practitioner_id", &r.practitioner)]),
        ("/api/chart_templates", vec![]),
        ("/api/fee_settings", vec![]),
        ("/api/patient_packages", vec![("patient_id", &r.patient)]),
        ("/api/patient_coverages", vec![("patient_id", &r.patient)]),
        ("/api/invoice_insurance", vec![("invoice_id", &r.invoice)]),
        ("/api/claims_list", vec![("status", "")]),
        ("/api/billing_overview", vec![("status", "")]),
        ("/api/patient_account", vec![("patient_id", &r.patient)]),
        ("/api/waitlist_entries", vec![]),
        ("/api/calendar_day", vec![("date", "2030-03-12"), ("by", "practitioner")]),
        ("/api/calendar_week", vec![("practitioner_id", &r.practitioner), ("date", "2030-03-11")]),
        ("/api/calendar_week", vec![("practitioner_id", &r.practitioner), ("date", "2030-03-18")]),
        ("/api/patient_get", vec![("id", &r.patient)]),
        ("/api/results_overview", vec![("patient_id", &r.patient)]),
        ("/api/registry_search", vec![("q", ""), ("status", "all")]),
    ];
    for (path, form) in reads {
        let key = format!("{path} {form:?}");
        let mut value = app.call(path, &form, owner).await;
        // The clock, not the clinic's data: the minute may turn between two
        // snapshots (the calendar's "now" line).
        if let Value::Object(fields) = &mut value {
            fields.remove("now_min");
            fields.remove("today");
        }
        all.insert(key, value);
    }
    Value::Object(all)
}

/// What a refused call may answer: 404, or 422 with the error at `field`.
fn refused(status: StatusCode, body: &Value, fields: &[&str]) -> bool {
    status == StatusCode::NOT_FOUND
        || (status == StatusCode::UNPROCESSABLE_ENTITY && fields.iter().any(|f| body["Invalid"][*f].is_string()))
}

/// One probe: a path, its form, and the fields a 422 may name (none: only
/// 404 is right).
struct Case {
    path: &'static str,
    form: Vec<(&'static str, String)>,
    fields: &'static [&'static str],
}

fn case(path: &'static str, form: &[(&'static str, &str)], fields: &'static [&'static str]) -> Case {
    Case { path, form: form.iter().map(|(k, v)| (*k, v.to_string())).collect(), fields }
}

async fn probe_all(app: &App, cookie: &str, cases: &[Case]) -> Vec<String> {
    let mut failures = Vec::new();
    for c in cases {
        let form: Vec<(&str, &str)> = c.form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, body) = app.attempt(c.path, &form, cookie).await;
        if !refused(status, &body, c.fields) {
            let body: String = body.to_string().chars().take(200).collect();
            failures.push(format!("{} {:?}: {status} {body}", c.path, c.form));
        }
    }
    failures
}

/// The routes that take an id of a kind the matrix has no probe target for,
/// each called with clinic B's real record.
fn b_ids_cases(b: &Records, x: &Extra) -> Vec<Case> {
    vec![
        case("/api/setup_rename_room", &[("room_id", &x.room), ("name", "Hijacked")], &[]),
        case("/api/setup_set_room_active", &[("room_id", &x.room), ("active", "false")], &[]),
        case("/api/setup_update_type", &[("type_id", &x.kind), ("practitioners", ""), ("name", "Hijacked"), ("duration_minutes", "30"), ("colour", "#1d4ed8")], &[]),
        case("/api/setup_set_type_active", &[("type_id", &x.kind), ("active", "false")], &[]),
        case("/api/setup_remove_time_off", &[("time_off_id", &x.time_off)], &[]),
        // The form's practitioner picker: a field error, as documented.
        case("/api/setup_add_time_off", &[("kind", "leave"), ("practitioner_id", &b.practitioner), ("from_date", "2030-07-01"), ("to_date", "2030-07-02")], &["practitioner_id"]),
        case("/api/chart_template_update", &[("template_id", &x.template), ("name", "Hijacked"), ("fields", ""), ("active", "on")], &[]),
        case("/api/fee_service_set_active", &[("service_id", &x.service), ("active", "false")], &[]),
        case("/api/payer_set_price", &[("service_id", &x.service), ("payer_id", &x.payer), ("price", "1")], &["service_id", "payer_id"]),
        case("/api/package_use_session", &[("patient_package_id", &x.patient_package), ("appointment_id", &b.appointment)], &[]),
        case("/api/claim_create", &[("invoice_id", &b.invoice), ("coverage_id", &x.coverage), ("diagnosis_codes", "J06.9"), ("procedure_codes", "99213"), ("amount", "")], &["invoice_id", "coverage_id"]),
        case("/api/claim_submit", &[("claim_id", &x.claim)], &[]),
        case("/api/claim_decide", &[("claim_id", &x.claim), ("decision", "accept"), ("reason", "")], &[]),
        case("/api/claim_remit", &[("claim_id", &x.claim), ("amount", "1"), ("reference", "")], &[]),
        case("/api/invoice_create", &[("patient_id", &b.patient), ("payer_id", ""), ("due_on", ""), ("note", ""), ("lines[0][description]", "Consultation"), ("lines[0][quantity]", "1"), ("lines[0][unit_price]", "45")], &["patient_id"]),
        case("/api/waitlist_add", &[("patient_id", &b.patient), ("type_id", &x.kind), ("earliest", "2030-03-12"), ("latest", "2030-03-20")], &["patient_id", "type_id"]),
        case("/api/appointment_book", &[("patient_id", &b.patient), ("practitioner_id", &b.practitioner), ("type_id", &x.kind), ("date", "2030-03-19"), ("time", "11:00")], &["patient_id", "practitioner_id", "type_id"]),
        case("/api/next_available", &[("type_id", &x.kind), ("practitioner_id", &b.practitioner), ("from", "2030-03-12")], &["type_id", "practitioner_id"]),
        case("/api/package_sell", &[("patient_id", &b.patient), ("package_id", &x.package)], &[]),
        case("/api/coverage_add", &[("patient_id", &b.patient), ("payer_id", &x.payer), ("member_id", "M-2"), ("plan", ""), ("valid_from", "2020-01-01"), ("valid_to", ""), ("covered_percent", "80")], &[]),
        case("/api/patient_merge", &[("survivor_id", &b.patient), ("duplicate_id", NIL), ("confirm", "on")], &[]),
        case("/api/result_attach_report", &[("order_id", &b.order), ("document_id", &b.document)], &[]),
    ]
}

/// A's own records with one secondary id of B's: refused, nothing created.
fn mixed_cases(a: &Records, ax: &Extra, b: &Records, bx: &Extra) -> Vec<Case> {
    vec![
        // Booking A's patient with B's practitioner, room or type.
        case("/api/appointment_book", &[("patient_id", &a.patient), ("practitioner_id", &b.practitioner), ("type_id", &ax.kind), ("date", "2030-03-19"), ("time", "11:00")], &["practitioner_id"]),
        case("/api/appointment_book", &[("patient_id", &a.patient), ("practitioner_id", &a.practitioner), ("type_id", &bx.kind), ("date", "2030-03-19"), ("time", "11:00")], &["type_id"]),
        case("/api/appointment_book", &[("patient_id", &a.patient), ("practitioner_id", &a.practitioner), ("room_id", &bx.room), ("type_id", &ax.kind), ("date", "2030-03-19"), ("time", "11:00")], &["room_id"]),
        case("/api/appointment_book", &[("patient_id", &b.patient), ("practitioner_id", &a.practitioner), ("type_id", &ax.kind), ("date", "2030-03-19"), ("time", "11:00")], &["patient_id"]),
        // Booking from A's waiting list with B's practitioner or room.
        case("/api/waitlist_book", &[("waitlist_id", &a.waitlist), ("practitioner_id", &b.practitioner), ("date", "2030-03-19"), ("time", "10:00")], &["practitioner_id"]),
        case("/api/waitlist_book", &[("waitlist_id", &a.waitlist), ("practitioner_id", &a.practitioner), ("room_id", &bx.room), ("date", "2030-03-19"), ("time", "10:00")], &["room_id"]),
        // A's patient on the waiting list for B's type or practitioner.
        case("/api/waitlist_add", &[("patient_id", &a.patient), ("type_id", &bx.kind), ("earliest", "2030-03-12"), ("latest", "2030-03-20")], &["type_id"]),
        case("/api/waitlist_add", &[("patient_id", &a.patient), ("type_id", &ax.kind), ("practitioner_id", &b.practitioner), ("earliest", "2030-03-12"), ("latest", "2030-03-20")], &["practitioner_id"]),
        // Invoicing A's patient with B's payer or B's fee service.
        case("/api/invoice_create", &[("patient_id", &a.patient), ("payer_id", &bx.payer), ("due_on", ""), ("note", ""), ("lines[0][description]", "Consultation"), ("lines[0][quantity]", "1"), ("lines[0][unit_price]", "45")], &["payer_id"]),
        case("/api/invoice_create", &[("patient_id", &a.patient), ("payer_id", ""), ("due_on", ""), ("note", ""), ("lines[0][service_id]", &bx.service), ("lines[0][quantity]", "1")], &["lines.0.service_id"]),
        // Selling B's package to A's patient; B's payer on A's patient.
        case("/api/package_sell", &[("patient_id", &a.patient), ("package_id", &bx.package)], &["package_id"]),
        case("/api/coverage_add", &[("patient_id", &a.patient), ("payer_id", &bx.payer), ("member_id", "M-3"), ("plan", ""), ("valid_from", "2020-01-01"), ("valid_to", ""), ("covered_percent", "80")], &["payer_id"]),
        // A's package session for B's appointment.
        case("/api/package_use_session", &[("patient_package_id", &ax.patient_package), ("appointment_id", &b.appointment)], &["appointment_id"]),
        // Claims mixing A's invoice and B's coverage, and the reverse.
        case("/api/claim_create", &[("invoice_id", &a.invoice), ("coverage_id", &bx.coverage), ("diagnosis_codes", "J06.9"), ("procedure_codes", "99213"), ("amount", "")], &["coverage_id"]),
        case("/api/claim_create", &[("invoice_id", &b.invoice), ("coverage_id", &ax.coverage), ("diagnosis_codes", "J06.9"), ("procedure_codes", "99213"), ("amount", "")], &["invoice_id"]),
        // Prices: A's service at B's payer, and B's service at A's payer.
        case("/api/payer_set_price", &[("service_id", &ax.service), ("payer_id", &bx.payer), ("price", "1")], &["payer_id"]),
        case("/api/payer_set_price", &[("service_id", &bx.service), ("payer_id", &ax.payer), ("price", "1")], &["service_id"]),
        // A's type delivered by B's practitioner; B's service on A's package.
        case("/api/setup_update_type", &[("type_id", &ax.kind), ("practitioners", &b.practitioner), ("name", "Consultation"), ("duration_minutes", "30"), ("colour", "#3366cc")], &["practitioners"]),
        case("/api/package_create", &[("name", "Mixed"), ("service_id", &bx.service), ("sessions", "10"), ("price", "100")], &["service_id"]),
        case("/api/fee_service_create", &[("code", "MIX1"), ("description", "Mixed"), ("price", "10"), ("appointment_type_id", &bx.kind)], &["appointment_type_id"]),
        // A's lab order with B's document as its report; A's patients merged with B's.
        case("/api/result_attach_report", &[("order_id", &a.order), ("document_id", &b.document)], &["document_id"]),
        case("/api/patient_merge", &[("survivor_id", &a.patient), ("duplicate_id", &b.patient), ("confirm", "on")], &["duplicate_id"]),
        case("/api/patient_merge", &[("survivor_id", &b.patient), ("duplicate_id", &a.patient), ("confirm", "on")], &["survivor_id"]),
        // Time off for B's practitioner, hours of B's practitioner.
        case("/api/setup_add_time_off", &[("kind", "leave"), ("practitioner_id", &b.practitioner), ("from_date", "2030-07-01"), ("to_date", "2030-07-02")], &["practitioner_id"]),
    ]
}

async fn another_clinics_real_ids_are_404_and_change_nothing(app: App) {
    let w = world(&app).await;
    let bx = extra(&app, &w.b_owner, &w.b, "B").await;
    // Every route the matrix probes with the nil id only is probed here.
    let cases = b_ids_cases(&w.b, &bx);
    let nil_only: Vec<&str> = SPECS
        .iter()
        .filter(|s| matches!(s.kind, Kind2::Signed) && s.form.iter().any(|(_, v)| *v == NIL))
        .map(|s| s.path)
        .filter(|p| !cases.iter().any(|c| c.path == *p))
        .collect();
    assert!(nil_only.is_empty(), "routes probed only with the nil id; add a real-id case: {nil_only:?}");

    let before = snapshot(&app, &w.b_owner, &w.b).await;
    let mut failures = probe_all(&app, &w.a_owner, &cases).await;
    // The data routes too.
    for path in [
        format!("/api/documents/{}", w.b.document), format!("/api/documents/{}/preview", w.b.document),
        format!("/api/invoices/{}/pdf", w.b.invoice), format!("/api/payments/{}/receipt", w.b.payment),
        format!("/api/patients/{}/statement", w.b.patient), format!("/api/patients/{}/summary.pdf", w.b.patient),
        format!("/api/medications/{}/prescription", w.b.medication), format!("/api/referrals/{}/letter", w.b.referral),
    ] {
        let (status, _) = app.get(&path, &w.a_owner).await;
        if status != StatusCode::NOT_FOUND {
            failures.push(format!("GET {path}: {status}"));
        }
    }
    assert!(failures.is_empty(), "clinic B's ids accepted by clinic A:\n{}", failures.join("\n"));
    let after = snapshot(&app, &w.b_owner, &w.b).await;
    assert_json_eq(&before, &after, "clinic B");
}

async fn mixing_two_clinics_records_creates_nothing(app: App) {
    let w = world(&app).await;
    let bx = extra(&app, &w.b_owner, &w.b, "B").await;
    let ax = extra(&app, &w.a_owner, &w.a, "A").await;
    let before = (snapshot(&app, &w.a_owner, &w.a).await, snapshot(&app, &w.b_owner, &w.b).await);
    let failures = probe_all(&app, &w.a_owner, &mixed_cases(&w.a, &ax, &w.b, &bx)).await;
    assert!(failures.is_empty(), "mixed-clinic ids accepted:\n{}", failures.join("\n"));
    let after = (snapshot(&app, &w.a_owner, &w.a).await, snapshot(&app, &w.b_owner, &w.b).await);
    assert_json_eq(&before.0, &after.0, "clinic A");
    assert_json_eq(&before.1, &after.1, "clinic B");
}

/// The calls an administrator may make, with clinic B's records.
fn admin_cases(b: &Records, x: &Extra) -> Vec<Case> {
    vec![
        case("/api/patient_get", &[("id", &b.patient)], &[]),
        case("/api/patient_record", &[("id", &b.patient)], &[]),
        case("/api/patient_account", &[("patient_id", &b.patient)], &[]),
        case("/api/calendar_week", &[("practitioner_id", &b.practitioner), ("date", "2030-03-11")], &[]),
        case("/api/setup_time_off", &[("practitioner_id", &b.practitioner)], &[]),
        case("/api/invoice_detail", &[("invoice_id", &b.invoice)], &[]),
        case("/api/payment_receipt", &[("payment_id", &b.payment)], &[]),
        case("/api/invoice_insurance", &[("invoice_id", &b.invoice)], &[]),
        case("/api/setup_rename_room", &[("room_id", &x.room), ("name", "Room B2")], &[]),
        case("/api/setup_update_type", &[("type_id", &x.kind), ("practitioners", ""), ("name", "Renamed"), ("duration_minutes", "30"), ("colour", "#1d4ed8")], &[]),
        case("/api/chart_template_update", &[("template_id", &x.template), ("name", "Renamed"), ("fields", "plan | Next | text"), ("active", "on")], &[]),
        case("/api/fee_service_set_active", &[("service_id", &x.service), ("active", "true")], &[]),
        case("/api/payer_set_price", &[("service_id", &x.service), ("payer_id", &x.payer), ("price", "7")], &[]),
        case("/api/claim_submit", &[("claim_id", &x.claim)], &[]),
        case("/api/appointment_status", &[("id", &b.appointment), ("status", "arrived")], &[]),
        case("/api/patient_update", &[("id", &b.patient), ("given_name", "Bea"), ("family_name", "Renamed"), ("date_of_birth", "1980-05-05"), ("phone", ""), ("email", "")], &[]),
    ]
}

async fn a_member_of_two_clinics_sees_only_the_clinic_signed_in_to(app: App) {
    let w = world(&app).await;
    let bx = extra(&app, &w.b_owner, &w.b, "B").await;
    // One person, administrator at both clinics: a new account at A, the
    // same account joining B.
    let first = join(&app, &w.a_owner, "dual@x.example", "admin").await;
    let at_b = join_signed_in(&app, &w.b_owner, &first, "dual@x.example", "admin").await;
    let at_a = switch_clinic(&app, &at_b, &w.a.clinic).await;
    let clinics = app.call("/api/my_clinics", &[], &at_a).await;
    assert_eq!(clinics.as_array().map(Vec::len), Some(2), "{clinics}");
    assert_eq!(app.call("/api/me", &[], &at_a).await["clinic_name"], "Clinic A");

    let cases = admin_cases(&w.b, &bx);
    let before = snapshot(&app, &w.b_owner, &w.b).await;
    let mut failures = probe_all(&app, &at_a, &cases).await;
    for path in [format!("/api/invoices/{}/pdf", w.b.invoice), format!("/api/patients/{}/statement", w.b.patient)] {
        let (status, _) = app.get(&path, &at_a).await;
        if status != StatusCode::NOT_FOUND {
            failures.push(format!("GET {path}: {status}"));
        }
    }
    assert!(failures.is_empty(), "signed in to A, clinic B's ids accepted:\n{}", failures.join("\n"));
    assert_json_eq(&before, &snapshot(&app, &w.b_owner, &w.b).await, "clinic B");

    // Switched to B: the very same calls succeed.
    let at_b = switch_clinic(&app, &at_a, &w.b.clinic).await;
    assert_eq!(app.call("/api/me", &[], &at_b).await["clinic_name"], "Clinic B");
    for c in &cases {
        let form: Vec<(&str, &str)> = c.form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, body) = app.attempt(c.path, &form, &at_b).await;
        assert!(status.is_success(), "at B: {} {:?}: {status} {body}", c.path, c.form);
    }
    for path in [format!("/api/invoices/{}/pdf", w.b.invoice), format!("/api/patients/{}/statement", w.b.patient)] {
        assert_eq!(app.get(&path, &at_b).await.0, StatusCode::OK, "at B: GET {path}");
    }
    // And back at A, A's records are A's: B's are still 404.
    let at_a = switch_clinic(&app, &at_b, &w.a.clinic).await;
    assert_eq!(app.attempt("/api/patient_get", &[("id", &w.b.patient)], &at_a).await.0, StatusCode::NOT_FOUND);
    assert!(app.attempt("/api/patient_get", &[("id", &w.a.patient)], &at_a).await.0.is_success());
}

/// Equal JSON, or a message naming the first key that differs.
fn assert_json_eq(before: &Value, after: &Value, who: &str) {
    if before == after {
        return;
    }
    if let (Value::Object(b), Value::Object(a)) = (before, after) {
        for (key, value) in b {
            assert_eq!(Some(value), a.get(key), "{who}: {key} changed");
        }
    }
    assert_eq!(before, after, "{who} changed");
}

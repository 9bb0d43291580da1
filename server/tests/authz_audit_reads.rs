//! Every allowed read of patient data leaves an audit entry, over HTTP, on
//! SQLite and PostgreSQL: each route of the matrix that returns protected
//! health information (the patient, the chart and its tabs, invoices and
//! accounts with patients' names, the calendar, search, exports, PDFs) is
//! called by a role allowed to, and the audit trail (counted through the
//! database owner's connection) must have grown, by an entry naming the
//! patient when the read is of one patient's data. Reads of no patient data
//! must not write one (so the count is not growing by itself).

mod common;

use common::*;

ambula_testkit::on_both_backends!(every_allowed_read_of_patient_data_is_audited);

async fn every_allowed_read_of_patient_data_is_audited(app: App) {
    let w = world(&app).await;
    let a = &w.a;
    let owner = w.a_owner.as_str();
    let nurse = w.roles["nurse"].as_str();
    let billing = w.roles["billing"].as_str();
    // (route, form, who reads).
    let reads: Vec<(&str, Vec<(&str, &str)>, &str)> = vec![
        ("/api/patient_get", vec![("id", &a.patient)], owner),
        ("/api/patient_record", vec![("id", &a.patient)], owner),
        ("/api/chart_open", vec![("id", &a.patient)], owner),
        ("/api/patient_search", vec![("q", "Beta")], owner),
        ("/api/registry_search", vec![("q", "Beta"), ("status", "all")], owner),
        ("/api/patient_export", vec![], owner),
        ("/api/patient_reminders", vec![("patient_id", &a.patient)], owner),
        ("/api/calendar_day", vec![("date", "2030-03-12"), ("by", "practitioner")], owner),
        ("/api/calendar_week", vec![("practitioner_id", &a.practitioner), ("date", "2030-03-11")], owner),
        ("/api/waitlist_entries", vec![], owner),
        ("/api/waitlist_freed_slots", vec![], owner),
        ("/api/chart_encounters", vec![("patient_id", &a.patient)], owner),
        ("/api/chart_problems", vec![("patient_id", &a.patient)], owner),
        ("/api/chart_timeline", vec![("patient_id", &a.patient)], owner),
        ("/api/chart_print", vec![("patient_id", &a.patient)], owner),
        ("/api/meds_chart", vec![("patient_id", &a.patient)], nurse),
        ("/api/allergy_badge", vec![("patient_id", &a.patient)], nurse),
        ("/api/vitals_history", vec![("patient_id", &a.patient)], nurse),
        ("/api/results_overview", vec![("patient_id", &a.patient)], nurse),
        ("/api/documents_list", vec![("patient_id", &a.patient)], nurse),
        ("/api/billing_overview", vec![("status", "")], billing),
        ("/api/invoice_detail", vec![("invoice_id", &a.invoice)], billing),
        ("/api/invoice_insurance", vec![("invoice_id", &a.invoice)], billing),
        ("/api/payment_receipt", vec![("payment_id", &a.payment)], billing),
        ("/api/patient_account", vec![("patient_id", &a.patient)], billing),
        ("/api/patient_packages", vec![("patient_id", &a.patient)], billing),
        ("/api/patient_coverages", vec![("patient_id", &a.patient)], billing),
        ("/api/claims_list", vec![("status", "")], billing),
        ("/api/billing_reports", vec![("as_of", ""), ("day", ""), ("from", ""), ("to", ""), ("group_by", "")], billing),
    ];
    let downloads: Vec<(String, &str)> = vec![
        (format!("/api/documents/{}", a.document), nurse),
        (format!("/api/documents/{}/preview", a.document), nurse),
        (format!("/api/medications/{}/prescription", a.medication), owner),
        (format!("/api/referrals/{}/letter", a.referral), owner),
        (format!("/api/patients/{}/summary.pdf", a.patient), owner),
        (format!("/api/invoices/{}/pdf", a.invoice), billing),
        (format!("/api/payments/{}/receipt", a.payment), billing),
        (format!("/api/patients/{}/statement", a.patient), billing),
        ("/api/billing/export.csv?from=2026-01-01&to=2030-12-31".to_owned(), owner),
    ];

    // Not here, by design: `calendar_month` (counts per day), the calendar
    // feeds and the live stream (no patient details, see
    // `calendar_feed.rs`), `patient_import`'s dry run (checks the uploaded
    // file only, reads no stored record).

    // The control: reads of no patient's data write nothing.
    for path in ["/api/me", "/api/appointment_types", "/api/rooms_list"] {
        let before = app.audit_count().await;
        app.call(path, &[], owner).await;
        let written = app.audit_actions_since(before).await;
        assert!(written.is_empty(), "{path} wrote {written:?}: the count proves nothing");
    }

    // A read of one patient's data must leave an entry naming that patient
    // (their record's access history); a list, an entry of its own.
    let theirs = [a.patient.as_str(), a.invoice.as_str(), a.payment.as_str()];
    let about_patient = |form: &[(&str, &str)]| form.iter().any(|(_, v)| theirs.contains(v));
    let mut unaudited = Vec::new();
    for (path, form, who) in &reads {
        let patient = about_patient(form).then_some(a.patient.as_str());
        let before = app.audit_ok_count(patient).await;
        app.call(path, form, who).await;
        if app.audit_ok_count(patient).await <= before {
            unaudited.push(format!("{path}{}", if patient.is_some() { " (naming the patient)" } else { "" }));
        }
    }
    for (path, who) in &downloads {
        let patient = (!path.contains("export.csv")).then_some(a.patient.as_str());
        let before = app.audit_ok_count(patient).await;
        let (status, _) = app.get(path, who).await;
        assert!(status.is_success(), "GET {path}: {status}");
        if app.audit_ok_count(patient).await <= before {
            unaudited.push(format!("GET {path}{}", if patient.is_some() { " (naming the patient)" } else { "" }));
        }
    }
    assert!(unaudited.is_empty(), "patient data read without an audit entry: {unaudited:?}");
}

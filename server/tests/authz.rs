//! The authorization matrix, generated from the router: every registered
//! server function and every data route must appear in `SPECS`
//! (`common/specs.rs`), or the test fails (a new route cannot ship
//! unchecked). Each route is probed signed out (401); each route that takes
//! an id is probed with another clinic's id (404, that clinic's row
//! unchanged) and by a same-clinic role without the permission (403, row
//! unchanged). On SQLite and PostgreSQL.
//!
//! The other subjects: `authz_cross_clinic.rs` (real ids of another clinic
//! for the routes whose ids this matrix cannot probe, mixed-clinic ids, a
//! member of two clinics), `authz_malformed_ids.rs`, `authz_audit_reads.rs`.

mod common;

use common::*;
use reqwest::StatusCode;
use std::collections::BTreeSet;

ambula_testkit::on_both_backends!(every_route_is_in_the_matrix_and_denies_correctly, the_dashboard_shows_money_only_to_billing_roles);

async fn every_route_is_in_the_matrix_and_denies_correctly(app: App) {
    // 1. Coverage: the router's routes and the matrix are the same set.
    let mut registered: BTreeSet<String> = leptos::server_fn::axum::server_fn_paths().map(|(p, _)| p.to_owned()).collect();
    for (method, path) in server::routes::DATA_ROUTES {
        registered.insert(format!("{method} {path}"));
    }
    let specified: BTreeSet<String> = SPECS.iter().map(|s| s.path.to_owned()).collect();
    let missing: Vec<_> = registered.difference(&specified).collect();
    assert!(missing.is_empty(), "routes without an authorization spec (add them to SPECS): {missing:?}");
    let stale: Vec<_> = specified.difference(&registered).collect();
    assert!(stale.is_empty(), "specs for routes that no longer exist: {stale:?}");

    // 2. Two clinics; clinic A has a member of each probing role.
    let World { a_owner: a, b_owner: b, roles, a: ours, b: theirs } = world(&app).await;
    let (a_patient, a_nurse, a_waitlist) = (ours.patient.clone(), ours.member.clone(), ours.waitlist.clone());
    let (b_patient, b_waitlist) = (theirs.patient.clone(), theirs.waitlist.clone());
    let staff_of = |cookie: String| {
        let app = &app;
        async move { app.call("/api/staff_list", &[], &cookie).await }
    };
    let snapshot = || {
        let (app, b) = (&app, b.clone());
        let b_patient = b_patient.clone();
        async move {
            let patient = app.call("/api/patient_get", &[("id", &b_patient)], &b).await;
            let staff = app.call("/api/staff_list", &[], &b).await["staff"].clone();
            let day = app.call("/api/calendar_day", &[("date", "2030-03-12"), ("by", "practitioner")], &b).await;
            (patient["family_name"].clone(), patient["given_name"].clone(), staff, day["columns"].clone())
        }
    };
    let before = snapshot().await;

    for spec in SPECS {
        // Signed out: 401 for everything that is not public.
        if let Kind2::Token = spec.kind {
            for cookie in [None, Some(a.as_str())] {
                let status = app.probe(spec, "not-a-feed-token", cookie).await;
                assert_eq!(status, StatusCode::NOT_FOUND, "{} with an unknown token", spec.path);
            }
        }
        if !matches!(spec.kind, Kind2::Public | Kind2::Token) {
            let status = app.probe(spec, NIL, None).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{} signed out", spec.path);
            let forged = app.probe(spec, NIL, Some("ambula_session=forged")).await;
            assert_eq!(forged, StatusCode::UNAUTHORIZED, "{} with a forged cookie", spec.path);
        }
        // Another clinic's id: 404, as for an id that does not exist.
        if let Kind2::Id(target) = spec.kind {
            let theirs = theirs.of(target);
            let status = app.probe(spec, theirs, Some(&a)).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{} with clinic B's {target:?} id", spec.path);
        }
        // Same clinic, role without the permission: 403.
        if let Some(role) = spec.forbidden_for {
            let own = match spec.kind {
                Kind2::Id(target) => ours.of(target),
                _ => "",
            };
            // A member cannot act on themself either way; probe the nurse's
            // row as the billing role when the nurse is the one forbidden.
            let (role, own) = if role == "nurse" && own == a_nurse.as_str() { ("billing", own) } else { (role, own) };
            let status = app.probe(spec, own, Some(&roles[role])).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{} as {role}", spec.path);
        }
    }
    assert_eq!(snapshot().await, before, "clinic B's rows are unchanged");
    // B's chart too: the note is still the draft it was, unamended, and the
    // problem still active.
    let b_notes = app.call("/api/chart_encounters", &[("patient_id", &b_patient)], &b).await;
    assert_eq!(b_notes[0]["note"]["subjective"], "Original");
    assert_eq!(b_notes[0]["note"]["status"], "draft");
    assert_eq!(b_notes[0]["note"]["amendments"].as_array().map(Vec::len), Some(0));
    let b_problems = app.call("/api/chart_problems", &[("patient_id", &b_patient)], &b).await;
    assert_eq!(b_problems["problems"][0]["status"], "active");
    let b_meds = app.call("/api/meds_chart", &[("patient_id", &b_patient)], &b).await;
    assert_eq!((b_meds["allergies"][0]["status"].as_str(), b_meds["current"].as_array().map(Vec::len)), (Some("active"), Some(1)));
    assert_eq!((b_meds["referrals"][0]["status"].as_str(), b_meds["immunizations"].as_array().map(Vec::len)), (Some("draft"), Some(0)));
    // And A's own nurse is still a nurse, A's patient unchanged.
    let a_after = app.call("/api/patient_get", &[("id", &a_patient)], &a).await;
    assert_eq!(a_after["family_name"], "Beta");
    let still = staff_of(a.clone()).await;
    assert!(still["staff"].as_array().unwrap().iter().any(|m| m["membership_id"] == a_nurse.as_str() && m["role"] == "nurse" && m["active"] == true));
    // Both clinics' waiting patients are still waiting.
    for (cookie, entry) in [(&b, &b_waitlist), (&a, &a_waitlist)] {
        let list = app.call("/api/waitlist_entries", &[], cookie).await;
        assert_eq!(list.as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap()).collect::<Vec<_>>(), vec![entry.as_str()]);
    }
}

/// The dashboard's money figure (`outstanding`) is billing data: only roles
/// with `ViewBilling` get it; the others get `null` and the page shows no
/// card. The counts are for everyone.
async fn the_dashboard_shows_money_only_to_billing_roles(app: App) {
    let owner = sign_up(&app, "Clinic A", "a@a.example").await;
    for (role, sees) in [("admin", true), ("billing", true), ("front_desk", true), ("nurse", false), ("practitioner", false)] {
        let cookie = join(&app, &owner, &format!("{role}@a.example"), role).await;
        let board = app.call("/api/dashboard", &[], &cookie).await;
        assert_eq!(board["outstanding"].is_string(), sees, "{role}: {board}");
        if !sees {
            assert!(board["outstanding"].is_null(), "{role}: {board}");
        }
        assert!(board["patients"].is_i64(), "{role}: {board}");
    }
    let board = app.call("/api/dashboard", &[], &owner).await;
    assert!(board["outstanding"].is_string(), "owner: {board}");
}

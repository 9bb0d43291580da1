//! Malformed ids, over HTTP, on SQLite and PostgreSQL: every id a route
//! takes (a form field named `id`, `…_id`, `handle` or `practitioners`, or
//! the `{id}` of a data route's path), sent by clinic A's owner as a braced
//! `{…}` UUID, without hyphens, in upper case, as a URN, empty, 1000
//! characters long, with non-hex digits or one digit too many. The answer
//! is 400, 404 or 422 with the error at that field: never 500, and never
//! accepted. Ids have one text
//! form, the one the server writes (lower-case, hyphenated); the variants
//! of a real record's id must not reach it.

mod common;

use common::*;
use reqwest::StatusCode;

ambula_testkit::on_both_backends!(malformed_ids_are_refused_never_500_nor_accepted);

/// The form fields that carry an id. (`member_id` is an insurance member
/// number, not one of ours.)
fn is_id_field(name: &str) -> bool {
    (name == "id" || name.ends_with("_id") || name == "handle" || name == "practitioners") && name != "member_id"
}

/// The malformed variants of `id` (a well-formed id), named for the report.
/// `with_empty`: also the empty string (not for fields where empty means
/// "none" and the spec already sends it).
fn variants(id: &str, with_empty: bool) -> Vec<(&'static str, String)> {
    let mut out = vec![
        ("braced", format!("{{{id}}}")),
        ("hyphen-less", id.replace('-', "")),
        ("upper-case", id.to_uppercase()),
        ("urn", format!("urn:uuid:{id}")),
        ("1000 chars", "f".repeat(1000)),
        ("non-hex", "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz".to_owned()),
        ("one digit too many", format!("{id}0")),
        ("hyphens misplaced", format!("{}-{}", &id[..7], id[7..].replace('-', ""))),
    ];
    if with_empty {
        out.push(("empty", String::new()));
    }
    // An all-digit id is its own upper case: nothing to test there.
    out.retain(|(_, v)| v != id);
    out
}

fn acceptable(status: StatusCode) -> bool {
    matches!(status, StatusCode::BAD_REQUEST | StatusCode::NOT_FOUND | StatusCode::UNPROCESSABLE_ENTITY)
}

async fn malformed_ids_are_refused_never_500_nor_accepted(app: App) {
    let w = world(&app).await;
    let own = |spec: &Spec| match spec.kind {
        Kind2::Id(target) => w.a.of(target).to_owned(),
        // `invoice_create`'s patient.
        _ => w.a.patient.clone(),
    };
    let mut failures = Vec::new();
    let mut probed = 0;
    // Switching clinic (the session is reissued) and revoking sessions last.
    let mut specs: Vec<&Spec> = SPECS.iter().filter(|s| !matches!(s.kind, Kind2::Public | Kind2::Token)).collect();
    specs.sort_by_key(|s| matches!(s.kind, Kind2::Id(Target::Clinic | Target::Session)));
    for spec in specs {
        let base = own(spec);
        if let Some((_, path)) = spec.path.split_once(' ') {
            if !path.contains("{id}") {
                continue;
            }
            for (name, bad) in variants(&base, true) {
                probed += 1;
                let status = app.probe(spec, &bad, Some(&w.a_owner)).await;
                if !acceptable(status) {
                    failures.push(format!("{} with a {name} id: {status}", spec.path));
                }
            }
            continue;
        }
        for (field, value) in spec.form.iter().filter(|(k, _)| is_id_field(k)) {
            let real = if value.contains("{id}") { base.clone() } else { NIL.to_owned() };
            // The spec's own form: where it already fails at another field
            // (an issued invoice is no draft; `next_available`'s type is
            // empty), the same error is the right answer to a bad id too.
            let own_form: Vec<(&str, String)> = spec.form.iter().map(|(k, v)| (*k, v.replace("{id}", &base))).collect();
            let own_form: Vec<(&str, &str)> = own_form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            // Asked only when needed (`switch_clinic` with its own form
            // would reissue the session).
            let mut baseline = None;
            for (name, bad) in variants(&real, !value.is_empty()) {
                probed += 1;
                let form: Vec<(&str, String)> = spec
                    .form
                    .iter()
                    .map(|(k, v)| (*k, if k == field { bad.clone() } else { v.replace("{id}", &base) }))
                    .collect();
                let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let (status, body) = app.attempt(spec.path, &form, &w.a_owner).await;
                let elsewhere = status == StatusCode::UNPROCESSABLE_ENTITY && !body["Invalid"][*field].is_string();
                if elsewhere && baseline.is_none() {
                    baseline = Some(app.attempt(spec.path, &own_form, &w.a_owner).await.1);
                }
                if elsewhere && baseline.as_ref() != Some(&body) {
                    let body: String = body.to_string().chars().take(160).collect();
                    failures.push(format!("{} with a {name} `{field}`: 422 not at the field: {body}", spec.path));
                } else if !acceptable(status) {
                    let body: String = body.to_string().chars().take(120).collect();
                    failures.push(format!("{} with a {name} `{field}`: {status} {body}", spec.path));
                    if status.is_success() && spec.path == "/api/switch_clinic" {
                        break; // the session was reissued; the rest would be 401s
                    }
                }
            }
        }
    }
    assert!(probed > 500, "only {probed} probes: did the id fields go missing?");
    assert!(failures.is_empty(), "{} of {probed} malformed ids not refused:\n{}", failures.len(), failures.join("\n"));
}

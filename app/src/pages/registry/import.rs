//! CSV import (check first, then import all or nothing) and export.

use crate::{
    components::{last_result, FormAlert},
    pages::staff::error_view,
    registry_api::{patient_export, ImportReportView, PatientImport},
};
use ambula_domain::registry::csv::{COLUMNS, MAX_BYTES, MAX_ROWS};
use leptos::{either::Either, prelude::*};
use leptos_meta::Title;
use leptos_router::components::A;

#[component]
pub fn ImportPatientsPage() -> impl IntoView {
    let action = ServerAction::<PatientImport>::new();
    let value = last_result(action);
    let csv = RwSignal::new(String::new());
    view! {
        <Title text="Import patients · Ambula"/>
        <p class="breadcrumb"><A href="/app/patients">"Patients"</A></p>
        <h1>"Import patients"</h1>
        <p class="lead">
            "Paste a CSV file (UTF-8, comma-separated, a header row naming the columns below). Check it first: "
            "every problem is listed by line. The import saves all the rows or, if any row has a problem, none."
        </p>
        <div class="field">
            <label for="field-csv">"CSV text"</label>
            <p class="hint" id="field-csv-hint">{format!("At most {} KB and {MAX_ROWS} patients per import.", MAX_BYTES / 1024)}</p>
            <textarea id="field-csv" rows="10" class="csv-input" spellcheck="false" aria-describedby="field-csv-hint"
                on:input=move |ev| csv.set(event_target_value(&ev))></textarea>
        </div>
        <div class="button-row">
            <ActionForm action=action attr:class="inline">
                <input type="hidden" name="csv" prop:value=move || csv.get()/>
                <input type="hidden" name="dry_run" value="on"/>
                <button type="submit" class="secondary" disabled=move || action.pending().get()>"Check the file"</button>
            </ActionForm>
            <ActionForm action=action attr:class="inline">
                <input type="hidden" name="csv" prop:value=move || csv.get()/>
                <button type="submit" disabled=move || action.pending().get()>"Import"</button>
            </ActionForm>
        </div>
        <FormAlert value=value/>
        {move || value.get().and_then(Result::ok).map(|report| view! { <ImportReport report/> })}
        <h2>"Columns"</h2>
        <div class="table-scroll">
            <table class="data columns">
                <caption class="visually-hidden">"CSV columns"</caption>
                <thead><tr><th scope="col">"Column"</th><th scope="col">"Holds"</th></tr></thead>
                <tbody>
                    {COLUMNS.iter().map(|(name, what)| view! { <tr><td><code>{*name}</code></td><td>{*what}</td></tr> }).collect_view()}
                </tbody>
            </table>
        </div>
        <ExportSection/>
    }
}

#[component]
fn ImportReport(report: ImportReportView) -> impl IntoView {
    let summary = if !report.problems.is_empty() {
        format!("{} problem(s) found: nothing was imported. Correct the file and check it again.", report.problems.len())
    } else if report.dry_run {
        format!("{} patient(s) ready to import, no problems found.", report.rows)
    } else {
        format!("{} patient(s) imported.", report.imported)
    };
    let problems = report.problems;
    view! {
        <div class="import-report" role="status">
            <p><strong>{summary}</strong></p>
            {(!problems.is_empty()).then(|| view! {
                <div class="table-scroll">
                    <table class="data problems">
                        <caption>"Problems by line"</caption>
                        <thead><tr><th scope="col">"Line"</th><th scope="col">"Column"</th><th scope="col">"Problem"</th></tr></thead>
                        <tbody>
                            {problems.into_iter().map(|p| view! {
                                <tr><td>{if p.line == 0 { "—".to_owned() } else { p.line.to_string() }}</td><td>{p.field}</td><td>{p.reason}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            })}
        </div>
    }
}

/// `data:` URL text: everything but unreserved characters percent-encoded.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Export needs the ExportData permission; the file is fetched on request
/// (and audited), then offered as a download.
#[component]
fn ExportSection() -> impl IntoView {
    let result = RwSignal::new(None::<Result<String, crate::error::AppError>>);
    let pending = RwSignal::new(false);
    let prepare = move |_| {
        pending.set(true);
        leptos::task::spawn_local(async move {
            let fetched = patient_export().await;
            result.set(Some(fetched));
            pending.set(false);
        });
    };
    view! {
        <h2>"Export"</h2>
        <p>"All records you may open, as CSV with the columns above plus the record number and status. Each export is recorded in the audit trail."</p>
        <button type="button" class="secondary" disabled=move || pending.get() on:click=prepare>
            "Prepare the export"
        </button>
        {move || result.get().map(|result| match result {
            Ok(csv) => Either::Left(view! {
                <p role="status">
                    <a class="button" download="patients.csv" href=format!("data:text/csv;charset=utf-8,{}", percent_encode(&csv))>"Save patients.csv"</a>
                </p>
            }),
            Err(error) => Either::Right(error_view(error)),
        })}
    }
}

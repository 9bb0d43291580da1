//! The patient list: search by name (typo-tolerant), phone, date of birth,
//! email or identifier, with a status filter; links to registration and
//! import; emergency (break-glass) access to restricted records. Names are
//! text nodes, never markup.

use super::staff::error_view;
use crate::{
    components::{field_error, last_result, FormAlert},
    registry_api::{registry_search, RegistryRowView},
    security_api::{BreakGlass, PatientDetailView},
};
use ambula_domain::{
    accounts::NoExtraFields,
    patients::PatientSearchForm,
    registry::RegistrySearchForm,
    security::BreakGlassForm,
};
use leptos::{either::Either, prelude::*};
use leptos_meta::Title;
use leptos_router::components::A;

#[component]
pub fn PatientsPage() -> impl IntoView {
    let draft = RwSignal::new(String::new());
    let query = RwSignal::new(String::new());
    let status = RwSignal::new(String::new());
    let break_glass = ServerAction::<BreakGlass>::new();
    // Which restricted row has its break-glass form open.
    let opening = RwSignal::new(None::<String>);
    let results = Resource::new(
        move || (query.get(), status.get(), break_glass.version().get()),
        |(q, status, _)| registry_search(RegistrySearchForm { q, sort: String::new(), status }, NoExtraFields),
    );
    let search_error = Signal::derive(move || results.get().and_then(Result::err).and_then(|e| e.field("q")));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        query.set(draft.get());
    };
    view! {
        <Title text="Patients · Ambula"/>
        <h1>"Patients"</h1>
        <p class="button-row page-actions">
            <A href="/app/patients/new" attr:class="button">"Register a patient"</A>
            <A href="/app/patients/import" attr:class="button secondary">"Import or export"</A>
        </p>
        <form class="search" role="search" on:submit=submit>
            <div class="field" class:has-error=move || search_error.get().is_some()>
                <label for="patient-search">"Search"</label>
                <p class="hint" id="patient-search-hint">"Name (spelling mistakes are fine), phone, date of birth (YYYY-MM-DD), email, record number or national id."</p>
                <div class="search-row">
                    <input id="patient-search" type="search" autocomplete="off" maxlength=PatientSearchForm::MAX_QUERY
                        aria-describedby="patient-search-hint patient-search-error"
                        on:input=move |ev| draft.set(event_target_value(&ev))/>
                    <button type="submit">"Search"</button>
                </div>
                <p class="error" id="patient-search-error" aria-live="polite">{move || search_error.get()}</p>
            </div>
            <div class="field">
                <label for="patient-status">"Show"</label>
                <select id="patient-status" on:change=move |ev| status.set(event_target_value(&ev))>
                    <option value="active">"Active records"</option>
                    <option value="inactive">"Inactive records (deceased, moved, merged)"</option>
                    <option value="all">"All records"</option>
                </select>
            </div>
        </form>
        <GrantNotice action=break_glass/>
        <Transition fallback=|| view! { <div class="skeleton" aria-busy="true">"Loading…"</div> }>
            {move || Suspend::new(async move {
                match results.await {
                    Ok(rows) => Either::Left(view! { <PatientTable rows opening break_glass/> }),
                    Err(error) if error.field("q").is_some() => Either::Right(Either::Left(())),
                    Err(error) => Either::Right(Either::Right(error_view(error))),
                }
            })}
        </Transition>
    }
}

/// After break-glass: which record is open and until when.
#[component]
fn GrantNotice(action: ServerAction<BreakGlass>) -> impl IntoView {
    move || {
        action.value().get().and_then(Result::ok).map(|p: PatientDetailView| {
            view! {
                <p class="notice" role="status">
                    "Emergency access to " <strong>{format!("{}, {}", p.family_name, p.given_name)}</strong>
                    " (" {p.mrn} ") until " {p.break_glass_until.unwrap_or_default()}
                    ". This access is recorded and your clinic's administrators are told."
                </p>
            }
        })
    }
}

#[component]
fn PatientTable(rows: Vec<RegistryRowView>, opening: RwSignal<Option<String>>, break_glass: ServerAction<BreakGlass>) -> impl IntoView {
    if rows.is_empty() {
        return Either::Left(view! { <p>"No patients match."</p> });
    }
    Either::Right(view! {
        <div class="table-scroll">
            <table class="data patients">
                <caption class="visually-hidden">"Patients"</caption>
                <thead>
                    <tr><th scope="col">"Record"</th><th scope="col">"Name"</th><th scope="col">"Date of birth"</th><th scope="col">"Status"</th><th scope="col">"Access"</th></tr>
                </thead>
                <tbody>
                    {rows.into_iter().map(|row| view! { <PatientRow row opening break_glass/> }).collect_view()}
                </tbody>
            </table>
        </div>
    })
}

#[component]
fn PatientRow(row: RegistryRowView, opening: RwSignal<Option<String>>, break_glass: ServerAction<BreakGlass>) -> impl IntoView {
    let id = row.id.clone();
    let is_open = {
        let id = id.clone();
        Signal::derive(move || opening.with(|o| o.as_deref() == Some(id.as_str())))
    };
    let access = match (&row.name, row.restricted) {
        (Some(_), false) => Either::Left(view! { <span>"Open"</span> }),
        (Some(_), true) => Either::Right(Either::Left(view! { <span class="badge warn">"Restricted"</span> " · you have access" })),
        (None, _) => {
            let id = id.clone();
            Either::Right(Either::Right(view! {
                <span class="badge warn">"Restricted"</span>
                <button type="button" class="secondary small" aria-expanded=move || is_open.get().to_string()
                    on:click=move |_| opening.set(Some(id.clone()))>"Break the glass"</button>
            }))
        }
    };
    let name = row.name.clone();
    let mrn = row.mrn.clone();
    view! {
        <tr>
            <td>{row.mrn.clone()}</td>
            // A text node: whatever the name holds is shown, not run.
            <td class="name">{match name {
                Some(n) => Either::Left(view! { <A href=super::chart::chart_href(&id, "")>{n}</A> }),
                None => Either::Right(view! { <em>"Restricted record"</em> }),
            }}</td>
            <td>{row.date_of_birth.clone().unwrap_or_default()}</td>
            <td>{if row.active { "Active".to_owned() } else { row.status.clone() }}</td>
            <td>{access}</td>
        </tr>
        {move || is_open.get().then(|| view! {
            <tr class="break-glass-row">
                <td colspan="5"><BreakGlassForm patient_id=id.clone() mrn=mrn.clone() action=break_glass opening/></td>
            </tr>
        })}
    }
}

#[component]
fn BreakGlassForm(patient_id: String, mrn: String, action: ServerAction<BreakGlass>, opening: RwSignal<Option<String>>) -> impl IntoView {
    let value = last_result(action);
    let reason_error = field_error(value, "reason");
    // A request granted while this form is open closes it; the list
    // reloads with the name.
    Effect::new(move |seen: Option<usize>| {
        let version = action.version().get();
        if seen.is_some_and(|seen| seen != version) && matches!(value.get_untracked(), Some(Ok(_))) {
            opening.set(None);
        }
        version
    });
    view! {
        <ActionForm action=action attr:class="break-glass">
            <p>
                <strong>{format!("Emergency access to record {mrn}")}</strong>
                ". Only in an emergency: your reason, your name and the time are recorded and the clinic's administrators are told."
            </p>
            <FormAlert value=value/>
            <input type="hidden" name="patient_id" value=patient_id/>
            <div class="field" class:has-error=move || reason_error.get().is_some()>
                <label for="field-reason">"Reason"</label>
                <textarea id="field-reason" name="reason" rows="2" required=true
                    maxlength=BreakGlassForm::MAX_REASON
                    aria-invalid=move || reason_error.get().is_some().then_some("true")
                    aria-describedby="field-reason-error"></textarea>
                <p class="error" id="field-reason-error" aria-live="polite">{move || reason_error.get()}</p>
            </div>
            <div class="actions">
                <button type="submit" class="danger" disabled=move || action.pending().get()>"Open the record"</button>
                <button type="button" class="secondary" on:click=move |_| opening.set(None)>"Cancel"</button>
            </div>
        </ActionForm>
    }
}

//! Registering a patient: the demographics form; possible duplicates are
//! shown (as text) and the user must tick "register anyway" to go on.

use super::PatientFields;
use crate::{
    components::{last_result, FormAlert},
    pages::chart::chart_href,
    registry_api::{DuplicateView, PatientFormValues, PatientRegister, RegisterView},
};
use leptos::{either::Either, prelude::*};
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_navigate};

#[component]
pub fn RegisterPatientPage() -> impl IntoView {
    let action = ServerAction::<PatientRegister>::new();
    let value = last_result(action);
    let duplicates = Signal::derive(move || value.get().and_then(Result::ok).map(|r: RegisterView| r.duplicates).unwrap_or_default());
    // A new record opens its chart.
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(RegisterView { created: Some(row), .. })) = value.get() {
            navigate(&chart_href(&row.id, ""), Default::default());
        }
    });
    view! {
        <Title text="Register a patient · Ambula"/>
        <p class="breadcrumb"><A href="/app/patients">"Patients"</A></p>
        <h1>"Register a patient"</h1>
        <ActionForm action=action attr:class="patient-form">
            <FormAlert value=value/>
            <PatientFields values=PatientFormValues::default() value=value/>
            <fieldset class="patient-fields">
                <legend>"Access"</legend>
                <div class="field checkbox">
                    <input id="field-restricted" name="restricted" type="checkbox"/>
                    <label for="field-restricted">"Restricted record (visible only to its care team)"</label>
                </div>
            </fieldset>
            {move || {
                let found = duplicates.get();
                (!found.is_empty()).then(|| view! { <DuplicateWarning found/> })
            }}
            <div class="actions">
                <button type="submit" disabled=move || action.pending().get()>"Register patient"</button>
            </div>
        </ActionForm>
    }
}

/// The records that look like this person, and the explicit way on.
#[component]
fn DuplicateWarning(found: Vec<DuplicateView>) -> impl IntoView {
    view! {
        <div class="duplicate-warning" role="alert">
            <h2>"This patient may already be registered"</h2>
            <p>"Open a record below if it is the same person. Nothing has been saved."</p>
            <ul class="duplicates">
                {found.into_iter().map(|d| {
                    let label = match d.name.clone() {
                        Some(name) => Either::Left(view! { <A href=chart_href(&d.id, "")>{name}</A> }),
                        None => Either::Right(view! { <em>"Restricted record"</em> }),
                    };
                    view! {
                        <li>
                            {label}
                            " · record " {d.mrn.clone()}
                            {d.date_of_birth.clone().map(|dob| view! { " · born " {dob} })}
                            {(!d.active).then(|| view! { " · " <span class="badge">"Inactive"</span> })}
                            <span class="reasons">" (" {d.reasons.join("; ")} ")"</span>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <div class="field checkbox">
                <input id="field-create_anyway" name="create_anyway" type="checkbox"/>
                <label for="field-create_anyway">"None of these is this patient: register a new record anyway"</label>
            </div>
        </div>
    }
}

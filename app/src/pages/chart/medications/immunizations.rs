//! Immunizations: the list, and the form to record one.

use super::widgets::{after_success, with_placeholder, Choice};
use crate::{
    components::{field_error, Field, FormAlert},
    meds_api::{ImmunizationAdd, ImmunizationItem},
};
use ambula_domain::medications::InjectionSite;
use leptos::{either::Either, prelude::*};

#[component]
pub fn ImmunizationsSection(
    list: Vec<ImmunizationItem>,
    can_edit: bool,
    patient: String,
    changed: RwSignal<u32>,
    status: RwSignal<Option<String>>,
) -> impl IntoView {
    let table = if list.is_empty() {
        Either::Left(view! { <p>"No immunizations recorded."</p> })
    } else {
        Either::Right(view! {
            <div class="table-scroll">
                <table class="meds-table">
                    <caption class="visually-hidden">"Immunizations"</caption>
                    <thead>
                        <tr>
                            <th scope="col">"Vaccine"</th>
                            <th scope="col">"Given"</th>
                            <th scope="col">"Dose"</th>
                            <th scope="col">"Lot"</th>
                            <th scope="col">"Site"</th>
                            <th scope="col">"Given by"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {list
                            .into_iter()
                            .map(|i| view! {
                                <tr data-testid="immunization">
                                    <th scope="row">{i.vaccine}</th>
                                    <td>{i.given_on}</td>
                                    <td>{i.dose_number.map(|d| d.to_string()).unwrap_or_else(|| "—".to_owned())}</td>
                                    <td>{i.lot.unwrap_or_else(|| "—".to_owned())}</td>
                                    <td>{i.site}</td>
                                    <td>{i.given_by}</td>
                                </tr>
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
        })
    };
    view! {
        <section class="meds-section" aria-labelledby="immunizations-heading">
            <h3 id="immunizations-heading">"Immunizations"</h3>
            {table}
            {can_edit.then(|| view! { <AddImmunization patient changed status/> })}
        </section>
    }
}

#[component]
fn AddImmunization(patient: String, changed: RwSignal<u32>, status: RwSignal<Option<String>>) -> impl IntoView {
    let add = ServerAction::<ImmunizationAdd>::new();
    let result = Signal::derive(move || add.value().get());
    after_success(result, status, changed, |vaccine: &String| format!("{vaccine} recorded."));
    view! {
        <h4>"Record an immunization"</h4>
        <ActionForm action=add attr:class="meds-form" attr:aria-label="Record an immunization">
            <input type="hidden" name="patient_id" value=patient/>
            <Field label="Vaccine" name="vaccine" form="vaccine" hint="e.g. Influenza, Tetanus-diphtheria." server_error=field_error(result, "vaccine")/>
            <div class="field-row">
                <Field label="Date given" name="given_on" form="vaccine" kind="date" server_error=field_error(result, "given_on")/>
                <Field label="Dose number" name="dose_number" form="vaccine" required=false hint="In the course, 1 to 10." server_error=field_error(result, "dose_number")/>
                <Field label="Lot" name="lot" form="vaccine" required=false server_error=field_error(result, "lot")/>
            </div>
            <Choice label="Site" name="site" form="vaccine" options=with_placeholder(InjectionSite::options()) server_error=field_error(result, "site")/>
            <Field label="Given by" name="given_by" form="vaccine" required=false hint="Leave empty if you gave it; or name the person or place."
                server_error=field_error(result, "given_by")/>
            <FormAlert value=result/>
            <button type="submit">"Record immunization"</button>
        </ActionForm>
    }
}

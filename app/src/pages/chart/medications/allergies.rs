//! The allergies part of the tab: a banner (active allergies, "no known
//! allergies" or not recorded yet), the list with status changes, the form
//! to record one and the "no known allergies" button.

use super::widgets::{after_success, with_placeholder, Choice, TextArea};
use crate::{
    components::{field_error, Field, FormAlert},
    meds_api::{AllergyAdd, AllergyItem, AllergyNoneKnown, AllergySetStatus, MedsChartView},
};
use ambula_domain::medications::{AllergyKind, Severity, DRUG_CLASSES};
use leptos::{either::{Either, EitherOf3}, prelude::*};

#[component]
pub fn AllergiesSection(chart: MedsChartView, patient: String, changed: RwSignal<u32>, status: RwSignal<Option<String>>) -> impl IntoView {
    let active: Vec<String> = chart
        .allergies
        .iter()
        .filter(|a| a.status == "active")
        .map(|a| format!("{} ({})", a.substance, a.severity))
        .collect();
    let none_known = chart.no_known_allergies.clone();
    let can_say_none = chart.can_edit && active.is_empty() && none_known.is_none();
    let banner = if !active.is_empty() {
        EitherOf3::A(view! {
            <div class="allergy-banner alert" role="note" aria-label="Active allergies">
                <strong>"Allergies: "</strong>{active.join("; ")}
            </div>
        })
    } else if let Some(who) = none_known {
        EitherOf3::B(view! { <p class="allergy-banner none">"No known allergies (recorded by " {who} ")."</p> })
    } else {
        EitherOf3::C(view! { <p class="allergy-banner unknown">"Allergies not recorded yet: ask the patient, then record them or record no known allergies."</p> })
    };
    let can_edit = chart.can_edit;
    view! {
        <section class="meds-section" aria-labelledby="allergies-heading">
            <h3 id="allergies-heading">"Allergies and intolerances"</h3>
            {banner}
            <AllergyTable list=chart.allergies can_edit changed status/>
            {can_say_none.then(|| view! { <NoneKnown patient=patient.clone() changed status/> })}
            {can_edit.then(|| view! { <AddAllergy patient changed status/> })}
        </section>
    }
}

#[component]
fn AllergyTable(list: Vec<AllergyItem>, can_edit: bool, changed: RwSignal<u32>, status: RwSignal<Option<String>>) -> impl IntoView {
    if list.is_empty() {
        return Either::Left(view! { <p>"No allergies recorded."</p> });
    }
    Either::Right(view! {
        <div class="table-scroll">
            <table class="meds-table">
                <caption class="visually-hidden">"Allergies and intolerances"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Substance"</th>
                        <th scope="col">"Type"</th>
                        <th scope="col">"Reaction"</th>
                        <th scope="col">"Severity"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Recorded"</th>
                        {can_edit.then(|| view! { <th scope="col">"Actions"</th> })}
                    </tr>
                </thead>
                <tbody>
                    {list.into_iter().map(|a| view! { <AllergyRow allergy=a can_edit changed status/> }).collect_view()}
                </tbody>
            </table>
        </div>
    })
}

#[component]
fn AllergyRow(allergy: AllergyItem, can_edit: bool, changed: RwSignal<u32>, status: RwSignal<Option<String>>) -> impl IntoView {
    let set = ServerAction::<AllergySetStatus>::new();
    let result = Signal::derive(move || set.value().get());
    let name = allergy.substance.clone();
    after_success(result, status, changed, move |_| format!("Allergy to {name} updated."));
    let substance = match &allergy.coded {
        Some(class) => format!("{} ({class})", allergy.substance),
        None => allergy.substance.clone(),
    };
    // Inactive (outgrown) and refuted (tested negative) can be made active
    // again; an active one can become either.
    let choices: Vec<(&str, &str)> = match allergy.status.as_str() {
        "active" => vec![("inactive", "Mark inactive"), ("refuted", "Mark refuted")],
        _ => vec![("active", "Mark active")],
    };
    let row_class = if allergy.status == "active" { "" } else { "ended" };
    let id = allergy.id.clone();
    let label = allergy.substance.clone();
    view! {
        <tr class=row_class data-testid="allergy">
            <th scope="row">{substance}</th>
            <td>{allergy.kind}</td>
            <td>{allergy.reaction.unwrap_or_else(|| "—".to_owned())}</td>
            <td>{allergy.severity}</td>
            <td>{allergy.status_label}</td>
            <td>{allergy.recorded}</td>
            {can_edit.then(|| view! {
                <td class="actions">
                    {choices
                        .into_iter()
                        .map(|(code, text)| {
                            let (id, aria) = (id.clone(), format!("{text}: {label}"));
                            view! {
                                <ActionForm action=set attr:class="inline">
                                    <input type="hidden" name="allergy_id" value=id/>
                                    <input type="hidden" name="status" value=code/>
                                    <button type="submit" class="secondary" aria-label=aria>{text}</button>
                                </ActionForm>
                            }
                        })
                        .collect_view()}
                    <FormAlert value=result/>
                </td>
            })}
        </tr>
    }
}

#[component]
fn NoneKnown(patient: String, changed: RwSignal<u32>, status: RwSignal<Option<String>>) -> impl IntoView {
    let say = ServerAction::<AllergyNoneKnown>::new();
    let result = Signal::derive(move || say.value().get());
    after_success(result, status, changed, |_| "Recorded: no known allergies.".to_owned());
    view! {
        <ActionForm action=say attr:class="inline" attr:aria-label="No known allergies">
            <input type="hidden" name="patient_id" value=patient/>
            <button type="submit" class="secondary">"Record no known allergies"</button>
            <p class="error" id="field-nka-no_known-error" aria-live="polite">{move || field_error(result, "no_known").get()}</p>
            <FormAlert value=result/>
        </ActionForm>
    }
}

#[component]
fn AddAllergy(patient: String, changed: RwSignal<u32>, status: RwSignal<Option<String>>) -> impl IntoView {
    let add = ServerAction::<AllergyAdd>::new();
    let result = Signal::derive(move || add.value().get());
    after_success(result, status, changed, |substance: &String| format!("Allergy to {substance} recorded."));
    let mut classes = vec![(String::new(), "None (free text only)".to_owned())];
    classes.extend(DRUG_CLASSES.iter().map(|c| (c.key.to_owned(), c.label.to_owned())));
    view! {
        <h4>"Record an allergy"</h4>
        <ActionForm action=add attr:class="meds-form" attr:aria-label="Record an allergy">
            <input type="hidden" name="patient_id" value=patient/>
            <Field label="Substance" name="substance" form="allergy" hint="What the patient reacts to, e.g. Penicillin, Peanuts, Latex."
                server_error=field_error(result, "substance")/>
            <Choice label="Drug class" name="coded" form="allergy" options=classes required=false
                server_error=field_error(result, "coded")/>
            <TextArea label="Reaction" name="reaction" form="allergy" hint="What happens, e.g. hives, wheeze, swelling."
                server_error=field_error(result, "reaction")/>
            <Choice label="Severity" name="severity" form="allergy" options=with_placeholder(Severity::options())
                server_error=field_error(result, "severity")/>
            <Choice label="Type" name="kind" form="allergy" options=AllergyKind::options() selected="allergy"
                server_error=field_error(result, "kind")/>
            <FormAlert value=result/>
            <button type="submit">"Record allergy"</button>
        </ActionForm>
    }
}

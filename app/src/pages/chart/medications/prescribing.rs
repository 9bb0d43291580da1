//! Medications: the current list (print the prescription, change, stop),
//! the past list with why each ended, and the form to prescribe (owners
//! and practitioners) or to record a medication the patient takes
//! (nurses). When the drug matches an active allergy the server answers
//! with the warning at the drug field; the acknowledgement (a checkbox and
//! a reason) then appears, and submitting with it prescribes.

use super::widgets::{after_success, with_placeholder, Choice, Outcome, TextArea};
use crate::{
    components::{field_error, Field, FormAlert},
    meds_api::{prescription_href, MedicationChange, MedicationItem, MedicationPrescribe, MedicationRecord, MedicationStop, MedsChartView},
};
use ambula_domain::medications::{DoseUnit, Frequency, MedicationForm, Route, StrengthUnit};
use leptos::{either::Either, prelude::*};

#[component]
pub fn MedicationsSection(chart: MedsChartView, patient: String, changed: RwSignal<u32>, status: RwSignal<Option<String>>) -> impl IntoView {
    // Which row has its change or stop form open.
    let changing = RwSignal::new(None::<String>);
    let stopping = RwSignal::new(None::<String>);
    let (can_edit, can_prescribe) = (chart.can_edit, chart.can_prescribe);
    let today = chart.today.clone();
    view! {
        <section class="meds-section" aria-labelledby="current-heading">
            <h3 id="current-heading">"Current medications"</h3>
            <CurrentTable list=chart.current.clone() can_edit can_prescribe changing stopping/>
            {move || changing.get().and_then(|id| chart.current.iter().find(|m| m.id == id).cloned()).map(|m| view! {
                <ChangeForm medication=m changing changed status/>
            })}
            {move || stopping.get().map(|id| view! { <StopForm id stopping changed status/> })}
        </section>
        <section class="meds-section" aria-labelledby="past-heading">
            <h3 id="past-heading">"Past medications"</h3>
            <PastTable list=chart.past/>
        </section>
        {if can_prescribe {
            Some(Either::Left(view! { <Prescribe patient today changed status/> }))
        } else if can_edit {
            Some(Either::Right(view! { <Record patient today changed status/> }))
        } else {
            None
        }}
    }
}

fn supply(m: &MedicationItem) -> String {
    let mut parts = Vec::new();
    if let Some(days) = m.duration_days {
        parts.push(format!("{days} days"));
    }
    if let Some(q) = m.quantity {
        parts.push(format!("qty {q}"));
    }
    if m.prescribed {
        parts.push(format!("{} refills", m.refills));
    }
    if parts.is_empty() { "—".to_owned() } else { parts.join(", ") }
}

#[component]
fn CurrentTable(
    list: Vec<MedicationItem>,
    can_edit: bool,
    can_prescribe: bool,
    changing: RwSignal<Option<String>>,
    stopping: RwSignal<Option<String>>,
) -> impl IntoView {
    if list.is_empty() {
        return Either::Left(view! { <p>"No current medications."</p> });
    }
    Either::Right(view! {
        <div class="table-scroll">
            <table class="meds-table">
                <caption class="visually-hidden">"Current medications"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Medicine"</th>
                        <th scope="col">"Dose"</th>
                        <th scope="col">"Route"</th>
                        <th scope="col">"How often"</th>
                        <th scope="col">"Supply"</th>
                        <th scope="col">"Since"</th>
                        <th scope="col">"Prescriber"</th>
                        <th scope="col">"Actions"</th>
                    </tr>
                </thead>
                <tbody>
                    {list
                        .into_iter()
                        .map(|m| {
                            let (id_change, id_stop) = (m.id.clone(), m.id.clone());
                            let title = m.title.clone();
                            let supply = supply(&m);
                            view! {
                                <tr data-testid="medication">
                                    <th scope="row">
                                        {m.title.clone()}
                                        {m.instructions.clone().map(|i| view! { <span class="note">{i}</span> })}
                                        {m.allergy_ack.clone().map(|r| view! { <span class="note warn">"Allergy warning acknowledged: " {r}</span> })}
                                    </th>
                                    <td>{m.dose.clone()}</td>
                                    <td>{m.route.clone()}</td>
                                    <td>{m.frequency.clone()}</td>
                                    <td>{supply}</td>
                                    <td>{m.start_date.clone()}</td>
                                    <td>{m.prescriber.clone().unwrap_or_else(|| "Recorded".to_owned())}</td>
                                    <td class="actions">
                                        {m.prescribed.then(|| view! {
                                            <a href=prescription_href(&m.id) download="" aria-label=format!("Print prescription for {title}")>"Print prescription"</a>
                                        })}
                                        {can_prescribe.then(|| view! {
                                            <button type="button" class="secondary" aria-label=format!("Change {}", m.title)
                                                on:click=move |_| { stopping.set(None); changing.set(Some(id_change.clone())); }>"Change"</button>
                                        })}
                                        {can_edit.then(|| view! {
                                            <button type="button" class="secondary" aria-label=format!("Stop {}", m.title)
                                                on:click=move |_| { changing.set(None); stopping.set(Some(id_stop.clone())); }>"Stop"</button>
                                        })}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    })
}

#[component]
fn PastTable(list: Vec<MedicationItem>) -> impl IntoView {
    if list.is_empty() {
        return Either::Left(view! { <p>"No past medications."</p> });
    }
    Either::Right(view! {
        <div class="table-scroll">
            <table class="meds-table">
                <caption class="visually-hidden">"Past medications"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Medicine"</th>
                        <th scope="col">"Dose"</th>
                        <th scope="col">"How often"</th>
                        <th scope="col">"Started"</th>
                        <th scope="col">"Ended"</th>
                        <th scope="col">"Why"</th>
                    </tr>
                </thead>
                <tbody>
                    {list
                        .into_iter()
                        .map(|m| view! {
                            <tr class="ended" data-testid="past-medication">
                                <th scope="row">{m.title}</th>
                                <td>{m.dose}</td>
                                <td>{m.frequency}</td>
                                <td>{m.start_date}</td>
                                <td>{m.ended.unwrap_or_default()}</td>
                                <td>{m.end_reason.unwrap_or_default()}</td>
                            </tr>
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    })
}

#[component]
fn StopForm(id: String, stopping: RwSignal<Option<String>>, changed: RwSignal<u32>, status: RwSignal<Option<String>>) -> impl IntoView {
    let stop = ServerAction::<MedicationStop>::new();
    let result = Signal::derive(move || stop.value().get());
    after_success(result, status, changed, |_| "Medication stopped.".to_owned());
    view! {
        <ActionForm action=stop attr:class="meds-form" attr:aria-label="Stop medication">
            <input type="hidden" name="medication_id" value=id/>
            <Field label="Reason for stopping" name="reason" form="stop" hint="Kept with the medication's history."
                server_error=field_error(result, "reason")/>
            <FormAlert value=result/>
            <button type="submit">"Stop medication"</button>
            <button type="button" class="secondary" on:click=move |_| stopping.set(None)>"Cancel"</button>
        </ActionForm>
    }
}

#[component]
fn ChangeForm(medication: MedicationItem, changing: RwSignal<Option<String>>, changed: RwSignal<u32>, status: RwSignal<Option<String>>) -> impl IntoView {
    let change = ServerAction::<MedicationChange>::new();
    let result = Signal::derive(move || change.value().get());
    after_success(result, status, changed, |drug: &String| format!("{drug} changed; the earlier entry is kept under past medications."));
    let label = format!("Change {}", medication.title);
    view! {
        <h4>{label.clone()}</h4>
        <ActionForm action=change attr:class="meds-form" attr:aria-label=label>
            <input type="hidden" name="medication_id" value=medication.id.clone()/>
            <MedicationFields form="change" values=medication.form.clone() result quantity_required=medication.prescribed/>
            <Field label="Reason for the change" name="change_reason" form="change" hint="Kept with the earlier entry."
                server_error=field_error(result, "change_reason")/>
            <FormAlert value=result/>
            <button type="submit">"Save change"</button>
            <button type="button" class="secondary" on:click=move |_| changing.set(None)>"Cancel"</button>
        </ActionForm>
    }
}

#[component]
fn Prescribe(patient: String, today: String, changed: RwSignal<u32>, status: RwSignal<Option<String>>) -> impl IntoView {
    let prescribe = ServerAction::<MedicationPrescribe>::new();
    let result = Signal::derive(move || prescribe.value().get());
    after_success(result, status, changed, |drug: &String| format!("{drug} prescribed."));
    let values = MedicationForm { start_date: today, refills: "0".into(), strength_unit: "mg".into(), ..Default::default() };
    view! {
        <section class="meds-section" aria-labelledby="prescribe-heading">
            <h3 id="prescribe-heading">"Prescribe"</h3>
            <ActionForm action=prescribe attr:class="meds-form" attr:aria-label="Prescribe">
                <input type="hidden" name="patient_id" value=patient/>
                <MedicationFields form="rx" values result quantity_required=true/>
                <FormAlert value=result/>
                <button type="submit">"Prescribe"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn Record(patient: String, today: String, changed: RwSignal<u32>, status: RwSignal<Option<String>>) -> impl IntoView {
    let record = ServerAction::<MedicationRecord>::new();
    let result = Signal::derive(move || record.value().get());
    after_success(result, status, changed, |drug: &String| format!("{drug} recorded."));
    let values = MedicationForm { start_date: today, strength_unit: "mg".into(), ..Default::default() };
    view! {
        <section class="meds-section" aria-labelledby="record-heading">
            <h3 id="record-heading">"Record a medication the patient takes"</h3>
            <p class="hint">"Prescribed elsewhere or bought over the counter. Prescribing is for owners and practitioners."</p>
            <ActionForm action=record attr:class="meds-form" attr:aria-label="Record a medication">
                <input type="hidden" name="patient_id" value=patient/>
                <MedicationFields form="record" values result quantity_required=false/>
                <FormAlert value=result/>
                <button type="submit">"Record medication"</button>
            </ActionForm>
        </section>
    }
}

/// The medication's fields, prefilled from `values`; `form` prefixes ids.
#[component]
fn MedicationFields<T: Clone + Send + Sync + 'static>(
    form: &'static str,
    values: MedicationForm,
    result: Outcome<T>,
    quantity_required: bool,
) -> impl IntoView {
    let error = move |name: &'static str| field_error(result, name);
    view! {
        <Field label="Medicine" name="drug" form value=values.drug hint="Generic name, e.g. Amoxicillin." server_error=error("drug")/>
        <div class="field-row">
            <Field label="Strength" name="strength" form value=values.strength required=false hint="e.g. 500" server_error=error("strength")/>
            <Choice label="Strength unit" name="strength_unit" form options=StrengthUnit::options() selected=values.strength_unit
                server_error=error("strength_unit")/>
        </div>
        <div class="field-row">
            <Field label="Dose" name="dose" form value=values.dose hint="Per time taken, e.g. 1 or 0.5." server_error=error("dose")/>
            <Choice label="Dose unit" name="dose_unit" form options=with_placeholder(DoseUnit::options()) selected=values.dose_unit
                server_error=error("dose_unit")/>
        </div>
        <Choice label="Route" name="route" form options=with_placeholder(Route::options()) selected=values.route server_error=error("route")/>
        <Choice label="How often" name="frequency" form options=with_placeholder(Frequency::options()) selected=values.frequency
            server_error=error("frequency")/>
        <div class="field-row">
            <Field label="Duration (days)" name="duration_days" form value=values.duration_days required=false server_error=error("duration_days")/>
            <Field label="Quantity to dispense" name="quantity" form value=values.quantity required=quantity_required server_error=error("quantity")/>
            <Field label="Refills" name="refills" form value=values.refills required=false server_error=error("refills")/>
        </div>
        <Field label="Start date" name="start_date" form kind="date" value=values.start_date server_error=error("start_date")/>
        <TextArea label="Instructions" name="instructions" form value=values.instructions hint="For the patient and the pharmacy, e.g. take with food."
            server_error=error("instructions")/>
        <AllergyAck form result/>
    }
}

/// The acknowledgement of an allergy warning: appears once the server has
/// warned, and stays while the form is open.
#[component]
fn AllergyAck<T: Clone + Send + Sync + 'static>(form: &'static str, result: Outcome<T>) -> impl IntoView {
    let asked = field_error(result, "allergy_ack");
    let reason_error = field_error(result, "allergy_ack_reason");
    let shown = RwSignal::new(false);
    Effect::new(move |_| {
        if asked.get().is_some() || reason_error.get().is_some() {
            shown.set(true);
        }
    });
    let id = format!("field-{form}-allergy_ack");
    let error_id = format!("{id}-error");
    move || {
        let (id, error_id) = (id.clone(), error_id.clone());
        shown.get().then(move || {
            let described = error_id.clone();
            view! {
                <fieldset class="allergy-ack">
                    <legend>"Allergy warning"</legend>
                    <div class="field checkbox" class:has-error=move || asked.get().is_some()>
                        <input type="checkbox" id=id.clone() name="allergy_ack" value="on"
                            aria-invalid=move || asked.get().is_some().then_some("true")
                            aria-describedby=move || asked.get().is_some().then(|| described.clone())/>
                        <label for=id>"I have checked the allergy warning and this medicine is right for this patient"</label>
                        <p class="error" id=error_id aria-live="polite">{move || asked.get()}</p>
                    </div>
                    <TextArea label="Why prescribe it despite the allergy" name="allergy_ack_reason" form
                        hint="At least 10 characters; kept with the prescription and reviewed."
                        server_error=reason_error/>
                </fieldset>
            }
        })
    }
}

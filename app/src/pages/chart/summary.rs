//! The chart's Summary tab: demographics, contacts, identifiers, guardian,
//! consents and status, with editing, deactivation / reactivation and
//! merging a duplicate into this record (each confirmed before it runs).
//! Every value is a text node.

use crate::{
    components::{field_error, last_result, FormAlert},
    pages::{registry::PatientFields, staff::error_view},
    registry_api::{
        registry_search, PatientDeactivate, PatientMerge, PatientReactivate, PatientRecordView,
        PatientSave, RegistryRowView,
    },
};
use ambula_domain::{accounts::NoExtraFields, registry::RegistrySearchForm};
use leptos::{either::Either, prelude::*};
use leptos_meta::Title;
use leptos_router::components::A;

/// Which panel of the tab is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Panel {
    None,
    Edit,
    Deactivate,
    Merge,
}

#[component]
pub fn ChartSummaryPage() -> impl IntoView {
    let save = ServerAction::<PatientSave>::new();
    let deactivate = ServerAction::<PatientDeactivate>::new();
    let reactivate = ServerAction::<PatientReactivate>::new();
    let merge = ServerAction::<PatientMerge>::new();
    let panel = RwSignal::new(Panel::None);
    // Any successful change reloads the record and closes its panel.
    let versions = move || (save.version().get(), deactivate.version().get(), reactivate.version().get(), merge.version().get());
    // The record comes with the chart's opening read (one request for the
    // header, the allergy badge and this tab). A change made here reads it
    // again, which also brings the header up to date.
    let super::ChartOpened(patient) = expect_context::<super::ChartOpened>();
    Effect::new(move |seen: Option<(usize, usize, usize, usize)>| {
        let now = versions();
        if seen.is_some_and(|seen| seen != now) {
            patient.refetch();
        }
        now
    });
    Effect::new(move |_| {
        let done = [
            save.value().with(|v| matches!(v, Some(Ok(_)))),
            deactivate.value().with(|v| matches!(v, Some(Ok(_)))),
            merge.value().with(|v| matches!(v, Some(Ok(_)))),
        ];
        if done.iter().any(|d| *d) {
            panel.set(Panel::None);
        }
    });
    view! {
        <Title text="Patient · Ambula"/>
        <h2 class="visually-hidden">"Summary"</h2>
        <Transition fallback=|| view! { <div class="skeleton" aria-busy="true">"Loading…"</div> }>
            {move || Suspend::new(async move {
                match patient.await {
                    Ok(opened) => Either::Left(view! { <Summary p=opened.record panel save deactivate reactivate merge/> }),
                    Err(error) => Either::Right(error_view(error)),
                }
            })}
        </Transition>
        // Further summary sections of other modules (e.g. reminder
        // preferences) are mounted below this line.
        <super::reminders::ReminderPreferences/>
    }
}

fn or_dash(value: &str) -> String {
    if value.trim().is_empty() { "—".to_owned() } else { value.to_owned() }
}

#[component]
fn Summary(
    p: PatientRecordView,
    panel: RwSignal<Panel>,
    save: ServerAction<PatientSave>,
    deactivate: ServerAction<PatientDeactivate>,
    reactivate: ServerAction<PatientReactivate>,
    merge: ServerAction<PatientMerge>,
) -> impl IntoView {
    let f = p.form.clone();
    let address = [f.address_line1.as_str(), f.address_line2.as_str(), f.city.as_str(), f.postcode.as_str(), f.country.as_str()]
        .iter()
        .filter(|l| !l.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    let sex = ambula_domain::patients::SexAtBirth::parse(&f.sex_at_birth).ok().flatten().map(|s| s.label()).unwrap_or("—");
    let yes_no = |b: bool| if b { "Yes" } else { "No" };
    let consent = |d: &str| if d.is_empty() { "Not recorded".to_owned() } else { format!("Recorded on {d}") };
    let status = if p.active {
        Either::Left(view! { <p class="status-line">"Active record, registered " {p.registered_on.clone()}</p> })
    } else {
        let merged = p.merged_into.clone();
        Either::Right(view! {
            <p class="status-line notice" role="status">
                <span class="badge warn">{p.status.clone()}</span>
                {p.inactive_on.clone().map(|d| view! { " since " {d} })}
                {p.inactive_note.clone().map(|n| view! { ". " {n} })}
                {merged.map(|m| view! { " " <A href=super::chart_href(&m, "")>"Open the record it was merged into"</A> })}
            </p>
        })
    };
    // A merge leaves the duplicate's encounters, signed notes and issued
    // invoices on it (they never change): link to them from here.
    let merged_from = (!p.merged_from.is_empty()).then(|| {
        let links = p.merged_from.clone();
        view! {
            <p class="status-line" role="note">
                "Merged into this record: "
                {links.into_iter().map(|(id, mrn)| view! {
                    <A href=super::chart_href(&id, "notes")>{format!("record {mrn}")}</A>" "
                }).collect_view()}
                "(its earlier encounters, notes and invoices are kept there)."
            </p>
        }
    });
    let guardian = (p.minor || !f.guardian_name.is_empty()).then(|| view! {
        <section class="summary-section">
            <h3>"Parent or guardian" {p.minor.then_some(" (receives messages)")}</h3>
            <dl class="facts">
                <dt>"Name"</dt><dd>{or_dash(&f.guardian_name)}</dd>
                <dt>"Relation"</dt><dd>{or_dash(&f.guardian_relation)}</dd>
                <dt>"Phone"</dt><dd>{or_dash(&f.guardian_phone)}</dd>
                <dt>"Email"</dt><dd>{or_dash(&f.guardian_email)}</dd>
            </dl>
        </section>
    });
    let id = p.id.clone();
    let can_reactivate = !p.active && p.merged_into.is_none();
    let active = p.active;
    let values = p.form.clone();
    let restricted = p.restricted;
    view! {
        {status}
        {merged_from}
        <div class="summary-grid">
            <section class="summary-section">
                <h3>"Identity"</h3>
                <dl class="facts">
                    <dt>"Given name"</dt><dd>{f.given_name.clone()}</dd>
                    <dt>"Family name"</dt><dd>{f.family_name.clone()}</dd>
                    <dt>"Preferred name"</dt><dd>{or_dash(&f.preferred_name)}</dd>
                    <dt>"Date of birth"</dt><dd>{f.date_of_birth.clone()} " (" {p.age.clone()} ")"</dd>
                    <dt>"Sex at birth"</dt><dd>{sex}</dd>
                    <dt>"Gender identity"</dt><dd>{or_dash(&f.gender_identity)}</dd>
                    <dt>"Preferred language"</dt><dd>{or_dash(&f.preferred_language)}</dd>
                </dl>
            </section>
            <section class="summary-section">
                <h3>"Contact"</h3>
                <dl class="facts">
                    <dt>"Phone"</dt><dd>{or_dash(&f.phone)}</dd>
                    <dt>"Email"</dt><dd>{or_dash(&f.email)}</dd>
                    <dt>"Address"</dt><dd>{or_dash(&address)}</dd>
                    <dt>"Email contact"</dt><dd>{yes_no(f.contact_email)}</dd>
                    <dt>"SMS contact"</dt><dd>{yes_no(f.contact_sms)}</dd>
                </dl>
            </section>
            <section class="summary-section">
                <h3>"Identifiers"</h3>
                <dl class="facts">
                    <dt>"Record number"</dt><dd>{p.mrn.clone()}</dd>
                    <dt>"National id"</dt><dd>{or_dash(&f.national_id)}</dd>
                    <dt>"Insurance number"</dt><dd>{or_dash(&f.insurance_id)}</dd>
                </dl>
            </section>
            <section class="summary-section">
                <h3>"Emergency contact"</h3>
                <dl class="facts">
                    <dt>"Name"</dt><dd>{or_dash(&f.emergency_name)}</dd>
                    <dt>"Relation"</dt><dd>{or_dash(&f.emergency_relation)}</dd>
                    <dt>"Phone"</dt><dd>{or_dash(&f.emergency_phone)}</dd>
                </dl>
            </section>
            {guardian}
            <section class="summary-section">
                <h3>"Consents"</h3>
                <dl class="facts">
                    <dt>"Treatment"</dt><dd>{consent(&f.consent_treatment_on)}</dd>
                    <dt>"Data sharing"</dt><dd>{consent(&f.consent_sharing_on)}</dd>
                </dl>
            </section>
        </div>
        <div class="button-row summary-actions">
            <button type="button" aria-expanded=move || (panel.get() == Panel::Edit).to_string()
                on:click=move |_| panel.set(Panel::Edit)>"Edit details"</button>
            {active.then(|| view! {
                <button type="button" class="secondary" aria-expanded=move || (panel.get() == Panel::Deactivate).to_string()
                    on:click=move |_| panel.set(Panel::Deactivate)>"Deactivate…"</button>
                <button type="button" class="secondary" aria-expanded=move || (panel.get() == Panel::Merge).to_string()
                    on:click=move |_| panel.set(Panel::Merge)>"Merge a duplicate into this record…"</button>
            })}
            {can_reactivate.then(|| {
                let id = id.clone();
                view! {
                    <ActionForm action=reactivate attr:class="inline">
                        <input type="hidden" name="patient_id" value=id/>
                        <button type="submit" class="secondary">"Reactivate"</button>
                    </ActionForm>
                }
            })}
        </div>
        {move || match panel.get() {
            Panel::Edit => Some(Either::Left(view! { <EditForm id=id.clone() values=values.clone() restricted save panel/> })),
            Panel::Deactivate => Some(Either::Right(Either::Left(view! { <DeactivateForm id=id.clone() action=deactivate panel/> }))),
            Panel::Merge => Some(Either::Right(Either::Right(view! { <MergeForm id=id.clone() action=merge panel/> }))),
            Panel::None => None,
        }}
    }
}

#[component]
fn EditForm(
    id: String,
    values: crate::registry_api::PatientFormValues,
    restricted: bool,
    save: ServerAction<PatientSave>,
    panel: RwSignal<Panel>,
) -> impl IntoView {
    let value = last_result(save);
    view! {
        <ActionForm action=save attr:class="patient-form panel">
            <h3>"Edit details"</h3>
            <FormAlert value=value/>
            <input type="hidden" name="id" value=id/>
            <PatientFields values value/>
            <fieldset class="patient-fields">
                <legend>"Access"</legend>
                <div class="field checkbox">
                    <input id="field-restricted" name="restricted" type="checkbox" checked=restricted aria-describedby="field-restricted-hint"/>
                    <label for="field-restricted">"Restricted record (visible only to its care team)"</label>
                    <p class="hint" id="field-restricted-hint">"Only the clinic's managers can change this; for others it stays as it is."</p>
                </div>
            </fieldset>
            <div class="actions">
                <button type="submit" disabled=move || save.pending().get()>"Save details"</button>
                <button type="button" class="secondary" on:click=move |_| panel.set(Panel::None)>"Cancel"</button>
            </div>
        </ActionForm>
    }
}

#[component]
fn DeactivateForm(id: String, action: ServerAction<PatientDeactivate>, panel: RwSignal<Panel>) -> impl IntoView {
    let value = last_result(action);
    let err = move |name: &'static str| field_error(value, name);
    let (reason_error, date_error, note_error) = (err("reason"), err("date"), err("note"));
    view! {
        <ActionForm action=action attr:class="panel deactivate">
            <h3>"Deactivate this record"</h3>
            <p>"The record is kept, with its history, and hidden from the patient list unless you show inactive records. You can reactivate it later."</p>
            <FormAlert value=value/>
            <input type="hidden" name="patient_id" value=id/>
            <div class="field" class:has-error=move || reason_error.get().is_some()>
                <label for="field-reason">"Reason"</label>
                <select id="field-reason" name="reason" required=true aria-describedby="field-reason-error"
                    aria-invalid=move || reason_error.get().is_some().then_some("true")>
                    <option value="">"Choose…"</option>
                    <option value="deceased">"Deceased"</option>
                    <option value="moved">"Moved away"</option>
                    <option value="other">"Other"</option>
                </select>
                <p class="error" id="field-reason-error" aria-live="polite">{move || reason_error.get()}</p>
            </div>
            <div class="field" class:has-error=move || date_error.get().is_some()>
                <label for="field-date">"Date"</label>
                <p class="hint" id="field-date-hint">"Date of death (required when deceased); otherwise since when (empty: today)."</p>
                <input id="field-date" name="date" type="date" aria-describedby="field-date-hint field-date-error"
                    aria-invalid=move || date_error.get().is_some().then_some("true")/>
                <p class="error" id="field-date-error" aria-live="polite">{move || date_error.get()}</p>
            </div>
            <div class="field" class:has-error=move || note_error.get().is_some()>
                <label for="field-note">"Note" <span class="optional">" (optional)"</span></label>
                <textarea id="field-note" name="note" rows="2" maxlength=ambula_domain::registry::DeactivateForm::MAX_NOTE
                    aria-describedby="field-note-error" aria-invalid=move || note_error.get().is_some().then_some("true")></textarea>
                <p class="error" id="field-note-error" aria-live="polite">{move || note_error.get()}</p>
            </div>
            <div class="actions">
                <button type="submit" class="danger" disabled=move || action.pending().get()>"Deactivate record"</button>
                <button type="button" class="secondary" on:click=move |_| panel.set(Panel::None)>"Cancel"</button>
            </div>
        </ActionForm>
    }
}

/// Merge: find the duplicate, choose it, confirm, merge.
#[component]
fn MergeForm(id: String, action: ServerAction<PatientMerge>, panel: RwSignal<Panel>) -> impl IntoView {
    let value = last_result(action);
    let err = move |name: &'static str| field_error(value, name);
    let (duplicate_error, confirm_error) = (err("duplicate_id"), err("confirm"));
    let query = RwSignal::new(String::new());
    let results = RwSignal::new(Vec::<RegistryRowView>::new());
    let chosen = RwSignal::new(String::new());
    let this = id.clone();
    let search = move || {
        let q = query.get_untracked();
        let this = this.clone();
        leptos::task::spawn_local(async move {
            let form = RegistrySearchForm { q, sort: String::new(), status: "all".into() };
            let found = registry_search(form, NoExtraFields).await.unwrap_or_default();
            results.set(found.into_iter().filter(|r| r.id != this && r.name.is_some()).take(20).collect());
        });
    };
    let search_click = {
        let search = search.clone();
        move |_| search()
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Enter" {
            ev.prevent_default();
            search();
        }
    };
    view! {
        <ActionForm action=action attr:class="panel merge">
            <h3>"Merge a duplicate into this record"</h3>
            <p>"This record is kept. The duplicate's appointments, documents and other records move here, its missing details fill this record's gaps, and it stays as an inactive record pointing here. This cannot be undone."</p>
            <FormAlert value=value/>
            <input type="hidden" name="survivor_id" value=id/>
            <input type="hidden" name="duplicate_id" prop:value=move || chosen.get()/>
            <div class="field" class:has-error=move || duplicate_error.get().is_some()>
                <label for="field-merge-search">"Find the duplicate"</label>
                <div class="search-row">
                    <input id="field-merge-search" type="search" autocomplete="off" aria-describedby="field-duplicate_id-error"
                        on:input=move |ev| query.set(event_target_value(&ev)) on:keydown=on_key/>
                    <button type="button" class="secondary" on:click=search_click>"Search"</button>
                </div>
                <p class="error" id="field-duplicate_id-error" aria-live="polite">{move || duplicate_error.get()}</p>
            </div>
            <fieldset class="merge-choices">
                <legend>"Duplicate record"</legend>
                {move || {
                    let rows = results.get();
                    if rows.is_empty() {
                        return Either::Left(view! { <p class="hint">"Search, then choose the record to merge into this one."</p> });
                    }
                    Either::Right(rows.into_iter().map(|r| {
                        let input_id = format!("merge-choice-{}", r.id);
                        let rid = r.id.clone();
                        let label = format!("{} · record {} · born {}{}", r.name.unwrap_or_default(), r.mrn,
                            r.date_of_birth.unwrap_or_default(), if r.active { String::new() } else { format!(" · {}", r.status) });
                        view! {
                            <div class="field radio">
                                <input type="radio" id=input_id.clone() name="merge-choice" form="merge-pick"
                                    on:change=move |_| chosen.set(rid.clone())/>
                                <label for=input_id>{label}</label>
                            </div>
                        }
                    }).collect_view())
                }}
            </fieldset>
            <div class="field checkbox" class:has-error=move || confirm_error.get().is_some()>
                <input id="field-confirm" name="confirm" type="checkbox" aria-describedby="field-confirm-error"/>
                <label for="field-confirm">"I have checked: both records are the same person"</label>
                <p class="error" id="field-confirm-error" aria-live="polite">{move || confirm_error.get()}</p>
            </div>
            <div class="actions">
                <button type="submit" class="danger" disabled=move || action.pending().get()>"Merge records"</button>
                <button type="button" class="secondary" on:click=move |_| panel.set(Panel::None)>"Cancel"</button>
            </div>
        </ActionForm>
    }
}

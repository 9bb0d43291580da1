//! The waitlist screen (`/app/calendar/waitlist`): slots freed by
//! cancellations with the waiting patients each suits (booked in one
//! click), everyone waiting (free times found per entry and booked in one
//! click, or the entry removed), and a form to add someone.

use super::{error_view, load_choices, Choices};
use crate::{
    components::{field_error, last_result, Field, FormAlert, SelectField},
    error::AppError,
    scheduling_api::{next_available, Slot},
    security_api::{patient_search, PatientRowView},
    waitlist_api::{waitlist_book, waitlist_entries, waitlist_freed_slots, waitlist_remove, FreedSlot, WaitlistAdd, WaitlistEntry},
};
use ambula_domain::{accounts::NoExtraFields, patients::PatientSearchForm, scheduling::WaitlistBookForm};
use leptos::{either::{Either, EitherOf3}, prelude::*};
use leptos_meta::Title;

/// The message of a refused booking: the first field that says why, else
/// the error's summary.
fn refusal(e: &AppError) -> String {
    ["time", "room_id", "patient_id", "practitioner_id", "type_id", "date", "waitlist_id"]
        .iter()
        .find_map(|f| e.field(f))
        .unwrap_or_else(|| e.summary())
}

/// Messages for the page: what was done (polite) or refused (alert).
#[derive(Clone, Copy)]
struct Feedback {
    done: Callback<String>,
    refused: RwSignal<Option<String>>,
}

/// Books entry `entry_id` into a slot; reports the outcome.
fn book(feedback: Feedback, busy: RwSignal<bool>, entry_id: String, form: WaitlistBookForm) {
    busy.set(true);
    leptos::task::spawn_local(async move {
        let result = waitlist_book(entry_id, form, NoExtraFields).await;
        busy.set(false);
        match result {
            Ok(b) => feedback.done.run(format!(
                "Booked {} on {} at {} with {}, and taken off the waitlist.",
                b.patient_name, b.date, b.start, b.practitioner_name
            )),
            Err(e) => feedback.refused.set(Some(format!("Not booked: {}", refusal(&e)))),
        }
    });
}

#[component]
pub fn WaitlistPage() -> impl IntoView {
    let entries = Resource::new(|| (), |_| waitlist_entries());
    let freed = Resource::new(|| (), |_| waitlist_freed_slots());
    let choices = Resource::new(|| (), |_| load_choices());
    let notice = RwSignal::new(None::<String>);
    let refused = RwSignal::new(None::<String>);
    let done = Callback::new(move |message: String| {
        notice.set(Some(message));
        refused.set(None);
        entries.refetch();
        freed.refetch();
    });
    let feedback = Feedback { done, refused };
    view! {
        <Title text="Waitlist · Ambula"/>
        <div class="page-head">
            <h1>"Waitlist"</h1>
            <a class="secondary-link" href="/app/calendar">"Back to the calendar"</a>
        </div>
        <div class="status" role="status">{move || notice.get().map(|m| view! { <p>{m}</p> })}</div>
        <div class="form-alert" role="alert">{move || refused.get().map(|m| view! { <p>{m}</p> })}</div>
        <Transition fallback=|| view! { <div class="skeleton" aria-busy="true">"Loading the waitlist…"</div> }>
            {move || Suspend::new(async move {
                match (choices.await, entries.await, freed.await) {
                    (Ok(c), Ok(e), Ok(f)) => Either::Left(view! {
                        <FreedSlots slots=f feedback/>
                        <Waiting entries=e choices=c.clone() feedback/>
                        <AddEntry choices=c done/>
                    }),
                    (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => Either::Right(error_view(e)),
                }
            })}
        </Transition>
    }
}

#[component]
fn FreedSlots(slots: Vec<FreedSlot>, feedback: Feedback) -> impl IntoView {
    let busy = RwSignal::new(false);
    let body = if slots.is_empty() {
        Either::Left(view! { <p class="hint">"No cancelled slots in the next 60 days suit anyone waiting."</p> })
    } else {
        Either::Right(view! {
            <ul class="freed-slots">
                {slots.into_iter().map(|s| {
                    let offers = s.offers.iter().map(|o| {
                        let form = WaitlistBookForm {
                            practitioner_id: s.practitioner_id.clone(),
                            room_id: s.room_id.clone(),
                            date: s.date.clone(),
                            time: s.start.clone(),
                            ..Default::default()
                        };
                        let id = o.id.clone();
                        let label = format!("Book {} into this slot", o.patient_name);
                        let waiting = format!("{} · waiting {} to {}", o.patient_name, o.earliest, o.latest);
                        view! {
                            <li>
                                <span>{waiting}</span>
                                <button type="button" disabled=move || busy.get()
                                    on:click=move |_| book(feedback, busy, id.clone(), form.clone())>{label}</button>
                            </li>
                        }
                    }).collect_view();
                    view! {
                        <li class="freed-slot">
                            <h3>{s.label.clone()}</h3>
                            <ul class="offers" aria-label=format!("Waiting patients for {}", s.label)>{offers}</ul>
                        </li>
                    }
                }).collect_view()}
            </ul>
        })
    };
    view! {
        <section class="waitlist-section" aria-labelledby="freed-title">
            <h2 id="freed-title">"Freed slots"</h2>
            <p class="hint">"Cancelled appointments whose time is still free, with the waiting patients each suits (oldest request first)."</p>
            {body}
        </section>
    }
}

#[component]
fn Waiting(entries: Vec<WaitlistEntry>, choices: Choices, feedback: Feedback) -> impl IntoView {
    let body = if entries.is_empty() {
        Either::Left(view! { <p class="hint">"Nobody is waiting."</p> })
    } else {
        let rows = entries
            .into_iter()
            .map(|e| {
                let practitioner = choices
                    .practitioners
                    .iter()
                    .find(|p| p.id == e.practitioner_id)
                    .map(|p| p.name.clone())
                    .unwrap_or_else(|| "Any practitioner".to_owned());
                view! { <EntryItem entry=e practitioner feedback/> }
            })
            .collect_view();
        Either::Right(view! { <ul class="waitlist-entries">{rows}</ul> })
    };
    view! {
        <section class="waitlist-section" aria-labelledby="waiting-title">
            <h2 id="waiting-title">"Waiting"</h2>
            {body}
        </section>
    }
}

#[component]
fn EntryItem(entry: WaitlistEntry, practitioner: String, feedback: Feedback) -> impl IntoView {
    let e = entry;
    let busy = RwSignal::new(false);
    let slots = RwSignal::new(None::<Result<Vec<Slot>, AppError>>);
    let (type_id, wanted, earliest, latest) = (e.type_id.clone(), e.practitioner_id.clone(), e.earliest.clone(), e.latest.clone());
    let find = move |_| {
        let (t, p, from, last) = (type_id.clone(), wanted.clone(), earliest.clone(), latest.clone());
        leptos::task::spawn_local(async move {
            // Only times inside the patient's range are offered.
            let found = next_available(t, p, from).await.map(|list| list.into_iter().filter(|s| s.date <= last).collect());
            slots.set(Some(found));
        });
    };
    let remove = {
        let (id, name) = (e.id.clone(), e.patient_name.clone());
        move |_| {
            let (id, name) = (id.clone(), name.clone());
            busy.set(true);
            leptos::task::spawn_local(async move {
                let result = waitlist_remove(id).await;
                busy.set(false);
                match result {
                    Ok(()) => feedback.done.run(format!("{name} is off the waitlist.")),
                    Err(e) => feedback.refused.set(Some(format!("Not removed: {}", refusal(&e)))),
                }
            });
        }
    };
    let entry_id = e.id.clone();
    view! {
        <li class="wait-entry">
            <h3>{e.patient_name.clone()}</h3>
            <p class="wait-facts">
                {e.type_name.clone()} " · " {practitioner} " · between " {e.earliest.clone()} " and " {e.latest.clone()}
                " · added " {e.added.clone()}
                {e.offered.then_some(" · a slot was offered")}
            </p>
            {(!e.note.is_empty()).then(|| view! { <p class="wait-note">{e.note.clone()}</p> })}
            <div class="button-row">
                <button type="button" class="secondary" on:click=find>"Find free times"</button>
                <button type="button" class="secondary" disabled=move || busy.get() on:click=remove>"Remove from waitlist"</button>
            </div>
            {move || slots.get().map(|r| match r {
                Ok(list) if list.is_empty() => EitherOf3::A(view! { <p class="hint">"No free times in this range in the next 60 days."</p> }),
                Ok(list) => {
                    let entry_id = entry_id.clone();
                    EitherOf3::B(view! {
                        <ul class="slot-list" aria-label="Free times">
                            {list.into_iter().map(|s| {
                                let form = WaitlistBookForm {
                                    practitioner_id: s.practitioner_id.clone(),
                                    date: s.date.clone(),
                                    time: s.start.clone(),
                                    ..Default::default()
                                };
                                let id = entry_id.clone();
                                view! {
                                    <li><button type="button" class="secondary" disabled=move || busy.get()
                                        on:click=move |_| book(feedback, busy, id.clone(), form.clone())>"Book " {s.label.clone()}</button></li>
                                }
                            }).collect_view()}
                        </ul>
                    })
                }
                Err(e) => EitherOf3::C(view! { <p class="error">{refusal(&e)}</p> }),
            })}
        </li>
    }
}

#[component]
fn AddEntry(choices: Choices, done: Callback<String>) -> impl IntoView {
    let action = ServerAction::<WaitlistAdd>::new();
    let value = last_result(action);
    let err = move |name: &'static str| field_error(value, name);
    Effect::new(move |_| {
        if let Some(Ok(entry)) = value.get() {
            done.run(format!("{} is on the waitlist for {}.", entry.patient_name, entry.type_name));
        }
    });
    let query = RwSignal::new(String::new());
    let results = RwSignal::new(Vec::<PatientRowView>::new());
    let searched = RwSignal::new(false);
    let chosen = RwSignal::new(String::new());
    let search = move || {
        let q = query.get_untracked();
        if q.trim().chars().count() < 2 {
            return;
        }
        leptos::task::spawn_local(async move {
            let found = patient_search(PatientSearchForm { q, sort: String::new() }, NoExtraFields).await.unwrap_or_default();
            results.set(found.into_iter().filter(|p| p.name.is_some()).take(20).collect());
            searched.set(true);
        });
    };
    let on_search_key = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Enter" {
            ev.prevent_default();
            search();
        }
    };
    let types: Vec<(String, String)> = std::iter::once((String::new(), "Choose a type…".to_owned()))
        .chain(choices.types.iter().map(|t| (t.id.clone(), format!("{} ({} min)", t.name, t.duration_minutes))))
        .collect();
    let practitioner_error = err("practitioner_id");
    let patient_error = err("patient_id");
    view! {
        <section class="waitlist-section" aria-labelledby="add-title">
            <h2 id="add-title">"Add to the waitlist"</h2>
            <ActionForm action=action>
                <FormAlert value=value/>
                <div class="field" class:has-error=move || patient_error.get().is_some()>
                    <label for="field-wait-search">"Find patient"</label>
                    <p class="hint" id="field-wait-search-hint">"Type at least 2 letters of the name, the MRN or the date of birth, then Search."</p>
                    <div class="button-row">
                        <input id="field-wait-search" type="search" autocomplete="off"
                            aria-describedby="field-wait-search-hint field-wait-patient_id-error"
                            on:input=move |ev| query.set(event_target_value(&ev)) on:keydown=on_search_key/>
                        <button type="button" class="secondary" on:click=move |_| search()>"Search"</button>
                    </div>
                    // The choice travels in one hidden field; the radios
                    // belong to no form and are not sent.
                    <input type="hidden" name="patient_id" prop:value=move || chosen.get()/>
                    <fieldset>
                        <legend>"Patient"</legend>
                        <ul class="patient-results">
                            {move || results.get().into_iter().map(|p| {
                                let id = format!("wait-patient-{}", p.id);
                                let label_for = id.clone();
                                view! {
                                    <li><label for=label_for>
                                        <input type="radio" id=id name="wait_patient_choice" form="wait-patient-pick" value=p.id.clone()
                                            checked=chosen.get_untracked() == p.id on:change=move |ev| chosen.set(event_target_value(&ev))/>
                                        {p.name.clone().unwrap_or_default()} " · " {p.date_of_birth.clone().unwrap_or_default()} " · MRN " {p.mrn.clone()}
                                    </label></li>
                                }
                            }).collect_view()}
                        </ul>
                        <p class="hint">{move || if searched.get() && results.with(|r| r.is_empty()) { "No patient found." } else { "" }}</p>
                    </fieldset>
                    <p class="error" id="field-wait-patient_id-error" aria-live="polite">{move || patient_error.get()}</p>
                </div>
                <SelectField label="Appointment type" name="type_id" options=types server_error=err("type_id") form="wait"/>
                <div class="field" class:has-error=move || practitioner_error.get().is_some()>
                    <label for="field-wait-practitioner_id">"Practitioner"</label>
                    <select id="field-wait-practitioner_id" name="practitioner_id" aria-describedby="field-wait-practitioner_id-error"
                        aria-invalid=move || practitioner_error.get().is_some().then_some("true")>
                        <option value="">"Any practitioner"</option>
                        {choices.practitioners.iter().map(|p| view! { <option value=p.id.clone()>{p.name.clone()}</option> }).collect_view()}
                    </select>
                    <p class="error" id="field-wait-practitioner_id-error" aria-live="polite">{move || practitioner_error.get()}</p>
                </div>
                <div class="inline-fields">
                    <Field label="Earliest date" name="earliest" kind="date" server_error=err("earliest") form="wait"/>
                    <Field label="Latest date" name="latest" kind="date" server_error=err("latest") form="wait"/>
                </div>
                <Field label="Preferred times and other notes" name="note" required=false
                    hint="For example: mornings only, not Fridays." server_error=err("note") form="wait"/>
                <div class="button-row">
                    <button type="submit" disabled=move || action.pending().get()>"Add to waitlist"</button>
                </div>
            </ActionForm>
        </section>
    }
}

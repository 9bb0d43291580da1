//! The booking dialog (patient search inline, type, practitioner, room,
//! time, weekly repeat, an explicit override for roles allowed one) and the
//! appointment dialog (one-click status steps, cancelling with a reason,
//! rescheduling and changing the length through a slot picker).

use super::{day::BookingStart, Choices};
use crate::{
    components::{field_error, last_result, FormAlert},
    error::AppError,
    scheduling_api::{appointment_reschedule, next_available, set_appointment_status, AppointmentBook, Appointment, Slot},
    security_api::{patient_create, patient_search, PatientRowView},
};
use ambula_domain::{
    accounts::NoExtraFields,
    patients::{PatientForm, PatientSearchForm},
    scheduling::{AppointmentStatus, RescheduleForm, SeriesScope, StatusForm},
};
use leptos::{either::EitherOf3, html, prelude::*};

/// A modal: focus moves to its heading on open, Escape closes it.
#[component]
fn Modal(title: String, on_close: Callback<()>, children: Children) -> impl IntoView {
    let heading = NodeRef::<html::H2>::new();
    Effect::new(move |_| {
        if let Some(h) = heading.get() {
            let _ = h.focus();
        }
    });
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" {
            on_close.run(());
        }
    };
    view! {
        <div class="modal-backdrop" on:keydown=on_key>
            <div class="modal" role="dialog" aria-modal="true" aria-labelledby="modal-title">
                <button type="button" class="secondary close" on:click=move |_| on_close.run(())>"Close"</button>
                <h2 id="modal-title" tabindex="-1" node_ref=heading>{title}</h2>
                {children()}
            </div>
        </div>
    }
}

fn field_message(value: Signal<Option<Result<impl Clone + Send + Sync + 'static, AppError>>>, name: &'static str) -> Signal<Option<String>> {
    field_error(value, name)
}

/// A labelled select with its error, named for the form.
#[component]
fn Select(
    label: &'static str,
    name: &'static str,
    options: Vec<(String, String)>,
    selected: String,
    error: Signal<Option<String>>,
) -> impl IntoView {
    let id = format!("field-book-{name}");
    let error_id = format!("{id}-error");
    view! {
        <div class="field" class:has-error=move || error.get().is_some()>
            <label for=id.clone()>{label}</label>
            <select id=id name=name aria-describedby=error_id.clone() aria-invalid=move || error.get().is_some().then_some("true")>
                {options.into_iter().map(|(v, t)| { let s = v == selected; view! { <option value=v selected=s>{t}</option> } }).collect_view()}
            </select>
            <p class="error" id=error_id aria-live="polite">{move || error.get()}</p>
        </div>
    }
}

/// A labelled input with its error.
#[component]
fn Input(
    label: &'static str,
    id: &'static str,
    #[prop(optional)] name: Option<&'static str>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional, into)] value: Option<String>,
    #[prop(optional)] bind: Option<RwSignal<String>>,
    #[prop(optional)] step: Option<&'static str>,
    #[prop(optional)] min: Option<&'static str>,
    error: Signal<Option<String>>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    // Unbound inputs keep their own signal, so `prop:value` never blanks them.
    let bind = bind.unwrap_or_else(|| RwSignal::new(value.unwrap_or_default()));
    let initial = bind.get_untracked();
    let on_input = move |ev: leptos::ev::Event| bind.set(event_target_value(&ev));
    view! {
        <div class="field" class:has-error=move || error.get().is_some()>
            <label for=id>{label}</label>
            <input id=id name=name type=kind value=initial prop:value=move || bind.get() step=step min=min
                aria-describedby=error_id.clone() aria-invalid=move || error.get().is_some().then_some("true") on:input=on_input/>
            <p class="error" id=error_id aria-live="polite">{move || error.get()}</p>
        </div>
    }
}

#[component]
pub fn BookingDialog(
    start: BookingStart,
    choices: Choices,
    can_override: bool,
    on_close: Callback<()>,
    on_done: Callback<String>,
) -> impl IntoView {
    let action = ServerAction::<AppointmentBook>::new();
    let value = last_result(action);
    let err = move |name: &'static str| field_message(value, name);
    Effect::new(move |_| {
        if let Some(Ok(result)) = value.get() {
            let text = if result.count > 1 {
                format!("Booked a series of {} appointments from {}.", result.count, result.first_date)
            } else {
                format!("Appointment booked for {}.", result.first_date)
            };
            on_done.run(text);
        }
    });
    // Patient search: results come as radio buttons; the chosen id is sent.
    let query = RwSignal::new(String::new());
    let results = RwSignal::new(Vec::<PatientRowView>::new());
    let searching = RwSignal::new(false);
    let search = move |_| {
        let q = query.get_untracked();
        if q.trim().chars().count() < 2 {
            return;
        }
        searching.set(true);
        leptos::task::spawn_local(async move {
            let found = patient_search(PatientSearchForm { q, sort: String::new() }, NoExtraFields).await.unwrap_or_default();
            results.set(found.into_iter().filter(|p| p.name.is_some()).take(20).collect());
            searching.set(false);
        });
    };
    let on_search_key = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Enter" {
            ev.prevent_default();
            search(());
        }
    };
    // Quick registration without leaving the dialog: the new patient is
    // then the chosen one.
    let new_given = RwSignal::new(String::new());
    let new_family = RwSignal::new(String::new());
    let new_dob = RwSignal::new(String::new());
    let created: Outcome = RwSignal::new(None);
    let chosen = RwSignal::new(String::new());
    let create = move |_| {
        let form = PatientForm {
            given_name: new_given.get_untracked(),
            family_name: new_family.get_untracked(),
            date_of_birth: new_dob.get_untracked(),
            ..Default::default()
        };
        leptos::task::spawn_local(async move {
            match patient_create(form, NoExtraFields).await {
                Ok(p) => {
                    created.set(None);
                    chosen.set(p.id.clone());
                    results.set(vec![PatientRowView {
                        id: p.id,
                        mrn: p.mrn,
                        name: Some(format!("{}, {}", p.family_name, p.given_name)),
                        date_of_birth: Some(p.date_of_birth),
                        restricted: p.restricted,
                    }]);
                }
                Err(e) => created.set(Some(e)),
            }
        });
    };
    let repeat = RwSignal::new(String::new());
    // A refusal that the role may override: offer "book anyway".
    let refused = move || can_override && matches!(value.get(), Some(Err(AppError::Invalid(_))));
    let types: Vec<(String, String)> = std::iter::once((String::new(), "Choose a type…".to_owned()))
        .chain(choices.types.iter().map(|t| (t.id.clone(), format!("{} ({} min)", t.name, t.duration_minutes))))
        .collect();
    let practitioners: Vec<(String, String)> = std::iter::once((String::new(), "Choose a practitioner…".to_owned()))
        .chain(choices.practitioners.iter().map(|p| (p.id.clone(), p.name.clone())))
        .collect();
    let rooms: Vec<(String, String)> = std::iter::once((String::new(), "No room".to_owned()))
        .chain(choices.rooms.iter().map(|r| (r.id.clone(), r.name.clone())))
        .collect();
    view! {
        <Modal title="New appointment".to_owned() on_close>
            <ActionForm action=action>
                <FormAlert value=value/>
                <div class="field" class:has-error=move || err("patient_id").get().is_some()>
                    <label for="field-book-search">"Find patient"</label>
                    <p class="hint" id="field-book-search-hint">"Type at least 2 letters of the name, the MRN or the date of birth, then Search."</p>
                    <div class="button-row">
                        <input id="field-book-search" type="search" autocomplete="off" aria-describedby="field-book-search-hint field-book-patient_id-error"
                            on:input=move |ev| query.set(event_target_value(&ev)) on:keydown=on_search_key/>
                        <button type="button" class="secondary" on:click=move |_| search(())>"Search"</button>
                    </div>
                    // The choice travels in one hidden field, so "none chosen"
                    // is an empty value the server reports at the field.
                    // The radios belong to no form and are not sent.
                    <input type="hidden" name="patient_id" prop:value=move || chosen.get()/>
                    <fieldset>
                        <legend>"Patient"</legend>
                        <ul class="patient-results">
                            {move || results.get().into_iter().map(|p| {
                                let id = format!("patient-{}", p.id);
                                let label_for = id.clone();
                                view! {
                                    <li><label for=label_for>
                                        <input type="radio" id=id name="patient_choice" form="patient-pick" value=p.id.clone()
                                            checked=chosen.get_untracked() == p.id on:change=move |ev| chosen.set(event_target_value(&ev))/>
                                        {p.name.clone().unwrap_or_default()} " · " {p.date_of_birth.clone().unwrap_or_default()} " · MRN " {p.mrn.clone()}
                                    </label></li>
                                }
                            }).collect_view()}
                        </ul>
                        <p class="hint">{move || if searching.get() { "Searching…".to_owned() } else if results.with(|r| r.is_empty()) { "No patient chosen yet.".to_owned() } else { String::new() }}</p>
                    </fieldset>
                    <p class="error" id="field-book-patient_id-error" aria-live="polite">{move || err("patient_id").get()}</p>
                    <details>
                        <summary>"New patient"</summary>
                        <div class="form-alert" role="alert">{move || created.get().filter(|e| !matches!(e, AppError::Invalid(_))).map(|e| view! { <p>{e.summary()}</p> })}</div>
                        <Input label="Given name" id="field-new-given_name" bind=new_given error=outcome_field(created, "given_name")/>
                        <Input label="Family name" id="field-new-family_name" bind=new_family error=outcome_field(created, "family_name")/>
                        <Input label="Date of birth" id="field-new-date_of_birth" kind="date" bind=new_dob error=outcome_field(created, "date_of_birth")/>
                        <button type="button" class="secondary" on:click=create>"Register and choose"</button>
                    </details>
                </div>
                <Select label="Appointment type" name="type_id" options=types selected=String::new() error=err("type_id")/>
                <Select label="Practitioner" name="practitioner_id" options=practitioners selected=start.practitioner_id.clone() error=err("practitioner_id")/>
                <Select label="Room" name="room_id" options=rooms selected=start.room_id.clone() error=err("room_id")/>
                <div class="inline-fields">
                    <Input label="Date" id="field-book-date" name="date" kind="date" value=start.date.clone() error=err("date")/>
                    <Input label="Start time" id="field-book-time" name="time" kind="time" step="300" value=start.time.clone() error=err("time")/>
                </div>
                <div class="field">
                    <label for="field-book-notes">"Notes " <span class="optional">"(optional)"</span></label>
                    <textarea id="field-book-notes" name="notes" rows="2"></textarea>
                    <p class="error" aria-live="polite">{move || err("notes").get()}</p>
                </div>
                <fieldset>
                    <legend>"Repeat"</legend>
                    <div class="field">
                        <label for="field-book-repeat">"Repeats"</label>
                        <select id="field-book-repeat" name="repeat" on:change=move |ev| repeat.set(event_target_value(&ev))>
                            <option value="">"Does not repeat"</option>
                            <option value="weekly">"Weekly"</option>
                        </select>
                        <p class="error" aria-live="polite" id="field-book-repeat-error">{move || err("repeat").get()}</p>
                    </div>
                    {move || (repeat.get() == "weekly").then(|| view! {
                        <div class="inline-fields">
                            <Input label="Every how many weeks" id="field-book-every_weeks" name="every_weeks" kind="number" min="1" value="1" error=err("every_weeks")/>
                            <div class="field">
                                <label for="field-book-ends">"Ends"</label>
                                <select id="field-book-ends" name="ends">
                                    <option value="count">"After a number of appointments"</option>
                                    <option value="until">"On a date"</option>
                                </select>
                                <p class="error" aria-live="polite">{move || err("ends").get()}</p>
                            </div>
                            <Input label="Number of appointments" id="field-book-count" name="count" kind="number" min="1" value="4" error=err("count")/>
                            <Input label="Last date (if ending on a date)" id="field-book-until" name="until" kind="date" error=err("until")/>
                        </div>
                    })}
                </fieldset>
                {move || refused().then(|| view! {
                    <fieldset class="override">
                        <legend>"Book anyway"</legend>
                        <div class="field checkbox">
                            <input type="checkbox" id="field-book-override_conflicts" name="override_conflicts" value="on"/>
                            <label for="field-book-override_conflicts">"Book anyway, overriding the clash or working hours (recorded in the audit trail)"</label>
                        </div>
                        <Input label="Reason for the override" id="field-book-override_reason" name="override_reason" error=err("override_reason")/>
                    </fieldset>
                })}
                <div class="button-row">
                    <button type="submit" disabled=move || action.pending().get()>"Book appointment"</button>
                    <button type="button" class="secondary" on:click=move |_| on_close.run(())>"Cancel"</button>
                </div>
            </ActionForm>
        </Modal>
    }
}

fn step_label(status: AppointmentStatus) -> &'static str {
    match status {
        AppointmentStatus::Confirmed => "Confirm",
        AppointmentStatus::Arrived => "Mark arrived",
        AppointmentStatus::InConsultation => "Start consultation",
        AppointmentStatus::Completed => "Complete",
        AppointmentStatus::NoShow => "Mark no-show",
        AppointmentStatus::Cancelled => "Cancel appointment",
        AppointmentStatus::LateCancelled => "Late cancellation",
        AppointmentStatus::Booked => "Booked",
    }
}

/// Errors of the last status change or move, by field.
type Outcome = RwSignal<Option<AppError>>;

fn outcome_field(outcome: Outcome, name: &'static str) -> Signal<Option<String>> {
    Signal::derive(move || outcome.with(|o| o.as_ref().and_then(|e| e.field(name))))
}

#[component]
pub fn AppointmentDialog(
    appointment: Appointment,
    can_override: bool,
    /// The date shown, where the slot search starts.
    today: String,
    /// Practitioners and rooms to move it to.
    choices: Choices,
    on_close: Callback<()>,
    on_done: Callback<String>,
) -> impl IntoView {
    let a = appointment;
    let status_error: Outcome = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let reason = RwSignal::new(String::new());
    let scope = RwSignal::new(String::new());
    let change_status = {
        let id = a.id.clone();
        move |next: AppointmentStatus| {
            let form = StatusForm { status: next.as_str().to_owned(), reason: reason.get_untracked(), scope: scope.get_untracked() };
            let id = id.clone();
            busy.set(true);
            leptos::task::spawn_local(async move {
                let result = set_appointment_status(id, form, NoExtraFields).await;
                busy.set(false);
                match result {
                    Ok(r) => {
                        let mut text = format!("Status changed to {}.", next.label().to_lowercase());
                        if !r.waitlist_offers.is_empty() {
                            text.push_str(&format!(
                                " Waiting for a slot like this: {}. Book one of them under Waitlist.",
                                r.waitlist_offers.join("; ")
                            ));
                        }
                        on_done.run(text)
                    }
                    Err(e) => status_error.set(Some(e)),
                }
            });
        }
    };
    let steps: Vec<AppointmentStatus> = a.status.next_steps().to_vec();
    let simple = steps
        .iter()
        .copied()
        .filter(|s| !s.requires_reason())
        .map(|s| {
            let change = change_status.clone();
            view! { <button type="button" disabled=move || busy.get() on:click=move |_| change(s)>{s.icon()} " " {step_label(s)}</button> }
        })
        .collect_view();
    let cancellable = steps.contains(&AppointmentStatus::Cancelled);
    let series = a.series;
    let scope_select = move |id: &'static str, bind: RwSignal<String>| {
        series.then(|| view! {
            <div class="field">
                <label for=id>"Which appointments of the series"</label>
                <select id=id on:change=move |ev| bind.set(event_target_value(&ev))>
                    {[SeriesScope::ThisOne, SeriesScope::ThisAndFollowing, SeriesScope::All].map(|s| view! { <option value=s.as_str()>{s.label()}</option> }).collect_view()}
                </select>
            </div>
        })
    };
    let cancel_block = cancellable.then(|| {
        let (c1, c2) = (change_status.clone(), change_status.clone());
        view! {
            <fieldset>
                <legend>"Cancel"</legend>
                <div class="field" class:has-error=move || outcome_field(status_error, "reason").get().is_some()>
                    <label for="field-cancel-reason">"Reason for cancelling"</label>
                    <textarea id="field-cancel-reason" rows="2" aria-describedby="field-cancel-reason-error" on:input=move |ev| reason.set(event_target_value(&ev))></textarea>
                    <p class="error" id="field-cancel-reason-error" aria-live="polite">{move || outcome_field(status_error, "reason").get()}</p>
                </div>
                {scope_select("field-cancel-scope", scope)}
                <div class="button-row">
                    <button type="button" class="secondary" disabled=move || busy.get() on:click=move |_| c1(AppointmentStatus::Cancelled)>"✕ Cancel appointment"</button>
                    <button type="button" class="secondary" disabled=move || busy.get() on:click=move |_| c2(AppointmentStatus::LateCancelled)>"⏱ Late cancellation"</button>
                </div>
            </fieldset>
        }
    });
    // A completed visit can be invoiced from here: the draft opens with
    // the visit's service filled in (roles without billing get the
    // refusal as a message).
    let invoice_block = (a.status == AppointmentStatus::Completed).then(|| {
        let id = a.id.clone();
        let navigate = leptos_router::hooks::use_navigate();
        let invoice = move |_| {
            let (id, navigate) = (id.clone(), navigate.clone());
            busy.set(true);
            leptos::task::spawn_local(async move {
                let result = crate::billing_api::invoice_from_appointment(id).await;
                busy.set(false);
                match result {
                    Ok(invoice) => navigate(&format!("/app/billing/invoices/{invoice}"), Default::default()),
                    Err(e) => status_error.set(Some(e)),
                }
            });
        };
        view! { <h3>"Billing"</h3><div class="button-row"><button type="button" disabled=move || busy.get() on:click=invoice>"Invoice this visit"</button></div> }
    });
    let movable = matches!(a.status, AppointmentStatus::Booked | AppointmentStatus::Confirmed);
    let reschedule = movable.then(|| view! { <Reschedule appointment=a.clone() can_override today=today.clone() choices on_done/> });
    let room = if a.room_name.is_empty() { "No room".to_owned() } else { a.room_name.clone() };
    view! {
        <Modal title=a.patient_name.clone() on_close>
            <dl class="details">
                <dt>"When"</dt><dd>{a.date.clone()} ", " {a.start.clone()} "–" {a.end.clone()} " (" {a.duration_minutes} " min)"</dd>
                <dt>"Type"</dt><dd>{a.type_name.clone()}</dd>
                <dt>"Practitioner"</dt><dd>{a.practitioner_name.clone()}</dd>
                <dt>"Room"</dt><dd>{room}</dd>
                <dt>"Status"</dt><dd class="appt-status">{a.status.icon()} " " {a.status.label()}</dd>
                {(!a.cancel_reason.is_empty()).then(|| view! { <dt>"Cancelled because"</dt><dd>{a.cancel_reason.clone()}</dd> })}
                {(!a.notes.is_empty()).then(|| view! { <dt>"Notes"</dt><dd>{a.notes.clone()}</dd> })}
                {(!a.override_reason.is_empty()).then(|| view! { <dt>"Booked over a clash"</dt><dd>{a.override_reason.clone()}</dd> })}
                {series.then(|| view! { <dt>"Series"</dt><dd>"Part of a weekly series"</dd> })}
            </dl>
            <div class="form-alert" role="alert">
                {move || status_error.get().map(|e| view! { <p>{e.field("status").or_else(|| e.field("appointment_id")).unwrap_or_else(|| if matches!(e, AppError::Invalid(_)) { "Please correct the fields marked below.".to_owned() } else { e.summary() })}</p> })}
            </div>
            {(!steps.is_empty()).then(|| view! { <h3>"Status"</h3><div class="button-row">{simple}</div> })}
            {invoice_block}
            {cancel_block}
            {reschedule}
        </Modal>
    }
}

/// Moving and changing the length from the keyboard: free slots from the
/// slot finder, or a date, time and length typed in; another practitioner
/// or room chosen (what dragging across columns does).
#[component]
fn Reschedule(appointment: Appointment, can_override: bool, today: String, choices: Choices, on_done: Callback<String>) -> impl IntoView {
    let a = appointment;
    let series = a.series;
    // The practitioner's id; the room: "" keeps it, "none" takes it out.
    let practitioner = RwSignal::new(a.practitioner_id.clone());
    let room = RwSignal::new(String::new());
    let date = RwSignal::new(a.date.clone());
    let time = RwSignal::new(a.start.clone());
    let duration = RwSignal::new(a.duration_minutes.to_string());
    let scope = RwSignal::new(String::new());
    let outcome: Outcome = RwSignal::new(None);
    let slots = RwSignal::new(None::<Result<Vec<Slot>, AppError>>);
    let override_on = RwSignal::new(false);
    let override_reason = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let type_id = a.type_id.clone();
    let find = move |_| {
        let (t, p) = (type_id.clone(), practitioner.get_untracked());
        let from = if date.get_untracked().is_empty() { today.clone() } else { date.get_untracked() };
        leptos::task::spawn_local(async move {
            slots.set(Some(next_available(t, p, from).await));
        });
    };
    let (id, version) = (a.id.clone(), a.version);
    let original = a.duration_minutes.to_string();
    let current_practitioner = a.practitioner_id.clone();
    let names: Vec<(String, String)> = choices.practitioners.iter().map(|p| (p.id.clone(), p.name.clone())).collect();
    let submit = move |_| {
        let length = duration.get_untracked();
        let chosen = practitioner.get_untracked();
        let with = (chosen != current_practitioner)
            .then(|| names.iter().find(|(id, _)| *id == chosen).map(|(_, n)| format!(" with {n}")))
            .flatten()
            .unwrap_or_default();
        let form = RescheduleForm {
            date: date.get_untracked(),
            time: time.get_untracked(),
            practitioner_id: if chosen == current_practitioner { String::new() } else { chosen },
            room_id: room.get_untracked(),
            duration_minutes: if length.trim() == original { String::new() } else { length },
            expected_version: version.to_string(),
            scope: scope.get_untracked(),
            override_conflicts: override_on.get_untracked().then(|| "on".to_owned()),
            override_reason: override_reason.get_untracked(),
            ..Default::default()
        };
        let id = id.clone();
        busy.set(true);
        leptos::task::spawn_local(async move {
            let result = appointment_reschedule(id, form.clone(), NoExtraFields).await;
            busy.set(false);
            match result {
                Ok(n) if n > 1 => on_done.run(format!("{n} appointments moved to {}{with}.", form.time)),
                Ok(_) => on_done.run(format!("Appointment moved to {} at {}{with}.", form.date, form.time)),
                Err(e) => outcome.set(Some(e)),
            }
        });
    };
    let refused = move || can_override && matches!(outcome.get(), Some(AppError::Invalid(_)));
    let general = move || {
        outcome.get().and_then(|e| match &e {
            AppError::Invalid(_) => e.field("expected_version").or_else(|| e.field("status")),
            other => Some(other.summary()),
        })
    };
    view! {
        <fieldset>
            <legend>"Reschedule or change length"</legend>
            <div class="form-alert" role="alert">{move || general().map(|m| view! { <p>{m}</p> })}</div>
            <div class="inline-fields">
                <Input label="New date" id="field-move-date" kind="date" bind=date error=outcome_field(outcome, "date")/>
                <Input label="New start time" id="field-move-time" kind="time" step="300" bind=time error=outcome_field(outcome, "time")/>
                <Input label="Length in minutes" id="field-move-duration_minutes" kind="number" step="5" min="5" bind=duration error=outcome_field(outcome, "duration_minutes")/>
            </div>
            <div class="inline-fields">
                <div class="field" class:has-error=move || outcome_field(outcome, "practitioner_id").get().is_some()>
                    <label for="field-move-practitioner_id">"Move to practitioner"</label>
                    <select id="field-move-practitioner_id" aria-describedby="field-move-practitioner_id-error"
                        aria-invalid=move || outcome_field(outcome, "practitioner_id").get().is_some().then_some("true")
                        on:change=move |ev| practitioner.set(event_target_value(&ev))>
                        {choices.practitioners.iter().map(|p| {
                            let selected = p.id == a.practitioner_id;
                            view! { <option value=p.id.clone() selected=selected>{p.name.clone()}</option> }
                        }).collect_view()}
                    </select>
                    <p class="error" id="field-move-practitioner_id-error" aria-live="polite">{move || outcome_field(outcome, "practitioner_id").get()}</p>
                </div>
                <div class="field" class:has-error=move || outcome_field(outcome, "room_id").get().is_some()>
                    <label for="field-move-room_id">"Move to room"</label>
                    <select id="field-move-room_id" aria-describedby="field-move-room_id-error"
                        aria-invalid=move || outcome_field(outcome, "room_id").get().is_some().then_some("true")
                        on:change=move |ev| room.set(event_target_value(&ev))>
                        <option value="">{if a.room_name.is_empty() { "Keep: no room".to_owned() } else { format!("Keep: {}", a.room_name) }}</option>
                        {(!a.room_id.is_empty()).then(|| view! { <option value="none">"No room"</option> })}
                        {choices.rooms.iter().filter(|r| r.id != a.room_id).map(|r| view! { <option value=r.id.clone()>{r.name.clone()}</option> }).collect_view()}
                    </select>
                    <p class="error" id="field-move-room_id-error" aria-live="polite">{move || outcome_field(outcome, "room_id").get()}</p>
                </div>
            </div>
            {series.then(|| view! {
                <div class="field">
                    <label for="field-move-scope">"Which appointments of the series"</label>
                    <select id="field-move-scope" on:change=move |ev| scope.set(event_target_value(&ev))>
                        {[SeriesScope::ThisOne, SeriesScope::ThisAndFollowing, SeriesScope::All].map(|s| view! { <option value=s.as_str()>{s.label()}</option> }).collect_view()}
                    </select>
                </div>
            })}
            <p class="error" aria-live="polite">{move || outcome_field(outcome, "patient_id").get()}</p>
            <div class="button-row">
                <button type="button" class="secondary" on:click=find>"Find free times"</button>
            </div>
            {move || slots.get().map(|r| match r {
                Ok(list) if list.is_empty() => EitherOf3::A(view! { <p class="hint">"No free times in the next 60 days."</p> }),
                Ok(list) => EitherOf3::B(view! {
                    <ul class="slot-list" aria-label="Free times">
                        {list.into_iter().map(|s| {
                            let (d, t) = (s.date.clone(), s.start.clone());
                            view! { <li><button type="button" class="secondary" on:click=move |_| { date.set(d.clone()); time.set(t.clone()); }>{s.label.clone()}</button></li> }
                        }).collect_view()}
                    </ul>
                }),
                Err(e) => EitherOf3::C(view! { <p class="error">{e.field("type_id").or_else(|| e.field("practitioner_id")).unwrap_or_else(|| e.summary())}</p> }),
            })}
            {move || refused().then(|| view! {
                <div class="field checkbox">
                    <input type="checkbox" id="field-move-override" on:change=move |ev| override_on.set(event_target_checked(&ev))/>
                    <label for="field-move-override">"Move anyway, overriding the clash or working hours (recorded in the audit trail)"</label>
                </div>
                <Input label="Reason for the override" id="field-move-override_reason" bind=override_reason error=outcome_field(outcome, "override_reason")/>
            })}
            <div class="button-row">
                <button type="button" disabled=move || busy.get() on:click=submit>"Move appointment"</button>
            </div>
        </fieldset>
    }
}

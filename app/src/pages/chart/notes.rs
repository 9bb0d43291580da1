//! The chart's Notes tab: the patient's encounters, newest first, each
//! with its SOAP note. A draft is edited and signed by its author; a
//! signed note is shown as signed, with its amendments (author, time,
//! reason) under the original, and an amendment form. Every clinical text
//! is rendered as a text node.

use super::{
    fields::{loading, reload_on_success, Input, Select, TextArea},
    templates::TemplatesPanel,
    use_patient_id,
};
use crate::{
    chart_api::*,
    components::{field_error, FormAlert},
    pages::staff::error_view,
};
use ambula_domain::chart::{
    encounters::{AmendmentForm, EncounterKind, NoteForm, Section, FIELD_NAMES},
    templates::{FieldKind, TemplateField},
};
use leptos::{either::Either, prelude::*};
use leptos_meta::Title;

#[component]
pub fn ChartNotesPage() -> impl IntoView {
    let patient = use_patient_id();
    let changed = RwSignal::new(0u32);
    let encounters = Resource::new(move || (patient.get(), changed.get()), |(id, _)| chart_encounters(id));
    view! {
        <Title text="Notes · Ambula"/>
        <h2>"Encounters and notes"</h2>
        <NewEncounter patient changed/>
        <Transition fallback=loading>
            {move || Suspend::new(async move {
                match encounters.await {
                    Ok(list) if list.is_empty() => Either::Left(Either::Left(view! { <p>"No encounters recorded yet."</p> })),
                    Ok(list) => Either::Left(Either::Right(view! {
                        <div class="encounters">
                            {list.into_iter().map(|e| view! { <EncounterCard encounter=e changed/> }).collect_view()}
                        </div>
                    })),
                    Err(error) => Either::Right(error_view(error)),
                }
            })}
        </Transition>
        <TemplatesPanel/>
    }
}

#[component]
fn NewEncounter(patient: Signal<String>, changed: RwSignal<u32>) -> impl IntoView {
    let create = ServerAction::<ChartEncounterCreate>::new();
    let result = Signal::derive(move || create.value().get());
    reload_on_success(result, changed);
    let templates = Resource::new(|| (), |_| chart_templates());
    let kinds: Vec<(String, String)> = EncounterKind::ALL.iter().map(|k| (k.as_str().to_owned(), k.label().to_owned())).collect();
    view! {
        <details class="chart-panel new-encounter">
            <summary>"New encounter"</summary>
            <ActionForm action=create attr:class="chart-form">
                <input type="hidden" name="patient_id" value=move || patient.get()/>
                <div class="field-row">
                    <Input label="Date" name="date" prefix="encounter" kind="date" required=true error=field_error(result, "date")/>
                    <Input label="Time" name="time" prefix="encounter" kind="time" required=true error=field_error(result, "time")/>
                    <Select label="Kind" name="kind" prefix="encounter" options=kinds.clone() error=field_error(result, "kind")/>
                </div>
                <Suspense fallback=loading>
                    {move || Suspend::new(async move {
                        let mut options = vec![(String::new(), "Blank note".to_owned())];
                        if let Ok(list) = templates.await {
                            options.extend(list.into_iter().filter(|t| t.active).map(|t| (t.id, t.name)));
                        }
                        view! { <Select label="Template" name="template_id" prefix="encounter" options error=field_error(result, "template_id")/> }
                    })}
                </Suspense>
                <FormAlert value=result/>
                <button type="submit" disabled=move || create.pending().get()>"Start the note"</button>
            </ActionForm>
        </details>
    }
}

#[component]
fn EncounterCard(encounter: EncounterItem, changed: RwSignal<u32>) -> impl IntoView {
    let heading = format!("{} · {}", encounter.kind, encounter.when);
    let who = encounter.practitioner.clone().map(|p| format!("With {p}"));
    let note = encounter.note.clone();
    view! {
        <article class="encounter" data-testid="encounter">
            <header>
                <h3>{heading}</h3>
                {who.map(|w| view! { <p class="muted">{w}</p> })}
            </header>
            {match note {
                None => Either::Left(view! { <p>"No note."</p> }),
                Some(note) if note.status == "draft" && note.mine => Either::Right(Either::Left(view! { <DraftEditor note changed/> })),
                Some(note) => Either::Right(Either::Right(view! { <NoteReader note changed/> })),
            }}
        </article>
    }
}

fn section_text(note: &NoteItem, section: Section) -> String {
    match section {
        Section::Subjective => note.subjective.clone(),
        Section::Objective => note.objective.clone(),
        Section::Assessment => note.assessment.clone(),
        Section::Plan => note.plan.clone(),
    }
}

/// One input for a template field: number, choice or text.
fn template_input(index: usize, field: TemplateField, prefix: String, result: Signal<Option<Result<String, crate::error::AppError>>>) -> impl IntoView {
    let name = FIELD_NAMES[index];
    let label = format!("{} ({})", field.label, field.section.label());
    let error = field_error(result, name);
    match field.kind {
        FieldKind::Choice => {
            let mut options = vec![(String::new(), "—".to_owned())];
            options.extend(field.choices.iter().map(|c| (c.clone(), c.clone())));
            Either::Left(view! { <Select label name prefix options error/> })
        }
        FieldKind::Number => Either::Right(Either::Left(view! { <Input label name prefix kind="text" hint="A number." error/> })),
        FieldKind::Text => Either::Right(Either::Right(view! { <Input label name prefix error/> })),
    }
}

#[component]
fn DraftEditor(note: NoteItem, changed: RwSignal<u32>) -> impl IntoView {
    let save = ServerAction::<ChartNoteSave>::new();
    let saved = Signal::derive(move || save.value().get());
    reload_on_success(saved, changed);
    let sign = ServerAction::<ChartNoteSign>::new();
    let signed = Signal::derive(move || sign.value().get());
    reload_on_success(signed, changed);
    let prefix = note.id.clone();
    let fields = note.fields.clone();
    let sections = Section::ALL.map(|s| {
        let value = section_text(&note, s);
        let prefix = prefix.clone();
        view! {
            <TextArea label=s.label() name=s.as_str() prefix value rows=4 max=NoteForm::MAX_SECTION error=field_error(saved, s.as_str())/>
        }
    });
    let note_error = field_error(signed, "note");
    let (save_id, sign_id) = (note.id.clone(), note.id.clone());
    let sign_error_id = format!("sign-{}-error", note.id);
    view! {
        <p class="badge">"Draft"</p>
        <p class="muted">{format!("Last saved {}", note.updated_at.clone())}</p>
        <ActionForm action=save attr:class="chart-form note-form">
            <input type="hidden" name="note_id" value=save_id/>
            {(!fields.is_empty()).then(|| view! {
                <fieldset class="template-fields">
                    <legend>"Template fields"</legend>
                    <p class="hint">"Filled-in fields are added to their section as “Label: value” lines when you save."</p>
                    {fields.into_iter().enumerate().take(FIELD_NAMES.len()).map(|(i, f)| template_input(i, f, prefix.clone(), saved)).collect_view()}
                </fieldset>
            })}
            {sections}
            <FormAlert value=saved/>
            <button type="submit" disabled=move || save.pending().get()>"Save draft"</button>
        </ActionForm>
        <ActionForm action=sign attr:class="chart-form sign-form">
            <input type="hidden" name="note_id" value=sign_id/>
            <p class="hint">"Signing locks the note. Later changes are amendments, kept beside the original."</p>
            <button type="submit" aria-describedby=sign_error_id.clone() disabled=move || sign.pending().get()>"Sign and lock"</button>
            <p class="error" id=sign_error_id aria-live="polite">{move || note_error.get()}</p>
        </ActionForm>
    }
}

#[component]
fn NoteReader(note: NoteItem, changed: RwSignal<u32>) -> impl IntoView {
    let status = if note.status == "signed" {
        format!(
            "Signed by {} on {}",
            note.signed_by.clone().unwrap_or_default(),
            note.signed_at.clone().unwrap_or_default()
        )
    } else {
        format!("Draft by {}, not yet signed", note.author)
    };
    let signed = note.status == "signed";
    let sections = Section::ALL
        .into_iter()
        .map(|s| (s, section_text(&note, s)))
        .filter(|(_, text)| !text.is_empty())
        .map(|(s, text)| view! { <dt>{s.label()}</dt><dd class="note-text">{text}</dd> })
        .collect_view();
    let amendments = note.amendments.clone();
    view! {
        <p class="badge" class:ok=signed>{status}</p>
        <dl class="soap" data-testid="original-note">{sections}</dl>
        {(!amendments.is_empty()).then(|| view! {
            <section class="amendments" aria-label="Amendments">
                <h4>"Amendments"</h4>
                <ol>
                    {amendments.into_iter().map(|a| view! {
                        <li data-testid="amendment">
                            <p class="muted">{format!("{} · {}", a.author, a.at)}</p>
                            <p><strong>"Reason: "</strong>{a.reason}</p>
                            <p class="note-text">{a.body}</p>
                        </li>
                    }).collect_view()}
                </ol>
            </section>
        })}
        {signed.then(|| view! { <AmendForm note_id=note.id.clone() changed/> })}
    }
}

#[component]
fn AmendForm(note_id: String, changed: RwSignal<u32>) -> impl IntoView {
    let amend = ServerAction::<ChartNoteAmend>::new();
    let result = Signal::derive(move || amend.value().get());
    reload_on_success(result, changed);
    let prefix = format!("amend-{note_id}");
    view! {
        <details class="amend">
            <summary>"Amend this note"</summary>
            <ActionForm action=amend attr:class="chart-form">
                <input type="hidden" name="note_id" value=note_id.clone()/>
                <TextArea label="Reason for the amendment" name="reason" prefix=prefix.clone() rows=2 required=true
                    max=AmendmentForm::MAX_REASON error=field_error(result, "reason")/>
                <TextArea label="Amendment" name="body" prefix=prefix rows=4 required=true
                    max=NoteForm::MAX_SECTION error=field_error(result, "body")/>
                <FormAlert value=result/>
                <button type="submit" disabled=move || amend.pending().get()>"Add amendment"</button>
            </ActionForm>
        </details>
    }
}

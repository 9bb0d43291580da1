//! The chart's Problems & history tab: the problem list with an ICD-10-CM
//! search picker (searched on the server), and the medical, surgical,
//! family and social history.

use super::{
    fields::{loading, reload_on_success, Input, Select, TextArea},
    use_patient_id,
};
use crate::{
    chart_api::*,
    components::{field_error, FormAlert},
    pages::staff::error_view,
};
use ambula_domain::chart::{
    history::{HistoryForm, HistoryKind, SocialHistoryForm, ALCOHOL, RELATIONS, SMOKING},
    problems::{IcdSearchForm, ProblemForm, ProblemStatus},
};
use leptos::{either::Either, prelude::*};
use leptos_meta::Title;

fn status_options() -> Vec<(String, String)> {
    ProblemStatus::ALL.iter().map(|s| (s.as_str().to_owned(), s.label().to_owned())).collect()
}

fn status_label(raw: &str) -> &'static str {
    ProblemStatus::parse(raw).map(ProblemStatus::label).unwrap_or("Unknown")
}

#[component]
pub fn ChartProblemsPage() -> impl IntoView {
    let patient = use_patient_id();
    let changed = RwSignal::new(0u32);
    let tab = Resource::new(move || (patient.get(), changed.get()), |(id, _)| chart_problems(id));
    view! {
        <Title text="Problems · Ambula"/>
        <h2>"Problem list"</h2>
        <Transition fallback=loading>
            {move || Suspend::new(async move {
                match tab.await {
                    Ok(tab) => Either::Left(view! { <ProblemTable problems=tab.problems.clone() changed/> <History tab changed patient/> }),
                    Err(error) => Either::Right(error_view(error)),
                }
            })}
        </Transition>
        <AddProblem patient changed/>
    }
}

#[component]
fn ProblemTable(problems: Vec<ProblemItem>, changed: RwSignal<u32>) -> impl IntoView {
    if problems.is_empty() {
        return Either::Left(view! { <p>"No problems recorded."</p> });
    }
    Either::Right(view! {
        <div class="table-scroll">
            <table class="data problems">
                <caption class="visually-hidden">"Problems"</caption>
                <thead>
                    <tr><th scope="col">"Code"</th><th scope="col">"Problem"</th><th scope="col">"Onset"</th><th scope="col">"Status"</th><th scope="col">"Notes"</th></tr>
                </thead>
                <tbody>
                    {problems.into_iter().map(|p| view! { <ProblemRow problem=p changed/> }).collect_view()}
                </tbody>
            </table>
        </div>
    })
}

#[component]
fn ProblemRow(problem: ProblemItem, changed: RwSignal<u32>) -> impl IntoView {
    let update = ServerAction::<ChartProblemUpdate>::new();
    let result = Signal::derive(move || update.value().get());
    reload_on_success(result, changed);
    let select_id = format!("status-{}", problem.id);
    let error_id = format!("{select_id}-error");
    let error = field_error(result, "status");
    let label = format!("Status of {}", problem.description);
    let current = problem.status.clone();
    let notes_text = problem.notes.clone().unwrap_or_default();
    view! {
        <tr data-testid="problem">
            <td>{problem.code.clone().unwrap_or_default()}</td>
            <td>{problem.description.clone()}</td>
            <td>{problem.onset_date.clone().unwrap_or_default()}</td>
            <td>
                <ActionForm action=update attr:class="inline">
                    <input type="hidden" name="problem_id" value=problem.id.clone()/>
                    <input type="hidden" name="code" value=problem.code.clone().unwrap_or_default()/>
                    <input type="hidden" name="description" value=problem.description.clone()/>
                    <input type="hidden" name="onset_date" value=problem.onset_date.clone().unwrap_or_default()/>
                    <input type="hidden" name="notes" value=problem.notes.clone().unwrap_or_default()/>
                    <label class="visually-hidden" for=select_id.clone()>{label}</label>
                    <select id=select_id name="status" aria-describedby=error_id.clone()>
                        {status_options().into_iter().map(|(v, t)| {
                            let selected = v == current;
                            view! { <option value=v selected=selected>{t}</option> }
                        }).collect_view()}
                    </select>
                    <button type="submit" class="secondary small">"Update"</button>
                    <span class="error" id=error_id aria-live="polite">{move || error.get()}</span>
                </ActionForm>
                <span class="visually-hidden">{status_label(&problem.status)}</span>
            </td>
            <td class="note-text">{notes_text}</td>
        </tr>
    }
}

#[component]
fn AddProblem(patient: Signal<String>, changed: RwSignal<u32>) -> impl IntoView {
    let add = ServerAction::<ChartProblemAdd>::new();
    let result = Signal::derive(move || add.value().get());
    reload_on_success(result, changed);
    let query = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    let picked = RwSignal::new(None::<CodeItem>);
    let matches = Resource::new(move || query.get(), |q| async move {
        if q.trim().chars().count() < 2 { Ok(Vec::new()) } else { chart_icd_search(q).await }
    });
    let search_error = Signal::derive(move || matches.get().and_then(Result::err).and_then(|e| e.field("q")));
    let code_error = field_error(result, "code");
    // A saved problem clears the picker for the next one.
    Effect::new(move |_| {
        if result.with(|r| matches!(r, Some(Ok(_)))) {
            code.set(String::new());
            picked.set(None);
            query.set(String::new());
        }
    });
    view! {
        <section class="chart-panel" aria-labelledby="add-problem-heading">
            <h3 id="add-problem-heading">"Add a problem"</h3>
            <div class="field" class:has-error=move || search_error.get().is_some()>
                <label for="icd-search">"Search ICD-10-CM by code or words"</label>
                <input id="icd-search" type="search" autocomplete="off" maxlength=IcdSearchForm::MAX_QUERY
                    aria-describedby="icd-search-hint icd-search-error" aria-controls="icd-results"
                    prop:value=move || query.get()
                    on:input=move |ev| query.set(event_target_value(&ev))/>
                <p class="hint" id="icd-search-hint">"For example E11 or type 2 diabetes. Choose a result to fill in the code."</p>
                <p class="error" id="icd-search-error" aria-live="polite">{move || search_error.get()}</p>
            </div>
            <Transition fallback=loading>
                {move || Suspend::new(async move {
                    let list = matches.await.unwrap_or_default();
                    let count = if query.get_untracked().trim().chars().count() < 2 { String::new() } else { format!("{} matching codes", list.len()) };
                    view! {
                        <p class="muted" role="status">{count}</p>
                        <ul id="icd-results" class="icd-results" aria-label="Matching codes">
                            {list.into_iter().map(|c| {
                                let chosen = c.clone();
                                let text = format!("{} — {}", c.code, c.title);
                                view! {
                                    <li><button type="button" class="link-button" on:click=move |_| {
                                        code.set(chosen.code.clone());
                                        picked.set(Some(chosen.clone()));
                                    }>{text}</button></li>
                                }
                            }).collect_view()}
                        </ul>
                    }
                })}
            </Transition>
            <ActionForm action=add attr:class="chart-form">
                <input type="hidden" name="patient_id" value=move || patient.get()/>
                <div class="field" class:has-error=move || code_error.get().is_some()>
                    <label for="field-problem-code">"ICD-10-CM code"</label>
                    <input id="field-problem-code" name="code" type="text" autocomplete="off"
                        prop:value=move || code.get() on:input=move |ev| { code.set(event_target_value(&ev)); picked.set(None); }
                        aria-invalid=move || code_error.get().is_some().then_some("true")
                        aria-describedby="field-problem-code-picked field-problem-code-error"/>
                    <p class="hint" id="field-problem-code-picked" aria-live="polite">
                        {move || picked.get().map(|c| format!("Chosen: {} — {}", c.code, c.title))}
                    </p>
                    <p class="error" id="field-problem-code-error" aria-live="polite">{move || code_error.get()}</p>
                </div>
                <Input label="Description (optional with a code)" name="description" prefix="problem" error=field_error(result, "description")/>
                <div class="field-row">
                    <Input label="Onset date (optional)" name="onset_date" prefix="problem" kind="date" error=field_error(result, "onset_date")/>
                    <Select label="Status" name="status" prefix="problem" options=status_options() selected="active" error=field_error(result, "status")/>
                </div>
                <TextArea label="Notes (optional)" name="notes" prefix="problem" rows=2 max=ProblemForm::MAX_NOTES error=field_error(result, "notes")/>
                <FormAlert value=result/>
                <button type="submit" disabled=move || add.pending().get()>"Add problem"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn History(tab: ProblemsTab, changed: RwSignal<u32>, patient: Signal<String>) -> impl IntoView {
    let sections = HistoryKind::ALL
        .into_iter()
        .map(|kind| {
            let entries: Vec<HistoryItem> = tab.history.iter().filter(|h| h.kind == kind.as_str()).cloned().collect();
            view! {
                <section class="history" aria-label=kind.label()>
                    <h3>{kind.label()}</h3>
                    {if entries.is_empty() {
                        Either::Left(view! { <p class="muted">"None recorded."</p> })
                    } else {
                        Either::Right(view! {
                            <ul>
                                {entries.into_iter().map(|h| {
                                    let mut line = String::new();
                                    if let Some(r) = &h.relation { line.push_str(&format!("{r}: ")); }
                                    line.push_str(&h.details);
                                    if let Some(y) = h.year { line.push_str(&format!(" ({y})")); }
                                    view! { <li class="note-text">{line}</li> }
                                }).collect_view()}
                            </ul>
                        })
                    }}
                </section>
            }
        })
        .collect_view();
    view! {
        <h2>"History"</h2>
        {sections}
        <AddHistory patient changed/>
        <SocialHistory social=tab.social.unwrap_or_default() patient changed/>
    }
}

#[component]
fn AddHistory(patient: Signal<String>, changed: RwSignal<u32>) -> impl IntoView {
    let add = ServerAction::<ChartHistoryAdd>::new();
    let result = Signal::derive(move || add.value().get());
    reload_on_success(result, changed);
    let kinds: Vec<(String, String)> = HistoryKind::ALL.iter().map(|k| (k.as_str().to_owned(), k.label().to_owned())).collect();
    let mut relations = vec![(String::new(), "— (family history only)".to_owned())];
    relations.extend(RELATIONS.iter().map(|r| ((*r).to_owned(), (*r).to_owned())));
    view! {
        <details class="chart-panel">
            <summary>"Add a history entry"</summary>
            <ActionForm action=add attr:class="chart-form">
                <input type="hidden" name="patient_id" value=move || patient.get()/>
                <div class="field-row">
                    <Select label="Kind" name="kind" prefix="history" options=kinds error=field_error(result, "kind")/>
                    <Select label="Relative" name="relation" prefix="history" options=relations error=field_error(result, "relation")/>
                    <Input label="Year (optional)" name="year" prefix="history" error=field_error(result, "year")/>
                </div>
                <TextArea label="Details" name="details" prefix="history" rows=2 required=true max=HistoryForm::MAX_DETAILS error=field_error(result, "details")/>
                <FormAlert value=result/>
                <button type="submit" disabled=move || add.pending().get()>"Add entry"</button>
            </ActionForm>
        </details>
    }
}

#[component]
fn SocialHistory(social: SocialItem, patient: Signal<String>, changed: RwSignal<u32>) -> impl IntoView {
    let save = ServerAction::<ChartSocialSave>::new();
    let result = Signal::derive(move || save.value().get());
    reload_on_success(result, changed);
    let options = |list: &[(&str, &str)]| list.iter().map(|(v, t)| ((*v).to_owned(), (*t).to_owned())).collect::<Vec<_>>();
    let smoking = if social.smoking.is_empty() { "unknown".to_owned() } else { social.smoking.clone() };
    let alcohol = if social.alcohol.is_empty() { "unknown".to_owned() } else { social.alcohol.clone() };
    view! {
        <section class="chart-panel" aria-labelledby="social-heading">
            <h3 id="social-heading">"Social history"</h3>
            <ActionForm action=save attr:class="chart-form">
                <input type="hidden" name="patient_id" value=move || patient.get()/>
                <div class="field-row">
                    <Select label="Smoking" name="smoking" prefix="social" options=options(&SMOKING) selected=smoking error=field_error(result, "smoking")/>
                    <Select label="Alcohol" name="alcohol" prefix="social" options=options(&ALCOHOL) selected=alcohol error=field_error(result, "alcohol")/>
                    <Input label="Occupation" name="occupation" prefix="social" value=social.occupation.clone() error=field_error(result, "occupation")/>
                </div>
                <TextArea label="Notes" name="notes" prefix="social" value=social.notes.clone() rows=2 max=SocialHistoryForm::MAX_NOTES error=field_error(result, "notes")/>
                <FormAlert value=result/>
                <button type="submit" disabled=move || save.pending().get()>"Save social history"</button>
            </ActionForm>
        </section>
    }
}

//! The chart's Timeline tab: encounters, notes and amendments,
//! appointments, problems and documents, newest first, a page at a time,
//! filterable by kind (the kinds come from the server's list of sources).

use super::{chart_href, fields::loading, use_patient_id};
use crate::{chart_api::chart_timeline, pages::staff::error_view};
use ambula_domain::{accounts::NoExtraFields, chart::timeline::TimelineForm};
use leptos::{either::Either, prelude::*};
use leptos_meta::Title;
use leptos_router::components::A;

#[component]
pub fn ChartTimelinePage() -> impl IntoView {
    let patient = use_patient_id();
    let kind = RwSignal::new(String::new());
    // The cursors of the pages before this one ("newer"), and this page's.
    let history = RwSignal::new(Vec::<String>::new());
    let before = RwSignal::new(String::new());
    let page = Resource::new(
        move || (patient.get(), kind.get(), before.get()),
        |(patient_id, kind, before)| chart_timeline(TimelineForm { patient_id, kind, before }, NoExtraFields),
    );
    // The kinds the server has sources for, from its first answer.
    let kinds = RwSignal::new(Vec::<(String, String)>::new());
    Effect::new(move |_| {
        if let Some(Ok(view)) = page.get() {
            if kinds.with_untracked(|k| k.is_empty()) {
                kinds.set(view.kinds);
            }
        }
    });
    let on_filter = move |ev: leptos::ev::Event| {
        kind.set(event_target_value(&ev));
        history.set(Vec::new());
        before.set(String::new());
    };
    view! {
        <Title text="Timeline · Ambula"/>
        <div class="timeline-head">
            <h2>"Timeline"</h2>
            <A href=move || chart_href(&patient.get(), "print") attr:class="secondary-link">"Print summary"</A>
        </div>
        <div class="field timeline-filter">
            <label for="timeline-kind">"Show"</label>
            <select id="timeline-kind" on:change=on_filter>
                <option value="">"Everything"</option>
                {move || kinds.get().into_iter().map(|(value, label)| {
                    let selected = value == kind.get_untracked();
                    view! { <option value=value selected=selected>{label}</option> }
                }).collect_view()}
            </select>
        </div>
        <Transition fallback=loading>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(view) => {
                        let next = view.next.clone();
                        let items = view.items;
                        let has_newer = !history.get_untracked().is_empty();
                        Either::Left(view! {
                            {if items.is_empty() {
                                Either::Left(view! { <p>"Nothing to show."</p> })
                            } else {
                                Either::Right(view! {
                                    <ol class="timeline" aria-label="Timeline, newest first">
                                        {items.into_iter().map(|item| { let data_kind = item.kind.clone(); let item_kind = item.kind.clone(); view! {
                                            <li class="timeline-item" data-kind=data_kind data-testid="timeline-item">
                                                <time class="muted">{item.when}</time>
                                                <span class="badge">{item.kind}</span>
                                                <span class="timeline-title">{item.title}</span>
                                                {item.detail.map(|d| view! { <span class="muted">" — " {d}</span> })}
                                                // Kept on a duplicate merged into this record:
                                                // say so, and open it there.
                                                {item.merged_record.map(|(id, mrn)| {
                                                    let tab = tab_of(&item_kind);
                                                    view! {
                                                        " "
                                                        <A href=chart_href(&id, tab) attr:class="merged-record">
                                                            {format!("on merged record {mrn}")}
                                                        </A>
                                                    }
                                                })}
                                            </li>
                                        }}).collect_view()}
                                    </ol>
                                })
                            }}
                            <nav class="pager" aria-label="Timeline pages">
                                {has_newer.then(|| view! {
                                    <button type="button" class="secondary" on:click=move |_| {
                                        let mut stack = history.get_untracked();
                                        let previous = stack.pop().unwrap_or_default();
                                        history.set(stack);
                                        before.set(previous);
                                    }>"Newer"</button>
                                })}
                                {next.map(|cursor| view! {
                                    <button type="button" class="secondary" on:click=move |_| {
                                        history.update(|h| h.push(before.get_untracked()));
                                        before.set(cursor.clone());
                                    }>"Older"</button>
                                })}
                            </nav>
                        })
                    }
                    Err(error) => Either::Right(error_view(error)),
                }
            })}
        </Transition>
    }
}

/// The chart tab an item of this kind is read on.
fn tab_of(kind: &str) -> &'static str {
    match kind {
        "encounter" | "amendment" => "notes",
        _ => "",
    }
}

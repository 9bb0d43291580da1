//! The patient chart at `/app/patients/:id`: a header saying who this is,
//! a row of tabs, and the open tab. Each tab is its own lazy route (its
//! code loads when first opened) in its own module:
//!
//! | tab | route | module |
//! |---|---|---|
//! | Summary (demographics, contacts, consents) | `` | `summary` |
//! | Timeline | `timeline` | `timeline` |
//! | Notes (encounters, SOAP, amendments) | `notes` | `notes` |
//! | Problems and history | `problems` | `problems` |
//! | Allergies and medications | `medications` | `medications` |
//! | Vitals | `vitals` | `vitals` |
//! | Results | `results` | `results` |
//! | Documents | `documents` | `documents` |
//! | Billing (account, statement, payments) | `billing` | `../billing/account` |

pub mod summary;
pub mod reminders;
pub mod fields;
pub mod growth;
pub mod notes;
pub mod print;
pub mod problems;
pub mod templates;
pub mod timeline;
pub mod medications;
pub mod trend;
pub mod upload;
pub mod vitals;
pub mod results;
pub mod documents;

use super::staff::error_view;
use crate::{
    error::AppError,
    registry_api::{chart_open, ChartOpeningView},
};
use leptos::{either::Either, prelude::*};
use leptos_router::{
    components::{Outlet, A},
    hooks::use_params_map,
};

/// The chart's tabs: route segment and label, in display order.
pub const TABS: [(&str, &str); 9] = [
    ("", "Summary"),
    ("timeline", "Timeline"),
    ("notes", "Notes"),
    ("problems", "Problems & history"),
    ("medications", "Allergies & medications"),
    ("vitals", "Vitals"),
    ("results", "Results"),
    ("documents", "Documents"),
    ("billing", "Billing"),
];

/// The patient id of the chart being shown (from the route).
pub fn use_patient_id() -> Signal<String> {
    let params = use_params_map();
    Signal::derive(move || params.read().get("id").unwrap_or_default())
}

/// The link to one tab of a patient's chart.
pub fn chart_href(patient_id: &str, tab: &str) -> String {
    if tab.is_empty() {
        format!("/app/patients/{patient_id}")
    } else {
        format!("/app/patients/{patient_id}/{tab}")
    }
}

/// The chart's opening read (record and allergy badge in one request),
/// shared with the allergy badge and the Summary tab so that opening a
/// chart costs one round trip, not three.
#[derive(Clone, Copy)]
pub struct ChartOpened(pub Resource<Result<ChartOpeningView, AppError>>);

#[component]
pub fn ChartShell() -> impl IntoView {
    let id = use_patient_id();
    let opening = Resource::new(move || id.get(), chart_open);
    provide_context(ChartOpened(opening));
    medications::provide_badge_refresh();
    // The tab's own view sits outside the header's Transition: a tab's
    // resources must not be created inside another resource's Suspend
    // (that stalls server rendering of a full page load).
    view! {
        <div class="chart">
            <Transition fallback=|| view! { <div class="skeleton" aria-busy="true">"Loading…"</div> }>
                {move || Suspend::new(async move {
                    match opening.await {
                        Ok(o) => Either::Left(view! {
                            <header class="chart-header">
                                // Text nodes: a name is shown, never run.
                                <h1>{format!("{}, {}", o.record.form.family_name, o.record.form.given_name)}</h1>
                                <p class="chart-facts">
                                    <span>"Record " {o.record.mrn.clone()}</span>
                                    <span>"Born " {o.record.form.date_of_birth.clone()}</span>
                                    {o.record.restricted.then(|| view! { <span class="badge warn">"Restricted"</span> })}
                                </p>
                            </header>
                        }),
                        Err(error) => Either::Right(error_view(error)),
                    }
                })}
            </Transition>
            <medications::AllergyBadge id=id/>
            <ChartTabs id=id/>
            <section class="chart-tab">
                <Outlet/>
            </section>
        </div>
    }
}

#[component]
fn ChartTabs(id: Signal<String>) -> impl IntoView {
    view! {
        <nav class="chart-tabs" aria-label="Chart">
            <ul>
                {TABS
                    .into_iter()
                    .map(|(tab, label)| {
                        let href = move || chart_href(&id.get(), tab);
                        view! { <li><A href=href exact=true>{label}</A></li> }
                    })
                    .collect_view()}
            </ul>
        </nav>
    }
}

//! The billing screens, each its own lazy route (its code loads when first
//! opened, never with the first page):
//!
//! | screen | route | module |
//! |---|---|---|
//! | Invoices (money due first) and visits to invoice | `/app/billing` | here |
//! | New invoice by hand | `/app/billing/new` | `new_invoice` |
//! | Invoice or credit note: edit a draft's lines, issue, pay, credit, void, PDF | `/app/billing/invoices/:id` | `invoice` |
//! | Receipt, refund | `/app/billing/receipts/:id` | `receipt` |
//! | Patient account and statement (also the chart's Billing tab) | `/app/billing/patients/:id` | `account` |
//! | Fee schedule, payers, packages | `/app/billing/settings` | `settings` |
//! | Aging, cash-up, revenue charts, CSV | `/app/billing/reports` | `reports` |
//! | Insurance claims of the clinic, by status | `/app/billing/claims` | `claims` |
//! | Coverage (account) and claims (invoice) | on those pages | `insurance` |
//! | Packages: sell, use a session (account) | on that page | `packages` |
//!
//! Amounts arrive as display text in the clinic currency's exponent
//! (`billing_api`). Each form's errors show at the field they concern.

pub mod account;
pub mod bars;
pub mod claims;
pub mod insurance;
pub mod invoice;
pub mod new_invoice;
pub mod packages;
pub mod receipt;
pub mod reports;
pub mod settings;

use super::staff::error_view;
use crate::{
    billing_api::{billing_overview, invoice_from_appointment, OverviewData, InvoiceRowView, VisitView},
    error::AppError,
};
use leptos::{either::Either, prelude::*};
use leptos_meta::Title;
use leptos_router::{
    components::A,
    hooks::{use_navigate, use_query_map},
};

pub fn invoice_href(id: &str) -> String {
    format!("/app/billing/invoices/{id}")
}

pub fn receipt_href(id: &str) -> String {
    format!("/app/billing/receipts/{id}")
}

pub fn account_href(patient_id: &str) -> String {
    format!("/app/billing/patients/{patient_id}")
}

/// The row of links between the billing screens.
#[component]
pub fn BillingNav() -> impl IntoView {
    view! {
        <nav class="chart-tabs" aria-label="Billing">
            <ul>
                <li><A href="/app/billing" exact=true>"Invoices"</A></li>
                <li><A href="/app/billing/new">"New invoice"</A></li>
                <li><A href="/app/billing/claims">"Claims"</A></li>
                <li><A href="/app/billing/reports">"Reports"</A></li>
                <li><A href="/app/billing/settings">"Fee schedule"</A></li>
            </ul>
        </nav>
    }
}

/// A status as text in a badge (never colour alone).
pub fn status_badge(status: &str, label: &str) -> impl IntoView {
    let class = match status {
        "paid" | "credited" => "badge ok",
        "issued" | "partially_paid" => "badge warn",
        _ => "badge",
    };
    view! { <span class=class>{label.to_owned()}</span> }
}

/// A page-level error or message line for actions that are not forms.
pub fn alert_text(error: &AppError, field: &str) -> String {
    error.field(field).unwrap_or_else(|| match error {
        AppError::Invalid(_) => "Please correct the fields marked below.".to_owned(),
        other => other.summary(),
    })
}

const FILTERS: [(&str, &str); 6] = [
    ("", "All"),
    ("outstanding", "Outstanding"),
    ("draft", "Drafts"),
    ("paid", "Paid"),
    ("credit_notes", "Credit notes"),
    ("void", "Void"),
];

#[component]
pub fn BillingPage() -> impl IntoView {
    let query = use_query_map();
    let status = Signal::derive(move || query.read().get("status").unwrap_or_default());
    let data = Resource::new(move || status.get(), billing_overview);
    view! {
        <Title text="Billing · Ambula"/>
        <h1>"Billing"</h1>
        <BillingNav/>
        <StatusFilter label="Filter invoices" base="/app/billing" filters=&FILTERS status/>
        <Transition fallback=|| view! { <div class="skeleton" aria-busy="true">"Loading…"</div> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(overview) => Either::Left(view! { <Overview overview/> }),
                    Err(error) => Either::Right(error_view(error)),
                }
            })}
        </Transition>
    }
}

/// Links that filter a list by `?status=`, the current one marked: the
/// invoice list and the claims list.
#[component]
pub(crate) fn StatusFilter(
    label: &'static str,
    base: &'static str,
    filters: &'static [(&'static str, &'static str)],
    status: Signal<String>,
) -> impl IntoView {
    view! {
        <nav aria-label=label class="button-row filter-links">
            {filters.iter().map(|&(value, text)| {
                let href = if value.is_empty() { base.to_owned() } else { format!("{base}?status={value}") };
                let current = move || (status.get() == value).then_some("page");
                view! { <a href=href class="button secondary" aria-current=current>{text}</a> }
            }).collect_view()}
        </nav>
    }
}

#[component]
fn Overview(overview: OverviewData) -> impl IntoView {
    let OverviewData { can_manage, invoices, visits, .. } = overview;
    view! {
        {(can_manage && !visits.is_empty()).then(|| view! { <Visits visits/> })}
        <section class="panel" aria-labelledby="invoices-heading">
            <h2 id="invoices-heading">"Invoices and credit notes"</h2>
            <InvoiceTable rows=invoices show_patient=true/>
        </section>
    }
}

/// Invoices as a table; money still due is listed first by the server.
#[component]
pub fn InvoiceTable(rows: Vec<InvoiceRowView>, show_patient: bool) -> impl IntoView {
    if rows.is_empty() {
        return Either::Left(view! { <p class="hint">"No invoices here yet."</p> });
    }
    Either::Right(view! {
        <div class="table-scroll">
            <table class="data invoices">
                <caption class="visually-hidden">"Invoices"</caption>
                <thead><tr>
                    <th scope="col">"Number"</th>
                    {show_patient.then(|| view! { <th scope="col">"Patient"</th> })}
                    <th scope="col">"Status"</th>
                    <th scope="col">"Issued"</th>
                    <th scope="col">"Due on"</th>
                    <th scope="col" class="num">"Total"</th>
                    <th scope="col" class="num">"Due"</th>
                </tr></thead>
                <tbody>
                    {rows.into_iter().map(|r| view! {
                        <tr>
                            <td><A href=invoice_href(&r.id)>{r.label.clone()}</A></td>
                            {show_patient.then(|| view! { <td><A href=account_href(&r.patient_id)>{r.patient.clone()}</A></td> })}
                            <td>{status_badge(&r.status, &r.status_label)}</td>
                            <td>{r.issued_on.clone()}</td>
                            <td>{r.due_on.clone()}</td>
                            <td class="num">{r.total.clone()}</td>
                            <td class="num">{r.due.clone()}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    })
}

/// Completed visits with no invoice yet: one click makes the draft, with
/// the visit's service filled in, and opens it.
#[component]
fn Visits(visits: Vec<VisitView>) -> impl IntoView {
    let error = RwSignal::new(None::<AppError>);
    let busy = RwSignal::new(false);
    let navigate = use_navigate();
    let make = move |appointment: String| {
        let navigate = navigate.clone();
        busy.set(true);
        leptos::task::spawn_local(async move {
            let result = invoice_from_appointment(appointment).await;
            busy.set(false);
            match result {
                Ok(id) => navigate(&invoice_href(&id), Default::default()),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <section class="panel" aria-labelledby="visits-heading">
            <h2 id="visits-heading">"Completed visits to invoice"</h2>
            <div class="form-alert" role="alert">
                {move || error.get().map(|e| view! { <p>{alert_text(&e, "appointment_id")}</p> })}
            </div>
            <div class="table-scroll">
                <table class="data visits">
                    <caption class="visually-hidden">"Completed visits without an invoice"</caption>
                    <thead><tr>
                        <th scope="col">"When"</th><th scope="col">"Patient"</th><th scope="col">"Practitioner"</th>
                        <th scope="col">"Type"</th><th scope="col">"Action"</th>
                    </tr></thead>
                    <tbody>
                        {visits.into_iter().map(|v| {
                            let make = make.clone();
                            let id = v.appointment_id.clone();
                            let label = format!("Invoice visit of {} on {}", v.patient, v.when);
                            view! {
                                <tr>
                                    <td>{v.when.clone()}</td><td>{v.patient.clone()}</td><td>{v.practitioner.clone()}</td><td>{v.kind.clone()}</td>
                                    <td><button type="button" aria-label=label disabled=move || busy.get() on:click=move |_| make(id.clone())>"Invoice"</button></td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

/// The last answer of a call made from a button, and whether one is under
/// way; the forms below read their field errors from it.
pub struct Call<T: Send + Sync + 'static> {
    pub value: RwSignal<Option<Result<T, AppError>>>,
    pub busy: RwSignal<bool>,
}

impl<T: Send + Sync + 'static> Clone for Call<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T: Send + Sync + 'static> Copy for Call<T> {}

impl<T: Clone + Send + Sync + 'static> Call<T> {
    pub fn new() -> Self {
        Self { value: RwSignal::new(None), busy: RwSignal::new(false) }
    }

    /// Runs `fut`, keeps its answer, then `after(answer)` on success.
    pub fn run<F>(self, fut: F, after: impl FnOnce(&T) + 'static)
    where
        F: std::future::Future<Output = Result<T, AppError>> + 'static,
    {
        self.busy.set(true);
        leptos::task::spawn_local(async move {
            let result = fut.await;
            self.busy.set(false);
            if let Ok(v) = &result {
                after(v);
            }
            self.value.set(Some(result));
        });
    }

    /// The error for one field of the last answer.
    pub fn error(self, name: impl Into<String>) -> Signal<Option<String>> {
        let (value, name) = (self.value, name.into());
        Signal::derive(move || value.with(|v| v.as_ref().and_then(|r| r.as_ref().err()).and_then(|e| e.field(&name))))
    }

    /// A message for the form's top when the error is not about a field
    /// shown (`fields` lists those that are).
    pub fn alert(self, fields: &'static [&'static str]) -> Signal<Option<String>> {
        let value = self.value;
        Signal::derive(move || {
            value.with(|v| match v {
                Some(Err(AppError::Invalid(errors))) => {
                    let other = errors.0.iter().find(|(k, _)| !fields.contains(&k.as_str())).map(|(_, m)| m.to_owned());
                    Some(other.unwrap_or_else(|| "Please correct the fields marked below.".to_owned()))
                }
                Some(Err(e)) => Some(e.summary()),
                _ => None,
            })
        })
    }

    pub fn ok(self) -> Signal<Option<T>> {
        let value = self.value;
        Signal::derive(move || value.with(|v| v.as_ref().and_then(|r| r.as_ref().ok()).cloned()))
    }
}

impl<T: Clone + Send + Sync + 'static> Default for Call<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// A labelled input bound to a signal, with its hint and error.
#[component]
pub fn Bound(
    label: String,
    id: String,
    bind: RwSignal<String>,
    #[prop(into)] error: Signal<Option<String>>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] inputmode: Option<&'static str>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described = {
        let (error_id, hint_id) = (error_id.clone(), hint_id.clone());
        move || {
            let mut ids = Vec::new();
            if hint.is_some() {
                ids.push(hint_id.clone());
            }
            if error.get().is_some() {
                ids.push(error_id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    let initial = bind.get_untracked();
    view! {
        <div class="field" class:has-error=move || error.get().is_some()>
            <label for=id.clone()>{label}</label>
            {hint.map(|h| view! { <p class="hint" id=hint_id.clone()>{h}</p> })}
            <input id=id.clone() type=kind value=initial prop:value=move || bind.get() inputmode=inputmode
                aria-describedby=described aria-invalid=move || error.get().is_some().then_some("true")
                on:input=move |ev| bind.set(event_target_value(&ev))/>
            <p class="error" id=error_id aria-live="polite">{move || error.get()}</p>
        </div>
    }
}

/// A labelled select bound to a signal.
#[component]
pub fn BoundSelect(
    label: String,
    id: String,
    bind: RwSignal<String>,
    options: Vec<(String, String)>,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let selected = bind.get_untracked();
    view! {
        <div class="field" class:has-error=move || error.get().is_some()>
            <label for=id.clone()>{label}</label>
            <select id=id.clone() aria-describedby=error_id.clone() aria-invalid=move || error.get().is_some().then_some("true")
                on:change=move |ev| bind.set(event_target_value(&ev))>
                {options.into_iter().map(|(v, t)| { let s = v == selected; view! { <option value=v selected=s>{t}</option> } }).collect_view()}
            </select>
            <p class="error" id=error_id aria-live="polite">{move || error.get()}</p>
        </div>
    }
}

/// The form-level message of a `Call`.
#[component]
pub fn CallAlert(#[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    view! {
        <div class="form-alert" role="alert">
            {move || message.get().map(|m| view! { <p>{m}</p> })}
        </div>
    }
}

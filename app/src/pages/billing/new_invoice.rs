//! A new invoice typed by hand: the patient (from `?patient=` or a
//! search), an optional payer whose prices apply, and lines — a service
//! from the fee schedule fills code, description, price and tax, or they
//! are typed. Saved as a draft and opened, to check and issue. Errors show
//! at the field they concern (`lines.N.unit_price`: "12.345" in a
//! two-decimal currency is refused, never rounded).

use super::{invoice_href, BillingNav, Bound, BoundSelect, Call, CallAlert};
use crate::{
    billing_api::{fee_settings, invoice_create, FeeSettingsData},
    pages::staff::error_view,
    security_api::{patient_search, PatientRowView},
};
use ambula_domain::{accounts::NoExtraFields, billing::InvoiceLineForm, patients::PatientSearchForm};
use leptos::{either::Either, prelude::*};
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};

/// One line being typed (here, and when a draft's lines are edited on the
/// invoice's page).
#[derive(Clone, Copy)]
pub struct LineDraft {
    pub key: u32,
    pub service_id: RwSignal<String>,
    pub description: RwSignal<String>,
    pub quantity: RwSignal<String>,
    pub unit_price: RwSignal<String>,
    pub discount: RwSignal<String>,
    pub tax_rate: RwSignal<String>,
}

impl LineDraft {
    pub fn new(key: u32) -> Self {
        Self {
            key,
            service_id: RwSignal::new(String::new()),
            description: RwSignal::new(String::new()),
            quantity: RwSignal::new("1".into()),
            unit_price: RwSignal::new(String::new()),
            discount: RwSignal::new(String::new()),
            tax_rate: RwSignal::new(String::new()),
        }
    }

    pub fn form(&self) -> InvoiceLineForm {
        InvoiceLineForm {
            service_id: self.service_id.get_untracked(),
            code: String::new(),
            description: self.description.get_untracked(),
            quantity: self.quantity.get_untracked(),
            unit_price: self.unit_price.get_untracked(),
            discount: self.discount.get_untracked(),
            tax_rate: self.tax_rate.get_untracked(),
        }
    }
}

/// At most this many lines from this form (the server allows more).
pub const MAX_LINES: usize = 20;

#[component]
pub fn NewInvoicePage() -> impl IntoView {
    let settings = Resource::new(|| (), |_| fee_settings());
    view! {
        <Title text="New invoice · Ambula"/>
        <h1>"New invoice"</h1>
        <BillingNav/>
        <Transition fallback=|| view! { <div class="skeleton" aria-busy="true">"Loading…"</div> }>
            {move || Suspend::new(async move {
                match settings.await {
                    Ok(s) => Either::Left(view! { <InvoiceForm settings=s/> }),
                    Err(error) => Either::Right(error_view(error)),
                }
            })}
        </Transition>
    }
}

#[component]
fn InvoiceForm(settings: FeeSettingsData) -> impl IntoView {
    let query = use_query_map();
    let patient = RwSignal::new(query.read_untracked().get("patient").unwrap_or_default());
    let patient_label = RwSignal::new(String::new());
    let payer = RwSignal::new(String::new());
    let due_on = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let next_key = StoredValue::new(1u32);
    let lines = RwSignal::new(vec![LineDraft::new(0)]);
    let call = Call::<String>::new();
    let navigate = use_navigate();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let forms: Vec<InvoiceLineForm> = lines.get_untracked().iter().map(LineDraft::form).collect();
        let fut = invoice_create(patient.get_untracked(), payer.get_untracked(), due_on.get_untracked(), note.get_untracked(), forms);
        let navigate = navigate.clone();
        call.run(fut, move |id| navigate(&invoice_href(id), Default::default()));
    };
    let services = service_options(&settings);
    let payers: Vec<(String, String)> = std::iter::once((String::new(), "None: the fee schedule's prices".to_owned()))
        .chain(settings.payers.iter().map(|p| (p.id.clone(), p.name.clone())))
        .collect();
    let currency = settings.currency.clone();
    view! {
        <form on:submit=submit class="invoice-form">
            <CallAlert message=call.alert(&[])/>
            <PatientPicker patient patient_label error=call.error("patient_id")/>
            <BoundSelect label="Payer".into() id="field-invoice-payer".into() bind=payer options=payers error=call.error("payer_id")/>
            <Bound label="Due on (optional)".into() id="field-invoice-due_on".into() bind=due_on kind="date"
                hint="Empty: 30 days after the invoice is issued." error=call.error("due_on")/>
            <LinesFieldset lines next_key services currency call/>
            <Bound label="Note on the invoice (optional)".into() id="field-invoice-note".into() bind=note error=call.error("note")/>
            <button type="submit" disabled=move || call.busy.get()>"Save draft"</button>
        </form>
    }
}

/// An invoice's lines, edited together: a row per line (removable) and
/// "Add a line" up to `MAX_LINES`. New lines take keys from `next_key`.
/// The new-invoice page and the draft editor.
#[component]
pub fn LinesFieldset(
    lines: RwSignal<Vec<LineDraft>>,
    next_key: StoredValue<u32>,
    services: Vec<(String, String)>,
    currency: String,
    call: Call<String>,
) -> impl IntoView {
    let add_line = move |_| {
        if lines.with_untracked(Vec::len) < MAX_LINES {
            let key = next_key.get_value();
            next_key.set_value(key + 1);
            lines.update(|l| l.push(LineDraft::new(key)));
        }
    };
    // Each line with its position: errors come back as `lines.{position}.…`.
    let numbered = move || lines.get().into_iter().enumerate().collect::<Vec<_>>();
    view! {
        <fieldset class="lines">
            <legend>"Lines"</legend>
            <p class="error" id="field-invoice-lines-error" aria-live="polite">{move || call.error("lines").get()}</p>
            <For each=numbered key=|(i, l)| (*i, l.key) let:item>
                <LineRow index=item.0 line=item.1 services=services.clone() currency=currency.clone() call lines/>
            </For>
            <button type="button" class="secondary" on:click=add_line>"Add a line"</button>
        </fieldset>
    }
}

/// The services a line can be made from: "typed by hand", then the fee
/// schedule's active services.
pub fn service_options(settings: &FeeSettingsData) -> Vec<(String, String)> {
    std::iter::once((String::new(), "Typed by hand".to_owned()))
        .chain(settings.services.iter().filter(|s| s.active).map(|s| (s.id.clone(), format!("{} · {} · {}", s.code, s.description, s.price))))
        .collect()
}

/// The field name of line `index`'s `field`, as the server names errors.
fn line_key(index: usize, field: &str) -> String {
    format!("lines.{index}.{field}")
}

#[component]
pub fn LineRow(
    index: usize,
    line: LineDraft,
    services: Vec<(String, String)>,
    currency: String,
    call: Call<String>,
    lines: RwSignal<Vec<LineDraft>>,
) -> impl IntoView {
    let n = index + 1;
    let id = |field: &str| format!("field-line-{index}-{field}");
    let remove = move |_| lines.update(|l| l.retain(|x| x.key != line.key));
    let price_label = if currency.is_empty() { "Unit price".to_owned() } else { format!("Unit price ({currency})") };
    view! {
        <div class="line-row" role="group" aria-label=format!("Line {n}")>
            <BoundSelect label=format!("Service, line {n}") id=id("service_id") bind=line.service_id options=services error=call.error(line_key(index, "service_id"))/>
            <Bound label=format!("Description, line {n}") id=id("description") bind=line.description
                hint="Empty with a service: the service's." error=call.error(line_key(index, "description"))/>
            <Bound label=format!("Quantity, line {n}") id=id("quantity") bind=line.quantity inputmode="decimal" error=call.error(line_key(index, "quantity"))/>
            <Bound label=format!("{price_label}, line {n}") id=id("unit_price") bind=line.unit_price inputmode="decimal"
                hint="Empty with a service: its price." error=call.error(line_key(index, "unit_price"))/>
            <Bound label=format!("Discount, line {n}") id=id("discount") bind=line.discount inputmode="decimal" error=call.error(line_key(index, "discount"))/>
            <Bound label=format!("Tax rate %, line {n}") id=id("tax_rate") bind=line.tax_rate inputmode="decimal" error=call.error(line_key(index, "tax_rate"))/>
            // Any line but the last one left can go.
            {move || (lines.with(Vec::len) > 1).then(|| view! { <button type="button" class="secondary" on:click=remove>{format!("Remove line {n}")}</button> })}
        </div>
    }
}

/// The patient: given by the link, or found by name, record number or
/// date of birth.
#[component]
fn PatientPicker(patient: RwSignal<String>, patient_label: RwSignal<String>, error: Signal<Option<String>>) -> impl IntoView {
    let query = RwSignal::new(String::new());
    let results = RwSignal::new(Vec::<PatientRowView>::new());
    let searching = RwSignal::new(false);
    let search = move || {
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
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Enter" {
            ev.prevent_default();
            search();
        }
    };
    view! {
        <fieldset class="patient-picker" class:has-error=move || error.get().is_some()>
            <legend>"Patient"</legend>
            <p class="chosen" role="status">
                {move || if patient.get().is_empty() {
                    "No patient chosen yet.".to_owned()
                } else if patient_label.get().is_empty() {
                    "Patient chosen from the link.".to_owned()
                } else {
                    format!("Chosen: {}", patient_label.get())
                }}
            </p>
            <div class="field">
                <label for="field-invoice-patient-search">"Find patient"</label>
                <input id="field-invoice-patient-search" type="search" prop:value=move || query.get()
                    on:input=move |ev| query.set(event_target_value(&ev)) on:keydown=on_key/>
            </div>
            <button type="button" class="secondary" disabled=move || searching.get() on:click=move |_| search()>"Search patients"</button>
            <ul class="patient-results">
                {move || results.get().into_iter().map(|p| {
                    let name = format!("{} · {} · born {}", p.name.clone().unwrap_or_default(), p.mrn, p.date_of_birth.clone().unwrap_or_default());
                    let id = p.id.clone();
                    let label = name.clone();
                    view! {
                        <li><button type="button" class="link" on:click=move |_| { patient.set(id.clone()); patient_label.set(label.clone()); }>{name}</button></li>
                    }
                }).collect_view()}
            </ul>
            <p class="error" id="field-invoice-patient_id-error" aria-live="polite">{move || error.get()}</p>
        </fieldset>
    }
}

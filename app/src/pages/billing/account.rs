//! A patient's account: balance, what is due and held as credit, the
//! statement with its running balance (and as a PDF), the invoices and
//! payments, and a payment at the desk split across open invoices (or, with
//! none chosen, put on the oldest due first; the rest is credit), the
//! patient's packages (`packages`) and coverage (`insurance`). Also the
//! chart's Billing tab.

use super::{insurance::CoveragesPanel, packages::PackagesPanel, invoice_href, receipt_href, BillingNav, Bound, BoundSelect, Call, CallAlert, InvoiceTable};
use crate::{
    billing_api::{patient_account, patient_coverages, patient_packages, payment_record, receipt_pdf_href, statement_pdf_href, AccountData, ReceiptData, DESK_METHODS},
    pages::staff::error_view,
};
use ambula_domain::billing::AllocationForm;
use leptos::{either::Either, prelude::*};
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_params_map};

/// The account page under Billing.
#[component]
pub fn BillingAccountPage() -> impl IntoView {
    let params = use_params_map();
    let id = Signal::derive(move || params.read().get("id").unwrap_or_default());
    view! {
        <Title text="Patient account · Ambula"/>
        <p class="breadcrumb"><A href="/app/billing">"Billing"</A></p>
        <BillingNav/>
        <Account id heading=true/>
    }
}

/// The chart's Billing tab.
#[component]
pub fn ChartBillingPage() -> impl IntoView {
    let id = crate::pages::chart::use_patient_id();
    view! {
        <Title text="Billing · Ambula"/>
        <h2>"Billing"</h2>
        <Account id heading=false/>
    }
}

#[component]
fn Account(id: Signal<String>, heading: bool) -> impl IntoView {
    let version = RwSignal::new(0u32);
    let data = Resource::new(move || (id.get(), version.get()), |(id, _)| patient_account(id));
    let last_receipt = RwSignal::new(None::<ReceiptData>);
    let coverage_version = RwSignal::new(0u32);
    let coverages = Resource::new(move || (id.get(), coverage_version.get()), |(id, _)| patient_coverages(id));
    // A session used changes the packages only; a sale opens the invoice.
    let package_version = RwSignal::new(0u32);
    let packages = Resource::new(move || (id.get(), package_version.get()), |(id, _)| patient_packages(id));
    view! {
        <Transition fallback=|| view! { <div class="skeleton" aria-busy="true">"Loading…"</div> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(a) => Either::Left(view! { <AccountView a heading version last_receipt/> }),
                    Err(error) => Either::Right(error_view(error)),
                }
            })}
        </Transition>
        <PackagesPanel patient_id=id data=packages version=package_version/>
        <CoveragesPanel patient_id=id data=coverages version=coverage_version/>
    }
}

#[component]
fn AccountView(a: AccountData, heading: bool, version: RwSignal<u32>, last_receipt: RwSignal<Option<ReceiptData>>) -> impl IntoView {
    let open: Vec<(String, String, String)> = a
        .invoices
        .iter()
        .filter(|i| !i.due.is_empty() && !i.is_credit_note)
        .map(|i| (i.id.clone(), i.label.clone(), i.due.clone()))
        .collect();
    view! {
        {heading.then(|| view! { <h1>"Account of " {a.patient_name.clone()}</h1> })}
        <ul class="cards" aria-label="Account">
            <li class="card"><span class="figure" data-testid="account-balance">{a.balance.clone()}</span><span class="caption">"balance (owed, or negative: in credit)"</span></li>
            <li class="card"><span class="figure">{a.due.clone()}</span><span class="caption">"due on open invoices"</span></li>
            <li class="card"><span class="figure">{a.credit.clone()}</span><span class="caption">"held as credit"</span></li>
        </ul>
        <p class="button-row">
            <a class="button secondary" href=statement_pdf_href(&a.patient_id) download="">"Download statement PDF"</a>
            {a.can_manage.then(|| view! { <A href=format!("/app/billing/new?patient={}", a.patient_id) attr:class="button secondary">"New invoice for this patient"</A> })}
        </p>
        {move || last_receipt.get().map(|r| view! {
            <div class="status" role="status">
                <p>{format!("Payment of {} recorded, receipt {}. ", r.amount, r.label)}
                    <A href=receipt_href(&r.payment_id)>"View receipt"</A> " · "
                    <a href=receipt_pdf_href(&r.payment_id) download="">"Download receipt PDF"</a></p>
            </div>
        })}
        {a.can_manage.then(|| view! { <SplitPayment patient=a.patient_id.clone() open=open.clone() version last_receipt/> })}
        <section class="panel" aria-labelledby="statement-heading">
            <h2 id="statement-heading">"Statement"</h2>
            {if a.entries.is_empty() {
                Either::Left(view! { <p class="hint">"Nothing invoiced or paid yet."</p> })
            } else {
                Either::Right(view! {
                    <div class="table-scroll">
                        <table class="data statement">
                            <caption class="visually-hidden">"Statement with running balance"</caption>
                            <thead><tr><th scope="col">"Date"</th><th scope="col">"What"</th><th scope="col" class="num">"Amount"</th><th scope="col" class="num">"Balance"</th></tr></thead>
                            <tbody>
                                {a.entries.iter().map(|e| view! {
                                    <tr><td>{e.date.clone()}</td><td>{e.description.clone()}</td><td class="num">{e.amount.clone()}</td><td class="num">{e.balance.clone()}</td></tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                })
            }}
        </section>
        <section class="panel" aria-labelledby="account-invoices-heading">
            <h2 id="account-invoices-heading">"Invoices"</h2>
            <InvoiceTable rows=a.invoices.clone() show_patient=false/>
        </section>
        <section class="panel" aria-labelledby="account-payments-heading">
            <h2 id="account-payments-heading">"Payments"</h2>
            {if a.payments.is_empty() {
                Either::Left(view! { <p class="hint">"No payments yet."</p> })
            } else {
                Either::Right(view! {
                    <ul>
                        {a.payments.clone().into_iter().map(|p| {
                            let mut rest = format!(" · {} · {} · {}", p.received, p.method, p.amount);
                            if !p.refunded.is_empty() {
                                rest.push_str(&format!(" · refunded {}", p.refunded));
                            }
                            view! { <li><A href=receipt_href(&p.id)>{p.label}</A> {rest}</li> }
                        }).collect_view()}
                    </ul>
                })
            }}
        </section>
    }
}

/// One payment over several invoices: tick the invoices and, if not all
/// that is due, say how much goes on each.
#[component]
fn SplitPayment(
    patient: String,
    open: Vec<(String, String, String)>,
    version: RwSignal<u32>,
    last_receipt: RwSignal<Option<ReceiptData>>,
) -> impl IntoView {
    let call = Call::<ReceiptData>::new();
    let method = RwSignal::new("cash".to_owned());
    let amount = RwSignal::new(String::new());
    let reference = RwSignal::new(String::new());
    let rows: Vec<(String, String, String, RwSignal<bool>, RwSignal<String>)> =
        open.into_iter().map(|(id, label, due)| (id, label, due, RwSignal::new(false), RwSignal::new(String::new()))).collect();
    // The index each ticked invoice has in the request, for its errors.
    let sent = RwSignal::new(Vec::<String>::new());
    let chosen = {
        let rows = rows.clone();
        move || -> Vec<AllocationForm> {
            rows.iter()
                .filter(|r| r.3.get_untracked())
                .map(|r| AllocationForm { invoice_id: r.0.clone(), amount: r.4.get_untracked() })
                .collect()
        }
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let allocations = chosen();
        sent.set(allocations.iter().map(|a| a.invoice_id.clone()).collect());
        let fut = payment_record(patient.clone(), method.get_untracked(), amount.get_untracked(), reference.get_untracked(), allocations);
        call.run(fut, move |r| {
            last_receipt.set(Some(r.clone()));
            version.update(|n| *n += 1);
        });
    };
    let options: Vec<(String, String)> = DESK_METHODS.iter().map(|(v, t)| (v.to_string(), t.to_string())).collect();
    view! {
        <section class="panel" aria-labelledby="split-heading">
            <h2 id="split-heading">"Take a payment"</h2>
            <form on:submit=submit>
                <CallAlert message=call.alert(&["method", "amount", "reference"])/>
                <BoundSelect label="Method".into() id="field-account-method".into() bind=method options error=call.error("method")/>
                <Bound label="Amount".into() id="field-account-amount".into() bind=amount inputmode="decimal" error=call.error("amount")/>
                <Bound label="Reference (optional)".into() id="field-account-reference".into() bind=reference error=call.error("reference")/>
                {(!rows.is_empty()).then(|| view! {
                    <fieldset>
                        <legend>"Pay these invoices (none ticked: the oldest due first)"</legend>
                        {rows.iter().cloned().map(|(id, label, due, ticked, share)| {
                            let box_id = format!("field-alloc-{id}");
                            let share_id = format!("field-alloc-{id}-amount");
                            let inv = id.clone();
                            let error = Signal::derive(move || {
                                let index = sent.with(|s| s.iter().position(|x| *x == inv))?;
                                call.error(format!("allocations.{index}.amount")).get()
                            });
                            let box_text = format!("{label} · due {due}");
                            let share_label = format!("Amount on {label} (empty: all that is due)");
                            let open_text = format!("Open {label}");
                            view! {
                                <div class="field checkbox">
                                    <input id=box_id.clone() type="checkbox" on:change=move |ev| ticked.set(event_target_checked(&ev))/>
                                    <label for=box_id>{box_text}</label>
                                </div>
                                <Show when=move || ticked.get()>
                                    <Bound label=share_label.clone() id=share_id.clone() bind=share inputmode="decimal" error=error/>
                                </Show>
                                <p class="hint"><A href=invoice_href(&id)>{open_text}</A></p>
                            }
                        }).collect_view()}
                    </fieldset>
                })}
                <button type="submit" disabled=move || call.busy.get()>"Record payment"</button>
            </form>
        </section>
    }
}

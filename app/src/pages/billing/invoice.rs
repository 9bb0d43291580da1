//! One invoice or credit note: its lines and totals, and what can be done
//! with it now — change a draft's lines (added, changed, removed; errors at
//! the line's field), due date and note, issue or delete it; take a payment (cash, card, bank
//! transfer, insurance; part of what is due, or more, which becomes the
//! patient's credit); a credit note, whole or for an amount; void with a
//! reason; the PDF. Each action's errors show at its fields.

use super::{
    insurance::ClaimsPanel,
    new_invoice::{service_options, LineDraft, LinesFieldset},
    account_href, invoice_href, receipt_href, status_badge, BillingNav, Bound, BoundSelect, Call, CallAlert,
};
use crate::{
    billing_api::{
        fee_settings, invoice_credit_note, invoice_delete_draft, invoice_detail, invoice_insurance, invoice_issue, invoice_pdf_href,
        invoice_update_draft, invoice_void, payment_record, receipt_pdf_href, InvoiceData, LineRowView, ReceiptData, DESK_METHODS,
    },
    pages::staff::error_view,
};
use ambula_domain::billing::{AllocationForm, InvoiceLineForm};
use leptos::{either::Either, prelude::*};
use leptos_meta::Title;
use leptos_router::{
    components::A,
    hooks::{use_navigate, use_params_map},
};

#[component]
pub fn InvoicePage() -> impl IntoView {
    let params = use_params_map();
    let id = Signal::derive(move || params.read().get("id").unwrap_or_default());
    let version = RwSignal::new(0u32);
    let detail = Resource::new(move || (id.get(), version.get()), |(id, _)| invoice_detail(id));
    let insurance = Resource::new(move || (id.get(), version.get()), |(id, _)| invoice_insurance(id));
    // The fee schedule, for the services a draft's lines can be made from.
    let settings = Resource::new(|| (), |_| fee_settings());
    // The receipt of the last payment taken here, kept across reloads.
    let last_receipt = RwSignal::new(None::<ReceiptData>);
    // "Draft saved.", kept across the reload the save causes.
    let saved = RwSignal::new(None::<String>);
    view! {
        <Title text="Invoice · Ambula"/>
        <p class="breadcrumb"><A href="/app/billing">"Billing"</A></p>
        <BillingNav/>
        <Transition fallback=|| view! { <div class="skeleton" aria-busy="true">"Loading…"</div> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(d) => {
                        // Only a draft's editor needs the fee schedule; without
                        // it lines are still typed by hand.
                        let services = if d.can_manage && d.status == "draft" {
                            settings.await.map(|s| service_options(&s)).unwrap_or_else(|_| service_options(&Default::default()))
                        } else {
                            Vec::new()
                        };
                        Either::Left(view! { <Detail d version last_receipt services saved/> })
                    }
                    Err(error) => Either::Right(error_view(error)),
                }
            })}
        </Transition>
        <ClaimsPanel detail data=insurance version/>
    }
}

#[component]
fn Detail(
    d: InvoiceData,
    version: RwSignal<u32>,
    last_receipt: RwSignal<Option<ReceiptData>>,
    services: Vec<(String, String)>,
    saved: RwSignal<Option<String>>,
) -> impl IntoView {
    let title = if d.is_credit_note { format!("Credit note {}", d.label) } else { format!("Invoice {}", d.label) };
    let open = matches!(d.status.as_str(), "issued" | "partially_paid");
    let creditable = !d.is_credit_note && matches!(d.status.as_str(), "issued" | "partially_paid" | "paid");
    let voidable = !d.is_credit_note && matches!(d.status.as_str(), "issued");
    let draft = d.status == "draft";
    let manage = d.can_manage;
    let patient_name = d.patient_name.clone();
    let credit_notes = d.credit_notes.clone();
    view! {
        <h1>{title} " " {status_badge(&d.status, &d.status_label)}</h1>
        <p class="lead">
            <A href=account_href(&d.patient_id)>{patient_name}</A>
            {(!d.issued_on.is_empty()).then(|| format!(" · issued {}", d.issued_on))}
            {(!d.due_on.is_empty() && !d.is_credit_note).then(|| format!(" · due {}", d.due_on))}
        </p>
        <p><a class="button secondary" href=invoice_pdf_href(&d.id) download="">"Download PDF"</a></p>
        {d.credit_of.clone().map(|c| view! { <p>"Corrects " <A href=invoice_href(&c.id)>{c.label}</A></p> })}
        {(!d.reason.is_empty()).then(|| view! { <p>"Reason: " {d.reason.clone()}</p> })}
        {(!d.void_reason.is_empty()).then(|| view! { <p class="notice" role="note">"Voided: " {d.void_reason.clone()}</p> })}
        <LinesTable d=d.clone()/>
        <dl class="totals">
            <dt>"Subtotal"</dt><dd>{d.subtotal.clone()}</dd>
            <dt>"Tax"</dt><dd>{d.tax.clone()}</dd>
            <dt>"Total"</dt><dd data-testid="invoice-total">{d.total.clone()}</dd>
            {(!d.is_credit_note && !draft).then(|| view! {
                <dt>"Paid"</dt><dd data-testid="invoice-paid">{d.paid.clone()}</dd>
                <dt>"Credited"</dt><dd>{d.credited.clone()}</dd>
                <dt>"Amount due"</dt><dd data-testid="invoice-due">{d.due.clone()}</dd>
            })}
        </dl>
        {(!credit_notes.is_empty()).then(|| view! {
            <h2>"Credit notes"</h2>
            <ul>{credit_notes.into_iter().map(|c| view! { <li><A href=invoice_href(&c.id)>{c.label}</A> " · " {c.total}</li> }).collect_view()}</ul>
        })}
        {move || last_receipt.get().map(|r| view! {
            <div class="status" role="status">
                <p>
                    {format!("Payment of {} recorded, receipt {}. ", r.amount, r.label)}
                    <A href=receipt_href(&r.payment_id)>"View receipt"</A>
                    " · "
                    <a href=receipt_pdf_href(&r.payment_id) download="">"Download receipt PDF"</a>
                </p>
            </div>
        })}
        {(manage && draft).then(|| view! { <DraftEditor d=d.clone() services version saved/> })}
        {(manage && draft).then(|| view! { <DraftActions id=d.id.clone() version/> })}
        {(manage && open).then(|| view! { <TakePayment d=d.clone() version last_receipt/> })}
        <Payments d=d.clone()/>
        {(manage && creditable).then(|| view! { <CreditNote id=d.id.clone()/> })}
        {(manage && voidable).then(|| view! { <Void id=d.id.clone() version/> })}

    }
}

#[component]
fn LinesTable(d: InvoiceData) -> impl IntoView {
    view! {
        <div class="table-scroll">
            <table class="data lines">
                <caption class="visually-hidden">"Lines"</caption>
                <thead><tr>
                    <th scope="col">"Code"</th><th scope="col">"Description"</th><th scope="col" class="num">"Quantity"</th>
                    <th scope="col" class="num">"Unit price"</th><th scope="col" class="num">"Discount"</th>
                    <th scope="col" class="num">"Tax"</th><th scope="col" class="num">"Total"</th>
                </tr></thead>
                <tbody>
                    {d.lines.into_iter().map(|l| view! {
                        <tr>
                            <td>{l.code}</td><td>{l.description}</td><td class="num">{l.quantity}</td><td class="num">{l.unit_price}</td>
                            <td class="num">{l.discount}</td><td class="num">{format!("{} ({})", l.tax, l.tax_rate)}</td><td class="num">{l.total}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn DraftActions(id: String, version: RwSignal<u32>) -> impl IntoView {
    let issue = Call::<String>::new();
    let delete = Call::<()>::new();
    let navigate = use_navigate();
    let on_issue = {
        let id = id.clone();
        move |_| issue.run(invoice_issue(id.clone()), move |_| version.update(|n| *n += 1))
    };
    let on_delete = move |_| {
        let navigate = navigate.clone();
        delete.run(invoice_delete_draft(id.clone()), move |_| navigate("/app/billing", Default::default()))
    };
    view! {
        <section class="panel" aria-labelledby="draft-heading">
            <h2 id="draft-heading">"Draft"</h2>
            <p class="hint">"A draft can still change. Issuing gives it its number; after that it is corrected only by a credit note or voided."</p>
            <CallAlert message=issue.alert(&[])/>
            <CallAlert message=delete.alert(&[])/>
            <div class="button-row">
                <button type="button" disabled=move || issue.busy.get() on:click=on_issue>"Issue invoice"</button>
                <button type="button" class="secondary" disabled=move || delete.busy.get() on:click=on_delete>"Delete draft"</button>
            </div>
        </section>
    }
}

/// A stored line as a line being edited.
fn editable(key: u32, l: &LineRowView) -> LineDraft {
    let line = LineDraft::new(key);
    line.service_id.set(l.service_id.clone());
    line.description.set(l.description.clone());
    line.quantity.set(l.quantity.clone());
    line.unit_price.set(l.unit_price_decimal.clone());
    line.discount.set(l.discount_decimal.clone());
    line.tax_rate.set(l.tax_rate_decimal.clone());
    line
}

/// A draft's lines, due date and note as a form: lines changed, added or
/// removed, saved all at once; each error at the line's field.
#[component]
fn DraftEditor(d: InvoiceData, services: Vec<(String, String)>, version: RwSignal<u32>, saved: RwSignal<Option<String>>) -> impl IntoView {
    let call = Call::<String>::new();
    let lines = RwSignal::new(d.lines.iter().enumerate().map(|(i, l)| editable(i as u32, l)).collect::<Vec<_>>());
    let next_key = StoredValue::new(d.lines.len() as u32);
    let due_on = RwSignal::new(d.due_on.clone());
    let note = RwSignal::new(d.note.clone());
    let (id, patient, payer) = (d.id.clone(), d.patient_id.clone(), d.payer_id.clone());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let forms: Vec<InvoiceLineForm> = lines.get_untracked().iter().map(LineDraft::form).collect();
        let fut = invoice_update_draft(id.clone(), patient.clone(), payer.clone(), due_on.get_untracked(), note.get_untracked(), forms);
        saved.set(None);
        call.run(fut, move |_| {
            saved.set(Some("Draft saved.".to_owned()));
            version.update(|n| *n += 1);
        });
    };
    let currency = d.currency.clone();
    view! {
        <section class="panel" aria-labelledby="edit-heading">
            <h2 id="edit-heading">"Edit draft"</h2>
            <form on:submit=submit class="invoice-form">
                <CallAlert message=call.alert(&[])/>
                <LinesFieldset lines next_key services currency call/>
                <Bound label="Due on (optional)".into() id="field-invoice-due_on".into() bind=due_on kind="date"
                    hint="Empty: 30 days after the invoice is issued." error=call.error("due_on")/>
                <Bound label="Note on the invoice (optional)".into() id="field-invoice-note".into() bind=note error=call.error("note")/>
                <button type="submit" disabled=move || call.busy.get()>"Save changes"</button>
                <p class="status" role="status">{move || saved.get()}</p>
            </form>
        </section>
    }
}

fn method_options() -> Vec<(String, String)> {
    DESK_METHODS.iter().map(|(v, t)| (v.to_string(), t.to_string())).collect()
}

/// A payment on this invoice; more than is due becomes the patient's
/// credit, less leaves the rest due.
#[component]
fn TakePayment(d: InvoiceData, version: RwSignal<u32>, last_receipt: RwSignal<Option<ReceiptData>>) -> impl IntoView {
    let call = Call::<ReceiptData>::new();
    let method = RwSignal::new("cash".to_owned());
    let amount = RwSignal::new(d.due_decimal.clone());
    let reference = RwSignal::new(String::new());
    let (patient, invoice) = (d.patient_id.clone(), d.id.clone());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let allocation = AllocationForm { invoice_id: invoice.clone(), amount: String::new() };
        let fut = payment_record(patient.clone(), method.get_untracked(), amount.get_untracked(), reference.get_untracked(), vec![allocation]);
        call.run(fut, move |r| {
            last_receipt.set(Some(r.clone()));
            version.update(|n| *n += 1);
        });
    };
    view! {
        <section class="panel" aria-labelledby="pay-heading">
            <h2 id="pay-heading">"Take a payment"</h2>
            <form on:submit=submit>
                <CallAlert message=call.alert(&["method", "amount", "reference"])/>
                <BoundSelect label="Method".into() id="field-pay-method".into() bind=method options=method_options() error=call.error("method")/>
                <Bound label=format!("Amount ({})", d.currency) id="field-pay-amount".into() bind=amount inputmode="decimal"
                    hint="Part of what is due is fine; more than is due is kept as the patient's credit." error=call.error("amount")/>
                <Bound label="Reference (optional)".into() id="field-pay-reference".into() bind=reference error=call.error("reference")/>
                <button type="submit" disabled=move || call.busy.get()>"Record payment"</button>
            </form>
        </section>
    }
}

#[component]
fn Payments(d: InvoiceData) -> impl IntoView {
    (!d.payments.is_empty()).then(|| view! {
        <section class="panel" aria-labelledby="payments-heading">
            <h2 id="payments-heading">"Payments"</h2>
            <div class="table-scroll">
                <table class="data payments">
                    <caption class="visually-hidden">"Payments on this invoice"</caption>
                    <thead><tr>
                        <th scope="col">"Receipt"</th><th scope="col">"Received"</th><th scope="col">"Method"</th>
                        <th scope="col" class="num">"Amount"</th><th scope="col" class="num">"On this invoice"</th><th scope="col" class="num">"Refunded"</th>
                        <th scope="col">"PDF"</th>
                    </tr></thead>
                    <tbody>
                        {d.payments.into_iter().map(|p| {
                            let aria = format!("Receipt PDF of {}", p.label);
                            view! {
                            <tr>
                                <td><A href=receipt_href(&p.id)>{p.label.clone()}</A></td>
                                <td>{p.received.clone()}</td><td>{p.method.clone()}</td>
                                <td class="num">{p.amount.clone()}</td><td class="num">{p.applied.clone()}</td><td class="num">{p.refunded.clone()}</td>
                                <td><a href=receipt_pdf_href(&p.id) download="" aria-label=aria>"Receipt PDF"</a></td>
                            </tr>
                        }}).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    })
}

/// A credit note: the whole invoice (what is not yet credited), or one
/// line for an amount. Money the invoice no longer needs becomes the
/// patient's credit.
#[component]
fn CreditNote(id: String) -> impl IntoView {
    let call = Call::<String>::new();
    let reason = RwSignal::new(String::new());
    let whole = RwSignal::new(true);
    let description = RwSignal::new(String::new());
    let amount = RwSignal::new(String::new());
    let navigate = use_navigate();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let lines = if whole.get_untracked() {
            Vec::new()
        } else {
            vec![InvoiceLineForm {
                description: description.get_untracked(),
                quantity: "1".into(),
                unit_price: amount.get_untracked(),
                ..Default::default()
            }]
        };
        let flag = if whole.get_untracked() { "on".to_owned() } else { String::new() };
        let navigate = navigate.clone();
        call.run(invoice_credit_note(id.clone(), reason.get_untracked(), flag, lines), move |note| {
            if !note.is_empty() {
                navigate(&invoice_href(note), Default::default());
            }
        });
    };
    view! {
        <section class="panel" aria-labelledby="credit-heading">
            <h2 id="credit-heading">"Credit note"</h2>
            <form on:submit=submit>
                <CallAlert message=call.alert(&["reason", "lines.0.description", "lines.0.unit_price"])/>
                <Bound label="Reason".into() id="field-credit-reason".into() bind=reason error=call.error("reason")/>
                <div class="field checkbox">
                    <input id="field-credit-whole" type="checkbox" prop:checked=move || whole.get() on:change=move |ev| whole.set(event_target_checked(&ev))/>
                    <label for="field-credit-whole">"Credit the whole invoice (all that is not yet credited)"</label>
                </div>
                <Show when=move || !whole.get()>
                    <Bound label="What is credited".into() id="field-credit-description".into() bind=description error=call.error("lines.0.description")/>
                    <Bound label="Amount".into() id="field-credit-amount".into() bind=amount inputmode="decimal" error=call.error("lines.0.unit_price")/>
                </Show>
                <button type="submit" disabled=move || call.busy.get()>"Issue credit note"</button>
            </form>
        </section>
    }
}

#[component]
fn Void(id: String, version: RwSignal<u32>) -> impl IntoView {
    let call = Call::<String>::new();
    let reason = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        call.run(invoice_void(id.clone(), reason.get_untracked()), move |_| version.update(|n| *n += 1));
    };
    view! {
        <section class="panel" aria-labelledby="void-heading">
            <h2 id="void-heading">"Void"</h2>
            <p class="hint">"Only while nothing is paid or credited on it. The number stays used; the invoice stays on record, marked void."</p>
            <form on:submit=submit>
                <CallAlert message=call.alert(&["reason"])/>
                <Bound label="Reason for voiding".into() id="field-void-reason".into() bind=reason error=call.error("reason")/>
                <button type="submit" class="secondary" disabled=move || call.busy.get()>"Void invoice"</button>
            </form>
        </section>
    }
}

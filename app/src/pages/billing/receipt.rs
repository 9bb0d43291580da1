//! A payment's receipt: what it paid and what is kept as credit, the PDF,
//! and a refund (never more than the payment less earlier refunds; taken
//! from the credit first, then off the invoices it paid, latest first).

use super::{account_href, invoice_href, BillingNav, Bound, BoundSelect, Call, CallAlert};
use crate::{
    billing_api::{payment_receipt, payment_refund, receipt_pdf_href, ReceiptData, DESK_METHODS},
    pages::staff::error_view,
};
use leptos::{either::Either, prelude::*};
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_params_map};

#[component]
pub fn ReceiptPage() -> impl IntoView {
    let params = use_params_map();
    let id = Signal::derive(move || params.read().get("id").unwrap_or_default());
    let version = RwSignal::new(0u32);
    let data = Resource::new(move || (id.get(), version.get()), |(id, _)| payment_receipt(id));
    view! {
        <Title text="Receipt · Ambula"/>
        <p class="breadcrumb"><A href="/app/billing">"Billing"</A></p>
        <BillingNav/>
        <Transition fallback=|| view! { <div class="skeleton" aria-busy="true">"Loading…"</div> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(r) => Either::Left(view! { <Receipt r version/> }),
                    Err(error) => Either::Right(error_view(error)),
                }
            })}
        </Transition>
    }
}

#[component]
fn Receipt(r: ReceiptData, version: RwSignal<u32>) -> impl IntoView {
    view! {
        <h1>"Receipt " {r.label.clone()}</h1>
        <p class="lead"><A href=account_href(&r.patient_id)>{r.patient_name.clone()}</A> " · " {r.received.clone()}</p>
        <p><a class="button secondary" href=receipt_pdf_href(&r.payment_id) download="">"Download receipt PDF"</a></p>
        <dl class="totals">
            <dt>"Method"</dt><dd>{r.method.clone()}</dd>
            <dt>"Amount received"</dt><dd data-testid="receipt-amount">{r.amount.clone()}</dd>
            {(!r.reference.is_empty()).then(|| view! { <dt>"Reference"</dt><dd>{r.reference.clone()}</dd> })}
            <dt>"Held as credit"</dt><dd>{r.credit.clone()}</dd>
            <dt>"Refunded"</dt><dd>{r.refunded.clone()}</dd>
        </dl>
        <h2>"Applied to"</h2>
        {if r.allocations.is_empty() {
            Either::Left(view! { <p>"No invoice: held as the patient's credit."</p> })
        } else {
            Either::Right(view! {
                <ul>{r.allocations.clone().into_iter().map(|(id, label, amount)| view! { <li><A href=invoice_href(&id)>{label}</A> " · " {amount}</li> }).collect_view()}</ul>
            })
        }}
        {r.can_manage.then(|| view! { <Refund id=r.payment_id.clone() version/> })}
    }
}

#[component]
fn Refund(id: String, version: RwSignal<u32>) -> impl IntoView {
    let call = Call::<ReceiptData>::new();
    let amount = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let method = RwSignal::new(String::new());
    let options: Vec<(String, String)> = std::iter::once((String::new(), "As the payment was made".to_owned()))
        .chain(DESK_METHODS.iter().map(|(v, t)| (v.to_string(), t.to_string())))
        .collect();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let fut = payment_refund(id.clone(), amount.get_untracked(), reason.get_untracked(), method.get_untracked());
        call.run(fut, move |_| version.update(|n| *n += 1));
    };
    view! {
        <section class="panel" aria-labelledby="refund-heading">
            <h2 id="refund-heading">"Refund"</h2>
            <form on:submit=submit>
                <CallAlert message=call.alert(&["amount", "reason", "method"])/>
                <Bound label="Amount to refund".into() id="field-refund-amount".into() bind=amount inputmode="decimal" error=call.error("amount")/>
                <Bound label="Reason".into() id="field-refund-reason".into() bind=reason error=call.error("reason")/>
                <BoundSelect label="Paid back by".into() id="field-refund-method".into() bind=method options error=call.error("method")/>
                <button type="submit" class="secondary" disabled=move || call.busy.get()>"Refund"</button>
            </form>
        </section>
    }
}

//! The clinic's insurance claims, newest first, filtered by status
//! (draft, submitted, accepted, denied, paid); each row opens the invoice
//! the claim was made from, where its next step is taken. Diagnosis codes
//! are not listed: they are unsealed on the invoice's page only.

use super::{account_href, invoice_href, BillingNav, StatusFilter};
use crate::{
    billing_api::{claims_list, ClaimListRowView},
    pages::staff::error_view,
};
use leptos::{either::Either, prelude::*};
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_query_map};

const FILTERS: [(&str, &str); 6] = [
    ("", "All"),
    ("draft", "Draft"),
    ("submitted", "Submitted"),
    ("accepted", "Accepted"),
    ("denied", "Denied"),
    ("paid", "Paid"),
];

fn status_label(status: &str) -> &'static str {
    FILTERS.iter().find(|(v, _)| *v == status && !v.is_empty()).map(|(_, l)| *l).unwrap_or("Unknown")
}

#[component]
pub fn ClaimsPage() -> impl IntoView {
    let query = use_query_map();
    let status = Signal::derive(move || query.read().get("status").unwrap_or_default());
    let data = Resource::new(move || status.get(), claims_list);
    view! {
        <Title text="Insurance claims · Ambula"/>
        <p class="breadcrumb"><A href="/app/billing">"Billing"</A></p>
        <h1>"Insurance claims"</h1>
        <BillingNav/>
        <StatusFilter label="Filter claims" base="/app/billing/claims" filters=&FILTERS status/>
        <Transition fallback=|| view! { <div class="skeleton" aria-busy="true">"Loading…"</div> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(rows) => Either::Left(view! { <ClaimsTable rows/> }),
                    Err(error) => Either::Right(error_view(error)),
                }
            })}
        </Transition>
    }
}

#[component]
fn ClaimsTable(rows: Vec<ClaimListRowView>) -> impl IntoView {
    if rows.is_empty() {
        return Either::Left(view! { <p class="hint">"No claims here."</p> });
    }
    Either::Right(view! {
        <div class="table-scroll">
            <table class="data claims">
                <caption class="visually-hidden">"Insurance claims"</caption>
                <thead><tr>
                    <th scope="col">"Claim"</th><th scope="col">"Invoice"</th><th scope="col">"Patient"</th><th scope="col">"Payer"</th>
                    <th scope="col">"Status"</th><th scope="col">"Made"</th><th scope="col" class="num">"Claimed"</th><th scope="col" class="num">"Paid"</th>
                </tr></thead>
                <tbody>
                    {rows.into_iter().map(|c| {
                        let class = match c.status.as_str() {
                            "paid" => "badge ok",
                            "submitted" | "accepted" => "badge warn",
                            _ => "badge",
                        };
                        view! {
                            <tr>
                                <td>{c.label.clone()}</td>
                                <td><A href=invoice_href(&c.invoice_id)>{c.invoice_label.clone()}</A></td>
                                <td><A href=account_href(&c.patient_id)>{c.patient.clone()}</A></td>
                                <td>{c.payer.clone()}</td>
                                <td><span class=class>{status_label(&c.status)}</span></td>
                                <td>{c.created_on.clone()}</td>
                                <td class="num">{c.amount.clone()}</td>
                                <td class="num">{c.paid.clone()}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    })
}

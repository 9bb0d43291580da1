//! Insurance on the billing screens: a patient's coverages (payer, member
//! number, plan, validity, covered share) on the account page, and on an
//! invoice's page its claims — made from the invoice with ICD-10 diagnosis
//! and procedure codes, submitted, accepted or denied, and the payer's
//! remittance posted, which pays the covered part and leaves the patient's
//! share due.

use super::{Bound, BoundSelect, Call, CallAlert};
use crate::{
    billing_api::{claim_create, claim_decide, claim_remit, claim_submit, coverage_add, ClaimRowView, Coverages, InvoiceData, InsuranceData},
    error::AppError,
    pages::staff::error_view,
};
use ambula_domain::{accounts::NoExtraFields, billing::CoverageForm};
use leptos::{either::Either, prelude::*};

/// The coverages of a patient, and a form to add one. The resource is
/// made by the page, outside any other resource's suspense (one created
/// inside stalls the server's rendering of a full page load).
#[component]
pub fn CoveragesPanel(patient_id: Signal<String>, data: Resource<Result<Coverages, AppError>>, version: RwSignal<u32>) -> impl IntoView {
    view! {
        <section class="panel" aria-labelledby="coverage-heading">
            <h2 id="coverage-heading">"Insurance coverage"</h2>
            <Transition fallback=|| view! { <div class="skeleton" aria-busy="true">"Loading…"</div> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(c) => Either::Left(view! { <CoverageList c patient_id=patient_id.get_untracked() version/> }),
                        Err(error) => Either::Right(error_view(error)),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn CoverageList(c: Coverages, patient_id: String, version: RwSignal<u32>) -> impl IntoView {
    let call = Call::<()>::new();
    let payer = RwSignal::new(String::new());
    let member = RwSignal::new(String::new());
    let plan = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let share = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let form = CoverageForm {
            payer_id: payer.get_untracked(),
            member_id: member.get_untracked(),
            plan: plan.get_untracked(),
            valid_from: from.get_untracked(),
            valid_to: to.get_untracked(),
            covered_percent: share.get_untracked(),
        };
        call.run(coverage_add(patient_id.clone(), form, NoExtraFields), move |_| version.update(|n| *n += 1));
    };
    let payers: Vec<(String, String)> = std::iter::once((String::new(), "Choose a payer…".to_owned())).chain(c.payers.clone()).collect();
    view! {
        {if c.coverages.is_empty() {
            Either::Left(view! { <p class="hint">"No coverage recorded."</p> })
        } else {
            Either::Right(view! { <ul class="coverages">{c.coverages.iter().map(|v| view! { <li>{v.label.clone()}</li> }).collect_view()}</ul> })
        }}
        {c.can_manage.then(|| view! {
            <h3>"Add coverage"</h3>
            <form on:submit=submit>
                <CallAlert message=call.alert(&["payer_id", "member_id", "plan", "valid_from", "valid_to", "covered_percent"])/>
                <BoundSelect label="Payer".into() id="field-coverage-payer_id".into() bind=payer options=payers error=call.error("payer_id")/>
                <Bound label="Member number".into() id="field-coverage-member_id".into() bind=member error=call.error("member_id")/>
                <Bound label="Plan (optional)".into() id="field-coverage-plan".into() bind=plan error=call.error("plan")/>
                <Bound label="Valid from".into() id="field-coverage-valid_from".into() bind=from kind="date" error=call.error("valid_from")/>
                <Bound label="Valid to (optional)".into() id="field-coverage-valid_to".into() bind=to kind="date" error=call.error("valid_to")/>
                <Bound label="Covered share %".into() id="field-coverage-covered_percent".into() bind=share inputmode="numeric" error=call.error("covered_percent")/>
                <button type="submit" disabled=move || call.busy.get()>"Add coverage"</button>
            </form>
        })}
    }
}

/// The claims of an invoice and the next step of each. Both resources
/// are the page's; `version` is the page's, bumped after every step (a
/// remittance changes what the invoice owes).
#[component]
pub fn ClaimsPanel(
    detail: Resource<Result<InvoiceData, AppError>>,
    data: Resource<Result<InsuranceData, AppError>>,
    version: RwSignal<u32>,
) -> impl IntoView {
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let (d, i) = (detail.await, data.await);
                match (d, i) {
                    (Ok(d), Ok(i)) => {
                        // Claims are made from issued invoices; their list
                        // stays on paid ones.
                        let shown = !d.is_credit_note && d.status != "draft" && d.status != "void";
                        let can_claim = matches!(d.status.as_str(), "issued" | "partially_paid");
                        shown.then(|| view! {
                            <section class="panel" aria-labelledby="claims-heading">
                                <h2 id="claims-heading">"Insurance claims"</h2>
                                <Claims i invoice_id=d.id.clone() manage=d.can_manage can_claim version/>
                            </section>
                        })
                    }
                    _ => None,
                }
            })}
        </Transition>
    }
}

#[component]
fn Claims(i: InsuranceData, invoice_id: String, manage: bool, can_claim: bool, version: RwSignal<u32>) -> impl IntoView {
    let open_claim = i.claims.iter().any(|c| matches!(c.status.as_str(), "draft" | "submitted" | "accepted"));
    view! {
        {if i.claims.is_empty() {
            Either::Left(view! { <p class="hint">"No claim made from this invoice."</p> })
        } else {
            Either::Right(view! {
                <ul class="claims">
                    {i.claims.into_iter().map(|c| view! { <ClaimItem c manage version/> }).collect_view()}
                </ul>
            })
        }}
        {(manage && can_claim && !open_claim).then(|| {
            if i.coverages.is_empty() {
                Either::Left(view! { <p class="hint">"Record the patient's coverage on their account to claim."</p> })
            } else {
                Either::Right(view! { <NewClaim invoice_id=invoice_id.clone() coverages=i.coverages.iter().map(|c| (c.id.clone(), c.label.clone())).collect() version/> })
            }
        })}
    }
}

#[component]
fn NewClaim(invoice_id: String, coverages: Vec<(String, String)>, version: RwSignal<u32>) -> impl IntoView {
    let call = Call::<()>::new();
    let coverage = RwSignal::new(coverages.first().map(|c| c.0.clone()).unwrap_or_default());
    let diagnosis = RwSignal::new(String::new());
    let procedures = RwSignal::new(String::new());
    let amount = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let fut = claim_create(invoice_id.clone(), coverage.get_untracked(), diagnosis.get_untracked(), procedures.get_untracked(), amount.get_untracked());
        call.run(fut, move |_| version.update(|n| *n += 1));
    };
    view! {
        <h3>"Claim from this invoice"</h3>
        <form on:submit=submit>
            <CallAlert message=call.alert(&["coverage_id", "diagnosis_codes", "procedure_codes", "amount"])/>
            <BoundSelect label="Coverage".into() id="field-claim-coverage_id".into() bind=coverage options=coverages error=call.error("coverage_id")/>
            <Bound label="Diagnosis codes (ICD-10, comma separated)".into() id="field-claim-diagnosis_codes".into() bind=diagnosis error=call.error("diagnosis_codes")/>
            <Bound label="Procedure codes (optional)".into() id="field-claim-procedure_codes".into() bind=procedures
                hint="Empty: the invoice lines' codes." error=call.error("procedure_codes")/>
            <Bound label="Amount claimed (optional)".into() id="field-claim-amount".into() bind=amount inputmode="decimal"
                hint="Empty: the coverage's share of what is due." error=call.error("amount")/>
            <button type="submit" disabled=move || call.busy.get()>"Create claim"</button>
        </form>
    }
}

#[component]
fn ClaimItem(c: ClaimRowView, manage: bool, version: RwSignal<u32>) -> impl IntoView {
    let call = Call::<()>::new();
    let reason = RwSignal::new(String::new());
    let amount = RwSignal::new(c.amount_decimal.clone());
    let reference = RwSignal::new(String::new());
    let bump = move |_: &()| version.update(|n| *n += 1);
    let (id1, id2, id3, id4) = (c.id.clone(), c.id.clone(), c.id.clone(), c.id.clone());
    let submit = move |_| call.run(claim_submit(id1.clone()), bump);
    let accept = move |_| call.run(claim_decide(id2.clone(), "accept".into(), String::new()), bump);
    let deny = move |_| call.run(claim_decide(id3.clone(), "deny".into(), reason.get_untracked()), bump);
    let remit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        call.run(claim_remit(id4.clone(), amount.get_untracked(), reference.get_untracked()), bump);
    };
    let status = c.status.clone();
    let key = c.id.clone();
    view! {
        <li class="claim">
            <p>
                <strong>{c.label.clone()}</strong>
                {format!(" · {} · {} · claimed {} · paid {}", c.payer, c.status, c.amount, c.paid)}
            </p>
            <p class="hint">{format!("Diagnosis {} · procedures {}", c.diagnosis, c.procedures)}</p>
            {(!c.denial_reason.is_empty()).then(|| view! { <p>"Denied: " {c.denial_reason.clone()}</p> })}
            {manage.then(|| view! {
                <CallAlert message=call.alert(&["reason", "amount", "reference"])/>
                {(status == "draft").then(|| view! { <button type="button" disabled=move || call.busy.get() on:click=submit>"Submit claim"</button> })}
                {(status == "submitted").then(|| view! {
                    <div class="button-row">
                        <button type="button" disabled=move || call.busy.get() on:click=accept>"Payer accepted"</button>
                    </div>
                    <Bound label="Denial reason".into() id=format!("field-claim-{key}-reason") bind=reason error=call.error("reason")/>
                    <button type="button" class="secondary" disabled=move || call.busy.get() on:click=deny>"Payer denied"</button>
                })}
                {matches!(status.as_str(), "submitted" | "accepted").then(|| view! {
                    <form on:submit=remit>
                        <Bound label="Amount the payer paid".into() id=format!("field-claim-{key}-amount") bind=amount inputmode="decimal" error=call.error("amount")/>
                        <Bound label="Remittance reference (optional)".into() id=format!("field-claim-{key}-reference") bind=reference error=call.error("reference")/>
                        <button type="submit" disabled=move || call.busy.get()>"Post remittance"</button>
                    </form>
                })}
            })}
        </li>
    }
}

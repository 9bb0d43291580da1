//! Referrals: the list with each letter (PDF) and its status, and the form
//! to write one.

use super::widgets::{after_success, Choice, TextArea};
use crate::{
    components::{field_error, Field, FormAlert},
    meds_api::{letter_href, ReferralCreate, ReferralItem, ReferralSetStatus},
};
use ambula_domain::medications::Urgency;
use leptos::{either::Either, prelude::*};

#[component]
pub fn ReferralsSection(
    list: Vec<ReferralItem>,
    can_edit: bool,
    patient: String,
    changed: RwSignal<u32>,
    status: RwSignal<Option<String>>,
) -> impl IntoView {
    let table = if list.is_empty() {
        Either::Left(view! { <p>"No referrals."</p> })
    } else {
        Either::Right(view! {
            <div class="table-scroll">
                <table class="meds-table">
                    <caption class="visually-hidden">"Referrals"</caption>
                    <thead>
                        <tr>
                            <th scope="col">"To"</th>
                            <th scope="col">"Reason"</th>
                            <th scope="col">"Urgency"</th>
                            <th scope="col">"Status"</th>
                            <th scope="col">"Written"</th>
                            <th scope="col">"Actions"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {list.into_iter().map(|r| view! { <ReferralRow referral=r can_edit changed status/> }).collect_view()}
                    </tbody>
                </table>
            </div>
        })
    };
    view! {
        <section class="meds-section" aria-labelledby="referrals-heading">
            <h3 id="referrals-heading">"Referrals"</h3>
            {table}
            {can_edit.then(|| view! { <AddReferral patient changed status/> })}
        </section>
    }
}

#[component]
fn ReferralRow(referral: ReferralItem, can_edit: bool, changed: RwSignal<u32>, status: RwSignal<Option<String>>) -> impl IntoView {
    let set = ServerAction::<ReferralSetStatus>::new();
    let result = Signal::derive(move || set.value().get());
    let name = referral.to_name.clone();
    after_success(result, status, changed, move |_| format!("Referral to {name} updated."));
    let next: Vec<(&str, &str)> = match referral.status.as_str() {
        "draft" => vec![("sent", "Mark sent"), ("completed", "Mark completed")],
        "sent" => vec![("completed", "Mark completed")],
        _ => vec![],
    };
    let to = match &referral.specialty {
        Some(s) => format!("{} ({s})", referral.to_name),
        None => referral.to_name.clone(),
    };
    let (id, label) = (referral.id.clone(), referral.to_name.clone());
    view! {
        <tr data-testid="referral">
            <th scope="row">{to}</th>
            <td>{referral.reason}</td>
            <td>{referral.urgency}</td>
            <td>{referral.status_label}</td>
            <td>{referral.created}</td>
            <td class="actions">
                <a href=letter_href(&referral.id) download="" aria-label=format!("Referral letter to {label}")>"Letter (PDF)"</a>
                {(can_edit && !next.is_empty()).then(|| view! {
                    {next
                        .into_iter()
                        .map(|(code, text)| {
                            let (id, aria) = (id.clone(), format!("{text}: referral to {label}"));
                            view! {
                                <ActionForm action=set attr:class="inline">
                                    <input type="hidden" name="referral_id" value=id/>
                                    <input type="hidden" name="status" value=code/>
                                    <button type="submit" class="secondary" aria-label=aria>{text}</button>
                                </ActionForm>
                            }
                        })
                        .collect_view()}
                    <FormAlert value=result/>
                })}
            </td>
        </tr>
    }
}

#[component]
fn AddReferral(patient: String, changed: RwSignal<u32>, status: RwSignal<Option<String>>) -> impl IntoView {
    let create = ServerAction::<ReferralCreate>::new();
    let result = Signal::derive(move || create.value().get());
    after_success(result, status, changed, |to: &String| format!("Referral to {to} saved as a draft."));
    view! {
        <h4>"Write a referral"</h4>
        <ActionForm action=create attr:class="meds-form" attr:aria-label="Write a referral">
            <input type="hidden" name="patient_id" value=patient/>
            <Field label="To (provider)" name="to_name" form="referral" hint="e.g. Dr Ines Mota, or a clinic's name." server_error=field_error(result, "to_name")/>
            <Field label="Specialty" name="specialty" form="referral" required=false server_error=field_error(result, "specialty")/>
            <TextArea label="Address" name="to_address" form="referral" server_error=field_error(result, "to_address")/>
            <Field label="Email" name="to_email" form="referral" kind="email" required=false server_error=field_error(result, "to_email")/>
            <TextArea label="Reason for referral" name="reason" form="referral" required=true server_error=field_error(result, "reason")/>
            <Choice label="Urgency" name="urgency" form="referral" options=Urgency::options() selected="routine" server_error=field_error(result, "urgency")/>
            <TextArea label="Letter" name="letter" form="referral" hint="Anything else for the letter: history, what you are asking."
                server_error=field_error(result, "letter")/>
            <FormAlert value=result/>
            <button type="submit">"Save referral"</button>
        </ActionForm>
    }
}

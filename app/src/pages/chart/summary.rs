//! The chart's Summary tab: demographics and contact details.

use super::use_patient_id;
use crate::{pages::staff::error_view, security_api::patient_get};
use leptos::{either::Either, prelude::*};
use leptos_meta::Title;

#[component]
pub fn ChartSummaryPage() -> impl IntoView {
    let id = use_patient_id();
    let patient = Resource::new(move || id.get(), patient_get);
    view! {
        <Title text="Patient · Ambula"/>
        <h2 class="visually-hidden">"Summary"</h2>
        <Transition fallback=|| view! { <div class="skeleton" aria-busy="true">"Loading…"</div> }>
            {move || Suspend::new(async move {
                match patient.await {
                    Ok(p) => Either::Left(view! {
                        <dl class="facts">
                            <dt>"Given name"</dt><dd>{p.given_name}</dd>
                            <dt>"Family name"</dt><dd>{p.family_name}</dd>
                            <dt>"Date of birth"</dt><dd>{p.date_of_birth}</dd>
                            <dt>"Phone"</dt><dd>{p.phone}</dd>
                            <dt>"Email"</dt><dd>{p.email}</dd>
                        </dl>
                    }),
                    Err(error) => Either::Right(error_view(error)),
                }
            })}
        </Transition>
        <super::reminders::ReminderPreferences/>
    }
}

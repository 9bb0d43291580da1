//! The chart's "Allergies & medications" tab: allergies (banner, list,
//! record, no known allergies), medications (current with print / change /
//! stop, past, prescribe or record with the allergy warning flow),
//! immunizations and referrals (with their letters). One read loads the
//! tab; every successful change says so in the status line and reloads it.

pub mod allergies;
pub mod badge;
pub mod immunizations;
pub mod prescribing;
pub mod referrals;
pub mod widgets;

pub use badge::{provide_badge_refresh, AllergyBadge};

use super::use_patient_id;
use crate::{meds_api::meds_chart, pages::staff::error_view};
use leptos::{either::Either, prelude::*};
use leptos_meta::Title;

#[component]
pub fn ChartMedicationsPage() -> impl IntoView {
    let id = use_patient_id();
    let changed = RwSignal::new(0u32);
    let status = RwSignal::new(None::<String>);
    let chart = Resource::new(move || (id.get(), changed.get()), |(id, _)| meds_chart(id));
    view! {
        <Title text="Allergies & medications · Ambula"/>
        <h2 class="visually-hidden">"Allergies and medications"</h2>
        <p class="status" role="status">{move || status.get()}</p>
        <Transition fallback=|| view! { <div class="skeleton" aria-busy="true">"Loading…"</div> }>
            {move || Suspend::new(async move {
                match chart.await {
                    Ok(chart) => {
                        let patient = id.get_untracked();
                        Either::Left(view! {
                            <allergies::AllergiesSection chart=chart.clone() patient=patient.clone() changed status/>
                            <prescribing::MedicationsSection chart=chart.clone() patient=patient.clone() changed status/>
                            <immunizations::ImmunizationsSection list=chart.immunizations.clone() can_edit=chart.can_edit
                                patient=patient.clone() changed status/>
                            <referrals::ReferralsSection list=chart.referrals can_edit=chart.can_edit patient changed status/>
                        })
                    }
                    Err(error) => Either::Right(error_view(error)),
                }
            })}
        </Transition>
    }
}

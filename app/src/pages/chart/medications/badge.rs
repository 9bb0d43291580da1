//! The allergy badge in the chart's header: active allergies in a warning
//! style, "No known allergies", or "Allergies not recorded". Shown only to
//! roles that read clinical records. The medications tab bumps
//! `BadgeRefresh` after a change so the header follows.

use crate::meds_api::{allergy_badge, AllergyBadgeView};
use leptos::{either::EitherOf3, prelude::*};

/// Provided by the chart shell; a bump reloads the badge.
#[derive(Debug, Clone, Copy)]
pub struct BadgeRefresh(pub RwSignal<u32>);

/// Called by `ChartShell` so the badge and the tabs share the signal.
pub fn provide_badge_refresh() {
    provide_context(BadgeRefresh(RwSignal::new(0)));
}

#[component]
pub fn AllergyBadge(id: Signal<String>) -> impl IntoView {
    let refresh = use_context::<BadgeRefresh>().map(|r| r.0).unwrap_or_else(|| RwSignal::new(0));
    let opened = use_context::<super::super::ChartOpened>();
    // The first badge comes with the chart's opening read; only a change
    // to allergies (refresh > 0) asks for it on its own.
    let badge = Resource::new(move || (id.get(), refresh.get()), move |(id, refresh)| async move {
        match opened {
            Some(super::super::ChartOpened(opening)) if refresh == 0 => opening.await.map(|o| o.allergies),
            _ => allergy_badge(id).await,
        }
    });
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                // No badge for roles without clinical access, or on any error
                // (the header already shows why the record cannot be opened).
                badge.await.ok().flatten().map(|badge| match badge {
                    AllergyBadgeView::Active(list) => EitherOf3::A(view! {
                        <p class="allergy-badge alert" data-testid="allergy-badge">
                            <strong>"Allergies: "</strong>{list.join(", ")}
                        </p>
                    }),
                    AllergyBadgeView::NoKnown => EitherOf3::B(view! {
                        <p class="allergy-badge none" data-testid="allergy-badge">"No known allergies"</p>
                    }),
                    AllergyBadgeView::NotRecorded => EitherOf3::C(view! {
                        <p class="allergy-badge unknown" data-testid="allergy-badge">"Allergies not recorded"</p>
                    }),
                })
            })}
        </Transition>
    }
}

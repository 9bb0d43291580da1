//! Packages on the patient's account: the packages sold to them (used of
//! total, what is left, cancelled when the invoice it was sold on was
//! voided or credited), selling one (an issued invoice of its price, then
//! opened to take the payment), and using a session of one for one of the
//! patient's appointments of the service it covers (not invoiced, not
//! cancelled, not covered yet).

use super::{invoice_href, BoundSelect, Call, CallAlert};
use crate::{
    billing_api::{package_sell, package_use_session, PackagesData, PatientPackageView, SessionCandidateView},
    error::AppError,
    pages::staff::error_view,
};
use leptos::{either::Either, prelude::*};
use leptos_router::{components::A, hooks::use_navigate};

/// The resource is the page's (made outside any other suspense), bumped
/// through `version` after a session is used.
#[component]
pub fn PackagesPanel(patient_id: Signal<String>, data: Resource<Result<PackagesData, AppError>>, version: RwSignal<u32>) -> impl IntoView {
    // Kept here: the list below is rebuilt when it reloads.
    let used_message = RwSignal::new(None::<String>);
    view! {
        <section class="panel" aria-labelledby="packages-heading">
            <h2 id="packages-heading">"Packages"</h2>
            {move || used_message.get().map(|m| view! { <p class="status" role="status">{m}</p> })}
            <Transition fallback=|| view! { <div class="skeleton" aria-busy="true">"Loading…"</div> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(d) => Either::Left(view! { <Packages d patient_id=patient_id.get_untracked() version used_message/> }),
                        Err(error) => Either::Right(error_view(error)),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn Packages(d: PackagesData, patient_id: String, version: RwSignal<u32>, used_message: RwSignal<Option<String>>) -> impl IntoView {
    let manage = d.can_manage;
    let candidates = d.candidates.clone();
    view! {
        {if d.packages.is_empty() {
            Either::Left(view! { <p class="hint">"No packages sold to this patient."</p> })
        } else {
            Either::Right(view! {
                <div class="table-scroll">
                    <table class="data packages">
                        <caption class="visually-hidden">"Packages of this patient"</caption>
                        <thead><tr>
                            <th scope="col">"Package"</th><th scope="col" class="num">"Used"</th><th scope="col" class="num">"Remaining"</th>
                            <th scope="col">"Status"</th><th scope="col">"Invoice"</th>
                        </tr></thead>
                        <tbody>
                            {d.packages.iter().map(|p| {
                                let status = if !p.usable { "Cancelled (invoice voided)" } else if p.remaining == 0 { "Used up" } else { "Active" };
                                view! {
                                    <tr>
                                        <td>{p.name.clone()}</td>
                                        <td class="num">{format!("{} of {}", p.used, p.total)}</td>
                                        <td class="num">{p.remaining}</td>
                                        <td><span class="badge">{status}</span></td>
                                        <td><A href=invoice_href(&p.invoice_id)>"Open invoice"</A></td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            })
        }}
        {manage.then(|| {
            let usable: Vec<PatientPackageView> = d.packages.iter().filter(|p| p.usable && p.remaining > 0).cloned().collect();
            view! {
                {usable.into_iter().map(|p| view! { <UseSession p candidates=candidates.clone() version used_message/> }).collect_view()}
                <SellPackage patient_id=patient_id.clone() for_sale=d.for_sale.clone()/>
            }
        })}
    }
}

#[component]
fn SellPackage(patient_id: String, for_sale: Vec<(String, String)>) -> impl IntoView {
    let call = Call::<String>::new();
    let package = RwSignal::new(String::new());
    let navigate = use_navigate();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let navigate = navigate.clone();
        call.run(package_sell(patient_id.clone(), package.get_untracked()), move |invoice| navigate(&invoice_href(invoice), Default::default()));
    };
    if for_sale.is_empty() {
        return Either::Left(view! { <p class="hint">"No packages on the fee schedule to sell."</p> });
    }
    let options: Vec<(String, String)> = std::iter::once((String::new(), "Choose a package…".to_owned())).chain(for_sale).collect();
    Either::Right(view! {
        <h3>"Sell a package"</h3>
        <form on:submit=submit>
            <CallAlert message=call.alert(&["package_id"])/>
            <BoundSelect label="Package".into() id="field-package-sell".into() bind=package options error=call.error("package_id")/>
            <p class="hint">"Issues an invoice of the package's price, then opens it to take the payment."</p>
            <button type="submit" disabled=move || call.busy.get()>"Sell package"</button>
        </form>
    })
}

/// One session of package `p` for one of the appointments of its service.
#[component]
fn UseSession(p: PatientPackageView, candidates: Vec<SessionCandidateView>, version: RwSignal<u32>, used_message: RwSignal<Option<String>>) -> impl IntoView {
    let call = Call::<String>::new();
    let options: Vec<(String, String)> = candidates
        .into_iter()
        .filter(|c| c.service_id == p.service_id)
        .map(|c| (c.appointment_id, c.label))
        .collect();
    let heading = format!("Use a session of {}", p.name);
    if options.is_empty() {
        return Either::Left(view! {
            <h3>{heading}</h3>
            <p class="hint">"No appointment of this service is left to cover (cancelled and invoiced ones are not offered)."</p>
        });
    }
    let appointment = RwSignal::new(options[0].0.clone());
    let id = p.id.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        call.run(package_use_session(id.clone(), appointment.get_untracked()), move |m| {
            used_message.set(Some(m.clone()));
            version.update(|n| *n += 1);
        });
    };
    let select_id = format!("field-package-{}-appointment", p.id);
    Either::Right(view! {
        <h3>{heading}</h3>
        <form on:submit=submit>
            <CallAlert message=call.alert(&["appointment_id"])/>
            <BoundSelect label="Appointment".into() id=select_id bind=appointment options error=call.error("appointment_id")/>
            <button type="submit" disabled=move || call.busy.get()>"Use a session"</button>
        </form>
    })
}

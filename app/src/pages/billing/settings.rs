//! The fee schedule (services with their code, price, tax rate and the
//! appointment type each bills, if any), payers
//! with their own prices, and prepaid packages. Changing any of it needs
//! `ManageBilling`; others see the lists.

use super::BillingNav;
use crate::{
    billing_api::{fee_service_set_active, fee_settings, FeeServiceCreate, FeeSettingsData, PackageCreate, PayerCreate, PayerSetPrice},
    components::{field_error, last_result, Field, FormAlert, SelectField},
    pages::staff::error_view,
};
use leptos::{either::Either, prelude::*};
use leptos_meta::Title;

#[component]
pub fn FeeSettingsPage() -> impl IntoView {
    let add_service = ServerAction::<FeeServiceCreate>::new();
    let add_payer = ServerAction::<PayerCreate>::new();
    let set_price = ServerAction::<PayerSetPrice>::new();
    let add_package = ServerAction::<PackageCreate>::new();
    let toggled = RwSignal::new(0u32);
    let data = Resource::new(
        move || (add_service.version().get(), add_payer.version().get(), set_price.version().get(), add_package.version().get(), toggled.get()),
        |_| fee_settings(),
    );
    view! {
        <Title text="Fee schedule · Ambula"/>
        <h1>"Fee schedule"</h1>
        <BillingNav/>
        <Transition fallback=|| view! { <div class="skeleton" aria-busy="true">"Loading…"</div> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(s) => Either::Left(view! { <Lists s toggled add_service add_payer set_price add_package/> }),
                    Err(error) => Either::Right(error_view(error)),
                }
            })}
        </Transition>
    }
}

#[component]
fn Lists(
    s: FeeSettingsData,
    toggled: RwSignal<u32>,
    add_service: ServerAction<FeeServiceCreate>,
    add_payer: ServerAction<PayerCreate>,
    set_price: ServerAction<PayerSetPrice>,
    add_package: ServerAction<PackageCreate>,
) -> impl IntoView {
    let manage = s.can_manage;
    let types = s.appointment_types.clone();
    let services: Vec<(String, String)> = std::iter::once((String::new(), "Choose a service…".to_owned()))
        .chain(s.services.iter().filter(|f| f.active).map(|f| (f.id.clone(), format!("{} · {}", f.code, f.description))))
        .collect();
    let payers: Vec<(String, String)> =
        std::iter::once((String::new(), "Choose a payer…".to_owned())).chain(s.payers.iter().map(|p| (p.id.clone(), p.name.clone()))).collect();
    let toggle = move |id: String, active: bool| {
        leptos::task::spawn_local(async move {
            if fee_service_set_active(id, active).await.is_ok() {
                toggled.update(|n| *n += 1);
            }
        });
    };
    view! {
        <section class="panel" aria-labelledby="services-heading">
            <h2 id="services-heading">"Services"</h2>
            <div class="table-scroll">
                <table class="data services">
                    <caption class="visually-hidden">"Services of the fee schedule"</caption>
                    <thead><tr><th scope="col">"Code"</th><th scope="col">"Description"</th><th scope="col" class="num">"Price"</th>
                        <th scope="col" class="num">"Tax"</th><th scope="col">"Bills"</th><th scope="col">"Status"</th>{manage.then(|| view! { <th scope="col">"Action"</th> })}</tr></thead>
                    <tbody>
                        {s.services.into_iter().map(|f| {
                            let (id, active) = (f.id.clone(), f.active);
                            let label = format!("{} {}", if active { "Retire" } else { "Reinstate" }, f.code);
                            view! {
                                <tr>
                                    <td>{f.code.clone()}</td><td>{f.description.clone()}</td><td class="num">{f.price.clone()}</td><td class="num">{f.tax_rate.clone()}</td>
                                    <td>{f.appointment_type.clone()}</td>
                                    <td>{if active { "In use" } else { "Retired" }}</td>
                                    {manage.then(|| view! { <td><button type="button" class="secondary" on:click=move |_| toggle(id.clone(), !active)>{label.clone()}</button></td> })}
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
        <section class="panel" aria-labelledby="payers-heading">
            <h2 id="payers-heading">"Payers"</h2>
            <ul>{s.payers.into_iter().map(|p| view! {
                <li>{format!("{} ({})", p.name, p.kind)} {(!p.prices.is_empty()).then(|| format!(" · own prices: {}", p.prices.join(", ")))}</li>
            }).collect_view()}</ul>
        </section>
        <section class="panel" aria-labelledby="packages-heading">
            <h2 id="packages-heading">"Packages"</h2>
            <ul>{s.packages.into_iter().map(|p| view! { <li>{format!("{}: {} × {} for {}", p.name, p.sessions, p.service, p.price)}</li> }).collect_view()}</ul>
        </section>
        {manage.then(|| view! { <ServiceForm action=add_service types=types.clone()/> })}
        {manage.then(move || view! {
            <PayerForms add=add_payer price=set_price services=services.clone() payers=payers.clone()/>
            <PackageForm action=add_package services=services.clone()/>
        })}
    }
}

#[component]
fn ServiceForm(action: ServerAction<FeeServiceCreate>, types: Vec<(String, String)>) -> impl IntoView {
    let value = last_result(action);
    let types: Vec<(String, String)> = std::iter::once((String::new(), "None".to_owned())).chain(types).collect();
    view! {
        <section class="panel" aria-labelledby="add-service-heading">
            <h2 id="add-service-heading">"Add a service"</h2>
            <ActionForm action=action>
                <FormAlert value=value/>
                <Field label="Code" name="code" form="service" hint="CPT or the clinic's own code." server_error=field_error(value, "code")/>
                <Field label="Description" name="description" form="service" server_error=field_error(value, "description")/>
                <Field label="Price" name="price" form="service" server_error=field_error(value, "price")/>
                <Field label="Tax rate %" name="tax_rate" form="service" required=false server_error=field_error(value, "tax_rate")/>
                <SelectField label="Appointment type it bills" name="appointment_type_id" form="service" options=types
                    hint="Invoices made from such appointments, and package sessions, use this service." server_error=field_error(value, "appointment_type_id")/>
                <button type="submit" disabled=move || action.pending().get()>"Add service"</button>
                <p class="status" role="status">{move || value.get().and_then(Result::ok).map(|code| format!("Service {code} added."))}</p>
            </ActionForm>
        </section>
    }
}

fn kinds() -> Vec<(String, String)> {
    [("insurer", "Insurer"), ("employer", "Employer"), ("other", "Other")].iter().map(|(v, t)| (v.to_string(), t.to_string())).collect()
}

#[component]
fn PayerForms(
    add: ServerAction<PayerCreate>,
    price: ServerAction<PayerSetPrice>,
    services: Vec<(String, String)>,
    payers: Vec<(String, String)>,
) -> impl IntoView {
    let added = last_result(add);
    let priced = last_result(price);
    view! {
        <section class="panel" aria-labelledby="add-payer-heading">
            <h2 id="add-payer-heading">"Add a payer"</h2>
            <ActionForm action=add>
                <FormAlert value=added/>
                <Field label="Name" name="name" form="payer" server_error=field_error(added, "name")/>
                <SelectField label="Kind" name="kind" form="payer" options=kinds() server_error=field_error(added, "kind")/>
                <button type="submit" disabled=move || add.pending().get()>"Add payer"</button>
                <p class="status" role="status">{move || added.get().and_then(Result::ok).map(|name| format!("Payer {name} added."))}</p>
            </ActionForm>
            <h3>"A payer's own price for a service"</h3>
            <p class="hint">"An empty price removes the payer's own price."</p>
            <ActionForm action=price>
                <FormAlert value=priced/>
                <SelectField label="Service" name="service_id" form="price" options=services server_error=field_error(priced, "service_id")/>
                <SelectField label="Payer" name="payer_id" form="price" options=payers server_error=field_error(priced, "payer_id")/>
                <Field label="Price" name="price" form="price" required=false server_error=field_error(priced, "price")/>
                <button type="submit" disabled=move || price.pending().get()>"Set price"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn PackageForm(action: ServerAction<PackageCreate>, services: Vec<(String, String)>) -> impl IntoView {
    let value = last_result(action);
    view! {
        <section class="panel" aria-labelledby="add-package-heading">
            <h2 id="add-package-heading">"Add a package"</h2>
            <ActionForm action=action>
                <FormAlert value=value/>
                <Field label="Name" name="name" form="package" server_error=field_error(value, "name")/>
                <SelectField label="Service each session uses" name="service_id" form="package" options=services server_error=field_error(value, "service_id")/>
                <Field label="Sessions" name="sessions" form="package" server_error=field_error(value, "sessions")/>
                <Field label="Price" name="price" form="package" server_error=field_error(value, "price")/>
                <Field label="Tax rate %" name="tax_rate" form="package" required=false server_error=field_error(value, "tax_rate")/>
                <button type="submit" disabled=move || action.pending().get()>"Add package"</button>
                <p class="status" role="status">{move || value.get().and_then(Result::ok).map(|name| format!("Package {name} added."))}</p>
            </ActionForm>
        </section>
    }
}

//! Billing reports: aging of what is owed (0–30, 31–60, 61–90, over 90
//! days past due), the day's cash-up per payment method and per staff
//! member, revenue by day, week or month, by practitioner and by service
//! (accessible SVG charts with tables), the collection rate, and the
//! accountant's CSV of the period.

use super::{bars::BarChart, invoice_href, BillingNav, Bound, BoundSelect, Call, CallAlert};
use crate::{
    billing_api::{billing_reports, export_csv_href, ReportsData},
    pages::staff::error_view,
};
use leptos::{either::Either, prelude::*};
use leptos_meta::Title;
use leptos_router::components::A;

#[component]
pub fn BillingReportsPage() -> impl IntoView {
    let initial = Resource::new(|| (), |_| billing_reports(String::new(), String::new(), String::new(), String::new(), "week".into()));
    let call = Call::<ReportsData>::new();
    let as_of = RwSignal::new(String::new());
    let day = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let group_by = RwSignal::new("week".to_owned());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let fut = billing_reports(as_of.get_untracked(), day.get_untracked(), from.get_untracked(), to.get_untracked(), group_by.get_untracked());
        call.run(fut, |_| ());
    };
    let groups: Vec<(String, String)> = [("day", "Day"), ("week", "Week"), ("month", "Month")].iter().map(|(v, t)| (v.to_string(), t.to_string())).collect();
    view! {
        <Title text="Billing reports · Ambula"/>
        <h1>"Billing reports"</h1>
        <BillingNav/>
        <form on:submit=submit class="filters" aria-label="Report dates">
            <CallAlert message=call.alert(&["as_of", "day", "from", "to", "group_by"])/>
            <Bound label="Aging as of".into() id="field-reports-as_of".into() bind=as_of kind="date" error=call.error("as_of")/>
            <Bound label="Cash-up day".into() id="field-reports-day".into() bind=day kind="date" error=call.error("day")/>
            <Bound label="Revenue from".into() id="field-reports-from".into() bind=from kind="date" hint="Empty: the last 30 days." error=call.error("from")/>
            <Bound label="Revenue to".into() id="field-reports-to".into() bind=to kind="date" error=call.error("to")/>
            <BoundSelect label="Group revenue by".into() id="field-reports-group_by".into() bind=group_by options=groups error=call.error("group_by")/>
            <button type="submit" disabled=move || call.busy.get()>"Show"</button>
        </form>
        <Suspense fallback=|| view! { <div class="skeleton" aria-busy="true">"Loading…"</div> }>
            {move || {
                let chosen = call.ok().get();
                Suspend::new(async move {
                    let shown = match chosen {
                        Some(r) => Ok(r),
                        None => initial.await,
                    };
                    match shown {
                        Ok(r) => Either::Left(view! { <Reports r/> }),
                        Err(error) => Either::Right(error_view(error)),
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
fn Reports(r: ReportsData) -> impl IntoView {
    view! {
        <ul class="cards" aria-label="Totals of the period">
            <li class="card"><span class="figure" data-testid="revenue-total">{r.revenue.clone()}</span><span class="caption">{format!("net revenue {} to {}", r.from, r.to)}</span></li>
            <li class="card"><span class="figure">{r.collection_rate.clone()}</span><span class="caption">{format!("collection rate ({} collected of {} invoiced)", r.collected, r.invoiced)}</span></li>
            <li class="card"><span class="figure">{r.credited.clone()}</span><span class="caption">"credited"</span></li>
            <li class="card"><span class="figure" data-testid="outstanding">{r.outstanding.clone()}</span><span class="caption">"outstanding now"</span></li>
        </ul>
        {r.can_export.then(|| view! {
            <p><a class="button secondary" href=export_csv_href(&r.from, &r.to) download="">"Download CSV for the accountant"</a></p>
        })}
        <section class="chart-block" aria-labelledby="aging-heading">
            <h2 id="aging-heading">{format!("Aging as of {}", r.as_of)}</h2>
            <table class="data aging-buckets">
                <caption class="visually-hidden">"Amounts owed by days past due"</caption>
                <thead><tr>{r.buckets.iter().map(|(l, _)| view! { <th scope="col" class="num">{l.clone()}</th> }).collect_view()}<th scope="col" class="num">"Total"</th></tr></thead>
                <tbody><tr>{r.buckets.iter().enumerate().map(|(i, (_, v))| view! { <td class="num" data-testid=format!("aging-{i}")>{v.clone()}</td> }).collect_view()}
                    <td class="num" data-testid="aging-total">{r.aging_total.clone()}</td></tr></tbody>
            </table>
            <details>
                <summary>{format!("{} open invoices", r.aging.len())}</summary>
                <table class="data">
                    <caption class="visually-hidden">"Open invoices by age"</caption>
                    <thead><tr><th scope="col">"Invoice"</th><th scope="col">"Patient"</th><th scope="col">"Due on"</th>
                        <th scope="col" class="num">"Days past due"</th><th scope="col">"Bucket"</th><th scope="col" class="num">"Due"</th></tr></thead>
                    <tbody>
                        {r.aging.clone().into_iter().map(|a| view! {
                            <tr><td><A href=invoice_href(&a.invoice_id)>{a.label.clone()}</A></td><td>{a.patient.clone()}</td><td>{a.due_on.clone()}</td>
                                <td class="num">{a.days_overdue}</td><td>{a.bucket.clone()}</td><td class="num">{a.due.clone()}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </details>
        </section>
        <section class="chart-block" aria-labelledby="cash-heading">
            <h2 id="cash-heading">{format!("Cash-up for {}", r.cash_day)}</h2>
            <div class="two-columns">
                <table class="data">
                    <caption>"By payment method"</caption>
                    <tbody>{r.cash_by_method.iter().map(|(m, v)| view! { <tr><th scope="row">{m.clone()}</th><td class="num">{v.clone()}</td></tr> }).collect_view()}</tbody>
                </table>
                <table class="data">
                    <caption>"By staff member"</caption>
                    <tbody>{r.cash_by_staff.iter().map(|(m, v)| view! { <tr><th scope="row">{m.clone()}</th><td class="num">{v.clone()}</td></tr> }).collect_view()}</tbody>
                </table>
            </div>
            <p>{format!("Payments {} · refunds {} · net {}", r.cash_payments, r.cash_refunds, r.cash_net)}</p>
        </section>
        <section class="chart-block" aria-labelledby="revenue-heading">
            <h2 id="revenue-heading">{format!("Revenue by {}", r.group_by)}</h2>
            <p class="hint">"Net of tax; credit notes count against the period they are issued in."</p>
            <BarChart id="revenue-period" title="Net revenue by period" bars=r.by_period.clone()/>
            <h3>"By practitioner"</h3>
            <BarChart id="revenue-practitioner" title="Net revenue by practitioner" bars=r.by_practitioner.clone()/>
            <h3>"By service"</h3>
            <BarChart id="revenue-service" title="Net revenue by service" bars=r.by_service.clone()/>
        </section>
    }
}

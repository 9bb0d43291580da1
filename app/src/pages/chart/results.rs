//! The chart's Results tab: order a lab test or imaging, enter structured
//! results (the flag is computed by the domain and shown in words as well
//! as style), attach the report, and a trend chart for every test measured
//! more than once.

use super::{
    trend::{Band, Trend, TrendChart, TrendPoint, TrendSeries},
    use_patient_id,
};
use crate::{
    components::{field_error, last_result, Field, FormAlert, SelectField},
    pages::staff::error_view,
    results_api::{results_overview, OrderItem, ResultEnter, ResultOrder, ResultsData, SeriesItem},
};
use ambula_domain::results::{format_value, OrderKind, Range};
use leptos::{either::Either, prelude::*};
use leptos_meta::Title;

/// A chart for one analyte; the band is the latest result's reference range.
pub fn result_trend(series: &SeriesItem, index: usize) -> Trend {
    let latest = series.points.last();
    let range = Range { low: latest.and_then(|p| p.low), high: latest.and_then(|p| p.high), ..Default::default() };
    let bands = match (range.low, range.high) {
        (Some(low), Some(high)) => vec![Band { low: low as f64 / 1000.0, high: high as f64 / 1000.0, label: format!("{} {}", range.text(), series.unit) }],
        _ => Vec::new(),
    };
    Trend {
        id: format!("trend-result-{index}"),
        title: series.analyte.clone(),
        unit: if series.unit.is_empty() { "value".to_owned() } else { series.unit.clone() },
        bands,
        series: vec![TrendSeries {
            name: series.analyte.clone(),
            class: "s1",
            points: series
                .points
                .iter()
                .map(|p| TrendPoint {
                    t: p.at_unix,
                    value: p.value_milli as f64 / 1000.0,
                    when: p.at.clone(),
                    text: format_value(p.value_milli),
                    abnormal: p.abnormal,
                })
                .collect(),
        }],
    }
}

#[component]
pub fn ChartResultsPage() -> impl IntoView {
    let id = use_patient_id();
    let order = ServerAction::<ResultOrder>::new();
    let enter = ServerAction::<ResultEnter>::new();
    let attached = RwSignal::new(0_u32);
    let overview = Resource::new(
        move || (id.get(), order.version().get(), enter.version().get(), attached.get()),
        |(id, ..)| results_overview(id),
    );
    view! {
        <Title text="Results · Ambula"/>
        <h2>"Results"</h2>
        <OrderForm order/>
        <Transition fallback=|| view! { <div class="skeleton" aria-busy="true">"Loading…"</div> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(data) => Either::Left(view! { <Overview data enter attached/> }),
                    Err(error) => Either::Right(error_view(error)),
                }
            })}
        </Transition>
    }
}

#[component]
fn OrderForm(order: ServerAction<ResultOrder>) -> impl IntoView {
    let id = use_patient_id();
    let result = last_result(order);
    let kinds: Vec<(String, String)> = OrderKind::OPTIONS.iter().map(|(v, t)| (v.to_string(), t.to_string())).collect();
    let done = move || matches!(result.get(), Some(Ok(_))).then_some("Test ordered.");
    view! {
        <section class="order-test" aria-labelledby="order-heading">
            <h3 id="order-heading">"Order a test"</h3>
            <ActionForm action=order attr:class="order-form">
                <input type="hidden" name="patient_id" value=move || id.get()/>
                <SelectField label="Kind" name="kind" form="order" options=kinds selected="lab" server_error=field_error(result, "kind")/>
                <Field label="Test" name="test_name" form="order" hint="e.g. Basic metabolic panel, Chest X-ray"
                    server_error=field_error(result, "test_name")/>
                <Field label="Code" name="test_code" form="order" required=false hint="LOINC or the lab's own code."
                    server_error=field_error(result, "test_code")/>
                <Field label="Ordered at" name="ordered_at" kind="datetime-local" form="order" required=false
                    hint="Clinic time. Leave empty for now." server_error=field_error(result, "ordered_at")/>
                <button type="submit" disabled=move || order.pending().get()>"Order test"</button>
            </ActionForm>
            <FormAlert value=result/>
            <p class="status" role="status">{done}</p>
        </section>
    }
}

#[component]
fn Overview(data: ResultsData, enter: ServerAction<ResultEnter>, attached: RwSignal<u32>) -> impl IntoView {
    let ResultsData { orders, series } = data;
    let choices: Vec<(String, String)> = orders.iter().map(|o| (o.id.clone(), format!("{} ({})", o.test_name, o.ordered_at))).collect();
    view! {
        {if orders.is_empty() {
            Either::Left(view! { <p class="empty">"No tests ordered yet."</p> })
        } else {
            Either::Right(view! {
                <EnterResult enter choices=choices.clone()/>
                <AttachReport choices attached/>
                <section class="orders" aria-labelledby="orders-heading">
                    <h3 id="orders-heading">"Orders and results"</h3>
                    {orders.into_iter().map(|o| view! { <Order order=o/> }).collect_view()}
                </section>
            })
        }}
        {(!series.is_empty()).then(|| view! {
            <section class="trends" aria-labelledby="result-trends-heading">
                <h3 id="result-trends-heading">"Trends"</h3>
                {series.iter().enumerate().map(|(i, s)| view! { <TrendChart trend=result_trend(s, i)/> }).collect_view()}
            </section>
        })}
    }
}

#[component]
fn Order(order: OrderItem) -> impl IntoView {
    let OrderItem { test_name, test_code, kind, status, status_label, ordered_at, ordered_by, received_at, report_id, report_name, results, .. } = order;
    let heading = match test_code {
        Some(code) => format!("{test_name} ({code})"),
        None => test_name,
    };
    let ordered = match ordered_by {
        Some(by) => format!("Ordered {ordered_at} by {by}"),
        None => format!("Ordered {ordered_at}"),
    };
    view! {
        <article class="order">
            <header>
                <h4>{heading}</h4>
                <p class="order-facts">
                    <span>{kind}</span>
                    <span class=format!("badge status-{status}")>{status_label}</span>
                    <span>{ordered}</span>
                    {received_at.map(|at| view! { <span>{format!("Received {at}")}</span> })}
                    {report_id.zip(report_name).map(|(id, name)| view! {
                        <a href=format!("/api/documents/{id}") download="">{format!("Report: {name}")}</a>
                    })}
                </p>
            </header>
            {if results.is_empty() {
                Either::Left(view! { <p class="empty">"No results yet."</p> })
            } else {
                Either::Right(view! {
                    <table class="data results">
                        <thead>
                            <tr>
                                <th scope="col">"Analyte"</th>
                                <th scope="col">"Value"</th>
                                <th scope="col">"Unit"</th>
                                <th scope="col">"Reference range"</th>
                                <th scope="col">"Flag"</th>
                                <th scope="col">"Resulted"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {results.into_iter().map(|r| {
                                let class = if r.critical { "critical" } else if r.abnormal { "abnormal" } else { "" };
                                view! {
                                    <tr class=class>
                                        <th scope="row">{r.analyte}</th>
                                        <td class="value">{r.value}</td>
                                        <td>{r.unit}</td>
                                        <td>{if r.range.is_empty() { "–".to_owned() } else { r.range }}</td>
                                        <td class="flag">
                                            {if r.abnormal {
                                                Either::Left(view! { <strong>{format!("{} ({})", r.flag_label, r.flag)}</strong> })
                                            } else {
                                                Either::Right(view! { <span>"Normal"</span> })
                                            }}
                                        </td>
                                        <td>{r.at}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                })
            }}
        </article>
    }
}

#[component]
fn EnterResult(enter: ServerAction<ResultEnter>, choices: Vec<(String, String)>) -> impl IntoView {
    let result = last_result(enter);
    let done = move || matches!(result.get(), Some(Ok(_))).then_some("Result saved.");
    view! {
        <section class="enter-result" aria-labelledby="enter-result-heading">
            <h3 id="enter-result-heading">"Enter a result"</h3>
            <ActionForm action=enter attr:class="result-form">
                <SelectField label="Order" name="order_id" form="result" options=choices server_error=field_error(result, "order_id")/>
                <Field label="Analyte" name="analyte" form="result" hint="e.g. Potassium" server_error=field_error(result, "analyte")/>
                <Field label="Value" name="value" form="result" server_error=field_error(result, "value")/>
                <Field label="Unit" name="unit" form="result" required=false hint="e.g. mmol/L" server_error=field_error(result, "unit")/>
                <fieldset class="pair">
                    <legend>"Reference range"</legend>
                    <Field label="Low" name="ref_low" form="result" required=false server_error=field_error(result, "ref_low")/>
                    <Field label="High" name="ref_high" form="result" required=false server_error=field_error(result, "ref_high")/>
                </fieldset>
                <fieldset class="pair">
                    <legend>"Critical limits"</legend>
                    <Field label="Critical low" name="critical_low" form="result" required=false server_error=field_error(result, "critical_low")/>
                    <Field label="Critical high" name="critical_high" form="result" required=false server_error=field_error(result, "critical_high")/>
                </fieldset>
                <Field label="Resulted at" name="resulted_at" kind="datetime-local" form="result" required=false
                    hint="Clinic time. Leave empty for now." server_error=field_error(result, "resulted_at")/>
                <button type="submit" disabled=move || enter.pending().get()>"Save result"</button>
            </ActionForm>
            <FormAlert value=result/>
            <p class="status" role="status">{done}</p>
        </section>
    }
}

/// Attach a report: the file goes up as a document of this patient, then
/// is linked to the chosen order.
#[component]
fn AttachReport(choices: Vec<(String, String)>, attached: RwSignal<u32>) -> impl IntoView {
    let id = use_patient_id();
    let error = RwSignal::new(None::<String>);
    let status = RwSignal::new(None::<String>);
    let order = RwSignal::new(choices.first().map(|(v, _)| v.clone()).unwrap_or_default());
    let on_change = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else {
                return;
            };
            let Some(file) = input.files().and_then(|files| files.get(0)) else {
                return;
            };
            input.set_value("");
            let (patient, order_id, name) = (id.get_untracked(), order.get_untracked(), file.name());
            error.set(None);
            status.set(Some(format!("Uploading {name}…")));
            leptos::task::spawn_local(async move {
                let outcome = match super::upload::upload(&patient, &file).await {
                    Ok((document, _)) => crate::results_api::result_attach_report(order_id, document).await.map_err(|e| {
                        e.field("document_id").unwrap_or_else(|| e.summary())
                    }),
                    Err(message) => Err(message),
                };
                match outcome {
                    Ok(_) => {
                        status.set(Some(format!("Attached {name}.")));
                        attached.update(|n| *n += 1);
                    }
                    Err(message) => {
                        status.set(None);
                        error.set(Some(message));
                    }
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, id, order, attached);
    };
    view! {
        <section class="attach-report" aria-labelledby="attach-heading">
            <h3 id="attach-heading">"Attach a report"</h3>
            <div class="field">
                <label for="attach-order">"Order"</label>
                <select id="attach-order" on:change=move |ev| order.set(event_target_value(&ev))>
                    {choices.into_iter().map(|(value, text)| view! { <option value=value>{text}</option> }).collect_view()}
                </select>
            </div>
            <div class="field" class:has-error=move || error.get().is_some()>
                <label for="attach-file">"Report (PDF, PNG or JPEG)"</label>
                <input id="attach-file" type="file" accept="image/png,image/jpeg,application/pdf"
                    aria-invalid=move || error.get().is_some().then_some("true")
                    aria-describedby="attach-error" on:change=on_change/>
                <p class="error" id="attach-error" aria-live="polite">{move || error.get()}</p>
            </div>
            <p class="status" role="status">{move || status.get()}</p>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results_api::{trend_series, ResultItem};

    fn item(at_unix: i64, analyte: &str, value_milli: i64, abnormal: bool) -> ResultItem {
        ResultItem {
            id: at_unix.to_string(),
            order_id: "o".into(),
            analyte: analyte.into(),
            value_milli,
            value: format_value(value_milli),
            unit: "mmol/L".into(),
            low: Some(3500),
            high: Some(5100),
            range: "3.5–5.1".into(),
            flag: if abnormal { "H".into() } else { "N".into() },
            flag_label: String::new(),
            abnormal,
            critical: false,
            at: format!("2026-11-2{at_unix} 09:00"),
            at_unix,
            by: None,
        }
    }

    #[test]
    fn repeated_tests_make_a_trend_with_their_range() {
        let results = vec![item(1, "Potassium", 4200, false), item(2, "Sodium", 140_000, false), item(3, "potassium ", 5400, true)];
        let series = trend_series(&results);
        assert_eq!(series.len(), 1, "sodium was measured once");
        let trend = result_trend(&series[0], 0);
        assert_eq!(trend.series[0].points.len(), 2);
        assert_eq!(trend.bands[0].low, 3.5);
        assert!(trend.series[0].points[1].abnormal);
        assert_eq!(trend.series[0].points[1].text, "5.4");
    }
}

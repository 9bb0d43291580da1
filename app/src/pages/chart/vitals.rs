//! The chart's Vitals tab: the latest value of each measure, a form to
//! record a reading (with unit selects; conversion and limits in the
//! domain), and a trend chart per measure with its table.

use super::{
    growth::GrowthChart,
    trend::{Band, Trend, TrendChart, TrendPoint, TrendSeries},
    use_patient_id,
};
use crate::{
    components::{field_error, last_result, Field, FormAlert, SelectField},
    pages::staff::error_view,
    vitals_api::{vitals_history, VitalsData, VitalsRecord},
};
use ambula_domain::vitals::{HeightUnit, Measure, TemperatureUnit, WeightUnit};
use leptos::{either::Either, prelude::*};
use leptos_meta::Title;

/// The charts, in order: element id, title, measures drawn.
const CHARTS: [(&str, &str, &[Measure]); 8] = [
    ("trend-bp", "Blood pressure", &[Measure::Systolic, Measure::Diastolic]),
    ("trend-pulse", "Pulse", &[Measure::Pulse]),
    ("trend-temperature", "Temperature", &[Measure::Temperature]),
    ("trend-respiratory-rate", "Respiratory rate", &[Measure::RespiratoryRate]),
    ("trend-spo2", "SpO2", &[Measure::Spo2]),
    ("trend-weight", "Weight", &[Measure::Weight]),
    ("trend-height", "Height", &[Measure::Height]),
    ("trend-bmi", "BMI", &[Measure::Bmi]),
];

const SERIES_CLASSES: [&str; 2] = ["s1", "s2"];

/// The chart of `measures` over the readings, or `None` without values.
pub fn vitals_trend(data: &VitalsData, id: &str, title: &str, measures: &[Measure]) -> Option<Trend> {
    let series: Vec<TrendSeries> = measures
        .iter()
        .zip(SERIES_CLASSES)
        .map(|(m, class)| TrendSeries {
            name: m.label().to_owned(),
            class,
            points: data
                .readings
                .iter()
                .filter_map(|r| {
                    r.get(*m).map(|v| TrendPoint {
                        t: r.at_unix,
                        value: m.plot_value(v),
                        when: r.at.clone(),
                        text: m.display(v),
                        abnormal: m.is_abnormal(v),
                    })
                })
                .collect(),
        })
        .filter(|s| !s.points.is_empty())
        .collect();
    let first = measures.first()?;
    if series.is_empty() {
        return None;
    }
    let bands = measures
        .iter()
        .filter_map(|m| {
            let (low, high) = m.normal()?;
            let text = m.normal_text()?;
            let label = if measures.len() > 1 { format!("{}: {text}", m.label()) } else { text };
            Some(Band { low: m.plot_value(low), high: m.plot_value(high), label })
        })
        .collect();
    Some(Trend { id: id.to_owned(), title: title.to_owned(), unit: first.unit().to_owned(), bands, series })
}

/// "High", "Low" or nothing, against the measure's normal range.
fn direction(measure: Measure, value: i64) -> Option<&'static str> {
    let (low, high) = measure.normal()?;
    if value > high {
        Some("High")
    } else if value < low {
        Some("Low")
    } else {
        None
    }
}

fn options(list: [(&'static str, &'static str); 2]) -> Vec<(String, String)> {
    list.iter().map(|(v, t)| (v.to_string(), t.to_string())).collect()
}

#[component]
pub fn ChartVitalsPage() -> impl IntoView {
    let id = use_patient_id();
    let record = ServerAction::<VitalsRecord>::new();
    let result = last_result(record);
    let history = Resource::new(move || (id.get(), record.version().get()), |(id, _)| vitals_history(id));
    let recorded = move || matches!(result.get(), Some(Ok(_))).then_some("Vitals recorded.");
    view! {
        <Title text="Vitals · Ambula"/>
        <h2>"Vitals"</h2>
        <Transition fallback=|| view! { <div class="skeleton" aria-busy="true">"Loading…"</div> }>
            {move || Suspend::new(async move {
                match history.await {
                    Ok(data) => Either::Left(view! { <Latest data/> }),
                    Err(error) => Either::Right(error_view(error)),
                }
            })}
        </Transition>
        <section class="record-vitals" aria-labelledby="record-vitals-heading">
            <h3 id="record-vitals-heading">"Record vitals"</h3>
            <p class="hint">"Fill in what was measured; leave the rest empty."</p>
            <ActionForm action=record attr:class="vitals-form">
                <input type="hidden" name="patient_id" value=move || id.get()/>
                <Field label="Taken at" name="recorded_at" kind="datetime-local" form="vitals" required=false
                    hint="Clinic time. Leave empty for now." server_error=field_error(result, "recorded_at")/>
                <fieldset class="pair">
                    <legend>"Blood pressure (mmHg)"</legend>
                    <Field label="Systolic" name="systolic" form="vitals" required=false server_error=field_error(result, "systolic")/>
                    <Field label="Diastolic" name="diastolic" form="vitals" required=false server_error=field_error(result, "diastolic")/>
                </fieldset>
                <Field label="Pulse (beats/min)" name="pulse" form="vitals" required=false server_error=field_error(result, "pulse")/>
                <div class="with-unit">
                    <Field label="Temperature" name="temperature" form="vitals" required=false server_error=field_error(result, "temperature")/>
                    <SelectField label="Temperature unit" name="temperature_unit" form="vitals" options=options(TemperatureUnit::OPTIONS)
                        selected="c" server_error=field_error(result, "temperature_unit")/>
                </div>
                <Field label="Respiratory rate (breaths/min)" name="respiratory_rate" form="vitals" required=false
                    server_error=field_error(result, "respiratory_rate")/>
                <Field label="SpO2 (%)" name="spo2" form="vitals" required=false server_error=field_error(result, "spo2")/>
                <div class="with-unit">
                    <Field label="Height" name="height" form="vitals" required=false server_error=field_error(result, "height")/>
                    <SelectField label="Height unit" name="height_unit" form="vitals" options=options(HeightUnit::OPTIONS)
                        selected="cm" server_error=field_error(result, "height_unit")/>
                </div>
                <div class="with-unit">
                    <Field label="Weight" name="weight" form="vitals" required=false server_error=field_error(result, "weight")/>
                    <SelectField label="Weight unit" name="weight_unit" form="vitals" options=options(WeightUnit::OPTIONS)
                        selected="kg" server_error=field_error(result, "weight_unit")/>
                </div>
                <button type="submit" disabled=move || record.pending().get()>"Record vitals"</button>
            </ActionForm>
            <FormAlert value=result/>
            <p class="status" role="status">{recorded}</p>
        </section>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match history.await {
                    Ok(data) => Either::Left(view! { <Trends data/> }),
                    // The error is already shown above.
                    Err(_) => Either::Right(()),
                }
            })}
        </Transition>
    }
}

/// The latest value of each measure, with when, and "High"/"Low" in words.
#[component]
fn Latest(data: VitalsData) -> impl IntoView {
    if data.readings.is_empty() {
        return Either::Left(view! { <p class="empty">"No vitals recorded yet."</p> });
    }
    let latest = |m: Measure| data.readings.iter().rev().find_map(|r| r.get(m).map(|v| (v, r.at.clone(), r.by.clone())));
    let mut cards = Vec::new();
    if let (Some((s, at, by)), Some((d, _, _))) = (latest(Measure::Systolic), latest(Measure::Diastolic)) {
        let flag = direction(Measure::Systolic, s).or(direction(Measure::Diastolic, d));
        cards.push(("Blood pressure", format!("{s}/{d}"), "mmHg", at, by, flag));
    }
    for m in [Measure::Pulse, Measure::Temperature, Measure::RespiratoryRate, Measure::Spo2, Measure::Height, Measure::Weight, Measure::Bmi] {
        if let Some((v, at, by)) = latest(m) {
            cards.push((m.label(), m.display(v), m.unit(), at, by, direction(m, v)));
        }
    }
    Either::Right(view! {
        <ul class="cards vitals-latest" aria-label="Latest vitals">
            {cards.into_iter().map(|(label, value, unit, at, by, flag)| view! {
                <li class="card" class:abnormal=flag.is_some()>
                    <span class="caption">{label}</span>
                    <span class="figure">{value}" "<span class="unit">{unit}</span></span>
                    {flag.map(|f| view! { <span class="flag">{f}</span> })}
                    <span class="when">{match by {
                        Some(by) => format!("{at}, {by}"),
                        None => at,
                    }}</span>
                </li>
            }).collect_view()}
        </ul>
    })
}

#[component]
fn Trends(data: VitalsData) -> impl IntoView {
    let charts: Vec<Trend> = CHARTS.iter().filter_map(|(id, title, measures)| vitals_trend(&data, id, title, measures)).collect();
    let growth = data.growth;
    view! {
        {(!growth.is_empty()).then(|| view! {
            <section class="trends growth-charts" aria-labelledby="growth-heading">
                <h3 id="growth-heading">"Growth"</h3>
                <p class="hint">"WHO Child Growth Standards, birth to five years."</p>
                {growth.into_iter().map(|chart| view! { <GrowthChart chart/> }).collect_view()}
            </section>
        })}
        <section class="trends" aria-labelledby="vitals-trends-heading">
            <h3 id="vitals-trends-heading">"Trends"</h3>
            {if charts.is_empty() {
                Either::Left(view! { <p class="empty">"Charts appear here once vitals are recorded."</p> })
            } else {
                Either::Right(charts.into_iter().map(|trend| view! { <TrendChart trend/> }).collect_view())
            }}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vitals_api::ReadingItem;

    fn reading(t: i64, values: Vec<(Measure, i64)>) -> ReadingItem {
        ReadingItem { id: t.to_string(), at: format!("2026-11-2{t} 09:00"), at_unix: t * 86_400, by: None, values }
    }

    #[test]
    fn blood_pressure_draws_two_series_with_their_bands_and_abnormal_marks() {
        let data = VitalsData {
            growth: Vec::new(),
            time_zone: "UTC".into(),
            readings: vec![
                reading(1, vec![(Measure::Systolic, 120), (Measure::Diastolic, 80), (Measure::Pulse, 72)]),
                reading(2, vec![(Measure::Systolic, 165), (Measure::Diastolic, 95)]),
            ],
        };
        let bp = vitals_trend(&data, "trend-bp", "Blood pressure", &[Measure::Systolic, Measure::Diastolic]).unwrap();
        assert_eq!(bp.series.len(), 2);
        assert_eq!(bp.bands.len(), 2);
        assert_eq!(bp.series[0].points.iter().map(|p| p.abnormal).collect::<Vec<_>>(), [false, true]);
        let pulse = vitals_trend(&data, "trend-pulse", "Pulse", &[Measure::Pulse]).unwrap();
        assert_eq!(pulse.series[0].points.len(), 1, "only readings with a pulse");
        assert!(vitals_trend(&data, "trend-weight", "Weight", &[Measure::Weight]).is_none());
        assert_eq!(direction(Measure::Pulse, 130), Some("High"));
        assert_eq!(direction(Measure::Spo2, 90), Some("Low"));
    }
}

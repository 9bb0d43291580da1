//! Server functions of the chart's Vitals tab: a patient's readings (for
//! the latest values, the trend charts and their tables) and recording a
//! new one. Each authenticates and calls `services::vitals`.

use crate::error::AppError;
use ambula_domain::{accounts::NoExtraFields, vitals::{Measure, VitalsForm}};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::session::require_auth;
#[cfg(feature = "ssr")]
use ambula_backend::services::vitals;

/// One reading: stored values (units of `Measure`), and when and by whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadingItem {
    pub id: String,
    /// Clinic time, "2026-11-24 09:15".
    pub at: String,
    /// Seconds since the epoch (UTC), for the time axis.
    pub at_unix: i64,
    pub by: Option<String>,
    pub values: Vec<(Measure, i64)>,
}

impl ReadingItem {
    pub fn get(&self, measure: Measure) -> Option<i64> {
        self.values.iter().find(|(m, _)| *m == measure).map(|(_, v)| *v)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VitalsData {
    pub time_zone: String,
    /// Oldest first.
    pub readings: Vec<ReadingItem>,
    /// WHO growth charts, for a child under five whose sex at birth is
    /// recorded as female or male; empty otherwise.
    pub growth: Vec<GrowthData>,
}

/// One growth chart: the centile curves of the standard and the child's
/// measurements against them, computed on the server (the WHO tables stay
/// out of the browser's bundle).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GrowthData {
    /// Element id prefix ("growth-weight").
    pub id: String,
    /// "Weight-for-age (girls, WHO)".
    pub title: String,
    pub unit: String,
    /// The age axis ends here: 24 months, or 60 once the child is older.
    pub last_month: u32,
    /// (label, (month, value) points), lowest centile first.
    pub curves: Vec<(String, Vec<(f64, f64)>)>,
    pub points: Vec<GrowthPoint>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GrowthPoint {
    /// Age in months, the position on the age axis.
    pub months: f64,
    pub value: f64,
    /// Clinic time of the reading.
    pub when: String,
    /// "7 months", "3 years".
    pub age: String,
    /// "12.4" (in the chart's unit).
    pub text: String,
    /// "42nd centile".
    pub centile: String,
    /// Below the 3rd or above the 97th centile.
    pub outside: bool,
}

#[cfg(feature = "ssr")]
fn growth_charts(history: &vitals::VitalsHistory) -> Vec<GrowthData> {
    use ambula_domain::growth::{age_in_months, centile_text, Standard, LAST_MONTH, NORMAL_Z};
    [(Measure::Weight, "growth-weight"), (Measure::Height, "growth-height"), (Measure::Bmi, "growth-bmi")]
        .into_iter()
        .filter_map(|(measure, id)| {
            let standard = Standard::of(measure, history.sex_at_birth)?;
            let points: Vec<GrowthPoint> = history
                .readings
                .iter()
                .filter_map(|r| {
                    let stored = match measure {
                        Measure::Weight => r.weight_g,
                        Measure::Height => r.height_mm,
                        _ => r.bmi,
                    }?;
                    let on = r.recorded_at_local.date();
                    let months = age_in_months(history.date_of_birth, on)?;
                    let lms = standard.lms(months)?;
                    let value = measure.plot_value(stored);
                    let z = lms.z(value);
                    Some(GrowthPoint {
                        months,
                        value,
                        when: r.recorded_at_local.format("%Y-%m-%d %H:%M").to_string(),
                        age: ambula_domain::patients::describe_age(history.date_of_birth, on),
                        text: measure.display(stored),
                        centile: centile_text(z),
                        outside: z.abs() > NORMAL_Z,
                    })
                })
                .collect();
            if points.is_empty() {
                return None;
            }
            let last_month = if points.iter().all(|p| p.months <= 24.0) { 24 } else { LAST_MONTH };
            let curves = standard.centile_curves(last_month).into_iter().map(|(label, pts)| (label.to_owned(), pts)).collect();
            Some(GrowthData { id: id.to_owned(), title: standard.title(), unit: measure.unit().to_owned(), last_month, curves, points })
        })
        .collect()
}

#[cfg(feature = "ssr")]
fn reading_item(v: vitals::VitalsView) -> ReadingItem {
    let values = [
        (Measure::Systolic, v.systolic),
        (Measure::Diastolic, v.diastolic),
        (Measure::Pulse, v.pulse),
        (Measure::Temperature, v.temperature),
        (Measure::RespiratoryRate, v.respiratory_rate),
        (Measure::Spo2, v.spo2),
        (Measure::Height, v.height_mm),
        (Measure::Weight, v.weight_g),
        (Measure::Bmi, v.bmi),
    ]
    .into_iter()
    .filter_map(|(m, value)| value.map(|value| (m, value)))
    .collect();
    ReadingItem {
        id: v.id.to_string(),
        at: v.recorded_at_local.format("%Y-%m-%d %H:%M").to_string(),
        at_unix: v.recorded_at.0.timestamp(),
        by: v.recorded_by,
        values,
    }
}

#[server(endpoint = "vitals_history")]
pub async fn vitals_history(patient_id: String) -> Result<VitalsData, AppError> {
    let (services, ctx) = require_auth().await?;
    let history = vitals::history(&services, &ctx, &patient_id).await?;
    let growth = growth_charts(&history);
    Ok(VitalsData { time_zone: history.time_zone, readings: history.readings.into_iter().map(reading_item).collect(), growth })
}

#[server(endpoint = "vitals_record")]
pub async fn vitals_record(
    patient_id: String,
    #[server(flatten)] form: VitalsForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<ReadingItem, AppError> {
    let _ = extra;
    let (services, ctx) = require_auth().await?;
    Ok(reading_item(vitals::record(&services, &ctx, &patient_id, &form).await?))
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use ambula_backend::time::DbTime;
    use ambula_domain::{patients::SexAtBirth, VitalSignsId};
    use chrono::{NaiveDate, TimeZone, Utc};

    fn reading(on: NaiveDate, weight_g: Option<i64>, height_mm: Option<i64>) -> vitals::VitalsView {
        let local = on.and_hms_opt(9, 0, 0).expect("a time");
        vitals::VitalsView {
            id: VitalSignsId::generate(),
            recorded_at: DbTime::from(Utc.from_utc_datetime(&local)),
            recorded_at_local: local,
            recorded_by: None,
            systolic: None,
            diastolic: None,
            pulse: None,
            temperature: None,
            respiratory_rate: None,
            spo2: None,
            height_mm,
            weight_g,
            bmi: None,
        }
    }

    fn history(sex: Option<SexAtBirth>, born: NaiveDate, readings: Vec<vitals::VitalsView>) -> vitals::VitalsHistory {
        vitals::VitalsHistory { time_zone: "UTC".into(), readings, date_of_birth: born, sex_at_birth: sex }
    }

    #[test]
    fn a_childs_weights_are_placed_on_the_who_centiles() {
        let born = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        let at = |m: u32| NaiveDate::from_ymd_opt(2025 + (m / 12) as i32, 1 + m % 12, 1).unwrap();
        // A boy's median birth weight, then 6 kg at a year (far too light).
        let h = history(Some(SexAtBirth::Male), born, vec![reading(at(0), Some(3346), Some(499)), reading(at(12), Some(6000), None)]);
        let charts = growth_charts(&h);
        assert_eq!(charts.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["growth-weight", "growth-height"]);
        let weight = &charts[0];
        assert_eq!(weight.title, "Weight-for-age (boys, WHO)");
        assert_eq!((weight.unit.as_str(), weight.last_month), ("kg", 24));
        assert_eq!(weight.curves.len(), 5);
        assert_eq!(weight.points.len(), 2);
        assert_eq!(weight.points[0].centile, "50th centile");
        assert!(!weight.points[0].outside);
        assert!(weight.points[1].outside, "{:?}", weight.points[1]);
        assert_eq!(weight.points[1].age, "12 months");
        assert_eq!(weight.points[1].text, "6.0");

        // Past two years the age axis runs to five; past five, no chart.
        let older = history(Some(SexAtBirth::Female), born, vec![reading(at(30), Some(12_500), None), reading(at(62), Some(18_000), None)]);
        let charts = growth_charts(&older);
        assert_eq!(charts.len(), 1);
        assert_eq!((charts[0].last_month, charts[0].points.len()), (60, 1), "the reading at 62 months is past the standards");
        // No standard for an unknown sex, and none without a reading.
        assert!(growth_charts(&history(Some(SexAtBirth::Unknown), born, vec![reading(at(3), Some(6000), None)])).is_empty());
        assert!(growth_charts(&history(None, born, vec![reading(at(3), Some(6000), None)])).is_empty());
        assert!(growth_charts(&history(Some(SexAtBirth::Male), born, Vec::new())).is_empty());
    }
}

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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VitalsData {
    pub time_zone: String,
    /// Oldest first.
    pub readings: Vec<ReadingItem>,
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
    Ok(VitalsData { time_zone: history.time_zone, readings: history.readings.into_iter().map(reading_item).collect() })
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

//! Server functions of the chart's Results tab: orders with their results
//! (flags computed in the domain), ordering a test, entering a result and
//! attaching a report (a document uploaded to the same patient). Each
//! authenticates and calls `services::lab_results`.

use crate::error::AppError;
use ambula_domain::{
    accounts::NoExtraFields,
    results::{OrderForm, ResultForm},
};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::session::require_auth;
#[cfg(feature = "ssr")]
use ambula_backend::services::lab_results;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultItem {
    pub id: String,
    pub order_id: String,
    pub analyte: String,
    /// Exact value in thousandths of `unit`, and as text ("5.25").
    pub value_milli: i64,
    pub value: String,
    pub unit: String,
    pub low: Option<i64>,
    pub high: Option<i64>,
    /// "3.5–5.1", or empty.
    pub range: String,
    /// "N", "L", "H", "LL", "HH" and the words for it.
    pub flag: String,
    pub flag_label: String,
    pub abnormal: bool,
    pub critical: bool,
    /// Clinic time, "2026-11-24 09:15".
    pub at: String,
    pub at_unix: i64,
    pub by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderItem {
    pub id: String,
    pub kind: String,
    pub test_name: String,
    pub test_code: Option<String>,
    /// "ordered" or "received", and the words for it.
    pub status: String,
    pub status_label: String,
    pub ordered_at: String,
    pub ordered_by: Option<String>,
    pub received_at: Option<String>,
    /// The attached report: document id and file name.
    pub report_id: Option<String>,
    pub report_name: Option<String>,
    pub results: Vec<ResultItem>,
}

/// Results of one analyte (same name and unit) over time, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeriesItem {
    pub analyte: String,
    pub unit: String,
    pub points: Vec<ResultItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultsData {
    /// Newest first.
    pub orders: Vec<OrderItem>,
    /// Analytes measured more than once, for the trend charts.
    pub series: Vec<SeriesItem>,
}

#[cfg(feature = "ssr")]
fn time(t: chrono::NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

#[cfg(feature = "ssr")]
fn result_item(r: lab_results::ResultView) -> ResultItem {
    use ambula_domain::results::format_value;
    ResultItem {
        id: r.id.to_string(),
        order_id: r.order_id.to_string(),
        value: format_value(r.value),
        value_milli: r.value,
        low: r.range.low,
        high: r.range.high,
        range: r.range.text(),
        flag: r.flag.code().to_owned(),
        flag_label: r.flag.label().to_owned(),
        abnormal: r.flag.is_abnormal(),
        critical: r.flag.is_critical(),
        at: time(r.resulted_at_local),
        at_unix: r.resulted_at.0.timestamp(),
        by: r.entered_by,
        analyte: r.analyte,
        unit: r.unit,
    }
}

#[cfg(feature = "ssr")]
fn order_item(o: lab_results::OrderView, results: Vec<ResultItem>) -> OrderItem {
    let (report_id, report_name) = match o.report {
        Some((id, name)) => (Some(id.to_string()), Some(name)),
        None => (None, None),
    };
    OrderItem {
        id: o.id.to_string(),
        kind: o.kind.label().to_owned(),
        test_name: o.test_name,
        test_code: o.test_code,
        status: o.status.as_str().to_owned(),
        status_label: o.status.label().to_owned(),
        ordered_at: time(o.ordered_at_local),
        ordered_by: o.ordered_by,
        received_at: o.received_at_local.map(time),
        report_id,
        report_name,
        results,
    }
}

/// Groups results into series by analyte and unit (first seen spelling
/// names the series); only those with two or more points make a trend.
pub fn trend_series(results: &[ResultItem]) -> Vec<SeriesItem> {
    let mut series: Vec<(String, SeriesItem)> = Vec::new();
    for r in results {
        let key = ambula_domain::results::series_key(&r.analyte, &r.unit);
        match series.iter_mut().find(|(k, _)| *k == key) {
            Some((_, s)) => s.points.push(r.clone()),
            None => series.push((key, SeriesItem { analyte: r.analyte.clone(), unit: r.unit.clone(), points: vec![r.clone()] })),
        }
    }
    series.into_iter().map(|(_, s)| s).filter(|s| s.points.len() > 1).collect()
}

#[server(endpoint = "results_overview")]
pub async fn results_overview(patient_id: String) -> Result<ResultsData, AppError> {
    let (services, ctx) = require_auth().await?;
    let overview = lab_results::overview(&services, &ctx, &patient_id).await?;
    let results: Vec<ResultItem> = overview.results.into_iter().map(result_item).collect();
    let series = trend_series(&results);
    let orders = overview
        .orders
        .into_iter()
        .map(|o| {
            let id = o.id.to_string();
            let own = results.iter().filter(|r| r.order_id == id).cloned().collect();
            order_item(o, own)
        })
        .collect();
    Ok(ResultsData { orders, series })
}

#[server(endpoint = "result_order")]
pub async fn result_order(
    patient_id: String,
    #[server(flatten)] form: OrderForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<OrderItem, AppError> {
    let _ = extra;
    let (services, ctx) = require_auth().await?;
    Ok(order_item(lab_results::order(&services, &ctx, &patient_id, &form).await?, Vec::new()))
}

#[server(endpoint = "result_enter")]
pub async fn result_enter(
    #[server(flatten)] form: ResultForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<ResultItem, AppError> {
    let _ = extra;
    let (services, ctx) = require_auth().await?;
    Ok(result_item(lab_results::enter_result(&services, &ctx, &form).await?))
}

#[server(endpoint = "result_attach_report")]
pub async fn result_attach_report(order_id: String, document_id: String) -> Result<OrderItem, AppError> {
    let (services, ctx) = require_auth().await?;
    Ok(order_item(lab_results::attach_report(&services, &ctx, &order_id, &document_id).await?, Vec::new()))
}

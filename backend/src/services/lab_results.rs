//! Lab and imaging results on the chart: order a test, enter structured
//! results (the flag is computed in `ambula_domain::results`), attach the
//! report (an uploaded document of the same patient), and read them all.
//! ViewClinical to read, EditClinical to write; patients through
//! `patients::load_for`; everything audited in its transaction.

use super::vitals::{clinic_zone, local_to_db, now_local, patient, require};
use crate::{
    audit::{self, Actor, Entry},
    error::ServiceError,
    on_tx,
    repo::{self, lab_results::{OrderRow, ResultRow}},
    scope::AuthContext,
    time::DbTime,
    Services,
};
use ambula_domain::{
    results::{Flag, OrderForm, OrderKind, OrderStatus, Range, ResultForm},
    LabOrderId, LabResultId, PatientId, Permission,
};
use chrono::NaiveDateTime;
use chrono_tz::Tz;
use uuid::Uuid;

pub const LIMIT: i64 = 500;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderView {
    pub id: LabOrderId,
    pub kind: OrderKind,
    pub test_name: String,
    pub test_code: Option<String>,
    pub status: OrderStatus,
    pub ordered_at_local: NaiveDateTime,
    pub ordered_by: Option<String>,
    pub received_at_local: Option<NaiveDateTime>,
    /// The attached report: document id and file name.
    pub report: Option<(Uuid, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultView {
    pub id: LabResultId,
    pub order_id: LabOrderId,
    pub analyte: String,
    /// Thousandths of `unit`.
    pub value: i64,
    pub unit: String,
    pub range: Range,
    pub flag: Flag,
    pub resulted_at: DbTime,
    pub resulted_at_local: NaiveDateTime,
    pub entered_by: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ResultsOverview {
    pub time_zone: String,
    /// Newest first.
    pub orders: Vec<OrderView>,
    /// Oldest first (trend order), across orders.
    pub results: Vec<ResultView>,
}

fn local(tz: Tz, at: DbTime) -> NaiveDateTime {
    now_local(tz, at)
}

fn order_view(row: OrderRow, tz: Tz) -> Result<OrderView, ServiceError> {
    let kind = OrderKind::parse(&row.kind).map_err(|_| ServiceError::Internal(format!("unknown order kind {:?}", row.kind)))?;
    Ok(OrderView {
        id: LabOrderId::from_uuid(row.id),
        kind,
        status: row.status()?,
        ordered_at_local: local(tz, row.ordered_at),
        ordered_by: row.ordered_by_name,
        received_at_local: row.received_at.map(|t| local(tz, t)),
        report: row.report_document_id.zip(row.report_file_name),
        test_name: row.test_name,
        test_code: row.test_code,
    })
}

fn result_view(row: ResultRow, tz: Tz) -> Result<ResultView, ServiceError> {
    Ok(ResultView {
        id: LabResultId::from_uuid(row.id),
        order_id: LabOrderId::from_uuid(row.order_id),
        flag: row.flag()?,
        value: row.value_milli,
        range: Range {
            low: row.ref_low_milli,
            high: row.ref_high_milli,
            critical_low: row.critical_low_milli,
            critical_high: row.critical_high_milli,
        },
        resulted_at: row.resulted_at,
        resulted_at_local: local(tz, row.resulted_at),
        entered_by: row.entered_by_name,
        analyte: row.analyte,
        unit: row.unit,
    })
}

pub async fn overview(services: &Services, ctx: &AuthContext, patient_id: &str) -> Result<ResultsOverview, ServiceError> {
    require(services, ctx, Permission::ViewClinical, "results.read", patient_id).await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let (row, break_glass) = match patient(&mut tx, ctx, patient_id, "results.read", now).await? {
        Ok(found) => found,
        Err(denied) => {
            tx.commit().await?;
            return Err(denied);
        }
    };
    let (time_zone, tz) = clinic_zone(&mut tx, ctx).await?;
    let id = PatientId::from_uuid(row.id);
    let orders = repo::lab_results::list_orders(&mut tx, &ctx.scope, id, LIMIT).await?;
    let results = repo::lab_results::list_results(&mut tx, &ctx.scope, id, LIMIT).await?;
    let detail = format!("{} orders, {} results", orders.len(), results.len());
    let entry = Entry::ok("results.read", "patient", row.id).patient(row.id).break_glass(break_glass).detail(detail);
    audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), entry, now).await?;
    tx.commit().await?;
    Ok(ResultsOverview {
        time_zone,
        orders: orders.into_iter().map(|o| order_view(o, tz)).collect::<Result<_, _>>()?,
        results: results.into_iter().map(|r| result_view(r, tz)).collect::<Result<_, _>>()?,
    })
}

pub async fn order(services: &Services, ctx: &AuthContext, patient_id: &str, form: &OrderForm) -> Result<OrderView, ServiceError> {
    require(services, ctx, Permission::EditClinical, "results.order", patient_id).await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let (row, break_glass) = match patient(&mut tx, ctx, patient_id, "results.order", now).await? {
        Ok(found) => found,
        Err(denied) => {
            tx.commit().await?;
            return Err(denied);
        }
    };
    let (_, tz) = clinic_zone(&mut tx, ctx).await?;
    let new = form.parse(now_local(tz, now))?;
    let ordered_at = new.ordered_at.map_or(now, |at| local_to_db(tz, at));
    let id = repo::lab_results::insert_order(&mut tx, &ctx.scope, PatientId::from_uuid(row.id), &new, ordered_at, ctx.membership_id, now).await?;
    let entry = Entry::ok("results.order", "lab_order", id).patient(row.id).break_glass(break_glass).detail(new.test_name.clone());
    audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), entry, now).await?;
    let stored = repo::lab_results::get_order(&mut tx, &ctx.scope, id).await?.ok_or(ServiceError::NotFound)?;
    tx.commit().await?;
    order_view(stored, tz)
}

/// The order named by `raw` in this clinic, with its patient checked, or
/// the recorded denial. Another clinic's order is a 404.
async fn load_order(
    tx: &mut crate::db::Tx,
    ctx: &AuthContext,
    raw: &str,
    action: &'static str,
    now: DbTime,
) -> Result<Result<(OrderRow, bool), ServiceError>, ServiceError> {
    let row = match raw.trim().parse::<LabOrderId>() {
        Ok(id) => repo::lab_results::get_order(tx, &ctx.scope, id).await?,
        Err(_) => None,
    };
    let Some(order) = row else {
        audit::record(tx, &ctx.scope, &Actor::from(ctx), Entry::denied(action, "lab_order", raw), now).await?;
        return Ok(Err(ServiceError::NotFound));
    };
    Ok(patient(tx, ctx, &order.patient_id.to_string(), action, now).await?.map(|(_, break_glass)| (order, break_glass)))
}

pub async fn enter_result(services: &Services, ctx: &AuthContext, form: &ResultForm) -> Result<ResultView, ServiceError> {
    require(services, ctx, Permission::EditClinical, "results.enter", "").await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let (order, break_glass) = match load_order(&mut tx, ctx, &form.order_id, "results.enter", now).await? {
        Ok(found) => found,
        Err(denied) => {
            tx.commit().await?;
            return Err(denied);
        }
    };
    let (_, tz) = clinic_zone(&mut tx, ctx).await?;
    let new = form.parse(now_local(tz, now))?;
    let resulted_at = new.resulted_at.map_or(now, |at| local_to_db(tz, at));
    if resulted_at < order.ordered_at {
        return Err(ServiceError::field("resulted_at", "A result cannot come before its order. Check the date and time."));
    }
    let patient_id = PatientId::from_uuid(order.patient_id);
    let id = repo::lab_results::insert_result(&mut tx, &ctx.scope, patient_id, &new, resulted_at, ctx.membership_id, now).await?;
    repo::lab_results::mark_received(&mut tx, &ctx.scope, new.order_id, now).await?;
    let detail = format!("{} flag {}", new.analyte, new.flag.code());
    let entry = Entry::ok("results.enter", "lab_result", id).patient(order.patient_id).break_glass(break_glass).detail(detail);
    audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), entry, now).await?;
    tx.commit().await?;
    Ok(ResultView {
        id,
        order_id: new.order_id,
        analyte: new.analyte,
        value: new.value,
        unit: new.unit,
        range: new.range,
        flag: new.flag,
        resulted_at,
        resulted_at_local: local(tz, resulted_at),
        entered_by: Some(ctx.user_name.clone()),
    })
}

/// Links an uploaded document (of the same patient) as the order's report.
pub async fn attach_report(services: &Services, ctx: &AuthContext, order_id: &str, document_id: &str) -> Result<OrderView, ServiceError> {
    require(services, ctx, Permission::EditClinical, "results.attach_report", "").await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let (order, break_glass) = match load_order(&mut tx, ctx, order_id, "results.attach_report", now).await? {
        Ok(found) => found,
        Err(denied) => {
            tx.commit().await?;
            return Err(denied);
        }
    };
    let document: Option<(Uuid,)> = match ambula_domain::parse_uuid(document_id) {
        Ok(doc) => on_tx!(&mut tx, c => sqlx::query_as("SELECT id FROM documents WHERE clinic_id = $1 AND id = $2 AND patient_id = $3")
            .bind(ctx.scope.clinic_id().as_uuid())
            .bind(doc)
            .bind(order.patient_id)
            .fetch_optional(c)
            .await)?,
        Err(_) => None,
    };
    let Some((document,)) = document else {
        return Err(ServiceError::field("document_id", "Upload the report for this patient first."));
    };
    let id = LabOrderId::from_uuid(order.id);
    repo::lab_results::attach_report(&mut tx, &ctx.scope, id, document).await?;
    repo::lab_results::mark_received(&mut tx, &ctx.scope, id, now).await?;
    let entry = Entry::ok("results.attach_report", "lab_order", id).patient(order.patient_id).break_glass(break_glass).detail(document.to_string());
    audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), entry, now).await?;
    let (_, tz) = clinic_zone(&mut tx, ctx).await?;
    let stored = repo::lab_results::get_order(&mut tx, &ctx.scope, id).await?.ok_or(ServiceError::NotFound)?;
    tx.commit().await?;
    order_view(stored, tz)
}

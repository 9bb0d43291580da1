//! Lab and imaging orders and their structured results.

use crate::{db::Tx, error::ServiceError, on_tx, scope::ClinicScope, time::DbTime};
use ambula_domain::{
    results::{Flag, NewOrder, NewResult, OrderStatus},
    LabOrderId, LabResultId, MembershipId, PatientId,
};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrderRow {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub kind: String,
    pub test_name: String,
    pub test_code: Option<String>,
    pub status: String,
    pub ordered_at: DbTime,
    pub ordered_by_name: Option<String>,
    pub received_at: Option<DbTime>,
    pub report_document_id: Option<Uuid>,
    pub report_file_name: Option<String>,
}

impl OrderRow {
    pub fn status(&self) -> Result<OrderStatus, ServiceError> {
        OrderStatus::parse(&self.status).map_err(|_| ServiceError::Internal(format!("unknown order status {:?}", self.status)))
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ResultRow {
    pub id: Uuid,
    pub order_id: Uuid,
    pub analyte: String,
    pub value_milli: i64,
    pub unit: String,
    pub ref_low_milli: Option<i64>,
    pub ref_high_milli: Option<i64>,
    pub critical_low_milli: Option<i64>,
    pub critical_high_milli: Option<i64>,
    pub flag: String,
    pub resulted_at: DbTime,
    pub entered_by_name: Option<String>,
}

impl ResultRow {
    pub fn flag(&self) -> Result<Flag, ServiceError> {
        Flag::from_code(&self.flag).map_err(|_| ServiceError::Internal(format!("unknown result flag {:?}", self.flag)))
    }
}

pub async fn insert_order(
    tx: &mut Tx,
    scope: &ClinicScope,
    patient: PatientId,
    order: &NewOrder,
    ordered_at: DbTime,
    by: MembershipId,
    now: DbTime,
) -> Result<LabOrderId, ServiceError> {
    let id = LabOrderId::generate();
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO lab_orders (clinic_id, id, patient_id, kind, test_name, test_code, status, ordered_at, ordered_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id.as_uuid())
    .bind(patient.as_uuid())
    .bind(order.kind.as_str())
    .bind(&order.test_name)
    .bind(order.test_code.as_deref())
    .bind(OrderStatus::Ordered.as_str())
    .bind(ordered_at)
    .bind(by.as_uuid())
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(id)
}

const ORDER_COLUMNS: &str = "o.id, o.patient_id, o.kind, o.test_name, o.test_code, o.status, o.ordered_at, u.name AS ordered_by_name,
    o.received_at, o.report_document_id, d.file_name AS report_file_name
    FROM lab_orders o
    LEFT JOIN memberships m ON m.clinic_id = o.clinic_id AND m.id = o.ordered_by
    LEFT JOIN users u ON u.id = m.user_id
    LEFT JOIN documents d ON d.clinic_id = o.clinic_id AND d.id = o.report_document_id";

pub async fn get_order(tx: &mut Tx, scope: &ClinicScope, id: LabOrderId) -> Result<Option<OrderRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, OrderRow>(&format!("SELECT {ORDER_COLUMNS} WHERE o.clinic_id = $1 AND o.id = $2"))
        .bind(scope.clinic_id().as_uuid())
        .bind(id.as_uuid())
        .fetch_optional(c)
        .await)?)
}

/// A patient's orders, newest first.
pub async fn list_orders(tx: &mut Tx, scope: &ClinicScope, patient: PatientId, limit: i64) -> Result<Vec<OrderRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, OrderRow>(&format!(
        "SELECT {ORDER_COLUMNS} WHERE o.clinic_id = $1 AND o.patient_id = $2 ORDER BY o.ordered_at DESC, o.id DESC LIMIT $3"
    ))
    .bind(scope.clinic_id().as_uuid())
    .bind(patient.as_uuid())
    .bind(limit)
    .fetch_all(c)
    .await)?)
}

/// Ordered → received, once (the first result or report sets it).
pub async fn mark_received(tx: &mut Tx, scope: &ClinicScope, id: LabOrderId, at: DbTime) -> Result<(), ServiceError> {
    on_tx!(tx, c => sqlx::query(
        "UPDATE lab_orders SET status = $3, received_at = $4 WHERE clinic_id = $1 AND id = $2 AND status = $5",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id.as_uuid())
    .bind(OrderStatus::Received.as_str())
    .bind(at)
    .bind(OrderStatus::Ordered.as_str())
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn attach_report(tx: &mut Tx, scope: &ClinicScope, id: LabOrderId, document: Uuid) -> Result<(), ServiceError> {
    on_tx!(tx, c => sqlx::query("UPDATE lab_orders SET report_document_id = $3 WHERE clinic_id = $1 AND id = $2")
        .bind(scope.clinic_id().as_uuid())
        .bind(id.as_uuid())
        .bind(document)
        .execute(c)
        .await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn insert_result(
    tx: &mut Tx,
    scope: &ClinicScope,
    patient: PatientId,
    result: &NewResult,
    resulted_at: DbTime,
    by: MembershipId,
    now: DbTime,
) -> Result<LabResultId, ServiceError> {
    let id = LabResultId::generate();
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO lab_results (clinic_id, id, order_id, patient_id, analyte, value_milli, unit, ref_low_milli, ref_high_milli,
             critical_low_milli, critical_high_milli, flag, resulted_at, entered_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id.as_uuid())
    .bind(result.order_id.as_uuid())
    .bind(patient.as_uuid())
    .bind(&result.analyte)
    .bind(result.value)
    .bind(&result.unit)
    .bind(result.range.low)
    .bind(result.range.high)
    .bind(result.range.critical_low)
    .bind(result.range.critical_high)
    .bind(result.flag.code())
    .bind(resulted_at)
    .bind(by.as_uuid())
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(id)
}

/// A patient's results, oldest first (trend order).
pub async fn list_results(tx: &mut Tx, scope: &ClinicScope, patient: PatientId, limit: i64) -> Result<Vec<ResultRow>, ServiceError> {
    let mut rows: Vec<ResultRow> = on_tx!(tx, c => sqlx::query_as::<_, ResultRow>(
        "SELECT r.id, r.order_id, r.analyte, r.value_milli, r.unit, r.ref_low_milli, r.ref_high_milli, r.critical_low_milli,
                r.critical_high_milli, r.flag, r.resulted_at, u.name AS entered_by_name
         FROM lab_results r
         LEFT JOIN memberships m ON m.clinic_id = r.clinic_id AND m.id = r.entered_by
         LEFT JOIN users u ON u.id = m.user_id
         WHERE r.clinic_id = $1 AND r.patient_id = $2
         ORDER BY r.resulted_at DESC, r.id DESC LIMIT $3",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(patient.as_uuid())
    .bind(limit)
    .fetch_all(c)
    .await)?;
    rows.reverse();
    Ok(rows)
}

//! Payments, their allocations to invoices, and refunds. A payment's
//! amount never changes; `allocated_minor` and `refunded_minor` follow the
//! append-only allocation and refund rows, and the database checks that
//! together they never exceed the amount.

use crate::{db::Tx, error::ServiceError, on_tx, scope::ClinicScope, time::DbTime};
use ambula_domain::{billing::PaymentMethod, MembershipId, PatientId, PaymentId, RefundId};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PaymentRow {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub method: String,
    pub currency: String,
    pub amount_minor: i64,
    pub allocated_minor: i64,
    pub refunded_minor: i64,
    pub reference: Option<String>,
    pub receipt_number: i64,
    pub received_at: DbTime,
    pub received_by: Option<Uuid>,
    pub provider_event_id: Option<String>,
}

impl PaymentRow {
    /// The part that is the patient's credit: neither on an invoice nor
    /// refunded.
    pub fn unallocated_minor(&self) -> i64 {
        self.amount_minor - self.allocated_minor - self.refunded_minor
    }

    pub fn method(&self) -> Result<PaymentMethod, ServiceError> {
        PaymentMethod::from_db(&self.method)
            .ok_or_else(|| ServiceError::Internal(format!("unknown payment method {:?} in database", self.method)))
    }
}

const COLUMNS: &str = "id, patient_id, method, currency, amount_minor, allocated_minor, refunded_minor, reference, \
                       receipt_number, received_at, received_by, provider_event_id";

pub struct NewPayment<'a> {
    pub patient_id: PatientId,
    pub method: PaymentMethod,
    pub currency: &'a str,
    pub amount_minor: i64,
    pub reference: Option<&'a str>,
    pub receipt_number: i64,
    pub received_by: Option<MembershipId>,
    pub provider_event_id: Option<&'a str>,
}

pub async fn insert(tx: &mut Tx, scope: &ClinicScope, p: NewPayment<'_>, now: DbTime) -> Result<PaymentId, ServiceError> {
    let id = PaymentId::generate();
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO payments (clinic_id, id, patient_id, method, currency, amount_minor, allocated_minor, refunded_minor,
                               reference, receipt_number, received_at, received_by, provider_event_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, 0, 0, $7, $8, $9, $10, $11, $9)",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id.as_uuid())
    .bind(p.patient_id.as_uuid())
    .bind(p.method.as_str())
    .bind(p.currency)
    .bind(p.amount_minor)
    .bind(p.reference)
    .bind(p.receipt_number)
    .bind(now)
    .bind(p.received_by.map(|m| m.as_uuid()))
    .bind(p.provider_event_id)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(id)
}

pub async fn get(tx: &mut Tx, scope: &ClinicScope, id: PaymentId) -> Result<Option<PaymentRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, PaymentRow>(&format!("SELECT {COLUMNS} FROM payments WHERE clinic_id = $1 AND id = $2"))
        .bind(scope.clinic_id().as_uuid())
        .bind(id.as_uuid())
        .fetch_optional(c)
        .await)?)
}

pub async fn by_provider_event(tx: &mut Tx, scope: &ClinicScope, event: &str) -> Result<Option<PaymentRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, PaymentRow>(&format!(
        "SELECT {COLUMNS} FROM payments WHERE clinic_id = $1 AND provider_event_id = $2"
    ))
    .bind(scope.clinic_id().as_uuid())
    .bind(event)
    .fetch_optional(c)
    .await)?)
}

/// Serializes changes to one payment (PostgreSQL; SQLite is serial).
pub async fn lock(tx: &mut Tx, scope: &ClinicScope, id: PaymentId) -> Result<(), ServiceError> {
    if let Tx::Postgres(t) = tx {
        sqlx::query("SELECT 1 FROM payments WHERE clinic_id = $1 AND id = $2 FOR UPDATE")
            .bind(scope.clinic_id().as_uuid())
            .bind(id.as_uuid())
            .execute(&mut **t)
            .await?;
    }
    Ok(())
}

pub async fn set_totals(tx: &mut Tx, scope: &ClinicScope, id: Uuid, allocated_minor: i64, refunded_minor: i64) -> Result<(), ServiceError> {
    on_tx!(tx, c => sqlx::query(
        "UPDATE payments SET allocated_minor = $3, refunded_minor = $4 WHERE clinic_id = $1 AND id = $2",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id)
    .bind(allocated_minor)
    .bind(refunded_minor)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Why money moved onto or off an invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    Payment,
    CreditApplied,
    Refund,
    CreditNote,
}

impl Cause {
    fn as_str(self) -> &'static str {
        match self {
            Cause::Payment => "payment",
            Cause::CreditApplied => "credit_applied",
            Cause::Refund => "refund",
            Cause::CreditNote => "credit_note",
        }
    }
}

/// Appends an allocation: positive puts money on the invoice, negative
/// takes it off.
pub async fn allocate(tx: &mut Tx, scope: &ClinicScope, payment: Uuid, invoice: Uuid, amount_minor: i64, cause: Cause, now: DbTime) -> Result<(), ServiceError> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO payment_allocations (clinic_id, id, payment_id, invoice_id, amount_minor, cause, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(Uuid::now_v7())
    .bind(payment)
    .bind(invoice)
    .bind(amount_minor)
    .bind(cause.as_str())
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// A payment's net allocation per invoice, latest first (the order a
/// refund takes money back). Ids are UUIDv7, so the largest id of a group
/// is its latest row.
pub async fn allocations_of_payment(tx: &mut Tx, scope: &ClinicScope, payment: Uuid) -> Result<Vec<(Uuid, i64)>, ServiceError> {
    let rows: Vec<(Uuid, i64)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT invoice_id, CAST(SUM(amount_minor) AS BIGINT) FROM payment_allocations
         WHERE clinic_id = $1 AND payment_id = $2
         GROUP BY invoice_id HAVING SUM(amount_minor) > 0 ORDER BY MAX(created_at) DESC, invoice_id DESC",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(payment)
    .fetch_all(c)
    .await)?;
    Ok(rows)
}

/// An invoice's net allocation per payment, latest first.
pub async fn allocations_on_invoice(tx: &mut Tx, scope: &ClinicScope, invoice: Uuid) -> Result<Vec<(Uuid, i64)>, ServiceError> {
    let rows: Vec<(Uuid, i64)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT payment_id, CAST(SUM(amount_minor) AS BIGINT) FROM payment_allocations
         WHERE clinic_id = $1 AND invoice_id = $2
         GROUP BY payment_id HAVING SUM(amount_minor) > 0 ORDER BY MAX(created_at) DESC, payment_id DESC",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(invoice)
    .fetch_all(c)
    .await)?;
    Ok(rows)
}

/// A patient's payments, oldest first.
pub async fn for_patient(tx: &mut Tx, scope: &ClinicScope, patient: PatientId) -> Result<Vec<PaymentRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, PaymentRow>(&format!(
        "SELECT {COLUMNS} FROM payments WHERE clinic_id = $1 AND patient_id = $2 ORDER BY received_at, receipt_number"
    ))
    .bind(scope.clinic_id().as_uuid())
    .bind(patient.as_uuid())
    .fetch_all(c)
    .await)?)
}

pub struct NewRefund<'a> {
    pub payment_id: Uuid,
    pub amount_minor: i64,
    pub method: PaymentMethod,
    pub reason: &'a str,
    pub refunded_by: Option<MembershipId>,
}

pub async fn insert_refund(tx: &mut Tx, scope: &ClinicScope, r: NewRefund<'_>, now: DbTime) -> Result<RefundId, ServiceError> {
    let id = RefundId::generate();
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO refunds (clinic_id, id, payment_id, amount_minor, method, reason, refunded_at, refunded_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id.as_uuid())
    .bind(r.payment_id)
    .bind(r.amount_minor)
    .bind(r.method.as_str())
    .bind(r.reason)
    .bind(now)
    .bind(r.refunded_by.map(|m| m.as_uuid()))
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(id)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RefundRow {
    pub id: Uuid,
    pub payment_id: Uuid,
    pub amount_minor: i64,
    pub method: String,
    pub reason: String,
    pub refunded_at: DbTime,
    pub refunded_by: Option<Uuid>,
}

pub async fn refunds_for_patient(tx: &mut Tx, scope: &ClinicScope, patient: PatientId) -> Result<Vec<RefundRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, RefundRow>(
        "SELECT r.id, r.payment_id, r.amount_minor, r.method, r.reason, r.refunded_at, r.refunded_by
         FROM refunds r JOIN payments p ON p.clinic_id = r.clinic_id AND p.id = r.payment_id
         WHERE r.clinic_id = $1 AND p.patient_id = $2 ORDER BY r.refunded_at, r.id",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(patient.as_uuid())
    .fetch_all(c)
    .await)?)
}

/// Money movements in `[from, to)` with who handled them, for the cash-up
/// and the export: payments (positive) and refunds (negative).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MovementRow {
    pub kind: String,
    pub id: Uuid,
    pub patient_id: Uuid,
    pub method: String,
    pub currency: String,
    pub amount_minor: i64,
    pub at: DbTime,
    pub staff_name: Option<String>,
    pub receipt_number: i64,
    pub reference: Option<String>,
}

pub async fn movements_between(tx: &mut Tx, scope: &ClinicScope, from: DbTime, to: DbTime) -> Result<Vec<MovementRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, MovementRow>(
        "SELECT 'payment' AS kind, p.id, p.patient_id, p.method, p.currency, p.amount_minor, p.received_at AS at,
                u.name AS staff_name, p.receipt_number, p.reference
         FROM payments p
         LEFT JOIN memberships m ON m.clinic_id = p.clinic_id AND m.id = p.received_by
         LEFT JOIN users u ON u.id = m.user_id
         WHERE p.clinic_id = $1 AND p.received_at >= $2 AND p.received_at < $3
         UNION ALL
         SELECT 'refund' AS kind, r.id, p.patient_id, r.method, p.currency, -r.amount_minor, r.refunded_at AS at,
                u.name AS staff_name, p.receipt_number, r.reason
         FROM refunds r
         JOIN payments p ON p.clinic_id = r.clinic_id AND p.id = r.payment_id
         LEFT JOIN memberships m ON m.clinic_id = r.clinic_id AND m.id = r.refunded_by
         LEFT JOIN users u ON u.id = m.user_id
         WHERE r.clinic_id = $1 AND r.refunded_at >= $2 AND r.refunded_at < $3
         ORDER BY at, kind",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(from)
    .bind(to)
    .fetch_all(c)
    .await)?)
}

/// A patient's payments that still hold credit, oldest first.
pub async fn with_credit(tx: &mut Tx, scope: &ClinicScope, patient: PatientId) -> Result<Vec<PaymentRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, PaymentRow>(&format!(
        "SELECT {COLUMNS} FROM payments
         WHERE clinic_id = $1 AND patient_id = $2 AND amount_minor - allocated_minor - refunded_minor > 0
         ORDER BY received_at, receipt_number"
    ))
    .bind(scope.clinic_id().as_uuid())
    .bind(patient.as_uuid())
    .fetch_all(c)
    .await)?)
}

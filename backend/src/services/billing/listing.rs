//! The lists the billing screens open with: the clinic's invoices (money
//! due first), the completed visits not yet invoiced, and the payments on
//! an invoice or of a patient (to print a receipt or refund one). Names of
//! restricted records are hidden from those outside the care team, as in
//! the patient list; opening one still goes through `patients::load_for`.

use super::{actor, document_label, load_invoice, or_denied, require, stored_currency, ClinicBilling};
use crate::{
    audit::{self, Entry},
    error::ServiceError,
    repo::{
        self,
        invoices::{ListFilter, ListRow},
        payments::PaymentRow,
    },
    scope::AuthContext,
    time::DbTime,
    Services,
};
use ambula_domain::{
    billing::{InvoiceStatus, Money, PaymentMethod},
    AppointmentId, InvoiceId, PatientId, PaymentId, Permission,
};
use chrono::{Duration, NaiveDate};
use std::collections::HashMap;

/// At most this many documents per list.
const PAGE: i64 = 200;
/// Completed visits older than this are not offered for invoicing here
/// (they can still be invoiced by hand).
const UNINVOICED_DAYS: i64 = 60;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClinicInvoiceItem {
    pub id: InvoiceId,
    pub label: String,
    pub is_credit_note: bool,
    pub patient_id: PatientId,
    /// "MRN Given Family", or "MRN (restricted)".
    pub patient: String,
    pub status: InvoiceStatus,
    pub total: Money,
    pub due: Money,
    pub due_on: Option<NaiveDate>,
    pub issued_at: Option<DbTime>,
}

impl ListFilter {
    pub fn parse(raw: &str) -> Result<Self, ServiceError> {
        Ok(match raw.trim() {
            "" | "all" => ListFilter::All,
            "outstanding" => ListFilter::Outstanding,
            "draft" => ListFilter::Draft,
            "paid" => ListFilter::Paid,
            "void" => ListFilter::Void,
            "credit_notes" => ListFilter::CreditNotes,
            _ => return Err(ServiceError::field("status", "Choose a status from the list.")),
        })
    }
}

/// Restricted patients among `ids` the caller may see by name.
async fn visible_restricted(
    tx: &mut crate::db::Tx,
    ctx: &AuthContext,
    restricted: Vec<uuid::Uuid>,
    now: DbTime,
) -> Result<HashMap<uuid::Uuid, Option<DbTime>>, ServiceError> {
    repo::registry::restricted_access(tx, &ctx.scope, ctx.membership_id, &restricted, now).await
}

fn patient_label(mrn: &str, given: &str, family: &str, shown: bool) -> String {
    if shown {
        format!("{mrn} {given} {family}")
    } else {
        format!("{mrn} (restricted)")
    }
}

fn item(row: &ListRow, shown: bool) -> Result<ClinicInvoiceItem, ServiceError> {
    let currency = stored_currency(&row.currency)?;
    let status = InvoiceStatus::parse(&row.status)
        .ok_or_else(|| ServiceError::Internal(format!("unknown invoice status {:?} in database", row.status)))?;
    let due = match row.status.as_str() {
        "issued" | "partially_paid" | "paid" | "credited" if row.kind == "invoice" => row.total_minor - row.credited_minor - row.paid_minor,
        _ => 0,
    };
    Ok(ClinicInvoiceItem {
        id: InvoiceId::from_uuid(row.id),
        label: document_label(&row.kind, row.number),
        is_credit_note: row.kind == "credit_note",
        patient_id: PatientId::from_uuid(row.patient_id),
        patient: patient_label(&row.mrn, &row.given_name, &row.family_name, shown),
        status,
        total: Money::new(row.total_minor, currency),
        due: Money::new(due, currency),
        due_on: row.due_on,
        issued_at: row.issued_at,
    })
}

/// The clinic's invoices and credit notes, filtered by `status` ("",
/// "outstanding", "draft", "paid", "void", "credit_notes").
pub async fn list(services: &Services, ctx: &AuthContext, status: &str) -> Result<Vec<ClinicInvoiceItem>, ServiceError> {
    require(services, ctx, Permission::ViewBilling, "invoice.list", "clinic", "").await?;
    let filter = ListFilter::parse(status)?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let rows = repo::invoices::list_clinic(&mut tx, &ctx.scope, filter, PAGE).await?;
    let restricted: Vec<uuid::Uuid> = rows.iter().filter(|r| r.restricted).map(|r| r.patient_id).collect();
    let visible = visible_restricted(&mut tx, ctx, restricted, now).await?;
    let items = rows
        .iter()
        .map(|r| item(r, !r.restricted || visible.contains_key(&r.patient_id)))
        .collect::<Result<Vec<_>, _>>()?;
    let entry = Entry::ok("invoice.list", "clinic", ctx.scope.clinic_id()).detail(format!("filter {status:?}, {} documents", items.len()));
    audit::record(&mut tx, &ctx.scope, &actor(ctx), entry, now).await?;
    tx.commit().await?;
    Ok(items)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UninvoicedVisit {
    pub appointment_id: AppointmentId,
    pub patient_id: PatientId,
    pub patient: String,
    /// Local date and time, "2026-11-24 09:30".
    pub when: String,
    pub practitioner: String,
    pub kind: String,
}

/// Completed visits of the last 60 days with no invoice yet.
pub async fn uninvoiced_visits(services: &Services, ctx: &AuthContext) -> Result<Vec<UninvoicedVisit>, ServiceError> {
    require(services, ctx, Permission::ViewBilling, "invoice.list", "clinic", "").await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let billing = ClinicBilling::load(&mut tx, ctx).await?;
    let from = billing.day_start(billing.today(now) - Duration::days(UNINVOICED_DAYS));
    let rows = repo::appointments::completed_uninvoiced(&mut tx, &ctx.scope, from, 100).await?;
    let restricted: Vec<uuid::Uuid> = rows.iter().filter(|r| r.restricted).map(|r| r.patient_id).collect();
    let visible = visible_restricted(&mut tx, ctx, restricted, now).await?;
    let visits: Vec<UninvoicedVisit> = rows
        .iter()
        .map(|r| UninvoicedVisit {
            appointment_id: AppointmentId::from_uuid(r.id),
            patient_id: PatientId::from_uuid(r.patient_id),
            patient: patient_label(&r.mrn, &r.given_name, &r.family_name, !r.restricted || visible.contains_key(&r.patient_id)),
            when: r.starts_at.0.with_timezone(&billing.tz).format("%Y-%m-%d %H:%M").to_string(),
            practitioner: r.practitioner_name.clone(),
            kind: r.type_name.clone(),
        })
        .collect();
    let entry = Entry::ok("invoice.list", "clinic", ctx.scope.clinic_id()).detail(format!("{} visits to invoice", visits.len()));
    audit::record(&mut tx, &ctx.scope, &actor(ctx), entry, now).await?;
    tx.commit().await?;
    Ok(visits)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentItem {
    pub id: PaymentId,
    /// "RCT-000007".
    pub label: String,
    pub method: PaymentMethod,
    pub amount: Money,
    /// On the invoice asked about (the payment's whole amount for a
    /// patient's list).
    pub applied: Money,
    pub refunded: Money,
    /// What can still be refunded.
    pub refundable: Money,
    pub received_at: DbTime,
    pub reference: Option<String>,
}

fn payment_item(p: &PaymentRow, applied: i64) -> Result<PaymentItem, ServiceError> {
    let currency = stored_currency(&p.currency)?;
    Ok(PaymentItem {
        id: PaymentId::from_uuid(p.id),
        label: format!("RCT-{:06}", p.receipt_number),
        method: p.method()?,
        amount: Money::new(p.amount_minor, currency),
        applied: Money::new(applied, currency),
        refunded: Money::new(p.refunded_minor, currency),
        refundable: Money::new(p.amount_minor - p.refunded_minor, currency),
        received_at: p.received_at,
        reference: p.reference.clone(),
    })
}

/// The payments with money on an invoice, latest first.
pub async fn payments_on_invoice(services: &Services, ctx: &AuthContext, invoice_id: &str) -> Result<Vec<PaymentItem>, ServiceError> {
    require(services, ctx, Permission::ViewBilling, "payment.list", "invoice", invoice_id).await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let (row, patient) = or_denied!(tx, load_invoice(&mut tx, ctx, invoice_id, "payment.list", now).await?);
    let mut items = Vec::new();
    for (payment, amount) in repo::payments::allocations_on_invoice(&mut tx, &ctx.scope, row.id).await? {
        let p = repo::payments::get(&mut tx, &ctx.scope, PaymentId::from_uuid(payment)).await?.ok_or(ServiceError::NotFound)?;
        items.push(payment_item(&p, amount)?);
    }
    let entry = Entry::ok("payment.list", "invoice", row.id).patient(patient.id).detail(format!("{} payments", items.len()));
    audit::record(&mut tx, &ctx.scope, &actor(ctx), entry, now).await?;
    tx.commit().await?;
    Ok(items)
}

/// A patient's payments, latest first.
pub async fn payments_of_patient(services: &Services, ctx: &AuthContext, patient_id: &str) -> Result<Vec<PaymentItem>, ServiceError> {
    require(services, ctx, Permission::ViewBilling, "payment.list", "patient", patient_id).await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let (patient, _) = or_denied!(tx, crate::services::patients::load_for(&mut tx, ctx, patient_id, "payment.list", now).await?);
    let rows = repo::payments::for_patient(&mut tx, &ctx.scope, PatientId::from_uuid(patient.id)).await?;
    let items = rows.iter().rev().map(|p| payment_item(p, p.amount_minor)).collect::<Result<Vec<_>, _>>()?;
    let entry = Entry::ok("payment.list", "patient", patient.id).patient(patient.id).detail(format!("{} payments", items.len()));
    audit::record(&mut tx, &ctx.scope, &actor(ctx), entry, now).await?;
    tx.commit().await?;
    Ok(items)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimItem {
    pub id: uuid::Uuid,
    /// "CLM-000003".
    pub label: String,
    pub invoice_id: InvoiceId,
    pub invoice_label: String,
    pub patient_id: PatientId,
    /// "MRN Given Family", or "MRN (restricted)".
    pub patient: String,
    /// "Médis · member 123".
    pub payer: String,
    pub status: ambula_domain::billing::ClaimStatus,
    pub amount: Money,
    pub paid: Money,
    pub created_at: DbTime,
}

/// The clinic's insurance claims, newest first, filtered by `status` (""
/// for all, or "draft", "submitted", "accepted", "denied", "paid").
/// Diagnosis codes stay on the invoice's page, unsealed only there.
pub async fn claims(services: &Services, ctx: &AuthContext, status: &str) -> Result<Vec<ClaimItem>, ServiceError> {
    use ambula_domain::billing::ClaimStatus;
    require(services, ctx, Permission::ViewBilling, "claim.list", "clinic", "").await?;
    let filter = match status.trim() {
        "" | "all" => None,
        raw => Some(ClaimStatus::from_db(raw).ok_or_else(|| ServiceError::field("status", "Choose a claim status from the list."))?),
    };
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let rows = repo::insurance::list_clinic(&mut tx, &ctx.scope, filter, PAGE).await?;
    let restricted: Vec<uuid::Uuid> = rows.iter().filter(|r| r.restricted).map(|r| r.patient_id).collect();
    let visible = visible_restricted(&mut tx, ctx, restricted, now).await?;
    let items = rows
        .iter()
        .map(|r| -> Result<ClaimItem, ServiceError> {
            let currency = stored_currency(&r.currency)?;
            Ok(ClaimItem {
                id: r.id,
                label: format!("CLM-{:06}", r.number),
                invoice_id: InvoiceId::from_uuid(r.invoice_id),
                invoice_label: document_label(&r.invoice_kind, r.invoice_number),
                patient_id: PatientId::from_uuid(r.patient_id),
                patient: patient_label(&r.mrn, &r.given_name, &r.family_name, !r.restricted || visible.contains_key(&r.patient_id)),
                payer: format!("{} · member {}", r.payer_name, r.member_id),
                status: ClaimStatus::from_db(&r.status).ok_or_else(|| ServiceError::Internal(format!("unknown claim status {:?}", r.status)))?,
                amount: Money::new(r.amount_minor, currency),
                paid: Money::new(r.paid_minor, currency),
                created_at: r.created_at,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let entry = Entry::ok("claim.list", "clinic", ctx.scope.clinic_id()).detail(format!("filter {status:?}, {} claims", items.len()));
    audit::record(&mut tx, &ctx.scope, &actor(ctx), entry, now).await?;
    tx.commit().await?;
    Ok(items)
}

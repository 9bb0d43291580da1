//! Invoices and credit notes (one table, `kind`), their lines, and the
//! per-clinic counters that number them without gaps. Issued documents are
//! final: the functions that change amounts or lines only touch drafts
//! (`AND status = 'draft'`), and the database's triggers refuse anything
//! else (migrations/*/20261125000006_billing.sql).

use crate::{db::Tx, error::ServiceError, on_tx, scope::ClinicScope, time::DbTime};
use ambula_domain::{
    billing::{DocumentTotals, InvoiceStatus, LineSpec},
    AppointmentId, InvoiceId, MembershipId, PatientId, PayerId,
};
use chrono::NaiveDate;
use uuid::Uuid;

/// The numbering series: invoices, credit notes and receipts each count
/// from 1 per clinic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Series {
    Invoice,
    CreditNote,
    Receipt,
    Claim,
}

impl Series {
    fn as_str(self) -> &'static str {
        match self {
            Series::Invoice => "invoice",
            Series::CreditNote => "credit_note",
            Series::Receipt => "receipt",
            Series::Claim => "claim",
        }
    }
}

/// The next number of a series, inside the caller's transaction. The
/// counter row is created on first use; `UPDATE … RETURNING` then takes its
/// row lock (PostgreSQL) — SQLite write transactions are already serial —
/// so concurrent issues get consecutive numbers, and a rolled-back issue
/// gives its number back: no gaps, no duplicates.
pub async fn next_number(tx: &mut Tx, scope: &ClinicScope, series: Series) -> Result<i64, ServiceError> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO billing_counters (clinic_id, id, series, last_number) VALUES ($1, $2, $3, 0)
         ON CONFLICT (clinic_id, series) DO NOTHING",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(Uuid::now_v7())
    .bind(series.as_str())
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    let (n,): (i64,) = on_tx!(tx, c => sqlx::query_as(
        "UPDATE billing_counters SET last_number = last_number + 1 WHERE clinic_id = $1 AND series = $2
         RETURNING last_number",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(series.as_str())
    .fetch_one(c)
    .await)?;
    Ok(n)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InvoiceRow {
    pub id: Uuid,
    pub kind: String,
    pub patient_id: Uuid,
    pub number: Option<i64>,
    pub currency: String,
    pub subtotal_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    pub paid_minor: i64,
    pub credited_minor: i64,
    pub status: String,
    pub credit_of: Option<Uuid>,
    pub appointment_id: Option<Uuid>,
    pub payer_id: Option<Uuid>,
    pub due_on: Option<NaiveDate>,
    pub note: Option<String>,
    pub reason: Option<String>,
    pub issued_at: Option<DbTime>,
    pub void_reason: Option<String>,
    pub voided_at: Option<DbTime>,
    pub created_at: DbTime,
}

impl InvoiceRow {
    pub fn status(&self) -> Result<InvoiceStatus, ServiceError> {
        InvoiceStatus::parse(&self.status)
            .ok_or_else(|| ServiceError::Internal(format!("unknown invoice status {:?} in database", self.status)))
    }

    pub fn is_credit_note(&self) -> bool {
        self.kind == "credit_note"
    }

    /// Still owed on it (0 for drafts, void invoices and credit notes).
    pub fn due_minor(&self) -> i64 {
        match self.status.as_str() {
            "issued" | "partially_paid" | "paid" | "credited" if self.kind == "invoice" => {
                self.total_minor - self.credited_minor - self.paid_minor
            }
            _ => 0,
        }
    }
}

const COLUMNS: &str = "id, kind, patient_id, number, currency, subtotal_minor, tax_minor, total_minor, paid_minor, \
                       credited_minor, status, credit_of, appointment_id, payer_id, due_on, note, reason, issued_at, void_reason, \
                       voided_at, created_at";

pub struct NewDocument<'a> {
    pub credit_of: Option<InvoiceId>,
    pub patient_id: PatientId,
    pub currency: &'a str,
    pub appointment_id: Option<AppointmentId>,
    pub payer_id: Option<PayerId>,
    pub due_on: Option<NaiveDate>,
    pub note: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub created_by: Option<MembershipId>,
}

/// A new draft (invoice, or credit note when `credit_of` is set) with no
/// lines and zero totals.
pub async fn insert_draft(tx: &mut Tx, scope: &ClinicScope, doc: NewDocument<'_>, now: DbTime) -> Result<InvoiceId, ServiceError> {
    let id = InvoiceId::generate();
    let kind = if doc.credit_of.is_some() { "credit_note" } else { "invoice" };
    let result = on_tx!(tx, c => sqlx::query(
        "INSERT INTO invoices (clinic_id, id, kind, patient_id, number, currency, subtotal_minor, tax_minor, total_minor,
                               paid_minor, credited_minor, status, credit_of, appointment_id, due_on, note, reason,
                               created_by, created_at, updated_at, payer_id)
         VALUES ($1, $2, $3, $4, NULL, $5, 0, 0, 0, 0, 0, 'draft', $6, $7, $8, $9, $10, $11, $12, $12, $13)",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id.as_uuid())
    .bind(kind)
    .bind(doc.patient_id.as_uuid())
    .bind(doc.currency)
    .bind(doc.credit_of.map(|i| i.as_uuid()))
    .bind(doc.appointment_id.map(|a| a.as_uuid()))
    .bind(doc.due_on)
    .bind(doc.note)
    .bind(doc.reason)
    .bind(doc.created_by.map(|m| m.as_uuid()))
    .bind(now)
    .bind(doc.payer_id.map(|p| p.as_uuid()))
    .execute(c)
    .await.map(|r| r.rows_affected()));
    super::unique_as_field(result, "appointment_id", "This appointment already has an invoice.")?;
    Ok(id)
}

/// Replaces a draft's lines and totals. `sign` is 1 for an invoice and -1
/// for a credit note (whose amounts are stored negative; quantities and
/// prices stay as typed). Returns false if the document is not a draft.
pub async fn set_lines(
    tx: &mut Tx,
    scope: &ClinicScope,
    id: InvoiceId,
    lines: &[LineSpec],
    sign: i64,
    now: DbTime,
) -> Result<bool, ServiceError> {
    let clinic = scope.clinic_id().as_uuid();
    let mut amounts = Vec::with_capacity(lines.len());
    for line in lines {
        amounts.push(if sign < 0 {
            line.amounts.negated().map_err(|e| ServiceError::field("lines", e.to_parse_error().0))?
        } else {
            line.amounts
        });
    }
    let currency = lines.first().map(|l| l.input.unit_price.currency);
    let totals = match currency {
        Some(c) => DocumentTotals::of(c, &amounts).map_err(|e| ServiceError::field("lines", e.to_parse_error().0))?,
        None => return Err(ServiceError::field("lines", "Add at least one line.")),
    };
    let updated = on_tx!(tx, c => sqlx::query(
        "UPDATE invoices SET subtotal_minor = $3, tax_minor = $4, total_minor = $5, updated_at = $6
         WHERE clinic_id = $1 AND id = $2 AND status = 'draft'",
    )
    .bind(clinic)
    .bind(id.as_uuid())
    .bind(totals.subtotal.minor)
    .bind(totals.tax.minor)
    .bind(totals.total.minor)
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    if updated != 1 {
        return Ok(false);
    }
    on_tx!(tx, c => sqlx::query("DELETE FROM invoice_lines WHERE clinic_id = $1 AND invoice_id = $2")
        .bind(clinic)
        .bind(id.as_uuid())
        .execute(c)
        .await.map(|r| r.rows_affected()))?;
    for (position, (line, amounts)) in lines.iter().zip(&amounts).enumerate() {
        on_tx!(tx, c => sqlx::query(
            "INSERT INTO invoice_lines (clinic_id, id, invoice_id, position, service_id, code, description, quantity_milli,
                                        unit_price_minor, discount_minor, tax_rate_bp, net_minor, tax_minor, total_minor,
                                        created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        )
        .bind(clinic)
        .bind(Uuid::now_v7())
        .bind(id.as_uuid())
        .bind(position as i32)
        .bind(line.service_id.map(|s| s.as_uuid()))
        .bind(line.code.as_deref())
        .bind(&line.description)
        .bind(line.input.quantity.thousandths())
        .bind(line.input.unit_price.minor)
        .bind(line.input.discount.minor)
        .bind(line.input.tax_rate.basis_points() as i32)
        .bind(amounts.net.minor)
        .bind(amounts.tax.minor)
        .bind(amounts.total.minor)
        .bind(now)
        .execute(c)
        .await.map(|r| r.rows_affected()))?;
    }
    Ok(true)
}

/// A draft's due date and note.
pub async fn set_draft_details(
    tx: &mut Tx,
    scope: &ClinicScope,
    id: InvoiceId,
    due_on: Option<NaiveDate>,
    note: Option<&str>,
    now: DbTime,
) -> Result<bool, ServiceError> {
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE invoices SET due_on = $3, note = $4, updated_at = $5 WHERE clinic_id = $1 AND id = $2 AND status = 'draft'",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id.as_uuid())
    .bind(due_on)
    .bind(note)
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub struct Issue {
    pub number: i64,
    pub issued_at: DbTime,
    pub issued_by: Option<MembershipId>,
    pub due_on: NaiveDate,
    pub status: InvoiceStatus,
}

/// Draft → issued, with its number. False if it was no longer a draft.
pub async fn issue(tx: &mut Tx, scope: &ClinicScope, id: InvoiceId, issue: Issue) -> Result<bool, ServiceError> {
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE invoices SET number = $3, issued_at = $4, issued_by = $5, due_on = $6, status = $7, updated_at = $4
         WHERE clinic_id = $1 AND id = $2 AND status = 'draft'",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id.as_uuid())
    .bind(issue.number)
    .bind(issue.issued_at)
    .bind(issue.issued_by.map(|m| m.as_uuid()))
    .bind(issue.due_on)
    .bind(issue.status.as_str())
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// What has been paid and credited on an issued invoice, and the status
/// that follows. The amounts and lines are not touched (they cannot be).
pub async fn set_settlement(
    tx: &mut Tx,
    scope: &ClinicScope,
    id: Uuid,
    paid_minor: i64,
    credited_minor: i64,
    now: DbTime,
) -> Result<(), ServiceError> {
    let row = get(tx, scope, InvoiceId::from_uuid(id)).await?.ok_or(ServiceError::NotFound)?;
    let status = InvoiceStatus::of_issued(row.total_minor, credited_minor, paid_minor);
    on_tx!(tx, c => sqlx::query(
        "UPDATE invoices SET paid_minor = $3, credited_minor = $4, status = $5, updated_at = $6
         WHERE clinic_id = $1 AND id = $2 AND kind = 'invoice' AND status IN ('issued', 'partially_paid', 'paid', 'credited')",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id)
    .bind(paid_minor)
    .bind(credited_minor)
    .bind(status.as_str())
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn void(tx: &mut Tx, scope: &ClinicScope, id: InvoiceId, reason: &str, by: MembershipId, now: DbTime) -> Result<bool, ServiceError> {
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE invoices SET status = 'void', void_reason = $3, voided_by = $4, voided_at = $5, updated_at = $5
         WHERE clinic_id = $1 AND id = $2 AND kind = 'invoice' AND status = 'issued' AND paid_minor = 0 AND credited_minor = 0",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id.as_uuid())
    .bind(reason)
    .bind(by.as_uuid())
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Deletes a draft and its lines. False if it is not a draft.
pub async fn delete_draft(tx: &mut Tx, scope: &ClinicScope, id: InvoiceId) -> Result<bool, ServiceError> {
    let clinic = scope.clinic_id().as_uuid();
    let Some(row) = get(tx, scope, id).await? else {
        return Ok(false);
    };
    if row.status != "draft" {
        return Ok(false);
    }
    on_tx!(tx, c => sqlx::query("DELETE FROM invoice_lines WHERE clinic_id = $1 AND invoice_id = $2")
        .bind(clinic)
        .bind(id.as_uuid())
        .execute(c)
        .await.map(|r| r.rows_affected()))?;
    let n = on_tx!(tx, c => sqlx::query("DELETE FROM invoices WHERE clinic_id = $1 AND id = $2 AND status = 'draft'")
        .bind(clinic)
        .bind(id.as_uuid())
        .execute(c)
        .await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub async fn get(tx: &mut Tx, scope: &ClinicScope, id: InvoiceId) -> Result<Option<InvoiceRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, InvoiceRow>(&format!(
        "SELECT {COLUMNS} FROM invoices WHERE clinic_id = $1 AND id = $2"
    ))
    .bind(scope.clinic_id().as_uuid())
    .bind(id.as_uuid())
    .fetch_optional(c)
    .await)?)
}

/// Serializes changes to one invoice (PostgreSQL; SQLite write
/// transactions are already serial).
pub async fn lock(tx: &mut Tx, scope: &ClinicScope, id: InvoiceId) -> Result<(), ServiceError> {
    if let Tx::Postgres(t) = tx {
        sqlx::query("SELECT 1 FROM invoices WHERE clinic_id = $1 AND id = $2 FOR UPDATE")
            .bind(scope.clinic_id().as_uuid())
            .bind(id.as_uuid())
            .execute(&mut **t)
            .await?;
    }
    Ok(())
}

/// A patient's documents, newest first.
pub async fn for_patient(tx: &mut Tx, scope: &ClinicScope, patient: PatientId) -> Result<Vec<InvoiceRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, InvoiceRow>(&format!(
        "SELECT {COLUMNS} FROM invoices WHERE clinic_id = $1 AND patient_id = $2 ORDER BY created_at DESC, id DESC"
    ))
    .bind(scope.clinic_id().as_uuid())
    .bind(patient.as_uuid())
    .fetch_all(c)
    .await)?)
}

/// A patient's invoices with money still due, oldest due date first: the
/// order payments are put on them.
pub async fn open_for_patient(tx: &mut Tx, scope: &ClinicScope, patient: PatientId) -> Result<Vec<InvoiceRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, InvoiceRow>(&format!(
        "SELECT {COLUMNS} FROM invoices
         WHERE clinic_id = $1 AND patient_id = $2 AND kind = 'invoice' AND status IN ('issued', 'partially_paid')
           AND total_minor - credited_minor - paid_minor > 0
         ORDER BY due_on, number"
    ))
    .bind(scope.clinic_id().as_uuid())
    .bind(patient.as_uuid())
    .fetch_all(c)
    .await)?)
}

pub async fn credit_notes_of(tx: &mut Tx, scope: &ClinicScope, invoice: InvoiceId) -> Result<Vec<InvoiceRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, InvoiceRow>(&format!(
        "SELECT {COLUMNS} FROM invoices WHERE clinic_id = $1 AND credit_of = $2 AND status <> 'draft' ORDER BY number"
    ))
    .bind(scope.clinic_id().as_uuid())
    .bind(invoice.as_uuid())
    .fetch_all(c)
    .await)?)
}

/// Issued documents (invoices and credit notes, void included) issued in
/// `[from, to)`, for reports and the export.
pub async fn issued_between(tx: &mut Tx, scope: &ClinicScope, from: DbTime, to: DbTime) -> Result<Vec<InvoiceRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, InvoiceRow>(&format!(
        "SELECT {COLUMNS} FROM invoices
         WHERE clinic_id = $1 AND status <> 'draft' AND issued_at >= $2 AND issued_at < $3
         ORDER BY issued_at, kind, number"
    ))
    .bind(scope.clinic_id().as_uuid())
    .bind(from)
    .bind(to)
    .fetch_all(c)
    .await)?)
}

/// Every invoice with money due, for the aging report.
pub async fn open_all(tx: &mut Tx, scope: &ClinicScope) -> Result<Vec<InvoiceRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, InvoiceRow>(&format!(
        "SELECT {COLUMNS} FROM invoices
         WHERE clinic_id = $1 AND kind = 'invoice' AND status IN ('issued', 'partially_paid')
           AND total_minor - credited_minor - paid_minor > 0
         ORDER BY due_on, number"
    ))
    .bind(scope.clinic_id().as_uuid())
    .fetch_all(c)
    .await)?)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LineRow {
    pub id: Uuid,
    pub invoice_id: Uuid,
    pub position: i32,
    pub service_id: Option<Uuid>,
    pub code: Option<String>,
    pub description: String,
    pub quantity_milli: i64,
    pub unit_price_minor: i64,
    pub discount_minor: i64,
    pub tax_rate_bp: i32,
    pub net_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
}

const LINE_COLUMNS: &str = "id, invoice_id, position, service_id, code, description, quantity_milli, unit_price_minor, \
                            discount_minor, tax_rate_bp, net_minor, tax_minor, total_minor";

pub async fn lines(tx: &mut Tx, scope: &ClinicScope, invoice: InvoiceId) -> Result<Vec<LineRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, LineRow>(&format!(
        "SELECT {LINE_COLUMNS} FROM invoice_lines WHERE clinic_id = $1 AND invoice_id = $2 ORDER BY position"
    ))
    .bind(scope.clinic_id().as_uuid())
    .bind(invoice.as_uuid())
    .fetch_all(c)
    .await)?)
}

/// Lines of the documents issued in `[from, to)` (revenue by service).
pub async fn lines_issued_between(tx: &mut Tx, scope: &ClinicScope, from: DbTime, to: DbTime) -> Result<Vec<LineRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, LineRow>(
        "SELECT l.id, l.invoice_id, l.position, l.service_id, l.code, l.description, l.quantity_milli, l.unit_price_minor,
                l.discount_minor, l.tax_rate_bp, l.net_minor, l.tax_minor, l.total_minor
         FROM invoice_lines l JOIN invoices i ON i.clinic_id = l.clinic_id AND i.id = l.invoice_id
         WHERE l.clinic_id = $1 AND i.status NOT IN ('draft', 'void') AND i.issued_at >= $2 AND i.issued_at < $3
         ORDER BY i.issued_at, l.invoice_id, l.position",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(from)
    .bind(to)
    .fetch_all(c)
    .await)?)
}

/// Sum still owed on issued invoices, in minor units of the clinic currency.
pub async fn outstanding_minor(tx: &mut Tx, scope: &ClinicScope) -> Result<i64, ServiceError> {
    let (n,): (Option<i64>,) = on_tx!(tx, c => sqlx::query_as(
        "SELECT CAST(SUM(total_minor - credited_minor - paid_minor) AS BIGINT) FROM invoices
         WHERE clinic_id = $1 AND kind = 'invoice' AND status IN ('issued', 'partially_paid')",
    )
    .bind(scope.clinic_id().as_uuid())
    .fetch_one(c)
    .await)?;
    Ok(n.unwrap_or(0))
}

/// Whether an appointment has a live (not void) invoice.
pub async fn appointment_invoiced(tx: &mut Tx, scope: &ClinicScope, appointment: AppointmentId) -> Result<bool, ServiceError> {
    let (n,): (i64,) = on_tx!(tx, c => sqlx::query_as(
        "SELECT COUNT(*) FROM invoices WHERE clinic_id = $1 AND appointment_id = $2 AND kind = 'invoice' AND status <> 'void'",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(appointment.as_uuid())
    .fetch_one(c)
    .await)?;
    Ok(n > 0)
}

/// A line of the clinic's invoice list: the document and its patient's
/// name (the service hides names of restricted records).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ListRow {
    pub id: Uuid,
    pub kind: String,
    pub patient_id: Uuid,
    pub number: Option<i64>,
    pub currency: String,
    pub total_minor: i64,
    pub paid_minor: i64,
    pub credited_minor: i64,
    pub status: String,
    pub due_on: Option<NaiveDate>,
    pub issued_at: Option<DbTime>,
    pub created_at: DbTime,
    pub mrn: String,
    pub given_name: String,
    pub family_name: String,
    pub restricted: bool,
}

/// Which documents the clinic's list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListFilter {
    All,
    /// Issued or partly paid invoices with money due.
    Outstanding,
    Draft,
    Paid,
    Void,
    CreditNotes,
}

/// The clinic's documents, at most `limit`: money still due first (oldest
/// due date first, the order the desk chases them), then the rest newest
/// first.
pub async fn list_clinic(tx: &mut Tx, scope: &ClinicScope, filter: ListFilter, limit: i64) -> Result<Vec<ListRow>, ServiceError> {
    let condition = match filter {
        ListFilter::All => "",
        ListFilter::Outstanding => {
            "AND i.kind = 'invoice' AND i.status IN ('issued', 'partially_paid') AND i.total_minor - i.credited_minor - i.paid_minor > 0"
        }
        ListFilter::Draft => "AND i.status = 'draft'",
        ListFilter::Paid => "AND i.kind = 'invoice' AND i.status IN ('paid', 'credited')",
        ListFilter::Void => "AND i.status = 'void'",
        ListFilter::CreditNotes => "AND i.kind = 'credit_note'",
    };
    let sql = format!(
        "SELECT i.id, i.kind, i.patient_id, i.number, i.currency, i.total_minor, i.paid_minor, i.credited_minor, i.status,
                i.due_on, i.issued_at, i.created_at, p.mrn, p.given_name, p.family_name, p.restricted
         FROM invoices i JOIN patients p ON p.clinic_id = i.clinic_id AND p.id = i.patient_id
         WHERE i.clinic_id = $1 {condition}
         ORDER BY CASE WHEN i.kind = 'invoice' AND i.status IN ('issued', 'partially_paid')
                        AND i.total_minor - i.credited_minor - i.paid_minor > 0 THEN 0 ELSE 1 END,
                  CASE WHEN i.kind = 'invoice' AND i.status IN ('issued', 'partially_paid') THEN i.due_on END,
                  i.created_at DESC, i.id DESC
         LIMIT $2"
    );
    Ok(on_tx!(tx, c => sqlx::query_as::<_, ListRow>(&sql)
        .bind(scope.clinic_id().as_uuid())
        .bind(limit)
        .fetch_all(c)
        .await)?)
}

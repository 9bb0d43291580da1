//! Patients' insurance coverage and the claims made from invoices. The
//! diagnosis codes of a claim are stored sealed (envelope encryption); this
//! module only moves the ciphertext.

use crate::{db::Tx, error::ServiceError, on_tx, scope::ClinicScope, time::DbTime};
use ambula_domain::{
    billing::{insurance::CoverageSpec, ClaimStatus},
    InvoiceId, PatientId, PaymentId,
};
use chrono::NaiveDate;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CoverageRow {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub payer_id: Uuid,
    pub payer_name: String,
    pub member_id: String,
    pub plan: Option<String>,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub covered_percent: i32,
}

const COVERAGE: &str = "SELECT c.id, c.patient_id, c.payer_id, p.name AS payer_name, c.member_id, c.plan, c.valid_from, c.valid_to,
                               c.covered_percent
                        FROM patient_coverages c JOIN payers p ON p.clinic_id = c.clinic_id AND p.id = c.payer_id";

pub async fn insert_coverage(tx: &mut Tx, scope: &ClinicScope, patient: PatientId, spec: &CoverageSpec, now: DbTime) -> Result<Uuid, ServiceError> {
    let id = Uuid::now_v7();
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO patient_coverages (clinic_id, id, patient_id, payer_id, member_id, plan, valid_from, valid_to, covered_percent, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id)
    .bind(patient.as_uuid())
    .bind(spec.payer_id.as_uuid())
    .bind(&spec.member_id)
    .bind(spec.plan.as_deref())
    .bind(spec.valid_from)
    .bind(spec.valid_to)
    .bind(i32::from(spec.covered_percent))
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(id)
}

pub async fn coverage(tx: &mut Tx, scope: &ClinicScope, id: Uuid) -> Result<Option<CoverageRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, CoverageRow>(&format!("{COVERAGE} WHERE c.clinic_id = $1 AND c.id = $2"))
        .bind(scope.clinic_id().as_uuid())
        .bind(id)
        .fetch_optional(c)
        .await)?)
}

pub async fn coverages_of(tx: &mut Tx, scope: &ClinicScope, patient: PatientId) -> Result<Vec<CoverageRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, CoverageRow>(&format!(
        "{COVERAGE} WHERE c.clinic_id = $1 AND c.patient_id = $2 ORDER BY c.valid_from DESC, c.id"
    ))
    .bind(scope.clinic_id().as_uuid())
    .bind(patient.as_uuid())
    .fetch_all(c)
    .await)?)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClaimRow {
    pub id: Uuid,
    pub number: i64,
    pub invoice_id: Uuid,
    pub coverage_id: Uuid,
    pub payer_id: Uuid,
    pub status: String,
    pub diagnosis_sealed: Vec<u8>,
    pub procedure_codes: String,
    pub amount_minor: i64,
    pub paid_minor: i64,
    pub denial_reason: Option<String>,
    pub remittance_reference: Option<String>,
    pub payment_id: Option<Uuid>,
}

impl ClaimRow {
    pub fn status(&self) -> Result<ClaimStatus, ServiceError> {
        ClaimStatus::from_db(&self.status).ok_or_else(|| ServiceError::Internal(format!("unknown claim status {:?}", self.status)))
    }
}

const CLAIM: &str = "SELECT id, number, invoice_id, coverage_id, payer_id, status, diagnosis_sealed, procedure_codes, amount_minor,
                            paid_minor, denial_reason, remittance_reference, payment_id FROM claims";

pub struct NewClaim<'a> {
    pub id: Uuid,
    pub number: i64,
    pub invoice_id: InvoiceId,
    pub coverage_id: Uuid,
    pub payer_id: Uuid,
    pub diagnosis_sealed: &'a [u8],
    pub procedure_codes: &'a str,
    pub amount_minor: i64,
}

pub async fn insert_claim(tx: &mut Tx, scope: &ClinicScope, claim: NewClaim<'_>, now: DbTime) -> Result<(), ServiceError> {
    let result = on_tx!(tx, c => sqlx::query(
        "INSERT INTO claims (clinic_id, id, number, invoice_id, coverage_id, payer_id, status, diagnosis_sealed, procedure_codes,
                             amount_minor, paid_minor, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'draft', $7, $8, $9, 0, $10)",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(claim.id)
    .bind(claim.number)
    .bind(claim.invoice_id.as_uuid())
    .bind(claim.coverage_id)
    .bind(claim.payer_id)
    .bind(claim.diagnosis_sealed)
    .bind(claim.procedure_codes)
    .bind(claim.amount_minor)
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()));
    super::unique_as_field(result, "invoice_id", "This invoice already has a claim in progress.")?;
    Ok(())
}

pub async fn claim(tx: &mut Tx, scope: &ClinicScope, id: Uuid) -> Result<Option<ClaimRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, ClaimRow>(&format!("{CLAIM} WHERE clinic_id = $1 AND id = $2"))
        .bind(scope.clinic_id().as_uuid())
        .bind(id)
        .fetch_optional(c)
        .await)?)
}

/// Serializes changes to one claim (PostgreSQL; SQLite is serial).
pub async fn lock_claim(tx: &mut Tx, scope: &ClinicScope, id: Uuid) -> Result<(), ServiceError> {
    if let Tx::Postgres(t) = tx {
        sqlx::query("SELECT 1 FROM claims WHERE clinic_id = $1 AND id = $2 FOR UPDATE")
            .bind(scope.clinic_id().as_uuid())
            .bind(id)
            .execute(&mut **t)
            .await?;
    }
    Ok(())
}

/// Moves a claim from `from` to `to`; false if it was no longer in `from`.
pub async fn set_status(
    tx: &mut Tx,
    scope: &ClinicScope,
    id: Uuid,
    from: ClaimStatus,
    to: ClaimStatus,
    denial_reason: Option<&str>,
    now: DbTime,
) -> Result<bool, ServiceError> {
    let submitted = (to == ClaimStatus::Submitted).then_some(now);
    let decided = matches!(to, ClaimStatus::Accepted | ClaimStatus::Denied).then_some(now);
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE claims SET status = $4, denial_reason = $5, submitted_at = COALESCE($6, submitted_at),
                           decided_at = COALESCE($7, decided_at)
         WHERE clinic_id = $1 AND id = $2 AND status = $3",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id)
    .bind(from.as_str())
    .bind(to.as_str())
    .bind(denial_reason)
    .bind(submitted)
    .bind(decided)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Records the payer's remittance on a claim: paid, with its payment.
pub async fn set_paid(
    tx: &mut Tx,
    scope: &ClinicScope,
    id: Uuid,
    paid_minor: i64,
    payment: PaymentId,
    reference: Option<&str>,
    now: DbTime,
) -> Result<bool, ServiceError> {
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE claims SET status = 'paid', paid_minor = $3, payment_id = $4, remittance_reference = $5,
                           decided_at = COALESCE(decided_at, $6)
         WHERE clinic_id = $1 AND id = $2 AND status IN ('submitted', 'accepted')",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id)
    .bind(paid_minor)
    .bind(payment.as_uuid())
    .bind(reference)
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// The claims made from an invoice, newest first.
pub async fn claims_of_invoice(tx: &mut Tx, scope: &ClinicScope, invoice: Uuid) -> Result<Vec<ClaimRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, ClaimRow>(&format!("{CLAIM} WHERE clinic_id = $1 AND invoice_id = $2 ORDER BY number DESC"))
        .bind(scope.clinic_id().as_uuid())
        .bind(invoice)
        .fetch_all(c)
        .await)?)
}

/// A line of the clinic's claims list: the claim, its invoice, payer and
/// patient (the service hides names of restricted records).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClaimListRow {
    pub id: Uuid,
    pub number: i64,
    pub status: String,
    pub amount_minor: i64,
    pub paid_minor: i64,
    pub created_at: DbTime,
    pub invoice_id: Uuid,
    pub invoice_kind: String,
    pub invoice_number: Option<i64>,
    pub currency: String,
    pub payer_name: String,
    pub member_id: String,
    pub patient_id: Uuid,
    pub mrn: String,
    pub given_name: String,
    pub family_name: String,
    pub restricted: bool,
}

/// The clinic's claims, newest first, at most `limit`; only those in
/// `status` when given.
pub async fn list_clinic(tx: &mut Tx, scope: &ClinicScope, status: Option<ClaimStatus>, limit: i64) -> Result<Vec<ClaimListRow>, ServiceError> {
    let filter = status.map(ClaimStatus::as_str);
    let condition = if filter.is_some() { "AND cl.status = $3" } else { "" };
    let sql = format!(
        "SELECT cl.id, cl.number, cl.status, cl.amount_minor, cl.paid_minor, cl.created_at, cl.invoice_id,
                i.kind AS invoice_kind, i.number AS invoice_number, i.currency, p.name AS payer_name, c.member_id,
                i.patient_id, pt.mrn, pt.given_name, pt.family_name, pt.restricted
         FROM claims cl
         JOIN invoices i ON i.clinic_id = cl.clinic_id AND i.id = cl.invoice_id
         JOIN patient_coverages c ON c.clinic_id = cl.clinic_id AND c.id = cl.coverage_id
         JOIN payers p ON p.clinic_id = cl.clinic_id AND p.id = cl.payer_id
         JOIN patients pt ON pt.clinic_id = i.clinic_id AND pt.id = i.patient_id
         WHERE cl.clinic_id = $1 {condition}
         ORDER BY cl.number DESC
         LIMIT $2"
    );
    Ok(on_tx!(tx, c => {
        let query = sqlx::query_as::<_, ClaimListRow>(&sql).bind(scope.clinic_id().as_uuid()).bind(limit);
        match filter {
            Some(status) => query.bind(status).fetch_all(c).await,
            None => query.fetch_all(c).await,
        }
    })?)
}

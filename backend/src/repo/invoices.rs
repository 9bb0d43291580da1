use crate::{db::Tx, error::ServiceError, on_tx, scope::ClinicScope, time::DbTime};
use ambula_domain::{InvoiceId, PatientId};

pub struct NewInvoice<'a> {
    pub patient_id: PatientId,
    pub number: i64,
    pub currency: &'a str,
    pub total_minor: i64,
    pub paid_minor: i64,
    pub status: &'a str,
    pub issued_at: DbTime,
}

pub async fn insert(tx: &mut Tx, scope: &ClinicScope, inv: NewInvoice<'_>, now: DbTime) -> Result<InvoiceId, ServiceError> {
    let id = InvoiceId::generate();
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO invoices (clinic_id, id, patient_id, number, currency, total_minor, paid_minor, status, issued_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id.as_uuid())
    .bind(inv.patient_id.as_uuid())
    .bind(inv.number)
    .bind(inv.currency)
    .bind(inv.total_minor)
    .bind(inv.paid_minor)
    .bind(inv.status)
    .bind(inv.issued_at)
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(id)
}

/// Sum still owed on issued invoices, in minor units of the clinic currency.
pub async fn outstanding_minor(tx: &mut Tx, scope: &ClinicScope) -> Result<i64, ServiceError> {
    let (n,): (Option<i64>,) = on_tx!(tx, c => sqlx::query_as(
        "SELECT CAST(SUM(total_minor - paid_minor) AS BIGINT) FROM invoices WHERE clinic_id = $1 AND status <> 'void'",
    )
    .bind(scope.clinic_id().as_uuid())
    .fetch_one(c)
    .await)?;
    Ok(n.unwrap_or(0))
}

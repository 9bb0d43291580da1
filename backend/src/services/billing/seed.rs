//! Invoices for the demo clinic, made through the same rules as real ones
//! (a line, a number from the counter, a payment with its allocation), so
//! the demo's accounts balance like any other.

use super::{payments::record_in, ClinicBilling};
use crate::{
    error::ServiceError,
    repo::{
        self,
        invoices::{Issue, NewDocument, Series},
    },
    scope::ClinicScope,
    time::DbTime,
};
use ambula_domain::{
    billing::{InvoiceStatus, LineInput, LineSpec, Money, PaymentCommand, PaymentMethod, Quantity, TaxRate},
    PatientId,
};
use chrono::Duration;

/// An issued invoice of one line, paid `paid_minor` by card at issue.
pub(crate) async fn seed_invoice(
    tx: &mut crate::db::Tx,
    scope: &ClinicScope,
    patient: PatientId,
    description: &str,
    total_minor: i64,
    paid_minor: i64,
    issued_at: DbTime,
) -> Result<(), ServiceError> {
    let billing = ClinicBilling::load_scope(tx, scope).await?;
    let input = LineInput {
        quantity: Quantity::ONE,
        unit_price: billing.money(total_minor),
        discount: Money::zero(billing.currency),
        tax_rate: TaxRate::ZERO,
    };
    let amounts = input.amounts().map_err(|e| ServiceError::Internal(e.to_string()))?;
    let line = LineSpec { service_id: None, code: None, description: description.to_owned(), input, amounts };
    let doc = NewDocument {
        credit_of: None,
        patient_id: patient,
        currency: billing.currency.code(),
        appointment_id: None,
        payer_id: None,
        due_on: None,
        note: None,
        reason: None,
        created_by: None,
    };
    let id = repo::invoices::insert_draft(tx, scope, doc, issued_at).await?;
    repo::invoices::set_lines(tx, scope, id, &[line], 1, issued_at).await?;
    let number = repo::invoices::next_number(tx, scope, Series::Invoice).await?;
    let issue = Issue {
        number,
        issued_at,
        issued_by: None,
        due_on: billing.local_date(issued_at) + Duration::days(30),
        status: InvoiceStatus::of_issued(total_minor, 0, 0),
    };
    repo::invoices::issue(tx, scope, id, issue).await?;
    if paid_minor > 0 {
        let command = PaymentCommand {
            patient_id: patient,
            method: PaymentMethod::Card,
            amount: billing.money(paid_minor),
            reference: None,
            allocations: vec![(id, Some(billing.money(paid_minor)))],
        };
        record_in(tx, scope, &command, false, None, None, issued_at).await?;
    }
    Ok(())
}

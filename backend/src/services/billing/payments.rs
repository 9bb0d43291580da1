//! Payments (cash, card, bank transfer, insurance), split across invoices,
//! with any excess kept as the patient's credit; refunds; receipts; and
//! the patient's account (balance and statement).

use super::{actor, document_label, move_money, or_denied, require, stored_currency, ClinicBilling};
use crate::{
    audit::{self, Entry},
    db::Tx,
    error::ServiceError,
    repo::{
        self,
        invoices::Series,
        payments::{Cause, NewPayment, NewRefund, PaymentRow},
    },
    scope::AuthContext,
    time::DbTime,
    Services,
};
use ambula_domain::{
    billing::{
        ledger::{allocate_in_order, plan_refund},
        AccountTotals, Currency, InvoiceStatus, Money, PaymentCommand, PaymentForm, PaymentMethod, RefundForm,
    },
    InvoiceId, MembershipId, PatientId, PaymentId, Permission,
};

/// What a receipt shows (the PDF comes later).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptView {
    pub payment_id: PaymentId,
    pub receipt_number: i64,
    /// "RCT-000007".
    pub label: String,
    pub clinic_name: String,
    pub patient_id: PatientId,
    pub patient_name: String,
    pub method: PaymentMethod,
    pub amount: Money,
    pub received_at: DbTime,
    pub reference: Option<String>,
    /// Each invoice it pays, with how much.
    pub allocations: Vec<(InvoiceId, String, Money)>,
    /// The part kept as credit.
    pub credit: Money,
    pub refunded: Money,
}

fn receipt_label(number: i64) -> String {
    format!("RCT-{number:06}")
}

pub(crate) async fn receipt(tx: &mut Tx, ctx: &AuthContext, payment: &PaymentRow, patient_name: String) -> Result<ReceiptView, ServiceError> {
    let currency = stored_currency(&payment.currency)?;
    let clinic = repo::clinics::get(tx, &ctx.scope).await?;
    let mut allocations = Vec::new();
    for (invoice, amount) in repo::payments::allocations_of_payment(tx, &ctx.scope, payment.id).await?.into_iter().rev() {
        let row = repo::invoices::get(tx, &ctx.scope, InvoiceId::from_uuid(invoice)).await?.ok_or(ServiceError::NotFound)?;
        allocations.push((InvoiceId::from_uuid(invoice), document_label(&row.kind, row.number), Money::new(amount, currency)));
    }
    Ok(ReceiptView {
        payment_id: PaymentId::from_uuid(payment.id),
        receipt_number: payment.receipt_number,
        label: receipt_label(payment.receipt_number),
        clinic_name: clinic.name,
        patient_id: PatientId::from_uuid(payment.patient_id),
        patient_name,
        method: payment.method()?,
        amount: Money::new(payment.amount_minor, currency),
        received_at: payment.received_at,
        reference: payment.reference.clone(),
        allocations,
        credit: Money::new(payment.unallocated_minor(), currency),
        refunded: Money::new(payment.refunded_minor, currency),
    })
}

fn name_of(patient: &repo::patients::PatientRow) -> String {
    format!("{} {}", patient.given_name, patient.family_name)
}

/// Records a payment inside the caller's transaction: checks each chosen
/// invoice (this patient's, issued, not void, same currency, no more than
/// is due), numbers the receipt, and allocates — the chosen invoices, or
/// with none chosen and `auto` the patient's open invoices oldest due
/// first. The rest is the patient's credit. Used by the desk, the online
/// adapter and the demo seed.
pub(crate) async fn record_in(
    tx: &mut Tx,
    scope: &crate::ClinicScope,
    command: &PaymentCommand,
    auto: bool,
    received_by: Option<MembershipId>,
    provider_event_id: Option<&str>,
    now: DbTime,
) -> Result<PaymentId, ServiceError> {
    let currency = command.amount.currency;
    let mut left = command.amount.minor;
    let mut plan: Vec<(uuid::Uuid, i64)> = Vec::new();
    for (i, (invoice, amount)) in command.allocations.iter().enumerate() {
        let field = format!("allocations.{i}.invoice_id");
        repo::invoices::lock(tx, scope, *invoice).await?;
        let Some(row) = repo::invoices::get(tx, scope, *invoice).await? else {
            return Err(ServiceError::NotFound);
        };
        if row.patient_id != command.patient_id.as_uuid() || row.is_credit_note() {
            return Err(ServiceError::field(&field, "Choose one of this patient's invoices."));
        }
        match row.status()? {
            InvoiceStatus::Void => return Err(ServiceError::field(&field, "This invoice is void: it cannot be paid.")),
            InvoiceStatus::Draft => return Err(ServiceError::field(&field, "This invoice is not issued yet.")),
            _ => {}
        }
        if row.currency != currency.code() {
            return Err(ServiceError::field("currency", format!("This invoice is in {}; the payment is in {}.", row.currency, currency)));
        }
        let due = row.due_minor();
        if due == 0 {
            return Err(ServiceError::field(&field, "Nothing is due on this invoice."));
        }
        let take = match amount {
            Some(m) if m.minor > due => {
                return Err(ServiceError::field(
                    &format!("allocations.{i}.amount"),
                    format!("Only {} is due on this invoice.", Money::new(due, currency)),
                ))
            }
            Some(m) => m.minor,
            None => due.min(left),
        };
        if take > left {
            return Err(ServiceError::field("amount", "The invoices add up to more than the payment."));
        }
        if take > 0 {
            plan.push((row.id, take));
            left -= take;
        }
    }
    if command.allocations.is_empty() && auto {
        let open = repo::invoices::open_for_patient(tx, scope, command.patient_id).await?;
        let open: Vec<(uuid::Uuid, i64)> =
            open.iter().filter(|r| r.currency == currency.code()).map(|r| (r.id, r.due_minor())).collect();
        for (invoice, _) in &open {
            repo::invoices::lock(tx, scope, InvoiceId::from_uuid(*invoice)).await?;
        }
        plan = allocate_in_order(left, &open).0;
    }
    let receipt_number = repo::invoices::next_number(tx, scope, Series::Receipt).await?;
    let new = NewPayment {
        patient_id: command.patient_id,
        method: command.method,
        currency: currency.code(),
        amount_minor: command.amount.minor,
        reference: command.reference.as_deref(),
        receipt_number,
        received_by,
        provider_event_id,
    };
    let payment = repo::payments::insert(tx, scope, new, now).await?;
    for (invoice, amount) in plan {
        move_money(tx, scope, payment.as_uuid(), invoice, amount, Cause::Payment, now).await?;
    }
    Ok(payment)
}

/// A payment taken at the desk.
pub async fn record(services: &Services, ctx: &AuthContext, form: &PaymentForm) -> Result<ReceiptView, ServiceError> {
    require(services, ctx, Permission::ManageBilling, "payment.create", "patient", &form.patient_id).await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let billing = ClinicBilling::load(&mut tx, ctx).await?;
    let command = form.parse(billing.currency)?;
    let (patient, _) = or_denied!(tx, crate::services::patients::load_for(&mut tx, ctx, &command.patient_id.to_string(), "payment.create", now).await?);
    for (invoice, _) in &command.allocations {
        if repo::invoices::get(&mut tx, &ctx.scope, *invoice).await?.is_none() {
            // Another clinic's invoice (or none): the same 404, audited.
            let entry = Entry::denied("payment.create", "invoice", invoice).patient(patient.id);
            audit::record(&mut tx, &ctx.scope, &actor(ctx), entry, now).await?;
            tx.commit().await?;
            return Err(ServiceError::NotFound);
        }
    }
    let payment = record_in(&mut tx, &ctx.scope, &command, true, Some(ctx.membership_id), None, now).await?;
    let row = repo::payments::get(&mut tx, &ctx.scope, payment).await?.ok_or(ServiceError::NotFound)?;
    let view = receipt(&mut tx, ctx, &row, name_of(&patient)).await?;
    let spread: Vec<String> = view.allocations.iter().map(|(_, label, m)| format!("{label} {m}")).collect();
    let detail = format!(
        "{} {} {}; paid {}; credit {}",
        view.label,
        view.amount,
        view.method.as_str(),
        if spread.is_empty() { "nothing".to_owned() } else { spread.join(", ") },
        view.credit
    );
    audit::record(&mut tx, &ctx.scope, &actor(ctx), Entry::ok("payment.create", "payment", payment).patient(patient.id).detail(detail), now).await?;
    tx.commit().await?;
    Ok(view)
}

/// Loads a payment the caller may act on, or records the denial.
pub(crate) async fn load_payment(
    tx: &mut Tx,
    ctx: &AuthContext,
    raw_id: &str,
    action: &'static str,
    now: DbTime,
) -> Result<Result<(PaymentRow, repo::patients::PatientRow), ServiceError>, ServiceError> {
    let row = match raw_id.trim().parse::<PaymentId>() {
        Ok(id) => {
            repo::payments::lock(tx, &ctx.scope, id).await?;
            repo::payments::get(tx, &ctx.scope, id).await?
        }
        Err(_) => None,
    };
    let Some(row) = row else {
        audit::record(tx, &ctx.scope, &actor(ctx), Entry::denied(action, "payment", raw_id), now).await?;
        return Ok(Err(ServiceError::NotFound));
    };
    match crate::services::patients::load_for(tx, ctx, &row.patient_id.to_string(), action, now).await? {
        Ok((patient, _)) => Ok(Ok((row, patient))),
        Err(denied) => Ok(Err(denied)),
    }
}

/// Money back from one payment: first from its unallocated part (credit),
/// then off the invoices it paid, latest first (they are owed again).
/// Never more than the payment less earlier refunds.
pub async fn refund(services: &Services, ctx: &AuthContext, payment_id: &str, form: &RefundForm) -> Result<ReceiptView, ServiceError> {
    require(services, ctx, Permission::ManageBilling, "payment.refund", "payment", payment_id).await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let (payment, patient) = or_denied!(tx, load_payment(&mut tx, ctx, payment_id, "payment.refund", now).await?);
    let currency = stored_currency(&payment.currency)?;
    let command = form.parse(currency)?;
    let allocations = repo::payments::allocations_of_payment(&mut tx, &ctx.scope, payment.id).await?;
    let plan = plan_refund(command.amount.minor, payment.unallocated_minor(), &allocations)
        .map_err(|e| ServiceError::field("amount", e.0))?;
    for (invoice, amount) in &plan.releases {
        repo::invoices::lock(&mut tx, &ctx.scope, InvoiceId::from_uuid(*invoice)).await?;
        move_money(&mut tx, &ctx.scope, payment.id, *invoice, -amount, Cause::Refund, now).await?;
    }
    let current = repo::payments::get(&mut tx, &ctx.scope, PaymentId::from_uuid(payment.id)).await?.ok_or(ServiceError::NotFound)?;
    repo::payments::set_totals(&mut tx, &ctx.scope, payment.id, current.allocated_minor, current.refunded_minor + command.amount.minor).await?;
    let method = match command.method {
        Some(m) => m,
        None => payment.method()?,
    };
    let refund = NewRefund {
        payment_id: payment.id,
        amount_minor: command.amount.minor,
        method,
        reason: &command.reason,
        refunded_by: Some(ctx.membership_id),
    };
    let refund_id = repo::payments::insert_refund(&mut tx, &ctx.scope, refund, now).await?;
    let row = repo::payments::get(&mut tx, &ctx.scope, PaymentId::from_uuid(payment.id)).await?.ok_or(ServiceError::NotFound)?;
    let view = receipt(&mut tx, ctx, &row, name_of(&patient)).await?;
    let detail = format!("{} of {} refunded by {}: {}", command.amount, view.label, method.as_str(), command.reason);
    audit::record(&mut tx, &ctx.scope, &actor(ctx), Entry::ok("payment.refund", "refund", refund_id).patient(patient.id).detail(detail), now).await?;
    tx.commit().await?;
    Ok(view)
}

pub async fn get_receipt(services: &Services, ctx: &AuthContext, payment_id: &str) -> Result<ReceiptView, ServiceError> {
    require(services, ctx, Permission::ViewBilling, "payment.read", "payment", payment_id).await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let (payment, patient) = or_denied!(tx, load_payment(&mut tx, ctx, payment_id, "payment.read", now).await?);
    let view = receipt(&mut tx, ctx, &payment, name_of(&patient)).await?;
    audit::record(&mut tx, &ctx.scope, &actor(ctx), Entry::ok("payment.read", "payment", payment.id).patient(patient.id), now).await?;
    tx.commit().await?;
    Ok(view)
}

/// One line of a statement: what happened and the running balance after it
/// (positive: the patient owes; negative: the patient is in credit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementEntry {
    pub at: DbTime,
    /// "INV-000012 issued", "CN-000003", "RCT-000007 card", "Refund of RCT-000007", "INV-000012 voided".
    pub description: String,
    pub amount: Money,
    pub balance: Money,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountView {
    pub patient_id: PatientId,
    pub patient_name: String,
    pub currency: Currency,
    pub totals: AccountTotals,
    /// invoiced − credited − paid + refunded.
    pub balance: Money,
    /// Σ due on open invoices.
    pub due: Money,
    /// Unallocated payments.
    pub credit: Money,
    pub entries: Vec<StatementEntry>,
}

/// The patient's account: the four totals, the balance they give, what is
/// due and held as credit, and the statement with its running balance.
pub async fn account(services: &Services, ctx: &AuthContext, patient_id: &str) -> Result<AccountView, ServiceError> {
    require(services, ctx, Permission::ViewBilling, "billing.statement", "patient", patient_id).await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let (patient, _) = or_denied!(tx, crate::services::patients::load_for(&mut tx, ctx, patient_id, "billing.statement", now).await?);
    let view = account_in(&mut tx, ctx, &patient).await?;
    let entry = Entry::ok("billing.statement", "patient", patient.id).patient(patient.id).detail(format!("balance {}", view.balance));
    audit::record(&mut tx, &ctx.scope, &actor(ctx), entry, now).await?;
    tx.commit().await?;
    Ok(view)
}

pub(crate) async fn account_in(tx: &mut Tx, ctx: &AuthContext, patient: &repo::patients::PatientRow) -> Result<AccountView, ServiceError> {
    let billing = ClinicBilling::load(tx, ctx).await?;
    let currency = billing.currency;
    let id = PatientId::from_uuid(patient.id);
    let documents = repo::invoices::for_patient(tx, &ctx.scope, id).await?;
    let payments = repo::payments::for_patient(tx, &ctx.scope, id).await?;
    let refunds = repo::payments::refunds_for_patient(tx, &ctx.scope, id).await?;
    let mut totals = AccountTotals::default();
    let mut events: Vec<(DbTime, u8, String, i64)> = Vec::new();
    let mut due = 0;
    for d in documents.iter().filter(|d| d.currency == currency.code()) {
        let Some(issued_at) = d.issued_at else { continue };
        let label = document_label(&d.kind, d.number);
        if d.is_credit_note() {
            totals.credited += -d.total_minor;
            events.push((issued_at, 1, label, d.total_minor));
            continue;
        }
        events.push((issued_at, 0, format!("{label} issued"), d.total_minor));
        if d.status == "void" {
            // Issued then voided: both on the statement, net nothing.
            events.push((d.voided_at.unwrap_or(issued_at), 3, format!("{label} voided"), -d.total_minor));
        } else {
            totals.invoiced += d.total_minor;
            due += d.due_minor();
        }
    }
    let mut credit = 0;
    for p in payments.iter().filter(|p| p.currency == currency.code()) {
        totals.paid += p.amount_minor;
        credit += p.unallocated_minor();
        events.push((p.received_at, 2, format!("{} {}", receipt_label(p.receipt_number), p.method), -p.amount_minor));
    }
    for r in &refunds {
        let Some(p) = payments.iter().find(|p| p.id == r.payment_id) else { continue };
        if p.currency != currency.code() {
            continue;
        }
        totals.refunded += r.amount_minor;
        events.push((r.refunded_at, 4, format!("Refund of {}", receipt_label(p.receipt_number)), r.amount_minor));
    }
    events.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    let mut running = 0i64;
    let entries = events
        .into_iter()
        .map(|(at, _, description, amount)| {
            running += amount;
            StatementEntry { at, description, amount: Money::new(amount, currency), balance: Money::new(running, currency) }
        })
        .collect();
    let balance = totals.balance();
    if balance != due - credit || balance != running {
        // The identity is the design; a mismatch is a bug to surface, not hide.
        return Err(ServiceError::Internal(format!(
            "account of patient {} does not balance: totals {balance}, due − credit {}, statement {running}",
            patient.id,
            due - credit
        )));
    }
    Ok(AccountView {
        patient_id: id,
        patient_name: name_of(patient),
        currency,
        totals,
        balance: Money::new(balance, currency),
        due: Money::new(due, currency),
        credit: Money::new(credit, currency),
        entries,
    })
}

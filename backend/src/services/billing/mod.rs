//! Billing: the fee schedule, invoices and credit notes, payments and
//! refunds, the patient account, and the reports.
//!
//! The rules (rounding, allocation, refunds, the balance identity) are in
//! `ambula_domain::billing`; these services load, decide with them, and
//! store, each use case in one transaction with its audit entry.
//!
//! Permissions: reading needs `ViewBilling`; creating, issuing, voiding,
//! crediting, taking payments and refunding need `ManageBilling` (owner,
//! administrator, billing); the accountant's export needs `ExportData`.
//! Refusals are audited. Everything hangs off a patient, so the patient's
//! access rules apply too (`patients::load_for`: another clinic's → 404,
//! restricted → 403).

pub mod fee_schedule;
pub mod insurance;
pub mod invoices;
pub mod listing;
pub mod online;
pub mod packages;
pub mod payers;
pub mod payments;
pub mod printouts;
pub mod reports;
pub(crate) mod seed;

use crate::{
    audit::{self, Actor},
    db::Tx,
    error::ServiceError,
    repo::{self, fee_services::FeeServiceRow, invoices::InvoiceRow, patients::PatientRow, payments::Cause},
    scope::AuthContext,
    time::DbTime,
    Services,
};
use ambula_domain::{
    billing::{Currency, LineDefaults, Money, TaxRate},
    FeeServiceId, InvoiceId, Permission, TimeZoneName,
};
use chrono::NaiveDate;
use chrono_tz::Tz;
use uuid::Uuid;

/// Returns the denial (already recorded in `$tx`) after committing it.
macro_rules! or_denied {
    ($tx:ident, $loaded:expr) => {
        match $loaded {
            Ok(value) => value,
            Err(denied) => {
                $tx.commit().await?;
                return Err(denied);
            }
        }
    };
}
pub(crate) use or_denied;

/// Refuses, and audits the refusal, when the role lacks `permission`.
pub(crate) async fn require(
    services: &Services,
    ctx: &AuthContext,
    permission: Permission,
    action: &'static str,
    entity: &'static str,
    entity_id: &str,
) -> Result<(), ServiceError> {
    if ctx.can(permission) {
        return Ok(());
    }
    audit::record_denial(services, ctx, action, entity, entity_id, None).await?;
    Err(ServiceError::Forbidden)
}

/// The clinic's billing currency and time zone ("today", day boundaries).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClinicBilling {
    pub currency: Currency,
    pub tz: Tz,
}

impl ClinicBilling {
    pub(crate) async fn load(tx: &mut Tx, ctx: &AuthContext) -> Result<Self, ServiceError> {
        Self::load_scope(tx, &ctx.scope).await
    }

    pub(crate) async fn load_scope(tx: &mut Tx, scope: &crate::ClinicScope) -> Result<Self, ServiceError> {
        let clinic = repo::clinics::get(tx, scope).await?;
        let currency = Currency::parse(&clinic.currency)
            .map_err(|_| ServiceError::Internal(format!("clinic currency {:?} is not known", clinic.currency)))?;
        let tz = TimeZoneName::parse(&clinic.time_zone).map(|t| t.tz()).unwrap_or(chrono_tz::UTC);
        Ok(Self { currency, tz })
    }

    pub(crate) fn today(&self, now: DbTime) -> NaiveDate {
        now.0.with_timezone(&self.tz).date_naive()
    }

    pub(crate) fn local_date(&self, at: DbTime) -> NaiveDate {
        at.0.with_timezone(&self.tz).date_naive()
    }

    /// The first instant of a local day, in UTC.
    pub(crate) fn day_start(&self, day: NaiveDate) -> DbTime {
        crate::services::dashboard::local_day_start(&self.tz, day)
    }

    pub(crate) fn money(&self, minor: i64) -> Money {
        Money::new(minor, self.currency)
    }
}

/// Currency of a stored row (always from the shipped table).
pub(crate) fn stored_currency(code: &str) -> Result<Currency, ServiceError> {
    Currency::parse(code).map_err(|_| ServiceError::Internal(format!("unknown currency {code:?} in database")))
}

pub(crate) fn actor(ctx: &AuthContext) -> Actor {
    Actor::from(ctx)
}

/// The active services of the fee schedule as line defaults, at a payer's
/// own price where it has one (`overrides`: service id, price).
pub(crate) fn defaults_from<'a>(
    rows: &'a [FeeServiceRow],
    currency: Currency,
    overrides: &'a [(Uuid, i64)],
) -> impl Fn(FeeServiceId) -> Option<LineDefaults> + 'a {
    move |id| {
        rows.iter().find(|r| r.id == id.as_uuid() && r.active).map(|r| LineDefaults {
            code: r.code.clone(),
            description: r.description.clone(),
            unit_price: Money::new(
                overrides.iter().find(|(s, _)| *s == r.id).map(|(_, p)| *p).unwrap_or(r.price_minor),
                currency,
            ),
            tax_rate: TaxRate::from_basis_points(r.tax_rate_bp.into()).unwrap_or_default(),
        })
    }
}

/// The payer an invoice form names (checked to be this clinic's) and its
/// prices.
pub(crate) async fn payer_prices(
    tx: &mut Tx,
    ctx: &AuthContext,
    raw: &str,
) -> Result<(Option<ambula_domain::PayerId>, Vec<(Uuid, i64)>), ServiceError> {
    let Some(payer) = ambula_domain::billing::forms::form_payer(raw)? else {
        return Ok((None, Vec::new()));
    };
    match repo::payers::get(tx, &ctx.scope, payer).await? {
        Some(row) if row.active => Ok((Some(payer), repo::payers::prices(tx, &ctx.scope, payer).await?)),
        _ => Err(ServiceError::field("payer_id", "Choose a payer from the list.")),
    }
}

/// An invoice the caller may act on (its patient's access rules included),
/// or the recorded denial: another clinic's or no such id → 404.
pub(crate) async fn load_invoice(
    tx: &mut Tx,
    ctx: &AuthContext,
    raw_id: &str,
    action: &'static str,
    now: DbTime,
) -> Result<Result<(InvoiceRow, PatientRow), ServiceError>, ServiceError> {
    let row = match raw_id.trim().parse::<InvoiceId>() {
        Ok(id) => {
            repo::invoices::lock(tx, &ctx.scope, id).await?;
            repo::invoices::get(tx, &ctx.scope, id).await?
        }
        Err(_) => None,
    };
    let Some(row) = row else {
        audit::record(tx, &ctx.scope, &actor(ctx), audit::Entry::denied(action, "invoice", raw_id), now).await?;
        return Ok(Err(ServiceError::NotFound));
    };
    match crate::services::patients::load_for(tx, ctx, &row.patient_id.to_string(), action, now).await? {
        Ok((patient, _)) => Ok(Ok((row, patient))),
        Err(denied) => Ok(Err(denied)),
    }
}

/// Moves money between a payment and an invoice (positive: onto the
/// invoice), appending the allocation and updating both running totals
/// and the invoice's status. The database's checks are the backstop: an
/// invoice can never hold more than it owes, a payment never give more
/// than it has.
pub(crate) async fn move_money(
    tx: &mut Tx,
    scope: &crate::ClinicScope,
    payment: Uuid,
    invoice: Uuid,
    amount: i64,
    cause: Cause,
    now: DbTime,
) -> Result<(), ServiceError> {
    if amount == 0 {
        return Ok(());
    }
    repo::payments::allocate(tx, scope, payment, invoice, amount, cause, now).await?;
    let inv = repo::invoices::get(tx, scope, InvoiceId::from_uuid(invoice)).await?.ok_or(ServiceError::NotFound)?;
    repo::invoices::set_settlement(tx, scope, invoice, inv.paid_minor + amount, inv.credited_minor, now).await?;
    let pay = repo::payments::get(tx, scope, ambula_domain::PaymentId::from_uuid(payment)).await?.ok_or(ServiceError::NotFound)?;
    repo::payments::set_totals(tx, scope, payment, pay.allocated_minor + amount, pay.refunded_minor).await?;
    Ok(())
}

/// "INV-000012", "CN-000003", or "Draft".
pub fn document_label(kind: &str, number: Option<i64>) -> String {
    match (kind, number) {
        (_, None) => "Draft".to_owned(),
        ("credit_note", Some(n)) => format!("CN-{n:06}"),
        (_, Some(n)) => format!("INV-{n:06}"),
    }
}

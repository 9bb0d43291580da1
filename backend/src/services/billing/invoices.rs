//! Invoices and credit notes: drafts typed by hand or made from an
//! appointment, issuing (the number is taken from the clinic's counter in
//! the issuing transaction), voiding with a reason, and credit notes.
//! An issued invoice is never edited or deleted: a credit note corrects it,
//! or it is voided while nothing has been paid or credited on it.

use super::{actor, defaults_from, document_label, load_invoice, move_money, or_denied, payer_prices, require, stored_currency, ClinicBilling};
use crate::{
    audit::{self, Entry},
    db::Tx,
    error::ServiceError,
    repo::{
        self,
        invoices::{InvoiceRow, Issue, LineRow, NewDocument, Series},
        payments::Cause,
    },
    scope::AuthContext,
    time::DbTime,
    Services,
};
use ambula_domain::{
    billing::{
        forms::{CreditScope, InvoiceLineForm, DEFAULT_DUE_DAYS},
        ledger::release_in_order,
        CreditNoteForm, Currency, InvoiceForm, InvoiceStatus, LineInput, LineSpec, Money, Quantity, ReasonForm,
        TaxRate,
    },
    AppointmentId, FeeServiceId, InvoiceId, PatientId, Permission,
};
use chrono::{Duration, NaiveDate};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineView {
    /// The fee-schedule service the line was made from, if any.
    pub service_id: Option<FeeServiceId>,
    pub code: Option<String>,
    pub description: String,
    /// "1", "1.5".
    pub quantity: String,
    pub unit_price: Money,
    pub discount: Money,
    pub tax_rate: TaxRate,
    pub net: Money,
    pub tax: Money,
    pub total: Money,
}

/// Another document referred to: the credit notes of an invoice, or the
/// invoice a credit note corrects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentRef {
    pub id: InvoiceId,
    pub label: String,
    pub total: Money,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceView {
    pub id: InvoiceId,
    pub is_credit_note: bool,
    pub number: Option<i64>,
    /// "INV-000012", "CN-000003" or "Draft".
    pub label: String,
    pub patient_id: PatientId,
    pub patient_name: String,
    pub status: InvoiceStatus,
    pub currency: Currency,
    pub subtotal: Money,
    pub tax: Money,
    pub total: Money,
    pub paid: Money,
    pub credited: Money,
    /// total − credited − paid; zero for drafts, void invoices and credit notes.
    pub due: Money,
    pub due_on: Option<NaiveDate>,
    pub issued_at: Option<DbTime>,
    pub appointment_id: Option<AppointmentId>,
    /// Billed under this payer's prices.
    pub payer_id: Option<ambula_domain::PayerId>,
    pub note: Option<String>,
    /// Why (credit notes).
    pub reason: Option<String>,
    pub void_reason: Option<String>,
    pub lines: Vec<LineView>,
    pub credit_of: Option<DocumentRef>,
    pub credit_notes: Vec<DocumentRef>,
}

/// A line of a patient's invoice list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceSummary {
    pub id: InvoiceId,
    pub label: String,
    pub is_credit_note: bool,
    pub status: InvoiceStatus,
    pub total: Money,
    pub due: Money,
    pub due_on: Option<NaiveDate>,
    pub issued_at: Option<DbTime>,
}

fn line_view(row: &LineRow, currency: Currency) -> LineView {
    LineView {
        service_id: row.service_id.map(FeeServiceId::from_uuid),
        code: row.code.clone(),
        description: row.description.clone(),
        quantity: Quantity::from_thousandths(row.quantity_milli).map(Quantity::decimal).unwrap_or_default(),
        unit_price: Money::new(row.unit_price_minor, currency),
        discount: Money::new(row.discount_minor, currency),
        tax_rate: TaxRate::from_basis_points(row.tax_rate_bp.into()).unwrap_or_default(),
        net: Money::new(row.net_minor, currency),
        tax: Money::new(row.tax_minor, currency),
        total: Money::new(row.total_minor, currency),
    }
}

fn summary(row: &InvoiceRow) -> Result<InvoiceSummary, ServiceError> {
    let currency = stored_currency(&row.currency)?;
    Ok(InvoiceSummary {
        id: InvoiceId::from_uuid(row.id),
        label: document_label(&row.kind, row.number),
        is_credit_note: row.is_credit_note(),
        status: row.status()?,
        total: Money::new(row.total_minor, currency),
        due: Money::new(row.due_minor(), currency),
        due_on: row.due_on,
        issued_at: row.issued_at,
    })
}

fn doc_ref(row: &InvoiceRow) -> Result<DocumentRef, ServiceError> {
    Ok(DocumentRef {
        id: InvoiceId::from_uuid(row.id),
        label: document_label(&row.kind, row.number),
        total: Money::new(row.total_minor, stored_currency(&row.currency)?),
    })
}

pub(crate) async fn view(tx: &mut Tx, ctx: &AuthContext, row: InvoiceRow, patient_name: String) -> Result<InvoiceView, ServiceError> {
    let currency = stored_currency(&row.currency)?;
    let id = InvoiceId::from_uuid(row.id);
    let lines = repo::invoices::lines(tx, &ctx.scope, id).await?;
    let credit_notes = repo::invoices::credit_notes_of(tx, &ctx.scope, id).await?;
    let credit_of = match row.credit_of {
        Some(of) => repo::invoices::get(tx, &ctx.scope, InvoiceId::from_uuid(of)).await?.map(|r| doc_ref(&r)).transpose()?,
        None => None,
    };
    let money = |minor| Money::new(minor, currency);
    Ok(InvoiceView {
        id,
        is_credit_note: row.is_credit_note(),
        number: row.number,
        label: document_label(&row.kind, row.number),
        patient_id: PatientId::from_uuid(row.patient_id),
        patient_name,
        status: row.status()?,
        currency,
        subtotal: money(row.subtotal_minor),
        tax: money(row.tax_minor),
        total: money(row.total_minor),
        paid: money(row.paid_minor),
        credited: money(row.credited_minor),
        due: money(row.due_minor()),
        due_on: row.due_on,
        issued_at: row.issued_at,
        appointment_id: row.appointment_id.map(AppointmentId::from_uuid),
        payer_id: row.payer_id.map(ambula_domain::PayerId::from_uuid),
        note: row.note,
        reason: row.reason,
        void_reason: row.void_reason,
        lines: lines.iter().map(|l| line_view(l, currency)).collect(),
        credit_of,
        credit_notes: credit_notes.iter().map(doc_ref).collect::<Result<_, _>>()?,
    })
}

fn name_of(patient: &repo::patients::PatientRow) -> String {
    format!("{} {}", patient.given_name, patient.family_name)
}

fn describe(view: &InvoiceView) -> String {
    format!("{}, {} lines, total {}", view.label, view.lines.len(), view.total)
}

/// Reloads a document and builds its view.
async fn reload(tx: &mut Tx, ctx: &AuthContext, id: InvoiceId, patient_name: String) -> Result<InvoiceView, ServiceError> {
    let row = repo::invoices::get(tx, &ctx.scope, id).await?.ok_or(ServiceError::NotFound)?;
    view(tx, ctx, row, patient_name).await
}

/// A new draft invoice, typed by hand.
pub async fn create(services: &Services, ctx: &AuthContext, form: &InvoiceForm) -> Result<InvoiceView, ServiceError> {
    require(services, ctx, Permission::ManageBilling, "invoice.create", "invoice", "").await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let billing = ClinicBilling::load(&mut tx, ctx).await?;
    let fees = repo::fee_services::list(&mut tx, &ctx.scope).await?;
    let (payer, prices) = payer_prices(&mut tx, ctx, &form.payer_id).await?;
    let draft = form.parse(billing.currency, billing.today(now), &defaults_from(&fees, billing.currency, &prices))?;
    let (patient, _) = or_denied!(tx, crate::services::patients::load_for(&mut tx, ctx, &draft.patient_id.to_string(), "invoice.create", now).await?);
    let doc = NewDocument {
        credit_of: None,
        patient_id: draft.patient_id,
        currency: billing.currency.code(),
        appointment_id: None,
        payer_id: payer,
        due_on: draft.due_on,
        note: draft.note.as_deref(),
        reason: None,
        created_by: Some(ctx.membership_id),
    };
    let id = repo::invoices::insert_draft(&mut tx, &ctx.scope, doc, now).await?;
    repo::invoices::set_lines(&mut tx, &ctx.scope, id, &draft.lines, 1, now).await?;
    let view = reload(&mut tx, ctx, id, name_of(&patient)).await?;
    let entry = Entry::ok("invoice.create", "invoice", id).patient(patient.id).detail(describe(&view));
    audit::record(&mut tx, &ctx.scope, &actor(ctx), entry, now).await?;
    tx.commit().await?;
    Ok(view)
}

/// A draft invoice for an appointment: one line from the fee-schedule
/// service linked to its type, or else from the type's own price. An
/// appointment is invoiced once (unless that invoice is voided).
pub async fn create_from_appointment(services: &Services, ctx: &AuthContext, appointment_id: &str) -> Result<InvoiceView, ServiceError> {
    require(services, ctx, Permission::ManageBilling, "invoice.create", "appointment", appointment_id).await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let billing = ClinicBilling::load(&mut tx, ctx).await?;
    let appointment = match appointment_id.trim().parse::<AppointmentId>() {
        Ok(id) => repo::appointments::get(&mut tx, &ctx.scope, id).await?,
        Err(_) => None,
    };
    let Some(appointment) = appointment else {
        audit::record(&mut tx, &ctx.scope, &actor(ctx), Entry::denied("invoice.create", "appointment", appointment_id), now).await?;
        tx.commit().await?;
        return Err(ServiceError::NotFound);
    };
    let (patient, _) = or_denied!(tx, crate::services::patients::load_for(&mut tx, ctx, &appointment.patient_id.to_string(), "invoice.create", now).await?);
    if appointment.status == "cancelled" {
        return Err(ServiceError::field("appointment_id", "This appointment was cancelled; there is nothing to invoice."));
    }
    if repo::packages::used_for(&mut tx, &ctx.scope, AppointmentId::from_uuid(appointment.id)).await? {
        return Err(ServiceError::field("appointment_id", "This visit was covered by the patient's package."));
    }
    let type_id = ambula_domain::AppointmentTypeId::from_uuid(appointment.type_id);
    let fee = repo::fee_services::for_appointment_type(&mut tx, &ctx.scope, type_id).await?;
    let line = match fee {
        Some(fee) => InvoiceLineForm { service_id: fee.id.to_string(), ..Default::default() },
        None => {
            let kind = repo::appointment_types::get(&mut tx, &ctx.scope, type_id).await?.ok_or(ServiceError::NotFound)?;
            match kind.price_minor {
                Some(price) => InvoiceLineForm {
                    description: kind.name.clone(),
                    unit_price: Money::new(price, billing.currency).decimal(),
                    ..Default::default()
                },
                None => {
                    return Err(ServiceError::field(
                        "appointment_id",
                        "This appointment type has no price and no fee-schedule service: type the invoice's lines by hand.",
                    ))
                }
            }
        }
    };
    let fees = repo::fee_services::list(&mut tx, &ctx.scope).await?;
    let form = InvoiceForm { patient_id: patient.id.to_string(), lines: vec![line], ..Default::default() };
    let draft = form.parse(billing.currency, billing.today(now), &defaults_from(&fees, billing.currency, &[]))?;
    let doc = NewDocument {
        credit_of: None,
        patient_id: draft.patient_id,
        currency: billing.currency.code(),
        appointment_id: Some(AppointmentId::from_uuid(appointment.id)),
        payer_id: None,
        due_on: None,
        note: None,
        reason: None,
        created_by: Some(ctx.membership_id),
    };
    let id = repo::invoices::insert_draft(&mut tx, &ctx.scope, doc, now).await?;
    repo::invoices::set_lines(&mut tx, &ctx.scope, id, &draft.lines, 1, now).await?;
    let view = reload(&mut tx, ctx, id, name_of(&patient)).await?;
    let entry = Entry::ok("invoice.create", "invoice", id)
        .patient(patient.id)
        .detail(format!("{} for appointment {}", describe(&view), appointment.id));
    audit::record(&mut tx, &ctx.scope, &actor(ctx), entry, now).await?;
    tx.commit().await?;
    Ok(view)
}

fn only_drafts(row: &InvoiceRow) -> Result<(), ServiceError> {
    if row.status != "draft" {
        return Err(ServiceError::field(
            "status",
            "This invoice is issued and can no longer be changed: issue a credit note or void it.",
        ));
    }
    Ok(())
}

/// Replaces a draft's lines, due date and note.
pub async fn update_draft(services: &Services, ctx: &AuthContext, id: &str, form: &InvoiceForm) -> Result<InvoiceView, ServiceError> {
    require(services, ctx, Permission::ManageBilling, "invoice.update", "invoice", id).await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let (row, patient) = or_denied!(tx, load_invoice(&mut tx, ctx, id, "invoice.update", now).await?);
    only_drafts(&row)?;
    let billing = ClinicBilling::load(&mut tx, ctx).await?;
    let fees = repo::fee_services::list(&mut tx, &ctx.scope).await?;
    let (payer, prices) = payer_prices(&mut tx, ctx, &form.payer_id).await?;
    let draft = form.parse(billing.currency, billing.today(now), &defaults_from(&fees, billing.currency, &prices))?;
    if payer.map(|p| p.as_uuid()) != row.payer_id {
        return Err(ServiceError::field("payer_id", "A draft's payer cannot change: delete it and start again."));
    }
    if draft.patient_id.as_uuid() != row.patient_id {
        return Err(ServiceError::field("patient_id", "A draft's patient cannot change: delete it and start again."));
    }
    let invoice = InvoiceId::from_uuid(row.id);
    if !repo::invoices::set_lines(&mut tx, &ctx.scope, invoice, &draft.lines, 1, now).await?
        || !repo::invoices::set_draft_details(&mut tx, &ctx.scope, invoice, draft.due_on, draft.note.as_deref(), now).await?
    {
        return Err(ServiceError::field("status", "This invoice is issued and can no longer be changed."));
    }
    let view = reload(&mut tx, ctx, invoice, name_of(&patient)).await?;
    let entry = Entry::ok("invoice.update", "invoice", invoice).patient(patient.id).detail(describe(&view));
    audit::record(&mut tx, &ctx.scope, &actor(ctx), entry, now).await?;
    tx.commit().await?;
    Ok(view)
}

pub async fn delete_draft(services: &Services, ctx: &AuthContext, id: &str) -> Result<(), ServiceError> {
    require(services, ctx, Permission::ManageBilling, "invoice.delete", "invoice", id).await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let (row, patient) = or_denied!(tx, load_invoice(&mut tx, ctx, id, "invoice.delete", now).await?);
    only_drafts(&row)?;
    if !repo::invoices::delete_draft(&mut tx, &ctx.scope, InvoiceId::from_uuid(row.id)).await? {
        return Err(ServiceError::field("status", "This invoice is issued and can no longer be deleted."));
    }
    audit::record(&mut tx, &ctx.scope, &actor(ctx), Entry::ok("invoice.delete", "invoice", row.id).patient(patient.id), now).await?;
    tx.commit().await?;
    Ok(())
}

/// Issues a draft: it takes the clinic's next invoice number in this
/// transaction (gap-free, see `repo::invoices::next_number`), its due date
/// (as set on the draft, or 30 days on) and becomes final.
pub async fn issue(services: &Services, ctx: &AuthContext, id: &str) -> Result<InvoiceView, ServiceError> {
    require(services, ctx, Permission::ManageBilling, "invoice.issue", "invoice", id).await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let (row, patient) = or_denied!(tx, load_invoice(&mut tx, ctx, id, "invoice.issue", now).await?);
    if row.status != "draft" {
        return Err(ServiceError::field("status", "This invoice is already issued."));
    }
    if row.is_credit_note() {
        return Err(ServiceError::NotFound);
    }
    let invoice = InvoiceId::from_uuid(row.id);
    if repo::invoices::lines(&mut tx, &ctx.scope, invoice).await?.is_empty() {
        return Err(ServiceError::field("lines", "Add at least one line."));
    }
    let billing = ClinicBilling::load(&mut tx, ctx).await?;
    let today = billing.today(now);
    let due_on = match row.due_on {
        Some(due) if due < today => {
            return Err(ServiceError::field("due_on", "The due date has passed: set a new one before issuing."));
        }
        Some(due) => due,
        None => today + Duration::days(DEFAULT_DUE_DAYS),
    };
    let number = repo::invoices::next_number(&mut tx, &ctx.scope, Series::Invoice).await?;
    let issue = Issue {
        number,
        issued_at: now,
        issued_by: Some(ctx.membership_id),
        due_on,
        status: InvoiceStatus::of_issued(row.total_minor, 0, 0),
    };
    if !repo::invoices::issue(&mut tx, &ctx.scope, invoice, issue).await? {
        return Err(ServiceError::field("status", "This invoice is already issued."));
    }
    let view = reload(&mut tx, ctx, invoice, name_of(&patient)).await?;
    let entry = Entry::ok("invoice.issue", "invoice", invoice).patient(patient.id).detail(describe(&view));
    audit::record(&mut tx, &ctx.scope, &actor(ctx), entry, now).await?;
    tx.commit().await?;
    Ok(view)
}

/// Voids an issued invoice that nothing has been paid or credited on, with
/// a reason (kept, and in the audit trail). Its number stays used: the
/// sequence has no gaps, and the void invoice is still listed.
pub async fn void(services: &Services, ctx: &AuthContext, id: &str, form: &ReasonForm) -> Result<InvoiceView, ServiceError> {
    require(services, ctx, Permission::ManageBilling, "invoice.void", "invoice", id).await?;
    let reason = form.parse()?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let (row, patient) = or_denied!(tx, load_invoice(&mut tx, ctx, id, "invoice.void", now).await?);
    let refusal = match row.status()? {
        _ if row.is_credit_note() => Some("A credit note cannot be voided."),
        InvoiceStatus::Draft => Some("A draft has no number yet: delete it instead."),
        InvoiceStatus::Void => Some("This invoice is already void."),
        _ if row.paid_minor > 0 => Some("Money has been paid on this invoice: refund the payment or issue a credit note instead."),
        _ if row.credited_minor > 0 => Some("This invoice has credit notes: credit the rest instead."),
        _ => None,
    };
    if let Some(message) = refusal {
        return Err(ServiceError::field("status", message));
    }
    let invoice = InvoiceId::from_uuid(row.id);
    if !repo::invoices::void(&mut tx, &ctx.scope, invoice, &reason, ctx.membership_id, now).await? {
        return Err(ServiceError::field("status", "This invoice can no longer be voided."));
    }
    let view = reload(&mut tx, ctx, invoice, name_of(&patient)).await?;
    let entry = Entry::ok("invoice.void", "invoice", invoice).patient(patient.id).detail(format!("{}: {reason}", view.label));
    audit::record(&mut tx, &ctx.scope, &actor(ctx), entry, now).await?;
    tx.commit().await?;
    Ok(view)
}

/// Lines of an issued invoice as credit-note lines (the same quantities,
/// prices, discounts and rates, so the amounts negate exactly).
fn lines_as_specs(rows: &[LineRow], currency: Currency) -> Result<Vec<LineSpec>, ServiceError> {
    rows.iter()
        .map(|r| {
            let bad = |what: &str| ServiceError::Internal(format!("stored invoice line {}: bad {what}", r.id));
            let input = LineInput {
                quantity: Quantity::from_thousandths(r.quantity_milli).map_err(|_| bad("quantity"))?,
                unit_price: Money::new(r.unit_price_minor, currency),
                discount: Money::new(r.discount_minor, currency),
                tax_rate: TaxRate::from_basis_points(r.tax_rate_bp.into()).map_err(|_| bad("tax rate"))?,
            };
            let amounts = input.amounts().map_err(|_| bad("amounts"))?;
            Ok(LineSpec {
                service_id: r.service_id.map(FeeServiceId::from_uuid),
                code: r.code.clone(),
                description: r.description.clone(),
                input,
                amounts,
            })
        })
        .collect()
}

/// Issues a credit note against an issued invoice: the whole of it (only
/// while nothing is credited yet) or the lines given. It can never credit
/// more than the invoice's total less earlier credit notes. If the invoice
/// then holds more payment than it still owes, the excess goes back to the
/// patient's credit (latest payment first).
pub async fn credit_note(services: &Services, ctx: &AuthContext, id: &str, form: &CreditNoteForm) -> Result<InvoiceView, ServiceError> {
    require(services, ctx, Permission::ManageBilling, "invoice.credit", "invoice", id).await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let (row, patient) = or_denied!(tx, load_invoice(&mut tx, ctx, id, "invoice.credit", now).await?);
    let currency = stored_currency(&row.currency)?;
    let fees = repo::fee_services::list(&mut tx, &ctx.scope).await?;
    let prices = match row.payer_id {
        Some(p) => repo::payers::prices(&mut tx, &ctx.scope, ambula_domain::PayerId::from_uuid(p)).await?,
        None => Vec::new(),
    };
    let (reason, scope) = form.parse(currency, &defaults_from(&fees, currency, &prices))?;
    if row.is_credit_note() || !row.status()?.is_open_document() {
        let message = match row.status()? {
            InvoiceStatus::Draft => "A draft is changed, not credited.",
            InvoiceStatus::Void => "This invoice is void.",
            _ => "Only an invoice can be credited.",
        };
        return Err(ServiceError::field("status", message));
    }
    let invoice = InvoiceId::from_uuid(row.id);
    let creditable = row.total_minor - row.credited_minor;
    let lines = match scope {
        CreditScope::Whole if row.credited_minor == 0 => {
            lines_as_specs(&repo::invoices::lines(&mut tx, &ctx.scope, invoice).await?, currency)?
        }
        CreditScope::Whole => {
            return Err(ServiceError::field("whole", "Part of this invoice is already credited: list the lines to credit."));
        }
        CreditScope::Lines(lines) => lines,
    };
    let amount: i64 = lines.iter().map(|l| l.amounts.total.minor).sum();
    if amount <= 0 {
        return Err(ServiceError::field("lines", "A credit note must credit something."));
    }
    if amount > creditable {
        return Err(ServiceError::field(
            "lines",
            format!("This credits {}, but only {} of the invoice is left to credit.", Money::new(amount, currency), Money::new(creditable, currency)),
        ));
    }
    let doc = NewDocument {
        credit_of: Some(invoice),
        patient_id: PatientId::from_uuid(row.patient_id),
        currency: currency.code(),
        appointment_id: None,
        payer_id: row.payer_id.map(ambula_domain::PayerId::from_uuid),
        due_on: None,
        note: None,
        reason: Some(&reason),
        created_by: Some(ctx.membership_id),
    };
    let note_id = repo::invoices::insert_draft(&mut tx, &ctx.scope, doc, now).await?;
    repo::invoices::set_lines(&mut tx, &ctx.scope, note_id, &lines, -1, now).await?;
    let number = repo::invoices::next_number(&mut tx, &ctx.scope, Series::CreditNote).await?;
    let billing = ClinicBilling::load(&mut tx, ctx).await?;
    let issue = Issue {
        number,
        issued_at: now,
        issued_by: Some(ctx.membership_id),
        due_on: billing.today(now),
        status: InvoiceStatus::Issued,
    };
    repo::invoices::issue(&mut tx, &ctx.scope, note_id, issue).await?;
    let credited = row.credited_minor + amount;
    // Payments beyond what is now owed go back to the patient's credit.
    let excess = row.paid_minor + credited - row.total_minor;
    let mut paid = row.paid_minor;
    if excess > 0 {
        let on = repo::payments::allocations_on_invoice(&mut tx, &ctx.scope, row.id).await?;
        for (payment, give_back) in release_in_order(excess, &on) {
            repo::payments::allocate(&mut tx, &ctx.scope, payment, row.id, -give_back, Cause::CreditNote, now).await?;
            let pay = repo::payments::get(&mut tx, &ctx.scope, ambula_domain::PaymentId::from_uuid(payment)).await?.ok_or(ServiceError::NotFound)?;
            repo::payments::set_totals(&mut tx, &ctx.scope, payment, pay.allocated_minor - give_back, pay.refunded_minor).await?;
            paid -= give_back;
        }
    }
    repo::invoices::set_settlement(&mut tx, &ctx.scope, row.id, paid, credited, now).await?;
    let view = reload(&mut tx, ctx, note_id, name_of(&patient)).await?;
    let detail = format!("{} credits {} by {}: {reason}", view.label, document_label(&row.kind, row.number), view.total);
    let entry = Entry::ok("invoice.credit", "invoice", note_id).patient(patient.id).detail(detail);
    audit::record(&mut tx, &ctx.scope, &actor(ctx), entry, now).await?;
    tx.commit().await?;
    Ok(view)
}

/// Puts the patient's credit (unallocated payments, oldest first) on an
/// invoice, up to what it owes.
pub async fn apply_credit(services: &Services, ctx: &AuthContext, id: &str) -> Result<InvoiceView, ServiceError> {
    require(services, ctx, Permission::ManageBilling, "invoice.apply_credit", "invoice", id).await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let (row, patient) = or_denied!(tx, load_invoice(&mut tx, ctx, id, "invoice.apply_credit", now).await?);
    if row.is_credit_note() || !matches!(row.status()?, InvoiceStatus::Issued | InvoiceStatus::PartiallyPaid) {
        return Err(ServiceError::field("status", "Only an issued invoice with money due can take credit."));
    }
    let mut due = row.due_minor();
    let mut applied = 0;
    for payment in repo::payments::with_credit(&mut tx, &ctx.scope, PatientId::from_uuid(row.patient_id)).await? {
        if due == 0 {
            break;
        }
        if payment.currency != row.currency {
            continue;
        }
        repo::payments::lock(&mut tx, &ctx.scope, ambula_domain::PaymentId::from_uuid(payment.id)).await?;
        let take = due.min(payment.unallocated_minor());
        move_money(&mut tx, &ctx.scope, payment.id, row.id, take, Cause::CreditApplied, now).await?;
        due -= take;
        applied += take;
    }
    if applied == 0 {
        return Err(ServiceError::field("status", "This patient has no credit to apply."));
    }
    let view = reload(&mut tx, ctx, InvoiceId::from_uuid(row.id), name_of(&patient)).await?;
    let detail = format!("{} credit applied to {}", Money::new(applied, view.currency), view.label);
    audit::record(&mut tx, &ctx.scope, &actor(ctx), Entry::ok("invoice.apply_credit", "invoice", row.id).patient(patient.id).detail(detail), now).await?;
    tx.commit().await?;
    Ok(view)
}

pub async fn get(services: &Services, ctx: &AuthContext, id: &str) -> Result<InvoiceView, ServiceError> {
    require(services, ctx, Permission::ViewBilling, "invoice.read", "invoice", id).await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let (row, patient) = or_denied!(tx, load_invoice(&mut tx, ctx, id, "invoice.read", now).await?);
    let view = view(&mut tx, ctx, row, name_of(&patient)).await?;
    audit::record(&mut tx, &ctx.scope, &actor(ctx), Entry::ok("invoice.read", "invoice", view.id).patient(patient.id), now).await?;
    tx.commit().await?;
    Ok(view)
}

/// A patient's invoices and credit notes, newest first.
pub async fn list_for_patient(services: &Services, ctx: &AuthContext, patient_id: &str) -> Result<Vec<InvoiceSummary>, ServiceError> {
    require(services, ctx, Permission::ViewBilling, "invoice.list", "patient", patient_id).await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let (patient, _) = or_denied!(tx, crate::services::patients::load_for(&mut tx, ctx, patient_id, "invoice.list", now).await?);
    let rows = repo::invoices::for_patient(&mut tx, &ctx.scope, PatientId::from_uuid(patient.id)).await?;
    let list = rows.iter().map(summary).collect::<Result<Vec<_>, _>>()?;
    let entry = Entry::ok("invoice.list", "patient", patient.id).patient(patient.id).detail(format!("{} documents", list.len()));
    audit::record(&mut tx, &ctx.scope, &actor(ctx), entry, now).await?;
    tx.commit().await?;
    Ok(list)
}

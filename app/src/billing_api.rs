//! Server functions of the billing screens. Each authenticates, calls one
//! service in `ambula_backend::services::billing` and shapes the answer
//! for the page: amounts leave as display strings in the clinic currency's
//! exponent ("12.50 EUR", "1 250 JPY" as the currency table says), so the
//! browser needs no currency table; charts get minor units as well.
//! Errors keep their field names (`amount`, `lines.0.unit_price`, …) so
//! each shows at its field. The PDFs and the accountant's CSV are plain GET
//! routes in the server (`server/src/billing_pdfs.rs`); the `*_href`
//! functions build their links.

use crate::error::AppError;
use ambula_domain::{
    accounts::NoExtraFields,
    billing::{AllocationForm, FeePackageForm, FeeServiceForm, InvoiceLineForm, PayerForm},
};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::session::require_auth;
#[cfg(feature = "ssr")]
use ambula_backend::services::billing::{fee_schedule, invoices, listing, packages, payers, payments, reports};

pub fn invoice_pdf_href(invoice_id: &str) -> String {
    format!("/api/invoices/{invoice_id}/pdf")
}

pub fn receipt_pdf_href(payment_id: &str) -> String {
    format!("/api/payments/{payment_id}/receipt")
}

pub fn statement_pdf_href(patient_id: &str) -> String {
    format!("/api/patients/{patient_id}/statement")
}

pub fn export_csv_href(from: &str, to: &str) -> String {
    format!("/api/billing/export.csv?from={from}&to={to}")
}

/// Payment methods the desk records (online payments come from the
/// provider's webhook, not this form).
pub const DESK_METHODS: [(&str, &str); 4] = [("cash", "Cash"), ("card", "Card"), ("bank_transfer", "Bank transfer"), ("insurance", "Insurance")];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceRowView {
    pub id: String,
    pub label: String,
    pub is_credit_note: bool,
    pub patient_id: String,
    pub patient: String,
    pub status: String,
    pub status_label: String,
    pub total: String,
    pub due: String,
    pub due_on: String,
    pub issued_on: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitView {
    pub appointment_id: String,
    pub patient: String,
    pub when: String,
    pub practitioner: String,
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverviewData {
    pub can_manage: bool,
    pub can_export: bool,
    pub invoices: Vec<InvoiceRowView>,
    pub visits: Vec<VisitView>,
}

#[cfg(feature = "ssr")]
async fn clinic_tz(services: &ambula_backend::Services, ctx: &ambula_backend::AuthContext) -> Result<chrono_tz::Tz, AppError> {
    let tz = ambula_backend::services::accounts::clinic_profile(services, ctx).await?.time_zone;
    Ok(ambula_domain::TimeZoneName::parse(&tz).map(|t| t.tz()).unwrap_or(chrono_tz::UTC))
}

#[cfg(feature = "ssr")]
fn local_day(at: Option<ambula_backend::time::DbTime>, tz: chrono_tz::Tz) -> String {
    at.map(|t| t.0.with_timezone(&tz).date_naive().to_string()).unwrap_or_default()
}

#[server(endpoint = "billing_overview")]
pub async fn billing_overview(status: String) -> Result<OverviewData, AppError> {
    let (services, ctx) = require_auth().await?;
    let tz = clinic_tz(&services, &ctx).await?;
    let list = listing::list(&services, &ctx, &status).await?;
    let visits = listing::uninvoiced_visits(&services, &ctx).await?;
    Ok(OverviewData {
        can_manage: ctx.can(ambula_domain::Permission::ManageBilling),
        can_export: ctx.can(ambula_domain::Permission::ExportData),
        invoices: list
            .into_iter()
            .map(|i| InvoiceRowView {
                id: i.id.to_string(),
                label: i.label,
                is_credit_note: i.is_credit_note,
                patient_id: i.patient_id.to_string(),
                patient: i.patient,
                status: i.status.as_str().to_owned(),
                status_label: i.status.label().to_owned(),
                total: i.total.to_string(),
                due: if i.due.is_zero() { String::new() } else { i.due.to_string() },
                due_on: i.due_on.map(|d| d.to_string()).unwrap_or_default(),
                issued_on: local_day(i.issued_at, tz),
            })
            .collect(),
        visits: visits
            .into_iter()
            .map(|v| VisitView { appointment_id: v.appointment_id.to_string(), patient: v.patient, when: v.when, practitioner: v.practitioner, kind: v.kind })
            .collect(),
    })
}

/// A draft invoice for a completed appointment; returns its id.
#[server(endpoint = "invoice_from_appointment")]
pub async fn invoice_from_appointment(appointment_id: String) -> Result<String, AppError> {
    let (services, ctx) = require_auth().await?;
    Ok(invoices::create_from_appointment(&services, &ctx, &appointment_id).await?.id.to_string())
}

/// A draft invoice typed by hand; returns its id.
#[server(endpoint = "invoice_create")]
pub async fn invoice_create(
    patient_id: String,
    payer_id: String,
    due_on: String,
    note: String,
    #[server(default)] lines: Vec<InvoiceLineForm>,
) -> Result<String, AppError> {
    let (services, ctx) = require_auth().await?;
    let form = ambula_domain::billing::InvoiceForm { patient_id, payer_id, due_on, note, lines };
    Ok(invoices::create(&services, &ctx, &form).await?.id.to_string())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineRowView {
    /// The fee-schedule service it came from, or empty.
    pub service_id: String,
    pub code: String,
    pub description: String,
    pub quantity: String,
    pub unit_price: String,
    pub discount: String,
    pub tax_rate: String,
    pub tax: String,
    pub total: String,
    /// As typed in a form, for editing a draft: "45.00", "" (no discount), "23".
    pub unit_price_decimal: String,
    pub discount_decimal: String,
    pub tax_rate_decimal: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocRefView {
    pub id: String,
    pub label: String,
    pub total: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRowView {
    pub id: String,
    pub label: String,
    pub method: String,
    pub amount: String,
    pub applied: String,
    pub refunded: String,
    /// Can still be refunded (non-zero).
    pub refundable: bool,
    pub received: String,
    pub reference: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceData {
    pub id: String,
    pub label: String,
    pub is_credit_note: bool,
    pub patient_id: String,
    pub patient_name: String,
    /// The payer whose prices apply, or empty.
    pub payer_id: String,
    /// "draft", "issued", "partially_paid", "paid", "credited", "void".
    pub status: String,
    pub status_label: String,
    pub currency: String,
    pub subtotal: String,
    pub tax: String,
    pub total: String,
    pub paid: String,
    pub credited: String,
    pub due: String,
    /// The amount due as typed in a form ("12.50"): the payment's default.
    pub due_decimal: String,
    pub has_due: bool,
    pub due_on: String,
    pub issued_on: String,
    pub note: String,
    pub reason: String,
    pub void_reason: String,
    pub lines: Vec<LineRowView>,
    pub credit_of: Option<DocRefView>,
    pub credit_notes: Vec<DocRefView>,
    pub payments: Vec<PaymentRowView>,
    pub can_manage: bool,
}

#[cfg(feature = "ssr")]
fn payment_row(p: listing::PaymentItem, tz: chrono_tz::Tz) -> PaymentRowView {
    PaymentRowView {
        id: p.id.to_string(),
        label: p.label,
        method: p.method.label().to_owned(),
        amount: p.amount.to_string(),
        applied: p.applied.to_string(),
        refunded: if p.refunded.is_zero() { String::new() } else { p.refunded.to_string() },
        refundable: !p.refundable.is_zero(),
        received: p.received_at.0.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string(),
        reference: p.reference.unwrap_or_default(),
    }
}

#[server(endpoint = "invoice_detail")]
pub async fn invoice_detail(invoice_id: String) -> Result<InvoiceData, AppError> {
    let (services, ctx) = require_auth().await?;
    let tz = clinic_tz(&services, &ctx).await?;
    let v = invoices::get(&services, &ctx, &invoice_id).await?;
    let paid_with = listing::payments_on_invoice(&services, &ctx, &invoice_id).await?;
    let doc_ref = |d: &invoices::DocumentRef| DocRefView { id: d.id.to_string(), label: d.label.clone(), total: d.total.to_string() };
    Ok(InvoiceData {
        id: v.id.to_string(),
        label: v.label.clone(),
        is_credit_note: v.is_credit_note,
        patient_id: v.patient_id.to_string(),
        patient_name: v.patient_name.clone(),
        payer_id: v.payer_id.map(|p| p.to_string()).unwrap_or_default(),
        status: v.status.as_str().to_owned(),
        status_label: v.status.label().to_owned(),
        currency: v.currency.code().to_owned(),
        subtotal: v.subtotal.to_string(),
        tax: v.tax.to_string(),
        total: v.total.to_string(),
        paid: v.paid.to_string(),
        credited: v.credited.to_string(),
        due: v.due.to_string(),
        due_decimal: v.due.decimal(),
        has_due: v.due.minor > 0,
        due_on: v.due_on.map(|d| d.to_string()).unwrap_or_default(),
        issued_on: local_day(v.issued_at, tz),
        note: v.note.clone().unwrap_or_default(),
        reason: v.reason.clone().unwrap_or_default(),
        void_reason: v.void_reason.clone().unwrap_or_default(),
        lines: v
            .lines
            .iter()
            .map(|l| LineRowView {
                service_id: l.service_id.map(|s| s.to_string()).unwrap_or_default(),
                code: l.code.clone().unwrap_or_default(),
                description: l.description.clone(),
                quantity: l.quantity.clone(),
                unit_price: l.unit_price.to_string(),
                discount: if l.discount.is_zero() { String::new() } else { l.discount.to_string() },
                tax_rate: l.tax_rate.percent(),
                tax: l.tax.to_string(),
                total: l.total.to_string(),
                unit_price_decimal: l.unit_price.decimal(),
                discount_decimal: if l.discount.is_zero() { String::new() } else { l.discount.decimal() },
                tax_rate_decimal: l.tax_rate.percent().trim_end_matches(" %").to_owned(),
            })
            .collect(),
        credit_of: v.credit_of.as_ref().map(doc_ref),
        credit_notes: v.credit_notes.iter().map(doc_ref).collect(),
        payments: paid_with.into_iter().map(|p| payment_row(p, tz)).collect(),
        can_manage: ctx.can(ambula_domain::Permission::ManageBilling),
    })
}

/// Replaces a draft's lines, due date and note (its patient and payer
/// stay); returns the draft's label. Line errors come back as
/// `lines.N.field`.
#[server(endpoint = "invoice_update_draft")]
pub async fn invoice_update_draft(
    invoice_id: String,
    patient_id: String,
    payer_id: String,
    due_on: String,
    note: String,
    #[server(default)] lines: Vec<InvoiceLineForm>,
) -> Result<String, AppError> {
    let (services, ctx) = require_auth().await?;
    let form = ambula_domain::billing::InvoiceForm { patient_id, payer_id, due_on, note, lines };
    Ok(invoices::update_draft(&services, &ctx, &invoice_id, &form).await?.label)
}

#[server(endpoint = "invoice_issue")]
pub async fn invoice_issue(invoice_id: String) -> Result<String, AppError> {
    let (services, ctx) = require_auth().await?;
    Ok(invoices::issue(&services, &ctx, &invoice_id).await?.label)
}

#[server(endpoint = "invoice_delete_draft")]
pub async fn invoice_delete_draft(invoice_id: String) -> Result<(), AppError> {
    let (services, ctx) = require_auth().await?;
    Ok(invoices::delete_draft(&services, &ctx, &invoice_id).await?)
}

#[server(endpoint = "invoice_void")]
pub async fn invoice_void(invoice_id: String, reason: String) -> Result<String, AppError> {
    let (services, ctx) = require_auth().await?;
    let form = ambula_domain::billing::ReasonForm { reason };
    Ok(invoices::void(&services, &ctx, &invoice_id, &form).await?.label)
}

/// `whole` ("on" or empty): credit all that is not yet credited; else the
/// lines given. Returns the credit note's id.
#[server(endpoint = "invoice_credit_note")]
pub async fn invoice_credit_note(
    invoice_id: String,
    reason: String,
    whole: String,
    #[server(default)] lines: Vec<InvoiceLineForm>,
) -> Result<String, AppError> {
    let (services, ctx) = require_auth().await?;
    let form = ambula_domain::billing::CreditNoteForm { reason, whole: (!whole.trim().is_empty()).then_some(whole), lines };
    // The service answers with the credit note just issued.
    Ok(invoices::credit_note(&services, &ctx, &invoice_id, &form).await?.id.to_string())
}

#[server(endpoint = "invoice_apply_credit")]
pub async fn invoice_apply_credit(invoice_id: String) -> Result<(), AppError> {
    let (services, ctx) = require_auth().await?;
    invoices::apply_credit(&services, &ctx, &invoice_id).await?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptData {
    pub payment_id: String,
    pub label: String,
    pub patient_id: String,
    pub patient_name: String,
    pub method: String,
    pub amount: String,
    pub received: String,
    pub reference: String,
    /// (invoice id, label, amount).
    pub allocations: Vec<(String, String, String)>,
    pub credit: String,
    pub refunded: String,
    pub can_manage: bool,
}

#[cfg(feature = "ssr")]
fn receipt_data(r: payments::ReceiptView, tz: chrono_tz::Tz, can_manage: bool) -> ReceiptData {
    ReceiptData {
        payment_id: r.payment_id.to_string(),
        label: r.label,
        patient_id: r.patient_id.to_string(),
        patient_name: r.patient_name,
        method: r.method.label().to_owned(),
        amount: r.amount.to_string(),
        received: r.received_at.0.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string(),
        reference: r.reference.unwrap_or_default(),
        allocations: r.allocations.into_iter().map(|(id, label, m)| (id.to_string(), label, m.to_string())).collect(),
        credit: r.credit.to_string(),
        refunded: r.refunded.to_string(),
        can_manage,
    }
}

/// A payment at the desk. `allocations` empty: the patient's open
/// invoices, oldest due first; the rest is credit. Returns the receipt.
#[server(endpoint = "payment_record")]
pub async fn payment_record(
    patient_id: String,
    method: String,
    amount: String,
    reference: String,
    #[server(default)] allocations: Vec<AllocationForm>,
) -> Result<ReceiptData, AppError> {
    let (services, ctx) = require_auth().await?;
    let tz = clinic_tz(&services, &ctx).await?;
    let form = ambula_domain::billing::PaymentForm { patient_id, method, amount, currency: String::new(), reference, allocations };
    let receipt = payments::record(&services, &ctx, &form).await?;
    Ok(receipt_data(receipt, tz, true))
}

#[server(endpoint = "payment_refund")]
pub async fn payment_refund(payment_id: String, amount: String, reason: String, method: String) -> Result<ReceiptData, AppError> {
    let (services, ctx) = require_auth().await?;
    let tz = clinic_tz(&services, &ctx).await?;
    let form = ambula_domain::billing::RefundForm { amount, reason, method };
    Ok(receipt_data(payments::refund(&services, &ctx, &payment_id, &form).await?, tz, true))
}

#[server(endpoint = "payment_receipt")]
pub async fn payment_receipt(payment_id: String) -> Result<ReceiptData, AppError> {
    let (services, ctx) = require_auth().await?;
    let tz = clinic_tz(&services, &ctx).await?;
    let can_manage = ctx.can(ambula_domain::Permission::ManageBilling);
    Ok(receipt_data(payments::get_receipt(&services, &ctx, &payment_id).await?, tz, can_manage))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementLine {
    pub date: String,
    pub description: String,
    pub amount: String,
    pub balance: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountData {
    pub patient_id: String,
    pub patient_name: String,
    pub balance: String,
    pub due: String,
    pub credit: String,
    pub has_credit: bool,
    pub entries: Vec<StatementLine>,
    pub invoices: Vec<InvoiceRowView>,
    pub payments: Vec<PaymentRowView>,
    pub can_manage: bool,
}

#[server(endpoint = "patient_account")]
pub async fn patient_account(patient_id: String) -> Result<AccountData, AppError> {
    let (services, ctx) = require_auth().await?;
    let tz = clinic_tz(&services, &ctx).await?;
    let account = payments::account(&services, &ctx, &patient_id).await?;
    let documents = invoices::list_for_patient(&services, &ctx, &patient_id).await?;
    let paid = listing::payments_of_patient(&services, &ctx, &patient_id).await?;
    Ok(AccountData {
        patient_id: account.patient_id.to_string(),
        patient_name: account.patient_name.clone(),
        balance: account.balance.to_string(),
        due: account.due.to_string(),
        credit: account.credit.to_string(),
        has_credit: account.credit.minor > 0,
        entries: account
            .entries
            .iter()
            .map(|e| StatementLine {
                date: e.at.0.with_timezone(&tz).date_naive().to_string(),
                description: e.description.clone(),
                amount: e.amount.to_string(),
                balance: e.balance.to_string(),
            })
            .collect(),
        invoices: documents
            .into_iter()
            .map(|d| InvoiceRowView {
                id: d.id.to_string(),
                label: d.label,
                is_credit_note: d.is_credit_note,
                patient_id: account.patient_id.to_string(),
                patient: account.patient_name.clone(),
                status: d.status.as_str().to_owned(),
                status_label: d.status.label().to_owned(),
                total: d.total.to_string(),
                due: if d.due.is_zero() { String::new() } else { d.due.to_string() },
                due_on: d.due_on.map(|x| x.to_string()).unwrap_or_default(),
                issued_on: local_day(d.issued_at, tz),
            })
            .collect(),
        payments: paid.into_iter().map(|p| payment_row(p, tz)).collect(),
        can_manage: ctx.can(ambula_domain::Permission::ManageBilling),
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeServiceRow {
    pub id: String,
    pub code: String,
    pub description: String,
    pub price: String,
    pub tax_rate: String,
    pub active: bool,
    /// The appointment type it bills, by name, or empty.
    pub appointment_type: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayerRow {
    pub id: String,
    pub name: String,
    pub kind: String,
    /// "CODE: price" per overridden service.
    pub prices: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageRow {
    pub name: String,
    pub service: String,
    pub sessions: u32,
    pub price: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeSettingsData {
    pub currency: String,
    pub can_manage: bool,
    pub services: Vec<FeeServiceRow>,
    pub payers: Vec<PayerRow>,
    pub packages: Vec<PackageRow>,
    /// Active appointment types a service can bill: (id, name).
    pub appointment_types: Vec<(String, String)>,
}

/// The fee schedule, payers and packages: the settings screen and the new
/// invoice form's pickers.
#[server(endpoint = "fee_settings")]
pub async fn fee_settings() -> Result<FeeSettingsData, AppError> {
    let (services, ctx) = require_auth().await?;
    let list = fee_schedule::list(&services, &ctx).await?;
    let payer_list = payers::list(&services, &ctx).await?;
    let package_list = packages::list(&services, &ctx).await?;
    let types = fee_schedule::appointment_types(&services, &ctx).await?;
    let type_name = |id: Option<ambula_domain::AppointmentTypeId>| {
        id.and_then(|id| types.iter().find(|(t, _)| *t == id)).map(|(_, n)| n.clone()).unwrap_or_default()
    };
    let currency = ambula_backend::services::accounts::clinic_profile(&services, &ctx).await?.currency;
    let code_of = |id: ambula_domain::FeeServiceId| list.iter().find(|s| s.id == id).map(|s| s.code.clone()).unwrap_or_default();
    Ok(FeeSettingsData {
        currency,
        can_manage: ctx.can(ambula_domain::Permission::ManageBilling),
        payers: payer_list
            .iter()
            .filter(|p| p.active)
            .map(|p| PayerRow {
                id: p.id.to_string(),
                name: p.name.clone(),
                kind: p.kind.as_str().replace('_', " "),
                prices: p.prices.iter().map(|(s, m)| format!("{}: {m}", code_of(*s))).collect(),
            })
            .collect(),
        packages: package_list
            .iter()
            .filter(|p| p.active)
            .map(|p| PackageRow { name: p.name.clone(), service: code_of(p.service_id), sessions: p.sessions, price: p.price.to_string() })
            .collect(),
        services: list
            .into_iter()
            .map(|s| FeeServiceRow {
                id: s.id.to_string(),
                code: s.code,
                description: s.description,
                price: s.price.to_string(),
                tax_rate: s.tax_rate.percent(),
                active: s.active,
                appointment_type: type_name(s.appointment_type_id),
            })
            .collect(),
        appointment_types: types.iter().map(|(id, name)| (id.to_string(), name.clone())).collect(),
    })
}

#[server(endpoint = "fee_service_create")]
pub async fn fee_service_create(
    #[server(flatten)] form: FeeServiceForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<String, AppError> {
    let _ = extra;
    let (services, ctx) = require_auth().await?;
    Ok(fee_schedule::create(&services, &ctx, &form).await?.code)
}

#[server(endpoint = "fee_service_set_active")]
pub async fn fee_service_set_active(service_id: String, active: bool) -> Result<(), AppError> {
    let (services, ctx) = require_auth().await?;
    Ok(fee_schedule::set_active(&services, &ctx, &service_id, active).await?)
}

#[server(endpoint = "payer_create")]
pub async fn payer_create(#[server(flatten)] form: PayerForm, #[server(flatten)] extra: NoExtraFields) -> Result<String, AppError> {
    let _ = extra;
    let (services, ctx) = require_auth().await?;
    payers::create(&services, &ctx, &form).await?;
    Ok(form.name.trim().to_owned())
}

#[server(endpoint = "payer_set_price")]
pub async fn payer_set_price(service_id: String, payer_id: String, price: String) -> Result<(), AppError> {
    let (services, ctx) = require_auth().await?;
    let form = ambula_domain::billing::PayerPriceForm { payer_id, price };
    Ok(payers::set_price(&services, &ctx, &service_id, &form).await?)
}

#[server(endpoint = "package_create")]
pub async fn package_create(
    #[server(flatten)] form: FeePackageForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<String, AppError> {
    let _ = extra;
    let (services, ctx) = require_auth().await?;
    Ok(packages::create(&services, &ctx, &form).await?.name)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgingLine {
    pub invoice_id: String,
    pub label: String,
    pub patient: String,
    pub due_on: String,
    pub days_overdue: i64,
    pub bucket: String,
    pub due: String,
}

/// One bar of a revenue chart: its label, minor units and display text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bar {
    pub label: String,
    pub minor: i64,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportsData {
    pub as_of: String,
    /// The four aging buckets (0–30, 31–60, 61–90, 90+), display text.
    pub buckets: Vec<(String, String)>,
    pub aging_total: String,
    pub aging: Vec<AgingLine>,
    pub cash_day: String,
    pub cash_by_method: Vec<(String, String)>,
    pub cash_by_staff: Vec<(String, String)>,
    pub cash_payments: String,
    pub cash_refunds: String,
    pub cash_net: String,
    pub from: String,
    pub to: String,
    pub group_by: String,
    pub by_period: Vec<Bar>,
    pub by_practitioner: Vec<Bar>,
    pub by_service: Vec<Bar>,
    pub revenue: String,
    pub invoiced: String,
    pub credited: String,
    pub collected: String,
    /// "98.5 %", or "—" when nothing was invoiced.
    pub collection_rate: String,
    pub outstanding: String,
    pub can_export: bool,
}

#[cfg(feature = "ssr")]
fn rate_text(bp: Option<i64>) -> String {
    match bp {
        None => "—".to_owned(),
        Some(bp) => {
            let tenths = bp / 10;
            format!("{}.{} %", tenths / 10, (tenths % 10).abs())
        }
    }
}

/// Aging as of `as_of`, the cash-up of `day`, revenue from `from` to `to`
/// grouped by `group_by` (day, week, month). Empty dates: today, and the
/// last 30 days.
#[server(endpoint = "billing_reports")]
pub async fn billing_reports(as_of: String, day: String, from: String, to: String, group_by: String) -> Result<ReportsData, AppError> {
    let (services, ctx) = require_auth().await?;
    let aging = reports::aging(&services, &ctx, &as_of).await?;
    let cash = reports::cash_up(&services, &ctx, &day).await?;
    let today = aging.as_of;
    let (from, to) = if from.trim().is_empty() && to.trim().is_empty() {
        ((today - chrono::Duration::days(29)).to_string(), today.to_string())
    } else {
        (from, to)
    };
    let period = ambula_domain::billing::PeriodForm { from: from.clone(), to: to.clone(), group_by: group_by.clone() };
    let revenue = reports::revenue(&services, &ctx, &period).await?;
    let bar = |label: String, m: ambula_domain::billing::Money| Bar { label, minor: m.minor, text: m.to_string() };
    Ok(ReportsData {
        as_of: aging.as_of.to_string(),
        buckets: ["0–30 days", "31–60 days", "61–90 days", "Over 90 days"]
            .iter()
            .zip(aging.buckets.iter())
            .map(|(l, m)| ((*l).to_owned(), m.to_string()))
            .collect(),
        aging_total: aging.total.to_string(),
        aging: aging
            .rows
            .into_iter()
            .map(|r| AgingLine {
                invoice_id: r.invoice_id.to_string(),
                label: r.label,
                patient: r.patient,
                due_on: r.due_on.map(|d| d.to_string()).unwrap_or_default(),
                days_overdue: r.days_overdue,
                bucket: r.bucket.label().to_owned(),
                due: r.due.to_string(),
            })
            .collect(),
        cash_day: cash.day.to_string(),
        cash_by_method: cash.by_method.iter().map(|(m, v)| (m.label().to_owned(), v.to_string())).collect(),
        cash_by_staff: cash.by_staff.iter().map(|(s, v)| (s.clone(), v.to_string())).collect(),
        cash_payments: cash.payments.to_string(),
        cash_refunds: cash.refunds.to_string(),
        cash_net: cash.net.to_string(),
        from,
        to,
        group_by: match revenue.period.group_by {
            ambula_domain::billing::Granularity::Day => "day",
            ambula_domain::billing::Granularity::Week => "week",
            ambula_domain::billing::Granularity::Month => "month",
        }
        .to_owned(),
        by_period: revenue.by_period.iter().map(|(d, m)| bar(d.to_string(), *m)).collect(),
        by_practitioner: revenue.by_practitioner.iter().map(|(p, m)| bar(p.clone(), *m)).collect(),
        by_service: revenue.by_service.iter().map(|(s, m)| bar(s.clone(), *m)).collect(),
        revenue: revenue.revenue.to_string(),
        invoiced: revenue.invoiced.to_string(),
        credited: revenue.credited.to_string(),
        collected: revenue.collected.to_string(),
        collection_rate: rate_text(revenue.collection_rate_bp),
        outstanding: revenue.outstanding.to_string(),
        can_export: ctx.can(ambula_domain::Permission::ExportData),
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoverageRowView {
    pub id: String,
    /// "Mutual Saúde · member 123 · plan Gold · 80 % · from 2026-01-01".
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimRowView {
    pub id: String,
    pub label: String,
    pub payer: String,
    /// "draft", "submitted", "accepted", "denied", "paid".
    pub status: String,
    pub amount: String,
    pub amount_decimal: String,
    pub paid: String,
    pub diagnosis: String,
    pub procedures: String,
    pub denial_reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverages {
    pub coverages: Vec<CoverageRowView>,
    /// Payers to choose from when adding one.
    pub payers: Vec<(String, String)>,
    pub can_manage: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InsuranceData {
    pub coverages: Vec<CoverageRowView>,
    pub claims: Vec<ClaimRowView>,
}

#[cfg(feature = "ssr")]
fn coverage_row(c: ambula_backend::services::billing::insurance::CoverageView) -> CoverageRowView {
    let mut label = format!("{} · member {}", c.payer_name, c.member_id);
    if let Some(plan) = &c.plan {
        label.push_str(&format!(" · plan {plan}"));
    }
    label.push_str(&format!(" · {} % · from {}", c.covered_percent, c.valid_from));
    if let Some(to) = c.valid_to {
        label.push_str(&format!(" to {to}"));
    }
    CoverageRowView { id: c.id.to_string(), label }
}

#[cfg(feature = "ssr")]
fn claim_row(c: ambula_backend::services::billing::insurance::ClaimView) -> ClaimRowView {
    ClaimRowView {
        id: c.id.to_string(),
        label: c.label,
        payer: format!("{} · member {}", c.payer_name, c.member_id),
        status: c.status.as_str().to_owned(),
        amount: c.amount.to_string(),
        amount_decimal: c.amount.decimal(),
        paid: c.paid.to_string(),
        diagnosis: c.diagnosis_codes.map(|d| d.join(", ")).unwrap_or_else(|| "(not shown to your role)".to_owned()),
        procedures: c.procedure_codes.join(", "),
        denial_reason: c.denial_reason.unwrap_or_default(),
    }
}

#[server(endpoint = "patient_coverages")]
pub async fn patient_coverages(patient_id: String) -> Result<Coverages, AppError> {
    use ambula_backend::services::billing::insurance;
    let (services, ctx) = require_auth().await?;
    let list = insurance::coverages(&services, &ctx, &patient_id).await?;
    let payer_list = payers::list(&services, &ctx).await?;
    Ok(Coverages {
        coverages: list.into_iter().map(coverage_row).collect(),
        payers: payer_list.into_iter().filter(|p| p.active).map(|p| (p.id.to_string(), p.name)).collect(),
        can_manage: ctx.can(ambula_domain::Permission::ManageBilling),
    })
}

#[server(endpoint = "coverage_add")]
pub async fn coverage_add(
    patient_id: String,
    #[server(flatten)] form: ambula_domain::billing::CoverageForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<(), AppError> {
    use ambula_backend::services::billing::insurance;
    let _ = extra;
    let (services, ctx) = require_auth().await?;
    insurance::add_coverage(&services, &ctx, &patient_id, &form).await?;
    Ok(())
}

/// The patient's coverages and the claims made from this invoice.
#[server(endpoint = "invoice_insurance")]
pub async fn invoice_insurance(invoice_id: String) -> Result<InsuranceData, AppError> {
    use ambula_backend::services::billing::insurance;
    let (services, ctx) = require_auth().await?;
    let claims = insurance::claims_of_invoice(&services, &ctx, &invoice_id).await?;
    let patient = invoices::get(&services, &ctx, &invoice_id).await?.patient_id.to_string();
    let coverages = insurance::coverages(&services, &ctx, &patient).await?;
    Ok(InsuranceData { coverages: coverages.into_iter().map(coverage_row).collect(), claims: claims.into_iter().map(claim_row).collect() })
}

#[server(endpoint = "claim_create")]
pub async fn claim_create(
    invoice_id: String,
    coverage_id: String,
    diagnosis_codes: String,
    procedure_codes: String,
    amount: String,
) -> Result<(), AppError> {
    use ambula_backend::services::billing::insurance;
    let (services, ctx) = require_auth().await?;
    let form = ambula_domain::billing::ClaimForm { invoice_id, coverage_id, diagnosis_codes, procedure_codes, amount };
    insurance::create_claim(&services, &ctx, &form).await?;
    Ok(())
}

#[server(endpoint = "claim_submit")]
pub async fn claim_submit(claim_id: String) -> Result<(), AppError> {
    use ambula_backend::services::billing::insurance;
    let (services, ctx) = require_auth().await?;
    insurance::submit_claim(&services, &ctx, &claim_id).await?;
    Ok(())
}

/// `decision`: "accept" or "deny" (with `reason`).
#[server(endpoint = "claim_decide")]
pub async fn claim_decide(claim_id: String, decision: String, reason: String) -> Result<(), AppError> {
    use ambula_backend::services::billing::insurance;
    let (services, ctx) = require_auth().await?;
    let form = ambula_domain::billing::ClaimDecisionForm { decision, reason };
    insurance::decide_claim(&services, &ctx, &claim_id, &form).await?;
    Ok(())
}

#[server(endpoint = "claim_remit")]
pub async fn claim_remit(claim_id: String, amount: String, reference: String) -> Result<(), AppError> {
    use ambula_backend::services::billing::insurance;
    let (services, ctx) = require_auth().await?;
    let form = ambula_domain::billing::RemittanceForm { amount, reference };
    insurance::post_remittance(&services, &ctx, &claim_id, &form).await?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatientPackageView {
    pub id: String,
    pub name: String,
    pub service_id: String,
    pub invoice_id: String,
    pub used: u32,
    pub total: u32,
    pub remaining: u32,
    /// False once the invoice it was sold on is voided or credited.
    pub usable: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionCandidateView {
    pub appointment_id: String,
    pub service_id: String,
    /// "2026-11-24 09:30 · Physiotherapy · Dr Silva (completed)".
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackagesData {
    pub packages: Vec<PatientPackageView>,
    /// Active packages of the fee schedule: (id, "Physio ×5 · 5 sessions · 200.00 EUR").
    pub for_sale: Vec<(String, String)>,
    /// The patient's appointments a session could cover.
    pub candidates: Vec<SessionCandidateView>,
    pub can_manage: bool,
}

/// A patient's packages, what can be sold to them, and the appointments a
/// session could be used for.
#[server(endpoint = "patient_packages")]
pub async fn patient_packages(patient_id: String) -> Result<PackagesData, AppError> {
    let (services, ctx) = require_auth().await?;
    let sold = packages::for_patient(&services, &ctx, &patient_id).await?;
    let candidates = packages::session_candidates(&services, &ctx, &patient_id).await?;
    let list = packages::list(&services, &ctx).await?;
    Ok(PackagesData {
        packages: sold
            .into_iter()
            .map(|p| PatientPackageView {
                id: p.id.to_string(),
                name: p.name,
                service_id: p.service_id.to_string(),
                invoice_id: p.invoice_id.to_string(),
                used: p.sessions_used,
                total: p.sessions_total,
                remaining: p.remaining,
                usable: p.usable,
            })
            .collect(),
        for_sale: list
            .into_iter()
            .filter(|p| p.active)
            .map(|p| (p.id.to_string(), format!("{} · {} sessions · {}", p.name, p.sessions, p.price)))
            .collect(),
        candidates: candidates
            .into_iter()
            .map(|c| SessionCandidateView {
                appointment_id: c.appointment_id.to_string(),
                service_id: c.service_id.to_string(),
                label: format!("{} · {} · {} ({})", c.when, c.kind, c.practitioner, c.status.replace('_', " ")),
            })
            .collect(),
        can_manage: ctx.can(ambula_domain::Permission::ManageBilling),
    })
}

/// Sells a package: an issued invoice of its price; returns the invoice's id.
#[server(endpoint = "package_sell")]
pub async fn package_sell(patient_id: String, package_id: String) -> Result<String, AppError> {
    let (services, ctx) = require_auth().await?;
    Ok(packages::sell(&services, &ctx, &patient_id, &package_id).await?.0.id.to_string())
}

/// Uses one session of a patient's package for an appointment; returns
/// "Physio ×5: 2 of 5 sessions used".
#[server(endpoint = "package_use_session")]
pub async fn package_use_session(patient_package_id: String, appointment_id: String) -> Result<String, AppError> {
    let (services, ctx) = require_auth().await?;
    let p = packages::use_session(&services, &ctx, &patient_package_id, &appointment_id).await?;
    Ok(format!("{}: {} of {} sessions used", p.name, p.sessions_used, p.sessions_total))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimListRowView {
    pub id: String,
    pub label: String,
    pub invoice_id: String,
    pub invoice_label: String,
    pub patient_id: String,
    pub patient: String,
    pub payer: String,
    pub status: String,
    pub amount: String,
    pub paid: String,
    pub created_on: String,
}

/// The clinic's insurance claims; `status` empty for all.
#[server(endpoint = "claims_list")]
pub async fn claims_list(status: String) -> Result<Vec<ClaimListRowView>, AppError> {
    let (services, ctx) = require_auth().await?;
    let tz = clinic_tz(&services, &ctx).await?;
    let rows = listing::claims(&services, &ctx, &status).await?;
    Ok(rows
        .into_iter()
        .map(|c| ClaimListRowView {
            id: c.id.to_string(),
            label: c.label,
            invoice_id: c.invoice_id.to_string(),
            invoice_label: c.invoice_label,
            patient_id: c.patient_id.to_string(),
            patient: c.patient,
            payer: c.payer,
            status: c.status.as_str().to_owned(),
            amount: c.amount.to_string(),
            paid: c.paid.to_string(),
            created_on: local_day(Some(c.created_at), tz),
        })
        .collect())
}

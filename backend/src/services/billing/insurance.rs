//! Insurance: patients' coverage, claims made from invoices, the claim
//! workflow (draft → submitted → accepted / denied → paid), and remittance
//! posting: the payer's payment settles the covered part of the invoice
//! and the patient's share stays due. Diagnosis codes are sealed with the
//! clinic's data key and shown only to those who bill (`ManageBilling`) or
//! read clinical records (`ViewClinical`).

use super::{actor, document_label, load_invoice, or_denied, payments::record_in, require, stored_currency, ClinicBilling};
use crate::{
    audit::{self, Entry},
    db::Tx,
    envelope::{Field, KeyOwner},
    error::ServiceError,
    repo::{
        self,
        insurance::{ClaimRow, CoverageRow, NewClaim},
        invoices::Series,
    },
    scope::AuthContext,
    Services,
};
use ambula_domain::{
    billing::{
        insurance::CoverageSpec, ClaimDecisionForm, ClaimForm, ClaimStatus, CoverageForm, InvoiceStatus, Money, PaymentCommand,
        PaymentMethod, RemittanceForm,
    },
    InvoiceId, PatientId, PayerId, PaymentId, Permission,
};
use chrono::NaiveDate;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoverageView {
    pub id: Uuid,
    pub payer_id: PayerId,
    pub payer_name: String,
    pub member_id: String,
    pub plan: Option<String>,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub covered_percent: u8,
}

fn coverage_view(row: CoverageRow) -> CoverageView {
    CoverageView {
        id: row.id,
        payer_id: PayerId::from_uuid(row.payer_id),
        payer_name: row.payer_name,
        member_id: row.member_id,
        plan: row.plan,
        valid_from: row.valid_from,
        valid_to: row.valid_to,
        covered_percent: row.covered_percent.clamp(0, 100) as u8,
    }
}

fn spec_of(row: &CoverageRow) -> CoverageSpec {
    CoverageSpec {
        payer_id: PayerId::from_uuid(row.payer_id),
        member_id: row.member_id.clone(),
        plan: row.plan.clone(),
        valid_from: row.valid_from,
        valid_to: row.valid_to,
        covered_percent: row.covered_percent.clamp(0, 100) as u8,
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimView {
    pub id: Uuid,
    /// "CLM-000001".
    pub label: String,
    pub invoice_id: InvoiceId,
    pub invoice_label: String,
    pub payer_name: String,
    pub member_id: String,
    pub status: ClaimStatus,
    pub amount: Money,
    pub paid: Money,
    /// ICD-10 codes; `None` for those who neither bill nor read clinical records.
    pub diagnosis_codes: Option<Vec<String>>,
    pub procedure_codes: Vec<String>,
    pub denial_reason: Option<String>,
    pub remittance_reference: Option<String>,
    pub payment_id: Option<PaymentId>,
}

fn field_of(id: &str) -> Field<'_> {
    Field { table: "claims", column: "diagnosis_sealed", row: id }
}

async fn claim_view(services: &Services, tx: &mut Tx, ctx: &AuthContext, row: ClaimRow) -> Result<ClaimView, ServiceError> {
    let invoice = repo::invoices::get(tx, &ctx.scope, InvoiceId::from_uuid(row.invoice_id)).await?.ok_or(ServiceError::NotFound)?;
    let coverage = repo::insurance::coverage(tx, &ctx.scope, row.coverage_id).await?.ok_or(ServiceError::NotFound)?;
    let currency = stored_currency(&invoice.currency)?;
    let diagnosis_codes = if ctx.can(Permission::ManageBilling) || ctx.can(Permission::ViewClinical) {
        let id = row.id.to_string();
        let plain = services.keys.decrypt(tx, KeyOwner::clinic(&ctx.scope), field_of(&id), &row.diagnosis_sealed).await?;
        let text = String::from_utf8(plain.to_vec()).map_err(|_| ServiceError::Internal(format!("claim {id}: diagnosis codes are not text")))?;
        Some(text.split(',').filter(|c| !c.is_empty()).map(str::to_owned).collect())
    } else {
        None
    };
    Ok(ClaimView {
        id: row.id,
        label: format!("CLM-{:06}", row.number),
        invoice_id: InvoiceId::from_uuid(row.invoice_id),
        invoice_label: document_label(&invoice.kind, invoice.number),
        payer_name: coverage.payer_name,
        member_id: coverage.member_id,
        status: row.status()?,
        amount: Money::new(row.amount_minor, currency),
        paid: Money::new(row.paid_minor, currency),
        diagnosis_codes,
        procedure_codes: row.procedure_codes.split(',').filter(|c| !c.is_empty()).map(str::to_owned).collect(),
        denial_reason: row.denial_reason,
        remittance_reference: row.remittance_reference,
        payment_id: row.payment_id.map(PaymentId::from_uuid),
    })
}

pub async fn add_coverage(services: &Services, ctx: &AuthContext, patient_id: &str, form: &CoverageForm) -> Result<CoverageView, ServiceError> {
    require(services, ctx, Permission::ManageBilling, "coverage.create", "patient", patient_id).await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let (patient, _) = or_denied!(tx, crate::services::patients::load_for(&mut tx, ctx, patient_id, "coverage.create", now).await?);
    let spec = form.parse()?;
    match repo::payers::get(&mut tx, &ctx.scope, spec.payer_id).await? {
        Some(p) if p.active => {}
        _ => return Err(ServiceError::field("payer_id", "Choose a payer.")),
    }
    let id = repo::insurance::insert_coverage(&mut tx, &ctx.scope, PatientId::from_uuid(patient.id), &spec, now).await?;
    let row = repo::insurance::coverage(&mut tx, &ctx.scope, id).await?.ok_or(ServiceError::NotFound)?;
    let detail = format!("{} member {} from {}", row.payer_name, row.member_id, row.valid_from);
    audit::record(&mut tx, &ctx.scope, &actor(ctx), Entry::ok("coverage.create", "coverage", id).patient(patient.id).detail(detail), now).await?;
    tx.commit().await?;
    Ok(coverage_view(row))
}

pub async fn coverages(services: &Services, ctx: &AuthContext, patient_id: &str) -> Result<Vec<CoverageView>, ServiceError> {
    require(services, ctx, Permission::ViewBilling, "coverage.read", "patient", patient_id).await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let (patient, _) = or_denied!(tx, crate::services::patients::load_for(&mut tx, ctx, patient_id, "coverage.read", now).await?);
    let rows = repo::insurance::coverages_of(&mut tx, &ctx.scope, PatientId::from_uuid(patient.id)).await?;
    audit::record(&mut tx, &ctx.scope, &actor(ctx), Entry::ok("coverage.read", "patient", patient.id).patient(patient.id), now).await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(coverage_view).collect())
}

/// A draft claim for an issued invoice with money due, under one of the
/// patient's coverages valid on the invoice's date. Its amount is the
/// coverage's share of what is due unless given (never more than is due);
/// its procedure codes are the invoice lines' codes unless given.
pub async fn create_claim(services: &Services, ctx: &AuthContext, form: &ClaimForm) -> Result<ClaimView, ServiceError> {
    require(services, ctx, Permission::ManageBilling, "claim.create", "invoice", &form.invoice_id).await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let billing = ClinicBilling::load(&mut tx, ctx).await?;
    let spec = form.parse(billing.currency)?;
    let (invoice, patient) = or_denied!(tx, load_invoice(&mut tx, ctx, &spec.invoice_id.to_string(), "claim.create", now).await?);
    if invoice.is_credit_note() || !matches!(invoice.status()?, InvoiceStatus::Issued | InvoiceStatus::PartiallyPaid) || invoice.due_minor() <= 0 {
        return Err(ServiceError::field("invoice_id", "Only an issued invoice with money due can be claimed."));
    }
    let coverage = repo::insurance::coverage(&mut tx, &ctx.scope, spec.coverage_id).await?;
    let Some(coverage) = coverage.filter(|c| c.patient_id == invoice.patient_id) else {
        return Err(ServiceError::field("coverage_id", "Choose one of this patient's coverages."));
    };
    let issued_on = invoice.issued_at.map(|t| billing.local_date(t)).unwrap_or_else(|| billing.today(now));
    if !spec_of(&coverage).valid_on(issued_on) {
        return Err(ServiceError::field("coverage_id", format!("This coverage was not valid on {issued_on}, the invoice's date.")));
    }
    let due = invoice.due_minor();
    let amount = match spec.amount {
        Some(m) if m.minor > due => {
            return Err(ServiceError::field("amount", format!("Only {} is due on this invoice.", billing.money(due))));
        }
        Some(m) => m.minor,
        None => spec_of(&coverage).covered_part(due),
    };
    if amount <= 0 {
        return Err(ServiceError::field("amount", "This coverage pays nothing of this invoice."));
    }
    let procedures = if spec.procedure_codes.is_empty() {
        let mut codes: Vec<String> = Vec::new();
        for line in repo::invoices::lines(&mut tx, &ctx.scope, InvoiceId::from_uuid(invoice.id)).await? {
            if let Some(code) = line.code.filter(|c| !codes.contains(c)) {
                codes.push(code);
            }
        }
        codes
    } else {
        spec.procedure_codes.clone()
    };
    if procedures.is_empty() {
        return Err(ServiceError::field("procedure_codes", "The invoice's lines have no codes: give the procedure codes."));
    }
    let id = Uuid::now_v7();
    let row_id = id.to_string();
    let sealed = services
        .keys
        .encrypt(&mut tx, KeyOwner::clinic(&ctx.scope), field_of(&row_id), spec.diagnosis_codes.join(",").as_bytes(), now)
        .await?;
    let number = repo::invoices::next_number(&mut tx, &ctx.scope, Series::Claim).await?;
    let claim = NewClaim {
        id,
        number,
        invoice_id: InvoiceId::from_uuid(invoice.id),
        coverage_id: coverage.id,
        payer_id: coverage.payer_id,
        diagnosis_sealed: &sealed,
        procedure_codes: &procedures.join(","),
        amount_minor: amount,
    };
    repo::insurance::insert_claim(&mut tx, &ctx.scope, claim, now).await?;
    let row = repo::insurance::claim(&mut tx, &ctx.scope, id).await?.ok_or(ServiceError::NotFound)?;
    let view = claim_view(services, &mut tx, ctx, row).await?;
    // The audit detail names the claim, never the diagnoses.
    let detail = format!("{} on {} to {} for {}", view.label, view.invoice_label, view.payer_name, view.amount);
    audit::record(&mut tx, &ctx.scope, &actor(ctx), Entry::ok("claim.create", "claim", id).patient(patient.id).detail(detail), now).await?;
    tx.commit().await?;
    Ok(view)
}

/// Loads a claim the caller may act on (its invoice's patient included),
/// or records the denial.
async fn load_claim(
    tx: &mut Tx,
    ctx: &AuthContext,
    raw_id: &str,
    action: &'static str,
    now: crate::time::DbTime,
) -> Result<Result<(ClaimRow, repo::patients::PatientRow), ServiceError>, ServiceError> {
    let row = match ambula_domain::parse_uuid(raw_id) {
        Ok(id) => {
            repo::insurance::lock_claim(tx, &ctx.scope, id).await?;
            repo::insurance::claim(tx, &ctx.scope, id).await?
        }
        Err(_) => None,
    };
    let Some(row) = row else {
        audit::record(tx, &ctx.scope, &actor(ctx), Entry::denied(action, "claim", raw_id), now).await?;
        return Ok(Err(ServiceError::NotFound));
    };
    Ok(load_invoice(tx, ctx, &row.invoice_id.to_string(), action, now).await?.map(|(_, patient)| (row, patient)))
}

fn wrong_step(status: ClaimStatus) -> ServiceError {
    ServiceError::field("status", format!("This claim is {}: that step does not apply.", status.as_str()))
}

/// Draft → submitted.
pub async fn submit_claim(services: &Services, ctx: &AuthContext, claim_id: &str) -> Result<ClaimView, ServiceError> {
    require(services, ctx, Permission::ManageBilling, "claim.submit", "claim", claim_id).await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let (row, patient) = or_denied!(tx, load_claim(&mut tx, ctx, claim_id, "claim.submit", now).await?);
    let status = row.status()?;
    if !status.can_move_to(ClaimStatus::Submitted)
        || !repo::insurance::set_status(&mut tx, &ctx.scope, row.id, status, ClaimStatus::Submitted, None, now).await?
    {
        return Err(wrong_step(status));
    }
    audit::record(&mut tx, &ctx.scope, &actor(ctx), Entry::ok("claim.submit", "claim", row.id).patient(patient.id), now).await?;
    let row = repo::insurance::claim(&mut tx, &ctx.scope, row.id).await?.ok_or(ServiceError::NotFound)?;
    let view = claim_view(services, &mut tx, ctx, row).await?;
    tx.commit().await?;
    Ok(view)
}

/// The payer's decision on a submitted claim: accepted, or denied with its
/// reason (the whole invoice stays the patient's to pay).
pub async fn decide_claim(services: &Services, ctx: &AuthContext, claim_id: &str, form: &ClaimDecisionForm) -> Result<ClaimView, ServiceError> {
    require(services, ctx, Permission::ManageBilling, "claim.decide", "claim", claim_id).await?;
    let (next, reason) = form.parse()?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let (row, patient) = or_denied!(tx, load_claim(&mut tx, ctx, claim_id, "claim.decide", now).await?);
    let status = row.status()?;
    if !status.can_move_to(next) || !repo::insurance::set_status(&mut tx, &ctx.scope, row.id, status, next, reason.as_deref(), now).await? {
        return Err(wrong_step(status));
    }
    let detail = match &reason {
        Some(r) => format!("denied: {r}"),
        None => "accepted".to_owned(),
    };
    audit::record(&mut tx, &ctx.scope, &actor(ctx), Entry::ok("claim.decide", "claim", row.id).patient(patient.id).detail(detail), now).await?;
    let row = repo::insurance::claim(&mut tx, &ctx.scope, row.id).await?.ok_or(ServiceError::NotFound)?;
    let view = claim_view(services, &mut tx, ctx, row).await?;
    tx.commit().await?;
    Ok(view)
}

/// Posts the payer's remittance: an insurance payment on the invoice (no
/// more than the claim; anything beyond what the invoice still owes is the
/// patient's credit), and the claim is paid. The patient's share stays due.
pub async fn post_remittance(services: &Services, ctx: &AuthContext, claim_id: &str, form: &RemittanceForm) -> Result<ClaimView, ServiceError> {
    require(services, ctx, Permission::ManageBilling, "claim.remit", "claim", claim_id).await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let (row, patient) = or_denied!(tx, load_claim(&mut tx, ctx, claim_id, "claim.remit", now).await?);
    let invoice = repo::invoices::get(&mut tx, &ctx.scope, InvoiceId::from_uuid(row.invoice_id)).await?.ok_or(ServiceError::NotFound)?;
    let currency = stored_currency(&invoice.currency)?;
    let (amount, reference) = form.parse(currency)?;
    let status = row.status()?;
    if !status.can_move_to(ClaimStatus::Paid) {
        return Err(wrong_step(status));
    }
    if amount.minor > row.amount_minor {
        return Err(ServiceError::field("amount", format!("The claim was for {}; a payer does not pay more.", Money::new(row.amount_minor, currency))));
    }
    let due = invoice.due_minor();
    let payable = matches!(invoice.status()?, InvoiceStatus::Issued | InvoiceStatus::PartiallyPaid) && due > 0;
    let command = PaymentCommand {
        patient_id: PatientId::from_uuid(invoice.patient_id),
        method: PaymentMethod::Insurance,
        amount,
        reference: reference.clone().or_else(|| Some(format!("CLM-{:06}", row.number))),
        allocations: if payable { vec![(InvoiceId::from_uuid(invoice.id), Some(Money::new(amount.minor.min(due), currency)))] } else { Vec::new() },
    };
    let payment = record_in(&mut tx, &ctx.scope, &command, false, Some(ctx.membership_id), None, now).await?;
    if !repo::insurance::set_paid(&mut tx, &ctx.scope, row.id, amount.minor, payment, reference.as_deref(), now).await? {
        return Err(wrong_step(status));
    }
    let detail = format!("CLM-{:06}: {amount} remitted on {}", row.number, document_label(&invoice.kind, invoice.number));
    audit::record(&mut tx, &ctx.scope, &actor(ctx), Entry::ok("claim.remit", "claim", row.id).patient(patient.id).detail(detail), now).await?;
    let row = repo::insurance::claim(&mut tx, &ctx.scope, row.id).await?.ok_or(ServiceError::NotFound)?;
    let view = claim_view(services, &mut tx, ctx, row).await?;
    tx.commit().await?;
    Ok(view)
}

pub async fn get_claim(services: &Services, ctx: &AuthContext, claim_id: &str) -> Result<ClaimView, ServiceError> {
    require(services, ctx, Permission::ViewBilling, "claim.read", "claim", claim_id).await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let (row, patient) = or_denied!(tx, load_claim(&mut tx, ctx, claim_id, "claim.read", now).await?);
    let id = row.id;
    let view = claim_view(services, &mut tx, ctx, row).await?;
    audit::record(&mut tx, &ctx.scope, &actor(ctx), Entry::ok("claim.read", "claim", id).patient(patient.id), now).await?;
    tx.commit().await?;
    Ok(view)
}

/// The claims made from an invoice, newest first (the invoice's page).
pub async fn claims_of_invoice(services: &Services, ctx: &AuthContext, invoice_id: &str) -> Result<Vec<ClaimView>, ServiceError> {
    require(services, ctx, Permission::ViewBilling, "claim.read", "invoice", invoice_id).await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let (invoice, patient) = or_denied!(tx, load_invoice(&mut tx, ctx, invoice_id, "claim.read", now).await?);
    let mut views = Vec::new();
    for row in repo::insurance::claims_of_invoice(&mut tx, &ctx.scope, invoice.id).await? {
        views.push(claim_view(services, &mut tx, ctx, row).await?);
    }
    let entry = Entry::ok("claim.read", "invoice", invoice.id).patient(patient.id).detail(format!("{} claims", views.len()));
    audit::record(&mut tx, &ctx.scope, &actor(ctx), entry, now).await?;
    tx.commit().await?;
    Ok(views)
}

//! Packages: so many visits of one service, sold up front on an invoice
//! (which the patient pays like any other), then used one appointment at a
//! time. An appointment covered by a package is not invoiced again.

use super::{actor, invoices::InvoiceView, or_denied, require, ClinicBilling};
use crate::{
    audit::{self, Entry},
    error::ServiceError,
    repo::{
        self,
        invoices::{Issue, NewDocument, Series},
        packages::{PackageRow, PatientPackageRow},
    },
    scope::AuthContext,
    Services,
};
use ambula_domain::{
    billing::{forms::DEFAULT_DUE_DAYS, FeePackageForm, InvoiceStatus, LineInput, LineSpec, Money, Quantity, TaxRate},
    AppointmentId, AppointmentTypeId, FeePackageId, FeeServiceId, InvoiceId, PatientId, PatientPackageId, Permission,
};
use chrono::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageView {
    pub id: FeePackageId,
    pub name: String,
    pub service_id: FeeServiceId,
    pub sessions: u32,
    pub price: Money,
    pub tax_rate: TaxRate,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatientPackageView {
    pub id: PatientPackageId,
    pub name: String,
    /// The service its sessions cover.
    pub service_id: FeeServiceId,
    pub invoice_id: InvoiceId,
    pub sessions_total: u32,
    pub sessions_used: u32,
    pub remaining: u32,
    /// False once its invoice is voided (the sale is cancelled).
    pub usable: bool,
}

fn package_view(row: PackageRow, billing: &ClinicBilling) -> PackageView {
    PackageView {
        id: FeePackageId::from_uuid(row.id),
        name: row.name,
        service_id: FeeServiceId::from_uuid(row.service_id),
        sessions: row.sessions.max(0) as u32,
        price: billing.money(row.price_minor),
        tax_rate: TaxRate::from_basis_points(row.tax_rate_bp.into()).unwrap_or_default(),
        active: row.active,
    }
}

fn sold_view(row: &PatientPackageRow) -> PatientPackageView {
    let total = row.sessions_total.max(0) as u32;
    let used = row.sessions_used.max(0) as u32;
    PatientPackageView {
        id: PatientPackageId::from_uuid(row.id),
        name: row.name.clone(),
        service_id: FeeServiceId::from_uuid(row.service_id),
        invoice_id: InvoiceId::from_uuid(row.invoice_id),
        sessions_total: total,
        sessions_used: used,
        remaining: total.saturating_sub(used),
        usable: row.invoice_status != "void" && row.invoice_status != "credited",
    }
}

pub async fn create(services: &Services, ctx: &AuthContext, form: &FeePackageForm) -> Result<PackageView, ServiceError> {
    require(services, ctx, Permission::ManageBilling, "package.create", "package", "").await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let billing = ClinicBilling::load(&mut tx, ctx).await?;
    let spec = form.parse(billing.currency)?;
    match repo::fee_services::get(&mut tx, &ctx.scope, spec.service_id).await? {
        Some(s) if s.active => {}
        _ => return Err(ServiceError::field("service_id", "Choose the service it covers.")),
    }
    let id = repo::packages::insert(&mut tx, &ctx.scope, &spec, now).await?;
    let detail = format!("{}: {} sessions for {}", spec.name, spec.sessions, spec.price);
    audit::record(&mut tx, &ctx.scope, &actor(ctx), Entry::ok("package.create", "package", id).detail(detail), now).await?;
    let row = repo::packages::get(&mut tx, &ctx.scope, id).await?.ok_or(ServiceError::NotFound)?;
    tx.commit().await?;
    Ok(package_view(row, &billing))
}

pub async fn list(services: &Services, ctx: &AuthContext) -> Result<Vec<PackageView>, ServiceError> {
    require(services, ctx, Permission::ViewBilling, "package.list", "package", "").await?;
    let mut tx = services.db.read_in(&ctx.scope).await?;
    let billing = ClinicBilling::load(&mut tx, ctx).await?;
    Ok(repo::packages::list(&mut tx, &ctx.scope).await?.into_iter().map(|r| package_view(r, &billing)).collect())
}

/// Sells a package to a patient: an issued invoice of one line (the
/// package's price and tax) and the patient's session count, together.
pub async fn sell(services: &Services, ctx: &AuthContext, patient_id: &str, package_id: &str) -> Result<(InvoiceView, PatientPackageView), ServiceError> {
    require(services, ctx, Permission::ManageBilling, "package.sell", "patient", patient_id).await?;
    let package: FeePackageId = package_id.trim().parse().map_err(|_| ServiceError::field("package_id", "Choose a package."))?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let (patient, _) = or_denied!(tx, crate::services::patients::load_for(&mut tx, ctx, patient_id, "package.sell", now).await?);
    let billing = ClinicBilling::load(&mut tx, ctx).await?;
    let row = match repo::packages::get(&mut tx, &ctx.scope, package).await? {
        Some(row) if row.active => row,
        _ => return Err(ServiceError::field("package_id", "Choose a package.")),
    };
    let input = LineInput {
        quantity: Quantity::ONE,
        unit_price: billing.money(row.price_minor),
        discount: Money::zero(billing.currency),
        tax_rate: TaxRate::from_basis_points(row.tax_rate_bp.into()).unwrap_or_default(),
    };
    let amounts = input.amounts().map_err(|e| ServiceError::Internal(e.to_string()))?;
    let line = LineSpec {
        service_id: Some(FeeServiceId::from_uuid(row.service_id)),
        code: None,
        description: format!("{} ({} sessions)", row.name, row.sessions),
        input,
        amounts,
    };
    let patient_uuid = PatientId::from_uuid(patient.id);
    let doc = NewDocument {
        credit_of: None,
        patient_id: patient_uuid,
        currency: billing.currency.code(),
        appointment_id: None,
        payer_id: None,
        due_on: None,
        note: None,
        reason: None,
        created_by: Some(ctx.membership_id),
    };
    let invoice = repo::invoices::insert_draft(&mut tx, &ctx.scope, doc, now).await?;
    repo::invoices::set_lines(&mut tx, &ctx.scope, invoice, &[line], 1, now).await?;
    let number = repo::invoices::next_number(&mut tx, &ctx.scope, Series::Invoice).await?;
    let issue = Issue {
        number,
        issued_at: now,
        issued_by: Some(ctx.membership_id),
        due_on: billing.today(now) + Duration::days(DEFAULT_DUE_DAYS),
        status: InvoiceStatus::of_issued(amounts.total.minor, 0, 0),
    };
    repo::invoices::issue(&mut tx, &ctx.scope, invoice, issue).await?;
    let sold = repo::packages::sell(&mut tx, &ctx.scope, package, patient_uuid, invoice, row.sessions, now).await?;
    let entry = Entry::ok("package.sell", "patient_package", sold)
        .patient(patient.id)
        .detail(format!("{} sold on INV-{number:06} for {}", row.name, amounts.total));
    audit::record(&mut tx, &ctx.scope, &actor(ctx), entry, now).await?;
    let invoice_row = repo::invoices::get(&mut tx, &ctx.scope, invoice).await?.ok_or(ServiceError::NotFound)?;
    let view = super::invoices::view(&mut tx, ctx, invoice_row, format!("{} {}", patient.given_name, patient.family_name)).await?;
    let sold_row = repo::packages::get_sold(&mut tx, &ctx.scope, sold).await?.ok_or(ServiceError::NotFound)?;
    tx.commit().await?;
    Ok((view, sold_view(&sold_row)))
}

/// A patient's packages with what is left of each.
pub async fn for_patient(services: &Services, ctx: &AuthContext, patient_id: &str) -> Result<Vec<PatientPackageView>, ServiceError> {
    require(services, ctx, Permission::ViewBilling, "package.read", "patient", patient_id).await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let (patient, _) = or_denied!(tx, crate::services::patients::load_for(&mut tx, ctx, patient_id, "package.read", now).await?);
    let rows = repo::packages::sold_to(&mut tx, &ctx.scope, PatientId::from_uuid(patient.id)).await?;
    audit::record(&mut tx, &ctx.scope, &actor(ctx), Entry::ok("package.read", "patient", patient.id).patient(patient.id), now).await?;
    tx.commit().await?;
    Ok(rows.iter().map(sold_view).collect())
}

/// Uses one session of a patient's package for one of their appointments
/// of the service it covers. Refused when none is left, when the sale was
/// cancelled, when the appointment is another patient's, cancelled, of
/// another service, or already covered or invoiced.
pub async fn use_session(services: &Services, ctx: &AuthContext, patient_package_id: &str, appointment_id: &str) -> Result<PatientPackageView, ServiceError> {
    require(services, ctx, Permission::ManageBilling, "package.use", "patient_package", patient_package_id).await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let sold = match patient_package_id.trim().parse::<PatientPackageId>() {
        Ok(id) => repo::packages::get_sold(&mut tx, &ctx.scope, id).await?,
        Err(_) => None,
    };
    let Some(sold) = sold else {
        audit::record(&mut tx, &ctx.scope, &actor(ctx), Entry::denied("package.use", "patient_package", patient_package_id), now).await?;
        tx.commit().await?;
        return Err(ServiceError::NotFound);
    };
    let (patient, _) = or_denied!(tx, crate::services::patients::load_for(&mut tx, ctx, &sold.patient_id.to_string(), "package.use", now).await?);
    let appointment = match appointment_id.trim().parse::<AppointmentId>() {
        Ok(id) => repo::appointments::get(&mut tx, &ctx.scope, id).await?,
        Err(_) => None,
    };
    let Some(appointment) = appointment.filter(|a| a.patient_id == patient.id) else {
        return Err(ServiceError::field("appointment_id", "Choose one of this patient's appointments."));
    };
    if appointment.status == "cancelled" {
        return Err(ServiceError::field("appointment_id", "This appointment was cancelled."));
    }
    let fee = repo::fee_services::for_appointment_type(&mut tx, &ctx.scope, AppointmentTypeId::from_uuid(appointment.type_id)).await?;
    if fee.map(|f| f.id) != Some(sold.service_id) {
        return Err(ServiceError::field("appointment_id", "This package does not cover this kind of appointment."));
    }
    if !sold_view(&sold).usable {
        return Err(ServiceError::field("status", "This package's sale was cancelled."));
    }
    let appointment_id = AppointmentId::from_uuid(appointment.id);
    if repo::invoices::appointment_invoiced(&mut tx, &ctx.scope, appointment_id).await? {
        return Err(ServiceError::field("appointment_id", "This appointment is already invoiced."));
    }
    let id = PatientPackageId::from_uuid(sold.id);
    if !repo::packages::use_session(&mut tx, &ctx.scope, id, appointment_id, ctx.membership_id, now).await? {
        return Err(ServiceError::field("status", "No sessions are left on this package."));
    }
    let row = repo::packages::get_sold(&mut tx, &ctx.scope, id).await?.ok_or(ServiceError::NotFound)?;
    let detail = format!("{}: session {} of {} for appointment {}", row.name, row.sessions_used, row.sessions_total, appointment.id);
    audit::record(&mut tx, &ctx.scope, &actor(ctx), Entry::ok("package.use", "patient_package", id).patient(patient.id).detail(detail), now).await?;
    tx.commit().await?;
    Ok(sold_view(&row))
}

/// At most this many appointments are offered for a session.
const CANDIDATES: i64 = 50;

/// An appointment a package session could pay for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionCandidate {
    pub appointment_id: AppointmentId,
    /// The service its type is billed as: only a package of that service
    /// can cover it.
    pub service_id: FeeServiceId,
    /// Local date and time, "2026-11-24 09:30".
    pub when: String,
    pub kind: String,
    pub practitioner: String,
    /// "completed", "booked", …
    pub status: String,
}

/// The patient's appointments a session could be used for: not cancelled,
/// not invoiced (a void invoice does not count), not covered by a session
/// yet, of a type the fee schedule bills. Newest first.
pub async fn session_candidates(services: &Services, ctx: &AuthContext, patient_id: &str) -> Result<Vec<SessionCandidate>, ServiceError> {
    require(services, ctx, Permission::ViewBilling, "package.candidates", "patient", patient_id).await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let (patient, _) = or_denied!(tx, crate::services::patients::load_for(&mut tx, ctx, patient_id, "package.candidates", now).await?);
    let billing = ClinicBilling::load(&mut tx, ctx).await?;
    let rows = repo::packages::session_candidates(&mut tx, &ctx.scope, PatientId::from_uuid(patient.id), CANDIDATES).await?;
    let list: Vec<SessionCandidate> = rows
        .into_iter()
        .map(|r| SessionCandidate {
            appointment_id: AppointmentId::from_uuid(r.id),
            service_id: FeeServiceId::from_uuid(r.service_id),
            when: r.starts_at.0.with_timezone(&billing.tz).format("%Y-%m-%d %H:%M").to_string(),
            kind: r.type_name,
            practitioner: r.practitioner_name,
            status: r.status,
        })
        .collect();
    let entry = Entry::ok("package.candidates", "patient", patient.id).patient(patient.id).detail(format!("{} appointments", list.len()));
    audit::record(&mut tx, &ctx.scope, &actor(ctx), entry, now).await?;
    tx.commit().await?;
    Ok(list)
}

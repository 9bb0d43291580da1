//! Packages on the fee schedule, packages sold to patients, and each
//! session used. The count used can never pass the count sold: the update
//! is conditional and the table has a check.

use crate::{db::Tx, error::ServiceError, on_tx, scope::ClinicScope, time::DbTime};
use ambula_domain::{billing::FeePackageSpec, AppointmentId, FeePackageId, InvoiceId, MembershipId, PatientId, PatientPackageId};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PackageRow {
    pub id: Uuid,
    pub name: String,
    pub service_id: Uuid,
    pub sessions: i32,
    pub price_minor: i64,
    pub tax_rate_bp: i32,
    pub active: bool,
}

pub async fn insert(tx: &mut Tx, scope: &ClinicScope, spec: &FeePackageSpec, now: DbTime) -> Result<FeePackageId, ServiceError> {
    let id = FeePackageId::generate();
    let result = on_tx!(tx, c => sqlx::query(
        "INSERT INTO fee_packages (clinic_id, id, name, service_id, sessions, price_minor, tax_rate_bp, active, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id.as_uuid())
    .bind(&spec.name)
    .bind(spec.service_id.as_uuid())
    .bind(spec.sessions as i32)
    .bind(spec.price.minor)
    .bind(spec.tax_rate.basis_points() as i32)
    .bind(true)
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()));
    super::unique_as_field(result, "name", "There is already a package with this name.")?;
    Ok(id)
}

pub async fn get(tx: &mut Tx, scope: &ClinicScope, id: FeePackageId) -> Result<Option<PackageRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, PackageRow>(
        "SELECT id, name, service_id, sessions, price_minor, tax_rate_bp, active FROM fee_packages WHERE clinic_id = $1 AND id = $2",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id.as_uuid())
    .fetch_optional(c)
    .await)?)
}

pub async fn list(tx: &mut Tx, scope: &ClinicScope) -> Result<Vec<PackageRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, PackageRow>(
        "SELECT id, name, service_id, sessions, price_minor, tax_rate_bp, active FROM fee_packages WHERE clinic_id = $1 ORDER BY name",
    )
    .bind(scope.clinic_id().as_uuid())
    .fetch_all(c)
    .await)?)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PatientPackageRow {
    pub id: Uuid,
    pub package_id: Uuid,
    pub patient_id: Uuid,
    pub invoice_id: Uuid,
    pub sessions_total: i32,
    pub sessions_used: i32,
    pub name: String,
    pub service_id: Uuid,
    /// The invoice it was sold on: a void invoice means a cancelled sale.
    pub invoice_status: String,
}

const SOLD: &str = "SELECT pp.id, pp.package_id, pp.patient_id, pp.invoice_id, pp.sessions_total, pp.sessions_used, p.name,
                           p.service_id, i.status AS invoice_status
                    FROM patient_packages pp
                    JOIN fee_packages p ON p.clinic_id = pp.clinic_id AND p.id = pp.package_id
                    JOIN invoices i ON i.clinic_id = pp.clinic_id AND i.id = pp.invoice_id";

pub async fn sell(
    tx: &mut Tx,
    scope: &ClinicScope,
    package: FeePackageId,
    patient: PatientId,
    invoice: InvoiceId,
    sessions: i32,
    now: DbTime,
) -> Result<PatientPackageId, ServiceError> {
    let id = PatientPackageId::generate();
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO patient_packages (clinic_id, id, package_id, patient_id, invoice_id, sessions_total, sessions_used, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, 0, $7)",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id.as_uuid())
    .bind(package.as_uuid())
    .bind(patient.as_uuid())
    .bind(invoice.as_uuid())
    .bind(sessions)
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(id)
}

pub async fn get_sold(tx: &mut Tx, scope: &ClinicScope, id: PatientPackageId) -> Result<Option<PatientPackageRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, PatientPackageRow>(&format!("{SOLD} WHERE pp.clinic_id = $1 AND pp.id = $2"))
        .bind(scope.clinic_id().as_uuid())
        .bind(id.as_uuid())
        .fetch_optional(c)
        .await)?)
}

pub async fn sold_to(tx: &mut Tx, scope: &ClinicScope, patient: PatientId) -> Result<Vec<PatientPackageRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, PatientPackageRow>(&format!(
        "{SOLD} WHERE pp.clinic_id = $1 AND pp.patient_id = $2 ORDER BY pp.created_at"
    ))
    .bind(scope.clinic_id().as_uuid())
    .bind(patient.as_uuid())
    .fetch_all(c)
    .await)?)
}

/// Uses one session for an appointment. False when none is left (another
/// request may have taken the last one). An appointment uses at most one
/// session of any package (unique), reported as a field error.
pub async fn use_session(
    tx: &mut Tx,
    scope: &ClinicScope,
    id: PatientPackageId,
    appointment: AppointmentId,
    by: MembershipId,
    now: DbTime,
) -> Result<bool, ServiceError> {
    let clinic = scope.clinic_id().as_uuid();
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE patient_packages SET sessions_used = sessions_used + 1
         WHERE clinic_id = $1 AND id = $2 AND sessions_used < sessions_total",
    )
    .bind(clinic)
    .bind(id.as_uuid())
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    if n != 1 {
        return Ok(false);
    }
    let result = on_tx!(tx, c => sqlx::query(
        "INSERT INTO package_uses (clinic_id, id, patient_package_id, appointment_id, used_at, used_by) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(clinic)
    .bind(Uuid::now_v7())
    .bind(id.as_uuid())
    .bind(appointment.as_uuid())
    .bind(now)
    .bind(by.as_uuid())
    .execute(c)
    .await.map(|r| r.rows_affected()));
    super::unique_as_field(result, "appointment_id", "This appointment already used a package session.")?;
    Ok(true)
}

/// Whether an appointment was covered by a package session.
pub async fn used_for(tx: &mut Tx, scope: &ClinicScope, appointment: AppointmentId) -> Result<bool, ServiceError> {
    let (n,): (i64,) = on_tx!(tx, c => sqlx::query_as("SELECT COUNT(*) FROM package_uses WHERE clinic_id = $1 AND appointment_id = $2")
        .bind(scope.clinic_id().as_uuid())
        .bind(appointment.as_uuid())
        .fetch_one(c)
        .await)?;
    Ok(n > 0)
}

/// An appointment a package session could pay for: the patient's, not
/// cancelled, with no live invoice and no session used for it yet, of a
/// type the fee schedule bills as `service_id`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionCandidateRow {
    pub id: Uuid,
    pub starts_at: DbTime,
    pub status: String,
    pub type_name: String,
    pub practitioner_name: String,
    pub service_id: Uuid,
}

/// The patient's appointments a package session could cover, newest
/// first, at most `limit`.
pub async fn session_candidates(tx: &mut Tx, scope: &ClinicScope, patient: PatientId, limit: i64) -> Result<Vec<SessionCandidateRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, SessionCandidateRow>(
        "SELECT a.id, a.starts_at, a.status, t.name AS type_name, r.name AS practitioner_name, f.id AS service_id
         FROM appointments a
         JOIN appointment_types t ON t.clinic_id = a.clinic_id AND t.id = a.type_id
         JOIN practitioners r ON r.clinic_id = a.clinic_id AND r.id = a.practitioner_id
         JOIN fee_services f ON f.clinic_id = a.clinic_id AND f.appointment_type_id = a.type_id AND f.active
         WHERE a.clinic_id = $1 AND a.patient_id = $2 AND a.status <> 'cancelled'
           AND NOT EXISTS (SELECT 1 FROM invoices i WHERE i.clinic_id = a.clinic_id AND i.appointment_id = a.id
                           AND i.kind = 'invoice' AND i.status <> 'void')
           AND NOT EXISTS (SELECT 1 FROM package_uses u WHERE u.clinic_id = a.clinic_id AND u.appointment_id = a.id)
         ORDER BY a.starts_at DESC, a.id
         LIMIT $3",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(patient.as_uuid())
    .bind(limit)
    .fetch_all(c)
    .await)?)
}

use crate::{db::Tx, error::ServiceError, on_tx, scope::ClinicScope, time::DbTime};
use ambula_domain::{accounts::ClinicProfile, ClinicId, ClinicName, TimeZoneName};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClinicRow {
    pub id: Uuid,
    pub name: String,
    pub time_zone: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub currency: String,
    /// Printed on the billing documents' letterhead.
    pub tax_number: Option<String>,
}

/// Creates a clinic and returns the scope for it: the creator is about to
/// become its owner, so this is one of the few places a scope is born.
pub async fn create(
    tx: &mut Tx,
    name: &ClinicName,
    time_zone: &TimeZoneName,
    now: DbTime,
) -> Result<ClinicScope, ServiceError> {
    let id = ClinicId::generate();
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO clinics (id, name, time_zone, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)",
    )
    .bind(id.as_uuid())
    .bind(name.as_str())
    .bind(time_zone.as_str())
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(ClinicScope::new(id))
}

pub async fn get(tx: &mut Tx, scope: &ClinicScope) -> Result<ClinicRow, ServiceError> {
    on_tx!(tx, c => sqlx::query_as::<_, ClinicRow>(
        "SELECT id, name, time_zone, phone, email, address, currency, tax_number FROM clinics WHERE id = $1",
    )
    .bind(scope.clinic_id().as_uuid())
    .fetch_optional(c)
    .await)?
    .ok_or(ServiceError::NotFound)
}

pub async fn update_profile(
    tx: &mut Tx,
    scope: &ClinicScope,
    profile: &ClinicProfile,
    now: DbTime,
) -> Result<(), ServiceError> {
    let done = on_tx!(tx, c => sqlx::query(
        "UPDATE clinics SET name = $2, time_zone = $3, phone = $4, email = $5, address = $6, tax_number = $8, updated_at = $7
         WHERE id = $1",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(profile.name.as_str())
    .bind(profile.time_zone.as_str())
    .bind(profile.phone.as_deref())
    .bind(profile.email.as_ref().map(|e| e.as_str()))
    .bind(profile.address.as_deref())
    .bind(now)
    .bind(profile.tax_number.as_deref())
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    if done == 1 {
        Ok(())
    } else {
        Err(ServiceError::NotFound)
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SecuritySettings {
    pub require_mfa: bool,
    pub idle_timeout_minutes: i32,
    pub break_glass_minutes: i32,
}

/// A clinic's security settings by id (the clinics table is global: sign-in
/// reads them before any scope exists).
pub async fn security_settings(tx: &mut Tx, clinic_id: Uuid) -> Result<SecuritySettings, ServiceError> {
    on_tx!(tx, c => sqlx::query_as::<_, SecuritySettings>(
        "SELECT require_mfa, idle_timeout_minutes, break_glass_minutes FROM clinics WHERE id = $1",
    )
    .bind(clinic_id)
    .fetch_optional(c)
    .await)?
    .ok_or(ServiceError::NotFound)
}

pub async fn update_security_settings(
    tx: &mut Tx,
    scope: &ClinicScope,
    settings: &SecuritySettings,
    now: DbTime,
) -> Result<(), ServiceError> {
    on_tx!(tx, c => sqlx::query(
        "UPDATE clinics SET require_mfa = $2, idle_timeout_minutes = $3, break_glass_minutes = $4, updated_at = $5 WHERE id = $1",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(settings.require_mfa)
    .bind(settings.idle_timeout_minutes)
    .bind(settings.break_glass_minutes)
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn mark_deleted(tx: &mut Tx, clinic_id: Uuid, now: DbTime) -> Result<bool, ServiceError> {
    let n = on_tx!(tx, c => sqlx::query("UPDATE clinics SET deleted_at = $2 WHERE id = $1 AND deleted_at IS NULL")
        .bind(clinic_id)
        .bind(now)
        .execute(c)
        .await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Every clinic, for operator commands (verify-audit).
pub async fn all(tx: &mut Tx) -> Result<Vec<(Uuid, String)>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as("SELECT id, name FROM clinics ORDER BY created_at, id").fetch_all(c).await)?)
}

/// Clinics not deleted whose name is not `name` (the demo's guard against
/// seeding published logins into a real installation).
pub async fn count_named_other_than(tx: &mut Tx, name: &str) -> Result<i64, ServiceError> {
    let (n,): (i64,) = on_tx!(tx, c => sqlx::query_as("SELECT count(*) FROM clinics WHERE deleted_at IS NULL AND name <> $1")
        .bind(name)
        .fetch_one(c)
        .await)?;
    Ok(n)
}

use super::role_from_db;
use crate::{db::Tx, error::ServiceError, on_tx, scope::ClinicScope, time::DbTime};
use ambula_domain::{ClinicId, MembershipId, Role, UserId};
use uuid::Uuid;

pub async fn insert(
    tx: &mut Tx,
    scope: &ClinicScope,
    user_id: UserId,
    role: Role,
    now: DbTime,
) -> Result<MembershipId, ServiceError> {
    let id = MembershipId::generate();
    let result = on_tx!(tx, c => sqlx::query(
        "INSERT INTO memberships (clinic_id, id, user_id, role, active, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id.as_uuid())
    .bind(user_id.as_uuid())
    .bind(role.as_str())
    .bind(true)
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()));
    super::unique_as_field(result, "email", "This person is already a member of this clinic.")?;
    Ok(id)
}

/// The clinic a user lands in at sign-in: their oldest active membership.
/// The transaction must be opened `as_user` (reads across clinics).
pub async fn first_active_clinic(tx: &mut Tx, user_id: UserId) -> Result<Option<ClinicId>, ServiceError> {
    let row: Option<(Uuid,)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT clinic_id FROM memberships WHERE user_id = $1 AND active = $2 ORDER BY created_at, clinic_id LIMIT 1",
    )
    .bind(user_id.as_uuid())
    .bind(true)
    .fetch_optional(c)
    .await)?;
    Ok(row.map(|(id,)| ClinicId::from_uuid(id)))
}

pub async fn is_member(tx: &mut Tx, scope: &ClinicScope, user_id: UserId) -> Result<bool, ServiceError> {
    let row: Option<(Uuid,)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT id FROM memberships WHERE clinic_id = $1 AND user_id = $2",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(user_id.as_uuid())
    .fetch_optional(c)
    .await)?;
    Ok(row.is_some())
}

#[derive(Debug, Clone)]
pub struct StaffMember {
    pub membership_id: MembershipId,
    pub user_id: Uuid,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub active: bool,
    pub mfa_enabled: bool,
}

type StaffRaw = (Uuid, Uuid, String, String, String, bool, Option<crate::time::DbTime>);

fn staff_from(r: StaffRaw) -> Result<StaffMember, ServiceError> {
    Ok(StaffMember {
        membership_id: MembershipId::from_uuid(r.0),
        user_id: r.1,
        name: r.2,
        email: r.3,
        role: role_from_db(&r.4)?,
        active: r.5,
        mfa_enabled: r.6.is_some(),
    })
}

pub async fn list_staff(tx: &mut Tx, scope: &ClinicScope) -> Result<Vec<StaffMember>, ServiceError> {
    let rows: Vec<StaffRaw> = on_tx!(tx, c => sqlx::query_as(
        "SELECT m.id, m.user_id, u.name, u.email, m.role, m.active, u.mfa_enabled_at
         FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.clinic_id = $1 AND m.role <> 'patient'
         ORDER BY u.name, m.id",
    )
    .bind(scope.clinic_id().as_uuid())
    .fetch_all(c)
    .await)?;
    rows.into_iter().map(staff_from).collect()
}

/// One member of this clinic by membership id; None for another clinic's.
pub async fn get(tx: &mut Tx, scope: &ClinicScope, id: MembershipId) -> Result<Option<StaffMember>, ServiceError> {
    let row: Option<StaffRaw> = on_tx!(tx, c => sqlx::query_as(
        "SELECT m.id, m.user_id, u.name, u.email, m.role, m.active, u.mfa_enabled_at
         FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.clinic_id = $1 AND m.id = $2",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id.as_uuid())
    .fetch_optional(c)
    .await)?;
    row.map(staff_from).transpose()
}

/// The user's membership in this clinic: (id, role, active).
pub async fn find_for_user(tx: &mut Tx, scope: &ClinicScope, user_id: Uuid) -> Result<Option<(MembershipId, Role, bool)>, ServiceError> {
    let row: Option<(Uuid, String, bool)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT id, role, active FROM memberships WHERE clinic_id = $1 AND user_id = $2",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(user_id)
    .fetch_optional(c)
    .await)?;
    row.map(|(id, role, active)| Ok((MembershipId::from_uuid(id), role_from_db(&role)?, active))).transpose()
}

/// The clinics a user can switch to. The transaction must be `as_user`.
pub async fn clinics_of_user(tx: &mut Tx, user_id: Uuid) -> Result<Vec<(Uuid, String, Role)>, ServiceError> {
    let rows: Vec<(Uuid, String, String)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT m.clinic_id, c.name, m.role FROM memberships m JOIN clinics c ON c.id = m.clinic_id
         WHERE m.user_id = $1 AND m.active = $2 AND c.deleted_at IS NULL ORDER BY c.name, m.clinic_id",
    )
    .bind(user_id)
    .bind(true)
    .fetch_all(c)
    .await)?;
    rows.into_iter().map(|(id, name, role)| Ok((id, name, role_from_db(&role)?))).collect()
}

pub async fn set_role(tx: &mut Tx, scope: &ClinicScope, id: MembershipId, role: Role) -> Result<(), ServiceError> {
    on_tx!(tx, c => sqlx::query("UPDATE memberships SET role = $3 WHERE clinic_id = $1 AND id = $2")
        .bind(scope.clinic_id().as_uuid())
        .bind(id.as_uuid())
        .bind(role.as_str())
        .execute(c)
        .await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn set_active(tx: &mut Tx, scope: &ClinicScope, id: MembershipId, active: bool) -> Result<(), ServiceError> {
    on_tx!(tx, c => sqlx::query("UPDATE memberships SET active = $3 WHERE clinic_id = $1 AND id = $2")
        .bind(scope.clinic_id().as_uuid())
        .bind(id.as_uuid())
        .bind(active)
        .execute(c)
        .await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Active owners and administrators: who is told about break-glass access.
pub async fn managers(tx: &mut Tx, scope: &ClinicScope) -> Result<Vec<(Uuid, String, String)>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as(
        "SELECT u.id, u.name, u.email FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.clinic_id = $1 AND m.active = $2 AND m.role IN ('owner', 'admin') ORDER BY u.name",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(true)
    .fetch_all(c)
    .await)?)
}

/// Since when this clinic wants the member to have set up a new
/// authenticator (`None`: the current one is fine). Reads under the
/// member's own-memberships policy.
pub async fn mfa_reenrol_after(tx: &mut Tx, clinic: ambula_domain::ClinicId, user_id: Uuid) -> Result<Option<DbTime>, ServiceError> {
    tx.as_user(user_id).await?;
    let row: Option<(Option<DbTime>,)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT mfa_reenrol_after FROM memberships WHERE clinic_id = $1 AND user_id = $2",
    )
    .bind(clinic.as_uuid())
    .bind(user_id)
    .fetch_optional(c)
    .await)?;
    Ok(row.and_then(|(after,)| after))
}

/// The clinic asks the member to set up a new authenticator before they
/// work in it again. Nothing about the person changes, only this
/// membership.
pub async fn require_mfa_reenrol(tx: &mut Tx, scope: &ClinicScope, id: MembershipId, now: DbTime) -> Result<(), ServiceError> {
    on_tx!(tx, c => sqlx::query("UPDATE memberships SET mfa_reenrol_after = $3 WHERE clinic_id = $1 AND id = $2")
        .bind(scope.clinic_id().as_uuid())
        .bind(id.as_uuid())
        .bind(now)
        .execute(c)
        .await.map(|r| r.rows_affected()))?;
    Ok(())
}

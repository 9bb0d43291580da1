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
/// (Switching between clinics comes with the trust layer.)
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
    pub name: String,
    pub email: String,
    pub role: Role,
    pub active: bool,
}

pub async fn list_staff(tx: &mut Tx, scope: &ClinicScope) -> Result<Vec<StaffMember>, ServiceError> {
    let rows: Vec<(Uuid, String, String, String, bool)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT m.id, u.name, u.email, m.role, m.active
         FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.clinic_id = $1 AND m.role <> 'patient'
         ORDER BY u.name, m.id",
    )
    .bind(scope.clinic_id().as_uuid())
    .fetch_all(c)
    .await)?;
    rows.into_iter()
        .map(|(id, name, email, role, active)| {
            Ok(StaffMember { membership_id: MembershipId::from_uuid(id), name, email, role: role_from_db(&role)?, active })
        })
        .collect()
}

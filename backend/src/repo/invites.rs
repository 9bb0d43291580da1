use super::role_from_db;
use crate::{db::Tx, error::ServiceError, on_tx, scope::ClinicScope, time::DbTime};
use ambula_domain::{ClinicId, EmailAddress, InviteId, MembershipId, Role};
use uuid::Uuid;

pub async fn insert(
    tx: &mut Tx,
    scope: &ClinicScope,
    email: &EmailAddress,
    role: Role,
    token_hash: &str,
    invited_by: MembershipId,
    now: DbTime,
    expires_at: DbTime,
) -> Result<InviteId, ServiceError> {
    let id = InviteId::generate();
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO invites (clinic_id, id, email, role, token_hash, invited_by, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id.as_uuid())
    .bind(email.as_str())
    .bind(role.as_str())
    .bind(token_hash)
    .bind(invited_by.as_uuid())
    .bind(now)
    .bind(expires_at)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(id)
}

#[derive(Debug, Clone)]
pub struct InviteRow {
    pub clinic_id: ClinicId,
    pub id: InviteId,
    pub clinic_name: String,
    pub email: String,
    pub role: Role,
    pub expires_at: DbTime,
    pub accepted: bool,
}

/// Looks an invitation up by the hash of its token. Not scoped: holding the
/// token is what proves the right to see it, and the clinic comes from it.
pub async fn find_by_token_hash(tx: &mut Tx, token_hash: &str) -> Result<Option<InviteRow>, ServiceError> {
    let row: Option<(Uuid, Uuid, String, String, String, DbTime, Option<DbTime>)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT i.clinic_id, i.id, c.name, i.email, i.role, i.expires_at, i.accepted_at
         FROM invites i JOIN clinics c ON c.id = i.clinic_id
         WHERE i.token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(c)
    .await)?;
    row.map(|(clinic_id, id, clinic_name, email, role, expires_at, accepted_at)| {
        Ok(InviteRow {
            clinic_id: ClinicId::from_uuid(clinic_id),
            id: InviteId::from_uuid(id),
            clinic_name,
            email,
            role: role_from_db(&role)?,
            expires_at,
            accepted: accepted_at.is_some(),
        })
    })
    .transpose()
}

/// Marks an invitation used. Returns false if it was used meanwhile (two
/// tabs, a replayed link): the condition makes the link single-use.
pub async fn mark_accepted(tx: &mut Tx, scope: &ClinicScope, id: InviteId, now: DbTime) -> Result<bool, ServiceError> {
    let done = on_tx!(tx, c => sqlx::query(
        "UPDATE invites SET accepted_at = $3 WHERE clinic_id = $1 AND id = $2 AND accepted_at IS NULL",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id.as_uuid())
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

#[derive(Debug, Clone)]
pub struct PendingInvite {
    pub email: String,
    pub role: Role,
    pub expires_at: DbTime,
}

pub async fn list_pending(tx: &mut Tx, scope: &ClinicScope, now: DbTime) -> Result<Vec<PendingInvite>, ServiceError> {
    let rows: Vec<(String, String, DbTime)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT email, role, expires_at FROM invites
         WHERE clinic_id = $1 AND accepted_at IS NULL AND expires_at > $2
         ORDER BY created_at DESC",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(now)
    .fetch_all(c)
    .await)?;
    rows.into_iter()
        .map(|(email, role, expires_at)| Ok(PendingInvite { email, role: role_from_db(&role)?, expires_at }))
        .collect()
}

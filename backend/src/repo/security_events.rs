//! Security events: sign-ins, failures, lock-outs, MFA, password and role
//! changes. Shown to the person concerned and to their clinic's managers.

use crate::{db::Tx, error::ServiceError, on_tx, scope::ClinicScope, services::ClientInfo, time::DbTime};
use uuid::Uuid;

pub async fn record(
    tx: &mut Tx,
    user_id: Option<Uuid>,
    clinic_id: Option<Uuid>,
    kind: &str,
    client: &ClientInfo,
    detail: Option<&str>,
    now: DbTime,
) -> Result<(), ServiceError> {
    let user_agent = client.user_agent();
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO security_events (id, user_id, clinic_id, kind, at, ip, user_agent, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(Uuid::now_v7())
    .bind(user_id)
    .bind(clinic_id)
    .bind(kind)
    .bind(now)
    .bind(client.ip())
    .bind(user_agent.as_deref())
    .bind(detail)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    pub at: DbTime,
    pub kind: String,
    pub user_name: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub detail: Option<String>,
}

pub async fn for_user(tx: &mut Tx, user_id: Uuid, limit: i64) -> Result<Vec<EventRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, EventRow>(
        "SELECT e.at, e.kind, u.name AS user_name, e.ip, e.user_agent, e.detail
         FROM security_events e LEFT JOIN users u ON u.id = e.user_id
         WHERE e.user_id = $1 ORDER BY e.at DESC LIMIT $2",
    )
    .bind(user_id)
    .bind(limit)
    .fetch_all(c)
    .await)?)
}

/// A clinic's events, and the clinic-less ones (sign-in attempts) of its
/// members. Must run inside the clinic's scope (memberships are filtered).
pub async fn for_clinic(tx: &mut Tx, scope: &ClinicScope, limit: i64) -> Result<Vec<EventRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, EventRow>(
        "SELECT e.at, e.kind, u.name AS user_name, e.ip, e.user_agent, e.detail
         FROM security_events e LEFT JOIN users u ON u.id = e.user_id
         WHERE e.clinic_id = $1
            OR (e.clinic_id IS NULL AND e.user_id IN (SELECT user_id FROM memberships WHERE clinic_id = $1))
         ORDER BY e.at DESC LIMIT $2",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(limit)
    .fetch_all(c)
    .await)?)
}

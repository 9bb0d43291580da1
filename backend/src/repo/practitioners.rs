use crate::{db::Tx, error::ServiceError, on_tx, scope::ClinicScope, time::DbTime};
use ambula_domain::{MembershipId, PractitionerId};

pub async fn insert(
    tx: &mut Tx,
    scope: &ClinicScope,
    membership_id: Option<MembershipId>,
    name: &str,
    specialty: Option<&str>,
    colour: &str,
    now: DbTime,
) -> Result<PractitionerId, ServiceError> {
    let id = PractitionerId::generate();
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO practitioners (clinic_id, id, membership_id, name, specialty, colour, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id.as_uuid())
    .bind(membership_id.map(|m| m.as_uuid()))
    .bind(name)
    .bind(specialty)
    .bind(colour)
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(id)
}

pub async fn count(tx: &mut Tx, scope: &ClinicScope) -> Result<i64, ServiceError> {
    let (n,): (i64,) = on_tx!(tx, c => sqlx::query_as("SELECT COUNT(*) FROM practitioners WHERE clinic_id = $1")
        .bind(scope.clinic_id().as_uuid())
        .fetch_one(c)
        .await)?;
    Ok(n)
}

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

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PractitionerRow {
    pub id: uuid::Uuid,
    /// The staff account this practitioner signs in with, if any.
    pub membership_id: Option<uuid::Uuid>,
    pub name: String,
    pub colour: String,
}

pub async fn get(tx: &mut Tx, scope: &ClinicScope, id: PractitionerId) -> Result<Option<PractitionerRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, PractitionerRow>(
        "SELECT id, membership_id, name, colour FROM practitioners WHERE clinic_id = $1 AND id = $2",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id.as_uuid())
    .fetch_optional(c)
    .await)?)
}

pub async fn list(tx: &mut Tx, scope: &ClinicScope) -> Result<Vec<PractitionerRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, PractitionerRow>(
        "SELECT id, membership_id, name, colour FROM practitioners WHERE clinic_id = $1 ORDER BY name, id",
    )
    .bind(scope.clinic_id().as_uuid())
    .fetch_all(c)
    .await)?)
}

/// Serializes bookings for one practitioner on PostgreSQL: the clash check
/// and the insert happen while this row lock is held, so two requests for
/// the same practitioner cannot both see the slot free. SQLite write
/// transactions (`BEGIN IMMEDIATE`) are serial already.
pub async fn lock(tx: &mut Tx, scope: &ClinicScope, id: PractitionerId) -> Result<(), ServiceError> {
    if let Tx::Postgres(t) = tx {
        sqlx::query("SELECT 1 FROM practitioners WHERE clinic_id = $1 AND id = $2 FOR NO KEY UPDATE")
            .bind(scope.clinic_id().as_uuid())
            .bind(id.as_uuid())
            .execute(&mut **t)
            .await?;
    }
    Ok(())
}

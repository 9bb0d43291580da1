use crate::{db::Tx, error::ServiceError, on_tx, time::DbTime};
use ambula_domain::{EmailAddress, PersonName, UserId};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub password_hash: String,
}

pub async fn find_by_email(tx: &mut Tx, email: &EmailAddress) -> Result<Option<UserRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, UserRow>(
        "SELECT id, email, name, password_hash FROM users WHERE email = $1",
    )
    .bind(email.as_str())
    .fetch_optional(c)
    .await)?)
}

/// Inserts a user; a second account for the same email is reported as a
/// field error on `email`, whichever request won the race.
pub async fn insert(
    tx: &mut Tx,
    email: &EmailAddress,
    name: &PersonName,
    password_hash: &str,
    now: DbTime,
) -> Result<UserId, ServiceError> {
    let id = UserId::generate();
    let result = on_tx!(tx, c => sqlx::query(
        "INSERT INTO users (id, email, name, password_hash, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)",
    )
    .bind(id.as_uuid())
    .bind(email.as_str())
    .bind(name.as_str())
    .bind(password_hash)
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()));
    super::unique_as_field(result, "email", "An account with this email already exists. Sign in instead.")?;
    Ok(id)
}

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

/// What sign-in and MFA need to know about a user.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Credentials {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub mfa_secret: Option<Vec<u8>>,
    pub mfa_pending_secret: Option<Vec<u8>>,
    pub mfa_last_step: Option<i64>,
    /// When the current authenticator was set up.
    pub mfa_enabled_at: Option<DbTime>,
}

impl Credentials {
    pub fn mfa_enabled(&self) -> bool {
        self.mfa_secret.is_some()
    }
}

pub async fn credentials(tx: &mut Tx, user_id: Uuid) -> Result<Credentials, ServiceError> {
    on_tx!(tx, c => sqlx::query_as::<_, Credentials>(
        "SELECT id, email, name, password_hash, mfa_secret, mfa_pending_secret, mfa_last_step, mfa_enabled_at FROM users WHERE id = $1",
    )
    .bind(user_id)
    .fetch_optional(c)
    .await)?
    .ok_or(ServiceError::NotFound)
}

pub async fn set_password_hash(tx: &mut Tx, user_id: Uuid, hash: &str, now: DbTime, changed: bool) -> Result<(), ServiceError> {
    // A rehash (same password, new parameters) is not a password change.
    let sql = if changed {
        "UPDATE users SET password_hash = $2, updated_at = $3, password_changed_at = $3 WHERE id = $1"
    } else {
        "UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1"
    };
    on_tx!(tx, c => sqlx::query(sql).bind(user_id).bind(hash).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn set_mfa_pending(tx: &mut Tx, user_id: Uuid, secret: Option<&[u8]>) -> Result<(), ServiceError> {
    on_tx!(tx, c => sqlx::query("UPDATE users SET mfa_pending_secret = $2 WHERE id = $1")
        .bind(user_id)
        .bind(secret)
        .execute(c)
        .await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn enable_mfa(tx: &mut Tx, user_id: Uuid, secret: &[u8], step: i64, now: DbTime) -> Result<(), ServiceError> {
    on_tx!(tx, c => sqlx::query(
        "UPDATE users SET mfa_secret = $2, mfa_pending_secret = NULL, mfa_last_step = $3, mfa_enabled_at = $4, updated_at = $4
         WHERE id = $1",
    )
    .bind(user_id)
    .bind(secret)
    .bind(step)
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn clear_mfa(tx: &mut Tx, user_id: Uuid, now: DbTime) -> Result<(), ServiceError> {
    on_tx!(tx, c => sqlx::query(
        "UPDATE users SET mfa_secret = NULL, mfa_pending_secret = NULL, mfa_last_step = NULL, mfa_enabled_at = NULL,
                          updated_at = $2 WHERE id = $1",
    )
    .bind(user_id)
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    on_tx!(tx, c => sqlx::query("DELETE FROM mfa_recovery_codes WHERE user_id = $1")
        .bind(user_id)
        .execute(c)
        .await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Records the TOTP step just accepted, only if it is newer than the last:
/// of two concurrent requests with the same code, one wins.
pub async fn advance_mfa_step(tx: &mut Tx, user_id: Uuid, step: i64) -> Result<bool, ServiceError> {
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE users SET mfa_last_step = $2 WHERE id = $1 AND (mfa_last_step IS NULL OR mfa_last_step < $2)",
    )
    .bind(user_id)
    .bind(step)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub async fn replace_recovery_codes(tx: &mut Tx, user_id: Uuid, hashes: &[String]) -> Result<(), ServiceError> {
    on_tx!(tx, c => sqlx::query("DELETE FROM mfa_recovery_codes WHERE user_id = $1")
        .bind(user_id)
        .execute(c)
        .await.map(|r| r.rows_affected()))?;
    for hash in hashes {
        on_tx!(tx, c => sqlx::query("INSERT INTO mfa_recovery_codes (user_id, code_hash) VALUES ($1, $2)")
            .bind(user_id)
            .bind(hash)
            .execute(c)
            .await.map(|r| r.rows_affected()))?;
    }
    Ok(())
}

/// Uses a recovery code: true once, false ever after.
pub async fn use_recovery_code(tx: &mut Tx, user_id: Uuid, hash: &str, now: DbTime) -> Result<bool, ServiceError> {
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE mfa_recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
    )
    .bind(user_id)
    .bind(hash)
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub async fn unused_recovery_codes(tx: &mut Tx, user_id: Uuid) -> Result<i64, ServiceError> {
    let (n,): (i64,) = on_tx!(tx, c => sqlx::query_as(
        "SELECT COUNT(*) FROM mfa_recovery_codes WHERE user_id = $1 AND used_at IS NULL",
    )
    .bind(user_id)
    .fetch_one(c)
    .await)?;
    Ok(n)
}

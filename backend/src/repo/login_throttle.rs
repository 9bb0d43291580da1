//! Failed sign-in counts per email address (hashed, whether or not it has
//! an account, so lock-outs reveal nothing about which addresses exist).

use crate::{db::Tx, error::ServiceError, on_tx, time::DbTime};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Throttle {
    pub failures: i32,
    pub window_start: DbTime,
    pub locked_until: Option<DbTime>,
}

pub async fn get(tx: &mut Tx, key: &str) -> Result<Option<Throttle>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, Throttle>(
        "SELECT failures, window_start, locked_until FROM login_throttle WHERE email_hash = $1",
    )
    .bind(key)
    .fetch_optional(c)
    .await)?)
}

pub async fn put(tx: &mut Tx, key: &str, t: &Throttle) -> Result<(), ServiceError> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO login_throttle (email_hash, failures, window_start, locked_until) VALUES ($1, $2, $3, $4)
         ON CONFLICT (email_hash) DO UPDATE SET failures = $2, window_start = $3, locked_until = $4",
    )
    .bind(key)
    .bind(t.failures)
    .bind(t.window_start)
    .bind(t.locked_until)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn clear(tx: &mut Tx, key: &str) -> Result<(), ServiceError> {
    on_tx!(tx, c => sqlx::query("DELETE FROM login_throttle WHERE email_hash = $1")
        .bind(key)
        .execute(c)
        .await.map(|r| r.rows_affected()))?;
    Ok(())
}

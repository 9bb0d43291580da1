use crate::{db::Tx, error::ServiceError, on_tx, time::DbTime};
use uuid::Uuid;

pub async fn insert(tx: &mut Tx, token_hash: &str, user_id: Uuid, now: DbTime, expires_at: DbTime) -> Result<(), ServiceError> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO password_resets (id, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(now)
    .bind(expires_at)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Consumes a reset token: the user it belongs to, once, before it expires.
pub async fn consume(tx: &mut Tx, token_hash: &str, now: DbTime) -> Result<Option<Uuid>, ServiceError> {
    // One statement takes the link: of two requests using it at the same
    // moment, exactly one gets the row back.
    let row: Option<(Uuid,)> = on_tx!(tx, c => sqlx::query_as(
        "UPDATE password_resets SET used_at = $2 WHERE id = $1 AND used_at IS NULL AND expires_at > $2 RETURNING user_id",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(c)
    .await)?;
    let Some((user_id,)) = row else {
        return Ok(None);
    };
    // Every outstanding link of this user dies with the one used.
    on_tx!(tx, c => sqlx::query("UPDATE password_resets SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL")
        .bind(user_id)
        .bind(now)
        .execute(c)
        .await.map(|r| r.rows_affected()))?;
    Ok(Some(user_id))
}

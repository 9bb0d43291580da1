//! Attempt counters: failed sign-ins per account and per network, MFA codes,
//! reset requests, sign-ups. One row per key (a hash of the kind and the
//! subject, whether or not an account exists, so a lock-out reveals nothing
//! about which addresses have accounts).
//!
//! Every count is taken in the database by one statement (`INSERT … ON
//! CONFLICT DO UPDATE … RETURNING`), never read and then written back, so
//! a hundred concurrent attempts count a hundred. An attempt *reserves* its
//! place before the slow password hash runs: once the reservations in a
//! window reach the limit, further attempts are refused without hashing.

use crate::{db::Tx, error::ServiceError, on_tx, time::DbTime};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Throttle {
    pub failures: i32,
    pub window_start: DbTime,
    pub locked_until: Option<DbTime>,
}

/// The answer to a reservation.
#[derive(Debug, Clone, PartialEq)]
pub enum Reservation {
    /// The attempt may go ahead; it is the n-th in the current window.
    Granted(i32),
    /// Refused until this time (a lock, or a full window).
    Refused(DbTime),
}

/// Reserves one attempt under `key`: counts it unless the key is locked
/// (`locked_until > now`) or the current window (started after
/// `window_cutoff`) already holds `max` attempts. A window older than
/// `window_cutoff` starts again at one.
pub async fn reserve(
    tx: &mut Tx,
    key: &str,
    now: DbTime,
    window_cutoff: DbTime,
    window_end: impl Fn(DbTime) -> DbTime,
    max: i32,
) -> Result<Reservation, ServiceError> {
    let row: Option<(i32,)> = on_tx!(tx, c => sqlx::query_as(
        "INSERT INTO login_throttle AS t (email_hash, failures, window_start, locked_until) VALUES ($1, 1, $2, NULL)
         ON CONFLICT (email_hash) DO UPDATE SET
             failures = CASE WHEN t.window_start <= $3 THEN 1 ELSE t.failures + 1 END,
             window_start = CASE WHEN t.window_start <= $3 THEN $2 ELSE t.window_start END
         WHERE (t.locked_until IS NULL OR t.locked_until <= $2)
           AND (t.window_start <= $3 OR t.failures < $4)
         RETURNING failures",
    )
    .bind(key)
    .bind(now)
    .bind(window_cutoff)
    .bind(max)
    .fetch_optional(c)
    .await)?;
    if let Some((n,)) = row {
        return Ok(Reservation::Granted(n));
    }
    let t = get(tx, key).await?.ok_or_else(|| ServiceError::Internal("attempt row vanished".into()))?;
    let until = match t.locked_until {
        Some(until) if until > now => until,
        _ => window_end(t.window_start),
    };
    Ok(Reservation::Refused(until))
}

/// Locks `key` until `until` (never shortening a longer lock). With
/// `restart`, the count starts again when the lock ends: at most `max`
/// attempts per lock.
pub async fn lock(tx: &mut Tx, key: &str, until: DbTime, restart: bool) -> Result<(), ServiceError> {
    let sql = if restart {
        "UPDATE login_throttle SET locked_until = $2, failures = 0, window_start = $2
         WHERE email_hash = $1 AND (locked_until IS NULL OR locked_until < $2)"
    } else {
        "UPDATE login_throttle SET locked_until = $2
         WHERE email_hash = $1 AND (locked_until IS NULL OR locked_until < $2)"
    };
    on_tx!(tx, c => sqlx::query(sql).bind(key).bind(until).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Gives back one reservation (the attempt succeeded, or was refused at
/// another gate): successes never count against a network.
pub async fn release(tx: &mut Tx, key: &str) -> Result<(), ServiceError> {
    on_tx!(tx, c => sqlx::query(
        "UPDATE login_throttle SET failures = failures - 1 WHERE email_hash = $1 AND failures > 0",
    )
    .bind(key)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn get(tx: &mut Tx, key: &str) -> Result<Option<Throttle>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, Throttle>(
        "SELECT failures, window_start, locked_until FROM login_throttle WHERE email_hash = $1",
    )
    .bind(key)
    .fetch_optional(c)
    .await)?)
}

pub async fn clear(tx: &mut Tx, key: &str) -> Result<(), ServiceError> {
    on_tx!(tx, c => sqlx::query("DELETE FROM login_throttle WHERE email_hash = $1")
        .bind(key)
        .execute(c)
        .await.map(|r| r.rows_affected()))?;
    Ok(())
}

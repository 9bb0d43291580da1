//! The key service's writes to `data_keys` and its maintenance: start-up
//! upgrade of master-wrapped clinic keys to KEK wrapping, shredding KEKs
//! that a deletion left behind, and master-key rotation (rows and KEKs).

use crate::{
    db::{Db, Tx},
    envelope::{self, EnvelopeError, KeyOwner, KeyRow, Keyring, MasterKey, KEY_COLUMNS, KEK_WRAPPED, WRAP_CLINIC_KEK, WRAP_MASTER},
    keystore::{self, KeyStore},
    on_tx,
};
use uuid::Uuid;

/// The SQL of the key service's writes. On PostgreSQL the application role
/// may only SELECT `data_keys`; these SECURITY DEFINER functions are its only
/// way to write (migration 20261207000201). SQLite runs the plain statements
/// and its triggers refuse any other kind of change.
pub(crate) fn insert_sql(tx: &Tx) -> &'static str {
    match tx {
        Tx::Postgres(_) => "SELECT data_key_insert($1, $2, $3, $4, $5, $6)",
        Tx::Sqlite(_) => {
            "INSERT INTO data_keys (id, clinic_id, wrapped, master_key_id, wrapping, created_at) VALUES ($1, $2, $3, $4, $5, $6)"
        }
    }
}

pub(crate) fn rewrap_sql(tx: &Tx) -> &'static str {
    match tx {
        Tx::Postgres(_) => "SELECT data_key_rewrap($1, $2, $3, $4)",
        Tx::Sqlite(_) => "UPDATE data_keys SET wrapped = $2, master_key_id = $3, wrapping = $4 WHERE id = $1 AND wrapped IS NOT NULL",
    }
}

/// Re-wraps one live key (`rewrap_sql`) inside `tx`.
pub(crate) async fn rewrap_row(tx: &mut Tx, id: Uuid, wrapped: &[u8], master_key_id: &str, wrapping: i32) -> Result<(), EnvelopeError> {
    let sql = rewrap_sql(tx);
    on_tx!(tx, c => sqlx::query(sql).bind(id).bind(wrapped).bind(master_key_id).bind(wrapping).execute(c).await.map(|r| r.rows_affected()))
        .map(|_| ())
        .map_err(|e| EnvelopeError::Storage(e.to_string()))
}

/// Re-wraps every live master-wrapped data key (the system key) from `old`
/// to `new` inside `tx` (`server rotate-master-key`); the clinic KEK files
/// are re-sealed by `key_upkeep::reseal_keks`. Data is not re-encrypted.
/// Returns how many keys were re-wrapped.
pub async fn rotate_master_key(tx: &mut Tx, old: &MasterKey, new: &MasterKey) -> Result<usize, EnvelopeError> {
    let rows: Vec<KeyRow> = on_tx!(tx, c => sqlx::query_as(&format!(
        "SELECT {KEY_COLUMNS} FROM data_keys WHERE wrapped IS NOT NULL AND wrapping = 1 ORDER BY id",
    ))
    .fetch_all(c)
    .await)
    .map_err(|e| EnvelopeError::Storage(e.to_string()))?;
    let mut count = 0;
    for (id, clinic_id, wrapped, master_id, _) in rows {
        if master_id == new.id() {
            continue; // already rotated (an earlier run that was interrupted)
        }
        if master_id != old.id() {
            return Err(EnvelopeError::WrongMasterKey(id, master_id));
        }
        let owner = clinic_id.map_or(KeyOwner::System, KeyOwner::Clinic);
        let dek = envelope::unwrap_master(old, id, owner, wrapped.as_deref().unwrap_or_default())?;
        rewrap_row(tx, id, &envelope::wrap(new, id, owner, &dek), new.id(), WRAP_MASTER).await?;
        count += 1;
    }
    Ok(count)
}

/// Re-seals every clinic KEK sealed under `old` under `new` (each file
/// replaced atomically; KEKs already under `new` are skipped, so an
/// interrupted run can be repeated). Returns how many were re-sealed.
pub fn reseal_keks(store: &dyn KeyStore, old: &MasterKey, new: &MasterKey) -> Result<usize, EnvelopeError> {
    let mut count = 0;
    for clinic in store.clinics()? {
        let Some(sealed) = store.get(clinic)? else { continue };
        if keystore::sealed_by(&sealed) == Some(new.id()) {
            continue;
        }
        let kek = keystore::open_kek(old, clinic, &sealed)?;
        store.replace(clinic, &keystore::seal_kek(new, clinic, &kek))?;
        count += 1;
    }
    Ok(count)
}

/// What the start-up key upkeep did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Upkeep {
    /// Clinic DEKs moved from master wrapping to their clinic's KEK.
    pub upgraded: usize,
    /// KEKs of deleted clinics destroyed (a deletion interrupted before
    /// its second step).
    pub shredded: usize,
}

/// Run at every start (idempotent): moves clinic DEKs still wrapped by the
/// master key (`wrapping` 1, from before the key store) under their clinic's
/// KEK, then destroys KEKs of clinics that are deleted and have no live key.
pub async fn upkeep(keys: &Keyring, db: &Db) -> Result<Upkeep, EnvelopeError> {
    let mut done = Upkeep::default();
    let mut tx = db.write().await.map_err(|e| EnvelopeError::Storage(e.to_string()))?;
    let rows: Vec<KeyRow> = on_tx!(&mut tx, c => sqlx::query_as(
        "SELECT id, clinic_id, wrapped, master_key_id, wrapping FROM data_keys
         WHERE wrapped IS NOT NULL AND wrapping = 1 AND clinic_id IS NOT NULL ORDER BY id",
    )
    .fetch_all(c)
    .await)
    .map_err(|e| EnvelopeError::Storage(e.to_string()))?;
    for (id, clinic_id, wrapped, master_id, _) in rows {
        let (Some(clinic), Some(wrapped)) = (clinic_id, wrapped) else { continue };
        if master_id != keys.master().id() {
            return Err(EnvelopeError::WrongMasterKey(id, master_id));
        }
        let owner = KeyOwner::Clinic(clinic);
        let dek = envelope::unwrap_master(keys.master(), id, owner, &wrapped)?;
        let kek = keys.clinic_kek(clinic, true)?;
        rewrap_row(&mut tx, id, &envelope::wrap_kek(&*kek, id, owner, &dek), KEK_WRAPPED, WRAP_CLINIC_KEK).await?;
        done.upgraded += 1;
    }
    let deleted: Vec<(Uuid,)> = on_tx!(&mut tx, c => sqlx::query_as(
        "SELECT id FROM clinics c WHERE deleted_at IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM data_keys k WHERE k.clinic_id = c.id AND k.wrapped IS NOT NULL)",
    )
    .fetch_all(c)
    .await)
    .map_err(|e| EnvelopeError::Storage(e.to_string()))?;
    tx.commit().await.map_err(|e| EnvelopeError::Storage(e.to_string()))?;
    for (clinic,) in deleted {
        if keys.shred_clinic_kek(clinic)? {
            done.shredded += 1;
        }
    }
    Ok(done)
}

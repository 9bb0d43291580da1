//! Envelope encryption of sensitive fields (clinical free text, documents,
//! MFA secrets) with AES-256-GCM.
//!
//! Each clinic has its own random data key (DEK); a system DEK covers
//! secrets that belong to no clinic (MFA). DEKs are stored in `data_keys`,
//! wrapped (`wrapping` 2) by the clinic's key-encryption key (KEK), which a
//! [`KeyStore`] holds outside the database, sealed under the master key; the
//! system DEK (and, until the start-up upgrade, older clinic DEKs: `wrapping`
//! 1) is wrapped by the master key directly. The master key comes from a
//! file or the environment and is never written to the database. Every
//! ciphertext is bound by its associated data to its clinic, table, column
//! and row: moved to another row it fails to decrypt. Deleting a clinic
//! destroys its DEK row and its KEK, so its ciphertexts, backups of the
//! database included, are unreadable: crypto-shredding.
//!
//! Unwrapped DEKs are cached for `revalidate_after` (default 5 s); after that
//! the row and the KEK are read again, so a clinic deleted by another
//! process stops decrypting here within that time.
//!
//! Ciphertext layout: `version (1) ‖ data key id (16) ‖ nonce (12) ‖ AES-GCM output`.

use crate::{
    db::Tx,
    error::ServiceError,
    keystore::{self, KeyStore},
    on_tx,
    scope::ClinicScope,
    time::DbTime,
};
use aes_gcm::{
    aead::{Aead, KeyInit, Payload},
    Aes256Gcm, Nonce,
};
use rand::RngCore;
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};
use uuid::Uuid;
use zeroize::Zeroizing;

pub use crate::key_upkeep::rotate_master_key;
use crate::key_upkeep::insert_sql;
pub use crate::master_key::MasterKey;

const VERSION: u8 = 1;
const HEADER: usize = 1 + 16 + 12;
/// `data_keys.wrapping`: 1, the DEK is wrapped by the master key; 2, by the
/// clinic's KEK from the key store.
pub const WRAP_MASTER: i32 = 1;
pub const WRAP_CLINIC_KEK: i32 = 2;
/// `data_keys.master_key_id` of a KEK-wrapped DEK: the KEK file names its master.
pub const KEK_WRAPPED: &str = "clinic-kek";
/// How long an unwrapped DEK is used before it is checked again.
pub const DEFAULT_REVALIDATE: Duration = Duration::from_secs(5);

/// Whose data key encrypts a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyOwner {
    System,
    Clinic(Uuid),
}

impl KeyOwner {
    pub fn clinic(scope: &ClinicScope) -> Self {
        KeyOwner::Clinic(scope.clinic_id().as_uuid())
    }

    pub(crate) fn label(&self) -> String {
        match self {
            KeyOwner::System => "system".to_owned(),
            KeyOwner::Clinic(id) => id.to_string(),
        }
    }

    fn clinic_id(&self) -> Option<Uuid> {
        match self {
            KeyOwner::System => None,
            KeyOwner::Clinic(id) => Some(*id),
        }
    }
}

/// Where a ciphertext lives; it is authenticated with the ciphertext.
#[derive(Debug, Clone, Copy)]
pub struct Field<'a> {
    pub table: &'a str,
    pub column: &'a str,
    pub row: &'a str,
}

#[derive(Debug, thiserror::Error)]
pub enum EnvelopeError {
    #[error("this data's key has been destroyed")]
    KeyDestroyed,
    #[error("ciphertext does not belong here or has been altered")]
    Tampered,
    #[error("data key {0} is wrapped by master key {1}, not the one configured")]
    WrongMasterKey(Uuid, String),
    #[error("{0}")]
    Storage(String),
}

impl From<EnvelopeError> for ServiceError {
    fn from(error: EnvelopeError) -> Self {
        ServiceError::Internal(error.to_string())
    }
}

impl From<ServiceError> for EnvelopeError {
    fn from(error: ServiceError) -> Self {
        EnvelopeError::Storage(error.to_string())
    }
}

struct DataKey {
    id: Uuid,
    owner: KeyOwner,
    cipher: Aes256Gcm,
}

/// The master key, the clinic key store and a cache of unwrapped data keys,
/// each entry used for `revalidate_after` and then checked again. Cheap to
/// clone (clones share the cache).
#[derive(Clone)]
pub struct Keyring {
    master: MasterKey,
    store: Arc<dyn KeyStore>,
    revalidate_after: Duration,
    by_id: Arc<Mutex<HashMap<Uuid, (Arc<DataKey>, Instant)>>>,
    live: Arc<Mutex<HashMap<KeyOwner, Uuid>>>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring").field("master", &self.master).finish()
    }
}

fn dek_aad(key_id: Uuid, owner: KeyOwner) -> Vec<u8> {
    format!("ambula/dek/v1|{key_id}|{}", owner.label()).into_bytes()
}

fn dek_aad_kek(key_id: Uuid, owner: KeyOwner) -> Vec<u8> {
    format!("ambula/dek/v2|{key_id}|{}", owner.label()).into_bytes()
}

fn field_aad(key_id: Uuid, owner: KeyOwner, field: Field<'_>) -> Vec<u8> {
    // Length-prefixed parts: no two different fields give the same bytes.
    let mut aad = b"ambula/field/v1".to_vec();
    for part in [key_id.to_string().as_str(), &owner.label(), field.table, field.column, field.row] {
        aad.extend_from_slice(&(part.len() as u32).to_be_bytes());
        aad.extend_from_slice(part.as_bytes());
    }
    aad
}

fn random_nonce() -> [u8; 12] {
    let mut nonce = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    nonce
}

fn seal_with(cipher: &Aes256Gcm, aad: &[u8], dek: &[u8; 32]) -> Vec<u8> {
    let nonce = random_nonce();
    let sealed = cipher
        .encrypt(Nonce::from_slice(&nonce), Payload { msg: dek, aad })
        .expect("AES-GCM encryption of 32 bytes cannot fail");
    [nonce.as_slice(), &sealed].concat()
}

fn open_with(cipher: &Aes256Gcm, aad: &[u8], wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>, EnvelopeError> {
    if wrapped.len() < 12 {
        return Err(EnvelopeError::Tampered);
    }
    let (nonce, sealed) = wrapped.split_at(12);
    cipher
        .decrypt(Nonce::from_slice(nonce), Payload { msg: sealed, aad })
        .map(Zeroizing::new)
        .map_err(|_| EnvelopeError::Tampered)
}

pub(crate) fn wrap(master: &MasterKey, key_id: Uuid, owner: KeyOwner, dek: &[u8; 32]) -> Vec<u8> {
    seal_with(&master.cipher(), &dek_aad(key_id, owner), dek)
}

fn unwrap(master: &MasterKey, key_id: Uuid, owner: KeyOwner, wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>, EnvelopeError> {
    open_with(&master.cipher(), &dek_aad(key_id, owner), wrapped)
}

/// Wraps a clinic DEK under the clinic's KEK.
pub(crate) fn wrap_kek(kek: &[u8; 32], key_id: Uuid, owner: KeyOwner, dek: &[u8; 32]) -> Vec<u8> {
    seal_with(&keystore::kek_cipher(kek), &dek_aad_kek(key_id, owner), dek)
}

fn unwrap_kek(kek: &[u8; 32], key_id: Uuid, owner: KeyOwner, wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>, EnvelopeError> {
    open_with(&keystore::kek_cipher(kek), &dek_aad_kek(key_id, owner), wrapped)
}

/// Unwraps a master-wrapped DEK (the upgrade to KEK wrapping, rotation).
pub(crate) fn unwrap_master(master: &MasterKey, key_id: Uuid, owner: KeyOwner, wrapped: &[u8]) -> Result<Zeroizing<[u8; 32]>, EnvelopeError> {
    let dek = unwrap(master, key_id, owner, wrapped)?;
    let mut out = Zeroizing::new([0u8; 32]);
    if dek.len() != 32 {
        return Err(EnvelopeError::Tampered);
    }
    out.copy_from_slice(&dek);
    Ok(out)
}

pub(crate) type KeyRow = (Uuid, Option<Uuid>, Option<Vec<u8>>, String, i32);
pub(crate) const KEY_COLUMNS: &str = "id, clinic_id, wrapped, master_key_id, wrapping";

impl Keyring {
    pub fn new(master: MasterKey, store: Arc<dyn KeyStore>) -> Self {
        Self { master, store, revalidate_after: DEFAULT_REVALIDATE, by_id: Default::default(), live: Default::default() }
    }

    /// How long an unwrapped data key is used before its row and KEK are
    /// checked again (`AMBULA_KEY_CACHE_SECS`).
    pub fn revalidate_after(mut self, after: Duration) -> Self {
        self.revalidate_after = after;
        self
    }

    /// The same keys with an empty cache of its own: what another server
    /// process sees.
    pub fn fresh(&self) -> Self {
        Self::new(self.master.clone(), self.store.clone()).revalidate_after(self.revalidate_after)
    }

    /// The same key store under another master key (after rotation).
    pub fn with_master(&self, master: MasterKey) -> Self {
        Self::new(master, self.store.clone()).revalidate_after(self.revalidate_after)
    }

    pub fn master(&self) -> &MasterKey {
        &self.master
    }

    pub fn store(&self) -> &Arc<dyn KeyStore> {
        &self.store
    }

    fn cached(&self, id: Uuid) -> Option<Arc<DataKey>> {
        let mut by_id = self.by_id.lock().expect("keyring lock");
        match by_id.get(&id) {
            Some((key, at)) if at.elapsed() < self.revalidate_after => Some(key.clone()),
            Some(_) => {
                // Stale: read the row and the KEK again before using it.
                by_id.remove(&id);
                None
            }
            None => None,
        }
    }

    /// The clinic's KEK, created (and stored) when `create` and it has none.
    pub(crate) fn clinic_kek(&self, clinic: Uuid, create: bool) -> Result<Zeroizing<[u8; 32]>, EnvelopeError> {
        if let Some(sealed) = self.store.get(clinic)? {
            return keystore::open_kek(&self.master, clinic, &sealed);
        }
        if !create {
            return Err(EnvelopeError::KeyDestroyed);
        }
        let kek = keystore::generate_kek();
        if self.store.create(clinic, &keystore::seal_kek(&self.master, clinic, &kek))? {
            return Ok(kek);
        }
        // Another process stored one first: use that one.
        let sealed = self.store.get(clinic)?.ok_or(EnvelopeError::KeyDestroyed)?;
        keystore::open_kek(&self.master, clinic, &sealed)
    }

    fn load(&self, row: KeyRow) -> Result<Arc<DataKey>, EnvelopeError> {
        let (id, clinic_id, wrapped, master_id, wrapping) = row;
        let owner = clinic_id.map_or(KeyOwner::System, KeyOwner::Clinic);
        let Some(wrapped) = wrapped else {
            return Err(EnvelopeError::KeyDestroyed);
        };
        let dek = match (wrapping, clinic_id) {
            (WRAP_CLINIC_KEK, Some(clinic)) => unwrap_kek(&*self.clinic_kek(clinic, false)?, id, owner, &wrapped)?,
            (WRAP_MASTER, _) => {
                if master_id != self.master.id() {
                    return Err(EnvelopeError::WrongMasterKey(id, master_id));
                }
                unwrap(&self.master, id, owner, &wrapped)?
            }
            _ => return Err(EnvelopeError::Tampered),
        };
        let cipher = Aes256Gcm::new_from_slice(&dek).map_err(|_| EnvelopeError::Tampered)?;
        let key = Arc::new(DataKey { id, owner, cipher });
        self.by_id.lock().expect("keyring lock").insert(id, (key.clone(), Instant::now()));
        Ok(key)
    }

    /// Creates the owner's data key (if it has no live one) inside `tx`.
    pub async fn ensure_key(&self, tx: &mut Tx, owner: KeyOwner, now: DbTime) -> Result<(), EnvelopeError> {
        self.live_key(tx, owner, now).await.map(|_| ())
    }

    async fn live_key(&self, tx: &mut Tx, owner: KeyOwner, now: DbTime) -> Result<Arc<DataKey>, EnvelopeError> {
        let cached = self.live.lock().expect("keyring lock").get(&owner).copied();
        if let Some(key) = cached.and_then(|id| self.cached(id)) {
            return Ok(key);
        }
        let clinic_id = owner.clinic_id();
        let row: Option<KeyRow> = on_tx!(tx, c => sqlx::query_as(&format!(
            "SELECT {KEY_COLUMNS} FROM data_keys
             WHERE destroyed_at IS NULL AND (clinic_id = $1 OR ($1 IS NULL AND clinic_id IS NULL))",
        ))
        .bind(clinic_id)
        .fetch_optional(c)
        .await)
        .map_err(|e| EnvelopeError::Storage(e.to_string()))?;
        let key = match row {
            Some(row) => self.load(row)?,
            None => {
                let id = Uuid::now_v7();
                let mut dek = Zeroizing::new([0u8; 32]);
                rand::rngs::OsRng.fill_bytes(dek.as_mut_slice());
                // Clinic keys under the clinic's KEK; the system key under the master.
                let (wrapped, master_id, wrapping) = match clinic_id {
                    Some(clinic) => (wrap_kek(&*self.clinic_kek(clinic, true)?, id, owner, &dek), KEK_WRAPPED.to_owned(), WRAP_CLINIC_KEK),
                    None => (wrap(&self.master, id, owner, &dek), self.master.id().to_owned(), WRAP_MASTER),
                };
                let sql = insert_sql(tx);
                on_tx!(tx, c => sqlx::query(sql)
                .bind(id)
                .bind(clinic_id)
                .bind(&wrapped)
                .bind(&master_id)
                .bind(wrapping)
                .bind(now)
                .execute(c)
                .await.map(|r| r.rows_affected()))
                .map_err(|e| EnvelopeError::Storage(e.to_string()))?;
                self.load((id, clinic_id, Some(wrapped), master_id, wrapping))?
            }
        };
        self.live.lock().expect("keyring lock").insert(owner, key.id);
        Ok(key)
    }

    async fn key_by_id(&self, tx: &mut Tx, id: Uuid) -> Result<Arc<DataKey>, EnvelopeError> {
        if let Some(key) = self.cached(id) {
            return Ok(key);
        }
        let row: Option<KeyRow> = on_tx!(tx, c => sqlx::query_as(&format!(
            "SELECT {KEY_COLUMNS} FROM data_keys WHERE id = $1",
        ))
        .bind(id)
        .fetch_optional(c)
        .await)
        .map_err(|e| EnvelopeError::Storage(e.to_string()))?;
        self.load(row.ok_or(EnvelopeError::KeyDestroyed)?)
    }

    pub async fn encrypt(
        &self,
        tx: &mut Tx,
        owner: KeyOwner,
        field: Field<'_>,
        plaintext: &[u8],
        now: DbTime,
    ) -> Result<Vec<u8>, EnvelopeError> {
        let key = self.live_key(tx, owner, now).await?;
        let nonce = random_nonce();
        let sealed = key
            .cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext, aad: &field_aad(key.id, owner, field) })
            .map_err(|_| EnvelopeError::Storage("encryption failed".into()))?;
        let mut out = Vec::with_capacity(HEADER + sealed.len());
        out.push(VERSION);
        out.extend_from_slice(key.id.as_bytes());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    pub async fn decrypt(
        &self,
        tx: &mut Tx,
        owner: KeyOwner,
        field: Field<'_>,
        ciphertext: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, EnvelopeError> {
        if ciphertext.len() < HEADER || ciphertext[0] != VERSION {
            return Err(EnvelopeError::Tampered);
        }
        let key_id = Uuid::from_slice(&ciphertext[1..17]).map_err(|_| EnvelopeError::Tampered)?;
        let key = self.key_by_id(tx, key_id).await?;
        if key.owner != owner {
            return Err(EnvelopeError::Tampered);
        }
        key.cipher
            .decrypt(
                Nonce::from_slice(&ciphertext[17..HEADER]),
                Payload { msg: &ciphertext[HEADER..], aad: &field_aad(key_id, owner, field) },
            )
            .map(Zeroizing::new)
            .map_err(|_| EnvelopeError::Tampered)
    }

    /// Crypto-shredding, step one, inside `tx`: marks the clinic's data keys
    /// destroyed and forgets them in this process. After the commit, call
    /// [`Keyring::shred_clinic_kek`]: only then are backups unreadable too.
    pub async fn destroy_clinic_keys(&self, tx: &mut Tx, clinic: Uuid, now: DbTime) -> Result<u64, EnvelopeError> {
        let destroyed = match tx {
            Tx::Postgres(t) => sqlx::query_as::<_, (i64,)>("SELECT data_key_destroy($1, $2)")
                .bind(clinic)
                .bind(now)
                .fetch_one(&mut **t)
                .await
                .map(|(n,)| n as u64),
            Tx::Sqlite(t) => sqlx::query(
                "UPDATE data_keys SET wrapped = NULL, destroyed_at = $2 WHERE clinic_id = $1 AND wrapped IS NOT NULL",
            )
            .bind(clinic)
            .bind(now)
            .execute(&mut **t)
            .await
            .map(|r| r.rows_affected()),
        }
        .map_err(|e| EnvelopeError::Storage(e.to_string()))?;
        self.forget(clinic);
        Ok(destroyed)
    }

    /// Crypto-shredding, step two, after the deletion has committed:
    /// destroys the clinic's KEK in the key store. Every copy of its wrapped
    /// DEK, in the database and in every backup, is unreadable from now on.
    pub fn shred_clinic_kek(&self, clinic: Uuid) -> Result<bool, EnvelopeError> {
        self.forget(clinic);
        let shredded = self.store.destroy(clinic)?;
        self.forget(clinic);
        Ok(shredded)
    }

    /// Evicts the clinic's unwrapped keys from this process's cache.
    pub fn forget(&self, clinic: Uuid) {
        let owner = KeyOwner::Clinic(clinic);
        self.live.lock().expect("keyring lock").remove(&owner);
        self.by_id.lock().expect("keyring lock").retain(|_, (key, _)| key.owner != owner);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapped_keys_only_open_with_their_master_and_owner() {
        let (master, other) = (MasterKey::generate(), MasterKey::generate());
        let id = Uuid::now_v7();
        let owner = KeyOwner::Clinic(Uuid::now_v7());
        let dek = [7u8; 32];
        let wrapped = wrap(&master, id, owner, &dek);
        assert_eq!(unwrap(&master, id, owner, &wrapped).unwrap().as_slice(), &dek);
        assert!(unwrap(&other, id, owner, &wrapped).is_err());
        assert!(unwrap(&master, id, KeyOwner::System, &wrapped).is_err());
        assert!(unwrap(&master, Uuid::now_v7(), owner, &wrapped).is_err());
    }

    #[test]
    fn field_aad_separates_every_part() {
        let (id, owner) = (Uuid::nil(), KeyOwner::System);
        let a = field_aad(id, owner, Field { table: "notes", column: "body", row: "1" });
        let b = field_aad(id, owner, Field { table: "notes", column: "body", row: "2" });
        let c = field_aad(id, owner, Field { table: "notesb", column: "ody", row: "1" });
        assert_ne!(a, b);
        assert_ne!(a, c);
    }
}

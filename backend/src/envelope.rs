//! Envelope encryption of sensitive fields (clinical free text, documents,
//! MFA secrets) with AES-256-GCM.
//!
//! Each clinic has its own random data key (DEK); a system DEK covers
//! secrets that belong to no clinic (MFA). DEKs are stored in `data_keys`
//! wrapped by the master key (KEK), which comes from a file or the
//! environment and is never written to the database. Every ciphertext is
//! bound by its associated data to its clinic, table, column and row: moved
//! to another row it fails to decrypt. Destroying a clinic's DEK makes all of
//! its ciphertexts (backups included) unreadable: crypto-shredding.
//!
//! Ciphertext layout: `version (1) ‖ data key id (16) ‖ nonce (12) ‖ AES-GCM output`.

use crate::{db::Tx, error::ServiceError, on_tx, scope::ClinicScope, time::DbTime};
use aes_gcm::{
    aead::{Aead, KeyInit, Payload},
    Aes256Gcm, Nonce,
};
use base64::{engine::general_purpose::STANDARD, Engine};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::{
    collections::HashMap,
    path::Path,
    sync::{Arc, Mutex},
};
use uuid::Uuid;
use zeroize::Zeroizing;

const VERSION: u8 = 1;
const HEADER: usize = 1 + 16 + 12;

/// The key-encryption key. Debug output never shows the key.
#[derive(Clone)]
pub struct MasterKey {
    key: Arc<Zeroizing<[u8; 32]>>,
    id: String,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MasterKey({})", self.id)
    }
}

impl MasterKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        // The id names the key without revealing it: which master wrapped a DEK.
        let digest = Sha256::digest([b"ambula-master-key-id".as_slice(), &bytes].concat());
        let id = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        Self { key: Arc::new(Zeroizing::new(bytes)), id }
    }

    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self::from_bytes(bytes)
    }

    /// Parses the base64 text of 32 bytes (what `encode` writes).
    pub fn parse(text: &str) -> Result<Self, String> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|_| "the master key must be base64 (e.g. `openssl rand -base64 32`)".to_owned())?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|b: Vec<u8>| format!("the master key must be 32 bytes; this one is {}", b.len()))?;
        Ok(Self::from_bytes(bytes))
    }

    pub fn encode(&self) -> String {
        STANDARD.encode(self.key.as_slice())
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn read_file(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Reads the key file, or creates it (mode 0600) with a new key when it
    /// does not exist yet: the zero-set-up default beside the SQLite file.
    pub fn read_or_create_file(path: &Path) -> Result<Self, String> {
        if path.exists() {
            return Self::read_file(path);
        }
        let key = Self::generate();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        write_private(path, &key.encode()).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(key)
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new_from_slice(self.key.as_slice()).expect("32-byte key")
    }
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

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

    fn label(&self) -> String {
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
    cipher: Aes256Gcm,
}

/// The master key plus a cache of unwrapped data keys. Cheap to clone.
#[derive(Clone)]
pub struct Keyring {
    master: MasterKey,
    by_id: Arc<Mutex<HashMap<Uuid, Arc<DataKey>>>>,
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

fn wrap(master: &MasterKey, key_id: Uuid, owner: KeyOwner, dek: &[u8; 32]) -> Vec<u8> {
    let nonce = random_nonce();
    let sealed = master
        .cipher()
        .encrypt(Nonce::from_slice(&nonce), Payload { msg: dek, aad: &dek_aad(key_id, owner) })
        .expect("AES-GCM encryption of 32 bytes cannot fail");
    [nonce.as_slice(), &sealed].concat()
}

fn unwrap(master: &MasterKey, key_id: Uuid, owner: KeyOwner, wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>, EnvelopeError> {
    if wrapped.len() < 12 {
        return Err(EnvelopeError::Tampered);
    }
    let (nonce, sealed) = wrapped.split_at(12);
    master
        .cipher()
        .decrypt(Nonce::from_slice(nonce), Payload { msg: sealed, aad: &dek_aad(key_id, owner) })
        .map(Zeroizing::new)
        .map_err(|_| EnvelopeError::Tampered)
}

type KeyRow = (Uuid, Option<Uuid>, Option<Vec<u8>>, String);

impl Keyring {
    pub fn new(master: MasterKey) -> Self {
        Self { master, by_id: Default::default(), live: Default::default() }
    }

    pub fn master(&self) -> &MasterKey {
        &self.master
    }

    fn load(&self, row: KeyRow) -> Result<Arc<DataKey>, EnvelopeError> {
        let (id, clinic_id, wrapped, master_id) = row;
        let owner = clinic_id.map_or(KeyOwner::System, KeyOwner::Clinic);
        let Some(wrapped) = wrapped else {
            return Err(EnvelopeError::KeyDestroyed);
        };
        if master_id != self.master.id {
            return Err(EnvelopeError::WrongMasterKey(id, master_id));
        }
        let dek = unwrap(&self.master, id, owner, &wrapped)?;
        let cipher = Aes256Gcm::new_from_slice(&dek).map_err(|_| EnvelopeError::Tampered)?;
        let key = Arc::new(DataKey { id, cipher });
        self.by_id.lock().expect("keyring lock").insert(id, key.clone());
        Ok(key)
    }

    /// Creates the owner's data key (if it has no live one) inside `tx`.
    pub async fn ensure_key(&self, tx: &mut Tx, owner: KeyOwner, now: DbTime) -> Result<(), EnvelopeError> {
        self.live_key(tx, owner, now).await.map(|_| ())
    }

    async fn live_key(&self, tx: &mut Tx, owner: KeyOwner, now: DbTime) -> Result<Arc<DataKey>, EnvelopeError> {
        let cached = self.live.lock().expect("keyring lock").get(&owner).copied();
        if let Some(id) = cached {
            if let Some(key) = self.by_id.lock().expect("keyring lock").get(&id).cloned() {
                return Ok(key);
            }
        }
        let clinic_id = owner.clinic_id();
        let row: Option<KeyRow> = on_tx!(tx, c => sqlx::query_as(
            "SELECT id, clinic_id, wrapped, master_key_id FROM data_keys
             WHERE destroyed_at IS NULL AND (clinic_id = $1 OR ($1 IS NULL AND clinic_id IS NULL))",
        )
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
                let wrapped = wrap(&self.master, id, owner, &dek);
                on_tx!(tx, c => sqlx::query(
                    "INSERT INTO data_keys (id, clinic_id, wrapped, master_key_id, created_at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(id)
                .bind(clinic_id)
                .bind(&wrapped)
                .bind(&self.master.id)
                .bind(now)
                .execute(c)
                .await.map(|r| r.rows_affected()))
                .map_err(|e| EnvelopeError::Storage(e.to_string()))?;
                self.load((id, clinic_id, Some(wrapped), self.master.id.clone()))?
            }
        };
        self.live.lock().expect("keyring lock").insert(owner, key.id);
        Ok(key)
    }

    async fn key_by_id(&self, tx: &mut Tx, id: Uuid) -> Result<Arc<DataKey>, EnvelopeError> {
        if let Some(key) = self.by_id.lock().expect("keyring lock").get(&id).cloned() {
            return Ok(key);
        }
        let row: Option<KeyRow> = on_tx!(tx, c => sqlx::query_as(
            "SELECT id, clinic_id, wrapped, master_key_id FROM data_keys WHERE id = $1",
        )
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
        key.cipher
            .decrypt(
                Nonce::from_slice(&ciphertext[17..HEADER]),
                Payload { msg: &ciphertext[HEADER..], aad: &field_aad(key_id, owner, field) },
            )
            .map(Zeroizing::new)
            .map_err(|_| EnvelopeError::Tampered)
    }

    /// Crypto-shredding: destroys the clinic's data keys. Everything they
    /// encrypted, in the database and in every backup, is unreadable from
    /// this commit on.
    pub async fn destroy_clinic_keys(&self, tx: &mut Tx, clinic: Uuid, now: DbTime) -> Result<u64, EnvelopeError> {
        let destroyed = on_tx!(tx, c => sqlx::query(
            "UPDATE data_keys SET wrapped = NULL, destroyed_at = $2 WHERE clinic_id = $1 AND wrapped IS NOT NULL",
        )
        .bind(clinic)
        .bind(now)
        .execute(c)
        .await.map(|r| r.rows_affected()))
        .map_err(|e| EnvelopeError::Storage(e.to_string()))?;
        self.live.lock().expect("keyring lock").remove(&KeyOwner::Clinic(clinic));
        self.by_id.lock().expect("keyring lock").clear();
        Ok(destroyed)
    }
}

/// Re-wraps every live data key from `old` to `new` in one transaction
/// (`server rotate-master-key`). Data is not re-encrypted: only the small
/// wrapped keys change. Returns how many keys were re-wrapped.
pub async fn rotate_master_key(tx: &mut Tx, old: &MasterKey, new: &MasterKey) -> Result<usize, EnvelopeError> {
    let rows: Vec<KeyRow> = on_tx!(tx, c => sqlx::query_as(
        "SELECT id, clinic_id, wrapped, master_key_id FROM data_keys WHERE wrapped IS NOT NULL ORDER BY id",
    )
    .fetch_all(c)
    .await)
    .map_err(|e| EnvelopeError::Storage(e.to_string()))?;
    let mut count = 0;
    for (id, clinic_id, wrapped, master_id) in rows {
        if master_id == new.id {
            continue; // already rotated (an earlier run that was interrupted)
        }
        if master_id != old.id {
            return Err(EnvelopeError::WrongMasterKey(id, master_id));
        }
        let owner = clinic_id.map_or(KeyOwner::System, KeyOwner::Clinic);
        let dek = unwrap(old, id, owner, wrapped.as_deref().unwrap_or_default())?;
        let dek: [u8; 32] = dek.as_slice().try_into().map_err(|_| EnvelopeError::Tampered)?;
        let rewrapped = wrap(new, id, owner, &dek);
        on_tx!(tx, c => sqlx::query("UPDATE data_keys SET wrapped = $2, master_key_id = $3 WHERE id = $1")
            .bind(id)
            .bind(&rewrapped)
            .bind(&new.id)
            .execute(c)
            .await.map(|r| r.rows_affected()))
        .map_err(|e| EnvelopeError::Storage(e.to_string()))?;
        count += 1;
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn master_keys_parse_and_name_themselves_without_revealing() {
        let key = MasterKey::generate();
        let again = MasterKey::parse(&key.encode()).unwrap();
        assert_eq!(key.id(), again.id());
        assert_eq!(key.id().len(), 16);
        assert!(!format!("{key:?}").contains(&key.encode()));
        assert!(MasterKey::parse("not base64!").unwrap_err().contains("base64"));
        assert!(MasterKey::parse(&STANDARD.encode([0u8; 16])).unwrap_err().contains("32 bytes"));
    }

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

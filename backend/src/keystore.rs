//! Per-clinic key-encryption keys (KEKs), kept outside the database.
//!
//! Each clinic's data key (DEK) is wrapped by the clinic's KEK; the KEK is
//! sealed under the master key and held by a [`KeyStore`], never in a table
//! that a database backup contains. Deleting a clinic destroys its KEK, so
//! a backup taken before the deletion, restored with the same master key and
//! key store, still cannot unwrap the clinic's DEK.
//!
//! [`DirKeyStore`] keeps one file per clinic, `<key dir>/clinics/<id>.kek`
//! (mode 0600, written atomically). Another backend (a KMS, a separate
//! database) implements the same trait. Several server processes must share
//! one store (shared storage for the directory).
//!
//! Sealed KEK layout: `version (1) ‖ master key id (16 ASCII) ‖ nonce (12) ‖
//! AES-GCM output (48)`; the associated data names the clinic and the master
//! key, so a file copied to another clinic's name does not open.

use crate::envelope::{EnvelopeError, MasterKey};
use aes_gcm::{
    aead::{Aead, KeyInit, Payload},
    Aes256Gcm, Nonce,
};
use rand::RngCore;
use std::{
    io::Write,
    path::{Path, PathBuf},
};
use uuid::Uuid;
use zeroize::Zeroizing;

const KEK_VERSION: u8 = 1;
const ID_LEN: usize = 16;

/// Where clinic KEKs live. Values are sealed (see [`seal_kek`]): the store
/// itself never sees a key in the clear.
pub trait KeyStore: Send + Sync + std::fmt::Debug {
    /// The clinic's sealed KEK, or `None` when it has none (never had one,
    /// or it was destroyed).
    fn get(&self, clinic: Uuid) -> Result<Option<Vec<u8>>, EnvelopeError>;
    /// Stores a sealed KEK unless the clinic already has one (another process
    /// won the race): then returns `false` and changes nothing.
    fn create(&self, clinic: Uuid, sealed: &[u8]) -> Result<bool, EnvelopeError>;
    /// Replaces the clinic's sealed KEK (master-key rotation), atomically.
    fn replace(&self, clinic: Uuid, sealed: &[u8]) -> Result<(), EnvelopeError>;
    /// Destroys the clinic's KEK; `true` if there was one.
    fn destroy(&self, clinic: Uuid) -> Result<bool, EnvelopeError>;
    /// Every clinic that has a KEK.
    fn clinics(&self) -> Result<Vec<Uuid>, EnvelopeError>;
}

/// One file per clinic in a directory (created 0700 on first use).
#[derive(Debug, Clone)]
pub struct DirKeyStore {
    dir: PathBuf,
}

fn io(path: &Path, error: std::io::Error) -> EnvelopeError {
    EnvelopeError::Storage(format!("key store {}: {error}", path.display()))
}

impl DirKeyStore {
    /// `dir` is the clinics directory itself, e.g. `<key dir>/clinics`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, clinic: Uuid) -> PathBuf {
        self.dir.join(format!("{clinic}.kek"))
    }

    fn ensure_dir(&self) -> Result<(), EnvelopeError> {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        builder.create(&self.dir).map_err(|e| io(&self.dir, e))
    }

    /// Writes `bytes` to a new private temporary file beside the target.
    fn temp(&self, clinic: Uuid, bytes: &[u8]) -> Result<PathBuf, EnvelopeError> {
        self.ensure_dir()?;
        let path = self.dir.join(format!(".{clinic}.{}.tmp", Uuid::now_v7().simple()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let written = options.open(&path).and_then(|mut file| {
            file.write_all(bytes)?;
            file.sync_all()
        });
        if let Err(e) = written {
            let _ = std::fs::remove_file(&path);
            return Err(io(&path, e));
        }
        Ok(path)
    }

    fn sync_dir(&self) {
        // Makes the rename / unlink durable; not every platform can open a
        // directory, and the data is already written, so failure is ignored.
        if let Ok(dir) = std::fs::File::open(&self.dir) {
            let _ = dir.sync_all();
        }
    }
}

impl KeyStore for DirKeyStore {
    fn get(&self, clinic: Uuid) -> Result<Option<Vec<u8>>, EnvelopeError> {
        let path = self.path(clinic);
        match std::fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(&path, e)),
        }
    }

    fn create(&self, clinic: Uuid, sealed: &[u8]) -> Result<bool, EnvelopeError> {
        let temp = self.temp(clinic, sealed)?;
        // A hard link never replaces an existing file: the first writer wins.
        let linked = std::fs::hard_link(&temp, self.path(clinic));
        let _ = std::fs::remove_file(&temp);
        match linked {
            Ok(()) => {
                self.sync_dir();
                Ok(true)
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(io(&self.path(clinic), e)),
        }
    }

    fn replace(&self, clinic: Uuid, sealed: &[u8]) -> Result<(), EnvelopeError> {
        let temp = self.temp(clinic, sealed)?;
        if let Err(e) = std::fs::rename(&temp, self.path(clinic)) {
            let _ = std::fs::remove_file(&temp);
            return Err(io(&self.path(clinic), e));
        }
        self.sync_dir();
        Ok(())
    }

    fn destroy(&self, clinic: Uuid) -> Result<bool, EnvelopeError> {
        let path = self.path(clinic);
        // Overwrite in place first, then unlink. (On copy-on-write or
        // wear-levelled storage the old blocks may survive the overwrite:
        // docs/operations.md says to keep the key dir off snapshots.)
        match std::fs::OpenOptions::new().write(true).open(&path) {
            Ok(mut file) => {
                let len = file.metadata().map(|m| m.len()).unwrap_or(0) as usize;
                let _ = file.write_all(&vec![0u8; len.max(1)]).and_then(|_| file.sync_all());
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(io(&path, e)),
        }
        std::fs::remove_file(&path).map_err(|e| io(&path, e))?;
        self.sync_dir();
        Ok(true)
    }

    fn clinics(&self) -> Result<Vec<Uuid>, EnvelopeError> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io(&self.dir, e)),
        };
        let mut clinics = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| io(&self.dir, e))?;
            let name = entry.file_name();
            let Some(id) = name.to_str().and_then(|n| n.strip_suffix(".kek")) else { continue };
            if let Ok(id) = Uuid::parse_str(id) {
                clinics.push(id);
            }
        }
        clinics.sort();
        Ok(clinics)
    }
}

fn kek_aad(clinic: Uuid, master_id: &str) -> Vec<u8> {
    format!("ambula/kek/v1|{clinic}|{master_id}").into_bytes()
}

/// A new random KEK.
pub fn generate_kek() -> Zeroizing<[u8; 32]> {
    let mut kek = Zeroizing::new([0u8; 32]);
    rand::rngs::OsRng.fill_bytes(kek.as_mut_slice());
    kek
}

/// Seals `kek` under `master` for `clinic`.
pub fn seal_kek(master: &MasterKey, clinic: Uuid, kek: &[u8; 32]) -> Vec<u8> {
    let mut nonce = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let sealed = master
        .cipher()
        .encrypt(Nonce::from_slice(&nonce), Payload { msg: kek, aad: &kek_aad(clinic, master.id()) })
        .expect("AES-GCM encryption of 32 bytes cannot fail");
    let mut out = Vec::with_capacity(1 + ID_LEN + 12 + sealed.len());
    out.push(KEK_VERSION);
    out.extend_from_slice(master.id().as_bytes());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    out
}

/// The id of the master key that sealed `sealed` (without opening it).
pub fn sealed_by(sealed: &[u8]) -> Option<&str> {
    (sealed.len() > 1 + ID_LEN && sealed[0] == KEK_VERSION)
        .then(|| std::str::from_utf8(&sealed[1..1 + ID_LEN]).ok())
        .flatten()
}

/// Opens a sealed KEK: the right master key, the right clinic, unaltered.
pub fn open_kek(master: &MasterKey, clinic: Uuid, sealed: &[u8]) -> Result<Zeroizing<[u8; 32]>, EnvelopeError> {
    let by = sealed_by(sealed).ok_or(EnvelopeError::Tampered)?;
    if by != master.id() {
        return Err(EnvelopeError::WrongMasterKey(clinic, by.to_owned()));
    }
    let rest = &sealed[1 + ID_LEN..];
    if rest.len() < 12 {
        return Err(EnvelopeError::Tampered);
    }
    let (nonce, body) = rest.split_at(12);
    let opened = Zeroizing::new(
        master
            .cipher()
            .decrypt(Nonce::from_slice(nonce), Payload { msg: body, aad: &kek_aad(clinic, by) })
            .map_err(|_| EnvelopeError::Tampered)?,
    );
    let mut kek = Zeroizing::new([0u8; 32]);
    if opened.len() != 32 {
        return Err(EnvelopeError::Tampered);
    }
    kek.copy_from_slice(&opened);
    Ok(kek)
}

/// The cipher of a KEK.
pub(crate) fn kek_cipher(kek: &[u8; 32]) -> Aes256Gcm {
    Aes256Gcm::new_from_slice(kek).expect("32-byte key")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_keks_open_only_for_their_clinic_and_master() {
        let (master, other) = (MasterKey::generate(), MasterKey::generate());
        let (clinic, elsewhere) = (Uuid::now_v7(), Uuid::now_v7());
        let kek = generate_kek();
        let sealed = seal_kek(&master, clinic, &kek);
        assert_eq!(open_kek(&master, clinic, &sealed).unwrap().as_slice(), kek.as_slice());
        assert!(matches!(open_kek(&other, clinic, &sealed), Err(EnvelopeError::WrongMasterKey(..))));
        assert!(open_kek(&master, elsewhere, &sealed).is_err());
        let mut flipped = sealed.clone();
        if let Some(last) = flipped.last_mut() {
            *last ^= 1;
        }
        assert!(open_kek(&master, clinic, &flipped).is_err());
    }

    #[test]
    fn the_directory_store_creates_once_replaces_and_destroys() {
        let dir = std::env::temp_dir().join(format!("ambula-keystore-{}", Uuid::now_v7().simple()));
        let store = DirKeyStore::new(dir.join("clinics"));
        let clinic = Uuid::now_v7();
        assert_eq!(store.get(clinic).unwrap(), None);
        assert!(store.create(clinic, b"first").unwrap());
        assert!(!store.create(clinic, b"second").unwrap(), "the first writer wins");
        assert_eq!(store.get(clinic).unwrap().as_deref(), Some(b"first".as_slice()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(store.path(clinic)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        store.replace(clinic, b"rotated").unwrap();
        assert_eq!(store.get(clinic).unwrap().as_deref(), Some(b"rotated".as_slice()));
        assert_eq!(store.clinics().unwrap(), vec![clinic]);
        assert!(store.destroy(clinic).unwrap());
        assert!(!store.destroy(clinic).unwrap());
        assert_eq!(store.get(clinic).unwrap(), None);
        assert!(store.clinics().unwrap().is_empty(), "no temporary files left behind");
        let _ = std::fs::remove_dir_all(dir);
    }
}

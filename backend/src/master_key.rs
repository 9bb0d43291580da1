//! The master key: it seals the clinic KEKs and wraps the system data key.
//! It comes from a file or the environment and is never in the database.

use aes_gcm::{aead::KeyInit, Aes256Gcm};
use base64::{engine::general_purpose::STANDARD, Engine};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::{path::Path, sync::Arc};
use zeroize::Zeroizing;

/// The master key. Debug output never shows the key.
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
        let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?);
        Self::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Reads the key file, or creates it (mode 0600, its directory 0700)
    /// with a new key when it does not exist yet: the zero-set-up default in
    /// the key directory (never beside the database).
    pub fn read_or_create_file(path: &Path) -> Result<Self, String> {
        if path.exists() {
            return Self::read_file(path);
        }
        let key = Self::generate();
        key.write_new_file(path)?;
        Ok(key)
    }

    /// Writes this key to a new file (mode 0600; refuses to overwrite),
    /// creating its directory (0700) if needed.
    pub fn write_new_file(&self, path: &Path) -> Result<(), String> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::DirBuilderExt;
                builder.mode(0o700);
            }
            builder.create(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        write_private(path, &Zeroizing::new(self.encode())).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub(crate) fn cipher(&self) -> Aes256Gcm {
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
}

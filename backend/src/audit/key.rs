//! The audit key: a 32-byte secret kept outside the database (a file beside
//! the master key, or `AMBULA_AUDIT_KEY`). It keys the HMAC of each chain
//! entry and the signature of each checkpoint, through two subkeys derived
//! with different labels, so a chain MAC can never pass for a checkpoint
//! signature or the other way round. Whoever can write to the database but
//! does not hold this key cannot recompute the chain.

use base64::{engine::general_purpose::STANDARD, Engine};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::{path::Path, sync::Arc};
use zeroize::Zeroizing;

type HmacSha256 = Hmac<Sha256>;

const CHAIN_LABEL: &[u8] = b"ambula audit chain v2";
const CHECKPOINT_LABEL: &[u8] = b"ambula audit checkpoint v1";

/// Debug output shows the key's id, never the key.
#[derive(Clone)]
pub struct AuditKey {
    chain: Arc<Zeroizing<[u8; 32]>>,
    checkpoint: Arc<Zeroizing<[u8; 32]>>,
    raw: Arc<Zeroizing<[u8; 32]>>,
    id: String,
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AuditKey({})", self.id)
    }
}

fn mac_with(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    // HMAC accepts keys of any length: new_from_slice cannot fail here.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl AuditKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        let digest = Sha256::digest([b"ambula-audit-key-id".as_slice(), &bytes].concat());
        Self {
            chain: Arc::new(Zeroizing::new(mac_with(&bytes, &[CHAIN_LABEL]))),
            checkpoint: Arc::new(Zeroizing::new(mac_with(&bytes, &[CHECKPOINT_LABEL]))),
            raw: Arc::new(Zeroizing::new(bytes)),
            id: hex(&digest[..8]),
        }
    }

    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self::from_bytes(bytes)
    }

    /// Parses base64 of 32 bytes (what `encode` writes, or `openssl rand -base64 32`).
    pub fn parse(text: &str) -> Result<Self, String> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|_| "the audit key must be base64 (e.g. `openssl rand -base64 32`)".to_owned())?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|b: Vec<u8>| format!("the audit key must be 32 bytes; this one is {}", b.len()))?;
        Ok(Self::from_bytes(bytes))
    }

    pub fn encode(&self) -> String {
        STANDARD.encode(self.raw.as_slice())
    }

    /// Names the key without revealing it (checkpoints record it, so a
    /// checkpoint signed under another key is told apart from a forgery).
    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn read_file(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Reads the key file, or creates it (mode 0600, never overwriting) with
    /// a new key when it does not exist yet.
    pub fn read_or_create_file(path: &Path) -> Result<Self, String> {
        if path.exists() {
            return Self::read_file(path);
        }
        let key = Self::generate();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        match write_private(path, &key.encode()) {
            Ok(()) => Ok(key),
            // Another process created it first: use theirs.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Self::read_file(path),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    /// The MAC of one chain entry: HMAC(chain subkey, prev_hash ‖ canonical), hex.
    pub fn chain_mac(&self, prev_hash: &str, canonical: &str) -> String {
        hex(&mac_with(self.chain.as_slice(), &[prev_hash.as_bytes(), b"\n", canonical.as_bytes()]))
    }

    /// The signature of a checkpoint's canonical text, hex.
    pub fn checkpoint_mac(&self, canonical: &str) -> String {
        hex(&mac_with(self.checkpoint.as_slice(), &[canonical.as_bytes()]))
    }
}

/// Compares two hex MACs in constant time.
pub fn same_mac(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
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
    fn subkeys_are_domain_separated_and_keys_differ() {
        let key = AuditKey::from_bytes([7; 32]);
        assert_ne!(key.chain_mac("", "x"), key.checkpoint_mac("\nx"));
        assert_ne!(key.chain_mac("a", "b"), AuditKey::from_bytes([8; 32]).chain_mac("a", "b"));
        assert_eq!(AuditKey::parse(&key.encode()).map(|k| k.id().to_owned()), Ok(key.id().to_owned()));
        assert!(!format!("{key:?}").contains(&key.encode()));
        assert!(AuditKey::parse("c2hvcnQ=").is_err());
    }

    #[test]
    fn key_file_is_created_private_and_read_back() {
        let dir = std::env::temp_dir().join(format!("ambula-audit-key-{}", uuid::Uuid::now_v7().simple()));
        let path = dir.join("audit.key");
        let created = AuditKey::read_or_create_file(&path).expect("created");
        let again = AuditKey::read_or_create_file(&path).expect("read back");
        assert_eq!(created.id(), again.id());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).map(|m| m.permissions().mode() & 0o777).unwrap_or(0);
            assert_eq!(mode, 0o600);
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}

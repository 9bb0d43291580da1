//! Signed checkpoints of each clinic's chain, kept outside the database.
//!
//! A checkpoint records a chain's head (seq and hash), its entry count and
//! when it was taken, signed with an HMAC under the audit key (a subkey
//! distinct from the chain's). One file per clinic, `<clinic id>.json`, in
//! a directory of its own (never the data directory), replaced atomically:
//! a temporary file is written and fsynced, renamed over the old one, and
//! the directory is fsynced. Whoever rewrites the database cannot make the
//! chain agree with its checkpoint again: deleting the tail leaves fewer
//! entries than counted, recomputing the hashes changes the head's hash.

use super::AuditKey;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use std::{
    io::Write,
    path::{Path, PathBuf},
};
use uuid::Uuid;

const FORMAT: u32 = 1;

/// A verified statement about one clinic's chain at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub clinic_id: Uuid,
    pub head_seq: i64,
    pub head_hash: String,
    pub entry_count: i64,
    pub written_at: DateTime<Utc>,
}

/// The file: the checkpoint, the id of the key that signed it, the signature.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckpointFile {
    format: u32,
    clinic_id: Uuid,
    head_seq: i64,
    head_hash: String,
    entry_count: i64,
    written_at: String,
    key_id: String,
    mac: String,
}

/// Why a checkpoint file cannot be trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error("its checkpoint file {path} cannot be read: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("its checkpoint file {path} was signed with another audit key (id {found}; this server's key is {expected})")]
    OtherKey { path: String, found: String, expected: String },
    #[error("its checkpoint file {path} has a bad signature: forged or altered")]
    BadSignature { path: String },
}

fn canonical(c: &Checkpoint, key_id: &str) -> String {
    serde_json::json!([
        "ambula-audit-checkpoint",
        FORMAT,
        c.clinic_id,
        c.head_seq,
        c.head_hash,
        c.entry_count,
        c.written_at.to_rfc3339_opts(SecondsFormat::Micros, true),
        key_id,
    ])
    .to_string()
}

/// The directory the checkpoints live in.
#[derive(Debug, Clone)]
pub struct CheckpointDir {
    path: PathBuf,
}

impl CheckpointDir {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn file_for(&self, clinic: Uuid) -> PathBuf {
        self.path.join(format!("{clinic}.json"))
    }

    /// The clinic's latest checkpoint, `None` if it has none yet.
    pub fn read(&self, key: &AuditKey, clinic: Uuid) -> Result<Option<Checkpoint>, CheckpointError> {
        let path = self.file_for(clinic);
        let shown = path.display().to_string();
        let unreadable = |reason: String| CheckpointError::Unreadable { path: shown.clone(), reason };
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(unreadable(e.to_string())),
        };
        let file: CheckpointFile = serde_json::from_str(&text).map_err(|e| unreadable(e.to_string()))?;
        if file.format != FORMAT {
            return Err(unreadable(format!("unknown format {}", file.format)));
        }
        let written_at = DateTime::parse_from_rfc3339(&file.written_at)
            .map_err(|e| unreadable(format!("written_at: {e}")))?
            .with_timezone(&Utc);
        let checkpoint = Checkpoint {
            clinic_id: file.clinic_id,
            head_seq: file.head_seq,
            head_hash: file.head_hash,
            entry_count: file.entry_count,
            written_at,
        };
        if file.key_id != key.id() {
            return Err(CheckpointError::OtherKey { path: shown, found: file.key_id, expected: key.id().to_owned() });
        }
        // The clinic id is signed, so a checkpoint copied over another
        // clinic's file fails here too.
        let expected = key.checkpoint_mac(&canonical(&checkpoint, key.id()));
        if checkpoint.clinic_id != clinic || !super::key::same_mac(&expected, &file.mac) {
            return Err(CheckpointError::BadSignature { path: shown });
        }
        Ok(Some(checkpoint))
    }

    /// Signs and writes the clinic's checkpoint, replacing the previous one
    /// atomically and durably.
    pub fn write(&self, key: &AuditKey, checkpoint: &Checkpoint) -> std::io::Result<PathBuf> {
        create_private_dir(&self.path)?;
        let file = CheckpointFile {
            format: FORMAT,
            clinic_id: checkpoint.clinic_id,
            head_seq: checkpoint.head_seq,
            head_hash: checkpoint.head_hash.clone(),
            entry_count: checkpoint.entry_count,
            written_at: checkpoint.written_at.to_rfc3339_opts(SecondsFormat::Micros, true),
            key_id: key.id().to_owned(),
            mac: key.checkpoint_mac(&canonical(checkpoint, key.id())),
        };
        let text = serde_json::to_string_pretty(&file).map_err(std::io::Error::other)?;
        let target = self.file_for(checkpoint.clinic_id);
        let temp = self.path.join(format!(".{}.{}.tmp", checkpoint.clinic_id, Uuid::now_v7().simple()));
        let written = (|| {
            let mut out = std::fs::OpenOptions::new().write(true).create_new(true).open(&temp)?;
            out.write_all(text.as_bytes())?;
            out.write_all(b"\n")?;
            out.sync_all()?;
            drop(out);
            std::fs::rename(&temp, &target)?;
            sync_dir(&self.path)
        })();
        if written.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
        written.map(|()| target)
    }

    /// The clinics that have a checkpoint file (a clinic missing from the
    /// database but checkpointed here was deleted behind the server's back).
    pub fn clinics(&self) -> std::io::Result<Vec<Uuid>> {
        let entries = match std::fs::read_dir(&self.path) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut clinics = Vec::new();
        for entry in entries {
            let name = entry?.file_name();
            let Some(stem) = name.to_str().and_then(|n| n.strip_suffix(".json")) else { continue };
            if let Ok(id) = Uuid::parse_str(stem) {
                clinics.push(id);
            }
        }
        clinics.sort();
        Ok(clinics)
    }
}

fn create_private_dir(path: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(path)
}

/// Makes a rename in `dir` durable (a no-op where directories cannot be opened).
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::fs::File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(clinic: Uuid) -> Checkpoint {
        Checkpoint { clinic_id: clinic, head_seq: 7, head_hash: "ab".repeat(32), entry_count: 7, written_at: Utc::now() }
    }

    #[test]
    fn round_trips_and_refuses_forgeries() {
        let dir = CheckpointDir::new(std::env::temp_dir().join(format!("ambula-cp-{}", Uuid::now_v7().simple())));
        let key = AuditKey::generate();
        let clinic = Uuid::now_v7();
        assert_eq!(dir.read(&key, clinic), Ok(None));
        let checkpoint = sample(clinic);
        let path = dir.write(&key, &checkpoint).expect("written");
        let mut read = dir.read(&key, clinic).expect("valid").expect("present");
        read.written_at = checkpoint.written_at;
        assert_eq!(read.head_seq, 7);
        assert_eq!(dir.clinics().ok(), Some(vec![clinic]));
        // Edited by hand: the signature no longer matches.
        let text = std::fs::read_to_string(&path).unwrap_or_default().replace("\"head_seq\": 7", "\"head_seq\": 3");
        std::fs::write(&path, text).expect("tampered");
        assert!(matches!(dir.read(&key, clinic), Err(CheckpointError::BadSignature { .. })));
        // Signed by someone else's key.
        dir.write(&AuditKey::generate(), &checkpoint).expect("written");
        assert!(matches!(dir.read(&key, clinic), Err(CheckpointError::OtherKey { .. })));
        // Another clinic's valid checkpoint copied over this one.
        let other = Uuid::now_v7();
        let copied = dir.write(&key, &sample(other)).expect("written");
        std::fs::rename(copied, dir.file_for(clinic)).expect("moved");
        assert!(matches!(dir.read(&key, clinic), Err(CheckpointError::BadSignature { .. })));
        let _ = std::fs::remove_dir_all(dir.path());
    }
}

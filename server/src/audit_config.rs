//! Where the audit key and the audit checkpoints live (see
//! `ambula_backend::audit`). Neither is ever in the database, and the
//! checkpoints are never in the data directory: whoever can rewrite the
//! database or restore a backup of the data directory must not be able to
//! rewrite them as well.

use ambula_backend::AuditKey;
use std::{
    path::{Component, Path, PathBuf},
    time::Duration,
};

#[derive(Debug, Clone)]
pub struct AuditConfig {
    pub key: AuditKeySource,
    /// `AMBULA_AUDIT_CHECKPOINT_DIR` / `audit_checkpoint_dir`; by default
    /// `<key directory>-audit-checkpoints`, beside the key directory.
    pub checkpoint_dir: PathBuf,
    /// How often `server serve` writes checkpoints
    /// (`AMBULA_AUDIT_CHECKPOINT_MINUTES` / `audit_checkpoint_minutes`).
    pub checkpoint_every: Duration,
}

#[derive(Debug, Clone)]
pub enum AuditKeySource {
    /// `AMBULA_AUDIT_KEY`: base64 of 32 bytes (already checked).
    Inline(AuditKey),
    /// `audit.key` beside the master key file, created (mode 0600) with a
    /// new key when it does not exist yet.
    File(PathBuf),
}

impl AuditKeySource {
    pub fn load(&self) -> Result<AuditKey, String> {
        match self {
            AuditKeySource::Inline(key) => Ok(key.clone()),
            AuditKeySource::File(path) => AuditKey::read_or_create_file(path),
        }
    }
}

/// `path` without `.` components, so `./data` and `data` compare equal.
fn lexical(path: &Path) -> PathBuf {
    path.components().filter(|c| !matches!(c, Component::CurDir)).collect()
}

/// Is `inner` `outer` or inside it? Lexically, and through symlinks when
/// both exist already.
fn is_within(inner: &Path, outer: &Path) -> bool {
    if lexical(inner).starts_with(lexical(outer)) {
        return true;
    }
    match (inner.canonicalize(), outer.canonicalize()) {
        (Ok(inner), Ok(outer)) => inner.starts_with(outer),
        _ => false,
    }
}

/// Resolves the audit settings. `key_dir` is the key directory
/// (`AMBULA_KEY_DIR`, never inside the data directory; see `Config`): the
/// audit key lives there as `audit.key` unless `AMBULA_AUDIT_KEY` is given.
pub fn resolve(
    key_dir: &Path,
    data_dir: &Path,
    inline_key: Option<String>,
    checkpoint_dir: Option<String>,
    checkpoint_every: Duration,
    problems: &mut Vec<String>,
) -> AuditConfig {
    let key = match inline_key {
        Some(inline) => match AuditKey::parse(&inline) {
            Ok(key) => AuditKeySource::Inline(key),
            Err(e) => {
                problems.push(format!("AMBULA_AUDIT_KEY: {e}"));
                AuditKeySource::File(key_dir.join("audit.key"))
            }
        },
        None => AuditKeySource::File(key_dir.join("audit.key")),
    };
    let checkpoint_dir = match checkpoint_dir {
        Some(dir) => PathBuf::from(dir),
        None => {
            let key_dir = lexical(key_dir);
            match (key_dir.file_name(), key_dir.parent()) {
                (Some(name), Some(parent)) => parent.join(format!("{}-audit-checkpoints", name.to_string_lossy())),
                _ => {
                    problems.push(format!(
                        "AMBULA_AUDIT_CHECKPOINT_DIR / audit_checkpoint_dir: the key directory {} has no parent to put the \
                         checkpoints beside; set a directory outside the data directory",
                        key_dir.display()
                    ));
                    PathBuf::from("audit-checkpoints")
                }
            }
        }
    };
    if is_within(&checkpoint_dir, data_dir) {
        problems.push(format!(
            "AMBULA_AUDIT_CHECKPOINT_DIR / audit_checkpoint_dir: {} is inside the data directory {}; the checkpoints must \
             live elsewhere (a backup or a rewrite of the data directory must not carry them along)",
            checkpoint_dir.display(),
            data_dir.display()
        ));
    }
    AuditConfig { key, checkpoint_dir, checkpoint_every }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolved(key_dir: &str, data_dir: &str, dir: Option<&str>) -> (AuditConfig, Vec<String>) {
        let mut problems = Vec::new();
        let config = resolve(Path::new(key_dir), Path::new(data_dir), None, dir.map(str::to_owned), Duration::from_secs(60), &mut problems);
        (config, problems)
    }

    #[test]
    fn defaults_sit_beside_the_key_directory() {
        let (config, problems) = resolved("./data", "./data", None);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(config.checkpoint_dir, PathBuf::from("data-audit-checkpoints"));
        assert!(matches!(&config.key, AuditKeySource::File(p) if p == Path::new("./data/audit.key")));
        let (config, _) = resolved("/etc/ambula", "/var/lib/ambula", None);
        assert_eq!(config.checkpoint_dir, PathBuf::from("/etc/ambula-audit-checkpoints"));
    }

    #[test]
    fn checkpoints_inside_the_data_directory_are_refused() {
        let (_, problems) = resolved("/etc/ambula", "/var/lib/ambula", Some("/var/lib/ambula/checkpoints"));
        assert!(problems.iter().any(|p| p.contains("AMBULA_AUDIT_CHECKPOINT_DIR")), "{problems:?}");
        let (_, problems) = resolved("./data", "data", Some("./data"));
        assert_eq!(problems.len(), 1, "{problems:?}");
        let mut problems = Vec::new();
        resolve(Path::new("k"), Path::new("d"), Some("short".into()), None, Duration::from_secs(60), &mut problems);
        assert!(problems.iter().any(|p| p.contains("AMBULA_AUDIT_KEY")), "{problems:?}");
    }
}

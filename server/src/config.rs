//! Configuration: built-in defaults, then an optional TOML file, then
//! environment variables (which win). Every value is checked at start-up and
//! a bad one stops the server with a message naming it.

use serde::Deserialize;
use std::{net::SocketAddr, path::PathBuf, time::Duration};

/// The file format: every key optional, unknown keys refused (a typo in a
/// config file should not silently fall back to a default).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub bind: Option<String>,
    pub database_url: Option<String>,
    pub data_dir: Option<String>,
    pub public_url: Option<String>,
    pub site_root: Option<String>,
    pub smtp_url: Option<String>,
    pub mail_from: Option<String>,
    pub log_format: Option<String>,
    pub max_body_bytes: Option<u64>,
    pub max_upload_bytes: Option<u64>,
    pub trusted_proxies: Option<Vec<String>>,
    pub request_timeout_secs: Option<u64>,
    pub idle_timeout_minutes: Option<u64>,
    pub failures_per_network_per_hour: Option<u64>,
    pub signups_per_network_per_hour: Option<u64>,
    pub signups_per_hour: Option<u64>,
    pub signup: Option<String>,
    pub database_owner_url: Option<String>,
    pub master_key_file: Option<String>,
    pub key_dir: Option<String>,
    pub key_cache_secs: Option<u64>,
    pub tls_cert: Option<String>,
    pub tls_key: Option<String>,
    pub sms_url: Option<String>,
    pub sms_token: Option<String>,
    pub payments_url: Option<String>,
    pub payments_api_key: Option<String>,
    pub payments_webhook_secret: Option<String>,
    pub audit_checkpoint_dir: Option<String>,
    pub audit_checkpoint_minutes: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub bind: SocketAddr,
    pub database_url: String,
    pub data_dir: PathBuf,
    pub public_url: String,
    pub site_root: String,
    pub smtp_url: Option<String>,
    pub mail_from: String,
    pub log_format: LogFormat,
    pub max_body_bytes: usize,
    /// Document uploads (their own, larger limit).
    pub max_upload_bytes: usize,
    /// Peers whose X-Forwarded-For names the real client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    pub request_timeout: Duration,
    pub idle_timeout: Duration,
    /// Attempt limits (see `ambula_backend::AuthSettings`): failed attempts
    /// per network per hour, and clinic sign-ups per network and in all.
    pub failures_per_network_per_hour: u32,
    pub signups_per_network_per_hour: u32,
    pub signups_per_hour: u32,
    /// `AMBULA_SIGNUP`: how the public sign-up page creates clinics. Default:
    /// `open` on an http:// address (local use), `verify-email` on https://
    /// with SMTP, `closed` on https:// without it.
    pub signup: ambula_backend::config::SignupMode,
    /// PostgreSQL: the owner's connection, used only to migrate. The app
    /// itself runs as DATABASE_URL's unprivileged role.
    pub database_owner_url: Option<String>,
    pub master_key: MasterKeySource,
    /// `AMBULA_KEY_DIR`: the key directory, never inside the data directory:
    /// the default master key (`master.key`) and the clinic KEKs
    /// (`clinics/<clinic id>.kek`). Default: `keys` beside the data
    /// directory (`./keys` for `./data`).
    pub key_dir: PathBuf,
    /// `AMBULA_KEY_CACHE_SECS`: how long an unwrapped data key is used before
    /// it is checked again (a clinic deleted by another process stops
    /// decrypting here within this time). Default 5.
    pub key_cache: Duration,
    /// Built-in HTTPS (`AMBULA_TLS_CERT` + `AMBULA_TLS_KEY`); `None`: plain
    /// HTTP, for a TLS-terminating reverse proxy or local development.
    pub tls: Option<TlsFiles>,
    /// The SMS provider for reminders (`AMBULA_SMS_URL` + `AMBULA_SMS_TOKEN`);
    /// `None`: SMS reminders are marked failed, visibly, and email still works.
    pub sms: Option<ambula_backend::SmsSettings>,
    /// The online payment provider (`AMBULA_PAYMENTS_URL`,
    /// `AMBULA_PAYMENTS_API_KEY`, `AMBULA_PAYMENTS_WEBHOOK_SECRET`, all three
    /// or none); `None`: no online payments, the webhook answers 404.
    pub online_payments: Option<ambula_backend::online_payments::OnlinePaymentSettings>,
    /// The audit key (`AMBULA_AUDIT_KEY`, or `audit.key` beside the master
    /// key file) and where the signed checkpoints go.
    pub audit: crate::audit_config::AuditConfig,
}

/// PEM files: the certificate chain (server certificate first) and its
/// private key. Both were readable at load; their content is checked when
/// the server starts (`tls::server_config`).
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// Where the envelope-encryption master key comes from. Never the database,
/// never (by default) the data directory.
#[derive(Debug, Clone)]
pub enum MasterKeySource {
    /// `AMBULA_MASTER_KEY`: base64 of 32 bytes (already checked).
    Inline(ambula_backend::MasterKey),
    /// `AMBULA_MASTER_KEY_FILE`: must exist.
    File(PathBuf),
    /// Nothing configured: `<key dir>/master.key`. An older install's
    /// `<data dir>/master.key` (`legacy`) is moved there at start. A new key
    /// is created only when `create` (local runs, `--demo`); a server with
    /// an https:// public URL refuses instead and says how to make one.
    Default { path: PathBuf, legacy: PathBuf, create: bool },
}

impl MasterKeySource {
    /// `--demo`: a missing default key may be created even for https.
    pub fn creating(self) -> Self {
        match self {
            MasterKeySource::Default { path, legacy, .. } => MasterKeySource::Default { path, legacy, create: true },
            other => other,
        }
    }

    pub fn load(&self) -> Result<ambula_backend::MasterKey, String> {
        match self {
            MasterKeySource::Inline(key) => Ok(key.clone()),
            MasterKeySource::File(path) => ambula_backend::MasterKey::read_file(path),
            MasterKeySource::Default { path, legacy, create } => {
                if !path.exists() && legacy.exists() {
                    move_legacy_key(legacy, path)?;
                }
                if path.exists() || *create {
                    return ambula_backend::MasterKey::read_or_create_file(path);
                }
                Err(format!(
                    "no master key configured and none at {path}. Create one, keep it apart from the database and \
                     back it up separately:\n    mkdir -p -m 700 {dir} && (umask 077; openssl rand -base64 32 > {path})\n\
                     or set AMBULA_MASTER_KEY_FILE / AMBULA_MASTER_KEY (see docs/operations.md, \"Keys\")",
                    path = path.display(),
                    dir = path.parent().map(|d| d.display().to_string()).unwrap_or_else(|| ".".into()),
                ))
            }
        }
    }
}

/// Moves an older install's `<data dir>/master.key` to the key directory:
/// copy, read both back and compare, then remove the old file. Says so once
/// on stderr.
fn move_legacy_key(from: &std::path::Path, to: &std::path::Path) -> Result<(), String> {
    let key = ambula_backend::MasterKey::read_file(from)?;
    key.write_new_file(to)?;
    let copied = ambula_backend::MasterKey::read_file(to)?;
    if copied.id() != key.id() {
        return Err(format!("copying the master key to {} did not verify; {} is left in place", to.display(), from.display()));
    }
    std::fs::remove_file(from).map_err(|e| format!("{}: {e}", from.display()))?;
    eprintln!(
        "note: moved the master key from {} (beside the database) to {}. Back it up separately from the database.",
        from.display(),
        to.display()
    );
    Ok(())
}

/// `keys` beside the data directory: `./data` → `./keys`.
pub fn default_key_dir(data_dir: &std::path::Path) -> PathBuf {
    let data_dir = match data_dir.file_name() {
        Some(_) => data_dir.to_path_buf(),
        None => std::path::absolute(data_dir).unwrap_or_else(|_| data_dir.to_path_buf()),
    };
    match data_dir.parent() {
        Some(parent) => parent.join("keys"),
        None => PathBuf::from("/var/lib/ambula-keys"),
    }
}

/// Whether `path` is `dir` or lies inside it (compared as absolute paths,
/// without following links).
fn is_inside(path: &std::path::Path, dir: &std::path::Path) -> bool {
    let normal = |p: &std::path::Path| -> PathBuf {
        let absolute = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
        absolute.components().filter(|c| !matches!(c, std::path::Component::CurDir)).collect()
    };
    normal(path).starts_with(normal(dir))
}

/// Each problem names the setting, the value and what would be accepted.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration:\n  - {}", .0.join("\n  - "))]
pub struct ConfigError(pub Vec<String>);

impl Config {
    /// Reads `path` (if given) and the process environment.
    pub fn load(path: Option<&std::path::Path>) -> Result<Self, ConfigError> {
        let file = match path {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| ConfigError(vec![format!("config file {}: {e}", path.display())]))?;
                toml::from_str::<FileConfig>(&text)
                    .map_err(|e| ConfigError(vec![format!("config file {}: {e}", path.display())]))?
            }
            None => FileConfig::default(),
        };
        Self::from_sources(file, |key| std::env::var(key).ok())
    }

    /// Merges file values and environment (`env(key)`), then validates.
    pub fn from_sources(file: FileConfig, env: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut problems = Vec::new();
        let pick = |key: &str, from_file: Option<String>| env(key).filter(|v| !v.trim().is_empty()).or(from_file);

        let bind_raw = pick("AMBULA_BIND", file.bind).unwrap_or_else(|| "127.0.0.1:3000".into());
        let bind = bind_raw.parse::<SocketAddr>().unwrap_or_else(|_| {
            problems.push(format!("AMBULA_BIND / bind: {bind_raw:?} is not an address like 127.0.0.1:3000"));
            SocketAddr::from(([127, 0, 0, 1], 3000))
        });

        let tls = match (pick("AMBULA_TLS_CERT", file.tls_cert), pick("AMBULA_TLS_KEY", file.tls_key)) {
            (None, None) => None,
            (Some(cert), Some(key)) => {
                let files = TlsFiles { cert: PathBuf::from(cert), key: PathBuf::from(key) };
                for (setting, path) in [("AMBULA_TLS_CERT / tls_cert", &files.cert), ("AMBULA_TLS_KEY / tls_key", &files.key)] {
                    if let Err(e) = readable_file(path) {
                        problems.push(format!("{setting}: cannot read {}: {e}", path.display()));
                    }
                }
                Some(files)
            }
            _ => {
                problems.push(
                    "AMBULA_TLS_CERT / tls_cert and AMBULA_TLS_KEY / tls_key: set both (PEM certificate chain and private key) for built-in HTTPS, or neither"
                        .to_owned(),
                );
                None
            }
        };

        let data_dir = PathBuf::from(pick("AMBULA_DATA_DIR", file.data_dir).unwrap_or_else(|| "./data".into()));
        let database_url = pick("DATABASE_URL", file.database_url)
            .unwrap_or_else(|| format!("sqlite://{}/ambula.db", data_dir.display()));
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            problems.push("DATABASE_URL / database_url: must start with sqlite: or postgres://".to_owned());
        }

        let public_url = pick("AMBULA_PUBLIC_URL", file.public_url)
            .unwrap_or_else(|| format!("{}://{bind}", if tls.is_some() { "https" } else { "http" }))
            .trim_end_matches('/')
            .to_owned();
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) || public_url.contains(char::is_whitespace) {
            problems.push(format!(
                "AMBULA_PUBLIC_URL / public_url: {public_url:?} must be the address people use, like https://clinic.example"
            ));
        } else if tls.is_some() && !public_url.starts_with("https://") {
            problems.push(format!(
                "AMBULA_PUBLIC_URL / public_url: {public_url:?} must be an https:// address when AMBULA_TLS_CERT / AMBULA_TLS_KEY are set"
            ));
        }

        let site_root = pick("AMBULA_SITE_ROOT", file.site_root)
            .or_else(|| env("LEPTOS_SITE_ROOT"))
            .unwrap_or_else(|| "target/site".into());

        let smtp_url = pick("AMBULA_SMTP_URL", file.smtp_url);
        if let Some(url) = &smtp_url {
            if let Err(e) = ambula_backend::Mailer::new(Some(url), "x@example.com") {
                problems.push(format!("AMBULA_SMTP_URL / smtp_url: {e}"));
            }
        }
        let mail_from = pick("AMBULA_MAIL_FROM", file.mail_from).unwrap_or_else(|| "Ambula <no-reply@localhost>".into());
        if !mail_from.contains('@') {
            problems.push(format!("AMBULA_MAIL_FROM / mail_from: {mail_from:?} is not an email address"));
        }

        let log_format = match pick("AMBULA_LOG_FORMAT", file.log_format).as_deref().unwrap_or("text") {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            other => {
                problems.push(format!("AMBULA_LOG_FORMAT / log_format: {other:?} must be text or json"));
                LogFormat::Text
            }
        };

        let mut number = |key: &str, from_file: Option<u64>, default: u64, range: std::ops::RangeInclusive<u64>| -> u64 {
            let raw = env(key).filter(|v| !v.trim().is_empty());
            let value = match raw {
                Some(raw) => match raw.trim().parse::<u64>() {
                    Ok(v) => v,
                    Err(_) => {
                        problems.push(format!("{key}: {raw:?} is not a whole number"));
                        return default;
                    }
                },
                None => from_file.unwrap_or(default),
            };
            if !range.contains(&value) {
                problems.push(format!("{key}: {value} must be between {} and {}", range.start(), range.end()));
                return default;
            }
            value
        };
        let max_body_bytes = number("AMBULA_MAX_BODY_BYTES", file.max_body_bytes, 256 * 1024, 1024..=64 * 1024 * 1024) as usize;
        let max_upload_bytes = number("AMBULA_MAX_UPLOAD_BYTES", file.max_upload_bytes, 10 * 1024 * 1024, 1024..=100 * 1024 * 1024) as usize;
        let request_timeout = Duration::from_secs(number("AMBULA_REQUEST_TIMEOUT_SECS", file.request_timeout_secs, 30, 1..=600));
        let idle_timeout = Duration::from_secs(60 * number("AMBULA_IDLE_TIMEOUT_MINUTES", file.idle_timeout_minutes, 15, 1..=240));
        let failures_per_network_per_hour =
            number("AMBULA_FAILURES_PER_NETWORK_PER_HOUR", file.failures_per_network_per_hour, 100, 10..=1_000_000) as u32;
        let signups_per_network_per_hour =
            number("AMBULA_SIGNUPS_PER_NETWORK_PER_HOUR", file.signups_per_network_per_hour, 10, 1..=1_000_000) as u32;
        let signups_per_hour = number("AMBULA_SIGNUPS_PER_HOUR", file.signups_per_hour, 200, 1..=1_000_000) as u32;
        let key_cache = Duration::from_secs(number("AMBULA_KEY_CACHE_SECS", file.key_cache_secs, 5, 0..=300));
        let checkpoint_every =
            Duration::from_secs(60 * number("AMBULA_AUDIT_CHECKPOINT_MINUTES", file.audit_checkpoint_minutes, 15, 1..=1440));

        let proxies_raw: Vec<String> = match env("AMBULA_TRUSTED_PROXIES").filter(|v| !v.trim().is_empty()) {
            Some(list) => list.split(',').map(|p| p.trim().to_owned()).filter(|p| !p.is_empty()).collect(),
            None => file.trusted_proxies.clone().unwrap_or_default(),
        };
        let mut trusted_proxies = Vec::new();
        for raw in proxies_raw {
            match raw.parse::<std::net::IpAddr>() {
                Ok(ip) => trusted_proxies.push(ip),
                Err(_) => problems.push(format!("AMBULA_TRUSTED_PROXIES / trusted_proxies: {raw:?} is not an IP address")),
            }
        }
        let database_owner_url = pick("AMBULA_DATABASE_OWNER_URL", file.database_owner_url);
        if let Some(url) = &database_owner_url {
            if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                problems.push("AMBULA_DATABASE_OWNER_URL / database_owner_url: must be a postgres:// URL".to_owned());
            }
        }
        let key_dir = pick("AMBULA_KEY_DIR", file.key_dir).map(PathBuf::from).unwrap_or_else(|| default_key_dir(&data_dir));
        if is_inside(&key_dir, &data_dir) {
            problems.push(format!(
                "AMBULA_KEY_DIR / key_dir: {} is inside the data directory {}; keep keys apart from the data (a copy of the data directory would carry them)",
                key_dir.display(),
                data_dir.display()
            ));
        }
        let https = tls.is_some() || public_url.starts_with("https://");
        use ambula_backend::config::SignupMode;
        let signup = match pick("AMBULA_SIGNUP", file.signup.clone()) {
            Some(raw) => match SignupMode::parse(&raw) {
                Some(SignupMode::VerifyEmail) if smtp_url.is_none() => {
                    problems.push("AMBULA_SIGNUP=verify-email needs AMBULA_SMTP_URL: the confirmation link is mailed".to_owned());
                    SignupMode::Closed
                }
                Some(mode) => mode,
                None => {
                    problems.push(format!("AMBULA_SIGNUP / signup: {raw:?} must be open, verify-email or closed"));
                    SignupMode::Closed
                }
            },
            None if !https => SignupMode::Open,
            None if smtp_url.is_some() => SignupMode::VerifyEmail,
            None => SignupMode::Closed,
        };
        let default_key = MasterKeySource::Default {
            path: key_dir.join("master.key"),
            legacy: data_dir.join("master.key"),
            create: !https,
        };
        let master_key = match (env("AMBULA_MASTER_KEY").filter(|v| !v.trim().is_empty()), pick("AMBULA_MASTER_KEY_FILE", file.master_key_file)) {
            (Some(_), Some(_)) => {
                problems.push("AMBULA_MASTER_KEY and AMBULA_MASTER_KEY_FILE: set one or the other, not both".to_owned());
                default_key
            }
            (Some(inline), None) => match ambula_backend::MasterKey::parse(&inline) {
                Ok(key) => MasterKeySource::Inline(key),
                Err(e) => {
                    problems.push(format!("AMBULA_MASTER_KEY: {e}"));
                    default_key
                }
            },
            (None, Some(path)) => MasterKeySource::File(PathBuf::from(path)),
            (None, None) => default_key,
        };
        // The audit key (`audit.key`) and, beside it, the checkpoints live
        // with the other keys, never in the data directory.
        let audit = crate::audit_config::resolve(
            &key_dir,
            &data_dir,
            env("AMBULA_AUDIT_KEY").filter(|v| !v.trim().is_empty()),
            pick("AMBULA_AUDIT_CHECKPOINT_DIR", file.audit_checkpoint_dir),
            checkpoint_every,
            &mut problems,
        );

        let sms = match (pick("AMBULA_SMS_URL", file.sms_url), pick("AMBULA_SMS_TOKEN", file.sms_token)) {
            (None, None) => None,
            (Some(url), Some(token)) => {
                let url = url.trim().to_owned();
                if !(url.starts_with("https://") || url.starts_with("http://")) || url.contains(char::is_whitespace) {
                    problems.push(format!(
                        "AMBULA_SMS_URL / sms_url: {url:?} must be the provider's https:// endpoint, like https://sms.example/send"
                    ));
                }
                Some(ambula_backend::SmsSettings { url, token: token.trim().to_owned() })
            }
            (Some(_), None) => {
                problems.push("AMBULA_SMS_TOKEN / sms_token: set the SMS provider's API token too (it is sent as a bearer token)".to_owned());
                None
            }
            (None, Some(_)) => {
                problems.push("AMBULA_SMS_URL / sms_url: set the SMS provider's endpoint too, or remove AMBULA_SMS_TOKEN".to_owned());
                None
            }
        };

        let online_payments = match (
            pick("AMBULA_PAYMENTS_URL", file.payments_url),
            pick("AMBULA_PAYMENTS_API_KEY", file.payments_api_key),
            pick("AMBULA_PAYMENTS_WEBHOOK_SECRET", file.payments_webhook_secret),
        ) {
            (None, None, None) => None,
            (Some(url), Some(api_key), Some(webhook_secret)) => {
                let url = url.trim().to_owned();
                if !(url.starts_with("https://") || url.starts_with("http://")) || url.contains(char::is_whitespace) {
                    problems.push(format!("AMBULA_PAYMENTS_URL / payments_url: {url:?} must be the provider's https:// base URL"));
                }
                if webhook_secret.trim().len() < 16 {
                    problems.push("AMBULA_PAYMENTS_WEBHOOK_SECRET / payments_webhook_secret: use at least 16 characters".to_owned());
                }
                Some(ambula_backend::online_payments::OnlinePaymentSettings {
                    url,
                    api_key: api_key.trim().to_owned(),
                    webhook_secret: webhook_secret.trim().to_owned(),
                })
            }
            _ => {
                problems.push(
                    "AMBULA_PAYMENTS_URL, AMBULA_PAYMENTS_API_KEY and AMBULA_PAYMENTS_WEBHOOK_SECRET: set all three, or none".to_owned(),
                );
                None
            }
        };

        if problems.is_empty() {
            Ok(Config {
                audit,
                online_payments,
                sms,
                database_owner_url,
                master_key,
                key_dir,
                key_cache,
                tls,
                bind,
                database_url,
                data_dir,
                public_url,
                site_root,
                smtp_url,
                mail_from,
                log_format,
                max_body_bytes,
                max_upload_bytes,
                trusted_proxies,
                request_timeout,
                idle_timeout,
                failures_per_network_per_hour,
                signups_per_network_per_hour,
                signups_per_hour,
                signup,
            })
        } else {
            Err(ConfigError(problems))
        }
    }

    /// Served over HTTPS (built in, or behind a proxy): cookies get `Secure`.
    pub fn https(&self) -> bool {
        self.tls.is_some() || self.public_url.starts_with("https://")
    }
}

/// Opens `path` for reading and checks that it is a file.
fn readable_file(path: &std::path::Path) -> std::io::Result<()> {
    let metadata = std::fs::File::open(path)?.metadata()?;
    if metadata.is_file() {
        Ok(())
    } else {
        Err(std::io::Error::other("not a file"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(env: &[(&str, &str)], file: FileConfig) -> Result<Config, ConfigError> {
        let env: HashMap<String, String> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_sources(file, |k| env.get(k).cloned())
    }

    #[test]
    fn defaults_need_no_setup() {
        let config = load(&[], FileConfig::default()).unwrap();
        assert_eq!(config.bind.to_string(), "127.0.0.1:3000");
        assert_eq!(config.database_url, "sqlite://./data/ambula.db");
        assert_eq!(config.public_url, "http://127.0.0.1:3000");
        assert!(!config.https());
        assert_eq!(config.idle_timeout, Duration::from_secs(900));
    }

    #[test]
    fn sign_up_is_verified_by_email_on_https_and_closed_without_mail() {
        use ambula_backend::config::SignupMode;
        let mode = |env: &[(&str, &str)]| load(env, FileConfig::default()).map(|c| c.signup);
        assert_eq!(mode(&[]).unwrap(), SignupMode::Open, "local http: open");
        let https = ("AMBULA_PUBLIC_URL", "https://clinic.example");
        let smtp = ("AMBULA_SMTP_URL", "smtp://127.0.0.1:2525");
        assert_eq!(mode(&[https, smtp]).unwrap(), SignupMode::VerifyEmail);
        assert_eq!(mode(&[https]).unwrap(), SignupMode::Closed, "no mail, no public sign-up");
        assert_eq!(mode(&[https, smtp, ("AMBULA_SIGNUP", "open")]).unwrap(), SignupMode::Open);
        let unverifiable = mode(&[("AMBULA_SIGNUP", "verify-email")]).unwrap_err().to_string();
        assert!(unverifiable.contains("AMBULA_SMTP_URL"), "{unverifiable}");
        assert!(mode(&[("AMBULA_SIGNUP", "sometimes")]).unwrap_err().to_string().contains("AMBULA_SIGNUP"));
    }

    #[test]
    fn environment_beats_file() {
        let file = FileConfig { bind: Some("0.0.0.0:8080".into()), log_format: Some("json".into()), ..Default::default() };
        let config = load(&[("AMBULA_BIND", "127.0.0.1:9000")], file).unwrap();
        assert_eq!(config.bind.to_string(), "127.0.0.1:9000");
        assert_eq!(config.log_format, LogFormat::Json);
    }

    #[test]
    fn every_bad_value_is_named() {
        let error = load(
            &[
                ("AMBULA_BIND", "localhost"),
                ("DATABASE_URL", "mysql://x"),
                ("AMBULA_PUBLIC_URL", "clinic.example"),
                ("AMBULA_SMTP_URL", "smtp://host:port"),
                ("AMBULA_LOG_FORMAT", "xml"),
                ("AMBULA_MAX_BODY_BYTES", "lots"),
                ("AMBULA_IDLE_TIMEOUT_MINUTES", "0"),
            ],
            FileConfig::default(),
        )
        .unwrap_err();
        let text = error.to_string();
        for key in ["AMBULA_BIND", "DATABASE_URL", "AMBULA_PUBLIC_URL", "AMBULA_SMTP_URL", "AMBULA_LOG_FORMAT", "AMBULA_MAX_BODY_BYTES", "AMBULA_IDLE_TIMEOUT_MINUTES"] {
            assert!(text.contains(key), "{key} missing from:\n{text}");
        }
    }

    #[test]
    fn sms_settings_come_in_pairs_and_are_checked() {
        let config = load(&[], FileConfig::default()).unwrap();
        assert!(config.sms.is_none());
        let config = load(&[("AMBULA_SMS_URL", "https://sms.example/send"), ("AMBULA_SMS_TOKEN", "secret")], FileConfig::default()).unwrap();
        assert_eq!(config.sms, Some(ambula_backend::SmsSettings { url: "https://sms.example/send".into(), token: "secret".into() }));
        let file = FileConfig { sms_url: Some("https://sms.example/send".into()), sms_token: Some("from-file".into()), ..Default::default() };
        assert_eq!(load(&[("AMBULA_SMS_TOKEN", "from-env")], file).unwrap().sms.unwrap().token, "from-env");
        let only_url = load(&[("AMBULA_SMS_URL", "https://sms.example/send")], FileConfig::default()).unwrap_err().to_string();
        assert!(only_url.contains("AMBULA_SMS_TOKEN"), "{only_url}");
        let only_token = load(&[("AMBULA_SMS_TOKEN", "secret")], FileConfig::default()).unwrap_err().to_string();
        assert!(only_token.contains("AMBULA_SMS_URL"), "{only_token}");
        let bad = load(&[("AMBULA_SMS_URL", "sms.example"), ("AMBULA_SMS_TOKEN", "secret")], FileConfig::default()).unwrap_err().to_string();
        assert!(bad.contains("AMBULA_SMS_URL") && !bad.contains("secret"), "{bad}");
    }

    #[test]
    fn unknown_file_keys_are_refused() {
        assert!(toml::from_str::<FileConfig>("bind = \"127.0.0.1:1\"\nbnid = 1").is_err());
    }
}

#[cfg(test)]
mod payment_config_tests {
    use super::*;

    fn load(env: &[(&str, &str)]) -> Result<Config, String> {
        let map: std::collections::HashMap<String, String> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_sources(FileConfig::default(), |k| map.get(k).cloned()).map_err(|e| e.to_string())
    }

    #[test]
    fn payment_settings_come_in_threes_and_are_checked() {
        assert!(load(&[]).unwrap().online_payments.is_none());
        let all = [
            ("AMBULA_PAYMENTS_URL", "https://pay.example"),
            ("AMBULA_PAYMENTS_API_KEY", "sk_live"),
            ("AMBULA_PAYMENTS_WEBHOOK_SECRET", "whsec_0123456789abcdef"),
        ];
        let settings = load(&all).unwrap().online_payments.unwrap();
        assert_eq!((settings.url.as_str(), settings.api_key.as_str()), ("https://pay.example", "sk_live"));
        assert!(load(&all[..2]).unwrap_err().contains("set all three"));
        let short = [all[0], all[1], ("AMBULA_PAYMENTS_WEBHOOK_SECRET", "short")];
        assert!(load(&short).unwrap_err().contains("at least 16"));
        let bad_url = [("AMBULA_PAYMENTS_URL", "pay.example"), all[1], all[2]];
        assert!(load(&bad_url).unwrap_err().contains("https://"));
        // The secret never appears in debug output.
        assert!(!format!("{settings:?}").contains("whsec"));
    }
}

//! Ambula's server-only core: storage (SQLite or PostgreSQL through one code
//! path), password hashing and tokens, mail, and the services that server
//! functions call. Nothing here is compiled into the wasm bundle.
//!
//! Calls go one way: `app` server functions → `services` → `repo` → `db`.
//! Repositories take a [`ClinicScope`], which only this crate can construct
//! (from a verified session, or for a clinic it has just created), so no
//! query on clinic data can run without the tenant filter.

pub mod audit;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod db;
pub mod envelope;
pub mod error;
pub mod icd10;
pub mod key_upkeep;
pub mod keystore;
pub mod mail;
pub mod master_key;
pub mod pdf;
pub mod online_payments;
pub mod repo;
pub mod scope;
pub mod services;
pub mod sms;
pub mod time;
pub mod totp;

pub use audit::AuditKey;
pub use clock::Clock;
pub use config::AuthSettings;
pub use envelope::{Keyring, MasterKey};
pub use keystore::{DirKeyStore, KeyStore};
pub use db::{Backend, Db, DbError};
pub use error::ServiceError;
pub use mail::Mailer;
pub use scope::{AuthContext, ClinicScope};
pub use sms::{SmsSender, SmsSettings};

/// Everything a request handler needs, cheap to clone.
#[derive(Clone)]
pub struct Services {
    pub db: Db,
    pub mailer: Mailer,
    pub auth: AuthSettings,
    /// Base URL used in links sent by email, e.g. `https://clinic.example`.
    pub public_url: String,
    pub clock: Clock,
    /// The master key, the clinic key store and the unwrapped data keys
    /// (envelope encryption).
    pub keys: Keyring,
    /// Reminder SMS provider; `None`: SMS reminders fail visibly ("no SMS
    /// provider configured") instead of going anywhere.
    pub sms: Option<SmsSender>,
    /// Live calendar updates (the SSE route subscribes).
    pub live: services::live::LiveHub,
    /// The online payment provider; `None`: no online payments (checkout
    /// refuses, webhooks are 400).
    pub online_payments: Option<online_payments::OnlinePayments>,
    /// MACs the audit chain and signs its checkpoints; kept outside the
    /// database (`audit.key` beside the master key, or `AMBULA_AUDIT_KEY`).
    pub audit_key: AuditKey,
    /// Where the audit chain's signed checkpoints are kept (outside the data
    /// directory); `None`: no checkpoints are written or compared.
    pub audit_checkpoints: Option<audit::checkpoint::CheckpointDir>,
}

impl Services {
    pub fn new(db: Db, mailer: Mailer, auth: AuthSettings, public_url: String, keys: Keyring, audit_key: AuditKey) -> Self {
        crypto::set_hash_queue_limit(auth.hash_queue_limit);
        Self {
            // Every transaction from this handle seals audit entries with the key.
            db: db.with_audit_key(audit_key.clone()),
            mailer,
            auth,
            public_url,
            clock: Clock::system(),
            keys,
            sms: None,
            live: Default::default(),
            online_payments: None,
            audit_key,
            audit_checkpoints: None,
        }
    }

    pub fn with_audit_checkpoints(mut self, dir: Option<audit::checkpoint::CheckpointDir>) -> Self {
        self.audit_checkpoints = dir;
        self
    }

    pub fn with_online_payments(mut self, online: Option<online_payments::OnlinePayments>) -> Self {
        self.online_payments = online;
        self
    }

    pub fn with_sms(mut self, sms: Option<SmsSender>) -> Self {
        self.sms = sms;
        self
    }

    pub fn now(&self) -> time::DbTime {
        self.clock.now()
    }
}

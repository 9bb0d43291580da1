//! Ambula's server-only core: storage (SQLite or PostgreSQL through one code
//! path), password hashing and tokens, mail, and the services that server
//! functions call. Nothing here is compiled into the wasm bundle.
//!
//! Calls go one way: `app` server functions → `services` → `repo` → `db`.
//! Repositories take a [`ClinicScope`], which only this crate can construct
//! (from a verified session, or for a clinic it has just created), so no
//! query on clinic data can run without the tenant filter.

pub mod config;
pub mod crypto;
pub mod db;
pub mod error;
pub mod mail;
pub mod repo;
pub mod scope;
pub mod services;
pub mod time;

pub use config::AuthSettings;
pub use db::{Backend, Db, DbError};
pub use error::ServiceError;
pub use mail::Mailer;
pub use scope::{AuthContext, ClinicScope};

/// Everything a request handler needs, cheap to clone.
#[derive(Clone)]
pub struct Services {
    pub db: Db,
    pub mailer: Mailer,
    pub auth: AuthSettings,
    /// Base URL used in links sent by email, e.g. `https://clinic.example`.
    pub public_url: String,
}

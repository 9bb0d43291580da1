//! One database handle over SQLite (the embedded default) or PostgreSQL
//! (production). Repositories write each query once, with `$1`-style
//! placeholders that both drivers bind by number, and run it through
//! [`on_tx!`] which instantiates it for whichever backend is connected.

use sqlx::{
    postgres::{PgConnectOptions, PgPoolOptions},
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
    PgPool, Postgres, Sqlite, SqlitePool, Transaction,
};
use crate::{audit::AuditKey, scope::ClinicScope};
use std::{
    ops::{Deref, DerefMut},
    str::FromStr,
    time::Duration,
};

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("DATABASE_URL must start with sqlite: or postgres:// (got {0:?})")]
    UnsupportedUrl(String),
    #[error("cannot create the data directory {path}: {source}")]
    DataDir { path: String, source: std::io::Error },
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error(
        "refusing to run: the database role {user:?} {problems}, so row-level security would not protect \
         one clinic's data from another's. Connect DATABASE_URL as a role that is only a member of \
         ambula_app (CREATE ROLE ambula LOGIN PASSWORD '…' IN ROLE ambula_app) and give the owner role to \
         AMBULA_DATABASE_OWNER_URL for migrations"
    )]
    PrivilegedRole { user: String, problems: String },
}

impl DbError {
    /// True when the statement broke a UNIQUE constraint: the caller turns
    /// that into a field error ("already exists") rather than a 500.
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, DbError::Sqlx(sqlx::Error::Database(e)) if e.is_unique_violation())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A pool on either backend, and the audit key its transactions seal audit
/// entries with (`Services::new` sets it; see [`crate::audit::record`]).
#[derive(Clone, Debug)]
pub struct Db {
    pool: Pool,
    audit_key: Option<AuditKey>,
}

#[derive(Clone, Debug)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A transaction on either backend. Everything a service does for one
/// request happens in one of these, so a change and its audit entry commit
/// or roll back together.
pub enum Tx {
    Sqlite(DbTx<Sqlite>),
    Postgres(DbTx<Postgres>),
}

/// One backend's transaction; dereferences to its connection (`&mut **t`
/// is what queries execute on) and carries the pool's audit key.
pub struct DbTx<DB: sqlx::Database> {
    tx: Transaction<'static, DB>,
    audit_key: Option<AuditKey>,
}

impl<DB: sqlx::Database> Deref for DbTx<DB> {
    type Target = DB::Connection;
    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl<DB: sqlx::Database> DerefMut for DbTx<DB> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

impl<DB: sqlx::Database> DbTx<DB> {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }
}

/// Runs `$body` with `$conn` bound to the backend-specific connection of a
/// [`Tx`]. The body is the same source for both arms and is type-checked once
/// per backend, so a query that does not suit one of them fails to compile.
#[macro_export]
macro_rules! on_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match $tx {
            $crate::db::Tx::Sqlite(tx) => {
                let $conn = &mut **tx;
                $body
            }
            $crate::db::Tx::Postgres(tx) => {
                let $conn = &mut **tx;
                $body
            }
        }
    };
}

impl Db {
    /// Connects to `url`, creating the SQLite file (and its directory) if needed.
    pub async fn connect(url: &str) -> Result<Self, DbError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await?;
            Ok(Db::from_pg_pool(pool))
        } else if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?;
            if let Some(dir) = options.get_filename().parent() {
                if !dir.as_os_str().is_empty() {
                    std::fs::create_dir_all(dir).map_err(|source| DbError::DataDir {
                        path: dir.display().to_string(),
                        source,
                    })?;
                }
            }
            let options = options
                .create_if_missing(true)
                // WAL lets readers work while one writer commits; FULL makes a
                // commit durable on power loss (NORMAL may lose the last ones).
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .connect_with(options)
                .await?;
            Ok(Db { pool: Pool::Sqlite(pool), audit_key: None })
        } else {
            Err(DbError::UnsupportedUrl(url.chars().take(40).collect()))
        }
    }

    /// A handle over a pool opened elsewhere (tests with their own pool options).
    pub fn from_pg_pool(pool: PgPool) -> Self {
        Db { pool: Pool::Postgres(pool), audit_key: None }
    }

    /// The PostgreSQL pool, for what only PostgreSQL has (LISTEN/NOTIFY, roles).
    pub fn pg_pool(&self) -> Option<&PgPool> {
        match &self.pool {
            Pool::Postgres(pool) => Some(pool),
            Pool::Sqlite(_) => None,
        }
    }

    /// The SQLite pool, for what only SQLite has (`VACUUM INTO` backups).
    pub fn sqlite_pool(&self) -> Option<&SqlitePool> {
        match &self.pool {
            Pool::Sqlite(pool) => Some(pool),
            Pool::Postgres(_) => None,
        }
    }

    /// The same pool; its transactions seal audit entries with `key`.
    pub fn with_audit_key(mut self, key: AuditKey) -> Self {
        self.audit_key = Some(key);
        self
    }

    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies the migrations embedded in the binary for this backend.
    pub async fn migrate(&self) -> Result<(), DbError> {
        match &self.pool {
            Pool::Sqlite(pool) => sqlx::migrate!("./migrations/sqlite").run(pool).await?,
            Pool::Postgres(pool) => sqlx::migrate!("./migrations/postgres").run(pool).await?,
        }
        Ok(())
    }

    /// PostgreSQL only: refuses to run as a role that could see past row-level
    /// security. A superuser or BYPASSRLS role ignores every policy, and a
    /// table's owner is exempt unless FORCE is set; the application must
    /// connect as a plain member of `ambula_app` that owns nothing.
    pub async fn check_app_role(&self) -> Result<(), DbError> {
        let Some(pool) = self.pg_pool() else {
            return Ok(());
        };
        let (user, superuser, bypass): (String, bool, bool) =
            sqlx::query_as("SELECT rolname::text, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
                .fetch_one(pool)
                .await?;
        let (owned,): (i64,) = sqlx::query_as(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm') AND pg_has_role(current_user, c.relowner, 'USAGE')",
        )
        .fetch_one(pool)
        .await?;
        let mut problems = Vec::new();
        if superuser {
            problems.push("is a superuser");
        }
        if bypass {
            problems.push("has BYPASSRLS");
        }
        if owned > 0 {
            problems.push("owns tables (or is a member of their owner)");
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(DbError::PrivilegedRole { user, problems: problems.join(", ") })
        }
    }

    /// A writing transaction bound to one clinic (see [`Tx::enter`]).
    pub async fn write_in(&self, scope: &ClinicScope) -> Result<Tx, DbError> {
        let mut tx = self.write().await?;
        tx.enter(scope).await?;
        Ok(tx)
    }

    /// A reading transaction bound to one clinic.
    pub async fn read_in(&self, scope: &ClinicScope) -> Result<Tx, DbError> {
        let mut tx = self.read().await?;
        tx.enter(scope).await?;
        Ok(tx)
    }

    /// A transaction that will write. On SQLite it takes the write lock up
    /// front (`BEGIN IMMEDIATE`): a deferred transaction that reads and then
    /// writes fails at once with SQLITE_BUSY instead of waiting its turn.
    pub async fn write(&self) -> Result<Tx, DbError> {
        let audit_key = self.audit_key.clone();
        Ok(match &self.pool {
            Pool::Sqlite(pool) => Tx::Sqlite(DbTx { tx: pool.begin_with("BEGIN IMMEDIATE").await?, audit_key }),
            Pool::Postgres(pool) => Tx::Postgres(DbTx { tx: pool.begin().await?, audit_key }),
        })
    }

    /// A transaction that only reads: never blocks or is blocked by writers
    /// under WAL.
    pub async fn read(&self) -> Result<Tx, DbError> {
        let audit_key = self.audit_key.clone();
        Ok(match &self.pool {
            Pool::Sqlite(pool) => Tx::Sqlite(DbTx { tx: pool.begin().await?, audit_key }),
            Pool::Postgres(pool) => Tx::Postgres(DbTx { tx: pool.begin().await?, audit_key }),
        })
    }

    /// For `/readyz`: can we reach the database right now?
    pub async fn ping(&self) -> Result<(), DbError> {
        match &self.pool {
            Pool::Sqlite(pool) => sqlx::query("SELECT 1").execute(pool).await?.rows_affected(),
            Pool::Postgres(pool) => sqlx::query("SELECT 1").execute(pool).await?.rows_affected(),
        };
        Ok(())
    }

    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite(pool) => pool.close().await,
            Pool::Postgres(pool) => pool.close().await,
        }
    }
}

impl Tx {
    /// Binds the transaction to one clinic. On PostgreSQL this sets the
    /// transaction-local `app.clinic_id` that the row-level security policies
    /// compare with (it ends with the transaction, so a pooled connection
    /// never carries one request's clinic into the next). On SQLite the
    /// repositories' `clinic_id = $1` filters are the isolation.
    pub async fn enter(&mut self, scope: &ClinicScope) -> Result<(), DbError> {
        self.set("app.clinic_id", &scope.clinic_id().as_uuid().to_string()).await
    }

    /// Lets the transaction read the memberships of one user across clinics
    /// (sign-in, the clinic switcher): the `own_memberships` policy.
    pub(crate) async fn as_user(&mut self, user: uuid::Uuid) -> Result<(), DbError> {
        self.set("app.user_id", &user.to_string()).await
    }

    /// Lets the transaction read the one invitation whose token it holds.
    pub(crate) async fn with_invite_token(&mut self, token_hash: &str) -> Result<(), DbError> {
        self.set("app.invite_token_hash", token_hash).await
    }

    /// Lets the transaction read the one calendar feed whose token it holds.
    pub(crate) async fn with_feed_token(&mut self, token_hash: &str) -> Result<(), DbError> {
        self.set("app.feed_token_hash", token_hash).await
    }

    async fn set(&mut self, name: &str, value: &str) -> Result<(), DbError> {
        if let Tx::Postgres(tx) = self {
            // set_config, not SET LOCAL: SET takes no bind parameters.
            sqlx::query("SELECT set_config($1, $2, true)").bind(name).bind(value).execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// The key audit entries written in this transaction are sealed with.
    pub fn audit_key(&self) -> Option<&AuditKey> {
        match self {
            Tx::Sqlite(t) => t.audit_key.as_ref(),
            Tx::Postgres(t) => t.audit_key.as_ref(),
        }
    }

    pub async fn commit(self) -> Result<(), DbError> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await?,
            Tx::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }
}

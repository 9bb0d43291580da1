//! Test support shared by the backend and server test suites.
//!
//! Every test gets its own database: a new SQLite file in a temp directory,
//! or a new PostgreSQL database on the local server (`AMBULA_TEST_PG_URL`,
//! default `postgres://postgres@127.0.0.1:5432/postgres`). PostgreSQL being
//! down is a test failure, not a skip: both backends are always tested.

pub mod fixtures;

use ambula_backend::{audit::checkpoint::CheckpointDir, AuditKey, AuthSettings, Clock, Db, DirKeyStore, Keyring, Mailer, MasterKey, Services};
use std::{
    path::PathBuf,
    sync::{Arc, Mutex},
};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::TcpListener,
};

/// Declares `mod sqlite` and `mod postgres`, each with one `#[tokio::test]`
/// per listed case calling `super::run(kind, super::case)`, so no case can be
/// written for one backend only. The calling file defines `run`.
#[macro_export]
macro_rules! on_both_backends {
    ($($case:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test] async fn $case() { super::run($crate::Kind::Sqlite, super::$case).await } )* }
        mod postgres { $( #[tokio::test] async fn $case() { super::run($crate::Kind::Postgres, super::$case).await } )* }
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

pub struct TestDb {
    /// The application's connection: on PostgreSQL a login role that is only
    /// a member of `ambula_app` (no superuser, no BYPASSRLS, owns nothing),
    /// exactly as in production, so row-level security is in force.
    pub db: Db,
    pub url: String,
    /// The owner's connection (migrations; tests that tamper behind the
    /// application's back). The same as `url` on SQLite.
    pub owner_url: String,
    /// Where `services()` keeps the audit checkpoints (a temp directory of
    /// its own, removed by `cleanup`).
    pub checkpoint_dir: PathBuf,
    /// This test's key directory (clinic KEKs in `clinics/`), outside the
    /// database, as in production.
    pub key_dir: PathBuf,
    cleanup: Cleanup,
}

/// The login role tests connect as on PostgreSQL.
pub const PG_APP_LOGIN: &str = "ambula_app_test";

enum Cleanup {
    Dir(PathBuf),
    PgDatabase { admin_url: String, name: String },
}

/// Creates the test login role (a member of `ambula_app`, which the
/// migrations create) if it does not exist yet. Roles are cluster-wide and
/// several test processes may race here.
pub async fn ensure_pg_app_login(owner: &Db) {
    let Some(pool) = owner.pg_pool() else {
        return;
    };
    sqlx::query(&format!(
        "DO $$ BEGIN CREATE ROLE {PG_APP_LOGIN} LOGIN IN ROLE ambula_app;
         EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
    ))
    .execute(pool)
    .await
    .expect("create the test login role");
}

/// The same database as `owner_url`, as the unprivileged test login.
pub fn pg_app_url(owner_url: &str) -> String {
    owner_url.replacen("postgres://postgres@", &format!("postgres://{PG_APP_LOGIN}@"), 1)
}

pub fn pg_admin_url() -> String {
    std::env::var("AMBULA_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

impl TestDb {
    pub async fn new(kind: Kind) -> Self {
        let mut db = Self::empty(kind).await;
        db.db.migrate().await.expect("migrations apply");
        if kind == Kind::Postgres {
            ensure_pg_app_login(&db.db).await;
            db.db.close().await;
            db.url = pg_app_url(&db.owner_url);
            db.db = Db::connect(&db.url).await.expect("app role connects");
            db.db.check_app_role().await.expect("the test app role is unprivileged");
        }
        db
    }

    /// A connection as the owner (bypasses nothing on SQLite; on PostgreSQL
    /// the superuser, for tampering tests).
    pub async fn owner(&self) -> Db {
        Db::connect(&self.owner_url).await.expect("owner connects")
    }

    /// A connected database with no migrations applied.
    pub async fn empty(kind: Kind) -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let checkpoint_dir = std::env::temp_dir().join(format!("ambula-test-checkpoints-{id}"));
        match kind {
            Kind::Sqlite => {
                let dir = std::env::temp_dir().join(format!("ambula-test-{id}"));
                let url = format!("sqlite://{}/ambula.db", dir.display());
                let db = Db::connect(&url).await.expect("sqlite opens");
                let key_dir = std::env::temp_dir().join(format!("ambula-test-keys-{id}"));
                TestDb { db, owner_url: url.clone(), url, checkpoint_dir, key_dir, cleanup: Cleanup::Dir(dir) }
            }
            Kind::Postgres => {
                let admin_url = pg_admin_url();
                let name = format!("ambula_test_{id}");
                let admin = sqlx::PgPool::connect(&admin_url)
                    .await
                    .expect("PostgreSQL must be running on 127.0.0.1:5432 (the test command starts it)");
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&admin)
                    .await
                    .expect("create test database");
                admin.close().await;
                let base = admin_url.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin_url);
                let url = format!("{base}/{name}");
                let db = Db::connect(&url).await.expect("test database opens");
                let key_dir = std::env::temp_dir().join(format!("ambula-test-keys-{id}"));
                TestDb { db, owner_url: url.clone(), url, checkpoint_dir, key_dir, cleanup: Cleanup::PgDatabase { admin_url, name } }
            }
        }
    }

    pub async fn cleanup(self) {
        self.db.close().await;
        let _ = std::fs::remove_dir_all(&self.checkpoint_dir);
        let _ = std::fs::remove_dir_all(&self.key_dir);
        let _ = std::fs::remove_dir_all(self.data_dir());
        match self.cleanup {
            Cleanup::Dir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::PgDatabase { admin_url, name } => {
                if let Ok(admin) = sqlx::PgPool::connect(&admin_url).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&admin)
                        .await;
                    admin.close().await;
                }
            }
        }
    }

    /// The environment a server built from `Config` needs to run over this
    /// database without touching the checkout: the database URL, a fresh
    /// inline master key, and data, key and checkpoint directories of this
    /// test's own (all removed by `cleanup`).
    pub fn server_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("DATABASE_URL", self.url.clone()),
            ("AMBULA_MASTER_KEY", MasterKey::generate().encode()),
            ("AMBULA_DATA_DIR", self.data_dir().display().to_string()),
            ("AMBULA_KEY_DIR", self.key_dir.display().to_string()),
            ("AMBULA_AUDIT_CHECKPOINT_DIR", self.checkpoint_dir.display().to_string()),
        ]
    }

    /// A data directory for a server over this database (beside, never
    /// holding, the key directory).
    pub fn data_dir(&self) -> PathBuf {
        self.key_dir.with_extension("data")
    }

    /// Services over this database with an adjustable clock (tests move it
    /// forward with `services.clock.advance`), a fresh master key, this
    /// test's key directory, a fresh audit key and audit checkpoints in
    /// `checkpoint_dir`.
    pub fn services(&self, mailer: Mailer) -> Services {
        let mut services = Services::new(
            self.db.clone(),
            mailer,
            AuthSettings::default(),
            "http://127.0.0.1:3000".to_owned(),
            self.keyring(MasterKey::generate()),
            AuditKey::generate(),
        )
        .with_audit_checkpoints(Some(CheckpointDir::new(&self.checkpoint_dir)));
        services.clock = Clock::adjustable();
        services
    }
}

impl TestDb {
    /// A keyring over this test's key directory.
    pub fn keyring(&self, master: MasterKey) -> Keyring {
        Keyring::new(master, std::sync::Arc::new(DirKeyStore::new(self.key_dir.join("clinics"))))
    }
}

/// One message as the SMTP sink received it.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
}

/// A real SMTP server on a loopback port that keeps what it is sent. Speaks
/// just enough of RFC 5321 for a client: EHLO/HELO, MAIL, RCPT, DATA, RSET,
/// NOOP, QUIT.
#[derive(Clone)]
pub struct SmtpSink {
    pub port: u16,
    pub received: Arc<Mutex<Vec<ReceivedMail>>>,
}

impl SmtpSink {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind smtp sink");
        let port = listener.local_addr().expect("local addr").port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let store = received.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let store = store.clone();
                tokio::spawn(async move {
                    let _ = serve(stream, store).await;
                });
            }
        });
        SmtpSink { port, received }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn mailer(&self) -> Mailer {
        Mailer::new(Some(&self.url()), "Ambula <no-reply@ambula.example>").expect("mailer")
    }

    pub fn messages(&self) -> Vec<ReceivedMail> {
        self.received.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// The messages once at least `n` have arrived (mail sent off the
    /// request path arrives a moment after the answer), or after 10 s
    /// whatever has: the caller's assertion then says what is missing.
    pub async fn wait_for(&self, n: usize) -> Vec<ReceivedMail> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let messages = self.messages();
            if messages.len() >= n || std::time::Instant::now() > deadline {
                return messages;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}

async fn serve(stream: tokio::net::TcpStream, store: Arc<Mutex<Vec<ReceivedMail>>>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 sink.local ESMTP test sink\r\n").await?;
    let (mut from, mut to) = (String::new(), Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_owned();
        let upper = command.to_ascii_uppercase();
        if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            write.write_all(b"250-sink.local\r\n250 8BITMIME\r\n").await?;
        } else if upper.starts_with("MAIL FROM:") {
            from = command[10..].trim().to_owned();
            write.write_all(b"250 OK\r\n").await?;
        } else if upper.starts_with("RCPT TO:") {
            to.push(command[8..].trim().to_owned());
            write.write_all(b"250 OK\r\n").await?;
        } else if upper == "DATA" {
            write.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n").await?;
            let mut data = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                data.push_str(&line);
            }
            if let Ok(mut store) = store.lock() {
                store.push(ReceivedMail { from: std::mem::take(&mut from), to: std::mem::take(&mut to), data });
            }
            write.write_all(b"250 OK queued\r\n").await?;
        } else if upper == "QUIT" {
            write.write_all(b"221 Bye\r\n").await?;
            return Ok(());
        } else if upper == "RSET" || upper == "NOOP" {
            write.write_all(b"250 OK\r\n").await?;
        } else {
            write.write_all(b"502 Command not implemented\r\n").await?;
        }
    }
}

//! Keys kept apart from data (docs/security.md "Keys apart from data"):
//! deleting a clinic makes its data unreadable in backups taken before the
//! deletion, every running server forgets the clinic's key within seconds,
//! and the application role cannot rewrite `data_keys`. Both databases.

use ambula_backend::{
    envelope::{EnvelopeError, Field, KeyOwner},
    services::{accounts, admin, ClientInfo},
    Db, Keyring, Mailer, Services,
};
use ambula_domain::accounts::SignupForm;
use ambula_testkit::{Kind, TestDb};
use uuid::Uuid;

ambula_testkit::on_both_backends!(
    a_restored_backup_does_not_bring_a_deleted_clinic_back,
    another_process_forgets_a_deleted_clinic_within_seconds,
    the_app_role_cannot_rewrite_data_keys,
);

struct Ctx {
    services: Services,
    db: TestDb,
    kind: Kind,
}

async fn run<F, Fut>(kind: Kind, case: F)
where
    F: FnOnce(Ctx) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let db = TestDb::new(kind).await;
    let services = db.services(Mailer::new(None, "Ambula <no-reply@ambula.example>").unwrap());
    // Each case ends with `ctx.db.cleanup()`.
    case(Ctx { services, db, kind }).await;
}

const FIELD: Field<'static> = Field { table: "clinical_notes", column: "body", row: "note-1" };

async fn new_clinic(services: &Services, name: &str, email: &str) -> Uuid {
    let form = SignupForm {
        clinic_name: name.into(),
        time_zone: "Europe/Lisbon".into(),
        owner_name: "Ana Costa".into(),
        email: email.into(),
        password: "tide pools at dawn".into(),
        confirm_adult: Some("on".into()),
    };
    let client = ClientInfo { ip: None, user_agent: None };
    let signed = accounts::sign_up(services, &form, &client).await.unwrap();
    let context = ambula_backend::services::auth::authenticate(services, &signed.token).await.unwrap();
    context.scope.clinic_id().as_uuid()
}

async fn seal(services: &Services, clinic: Uuid, text: &[u8]) -> Vec<u8> {
    let mut tx = services.db.write().await.unwrap();
    let sealed = services.keys.encrypt(&mut tx, KeyOwner::Clinic(clinic), FIELD, text, services.now()).await.unwrap();
    tx.commit().await.unwrap();
    sealed
}

async fn open(keys: &Keyring, db: &Db, clinic: Uuid, sealed: &[u8]) -> Result<Vec<u8>, EnvelopeError> {
    let mut tx = db.read().await.unwrap();
    keys.decrypt(&mut tx, KeyOwner::Clinic(clinic), FIELD, sealed).await.map(|p| p.to_vec())
}

/// A copy of the whole database as an operator's backup would take it:
/// SQLite `VACUUM INTO`, PostgreSQL `pg_dump` (custom format).
async fn backup(ctx: &Ctx, dir: &std::path::Path) -> std::path::PathBuf {
    match ctx.kind {
        Kind::Sqlite => {
            let file = dir.join("backup.db");
            let pool = ctx.services.db.sqlite_pool().expect("a SQLite run");
            sqlx::query(&format!("VACUUM INTO '{}'", file.display())).execute(pool).await.unwrap();
            file
        }
        Kind::Postgres => {
            let file = dir.join("backup.dump");
            let out = std::process::Command::new("pg_dump")
                .args(["-Fc", "-f"])
                .arg(&file)
                .arg(&ctx.db.owner_url)
                .output()
                .unwrap();
            assert!(out.status.success(), "pg_dump: {}", String::from_utf8_lossy(&out.stderr));
            file
        }
    }
}

/// Restores `file` as a new database; returns the app-role connection and,
/// on PostgreSQL, the database name to drop.
async fn restore(ctx: &Ctx, file: &std::path::Path) -> (Db, Option<String>) {
    match ctx.kind {
        Kind::Sqlite => (Db::connect(&format!("sqlite://{}", file.display())).await.unwrap(), None),
        Kind::Postgres => {
            let name = format!("ambula_restored_{}", Uuid::new_v4().simple());
            let admin = sqlx::PgPool::connect(&ambula_testkit::pg_admin_url()).await.unwrap();
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&admin).await.unwrap();
            admin.close().await;
            let base = ctx.db.owner_url.rsplit_once('/').map(|(b, _)| b).unwrap().to_owned();
            let owner_url = format!("{base}/{name}");
            let out = std::process::Command::new("pg_restore")
                .args(["--exit-on-error", "-d"])
                .arg(&owner_url)
                .arg(file)
                .output()
                .unwrap();
            assert!(out.status.success(), "pg_restore: {}", String::from_utf8_lossy(&out.stderr));
            let db = Db::connect(&ambula_testkit::pg_app_url(&owner_url)).await.unwrap();
            (db, Some(name))
        }
    }
}

async fn drop_restored(db: Db, name: Option<String>) {
    db.close().await;
    if let Some(name) = name {
        let admin = sqlx::PgPool::connect(&ambula_testkit::pg_admin_url()).await.unwrap();
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&admin).await.unwrap();
        admin.close().await;
    }
}

/// (a) Backup → delete → restore: the restored copy, opened with the same
/// master key and key directory, reads nothing of the deleted clinic, and
/// still reads the other clinic's data.
async fn a_restored_backup_does_not_bring_a_deleted_clinic_back(ctx: Ctx) {
    let gone = new_clinic(&ctx.services, "Gone", "a@gone.example").await;
    let kept = new_clinic(&ctx.services, "Kept", "a@kept.example").await;
    let gone_note = seal(&ctx.services, gone, b"HIV positive, started ART").await;
    let kept_note = seal(&ctx.services, kept, b"Fractured left radius").await;

    let dir = std::env::temp_dir().join(format!("ambula-keys-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = backup(&ctx, &dir).await;
    admin::delete_clinic(&ctx.services, gone).await.unwrap();

    let (restored, name) = restore(&ctx, &file).await;
    // Another process: same master key (and key directory), nothing cached.
    let keys = ctx.services.keys.fresh();
    let refused = open(&keys, &restored, gone, &gone_note).await;
    assert!(matches!(refused, Err(EnvelopeError::KeyDestroyed)), "the deleted clinic's note decrypts from the backup: {refused:?}");
    assert_eq!(open(&keys, &restored, kept, &kept_note).await.unwrap(), b"Fractured left radius");
    drop_restored(restored, name).await;
    let _ = std::fs::remove_dir_all(&dir);
    ctx.db.cleanup().await;
}

/// (b) Another server process (its own `Services`, its own key cache) that
/// has read the clinic's data stops reading it within the cache's
/// re-validation interval once the clinic is deleted elsewhere (the CLI).
async fn another_process_forgets_a_deleted_clinic_within_seconds(ctx: Ctx) {
    let clinic = new_clinic(&ctx.services, "Gone", "a@gone.example").await;
    let note = seal(&ctx.services, clinic, b"Depression, sertraline 50 mg").await;
    let other = ctx.services.keys.fresh().revalidate_after(std::time::Duration::from_secs(1));
    assert_eq!(open(&other, &ctx.services.db, clinic, &note).await.unwrap(), b"Depression, sertraline 50 mg");

    let cli = Services { keys: ctx.services.keys.fresh(), ..ctx.services.clone() };
    admin::delete_clinic(&cli, clinic).await.unwrap();
    // The deleting process itself refuses at once.
    assert!(open(&cli.keys, &ctx.services.db, clinic, &note).await.is_err());
    let started = std::time::Instant::now();
    loop {
        match open(&other, &ctx.services.db, clinic, &note).await {
            Err(EnvelopeError::KeyDestroyed) => break,
            other_result => {
                assert!(
                    started.elapsed() < std::time::Duration::from_secs(3),
                    "still decrypting {:?} after the clinic was deleted: {other_result:?}",
                    started.elapsed()
                );
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    ctx.db.cleanup().await;
}

/// (c) The application's own role cannot rewrite or remove data keys
/// (PostgreSQL privileges; SQLite triggers refuse what the key service never
/// does: resurrecting, re-owning or deleting a key).
async fn the_app_role_cannot_rewrite_data_keys(ctx: Ctx) {
    let clinic = new_clinic(&ctx.services, "A", "a@a.example").await;
    let _ = seal(&ctx.services, clinic, b"x").await;
    let other = new_clinic(&ctx.services, "B", "b@b.example").await;
    let _ = seal(&ctx.services, other, b"y").await;
    admin::delete_clinic(&ctx.services, clinic).await.unwrap();
    let attempt = |sql: &'static str| {
        let db = ctx.services.db.clone();
        async move {
            let mut tx = db.write().await.unwrap();
            let result = ambula_backend::on_tx!(&mut tx, c => sqlx::query(sql).bind(clinic).execute(c).await.map(|r| r.rows_affected()));
            drop(tx);
            result
        }
    };
    // Put a key back under the deleted clinic, hand it to another clinic, or
    // remove keys: all refused.
    let resurrect = "UPDATE data_keys SET wrapped = (SELECT wrapped FROM data_keys WHERE wrapped IS NOT NULL LIMIT 1), destroyed_at = NULL WHERE clinic_id = $1";
    let reown = "UPDATE data_keys SET clinic_id = $1 WHERE clinic_id <> $1";
    let delete = "DELETE FROM data_keys WHERE clinic_id = $1 OR clinic_id IS NULL";
    for sql in [resurrect, reown, delete] {
        assert!(attempt(sql).await.is_err(), "the app role ran: {sql}");
    }
    if ctx.kind == Kind::Postgres {
        let any_update = "UPDATE data_keys SET master_key_id = master_key_id WHERE clinic_id = $1";
        assert!(attempt(any_update).await.is_err(), "PostgreSQL: no UPDATE privilege at all");
    }
    ctx.db.cleanup().await;
}

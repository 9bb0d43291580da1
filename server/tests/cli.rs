//! The `server` binary as an operator uses it: configuration errors,
//! migrate, create-clinic, and a clean stop on SIGTERM.

use ambula_testkit::{Kind, TestDb};
use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

fn server() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_server"));
    // The data and key directories (the generated master key, the audit key)
    // stay in this process's temporary directory, out of the repo.
    let root = std::env::temp_dir().join(format!("ambula-cli-{}", std::process::id()));
    command
        .env_remove("DATABASE_URL")
        .env_remove("AMBULA_DATABASE_OWNER_URL")
        .env("AMBULA_DATA_DIR", root.join("data"))
        .env("AMBULA_KEY_DIR", root.join("keys"))
        .env("RUST_LOG", "warn");
    command
}

#[test]
fn a_bad_setting_stops_start_up_with_its_name() {
    let output = server()
        .args(["migrate"])
        .env("AMBULA_BIND", "not-an-address")
        .env("AMBULA_LOG_FORMAT", "xml")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("AMBULA_BIND") && stderr.contains("AMBULA_LOG_FORMAT"), "{stderr}");
}

#[tokio::test]
async fn migrate_and_create_clinic_on_both_backends() {
    for kind in [Kind::Sqlite, Kind::Postgres] {
        let db = TestDb::empty(kind).await;
        let app_url = if kind == Kind::Postgres {
            // As a superuser that owns the tables, the server migrates and
            // then refuses to run: RLS would not bind it.
            let refused = server().arg("migrate").env("DATABASE_URL", &db.url).output().unwrap();
            assert!(!refused.status.success());
            let stderr = String::from_utf8_lossy(&refused.stderr);
            assert!(stderr.contains("refusing to run") && stderr.contains("superuser"), "{stderr}");
            ambula_testkit::ensure_pg_app_login(&db.db).await;
            ambula_testkit::pg_app_url(&db.url)
        } else {
            db.url.clone()
        };
        let with_urls = |command: &mut Command| {
            command.env("DATABASE_URL", &app_url);
            // One checkpoint directory per database (a checkpoint of a
            // clinic the database lacks is reported).
            command.env("AMBULA_AUDIT_CHECKPOINT_DIR", &db.checkpoint_dir);
            if kind == Kind::Postgres {
                command.env("AMBULA_DATABASE_OWNER_URL", &db.url);
            }
        };
        let mut migrate = server();
        migrate.arg("migrate");
        with_urls(&mut migrate);
        let migrate = migrate.output().unwrap();
        assert!(migrate.status.success(), "{}", String::from_utf8_lossy(&migrate.stderr));

        let create = |adult: bool, password: &str| {
            let mut command = server();
            command
                .args(["create-clinic", "--name", "Ops Clinic", "--time-zone", "Europe/Berlin", "--owner-name", "Olga", "--owner-email", "olga@ops.example"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            with_urls(&mut command);
            if adult {
                command.arg("--owner-is-adult");
            }
            let mut child = command.spawn().unwrap();
            use std::io::Write;
            writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
            child.wait_with_output().unwrap()
        };
        let minor = create(false, "a long enough password");
        assert!(!minor.status.success());
        assert!(String::from_utf8_lossy(&minor.stderr).contains("18 or older"));
        let weak = create(true, "short");
        assert!(String::from_utf8_lossy(&weak.stderr).contains("password"));
        let ok = create(true, "a long enough password");
        assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
        assert!(String::from_utf8_lossy(&ok.stdout).contains("Created clinic Ops Clinic"));

        // The audit chain verifies; edited behind the application's back
        // (triggers bypassed by the owner), the first altered entry is named.
        let verify = || {
            let mut command = server();
            command.arg("verify-audit");
            with_urls(&mut command);
            command.output().unwrap()
        };
        let intact = verify();
        assert!(intact.status.success(), "{}", String::from_utf8_lossy(&intact.stderr));
        assert!(String::from_utf8_lossy(&intact.stdout).contains("ok      Ops Clinic"));
        let tamper = match kind {
            Kind::Sqlite => vec![
                "DROP TRIGGER audit_events_no_update",
                "UPDATE audit_events SET actor_name = 'Mallory' WHERE seq = 2",
            ],
            Kind::Postgres => vec![
                "ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change",
                "UPDATE audit_events SET actor_name = 'Mallory' WHERE seq = 2",
            ],
        };
        let mut tx = db.db.write().await.unwrap();
        for sql in tamper {
            ambula_backend::on_tx!(&mut tx, c => sqlx::query(sql).execute(c).await.map(|r| r.rows_affected())).unwrap();
        }
        tx.commit().await.unwrap();
        let broken = verify();
        assert!(!broken.status.success());
        let stdout = String::from_utf8_lossy(&broken.stdout);
        assert!(stdout.contains("BROKEN  Ops Clinic") && stdout.contains("entry 2"), "{stdout}");
        db.cleanup().await;
    }
}

/// `verify-audit` pins each chain in a signed checkpoint outside the
/// database; when the owner then deletes the tail (which leaves a chain
/// that is consistent in itself), it exits 1 naming the clinic.
#[tokio::test]
async fn verify_audit_reports_a_deleted_tail_on_both_backends() {
    for kind in [Kind::Sqlite, Kind::Postgres] {
        let db = TestDb::empty(kind).await;
        let app_url = match kind {
            Kind::Postgres => {
                // Migrations need the ambula_app role first.
                db.db.migrate().await.unwrap();
                ambula_testkit::ensure_pg_app_login(&db.db).await;
                ambula_testkit::pg_app_url(&db.url)
            }
            Kind::Sqlite => db.url.clone(),
        };
        let run = |args: &[&str], stdin: Option<&str>| {
            let mut command = server();
            command
                .args(args)
                .env("DATABASE_URL", &app_url)
                .env("AMBULA_AUDIT_CHECKPOINT_DIR", &db.checkpoint_dir)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            if kind == Kind::Postgres {
                command.env("AMBULA_DATABASE_OWNER_URL", &db.url);
            }
            let mut child = command.spawn().unwrap();
            if let Some(text) = stdin {
                use std::io::Write;
                writeln!(child.stdin.take().unwrap(), "{text}").unwrap();
            }
            child.wait_with_output().unwrap()
        };
        let created = run(
            &["create-clinic", "--name", "Tail Clinic", "--time-zone", "Europe/Berlin", "--owner-name", "Olga", "--owner-email", "olga@tail.example", "--owner-is-adult"],
            Some("a long enough password"),
        );
        assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
        let intact = run(&["verify-audit"], None);
        let stdout = String::from_utf8_lossy(&intact.stdout);
        assert!(intact.status.success(), "{stdout}{}", String::from_utf8_lossy(&intact.stderr));
        assert!(stdout.contains("ok      Tail Clinic") && stdout.contains("Checkpointed 1 chain(s)"), "{stdout}");
        let again = run(&["verify-audit"], None);
        assert!(String::from_utf8_lossy(&again.stdout).contains("matches the checkpoint of"), "{}", String::from_utf8_lossy(&again.stdout));
        let tamper = match kind {
            Kind::Sqlite => vec!["DROP TRIGGER audit_events_no_delete"],
            Kind::Postgres => vec!["ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change"],
        };
        let mut tx = db.db.write().await.unwrap();
        for sql in tamper.into_iter().chain(["DELETE FROM audit_events WHERE seq = (SELECT max(seq) FROM audit_events)"]) {
            ambula_backend::on_tx!(&mut tx, c => sqlx::query(sql).execute(c).await.map(|r| r.rows_affected())).unwrap();
        }
        tx.commit().await.unwrap();
        let broken = run(&["verify-audit"], None);
        let stdout = String::from_utf8_lossy(&broken.stdout);
        assert_eq!(broken.status.code(), Some(1), "{stdout}");
        assert!(stdout.contains("BROKEN  Tail Clinic") && stdout.contains("deleted from the end"), "{stdout}");
        assert!(String::from_utf8_lossy(&broken.stderr).contains("failed verification"));
        db.cleanup().await;
    }
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    let dir = std::env::temp_dir().join(format!("ambula-cli-{}", std::process::id()));
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mut child = server()
        .args(["serve", "--demo"])
        .env("AMBULA_BIND", format!("127.0.0.1:{port}"))
        .env("DATABASE_URL", format!("sqlite://{}/ambula.db", dir.display()))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "server did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let stopping = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(stopping.elapsed() < Duration::from_secs(10), "server did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    let mut stdout = String::new();
    use std::io::Read;
    child.stdout.take().unwrap().read_to_string(&mut stdout).unwrap();
    assert!(stdout.contains("Ambula is running at http://127.0.0.1:"), "{stdout}");
    assert!(stdout.contains("owner@harbour-clinic.example"), "demo logins are printed: {stdout}");
    let _ = std::fs::remove_dir_all(dir);
}

//! The `server` binary as an operator uses it: configuration errors,
//! migrate, create-clinic, and a clean stop on SIGTERM.

use ambula_testkit::{Kind, TestDb};
use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

fn server() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_server"));
    command.env_remove("DATABASE_URL").env("RUST_LOG", "warn");
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
        let migrate = server().arg("migrate").env("DATABASE_URL", &db.url).output().unwrap();
        assert!(migrate.status.success(), "{}", String::from_utf8_lossy(&migrate.stderr));

        let create = |adult: bool, password: &str| {
            let mut command = server();
            command
                .args(["create-clinic", "--name", "Ops Clinic", "--time-zone", "Europe/Berlin", "--owner-name", "Olga", "--owner-email", "olga@ops.example"])
                .env("DATABASE_URL", &db.url)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
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

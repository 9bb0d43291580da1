//! The security issue's attacks over HTTP against the real server: the
//! invitation takeover chain end to end (both databases), tokens kept out
//! of the log, `--demo` refusing where its published password would open a
//! real installation, and `Retry-After` on a throttled network.

use ambula_testkit::{Kind, SmtpSink, TestDb};
use reqwest::{header, redirect::Policy, Client, StatusCode};
use serde_json::Value;
use server::config::{Config, FileConfig};
use std::{
    collections::HashMap,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

ambula_testkit::on_both_backends!(
    invitation_takeover_chain_is_closed_over_http,
    throttled_network_gets_429_with_retry_after,
    live_refreshes_are_not_activity,
);

const VERIFIED_SIGN_UP: &[(&str, &str)] = &[("AMBULA_SIGNUP", "verify-email")];

mod verified_sign_up {
    use super::*;

    #[tokio::test]
    async fn sqlite() {
        run_with(Kind::Sqlite, VERIFIED_SIGN_UP, verified_sign_up_answers_alike_over_http).await
    }

    #[tokio::test]
    async fn postgres() {
        run_with(Kind::Postgres, VERIFIED_SIGN_UP, verified_sign_up_answers_alike_over_http).await
    }
}

struct App {
    url: String,
    client: Client,
    /// The database behind the application's back (None for the spawned
    /// binary's tests).
    owner: Option<ambula_backend::Db>,
    smtp: Option<SmtpSink>,
}

async fn run<F, Fut>(kind: Kind, case: F)
where
    F: FnOnce(App) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    run_with(kind, &[], case).await
}

async fn run_with<F, Fut>(kind: Kind, extra: &[(&'static str, &str)], case: F)
where
    F: FnOnce(App) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let db = TestDb::new(kind).await;
    let smtp = SmtpSink::start().await;
    let mut env: HashMap<&str, String> = HashMap::from([
        ("AMBULA_BIND", "127.0.0.1:0".to_owned()),
        ("AMBULA_SMTP_URL", smtp.url()),
        ("AMBULA_FAILURES_PER_NETWORK_PER_HOUR", "20".to_owned()),
    ]);
    env.extend(db.server_env());
    env.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
    let config = Config::from_sources(FileConfig::default(), |k| env.get(k).cloned()).unwrap();
    let services = server::services(&config, db.db.clone()).unwrap();
    let app = server::Application::build(&config, services).await.unwrap();
    let url = format!("http://{}", app.addr);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    let owner = db.owner().await;
    case(App { url, client: Client::builder().redirect(Policy::none()).build().unwrap(), owner: Some(owner.clone()), smtp: Some(smtp) }).await;
    owner.close().await;
    let _ = stop.send(());
    let _ = handle.await;
    db.cleanup().await;
}

impl App {
    async fn post(&self, path: &str, form: &[(&str, &str)], cookie: Option<&str>) -> reqwest::Response {
        let mut request = self.client.post(format!("{}{path}", self.url)).form(form);
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        request.send().await.unwrap()
    }

    async fn json(&self, path: &str, form: &[(&str, &str)], cookie: &str) -> Value {
        let response = self.post(path, form, Some(cookie)).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        response.json().await.unwrap()
    }

    async fn sign_up(&self, clinic: &str, email: &str) -> String {
        let response = self.sign_up_form(clinic, email).await;
        assert_eq!(response.status(), StatusCode::OK);
        cookie(&response)
    }

    async fn sign_up_form(&self, clinic: &str, email: &str) -> reqwest::Response {
        let form = [("clinic_name", clinic), ("time_zone", "Europe/Lisbon"), ("owner_name", "Owner"), ("email", email), ("password", PASSWORD), ("confirm_adult", "on")];
        self.post("/api/sign_up", &form, None).await
    }

    async fn sign_in(&self, email: &str) -> reqwest::Response {
        self.post("/api/sign_in", &[("email", email), ("password", PASSWORD)], None).await
    }
}

const PASSWORD: &str = "tide pools at dawn";

fn cookie(response: &reqwest::Response) -> String {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with("ambula_session="))
        .expect("a session cookie")
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

fn token_of(link: &Value) -> String {
    link.as_str().unwrap().rsplit('/').next().unwrap().to_owned()
}

fn base32_decode(text: &str) -> Vec<u8> {
    let (mut buffer, mut bits, mut out) = (0u32, 0u32, Vec::new());
    for c in text.chars() {
        let v = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".find(c).unwrap() as u32;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            out.push((buffer >> (bits - 8)) as u8);
            bits -= 8;
        }
    }
    out
}

async fn invitation_takeover_chain_is_closed_over_http(app: App) {
    // The victim runs her clinic with MFA on.
    let vera = app.sign_up("Victim Clinic", "vera@victim.example").await;
    let enrolment = app.json("/api/mfa_begin", &[], &vera).await;
    let secret = base32_decode(enrolment["manual_key"].as_str().unwrap());
    let step = ambula_backend::totp::step_of(chrono::Utc::now().timestamp());
    let codes = app.json("/api/mfa_confirm", &[("code", &ambula_backend::totp::code_at(&secret, step))], &vera).await;
    let recovery: Vec<String> = serde_json::from_value(codes).unwrap();

    // 1. Mallory signs up a clinic and invites her address, and one with no
    // account: the invitation page answers the same for both.
    let mallory = app.sign_up("Mallory Clinic", "mallory@evil.example").await;
    let invite = app.json("/api/invite_staff", &[("email", "vera@victim.example"), ("role", "nurse")], &mallory).await;
    let token = token_of(&invite["link"]);
    let other = app.json("/api/invite_staff", &[("email", "nobody@victim.example"), ("role", "nurse")], &mallory).await;
    let info = |token: String| {
        let app = &app;
        async move {
            let response = app.post("/api/invite_info", &[("token", &token)], None).await;
            assert_eq!(response.status(), StatusCode::OK);
            let mut body: Value = response.json().await.unwrap();
            body.as_object_mut().unwrap().remove("email");
            body
        }
    };
    assert_eq!(info(token.clone()).await, info(token_of(&other["link"])).await, "nothing tells an account apart");

    // 2. Her password through the invitation: the same 422 as any guess.
    let guess = |password: &'static str| {
        let (app, token) = (&app, token.clone());
        async move {
            let response = app.post("/api/accept_invite", &[("token", &token), ("name", "Vera"), ("password", password)], None).await;
            (response.status(), response.text().await.unwrap())
        }
    };
    let (wrong, right) = (guess("not her password at all").await, guess(PASSWORD).await);
    assert_eq!(wrong.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wrong, right, "the right password opens nothing and is not told apart");

    // 3. She joins herself, signed in with her second factor; Mallory's
    // admin action then touches only her access to Mallory's clinic.
    let pending = app.sign_in("vera@victim.example").await;
    assert_eq!(pending.headers()[header::LOCATION], "/sign-in/code");
    let pending = cookie(&pending);
    let signed = app.post("/api/verify_mfa", &[("code", &recovery[0])], Some(&pending)).await;
    assert_eq!(signed.status(), StatusCode::OK);
    let signed = cookie(&signed);
    let joined = app.post("/api/accept_invite_signed_in", &[("token", &token)], Some(&signed)).await;
    assert_eq!(joined.status(), StatusCode::OK);
    let joined = cookie(&joined);
    let me = app.json("/api/me", &[], &joined).await;
    assert_eq!(me["clinic_name"], "Mallory Clinic");
    let staff = app.json("/api/staff_list", &[], &mallory).await;
    let member = staff["staff"].as_array().unwrap().iter().find(|m| m["email"] == "vera@victim.example").unwrap();
    let reset = app.post("/api/reset_staff_mfa", &[("membership_id", member["membership_id"].as_str().unwrap())], Some(&mallory)).await;
    assert_eq!(reset.status(), StatusCode::OK);

    // 4. Signing in as her still meets her own authenticator, never a
    // fresh set-up an attacker could enrol.
    let again = app.sign_in("vera@victim.example").await;
    assert_eq!(again.headers()[header::LOCATION], "/sign-in/code", "her MFA was not cleared");
    let again = cookie(&again);
    let enrol = app.post("/api/mfa_begin", &[], Some(&again)).await;
    assert!(enrol.status().is_client_error(), "no enrolment before her second factor: {}", enrol.status());
    let in_her_clinic = app.post("/api/verify_mfa", &[("code", &recovery[1])], Some(&again)).await;
    assert_eq!(in_her_clinic.status(), StatusCode::OK);
    let home = app.json("/api/me", &[], &cookie(&in_her_clinic)).await;
    assert_eq!((home["clinic_name"].as_str(), home["mfa_enabled"].as_bool()), (Some("Victim Clinic"), Some(true)));
}

async fn throttled_network_gets_429_with_retry_after(app: App) {
    let owner = app.sign_up("Harbour", "ana@harbour.example").await;
    let _ = owner;
    let mut statuses = Vec::new();
    for n in 0..25 {
        let email = format!("user{n}@spray.example");
        statuses.push(app.post("/api/sign_in", &[("email", &email), ("password", "wrong wrong wrong")], None).await);
    }
    assert!(statuses[..20].iter().all(|r| r.status() == StatusCode::UNPROCESSABLE_ENTITY));
    let last = statuses.last().unwrap();
    assert_eq!(last.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = last.headers()[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!((1..=3600).contains(&retry), "{retry}");
}

/// The page's own refreshes after a live update (`*_live` server functions)
/// do not keep the session alive: an unattended calendar signs out on time.
/// The same data asked for by the user does.
async fn live_refreshes_are_not_activity(app: App) {
    use ambula_backend::{on_tx, time::DbTime};
    let session = app.sign_up("Harbour", "ana@harbour.example").await;
    let owner = app.owner.clone().unwrap();
    use chrono::SubsecRound;
    // Microseconds: what both databases keep.
    let five_minutes_ago = DbTime::from((chrono::Utc::now() - chrono::Duration::minutes(5)).trunc_subsecs(6));
    let mut tx = owner.write().await.unwrap();
    on_tx!(&mut tx, c => sqlx::query("UPDATE sessions SET last_seen_at = $1").bind(five_minutes_ago).execute(c).await.map(|r| r.rows_affected())).unwrap();
    tx.commit().await.unwrap();
    let last_seen = || {
        let owner = owner.clone();
        async move {
            let mut tx = owner.read().await.unwrap();
            let (seen,): (DbTime,) = on_tx!(&mut tx, c => sqlx::query_as("SELECT last_seen_at FROM sessions").fetch_one(c).await).unwrap();
            seen
        }
    };
    for (path, form) in [
        ("/api/calendar_day_live", [("date", ""), ("by", "practitioner")]),
        ("/api/calendar_month_live", [("year", "0"), ("month", "0")]),
    ] {
        assert_eq!(app.post(path, &form, Some(&session)).await.status(), StatusCode::OK, "{path}");
    }
    assert_eq!(last_seen().await, five_minutes_ago, "background refreshes are not activity");
    assert_eq!(app.post("/api/calendar_day", &[("date", ""), ("by", "practitioner")], Some(&session)).await.status(), StatusCode::OK);
    assert!(last_seen().await > five_minutes_ago, "the user's own request is");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn server(dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_server"));
    command
        .env_remove("AMBULA_DATABASE_OWNER_URL")
        .env("AMBULA_DATA_DIR", dir.join("data"))
        .env("DATABASE_URL", format!("sqlite://{}/ambula.db", dir.display()));
    command
}

/// Link tokens and mail bodies never reach the server's log, at its
/// default level: a leaked log is not a way in.
#[test]
fn tokens_never_reach_the_log() {
    let dir = std::env::temp_dir().join(format!("ambula-log-{}", std::process::id()));
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let child = server(&dir)
        .args(["serve"])
        .env("AMBULA_BIND", format!("127.0.0.1:{port}"))
        .env("AMBULA_PUBLIC_URL", &url)
        .env_remove("AMBULA_SMTP_URL")
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < Duration::from_secs(30), "server did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let invite_token = runtime.block_on(async {
        let app = App { url: url.clone(), client: Client::builder().redirect(Policy::none()).build().unwrap(), owner: None, smtp: None };
        let owner = app.sign_up("Harbour", "ana@harbour.example").await;
        let invite = app.json("/api/invite_staff", &[("email", "joao@harbour.example"), ("role", "nurse")], &owner).await;
        let token = token_of(&invite["link"]);
        assert_eq!(app.post("/api/request_password_reset", &[("email", "ana@harbour.example")], None).await.status(), StatusCode::OK);
        for path in [
            format!("/invite/{token}"),
            "/reset-password/SECRETRESETTOKEN123".into(),
            "/sign-up/confirm/SECRETSIGNUPTOKEN321".into(),
            "/calendar/feeds/SECRETFEEDTOKEN456.ics".into(),
        ] {
            let _ = app.client.get(format!("{url}{path}?also=SECRETQUERY789")).send().await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        token
    });
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let output = child.wait_with_output().unwrap();
    let log = String::from_utf8_lossy(&output.stderr);
    for secret in [invite_token.as_str(), "SECRETRESETTOKEN123", "SECRETSIGNUPTOKEN321", "SECRETFEEDTOKEN456", "SECRETQUERY789", "Choose a new password", "/reset-password/"] {
        if secret == "/reset-password/" {
            assert!(!log.contains("/reset-password/") || log.matches("/reset-password/[redacted]").count() == log.matches("/reset-password/").count(), "{log}");
        } else {
            assert!(!log.contains(secret), "{secret:?} is in the log:\n{log}");
        }
    }
    assert!(log.contains("[redacted]"), "the requests are logged, their tokens redacted:\n{log}");
    assert!(log.contains("email not sent: no SMTP server configured"), "{log}");
    let _ = std::fs::remove_dir_all(dir);
}

/// `--demo` seeds accounts with a published password: it refuses an
/// https:// public address, and a database that holds real clinics.
#[test]
fn demo_refuses_https_and_real_installations() {
    let dir = std::env::temp_dir().join(format!("ambula-demo-guard-{}", std::process::id()));
    let https = server(&dir)
        .args(["serve", "--demo"])
        .env("AMBULA_BIND", format!("127.0.0.1:{}", free_port()))
        .env("AMBULA_PUBLIC_URL", "https://clinic.example")
        .output()
        .unwrap();
    assert!(!https.status.success());
    assert!(String::from_utf8_lossy(&https.stderr).contains("https://"), "{}", String::from_utf8_lossy(&https.stderr));

    let created = server(&dir)
        .args(["create-clinic", "--name", "Real Clinic", "--time-zone", "Europe/Lisbon", "--owner-name", "Rita Real", "--owner-email", "rita@real.example", "--owner-is-adult"])
        .env("AMBULA_OWNER_PASSWORD", "a real clinic's password")
        .output()
        .unwrap();
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let real = server(&dir)
        .args(["serve", "--demo"])
        .env("AMBULA_BIND", format!("127.0.0.1:{}", free_port()))
        .env("AMBULA_PUBLIC_URL", "http://127.0.0.1:3000")
        .output()
        .unwrap();
    assert!(!real.status.success());
    let stderr = String::from_utf8_lossy(&real.stderr);
    assert!(stderr.contains("besides the demo clinic"), "{stderr}");
    assert!(!String::from_utf8_lossy(&real.stdout).contains("harbour-demo-2026"), "no demo logins printed");
    let _ = std::fs::remove_dir_all(dir);
}

/// `AMBULA_SIGNUP=verify-email`: the sign-up form's HTTP answer (status,
/// cookies, body apart from the address itself) is the same for an address
/// that has an account and one that has not; the mailed link's page creates
/// nothing when opened, and its button creates the clinic and signs in.
async fn verified_sign_up_answers_alike_over_http(app: App) {
    let owner = app.owner.clone().unwrap();
    let clinics = || async {
        let mut tx = owner.read().await.unwrap();
        let (n,): (i64,) = ambula_backend::on_tx!(&mut tx, c => sqlx::query_as("SELECT count(*) FROM clinics").fetch_one(c).await).unwrap();
        n
    };
    // An account that exists, made through a confirmed sign-up itself.
    let smtp = app.smtp.clone().unwrap();
    let mut answers = Vec::new();
    for (clinic, email) in [("Harbour", "ana@harbour.example"), ("Copy", "ana@harbour.example"), ("Other", "nobody@else.example")] {
        let response = app.sign_up_form(clinic, email).await;
        let status = response.status();
        let cookies = response.headers().get_all(header::SET_COOKIE).iter().count();
        let body = response.text().await.unwrap().replace(email, "EMAIL");
        answers.push((status, cookies, body));
        if clinic == "Harbour" {
            let mail = smtp.wait_for(1).await;
            let body = mail[0].data.replace("=\r\n", "");
            let start = body.find("/sign-up/confirm/").expect("a confirmation link") + "/sign-up/confirm/".len();
            let token: String = body[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
            let page = app.client.get(format!("{}/sign-up/confirm/{token}", app.url)).send().await.unwrap();
            assert_eq!(page.status(), StatusCode::OK);
            assert!(page.text().await.unwrap().contains("Harbour"), "the page names the clinic it creates");
            assert_eq!(clinics().await, 0, "opening the link creates nothing");
            let confirmed = app.post("/api/confirm_sign_up", &[("token", &token)], None).await;
            assert_eq!(confirmed.status(), StatusCode::OK);
            let session = cookie(&confirmed);
            let me = app.json("/api/me", &[], &session).await;
            assert_eq!(me["clinic_name"], "Harbour");
            let again = app.post("/api/confirm_sign_up", &[("token", &token)], None).await;
            assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY, "the link works once");
        }
    }
    assert_eq!(answers[0].0, StatusCode::OK);
    assert_eq!(answers[0].1, 0, "no session before the address is confirmed");
    assert_eq!(answers[1], answers[2], "a known and an unknown address get the same answer");
    assert_eq!(clinics().await, 1);
    let mail = smtp.wait_for(3).await;
    assert_eq!(mail.len(), 3, "{mail:?}");
    assert!(mail[1].data.contains("already has an account"), "the known address is told so, by mail only");
}

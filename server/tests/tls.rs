//! Built-in HTTPS over a real socket: a self-signed certificate for
//! 127.0.0.1/localhost made per test, the server on a free loopback port.
//! TLS sits below the storage layer, so SQLite alone is enough here.

use ambula_testkit::{Kind, TestDb};
use reqwest::{header, redirect::Policy, tls::Version, Certificate, Client, StatusCode};
use server::config::{Config, FileConfig};
use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    time::Duration,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const HSTS: &str = "max-age=31536000; includeSubDomains";

/// A temporary directory with a fresh self-signed certificate and its key.
struct Pem {
    dir: PathBuf,
    cert: PathBuf,
    key: PathBuf,
    cert_pem: String,
}

impl Pem {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("ambula-tls-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let rcgen::CertifiedKey { cert, signing_key } =
            rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
        let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
        std::fs::write(&cert_path, cert.pem()).unwrap();
        std::fs::write(&key_path, signing_key.serialize_pem()).unwrap();
        Pem { dir, cert: cert_path, key: key_path, cert_pem: cert.pem() }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

impl Drop for Pem {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn env_for(db: &TestDb, tls: Option<&Pem>) -> HashMap<&'static str, String> {
    let mut env = HashMap::from([
        ("AMBULA_BIND", "127.0.0.1:0".to_owned()),
        // https without SMTP closes public sign-up by default; these tests
        // sign up to get a session cookie over TLS.
        ("AMBULA_SIGNUP", "open".to_owned()),
    ]);
    env.extend(db.server_env());
    if let Some(pem) = tls {
        env.insert("AMBULA_TLS_CERT", pem.cert.display().to_string());
        env.insert("AMBULA_TLS_KEY", pem.key.display().to_string());
    }
    env
}

fn load(env: &HashMap<&str, String>, file: FileConfig) -> Result<Config, server::config::ConfigError> {
    Config::from_sources(file, |k| env.get(k).cloned())
}

struct TestApp {
    /// `https://127.0.0.1:port` (or `http://` without TLS).
    url: String,
    addr: std::net::SocketAddr,
    pem: Pem,
    db: ambula_backend::Db,
}

impl TestApp {
    /// A client that trusts only the test certificate, limited to the given
    /// TLS versions.
    fn client(&self, min: Version, max: Version) -> Client {
        Client::builder()
            .use_rustls_tls()
            .tls_built_in_root_certs(false)
            .add_root_certificate(Certificate::from_pem(self.pem.cert_pem.as_bytes()).unwrap())
            .min_tls_version(min)
            .max_tls_version(max)
            .redirect(Policy::none())
            .build()
            .unwrap()
    }

    fn https_client(&self) -> Client {
        self.client(Version::TLS_1_2, Version::TLS_1_3)
    }
}

/// Starts the app (with TLS unless `tls` is false), runs `case`, then shuts
/// the server down gracefully and checks that it stopped.
async fn run<F, Fut>(tls: bool, case: F)
where
    F: FnOnce(TestApp) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let db = TestDb::new(Kind::Sqlite).await;
    let pem = Pem::new();
    let env = env_for(&db, tls.then_some(&pem));
    let config = load(&env, FileConfig::default()).unwrap();
    assert_eq!(config.https(), tls);
    let services = server::services(&config, db.db.clone()).unwrap();
    let app = server::Application::build(&config, services).await.unwrap();
    let addr = app.addr;
    let url = format!("{}://{addr}", if tls { "https" } else { "http" });
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    case(TestApp { url, addr, pem, db: db.db.clone() }).await;
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(10), handle).await.expect("graceful shutdown finishes").unwrap().unwrap();
    db.cleanup().await;
}

const SIGNUP: &[(&str, &str)] = &[
    ("clinic_name", "Harbour Physio"),
    ("time_zone", "Europe/Lisbon"),
    ("owner_name", "Ana Costa"),
    ("email", "ana@harbour.example"),
    ("password", "tide pools at dawn"),
    ("confirm_adult", "on"),
];

#[tokio::test]
async fn https_is_served_over_tls_12_and_13_with_hsts() {
    run(true, |app| async move {
        for version in [Version::TLS_1_2, Version::TLS_1_3] {
            let client = app.client(version, version);
            let response = client.get(format!("{}/healthz", app.url)).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{version:?}");
            assert_eq!(response.headers()[header::STRICT_TRANSPORT_SECURITY], HSTS, "{version:?}");
            assert_eq!(response.text().await.unwrap(), "ok");
        }
        // By name as well as by address.
        let by_name = format!("https://localhost:{}/readyz", app.addr.port());
        let response = app.https_client().get(by_name).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    })
    .await;
}

#[tokio::test]
async fn every_response_carries_hsts_errors_included() {
    run(true, |app| async move {
        let client = app.https_client();
        let not_found = client.get(format!("{}/no/such/page", app.url)).send().await.unwrap();
        assert_eq!(not_found.status(), StatusCode::NOT_FOUND);
        assert_eq!(not_found.headers()[header::STRICT_TRANSPORT_SECURITY], HSTS);

        let unauthenticated = client.post(format!("{}/api/me", app.url)).send().await.unwrap();
        assert!(unauthenticated.status().is_client_error(), "{}", unauthenticated.status());
        assert_eq!(unauthenticated.headers()[header::STRICT_TRANSPORT_SECURITY], HSTS);

        let staff_page = client.get(format!("{}/app", app.url)).send().await.unwrap();
        assert!(staff_page.status().is_redirection(), "{}", staff_page.status());
        assert_eq!(staff_page.headers()[header::STRICT_TRANSPORT_SECURITY], HSTS);
    })
    .await;
}

#[tokio::test]
async fn sign_up_over_https_sets_a_host_prefixed_secure_cookie() {
    run(true, |app| async move {
        let client = app.https_client();
        let response = client.post(format!("{}/api/sign_up", app.url)).form(SIGNUP).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let set = response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .find(|v| v.contains("ambula_session="))
            .expect("a session cookie is set");
        assert!(set.starts_with("__Host-ambula_session="), "{set}");
        for flag in ["; Secure", "Path=/", "HttpOnly", "SameSite=Lax"] {
            assert!(set.contains(flag), "{flag} missing: {set}");
        }
        assert!(!set.to_lowercase().contains("domain="), "{set}");

        // The cookie works over HTTPS.
        let cookie = set.split(';').next().unwrap().to_owned();
        let me = client.post(format!("{}/api/me", app.url)).header(header::COOKIE, &cookie).send().await.unwrap();
        assert_eq!(me.status(), StatusCode::OK);

        // The client address still reaches the application (ConnectInfo)
        // through the TLS listener.
        let mut tx = app.db.read().await.unwrap();
        let (ip,): (Option<String>,) =
            ambula_backend::on_tx!(&mut tx, c => sqlx::query_as("SELECT ip FROM sessions").fetch_one(c).await).unwrap();
        drop(tx);
        assert_eq!(ip.as_deref(), Some("127.0.0.1"));
    })
    .await;
}

/// Reads what the server sends back until it closes, for at most 5 s.
async fn read_reply(stream: &mut tokio::net::TcpStream) -> Vec<u8> {
    let mut reply = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut reply)).await;
    reply
}

#[tokio::test]
async fn plain_http_to_the_tls_port_is_not_served() {
    run(true, |app| async move {
        let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
        stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").await.unwrap();
        let reply = read_reply(&mut stream).await;
        assert!(!reply.starts_with(b"HTTP/"), "{:?}", String::from_utf8_lossy(&reply));

        let plain = Client::new().get(format!("http://{}/healthz", app.addr)).send().await;
        assert!(plain.is_err(), "{plain:?}");

        // And the server goes on serving HTTPS.
        let response = app.https_client().get(format!("{}/healthz", app.url)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    })
    .await;
}

/// A TLS 1.1 ClientHello (no supported_versions extension), written by hand:
/// no TLS library here can still speak 1.1.
fn tls11_client_hello() -> Vec<u8> {
    let mut extensions = Vec::new();
    // server_name: localhost
    let host = b"localhost";
    let mut sni = vec![0x00];
    sni.extend((host.len() as u16).to_be_bytes());
    sni.extend(host);
    let mut list = ((sni.len()) as u16).to_be_bytes().to_vec();
    list.extend(sni);
    extensions.extend([0x00, 0x00]);
    extensions.extend((list.len() as u16).to_be_bytes());
    extensions.extend(list);
    // supported_groups: x25519, secp256r1; ec_point_formats: uncompressed
    extensions.extend([0x00, 0x0a, 0x00, 0x06, 0x00, 0x04, 0x00, 0x1d, 0x00, 0x17]);
    extensions.extend([0x00, 0x0b, 0x00, 0x02, 0x01, 0x00]);
    // signature_algorithms (rustls wants it before it looks at the version;
    // without it the answer is a handshake_failure alert instead)
    extensions.extend([0x00, 0x0d, 0x00, 0x08, 0x00, 0x06, 0x04, 0x03, 0x04, 0x01, 0x08, 0x04]);

    let mut body = vec![0x03, 0x02]; // client_version: TLS 1.1
    body.extend([0x42; 32]); // random
    body.push(0); // no session id
    let suites: [u16; 6] = [0xc013, 0xc014, 0xc009, 0xc00a, 0x002f, 0x0035]; // the CBC-SHA ones of TLS 1.1
    body.extend(((suites.len() * 2) as u16).to_be_bytes());
    for suite in suites {
        body.extend(suite.to_be_bytes());
    }
    body.extend([0x01, 0x00]); // compression: null
    body.extend((extensions.len() as u16).to_be_bytes());
    body.extend(extensions);

    let mut handshake = vec![0x01]; // ClientHello
    handshake.extend(&(body.len() as u32).to_be_bytes()[1..]);
    handshake.extend(body);
    let mut record = vec![0x16, 0x03, 0x01]; // handshake record, version 1.0
    record.extend((handshake.len() as u16).to_be_bytes());
    record.extend(handshake);
    record
}

#[tokio::test]
async fn a_tls_11_client_is_refused() {
    run(true, |app| async move {
        let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
        stream.write_all(&tls11_client_hello()).await.unwrap();
        let reply = read_reply(&mut stream).await;
        // A fatal alert (record type 21: level 2, protocol_version = 70),
        // never a ServerHello (record type 22).
        assert!(reply.len() >= 7, "{reply:?}");
        assert_eq!(reply[0], 0x15, "{reply:?}");
        assert_eq!(&reply[5..7], &[2, 70], "{reply:?}");
    })
    .await;
}

#[tokio::test]
async fn without_tls_there_is_no_hsts() {
    run(false, |app| async move {
        let response = Client::new().get(format!("{}/healthz", app.url)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert!(!response.headers().contains_key(header::STRICT_TRANSPORT_SECURITY));
        let cookie = Client::new().post(format!("{}/api/sign_up", app.url)).form(SIGNUP).send().await.unwrap();
        let set = cookie.headers()[header::SET_COOKIE].to_str().unwrap();
        assert!(set.starts_with("ambula_session=") && !set.contains("Secure"), "{set}");
    })
    .await;
}

fn base_env() -> HashMap<&'static str, String> {
    HashMap::from([("AMBULA_MASTER_KEY", ambula_backend::MasterKey::generate().encode())])
}

#[test]
fn tls_settings_make_the_server_https() {
    let pem = Pem::new();
    let mut env = base_env();
    env.insert("AMBULA_BIND", "127.0.0.1:8443".to_owned());
    env.insert("AMBULA_TLS_CERT", pem.cert.display().to_string());
    env.insert("AMBULA_TLS_KEY", pem.key.display().to_string());
    let config = load(&env, FileConfig::default()).unwrap();
    assert!(config.https());
    assert_eq!(config.public_url, "https://127.0.0.1:8443");
    let tls = config.tls.unwrap();
    assert_eq!((tls.cert, tls.key), (pem.cert.clone(), pem.key.clone()));

    // The same from the file.
    let file =
        FileConfig { tls_cert: Some(pem.cert.display().to_string()), tls_key: Some(pem.key.display().to_string()), ..Default::default() };
    assert!(load(&base_env(), file).unwrap().https());

    // Without: plain HTTP.
    assert!(load(&base_env(), FileConfig::default()).unwrap().tls.is_none());
}

#[test]
fn a_certificate_without_a_key_is_refused_naming_both_settings() {
    let pem = Pem::new();
    let cert_only = FileConfig { tls_cert: Some(pem.cert.display().to_string()), ..Default::default() };
    let mut key_only = base_env();
    key_only.insert("AMBULA_TLS_KEY", pem.key.display().to_string());
    for error in [load(&base_env(), cert_only).unwrap_err(), load(&key_only, FileConfig::default()).unwrap_err()] {
        let text = error.to_string();
        assert!(text.contains("AMBULA_TLS_CERT") && text.contains("AMBULA_TLS_KEY"), "{text}");
        assert!(text.contains("set both"), "{text}");
    }
}

#[test]
fn an_unreadable_tls_file_is_named() {
    let pem = Pem::new();
    let missing = pem.path("missing-key.pem");
    let mut env = base_env();
    env.insert("AMBULA_TLS_CERT", pem.cert.display().to_string());
    env.insert("AMBULA_TLS_KEY", missing.display().to_string());
    let text = load(&env, FileConfig::default()).unwrap_err().to_string();
    assert!(text.contains("AMBULA_TLS_KEY / tls_key: cannot read"), "{text}");
    assert!(text.contains(&missing.display().to_string()), "{text}");
    assert!(!text.contains("AMBULA_TLS_CERT / tls_cert: cannot read"), "{text}");

    // A directory is not a certificate either.
    env.insert("AMBULA_TLS_CERT", pem.dir.display().to_string());
    env.insert("AMBULA_TLS_KEY", pem.key.display().to_string());
    let text = load(&env, FileConfig::default()).unwrap_err().to_string();
    assert!(text.contains("AMBULA_TLS_CERT / tls_cert: cannot read"), "{text}");
}

#[test]
fn an_http_public_url_with_tls_is_refused() {
    let pem = Pem::new();
    let mut env = base_env();
    env.insert("AMBULA_TLS_CERT", pem.cert.display().to_string());
    env.insert("AMBULA_TLS_KEY", pem.key.display().to_string());
    env.insert("AMBULA_PUBLIC_URL", "http://clinic.example".to_owned());
    let text = load(&env, FileConfig::default()).unwrap_err().to_string();
    assert!(text.contains("AMBULA_PUBLIC_URL") && text.contains("https://"), "{text}");
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

#[tokio::test]
async fn bad_certificate_or_key_content_fails_the_build_naming_the_file() {
    let pem = Pem::new();
    let other = Pem::new();
    let garbage = pem.path("garbage.pem");
    write(&garbage, "this is not PEM\n");
    let files = |cert: &Path, key: &Path| server::config::TlsFiles { cert: cert.to_owned(), key: key.to_owned() };

    let error = server::tls::server_config(&files(&garbage, &pem.key)).unwrap_err().to_string();
    assert!(error.contains("AMBULA_TLS_CERT") && error.contains(&garbage.display().to_string()), "{error}");

    let error = server::tls::server_config(&files(&pem.cert, &garbage)).unwrap_err().to_string();
    assert!(error.contains("AMBULA_TLS_KEY") && error.contains(&garbage.display().to_string()), "{error}");

    // A key from another certificate.
    let error = server::tls::server_config(&files(&pem.cert, &other.key)).unwrap_err().to_string();
    assert!(error.contains(&pem.cert.display().to_string()) && error.contains(&other.key.display().to_string()), "{error}");

    assert!(server::tls::server_config(&files(&pem.cert, &pem.key)).is_ok());

    // Through Application::build: an error, not a panic, and nothing bound.
    let db = TestDb::new(Kind::Sqlite).await;
    let mut env = env_for(&db, Some(&pem));
    env.insert("AMBULA_TLS_KEY", garbage.display().to_string());
    let config = load(&env, FileConfig::default()).unwrap();
    let services = server::services(&config, db.db.clone()).unwrap();
    let error = server::Application::build(&config, services).await.err().expect("build fails").to_string();
    assert!(error.contains("AMBULA_TLS_KEY") && error.contains(&garbage.display().to_string()), "{error}");
    db.cleanup().await;
}

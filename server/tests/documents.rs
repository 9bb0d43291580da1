//! Uploads (adversarial test 15): refused over the limit before the body is
//! read, judged by content not name, stored encrypted under a server-made
//! name, served back only as an attachment. On SQLite and PostgreSQL.

use ambula_testkit::{Kind, TestDb};
use reqwest::{header, redirect::Policy, Client, StatusCode};
use serde_json::Value;
use server::config::{Config, FileConfig};
use std::collections::HashMap;

ambula_testkit::on_both_backends!(uploads_are_checked_encrypted_and_served_as_attachments, previews_listing_and_early_refusals);

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

struct App {
    url: String,
    client: Client,
    owner_db: ambula_backend::Db,
}

async fn run<F, Fut>(kind: Kind, case: F)
where
    F: FnOnce(App) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let db = TestDb::new(kind).await;
    let mut env: HashMap<&str, String> = HashMap::from([
        ("AMBULA_BIND", "127.0.0.1:0".to_owned()),
        ("AMBULA_MAX_UPLOAD_BYTES", (1024 * 1024).to_string()),
    ]);
    env.extend(db.server_env());
    let config = Config::from_sources(FileConfig::default(), |k| env.get(k).cloned()).unwrap();
    let services = server::services(&config, db.db.clone()).unwrap();
    let app = server::Application::build(&config, services).await.unwrap();
    let url = format!("http://{}", app.addr);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    let owner_db = db.owner().await;
    case(App { url, client: Client::builder().redirect(Policy::none()).build().unwrap(), owner_db: owner_db.clone() }).await;
    owner_db.close().await;
    let _ = stop.send(());
    let _ = handle.await;
    db.cleanup().await;
}

impl App {
    async fn form(&self, path: &str, form: &[(&str, &str)], cookie: Option<&str>) -> reqwest::Response {
        let mut request = self.client.post(format!("{}{path}", self.url)).form(form);
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        request.send().await.unwrap()
    }

    async fn upload(&self, cookie: &str, patient: &str, name: &str, body: Vec<u8>) -> reqwest::Response {
        self.client
            .post(format!("{}/api/patients/{patient}/documents", self.url))
            .header(header::COOKIE, cookie)
            .header(header::CONTENT_TYPE, "application/pdf")
            .header("x-file-name", name)
            .body(body)
            .send()
            .await
            .unwrap()
    }
}

fn cookie_of(response: &reqwest::Response) -> String {
    let set = response.headers()[header::SET_COOKIE].to_str().unwrap();
    set.split(';').next().unwrap().to_owned()
}

async fn uploads_are_checked_encrypted_and_served_as_attachments(app: App) {
    let signup = [("clinic_name", "A"), ("time_zone", "UTC"), ("owner_name", "Ana"), ("email", "a@a.example"), ("password", "tide pools at dawn"), ("confirm_adult", "on")];
    let a = cookie_of(&app.form("/api/sign_up", &signup, None).await);
    let signup_b = [("clinic_name", "B"), ("time_zone", "UTC"), ("owner_name", "Bo"), ("email", "b@b.example"), ("password", "tide pools at dawn"), ("confirm_adult", "on")];
    let b = cookie_of(&app.form("/api/sign_up", &signup_b, None).await);
    let patient = [("given_name", "Ana"), ("family_name", "Alpha"), ("date_of_birth", "1980-01-01")];
    let created: Value = app.form("/api/patient_create", &patient, Some(&a)).await.json().await.unwrap();
    let patient_id = created["id"].as_str().unwrap().to_owned();
    let b_created: Value = app.form("/api/patient_create", &patient, Some(&b)).await.json().await.unwrap();
    let b_patient = b_created["id"].as_str().unwrap().to_owned();

    // A real PDF with a hostile name: stored under a tamed name.
    let response = app.upload(&a, &patient_id, "..%2F..%2Fetc%2Fpasswd%00%E2%80%AEfdp.exe", PDF.to_vec()).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let info: Value = response.json().await.unwrap();
    let name = info["file_name"].as_str().unwrap();
    assert!(!name.contains('/') && !name.contains('\0') && !name.contains('\u{202E}') && name.ends_with(".pdf"), "{name}");
    assert_eq!(info["content_type"], "application/pdf");
    let id = info["id"].as_str().unwrap().to_owned();

    // Served back as an attachment only, never sniffed or rendered.
    let download = app.client.get(format!("{}/api/documents/{id}", app.url)).header(header::COOKIE, &a).send().await.unwrap();
    assert_eq!(download.status(), StatusCode::OK);
    let h = download.headers().clone();
    assert!(h[header::CONTENT_DISPOSITION].to_str().unwrap().starts_with("attachment;"));
    assert_eq!(h[header::CONTENT_TYPE], "application/pdf");
    assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert!(h[header::CONTENT_SECURITY_POLICY].to_str().unwrap().contains("sandbox"));
    assert_eq!(h[header::CACHE_CONTROL], "no-store");
    assert_eq!(download.bytes().await.unwrap().as_ref(), PDF);

    // Encrypted at rest: the bytes in the database are not the file.
    let mut tx = app.owner_db.read().await.unwrap();
    let (stored,): (Vec<u8>,) = ambula_backend::on_tx!(&mut tx, c => sqlx::query_as("SELECT content FROM documents").fetch_one(c).await).unwrap();
    drop(tx);
    assert!(!stored.windows(8).any(|w| w == &PDF[..8]));

    // Lies about the type: SVG and HTML named .pdf and sent as application/pdf.
    for body in [&b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"[..], b"<html><script>alert(1)</script>", b"PK\x03\x04 zip bomb"] {
        let refused = app.upload(&a, &patient_id, "report.pdf", body.to_vec()).await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let errors: Value = refused.json().await.unwrap();
        assert!(errors.to_string().contains("PDF, PNG or JPEG"), "{errors}");
    }

    // Over the limit with a declared length: 413 before the body is sent.
    let big = vec![b'%'; 2 * 1024 * 1024];
    let started = std::time::Instant::now();
    let response = app.upload(&a, &patient_id, "big.pdf", big.clone()).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    // Over the limit while streaming (no length declared): cut off, 413.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = big.chunks(64 * 1024).map(|c| Ok(c.to_vec())).collect();
    let streamed = app
        .client
        .post(format!("{}/api/patients/{patient_id}/documents", app.url))
        .header(header::COOKIE, &a)
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(chunks)))
        .send()
        .await
        .unwrap();
    assert_eq!(streamed.status(), StatusCode::PAYLOAD_TOO_LARGE);

    // Another clinic's patient and document: 404; signed out: 401.
    assert_eq!(app.upload(&a, &b_patient, "x.pdf", PDF.to_vec()).await.status(), StatusCode::NOT_FOUND);
    let theirs = app.client.get(format!("{}/api/documents/{id}", app.url)).header(header::COOKIE, &b).send().await.unwrap();
    assert_eq!(theirs.status(), StatusCode::NOT_FOUND);
    let anonymous = app.client.get(format!("{}/api/documents/{id}", app.url)).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let mut tx = app.owner_db.read().await.unwrap();
    let (count,): (i64,) = ambula_backend::on_tx!(&mut tx, c => sqlx::query_as("SELECT COUNT(*) FROM documents").fetch_one(c).await).unwrap();
    assert_eq!(count, 1, "only the one good upload was stored");
}

/// A PNG signature and enough of a header to be recognised by content.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0\x90wS\xde";

/// The chart's Documents tab: a declared huge body is refused with 413
/// before any of it is read (the socket stays open, the answer comes at
/// once); a "photo.png" that is really text is refused by content; a real
/// image previews inline with a sandboxing CSP and may be framed only by
/// our own pages; the list shows the upload; another clinic gets 404.
async fn previews_listing_and_early_refusals(app: App) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let signup = [("clinic_name", "A"), ("time_zone", "UTC"), ("owner_name", "Ana"), ("email", "a@a.example"), ("password", "tide pools at dawn"), ("confirm_adult", "on")];
    let a = cookie_of(&app.form("/api/sign_up", &signup, None).await);
    let signup_b = [("clinic_name", "B"), ("time_zone", "UTC"), ("owner_name", "Bo"), ("email", "b@b.example"), ("password", "tide pools at dawn"), ("confirm_adult", "on")];
    let b = cookie_of(&app.form("/api/sign_up", &signup_b, None).await);
    let patient = [("given_name", "Ana"), ("family_name", "Alpha"), ("date_of_birth", "1980-01-01")];
    let created: Value = app.form("/api/patient_create", &patient, Some(&a)).await.json().await.unwrap();
    let patient_id = created["id"].as_str().unwrap().to_owned();

    // A terabyte declared, five bytes sent: 413 promptly, body never awaited.
    let host = app.url.trim_start_matches("http://").to_owned();
    let mut socket = tokio::net::TcpStream::connect(&host).await.unwrap();
    let head = format!(
        "POST /api/patients/{patient_id}/documents HTTP/1.1\r\nHost: {host}\r\nCookie: {a}\r\nContent-Type: image/png\r\nX-File-Name: huge.png\r\nContent-Length: 1000000000000\r\n\r\n%PDF-"
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0_u8; 512];
    let read = tokio::time::timeout(std::time::Duration::from_secs(5), socket.read(&mut answer))
        .await
        .expect("the refusal comes without waiting for the body")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..read]).into_owned();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");

    // Text named .png and declared image/png: refused by content, at the field.
    let liar = app
        .client
        .post(format!("{}/api/patients/{patient_id}/documents", app.url))
        .header(header::COOKIE, &a)
        .header(header::CONTENT_TYPE, "image/png")
        .header("x-file-name", "photo.png")
        .body("just some text, not a picture".as_bytes().to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(liar.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let errors: Value = liar.json().await.unwrap();
    assert!(errors["file"].as_str().unwrap_or_default().contains("PDF, PNG or JPEG"), "{errors}");

    // A real PNG: listed, and previewed inline with safe headers.
    let uploaded = app
        .client
        .post(format!("{}/api/patients/{patient_id}/documents", app.url))
        .header(header::COOKIE, &a)
        .header("x-file-name", "wound.png")
        .body(PNG.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(uploaded.status(), StatusCode::CREATED);
    let info: Value = uploaded.json().await.unwrap();
    assert_eq!(info["content_type"], "image/png");
    let id = info["id"].as_str().unwrap().to_owned();
    let preview = app.client.get(format!("{}/api/documents/{id}/preview", app.url)).header(header::COOKIE, &a).send().await.unwrap();
    assert_eq!(preview.status(), StatusCode::OK);
    let h = preview.headers().clone();
    assert_eq!(h[header::CONTENT_TYPE], "image/png");
    assert!(h[header::CONTENT_DISPOSITION].to_str().unwrap().starts_with("inline;"));
    let csp = h[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(csp.contains("sandbox") && csp.contains("default-src 'none'") && csp.contains("img-src 'self'"), "{csp}");
    assert!(!csp.contains("script-src"), "{csp}");
    assert_eq!(h[header::X_FRAME_OPTIONS], "SAMEORIGIN");
    assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(h[header::CACHE_CONTROL], "no-store");
    assert_eq!(preview.bytes().await.unwrap().as_ref(), PNG);
    // Downloads stay attachments that no page may frame.
    let download = app.client.get(format!("{}/api/documents/{id}", app.url)).header(header::COOKIE, &a).send().await.unwrap();
    assert!(download.headers()[header::CONTENT_DISPOSITION].to_str().unwrap().starts_with("attachment;"));
    assert_eq!(download.headers()[header::X_FRAME_OPTIONS], "DENY");

    let list: Value = app.form("/api/documents_list", &[("patient_id", &patient_id)], Some(&a)).await.json().await.unwrap();
    let rows = list.as_array().unwrap();
    assert_eq!(rows.len(), 1, "{list}");
    assert_eq!(rows[0]["file_name"], "wound.png");
    assert_eq!(rows[0]["content_type"], "image/png");
    assert_eq!(rows[0]["size_bytes"], PNG.len());
    assert_eq!(rows[0]["uploaded_by"], "Ana");

    // Another clinic: the preview and the list are 404.
    let theirs = app.client.get(format!("{}/api/documents/{id}/preview", app.url)).header(header::COOKIE, &b).send().await.unwrap();
    assert_eq!(theirs.status(), StatusCode::NOT_FOUND);
    let their_list = app.form("/api/documents_list", &[("patient_id", &patient_id)], Some(&b)).await;
    assert_eq!(their_list.status(), StatusCode::NOT_FOUND);
}

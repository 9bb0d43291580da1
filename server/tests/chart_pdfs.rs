//! The printed prescription and referral letter over HTTP, on SQLite and
//! PostgreSQL: a PDF served as an attachment that is never cached, sniffed
//! or rendered as a page of ours; 401 signed out, 403 for a role without
//! clinical access, 404 for another clinic's record, and every print in
//! the audit trail.

use ambula_testkit::{Kind, TestDb};
use reqwest::{header, redirect::Policy, Client, StatusCode};
use serde_json::Value;
use server::config::{Config, FileConfig};
use std::collections::HashMap;

ambula_testkit::on_both_backends!(prescriptions_and_letters_download_as_private_pdfs);

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

    async fn call(&self, path: &str, form: &[(&str, &str)], cookie: &str) -> Value {
        let response = self.form(path, form, Some(cookie)).await;
        assert!(response.status().is_success(), "{path}: {}", response.status());
        response.json().await.unwrap_or(Value::Null)
    }

    async fn get(&self, path: &str, cookie: Option<&str>) -> reqwest::Response {
        let mut request = self.client.get(format!("{}{path}", self.url));
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        request.send().await.unwrap()
    }

    async fn audited(&self, action: &str) -> i64 {
        let mut tx = self.owner_db.read().await.unwrap();
        let sql = format!("SELECT COUNT(*) FROM audit_events WHERE action = '{action}' AND outcome = 'ok'");
        let (n,): (i64,) = ambula_backend::on_tx!(&mut tx, c => sqlx::query_as(&sql).fetch_one(c).await).unwrap();
        n
    }
}

fn cookie_of(response: &reqwest::Response) -> String {
    let set = response.headers()[header::SET_COOKIE].to_str().unwrap();
    set.split(';').next().unwrap().to_owned()
}

async fn sign_up(app: &App, clinic: &str, email: &str) -> String {
    let form = [("clinic_name", clinic), ("time_zone", "UTC"), ("owner_name", "Ana Costa"), ("email", email), ("password", "tide pools at dawn"), ("confirm_adult", "on")];
    cookie_of(&app.form("/api/sign_up", &form, None).await)
}

/// A patient with a prescription and a referral; their ids.
async fn records(app: &App, cookie: &str) -> (String, String) {
    let patient = [("given_name", "Rita"), ("family_name", "Lopes"), ("date_of_birth", "1979-06-02")];
    let created = app.call("/api/patient_create", &patient, cookie).await;
    let patient = created["id"].as_str().unwrap().to_owned();
    let today = chrono::Utc::now().date_naive().to_string();
    let rx = [
        ("patient_id", patient.as_str()), ("drug", "Amoxicillin"), ("strength", "500"), ("strength_unit", "mg"), ("dose", "1"),
        ("dose_unit", "capsule"), ("route", "oral"), ("frequency", "three_times_daily"), ("duration_days", "7"), ("quantity", "21"),
        ("start_date", today.as_str()), ("instructions", "Take with food (after meals)."),
    ];
    app.call("/api/medication_prescribe", &rx, cookie).await;
    let referral = [("patient_id", patient.as_str()), ("to_name", "Dr Ines Mota"), ("reason", "Changing mole"), ("urgency", "soon"), ("letter", "Family history.")];
    app.call("/api/referral_create", &referral, cookie).await;
    let chart = app.call("/api/meds_chart", &[("patient_id", patient.as_str())], cookie).await;
    (chart["current"][0]["id"].as_str().unwrap().to_owned(), chart["referrals"][0]["id"].as_str().unwrap().to_owned())
}

fn assert_private_pdf(response: &reqwest::Response, prefix: &str) {
    assert_eq!(response.status(), StatusCode::OK);
    let h = response.headers();
    assert_eq!(h[header::CONTENT_TYPE], "application/pdf");
    let disposition = h[header::CONTENT_DISPOSITION].to_str().unwrap();
    assert!(disposition.starts_with(&format!("attachment; filename=\"{prefix}")) && disposition.ends_with(".pdf\""), "{disposition}");
    assert_eq!(h[header::CACHE_CONTROL], "no-store");
    assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert!(h[header::CONTENT_SECURITY_POLICY].to_str().unwrap().contains("sandbox"));
}

async fn prescriptions_and_letters_download_as_private_pdfs(app: App) {
    let a = sign_up(&app, "Harbour Clinic", "a@a.example").await;
    let b = sign_up(&app, "Hillside Clinic", "b@b.example").await;
    let (medication, referral) = records(&app, &a).await;
    let (b_medication, b_referral) = records(&app, &b).await;

    let rx = app.get(&format!("/api/medications/{medication}/prescription"), Some(&a)).await;
    assert_private_pdf(&rx, "prescription-");
    let body = rx.bytes().await.unwrap();
    assert!(body.starts_with(b"%PDF-1.4") && body.ends_with(b"%%EOF\n"));
    let text = String::from_utf8_lossy(&body);
    assert!(text.contains("(Harbour Clinic) Tj"));
    assert!(text.contains("(Take with food \\(after meals\\).) Tj"), "instructions, escaped");
    let letter = app.get(&format!("/api/referrals/{referral}/letter"), Some(&a)).await;
    assert_private_pdf(&letter, "referral-");
    assert!(letter.bytes().await.unwrap().starts_with(b"%PDF-"));
    assert_eq!(app.audited("prescription.print").await, 1);
    assert_eq!(app.audited("referral.letter").await, 1);

    // Signed out: 401. Another clinic's: 404, as for an unknown id.
    for path in [format!("/api/medications/{medication}/prescription"), format!("/api/referrals/{referral}/letter")] {
        assert_eq!(app.get(&path, None).await.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(app.get(&path, Some("ambula_session=forged")).await.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(app.get(&path, Some(&b)).await.status(), StatusCode::NOT_FOUND, "{path}");
    }
    for path in [format!("/api/medications/{b_medication}/prescription"), format!("/api/referrals/{b_referral}/letter"), "/api/medications/nope/prescription".to_owned()] {
        assert_eq!(app.get(&path, Some(&a)).await.status(), StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(app.audited("prescription.print").await, 1, "refused prints are not counted as prints");
}

//! The online payment webhook over a real socket, on SQLite and
//! PostgreSQL: a signed delivery pays the invoice once; replays, forgeries
//! and unsigned deliveries change nothing; without configuration it is 404.

use ambula_backend::{
    online_payments::{sign, SIGNATURE_HEADER},
    services::{accounts, auth, billing::invoices, patients, ClientInfo},
    AuthContext, Services,
};
use ambula_domain::{
    accounts::SignupForm,
    billing::{InvoiceForm, InvoiceLineForm, InvoiceStatus},
    patients::PatientForm,
};
use ambula_testkit::{Kind, TestDb};
use reqwest::{Client, StatusCode};
use server::config::{Config, FileConfig};
use std::collections::HashMap;

ambula_testkit::on_both_backends!(signed_webhooks_pay_once_and_forgeries_change_nothing,);

const SECRET: &str = "whsec_server_test_0123456789";

struct TestApp {
    url: String,
    client: Client,
    services: Services,
    unconfigured_url: String,
}

async fn start(db: &TestDb, payments: bool) -> (String, Services, tokio::sync::oneshot::Sender<()>) {
    let mut env: HashMap<&str, String> = HashMap::from([
        ("AMBULA_BIND", "127.0.0.1:0".to_owned()),
    ]);
    env.extend(db.server_env());
    if payments {
        // The provider is never called here: only its webhooks are.
        env.insert("AMBULA_PAYMENTS_URL", "http://127.0.0.1:9".to_owned());
        env.insert("AMBULA_PAYMENTS_API_KEY", "sk_test".to_owned());
        env.insert("AMBULA_PAYMENTS_WEBHOOK_SECRET", SECRET.to_owned());
    }
    let config = Config::from_sources(FileConfig::default(), |k| env.get(k).cloned()).unwrap();
    let services = server::services(&config, db.db.clone()).unwrap();
    let app = server::Application::build(&config, services.clone()).await.unwrap();
    let url = format!("http://{}", app.addr);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    (url, services, stop)
}

async fn run<F, Fut>(kind: Kind, case: F)
where
    F: FnOnce(TestApp) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let db = TestDb::new(kind).await;
    let (url, services, stop) = start(&db, true).await;
    let (unconfigured_url, _, stop_other) = start(&db, false).await;
    case(TestApp { url, client: Client::new(), services, unconfigured_url }).await;
    let _ = stop.send(());
    let _ = stop_other.send(());
    db.cleanup().await;
}

async fn owner(services: &Services) -> AuthContext {
    let form = SignupForm {
        clinic_name: "Harbour".into(),
        time_zone: "Europe/Lisbon".into(),
        owner_name: "Marta Reis".into(),
        email: "owner@pay.example".into(),
        password: "tide pools at dawn".into(),
        confirm_adult: Some("on".into()),
    };
    let client = ClientInfo { ip: Some("192.0.2.40".into()), user_agent: None };
    let signed = accounts::sign_up(services, &form, &client).await.unwrap();
    auth::authenticate(services, &signed.token).await.unwrap()
}

async fn signed_webhooks_pay_once_and_forgeries_change_nothing(app: TestApp) {
    let owner = owner(&app.services).await;
    let patient = patients::create(
        &app.services,
        &owner,
        &PatientForm { given_name: "Ana".into(), family_name: "Costa".into(), date_of_birth: "1984-03-12".into(), ..Default::default() },
    )
    .await
    .unwrap();
    let form = InvoiceForm {
        patient_id: patient.id.to_string(),
        lines: vec![InvoiceLineForm { description: "Consultation".into(), unit_price: "45".into(), ..Default::default() }],
        ..Default::default()
    };
    let draft = invoices::create(&app.services, &owner, &form).await.unwrap();
    let invoice = invoices::issue(&app.services, &owner, &draft.id.to_string()).await.unwrap();
    let body = serde_json::to_vec(&serde_json::json!({
        "id": "evt_server_1",
        "type": "checkout.completed",
        "data": {
            "session_id": "cs_1",
            "amount_minor": 4500,
            "currency": "EUR",
            "metadata": { "clinic_id": owner.scope.clinic_id().to_string(), "invoice_id": invoice.id.to_string() }
        }
    }))
    .unwrap();
    let now = chrono::Utc::now().timestamp();
    let post = |url: String, signature: Option<String>, body: Vec<u8>| {
        let client = app.client.clone();
        async move {
            let mut request = client.post(format!("{url}/payments/webhook")).header("content-type", "application/json").body(body);
            if let Some(signature) = signature {
                request = request.header(SIGNATURE_HEADER, signature);
            }
            request.send().await.unwrap().status()
        }
    };
    let status = || async { invoices::get(&app.services, &owner, &invoice.id.to_string()).await.unwrap().status };
    // Forged, unsigned, tampered, or to a server without payments: refused, nothing paid.
    assert_eq!(post(app.url.clone(), Some(sign("not-the-secret-at-all", now, &body)), body.clone()).await, StatusCode::BAD_REQUEST);
    assert_eq!(post(app.url.clone(), None, body.clone()).await, StatusCode::BAD_REQUEST);
    let mut tampered = body.clone();
    tampered.extend_from_slice(b" ");
    assert_eq!(post(app.url.clone(), Some(sign(SECRET, now, &body)), tampered).await, StatusCode::BAD_REQUEST);
    assert_eq!(post(app.unconfigured_url.clone(), Some(sign(SECRET, now, &body)), body.clone()).await, StatusCode::NOT_FOUND);
    assert_eq!(status().await, InvoiceStatus::Issued);
    // Signed: paid. Replayed: still paid once.
    assert_eq!(post(app.url.clone(), Some(sign(SECRET, now, &body)), body.clone()).await, StatusCode::OK);
    assert_eq!(status().await, InvoiceStatus::Paid);
    assert_eq!(post(app.url.clone(), Some(sign(SECRET, now, &body)), body.clone()).await, StatusCode::OK);
    let account = ambula_backend::services::billing::payments::account(&app.services, &owner, &patient.id.to_string()).await.unwrap();
    assert_eq!((account.totals.paid, account.balance.minor), (4500, 0));
}

//! Shared set-up for the authorization tests (`authz*.rs`): a real server on
//! a loopback port over a fresh database, the route table (`specs`), sign-up
//! and invitations over HTTP, and two clinics furnished with one record of
//! every kind (`world`). Each test file uses what it needs.
#![allow(dead_code)]

pub mod specs;

pub use specs::*;

use ambula_backend::on_tx;
use ambula_testkit::{Kind, SmtpSink, TestDb};
use reqwest::{header, redirect::Policy, Client, StatusCode};
use serde_json::Value;
use server::config::{Config, FileConfig};
use std::collections::HashMap;

/// The nil id of the probes signed out and of records that exist nowhere.
pub const NIL: &str = "00000000-0000-7000-8000-000000000000";

pub struct App {
    pub url: String,
    pub client: Client,
    /// The server's own services, for set-up that has no route yet
    /// (practitioners).
    pub services: ambula_backend::Services,
    /// The database owner's connection (bypasses row-level security on
    /// PostgreSQL): counts audit entries behind the application's back.
    pub owner: ambula_backend::Db,
}

/// Runs `case` against a server over a fresh database of `kind`.
pub async fn run<F, Fut>(kind: Kind, case: F)
where
    F: FnOnce(App) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let db = TestDb::new(kind).await;
    let smtp = SmtpSink::start().await;
    let mut env: HashMap<&str, String> = HashMap::from([
        ("AMBULA_BIND", "127.0.0.1:0".to_owned()),
        ("AMBULA_SMTP_URL", smtp.url()),
    ]);
    env.extend(db.server_env());
    let config = Config::from_sources(FileConfig::default(), |k| env.get(k).cloned()).unwrap();
    let services = server::services(&config, db.db.clone()).unwrap();
    let app = server::Application::build(&config, services.clone()).await.unwrap();
    let url = format!("http://{}", app.addr);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    let owner = db.owner().await;
    case(App { url, client: Client::builder().redirect(Policy::none()).build().unwrap(), services, owner: owner.clone() }).await;
    owner.close().await;
    let _ = stop.send(());
    let _ = handle.await;
    db.cleanup().await;
}

impl App {
    pub async fn post(&self, path: &str, form: &[(String, String)], cookie: Option<&str>) -> reqwest::Response {
        let mut request = self.client.post(format!("{}{path}", self.url)).form(form);
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        request.send().await.unwrap()
    }

    /// A server function that must succeed; its JSON answer.
    pub async fn call(&self, path: &str, form: &[(&str, &str)], cookie: &str) -> Value {
        let (status, body) = self.attempt(path, form, cookie).await;
        assert!(status.is_success(), "{path}: {status} {body}");
        body
    }

    /// A server function whatever it answers: the status and the JSON body
    /// (`Null` when the body is not JSON).
    pub async fn attempt(&self, path: &str, form: &[(&str, &str)], cookie: &str) -> (StatusCode, Value) {
        let form: Vec<(String, String)> = form.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let response = self.post(path, &form, Some(cookie)).await;
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// A GET data route: the status and the body's length.
    pub async fn get(&self, path: &str, cookie: &str) -> (StatusCode, usize) {
        let response = self.client.get(format!("{}{path}", self.url)).header(header::COOKIE, cookie).send().await.unwrap();
        let status = response.status();
        (status, response.bytes().await.map(|b| b.len()).unwrap_or(0))
    }

    pub async fn probe(&self, spec: &Spec, id: &str, cookie: Option<&str>) -> StatusCode {
        if let Some((method, path)) = spec.path.split_once(' ') {
            let url = format!("{}{}", self.url, path.replace("{id}", id).replace("{file}", &format!("{id}.ics")));
            let mut request = match method {
                "GET" => self.client.get(url),
                _ => self.client.post(url).header("x-file-name", "scan.pdf").body(PDF.to_vec()),
            };
            if let Some(cookie) = cookie {
                request = request.header(header::COOKIE, cookie);
            }
            return request.send().await.unwrap().status();
        }
        let form: Vec<(String, String)> = spec.form.iter().map(|(k, v)| (k.to_string(), v.replace("{id}", id))).collect();
        self.post(spec.path, &form, cookie).await.status()
    }

    /// How many audit entries the trail holds (all clinics), read through
    /// the owner's connection.
    pub async fn audit_count(&self) -> i64 {
        let mut tx = self.owner.read().await.unwrap();
        on_tx!(&mut tx, c => sqlx::query_scalar("SELECT COUNT(*) FROM audit_events").fetch_one(c).await).unwrap()
    }

    /// How many entries of outcome `ok` name `patient` (any patient: `None`).
    pub async fn audit_ok_count(&self, patient: Option<&str>) -> i64 {
        let mut tx = self.owner.read().await.unwrap();
        match patient.map(|p| uuid::Uuid::parse_str(p).unwrap()) {
            Some(patient) => on_tx!(&mut tx, c => sqlx::query_scalar(
                "SELECT COUNT(*) FROM audit_events WHERE outcome = 'ok' AND patient_id = $1",
            )
            .bind(patient)
            .fetch_one(c)
            .await)
            .unwrap(),
            None => on_tx!(&mut tx, c => sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE outcome = 'ok'").fetch_one(c).await).unwrap(),
        }
    }

    /// The actions of the entries written after the first `since`.
    pub async fn audit_actions_since(&self, since: i64) -> Vec<String> {
        let mut tx = self.owner.read().await.unwrap();
        let all: Vec<String> =
            on_tx!(&mut tx, c => sqlx::query_scalar("SELECT action FROM audit_events ORDER BY at, seq").fetch_all(c).await).unwrap();
        all.into_iter().skip(since as usize).collect()
    }
}

pub fn cookie_of(response: &reqwest::Response) -> String {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with("ambula_session=") && !v.starts_with("ambula_session=;"))
        .expect("a session cookie")
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

pub async fn sign_up(app: &App, clinic: &str, email: &str) -> String {
    let form: Vec<(String, String)> = [
        ("clinic_name", clinic), ("time_zone", "Europe/Lisbon"), ("owner_name", "Owner"), ("email", email),
        ("password", "tide pools at dawn"), ("confirm_adult", "on"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let response = app.post("/api/sign_up", &form, None).await;
    assert_eq!(response.status(), StatusCode::OK);
    cookie_of(&response)
}

/// Invites `email` to the owner's clinic as `role` and accepts: a new
/// account, or an existing one joining (same password); a session at the
/// inviting clinic.
pub async fn join(app: &App, owner: &str, email: &str, role: &str) -> String {
    let invite = app.call("/api/invite_staff", &[("email", email), ("role", role)], owner).await;
    let link = invite["link"].as_str().unwrap();
    let token = link.rsplit('/').next().unwrap();
    let form: Vec<(String, String)> = [("token", token), ("name", "Staff Member"), ("password", "tide pools at dawn")]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let response = app.post("/api/accept_invite", &form, None).await;
    assert_eq!(response.status(), StatusCode::OK, "accept {role}");
    cookie_of(&response)
}

/// Invites someone who already has an account and has them accept from
/// their signed-in session (`cookie`): the only way an existing account
/// joins another clinic. Returns the session, moved to the new clinic.
pub async fn join_signed_in(app: &App, owner: &str, cookie: &str, email: &str, role: &str) -> String {
    let invite = app.call("/api/invite_staff", &[("email", email), ("role", role)], owner).await;
    let token = invite["link"].as_str().unwrap().rsplit('/').next().unwrap().to_owned();
    let form = vec![("token".to_owned(), token)];
    let response = app.post("/api/accept_invite_signed_in", &form, Some(cookie)).await;
    assert_eq!(response.status(), StatusCode::OK, "accept {role} as {email}");
    cookie_of(&response)
}

/// Signs in again: a second session of the same account.
pub async fn sign_in(app: &App, email: &str) -> String {
    let form = [("email", email), ("password", "tide pools at dawn")].map(|(k, v)| (k.to_owned(), v.to_owned()));
    let response = app.post("/api/sign_in", &form, None).await;
    assert_eq!(response.status(), StatusCode::OK, "sign in {email}");
    cookie_of(&response)
}

/// Switches the session to `clinic`; the new session's cookie.
pub async fn switch_clinic(app: &App, cookie: &str, clinic: &str) -> String {
    let form = [("clinic_id".to_owned(), clinic.to_owned())];
    let response = app.post("/api/switch_clinic", &form, Some(cookie)).await;
    assert_eq!(response.status(), StatusCode::OK, "switch to {clinic}");
    cookie_of(&response)
}

/// An issued invoice of `patient` with a payment of 10 on it, made through
/// the services; returns the invoice's and the payment's ids.
pub async fn billing_setup(app: &App, cookie: &str, patient: &str) -> (String, String) {
    use ambula_backend::services::{auth, billing::{invoices, payments}};
    use ambula_domain::billing::{AllocationForm, InvoiceForm, InvoiceLineForm, PaymentForm};
    let token = cookie.split_once('=').unwrap().1;
    let ctx = auth::authenticate(&app.services, token).await.unwrap();
    let line = InvoiceLineForm { description: "Consultation".into(), quantity: "1".into(), unit_price: "45".into(), ..Default::default() };
    let form = InvoiceForm { patient_id: patient.into(), lines: vec![line], ..Default::default() };
    let draft = invoices::create(&app.services, &ctx, &form).await.unwrap();
    let invoice = invoices::issue(&app.services, &ctx, &draft.id.to_string()).await.unwrap().id.to_string();
    let pay = PaymentForm {
        patient_id: patient.into(),
        method: "cash".into(),
        amount: "10".into(),
        allocations: vec![AllocationForm { invoice_id: invoice.clone(), amount: String::new() }],
        ..Default::default()
    };
    let payment = payments::record(&app.services, &ctx, &pay).await.unwrap().payment_id.to_string();
    (invoice, payment)
}

/// Records an encounter (its draft note) and a problem for `patient`
/// through the API; returns the note's and the problem's ids.
pub async fn chart_setup(app: &App, cookie: &str, patient: &str) -> (String, String) {
    let form: Vec<(&str, &str)> = ENCOUNTER_FORM.iter().map(|(k, v)| (*k, if *v == "{id}" { patient } else { *v })).collect();
    let encounter = app.call("/api/chart_encounter_create", &form, cookie).await;
    let note = encounter["note"]["id"].as_str().unwrap().to_owned();
    app.call("/api/chart_note_save", &[("note_id", &note), ("subjective", "Original")], cookie).await;
    let problem = app.call("/api/chart_problem_add", &[("patient_id", patient), ("code", "I10"), ("status", "active")], cookie).await;
    (note, problem["id"].as_str().unwrap().to_owned())
}

/// Gives a clinic a practitioner with hours and a type (set-up has no
/// server functions yet, so through the services), then books `patient`
/// through the API. Returns the practitioner's and the appointment's ids.
pub async fn calendar_setup(app: &App, cookie: &str, patient: &str) -> (String, String) {
    use ambula_backend::services::{auth, scheduling::setup};
    use ambula_domain::scheduling::{AppointmentTypeForm, WeeklyHoursForm};
    let token = cookie.split_once('=').unwrap().1;
    let ctx = auth::authenticate(&app.services, token).await.unwrap();
    let mut tx = app.services.db.write_in(&ctx.scope).await.unwrap();
    let now = app.services.now();
    let practitioner = ambula_backend::repo::practitioners::insert(&mut tx, &ctx.scope, None, "Dr Who", None, "#1d4ed8", now).await.unwrap();
    tx.commit().await.unwrap();
    let day = "09:00-17:00".to_owned();
    let hours = WeeklyHoursForm {
        hours_mon: day.clone(), hours_tue: day.clone(), hours_wed: day.clone(), hours_thu: day.clone(), hours_fri: day,
        ..Default::default()
    };
    setup::set_practitioner_hours(&app.services, &ctx, &practitioner.to_string(), &hours).await.unwrap();
    let kind = AppointmentTypeForm {
        name: "Consultation".into(), duration_minutes: "30".into(), colour: "#3366cc".into(), ..Default::default()
    };
    let kind = setup::create_type(&app.services, &ctx, &kind, &[]).await.unwrap().id.to_string();
    let practitioner = practitioner.to_string();
    // 2030-03-12 is a Tuesday.
    let form = [("patient_id", patient), ("practitioner_id", practitioner.as_str()), ("type_id", kind.as_str()), ("date", "2030-03-12"), ("time", "09:00")];
    app.call("/api/appointment_book", &form, cookie).await;
    let day = app.call("/api/calendar_day", &[("date", "2030-03-12"), ("by", "practitioner")], cookie).await;
    let appointment = day["columns"][0]["appointments"][0]["id"].as_str().unwrap().to_owned();
    (practitioner, appointment)
}

/// An allergy, a prescription and a referral for `patient` through the
/// API; returns their ids.
pub async fn meds_records(app: &App, cookie: &str, patient: &str) -> (String, String, String) {
    let with_patient = |form: &[(&'static str, &'static str)]| -> Vec<(&'static str, String)> {
        form.iter().map(|(k, v)| (*k, v.replace("{id}", patient))).collect()
    };
    for (path, form) in [("/api/allergy_add", ALLERGY_FORM), ("/api/medication_prescribe", RX_FORM), ("/api/referral_create", REFERRAL_FORM)] {
        let form = with_patient(form);
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        app.call(path, &form, cookie).await;
    }
    let chart = app.call("/api/meds_chart", &[("patient_id", patient)], cookie).await;
    let id = |list: &str| chart[list][0]["id"].as_str().unwrap().to_owned();
    (id("allergies"), id("current"), id("referrals"))
}

/// One clinic's records, one of each kind the matrix probes.
#[derive(Clone, Debug, Default)]
pub struct Records {
    pub clinic: String,
    pub patient: String,
    pub member: String,
    pub session: String,
    pub document: String,
    pub practitioner: String,
    pub appointment: String,
    pub waitlist: String,
    pub note: String,
    pub problem: String,
    pub allergy: String,
    pub medication: String,
    pub referral: String,
    pub order: String,
    pub invoice: String,
    pub payment: String,
}

impl Records {
    /// This clinic's record of the kind `target` names.
    pub fn of(&self, target: Target) -> &str {
        match target {
            Target::Patient => &self.patient,
            Target::Member => &self.member,
            Target::Session => &self.session,
            Target::Clinic => &self.clinic,
            Target::Document => &self.document,
            Target::Practitioner => &self.practitioner,
            Target::Appointment => &self.appointment,
            Target::Waitlist => &self.waitlist,
            Target::Note => &self.note,
            Target::Problem => &self.problem,
            Target::Allergy => &self.allergy,
            Target::Medication => &self.medication,
            Target::Referral => &self.referral,
            Target::LabOrder => &self.order,
            Target::Invoice => &self.invoice,
            Target::Payment => &self.payment,
        }
    }
}

/// Two clinics, A and B, signed up over HTTP; A has a nurse, a billing
/// clerk, a front desk and a practitioner. Each clinic has a patient with a
/// document, a lab order, an appointment, a waiting-list entry, a note, a
/// problem, an allergy, a prescription, a referral and an issued invoice
/// with a payment. `a.member` is A's nurse; `b.member` B's owner;
/// `a.session` a second session of A's owner (so revoking it ends nothing
/// the tests use), `b.session` B's owner's.
pub struct World {
    /// Owners' session cookies.
    pub a_owner: String,
    pub b_owner: String,
    /// A's staff by role: nurse, billing, front_desk, practitioner.
    pub roles: HashMap<&'static str, String>,
    pub a: Records,
    pub b: Records,
}

pub async fn world(app: &App) -> World {
    let a_owner = sign_up(app, "Clinic A", "a@a.example").await;
    let b_owner = sign_up(app, "Clinic B", "b@b.example").await;
    let mut roles = HashMap::new();
    for role in ["nurse", "billing", "front_desk", "practitioner"] {
        roles.insert(role, join(app, &a_owner, &format!("{role}@a.example"), role).await);
    }
    let mut a = Records::default();
    let mut b = Records::default();
    let new_patient = [("given_name", "Bea"), ("family_name", "Beta"), ("date_of_birth", "1980-05-05")];
    b.patient = app.call("/api/patient_create", &new_patient, &b_owner).await["id"].as_str().unwrap().to_owned();
    a.patient = app.call("/api/patient_create", &new_patient, &a_owner).await["id"].as_str().unwrap().to_owned();
    let b_staff = app.call("/api/staff_list", &[], &b_owner).await;
    b.member = b_staff["staff"][0]["membership_id"].as_str().unwrap().to_owned();
    let a_staff = app.call("/api/staff_list", &[], &a_owner).await;
    a.member = a_staff["staff"].as_array().unwrap().iter().find(|m| m["role"] == "nurse").unwrap()["membership_id"]
        .as_str()
        .unwrap()
        .to_owned();
    b.session = app.call("/api/my_sessions", &[], &b_owner).await[0]["handle"].as_str().unwrap().to_owned();
    let second = sign_in(app, "a@a.example").await;
    let sessions = app.call("/api/my_sessions", &[], &second).await;
    let current = |s: &&Value| s["current"] == true;
    a.session = sessions.as_array().unwrap().iter().find(current).unwrap()["handle"].as_str().unwrap().to_owned();
    let upload = |cookie: &str, patient: &str| {
        let request = app
            .client
            .post(format!("{}/api/patients/{patient}/documents", app.url))
            .header(header::COOKIE, cookie)
            .header("x-file-name", "scan.pdf")
            .body(PDF.to_vec());
        async move {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), StatusCode::CREATED);
            response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
        }
    };
    b.document = upload(&b_owner, &b.patient).await;
    a.document = upload(&a_owner, &a.patient).await;
    for (cookie, records) in [(&b_owner, &mut b), (&a_owner, &mut a)] {
        let form = [("patient_id", records.patient.as_str()), ("kind", "lab"), ("test_name", "Full blood count")];
        records.order = app.call("/api/result_order", &form, cookie).await["id"].as_str().unwrap().to_owned();
        records.clinic = app.call("/api/my_clinics", &[], cookie).await[0]["id"].as_str().unwrap().to_owned();
    }
    (b.practitioner, b.appointment) = calendar_setup(app, &b_owner, &b.patient).await;
    (a.practitioner, a.appointment) = calendar_setup(app, &a_owner, &a.patient).await;
    for (cookie, records) in [(&b_owner, &mut b), (&a_owner, &mut a)] {
        let types = app.call("/api/appointment_types", &[], cookie).await;
        let type_id = types[0]["id"].as_str().unwrap().to_owned();
        let form = [("patient_id", records.patient.as_str()), ("type_id", type_id.as_str()), ("earliest", "2030-03-01"), ("latest", "2030-03-31")];
        records.waitlist = app.call("/api/waitlist_add", &form, cookie).await["id"].as_str().unwrap().to_owned();
        (records.note, records.problem) = chart_setup(app, cookie, &records.patient).await;
        (records.allergy, records.medication, records.referral) = meds_records(app, cookie, &records.patient).await;
        (records.invoice, records.payment) = billing_setup(app, cookie, &records.patient).await;
    }
    World { a_owner, b_owner, roles, a, b }
}

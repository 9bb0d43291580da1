//! Vitals and lab/imaging results on the chart, against real databases:
//! every case on SQLite and PostgreSQL (the latter as the unprivileged
//! application role, under row-level security). Units convert and round
//! trip, BMI is computed, impossible values are refused at the field with
//! nothing stored, flags are computed, trends come back in time order,
//! and another clinic's patient or order is a 404.

use ambula_backend::{
    audit, on_tx,
    services::{accounts, auth, lab_results, patients, vitals, ClientInfo},
    AuthContext, Db, ServiceError, Services,
};
use ambula_domain::{
    accounts::{AcceptInviteForm, InviteForm, SignupForm},
    patients::PatientForm,
    results::{Flag, OrderForm, OrderStatus, ResultForm},
    vitals::VitalsForm,
    PatientId,
};
use ambula_testkit::{Kind, SmtpSink, TestDb};

ambula_testkit::on_both_backends!(
    readings_convert_compute_bmi_and_come_back_in_time_order,
    impossible_vitals_are_refused_and_nothing_is_stored,
    results_are_flagged_received_and_trended,
    bad_results_are_refused_and_nothing_is_stored,
    other_clinics_roles_and_restricted_records_are_refused,
);

struct Ctx {
    services: Services,
    owner_db: Db,
    #[allow(dead_code)]
    smtp: SmtpSink,
}

async fn run<F, Fut>(kind: Kind, case: F)
where
    F: FnOnce(Ctx) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let db = TestDb::new(kind).await;
    let smtp = SmtpSink::start().await;
    let services = db.services(smtp.mailer());
    let owner_db = db.owner().await;
    case(Ctx { services, owner_db: owner_db.clone(), smtp }).await;
    owner_db.close().await;
    db.cleanup().await;
}

const PASSWORD: &str = "tide pools at dawn";

fn client() -> ClientInfo {
    ClientInfo { ip: Some("192.0.2.30".into()), user_agent: Some("chart-vitals-test".into()) }
}

async fn clinic(ctx: &Ctx, name: &str, email: &str) -> AuthContext {
    let form = SignupForm {
        clinic_name: name.into(),
        time_zone: "Europe/Lisbon".into(),
        owner_name: "Marta Reis".into(),
        email: email.into(),
        password: PASSWORD.into(),
        confirm_adult: Some("on".into()),
    };
    let signed = accounts::sign_up(&ctx.services, &form, &client()).await.unwrap();
    auth::authenticate(&ctx.services, &signed.token).await.unwrap()
}

async fn join(ctx: &Ctx, owner: &AuthContext, email: &str, role: &str) -> AuthContext {
    let sent = accounts::invite(&ctx.services, owner, &InviteForm { email: email.into(), role: role.into() }).await.unwrap();
    let token = sent.link.rsplit('/').next().unwrap().to_owned();
    let form = AcceptInviteForm { token, name: "Hana Lee".into(), password: PASSWORD.into() };
    let signed = accounts::accept_invite(&ctx.services, &form, &client()).await.unwrap();
    auth::authenticate(&ctx.services, &signed.token).await.unwrap()
}

async fn patient(ctx: &Ctx, who: &AuthContext, restricted: bool) -> PatientId {
    let form = PatientForm {
        given_name: "Ana".into(),
        family_name: "Costa".into(),
        date_of_birth: "1984-03-12".into(),
        restricted: restricted.then(|| "on".to_owned()),
        ..Default::default()
    };
    patients::create(&ctx.services, who, &form).await.unwrap().id
}

fn field<T: std::fmt::Debug>(result: Result<T, ServiceError>, name: &str) -> String {
    match result {
        Err(ServiceError::Invalid(errors)) => errors.get(name).unwrap_or_else(|| panic!("no error at {name}: {errors:?}")).to_owned(),
        other => panic!("expected a field error at {name}, got {other:?}"),
    }
}

async fn owner_count(ctx: &Ctx, sql: &str) -> i64 {
    let mut tx = ctx.owner_db.read().await.unwrap();
    let (n,): (i64,) = on_tx!(&mut tx, c => sqlx::query_as(sql).fetch_one(c).await).unwrap();
    n
}

async fn actions(ctx: &Ctx, who: &AuthContext) -> Vec<(String, String)> {
    let mut tx = ctx.services.db.read_in(&who.scope).await.unwrap();
    let entries = audit::search(&mut tx, &who.scope, &audit::Filter { limit: 10_000, ..Default::default() }).await.unwrap();
    entries.into_iter().map(|e| (e.action, e.outcome)).collect()
}

fn at(recorded_at: &str) -> VitalsForm {
    VitalsForm { recorded_at: recorded_at.into(), ..Default::default() }
}

async fn readings_convert_compute_bmi_and_come_back_in_time_order(ctx: Ctx) {
    let owner = clinic(&ctx, "Harbour", "owner@harbour.example").await;
    let nurse = join(&ctx, &owner, "nurse@harbour.example", "nurse").await;
    let p = patient(&ctx, &owner, false).await.to_string();

    // Imperial units on entry, canonical units stored.
    let imperial = VitalsForm {
        systolic: "128".into(),
        diastolic: "82".into(),
        pulse: "72".into(),
        temperature: "98.6".into(),
        temperature_unit: "f".into(),
        height: "70".into(),
        height_unit: "in".into(),
        weight: "154".into(),
        weight_unit: "lb".into(),
        ..at("2026-03-10T09:30")
    };
    let first = vitals::record(&ctx.services, &nurse, &p, &imperial).await.unwrap();
    assert_eq!((first.temperature, first.height_mm, first.weight_g), (Some(370), Some(1778), Some(69_853)));
    // 69.853 kg / 1.778² m = 22.1 kg/m².
    assert_eq!(first.bmi, Some(221));
    assert_eq!(first.recorded_at_local.format("%Y-%m-%d %H:%M").to_string(), "2026-03-10 09:30");

    // Entered later but taken earlier; metric; an abnormal pulse.
    let earlier = VitalsForm { pulse: "130".into(), temperature: "38.4".into(), spo2: "93".into(), respiratory_rate: "24".into(), ..at("2026-02-01T08:00") };
    vitals::record(&ctx.services, &nurse, &p, &earlier).await.unwrap();
    // Weight only: BMI from the latest earlier height. Summer time in Lisbon (UTC+1).
    let weight_only = VitalsForm { weight: "72.5".into(), weight_unit: "kg".into(), ..at("2026-07-01T10:00") };
    let third = vitals::record(&ctx.services, &owner, &p, &weight_only).await.unwrap();
    assert_eq!(third.bmi, Some(229), "72.5 kg at 1.778 m");
    assert_eq!(third.recorded_at.0.format("%H:%M").to_string(), "09:00", "stored in UTC");

    let history = vitals::history(&ctx.services, &owner, &p).await.unwrap();
    assert_eq!(history.time_zone, "Europe/Lisbon");
    let times: Vec<String> = history.readings.iter().map(|r| r.recorded_at_local.format("%Y-%m-%d").to_string()).collect();
    assert_eq!(times, ["2026-02-01", "2026-03-10", "2026-07-01"], "oldest first, by when taken");
    assert_eq!(history.readings[0].pulse, Some(130));
    assert_eq!(history.readings[1].height_mm, Some(1778));
    assert_eq!(history.readings[1].recorded_by.as_deref(), Some("Hana Lee"));
    assert_eq!(history.readings[2].recorded_by.as_deref(), Some("Marta Reis"));
    // Round trip through storage: back to the units typed.
    use ambula_domain::vitals::{HeightUnit, TemperatureUnit, WeightUnit};
    let stored = &history.readings[1];
    assert_eq!(TemperatureUnit::Fahrenheit.from_decicelsius(stored.temperature.unwrap()), 98_600);
    assert_eq!(HeightUnit::Inches.from_mm(stored.height_mm.unwrap()), 70_000);
    assert!((WeightUnit::Pounds.from_grams(stored.weight_g.unwrap()) - 154_000).abs() <= 1);

    // Empty time: now.
    let now = vitals::record(&ctx.services, &nurse, &p, &VitalsForm { pulse: "70".into(), ..Default::default() }).await.unwrap();
    assert!((ctx.services.now().0 - now.recorded_at.0).num_seconds().abs() < 60);

    let trail = actions(&ctx, &owner).await;
    assert_eq!(trail.iter().filter(|(a, o)| a == "vitals.record" && o == "ok").count(), 4);
    assert!(trail.iter().any(|(a, o)| a == "vitals.read" && o == "ok"));
}

async fn impossible_vitals_are_refused_and_nothing_is_stored(ctx: Ctx) {
    let owner = clinic(&ctx, "Harbour", "owner@harbour.example").await;
    let p = patient(&ctx, &owner, false).await.to_string();
    let record = |form: VitalsForm| {
        let (services, owner, p) = (&ctx.services, &owner, p.clone());
        async move { vitals::record(services, owner, &p, &form).await }
    };
    assert!(field(record(VitalsForm { pulse: "900".into(), ..Default::default() }).await, "pulse").contains("900"));
    assert!(field(record(VitalsForm { weight: "-1".into(), ..Default::default() }).await, "weight").contains("negative"));
    assert!(field(record(VitalsForm { temperature: "60".into(), temperature_unit: "c".into(), ..Default::default() }).await, "temperature").contains("not possible"));
    assert!(field(record(VitalsForm { height: "1.8".into(), height_unit: "cm".into(), ..Default::default() }).await, "height").contains("metres"));
    assert!(field(record(VitalsForm { pulse: "<script>alert(1)</script>".into(), ..Default::default() }).await, "pulse").contains("number"));
    assert!(field(record(VitalsForm { pulse: "7".repeat(1_000_000), ..Default::default() }).await, "pulse").contains("too long"));
    assert!(field(record(VitalsForm { pulse: "70".into(), ..at("2099-01-01T10:00") }).await, "recorded_at").contains("future"));
    assert!(field(record(VitalsForm { pulse: "70".into(), ..at("1984-03-11T10:00") }).await, "recorded_at").contains("born"));
    assert!(field(record(VitalsForm { systolic: "80".into(), diastolic: "120".into(), ..Default::default() }).await, "diastolic").contains("swapped"));
    assert!(field(record(VitalsForm { weight_unit: "stone".into(), weight: "11".into(), ..Default::default() }).await, "weight_unit").contains("kg"));
    assert!(field(record(VitalsForm::default()).await, "pulse").contains("at least one"));
    // One good field does not carry a bad one in.
    assert!(field(record(VitalsForm { pulse: "72".into(), spo2: "140".into(), ..Default::default() }).await, "spo2").contains("140"));
    assert_eq!(owner_count(&ctx, "SELECT COUNT(*) FROM vital_signs").await, 0);
}

fn result_form(order: &str, analyte: &str, value: &str) -> ResultForm {
    ResultForm {
        order_id: order.into(),
        analyte: analyte.into(),
        value: value.into(),
        unit: "mmol/L".into(),
        ref_low: "3.5".into(),
        ref_high: "5.1".into(),
        critical_low: "2.5".into(),
        critical_high: "6.5".into(),
        ..Default::default()
    }
}

fn order_form(name: &str, ordered_at: &str) -> OrderForm {
    OrderForm { kind: "lab".into(), test_name: name.into(), test_code: "2823-3".into(), ordered_at: ordered_at.into() }
}

async fn results_are_flagged_received_and_trended(ctx: Ctx) {
    let owner = clinic(&ctx, "Harbour", "owner@harbour.example").await;
    let p = patient(&ctx, &owner, false).await.to_string();
    let march = lab_results::order(&ctx.services, &owner, &p, &order_form("Potassium", "2026-03-01T08:00")).await.unwrap();
    assert_eq!(march.status, OrderStatus::Ordered);
    let jan = lab_results::order(&ctx.services, &owner, &p, &order_form("Potassium", "2026-01-05T08:00")).await.unwrap();
    let march_id = march.id.to_string();
    let jan_id = jan.id.to_string();

    let normal = lab_results::enter_result(&ctx.services, &owner, &ResultForm { resulted_at: "2026-01-06T10:00".into(), ..result_form(&jan_id, "Potassium", "4.2") }).await.unwrap();
    assert_eq!(normal.flag, Flag::Normal);
    let high = lab_results::enter_result(&ctx.services, &owner, &ResultForm { resulted_at: "2026-03-02T10:00".into(), ..result_form(&march_id, "Potassium", "5.4") }).await.unwrap();
    assert_eq!(high.flag, Flag::High);
    let critical = lab_results::enter_result(&ctx.services, &owner, &ResultForm { resulted_at: "2026-03-02T10:00".into(), ..result_form(&march_id, "Sodium", "2.4") }).await.unwrap();
    assert_eq!(critical.flag, Flag::CriticalLow);
    assert_eq!(critical.value, 2400);

    let imaging = OrderForm { kind: "imaging".into(), test_name: "Chest X-ray".into(), test_code: String::new(), ordered_at: String::new() };
    let xray = lab_results::order(&ctx.services, &owner, &p, &imaging).await.unwrap();

    let overview = lab_results::overview(&ctx.services, &owner, &p).await.unwrap();
    let names: Vec<&str> = overview.orders.iter().map(|o| o.test_name.as_str()).collect();
    assert_eq!(names, ["Chest X-ray", "Potassium", "Potassium"], "newest order first");
    assert_eq!(overview.orders[0].status, OrderStatus::Ordered);
    assert!(overview.orders[1..].iter().all(|o| o.status == OrderStatus::Received && o.received_at_local.is_some()));
    // Results oldest first: the potassium trend is January then March.
    let potassium: Vec<(i64, Flag)> = overview.results.iter().filter(|r| r.analyte == "Potassium").map(|r| (r.value, r.flag)).collect();
    assert_eq!(potassium, [(4200, Flag::Normal), (5400, Flag::High)]);
    assert_eq!(overview.results[0].range.low, Some(3500));
    assert_eq!(overview.results.len(), 3);

    // A report: a document of this patient, attached to the X-ray order.
    const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
    let doc = ambula_backend::services::documents::upload(&ctx.services, &owner, &p, "xray.pdf", PDF).await.unwrap();
    let attached = lab_results::attach_report(&ctx.services, &owner, &xray.id.to_string(), &doc.id.to_string()).await.unwrap();
    assert_eq!(attached.report, Some((doc.id, "xray.pdf".to_owned())));
    assert_eq!(attached.status, OrderStatus::Received);
    // Another patient's document cannot be attached.
    let other = patient(&ctx, &owner, false).await.to_string();
    let theirs = ambula_backend::services::documents::upload(&ctx.services, &owner, &other, "other.pdf", PDF).await.unwrap();
    let refused = lab_results::attach_report(&ctx.services, &owner, &march_id, &theirs.id.to_string()).await;
    assert!(field(refused, "document_id").contains("this patient"));

    let trail = actions(&ctx, &owner).await;
    for action in ["results.order", "results.enter", "results.read", "results.attach_report"] {
        assert!(trail.iter().any(|(a, o)| a == action && o == "ok"), "{action} audited");
    }
}

async fn bad_results_are_refused_and_nothing_is_stored(ctx: Ctx) {
    let owner = clinic(&ctx, "Harbour", "owner@harbour.example").await;
    let p = patient(&ctx, &owner, false).await.to_string();
    let bad_orders = [
        (OrderForm { kind: "lab".into(), test_name: "x".repeat(1_000_000), ..Default::default() }, "test_name"),
        (OrderForm { kind: "lab".into(), test_name: "<img src=x onerror=alert(1)>".into(), ..Default::default() }, "test_name"),
        (OrderForm { kind: "x-ray".into(), test_name: "Chest".into(), ..Default::default() }, "kind"),
        (OrderForm { kind: "lab".into(), test_name: "FBC".into(), ordered_at: "2099-01-01T00:00".into(), ..Default::default() }, "ordered_at"),
    ];
    for (form, at) in bad_orders {
        field(lab_results::order(&ctx.services, &owner, &p, &form).await, at);
    }
    assert_eq!(owner_count(&ctx, "SELECT COUNT(*) FROM lab_orders").await, 0);

    let order = lab_results::order(&ctx.services, &owner, &p, &order_form("Potassium", "2026-03-01T08:00")).await.unwrap().id.to_string();
    let bad_results = [
        (result_form(&order, "Potassium", "4,2,1"), "value"),
        (result_form(&order, "<b>K</b>", "4.2"), "analyte"),
        (ResultForm { ref_low: "6".into(), ..result_form(&order, "Potassium", "4.2") }, "ref_high"),
        (ResultForm { resulted_at: "2026-02-01T08:00".into(), ..result_form(&order, "Potassium", "4.2") }, "resulted_at"),
        (ResultForm { resulted_at: "2099-02-01T08:00".into(), ..result_form(&order, "Potassium", "4.2") }, "resulted_at"),
    ];
    for (form, at) in bad_results {
        field(lab_results::enter_result(&ctx.services, &owner, &form).await, at);
    }
    assert_eq!(owner_count(&ctx, "SELECT COUNT(*) FROM lab_results").await, 0);
    let overview = lab_results::overview(&ctx.services, &owner, &p).await.unwrap();
    assert_eq!(overview.orders[0].status, OrderStatus::Ordered, "a refused result does not receive the order");
}

async fn other_clinics_roles_and_restricted_records_are_refused(ctx: Ctx) {
    let a = clinic(&ctx, "Harbour", "owner@harbour.example").await;
    let b = clinic(&ctx, "Hill", "owner@hill.example").await;
    let p = patient(&ctx, &a, false).await.to_string();
    let order = lab_results::order(&ctx.services, &a, &p, &order_form("Potassium", "")).await.unwrap().id.to_string();
    let reading = VitalsForm { pulse: "72".into(), ..Default::default() };

    // Another clinic: indistinguishable from a missing id.
    assert!(matches!(vitals::record(&ctx.services, &b, &p, &reading).await, Err(ServiceError::NotFound)));
    assert!(matches!(vitals::history(&ctx.services, &b, &p).await, Err(ServiceError::NotFound)));
    assert!(matches!(lab_results::overview(&ctx.services, &b, &p).await, Err(ServiceError::NotFound)));
    assert!(matches!(lab_results::order(&ctx.services, &b, &p, &order_form("FBC", "")).await, Err(ServiceError::NotFound)));
    assert!(matches!(lab_results::enter_result(&ctx.services, &b, &result_form(&order, "K", "4")).await, Err(ServiceError::NotFound)));
    assert!(matches!(vitals::history(&ctx.services, &a, "not-an-id").await, Err(ServiceError::NotFound)));
    assert!(actions(&ctx, &b).await.iter().any(|(a, o)| a == "vitals.record" && o == "denied"), "the attempt is in B's trail");

    // Front desk and billing have no clinical access.
    let desk = join(&ctx, &a, "desk@harbour.example", "front_desk").await;
    let billing = join(&ctx, &a, "billing@harbour.example", "billing").await;
    assert!(matches!(vitals::record(&ctx.services, &desk, &p, &reading).await, Err(ServiceError::Forbidden)));
    assert!(matches!(vitals::history(&ctx.services, &billing, &p).await, Err(ServiceError::Forbidden)));
    assert!(matches!(lab_results::enter_result(&ctx.services, &desk, &result_form(&order, "K", "4")).await, Err(ServiceError::Forbidden)));

    // A restricted record: a nurse outside its care team is refused.
    let secret = patient(&ctx, &a, true).await.to_string();
    let nurse = join(&ctx, &a, "nurse@harbour.example", "nurse").await;
    assert!(matches!(vitals::record(&ctx.services, &nurse, &secret, &reading).await, Err(ServiceError::Restricted)));
    assert!(matches!(vitals::history(&ctx.services, &nurse, &secret).await, Err(ServiceError::Restricted)));
    assert!(matches!(lab_results::overview(&ctx.services, &nurse, &secret).await, Err(ServiceError::Restricted)));
    // The owner (who registered it) may.
    vitals::record(&ctx.services, &a, &secret, &reading).await.unwrap();

    assert_eq!(owner_count(&ctx, "SELECT COUNT(*) FROM vital_signs").await, 1, "only the owner's reading");
    assert_eq!(owner_count(&ctx, "SELECT COUNT(*) FROM lab_results").await, 0);
    assert_eq!(owner_count(&ctx, "SELECT COUNT(*) FROM lab_orders").await, 1);
}

//! Billing at volume: seeds a year of invoices for clinics (100 × 3,000 by
//! default) — lines from the fee schedule, payments with their allocations
//! and receipts, partial payments and credit, credit notes and void
//! invoices, of every age — on SQLite and on PostgreSQL, then prints
//! p50/p99/max latency of issuing an invoice, posting a payment, and the
//! aging report of one clinic.
//!
//!     cargo bench -p ambula-bench --bench billing
//!
//! Settings (environment): AMBULA_BENCH_CLINICS (100),
//! AMBULA_BENCH_INVOICES (3000 per clinic), AMBULA_BENCH_PATIENTS (2000
//! per clinic), AMBULA_BENCH_SAMPLES (300 per operation),
//! AMBULA_BENCH_BACKENDS ("sqlite,postgres"); AMBULA_BENCH_KEEP=1 keeps
//! the database afterwards (to look at plans; drop it by hand).
//!
//! Seeding writes what the services write (amounts from the domain's line
//! rules, numbers from the clinic's counters without gaps, each payment's
//! allocation and the running totals that follow), many rows per
//! statement in one transaction per clinic, as the application role under
//! row-level security on PostgreSQL; documents go in as drafts with their
//! lines and are then issued, as the database's triggers require. The
//! measured calls go through the services the server functions call
//! (permission check, patient access rules, audit entry, commit).

mod common;

use ambula_backend::{
    repo::{self, patients::SearchKeys},
    services::billing::{fee_schedule, invoices, payments, reports},
    time::DbTime,
    AuthContext, Mailer, Services,
};
use ambula_domain::billing::{
    AllocationForm, Currency, DocumentTotals, FeeServiceForm, InvoiceForm, InvoiceLineForm, InvoiceStatus, LineAmounts,
    LineInput, Money, PaymentForm, Quantity, TaxRate,
};
use ambula_testkit::{Kind, TestDb};
use chrono::{Duration as Days, NaiveDate};
use chrono_tz::Tz;
use common::{insert_rows, os, s, update_rows, Figures, Lcg, V};
use std::time::Instant;
use uuid::Uuid;

const ZONE: &str = "Europe/Lisbon";

struct Settings {
    clinics: usize,
    invoices: usize,
    patients: usize,
    samples: usize,
    backends: Vec<Kind>,
}

impl Settings {
    fn from_env() -> Result<Self, String> {
        Ok(Settings {
            clinics: common::number("AMBULA_BENCH_CLINICS", 100)?,
            invoices: common::number("AMBULA_BENCH_INVOICES", 3_000)?,
            patients: common::number("AMBULA_BENCH_PATIENTS", 2_000)?,
            samples: common::number("AMBULA_BENCH_SAMPLES", 300)?,
            backends: common::backends()?,
        })
    }
}

/// code, description, price, tax rate (%): a physiotherapy and general
/// practice schedule; clinical services exempt, products taxed.
const FEES: &[(&str, &str, &str, &str)] = &[
    ("99213", "Office visit, established patient", "45.00", "0"),
    ("99203", "Office visit, new patient", "60.00", "0"),
    ("97110", "Therapeutic exercise, 15 min", "30.00", "0"),
    ("97140", "Manual therapy, 15 min", "35.00", "0"),
    ("93000", "Electrocardiogram", "25.00", "0"),
    ("90471", "Immunization administration", "15.00", "0"),
    ("CERT", "Medical certificate", "20.00", "23"),
    ("BRACE", "Knee brace", "42.50", "23"),
];

const FAMILY: &[&str] = &["Silva", "Santos", "Ferreira", "Pereira", "Oliveira", "Costa", "Rodrigues", "Martins", "Sousa", "Okafor", "Smith", "García"];
const GIVEN: &[&str] = &["Maria", "João", "Ana", "José", "Francisco", "Beatriz", "Tiago", "Inês", "Chidi", "Emma", "Lucía", "Wei"];

struct Clinic {
    ctx: AuthContext,
    patients: Vec<Uuid>,
    fees: Vec<String>,
}

struct Fee {
    id: Uuid,
    code: String,
    description: String,
    price: i64,
    tax_bp: i64,
}

fn at_minutes(t: DbTime, minutes: i64) -> DbTime {
    DbTime::from(t.0 + Days::minutes(minutes))
}

/// One seeded document before it is written.
struct Doc {
    id: Uuid,
    patient: Uuid,
    credit_of: Option<Uuid>,
    lines: Vec<(TypedLine, LineAmounts)>,
    totals: DocumentTotals,
    created_at: DbTime,
    issued_at: DbTime,
    number: i64,
    status: InvoiceStatus,
    paid: i64,
    credited: i64,
    void_at: Option<DbTime>,
}

/// A line as typed: the fee, quantity and discount.
#[derive(Clone)]
struct TypedLine {
    service: Uuid,
    code: String,
    description: String,
    quantity_milli: i64,
    unit_price: i64,
    discount: i64,
    tax_bp: i64,
}

fn line(currency: Currency, f: &TypedLine) -> LineAmounts {
    LineInput {
        quantity: Quantity::from_thousandths(f.quantity_milli).expect("quantity"),
        unit_price: Money::new(f.unit_price, currency),
        discount: Money::new(f.discount, currency),
        tax_rate: TaxRate::from_basis_points(f.tax_bp).expect("tax rate"),
    }
    .amounts()
    .expect("line amounts")
}

async fn seed_clinic(services: &Services, n: usize, settings: &Settings, rng: &mut Lcg) -> (Clinic, usize) {
    let ctx = common::sign_up(services, &format!("Bench Clinic {n:03}"), &format!("owner{n:03}@bench.example"), ZONE).await;
    let now = services.now();
    let tz: Tz = ZONE.parse().expect("zone");
    let local_date = |t: DbTime| -> NaiveDate { t.0.with_timezone(&tz).date_naive() };
    let clinic = ctx.scope.clinic_id().as_uuid();
    let me = ctx.membership_id.as_uuid();

    // The fee schedule, through its service.
    let mut fees = Vec::new();
    for (code, description, price, tax) in FEES {
        let form = FeeServiceForm {
            code: (*code).into(),
            description: (*description).into(),
            price: (*price).into(),
            tax_rate: (*tax).into(),
            appointment_type_id: String::new(),
        };
        let view = fee_schedule::create(services, &ctx, &form).await.expect("fee service");
        fees.push(Fee {
            id: view.id.as_uuid(),
            code: view.code,
            description: view.description,
            price: view.price.minor,
            tax_bp: i64::from(view.tax_rate.basis_points()),
        });
    }

    let mut tx = services.db.write_in(&ctx.scope).await.expect("tx");
    let currency = {
        let row = repo::clinics::get(&mut tx, &ctx.scope).await.expect("clinic");
        Currency::parse(&row.currency).expect("currency")
    };

    // Patients (the registry's columns and search keys).
    let mut patients = Vec::with_capacity(settings.patients);
    let mut patient_rows = Vec::with_capacity(settings.patients);
    for k in 0..settings.patients {
        let id = Uuid::now_v7();
        let (given, family) = (*rng.pick(GIVEN), *rng.pick(FAMILY));
        let phone = format!("+351 9{}{:07}", 1 + rng.next(6), rng.next(10_000_000));
        let keys = SearchKeys::of(given, family, None, Some(&phone), None);
        let born = NaiveDate::from_ymd_opt(1940, 1, 1).expect("date") + Days::days(rng.next(80 * 365) as i64);
        let created = DbTime::from(now.0 - Days::days(800) + Days::minutes(k as i64 * 7));
        patient_rows.push(vec![
            V::U(clinic), V::U(id), s(format!("P{:06}", k + 1)), s(given), s(family), V::D(born), s(phone), V::T(created),
            V::T(created), s(keys.family_key), s(keys.given_key), V::OS(keys.preferred_key), s(keys.family_phonetic),
            s(keys.given_phonetic), V::OS(keys.phone_rev), V::OS(keys.email_key),
        ]);
        patients.push(id);
    }
    insert_rows(
        &mut tx,
        "patients",
        &[
            "clinic_id", "id", "mrn", "given_name", "family_name", "date_of_birth", "phone", "created_at", "updated_at",
            "family_key", "given_key", "preferred_key", "family_phonetic", "given_phonetic", "phone_rev", "email_key",
        ],
        &patient_rows,
    )
    .await;
    common::exec(&mut tx, "UPDATE clinics SET mrn_counter = $2 WHERE id = $1", &[V::U(clinic), V::I(settings.patients as i64)]).await;

    // A year of invoices, in issue order (numbers follow time).
    let year_ago = now.0 - Days::days(365);
    let mut issued: Vec<DbTime> = (0..settings.invoices)
        .map(|_| DbTime::from(year_ago + Days::minutes(rng.next(365 * 24 * 60 - 120) as i64)))
        .collect();
    issued.sort();
    let mut docs: Vec<Doc> = Vec::with_capacity(settings.invoices);
    let mut credit_notes: Vec<Doc> = Vec::new();
    // (invoice, amount, allocated, method, received_at)
    let mut payments_plan: Vec<(usize, i64, i64, &'static str, DbTime)> = Vec::new();
    for (i, issued_at) in issued.into_iter().enumerate() {
        let patient = patients[rng.next(patients.len())];
        let count = match rng.next(100) {
            0..=69 => 1,
            70..=94 => 2,
            _ => 3,
        };
        let mut lines = Vec::with_capacity(count);
        for _ in 0..count {
            let fee = &fees[rng.next(fees.len())];
            let quantity_milli = if rng.chance(10) { 2000 } else { 1000 };
            let discount = if rng.chance(10) { fee.price * quantity_milli / 1000 / 10 } else { 0 };
            let typed = TypedLine {
                service: fee.id,
                code: fee.code.clone(),
                description: fee.description.clone(),
                quantity_milli,
                unit_price: fee.price,
                discount,
                tax_bp: fee.tax_bp,
            };
            let amounts = line(currency, &typed);
            lines.push((typed, amounts));
        }
        let amounts: Vec<LineAmounts> = lines.iter().map(|(_, a)| *a).collect();
        let totals = DocumentTotals::of(currency, &amounts).expect("totals");
        let total = totals.total.minor;
        let age_days = (now.0 - issued_at.0).num_days();
        let mut doc = Doc {
            id: Uuid::now_v7(),
            patient,
            credit_of: None,
            lines,
            totals,
            created_at: at_minutes(issued_at, -(5 + rng.next(120) as i64)),
            issued_at,
            number: i as i64 + 1,
            status: InvoiceStatus::Issued,
            paid: 0,
            credited: 0,
            void_at: None,
        };
        let fate = rng.next(100);
        if fate == 0 {
            doc.status = InvoiceStatus::Void;
            doc.void_at = Some(at_minutes(issued_at, 60).min(now));
        } else if fate <= 3 && age_days > 3 {
            // Credited in full by a credit note a couple of days later.
            let negated: Vec<(TypedLine, LineAmounts)> = doc.lines.iter().map(|(f, a)| (f.clone(), a.negated().expect("negate"))).collect();
            let amounts: Vec<LineAmounts> = negated.iter().map(|(_, a)| *a).collect();
            let note_at = at_minutes(issued_at, 2 * 24 * 60).min(now);
            credit_notes.push(Doc {
                id: Uuid::now_v7(),
                patient,
                credit_of: Some(doc.id),
                lines: negated,
                totals: DocumentTotals::of(currency, &amounts).expect("totals"),
                created_at: note_at,
                issued_at: note_at,
                number: credit_notes.len() as i64 + 1,
                status: InvoiceStatus::Issued,
                paid: 0,
                credited: 0,
                void_at: None,
            });
            doc.credited = total;
        } else {
            let (paid_pct, partial_pct) = match age_days {
                0..=29 => (50, 10),
                30..=89 => (85, 5),
                _ => (95, 2),
            };
            let roll = rng.next(100);
            let received = |rng: &mut Lcg| {
                let within = (age_days.clamp(0, 40) * 24 * 60).max(1) as usize;
                at_minutes(issued_at, rng.next(within) as i64).min(now)
            };
            let method = match rng.next(100) {
                0..=49 => "card",
                50..=74 => "cash",
                75..=94 => "bank_transfer",
                _ => "insurance",
            };
            if roll < paid_pct {
                // Paid in full; now and then a little more, kept as credit.
                let extra = if rng.chance(1) { 1000 } else { 0 };
                payments_plan.push((i, total + extra, total, method, received(rng)));
                doc.paid = total;
            } else if roll < paid_pct + partial_pct && total > 1 {
                let part = (total * (30 + rng.next(40) as i64) / 100).max(1);
                payments_plan.push((i, part, part, method, received(rng)));
                doc.paid = part;
            }
        }
        if doc.status != InvoiceStatus::Void {
            doc.status = InvoiceStatus::of_issued(total, doc.credited, doc.paid);
        }
        docs.push(doc);
    }

    // Drafts with their lines first (the triggers allow lines on drafts
    // only), then issued with their numbers and settlement.
    let document_columns = [
        "clinic_id", "id", "kind", "patient_id", "currency", "subtotal_minor", "tax_minor", "total_minor", "paid_minor",
        "credited_minor", "status", "credit_of", "reason", "created_by", "created_at", "updated_at",
    ];
    let draft_row = |d: &Doc| {
        vec![
            V::U(clinic), V::U(d.id), s(if d.credit_of.is_some() { "credit_note" } else { "invoice" }), V::U(d.patient),
            s(currency.code()), V::I(d.totals.subtotal.minor), V::I(d.totals.tax.minor), V::I(d.totals.total.minor), V::I(0), V::I(0),
            s("draft"), V::OU(d.credit_of), os(d.credit_of.map(|_| "Billed in error")), V::OU(Some(me)), V::T(d.created_at),
            V::T(d.created_at),
        ]
    };
    insert_rows(&mut tx, "invoices", &document_columns, &docs.iter().map(draft_row).collect::<Vec<_>>()).await;
    insert_rows(&mut tx, "invoices", &document_columns, &credit_notes.iter().map(draft_row).collect::<Vec<_>>()).await;
    let mut line_rows = Vec::new();
    for d in docs.iter().chain(credit_notes.iter()) {
        for (position, (f, a)) in d.lines.iter().enumerate() {
            line_rows.push(vec![
                V::U(clinic), V::U(Uuid::now_v7()), V::U(d.id), V::I32(position as i32), V::OU(Some(f.service)), os(Some(f.code.clone())),
                s(f.description.clone()), V::I(f.quantity_milli), V::I(f.unit_price), V::I(f.discount), V::I32(f.tax_bp as i32),
                V::I(a.net.minor), V::I(a.tax.minor), V::I(a.total.minor), V::T(d.created_at),
            ]);
        }
    }
    insert_rows(
        &mut tx,
        "invoice_lines",
        &[
            "clinic_id", "id", "invoice_id", "position", "service_id", "code", "description", "quantity_milli",
            "unit_price_minor", "discount_minor", "tax_rate_bp", "net_minor", "tax_minor", "total_minor", "created_at",
        ],
        &line_rows,
    )
    .await;
    let issue_row = |d: &Doc| {
        let due_on = if d.credit_of.is_some() { local_date(d.issued_at) } else { local_date(d.issued_at) + Days::days(30) };
        vec![
            V::U(d.id), V::I(d.number), V::T(d.issued_at), V::OU(Some(me)), V::D(due_on), s(d.status.as_str()), V::I(d.paid),
            V::I(d.credited), V::T(d.void_at.unwrap_or(d.issued_at)), os(d.void_at.map(|_| "Issued to the wrong patient.")),
            V::OT(d.void_at), V::OU(d.void_at.map(|_| me)),
        ]
    };
    let issue_columns =
        ["number", "issued_at", "issued_by", "due_on", "status", "paid_minor", "credited_minor", "updated_at", "void_reason", "voided_at", "voided_by"];
    let draft_only = " AND invoices.status = 'draft'";
    update_rows(&mut tx, "invoices", clinic, &issue_columns, draft_only, &docs.iter().map(issue_row).collect::<Vec<_>>()).await;
    update_rows(&mut tx, "invoices", clinic, &issue_columns, draft_only, &credit_notes.iter().map(issue_row).collect::<Vec<_>>()).await;

    // Payments, receipts numbered in the order they were taken, each with
    // its allocation.
    payments_plan.sort_by_key(|(_, _, _, _, at)| *at);
    let mut payment_rows = Vec::with_capacity(payments_plan.len());
    let mut allocation_rows = Vec::with_capacity(payments_plan.len());
    for (receipt, (invoice, amount, allocated, method, at)) in payments_plan.iter().enumerate() {
        let payment = Uuid::now_v7();
        payment_rows.push(vec![
            V::U(clinic), V::U(payment), V::U(docs[*invoice].patient), s(*method), s(currency.code()), V::I(*amount), V::I(*allocated),
            V::I(0), os((*method == "card").then(|| format!("POS {:06}", rng.next(1_000_000)))), V::I(receipt as i64 + 1), V::T(*at),
            V::OU(Some(me)), V::T(*at),
        ]);
        allocation_rows.push(vec![V::U(clinic), V::U(Uuid::now_v7()), V::U(payment), V::U(docs[*invoice].id), V::I(*allocated), s("payment"), V::T(*at)]);
    }
    insert_rows(
        &mut tx,
        "payments",
        &[
            "clinic_id", "id", "patient_id", "method", "currency", "amount_minor", "allocated_minor", "refunded_minor", "reference",
            "receipt_number", "received_at", "received_by", "created_at",
        ],
        &payment_rows,
    )
    .await;
    insert_rows(&mut tx, "payment_allocations", &["clinic_id", "id", "payment_id", "invoice_id", "amount_minor", "cause", "created_at"], &allocation_rows)
        .await;

    // The counters continue after the seeded numbers: no gaps.
    for (series, last) in [("invoice", docs.len()), ("credit_note", credit_notes.len()), ("receipt", payments_plan.len())] {
        common::exec(
            &mut tx,
            "INSERT INTO billing_counters (clinic_id, id, series, last_number) VALUES ($1, $2, $3, $4)
             ON CONFLICT (clinic_id, series) DO UPDATE SET last_number = excluded.last_number",
            &[V::U(clinic), V::U(Uuid::now_v7()), s(series), V::I(last as i64)],
        )
        .await;
    }
    tx.commit().await.expect("commit billing year");
    let rows = patient_rows.len() + docs.len() + credit_notes.len() + line_rows.len() + payment_rows.len() + allocation_rows.len();
    let fees = fees.iter().map(|f| f.id.to_string()).collect();
    (Clinic { ctx, patients, fees }, rows)
}

async fn run(kind: Kind, settings: &Settings) -> Vec<Figures> {
    let db = TestDb::new(kind).await;
    let mailer = Mailer::new(None, "bench@ambula.invalid").expect("mailer");
    let services = db.services(mailer);
    eprintln!("{kind:?}: database {} (removed at the end); load average before seeding {}", db.owner_url, common::load_average());
    let started = Instant::now();
    let mut rng = Lcg(11);
    let mut clinics = Vec::new();
    let mut rows = 0;
    for n in 0..settings.clinics {
        let (clinic, count) = seed_clinic(&services, n, settings, &mut rng).await;
        rows += count;
        clinics.push(clinic);
        if (n + 1) % 10 == 0 {
            eprintln!("{kind:?}: {} clinics seeded, {rows} rows, {:.0?}", n + 1, started.elapsed());
        }
    }
    common::analyze(kind, &db.owner_url).await;
    eprintln!(
        "{kind:?}: seeded {} clinics × {} invoices, {rows} rows in {:.0?}; load average {}",
        settings.clinics,
        settings.invoices,
        started.elapsed(),
        common::load_average()
    );

    let mut create = Figures::new("create draft invoice");
    let mut issue = Figures::new("issue invoice (prepared draft)");
    let mut pay = Figures::new("record payment");
    let mut aging = Figures::new("aging report (one clinic)");
    for c in clinics.iter().take(3) {
        reports::aging(&services, &c.ctx, "").await.expect("warm-up aging");
    }
    let mut rng = Lcg(42);
    for i in 0..settings.samples {
        let c = &clinics[rng.next(clinics.len())];
        let patient = c.patients[rng.next(c.patients.len())].to_string();
        let form = InvoiceForm {
            patient_id: patient.clone(),
            lines: vec![InvoiceLineForm { service_id: c.fees[rng.next(c.fees.len())].clone(), ..Default::default() }],
            ..Default::default()
        };
        let t = Instant::now();
        let draft = invoices::create(&services, &c.ctx, &form).await.expect("draft");
        create.samples.push(t.elapsed());

        let t = Instant::now();
        let issued = invoices::issue(&services, &c.ctx, &draft.id.to_string()).await.expect("issue");
        issue.samples.push(t.elapsed());

        // At the desk: for this invoice, or (every other time) on account,
        // allocated to the patient's open invoices, oldest due first.
        let allocations = if i % 2 == 0 {
            vec![AllocationForm { invoice_id: issued.id.to_string(), amount: String::new() }]
        } else {
            Vec::new()
        };
        let form = PaymentForm {
            patient_id: patient,
            method: if i % 3 == 0 { "cash".into() } else { "card".into() },
            amount: issued.total.decimal(),
            allocations,
            ..Default::default()
        };
        let t = Instant::now();
        payments::record(&services, &c.ctx, &form).await.expect("payment");
        pay.samples.push(t.elapsed());

        let c = &clinics[rng.next(clinics.len())];
        let t = Instant::now();
        let report = reports::aging(&services, &c.ctx, "").await.expect("aging");
        aging.samples.push(t.elapsed());
        if i == 0 {
            eprintln!("{kind:?}: aging report of one clinic: {} open invoices, total {}", report.rows.len(), report.total);
        }
    }
    eprintln!("{kind:?}: load average after the samples {}", common::load_average());
    services.db.close().await;
    common::cleanup(kind, db).await;
    vec![create, issue, pay, aging]
}

fn main() {
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    println!(
        "Billing benchmark: {} clinics × {} invoices over a year ({} patients each), {} samples per operation\n",
        settings.clinics, settings.invoices, settings.patients, settings.samples
    );
    common::print_header();
    for kind in &settings.backends {
        let figures = runtime.block_on(run(*kind, &settings));
        common::print_figures(*kind, &figures);
    }
}

//! Billing against real databases, every case on SQLite and PostgreSQL (the
//! latter as the unprivileged application role, under row-level security):
//! gap-free numbering under concurrency, finality of issued invoices in the
//! service and in the database, credit notes, voiding, payments split
//! across invoices, overpayment as credit, refunds, the account identity
//! over random operations, reports, permissions and tenancy, bad input.

use ambula_backend::{
    audit, on_tx,
    repo::{self, appointments::NewAppointment},
    services::{
        accounts, auth,
        billing::{fee_schedule, insurance, invoices, online, packages, payers, payments, reports},
        patients, scheduling::setup, ClientInfo,
    },
    time::DbTime,
    AuthContext, Db, ServiceError, Services,
};
use ambula_domain::{
    accounts::{AcceptInviteForm, InviteForm, SignupForm},
    billing::{
        AllocationForm, ClaimDecisionForm, ClaimForm, ClaimStatus, CoverageForm, RemittanceForm, CreditNoteForm, FeePackageForm, FeeServiceForm, PayerForm, PayerPriceForm, InvoiceForm, InvoiceLineForm, InvoiceStatus, PaymentForm,
        PeriodForm, ReasonForm, RefundForm,
    },
    patients::PatientForm,
    scheduling::{AppointmentStatus, AppointmentTypeForm},
    AppointmentTypeId, PatientId, PractitionerId,
};
use ambula_testkit::{Kind, SmtpSink, TestDb};
use chrono::Duration;

ambula_testkit::on_both_backends!(
    concurrent_issues_are_numbered_without_gaps,
    issued_invoices_are_final_in_the_service_and_the_database,
    credit_notes_and_void_with_a_reason,
    payments_split_overpay_and_refund,
    bad_input_is_refused_and_changes_nothing,
    permissions_are_enforced_and_denials_audited,
    another_clinics_invoices_are_not_found,
    invoices_from_appointments_and_the_fee_schedule,
    reports_aging_cash_up_revenue_and_export,
    random_operations_keep_every_account_balanced,
    demo_invoices_balance,
    payer_prices_and_packages,
    online_checkout_and_signed_webhooks,
    insurance_claims_and_remittance,
);

struct Ctx {
    services: Services,
    kind: Kind,
    owner_db: Db,
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
    case(Ctx { services, kind, owner_db: owner_db.clone() }).await;
    owner_db.close().await;
    db.cleanup().await;
}

const PASSWORD: &str = "tide pools at dawn";

fn client() -> ClientInfo {
    ClientInfo { ip: Some("192.0.2.30".into()), user_agent: Some("billing-test".into()) }
}

struct Clinic {
    owner: AuthContext,
    patients: Vec<PatientId>,
}

async fn clinic(ctx: &Ctx, name: &str, email: &str) -> Clinic {
    let form = SignupForm {
        clinic_name: name.into(),
        time_zone: "Europe/Lisbon".into(),
        owner_name: "Marta Reis".into(),
        email: email.into(),
        password: PASSWORD.into(),
        confirm_adult: Some("on".into()),
    };
    let signed = accounts::sign_up(&ctx.services, &form, &client()).await.unwrap();
    let owner = auth::authenticate(&ctx.services, &signed.token).await.unwrap();
    let mut list = Vec::new();
    for (given, family) in [("Ana", "Costa"), ("Bruno", "Almeida"), ("Carla", "Mendes")] {
        let form = PatientForm { given_name: given.into(), family_name: family.into(), date_of_birth: "1984-03-12".into(), ..Default::default() };
        list.push(patients::create(&ctx.services, &owner, &form).await.unwrap().id);
    }
    Clinic { owner, patients: list }
}

async fn join(ctx: &Ctx, owner: &AuthContext, email: &str, role: &str) -> AuthContext {
    let sent = accounts::invite(&ctx.services, owner, &InviteForm { email: email.into(), role: role.into() }).await.unwrap();
    let token = sent.link.rsplit('/').next().unwrap().to_owned();
    let form = AcceptInviteForm { token, name: "Rui Tavares".into(), password: PASSWORD.into() };
    let signed = accounts::accept_invite(&ctx.services, &form, &client()).await.unwrap();
    auth::authenticate(&ctx.services, &signed.token).await.unwrap()
}

fn line(description: &str, quantity: &str, price: &str, tax: &str) -> InvoiceLineForm {
    InvoiceLineForm {
        description: description.into(),
        quantity: quantity.into(),
        unit_price: price.into(),
        tax_rate: tax.into(),
        ..Default::default()
    }
}

fn invoice_form(patient: PatientId, lines: Vec<InvoiceLineForm>) -> InvoiceForm {
    InvoiceForm { patient_id: patient.to_string(), lines, ..Default::default() }
}

/// An issued invoice of one untaxed line at `price`.
async fn issued(ctx: &Ctx, who: &AuthContext, patient: PatientId, price: &str) -> invoices::InvoiceView {
    let draft = invoices::create(&ctx.services, who, &invoice_form(patient, vec![line("Consultation", "1", price, "")])).await.unwrap();
    invoices::issue(&ctx.services, who, &draft.id.to_string()).await.unwrap()
}

fn pay_form(patient: PatientId, amount: &str, allocations: &[(&invoices::InvoiceView, &str)]) -> PaymentForm {
    PaymentForm {
        patient_id: patient.to_string(),
        method: "card".into(),
        amount: amount.into(),
        allocations: allocations
            .iter()
            .map(|(i, a)| AllocationForm { invoice_id: i.id.to_string(), amount: (*a).into() })
            .collect(),
        ..Default::default()
    }
}

fn field<T: std::fmt::Debug>(result: Result<T, ServiceError>, name: &str) -> String {
    match result {
        Err(ServiceError::Invalid(errors)) => errors.get(name).unwrap_or_else(|| panic!("no error at {name}: {errors:?}")).to_owned(),
        other => panic!("expected a field error at {name}, got {other:?}"),
    }
}

async fn get(ctx: &Ctx, who: &AuthContext, view: &invoices::InvoiceView) -> invoices::InvoiceView {
    invoices::get(&ctx.services, who, &view.id.to_string()).await.unwrap()
}

async fn account(ctx: &Ctx, who: &AuthContext, patient: PatientId) -> payments::AccountView {
    // `account` itself refuses to answer if the identity does not hold.
    payments::account(&ctx.services, who, &patient.to_string()).await.unwrap()
}

/// Rows as the database owner sees them (every clinic, behind the app's back).
async fn owner_count(ctx: &Ctx, sql: &str) -> i64 {
    let mut tx = ctx.owner_db.read().await.unwrap();
    let (n,): (i64,) = on_tx!(&mut tx, c => sqlx::query_as(sql).fetch_one(c).await).unwrap();
    n
}

/// A fingerprint of every billing table, to show a refused request changed nothing.
async fn billing_state(ctx: &Ctx) -> Vec<i64> {
    let mut out = Vec::new();
    for sql in [
        "SELECT COUNT(*) FROM invoices",
        "SELECT COUNT(*) FROM invoice_lines",
        "SELECT COUNT(*) FROM payments",
        "SELECT COUNT(*) FROM payment_allocations",
        "SELECT COUNT(*) FROM refunds",
        "SELECT COALESCE(CAST(SUM(paid_minor + 3 * credited_minor + 7 * total_minor) AS BIGINT), 0) FROM invoices",
        "SELECT COALESCE(CAST(SUM(allocated_minor + 3 * refunded_minor) AS BIGINT), 0) FROM payments",
        "SELECT COUNT(*) FROM invoices WHERE status = 'void'",
        "SELECT COALESCE(MAX(last_number), 0) FROM billing_counters",
    ] {
        out.push(owner_count(ctx, sql).await);
    }
    out
}

async fn audit_entries(ctx: &Ctx, who: &AuthContext) -> Vec<audit::StoredEntry> {
    let mut tx = ctx.services.db.read_in(&who.scope).await.unwrap();
    audit::search(&mut tx, &who.scope, &audit::Filter { limit: 10_000, ..Default::default() }).await.unwrap()
}

/// Every document's totals are the sums of its lines, in the database.
async fn totals_are_sums_of_lines(ctx: &Ctx) {
    let broken = owner_count(
        ctx,
        "SELECT COUNT(*) FROM invoices i WHERE i.status <> 'draft' AND (
             i.total_minor <> (SELECT COALESCE(SUM(l.total_minor), 0) FROM invoice_lines l WHERE l.clinic_id = i.clinic_id AND l.invoice_id = i.id)
          OR i.tax_minor <> (SELECT COALESCE(SUM(l.tax_minor), 0) FROM invoice_lines l WHERE l.clinic_id = i.clinic_id AND l.invoice_id = i.id)
          OR i.paid_minor <> (SELECT COALESCE(SUM(a.amount_minor), 0) FROM payment_allocations a WHERE a.clinic_id = i.clinic_id AND a.invoice_id = i.id))",
    )
    .await;
    assert_eq!(broken, 0, "documents whose totals or paid amounts differ from their lines or allocations");
}

async fn concurrent_issues_are_numbered_without_gaps(ctx: Ctx) {
    let c = clinic(&ctx, "Harbour", "owner@a.example").await;
    let other = clinic(&ctx, "Riverside", "owner@b.example").await;
    const N: usize = 50;
    let mut drafts = Vec::new();
    for n in 0..N {
        let form = invoice_form(c.patients[n % 3], vec![line("Consultation", "1", "45.00", "")]);
        drafts.push(invoices::create(&ctx.services, &c.owner, &form).await.unwrap().id);
    }
    // One draft of another clinic issued in the middle: its own sequence.
    let theirs = invoices::create(&ctx.services, &other.owner, &invoice_form(other.patients[0], vec![line("X", "1", "1", "")])).await.unwrap();
    let mut tasks = Vec::new();
    for id in &drafts {
        let services = ctx.services.clone();
        let who = c.owner.clone();
        let id = id.to_string();
        tasks.push(tokio::spawn(async move { invoices::issue(&services, &who, &id).await }));
    }
    let their_number = invoices::issue(&ctx.services, &other.owner, &theirs.id.to_string()).await.unwrap().number;
    let mut numbers = Vec::new();
    for task in tasks {
        numbers.push(task.await.unwrap().unwrap().number.unwrap());
    }
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=N as i64).collect::<Vec<_>>(), "exactly 1..{N}: no gaps, no duplicates");
    assert_eq!(their_number, Some(1), "each clinic counts from 1");
    // Issuing the same draft twice at once: one wins, the other is told.
    let draft = invoices::create(&ctx.services, &c.owner, &invoice_form(c.patients[0], vec![line("X", "1", "1", "")])).await.unwrap();
    let draft_id = draft.id.to_string();
    let (a, b) = tokio::join!(
        invoices::issue(&ctx.services, &c.owner, &draft_id),
        invoices::issue(&ctx.services, &c.owner, &draft_id)
    );
    let won: Vec<_> = [a, b].into_iter().filter_map(|r| r.ok()).collect();
    assert_eq!(won.len(), 1);
    assert_eq!(won[0].number, Some(N as i64 + 1));
    assert_eq!(owner_count(&ctx, "SELECT COUNT(DISTINCT number) FROM invoices WHERE kind = 'invoice' AND number IS NOT NULL").await, N as i64 + 1);
}

async fn issued_invoices_are_final_in_the_service_and_the_database(ctx: Ctx) {
    let c = clinic(&ctx, "Harbour", "owner@a.example").await;
    let p = c.patients[0];
    let draft = invoices::create(
        &ctx.services,
        &c.owner,
        &invoice_form(p, vec![line("Consultation", "1", "45.00", "6"), line("Dressing", "2", "3.50", "23")]),
    )
    .await
    .unwrap();
    assert_eq!(draft.status, InvoiceStatus::Draft);
    assert_eq!(draft.label, "Draft");
    // 45.00 + 2.70 tax; 7.00 + 1.61 tax.
    assert_eq!((draft.subtotal.minor, draft.tax.minor, draft.total.minor), (5200, 431, 5631));
    // A draft can change.
    let changed = invoices::update_draft(&ctx.services, &c.owner, &draft.id.to_string(), &invoice_form(p, vec![line("Consultation", "1", "50", "")]))
        .await
        .unwrap();
    assert_eq!(changed.total.minor, 5000);
    assert_eq!(changed.lines.len(), 1);
    let issued = invoices::issue(&ctx.services, &c.owner, &draft.id.to_string()).await.unwrap();
    assert_eq!((issued.status, issued.label.as_str(), issued.due.minor), (InvoiceStatus::Issued, "INV-000001", 5000));
    let issued_day = issued.issued_at.unwrap().0.with_timezone(&chrono_tz::Europe::Lisbon).date_naive();
    assert_eq!(issued.due_on, Some(issued_day + Duration::days(30)));
    let id = issued.id.to_string();
    let before = billing_state(&ctx).await;
    // The service refuses edits and deletion.
    assert!(field(invoices::update_draft(&ctx.services, &c.owner, &id, &invoice_form(p, vec![line("X", "1", "1", "")])).await, "status").contains("can no longer be changed"));
    field(invoices::delete_draft(&ctx.services, &c.owner, &id).await, "status");
    field(invoices::issue(&ctx.services, &c.owner, &id).await, "status");
    // The database refuses them too, for the application's role and for the owner.
    for db in [ctx.services.db.clone(), ctx.owner_db.clone()] {
        for sql in [
            "UPDATE invoices SET total_minor = 1, subtotal_minor = 1 WHERE number = 1",
            "UPDATE invoices SET number = 99 WHERE number = 1",
            "UPDATE invoices SET status = 'draft', number = NULL, issued_at = NULL WHERE number = 1",
            "UPDATE invoice_lines SET unit_price_minor = 1, net_minor = 1, total_minor = 1",
            "DELETE FROM invoice_lines",
            "DELETE FROM invoices",
        ] {
            let mut tx = db.write_in(&c.owner.scope).await.unwrap();
            let result = on_tx!(&mut tx, conn => sqlx::query(sql).execute(conn).await.map(|r| r.rows_affected()));
            let error = result.expect_err(sql).to_string();
            assert!(error.contains("is issued"), "{sql}: {error}");
        }
        // Adding a line behind the service's back is refused as well.
        let mut tx = db.write_in(&c.owner.scope).await.unwrap();
        let result = on_tx!(&mut tx, conn => sqlx::query(
            "INSERT INTO invoice_lines (clinic_id, id, invoice_id, position, description, quantity_milli, unit_price_minor,
                                        discount_minor, tax_rate_bp, net_minor, tax_minor, total_minor, created_at)
             VALUES ($1, $2, $3, 9, 'Sneaky', 1000, 100, 0, 0, 100, 0, 100, $4)",
        )
        .bind(c.owner.scope.clinic_id().as_uuid())
        .bind(uuid::Uuid::now_v7())
        .bind(issued.id.as_uuid())
        .bind(DbTime::now())
        .execute(conn).await.map(|r| r.rows_affected()));
        assert!(result.expect_err("line on an issued invoice").to_string().contains("is issued"));
    }
    assert_eq!(billing_state(&ctx).await, before, "nothing changed");
    let again = get(&ctx, &c.owner, &issued).await;
    assert_eq!(again, issued);
    // Settlement still moves: a payment is allowed.
    payments::record(&ctx.services, &c.owner, &pay_form(p, "20", &[(&issued, "")])).await.unwrap();
    assert_eq!(get(&ctx, &c.owner, &issued).await.status, InvoiceStatus::PartiallyPaid);
    // Payments, allocations and refunds are final too.
    for sql in ["UPDATE payments SET amount_minor = 1", "DELETE FROM payments", "UPDATE payment_allocations SET amount_minor = 1", "DELETE FROM payment_allocations"] {
        let mut tx = ctx.owner_db.write_in(&c.owner.scope).await.unwrap();
        let result = on_tx!(&mut tx, conn => sqlx::query(sql).execute(conn).await.map(|r| r.rows_affected()));
        assert!(result.is_err(), "{sql} must be refused");
    }
    totals_are_sums_of_lines(&ctx).await;
}

async fn credit_notes_and_void_with_a_reason(ctx: Ctx) {
    let c = clinic(&ctx, "Harbour", "owner@a.example").await;
    let p = c.patients[0];
    let draft = invoices::create(
        &ctx.services,
        &c.owner,
        &invoice_form(p, vec![line("Consultation", "1", "45.00", "6"), line("Dressing", "3", "0.33", "23")]),
    )
    .await
    .unwrap();
    let a = invoices::issue(&ctx.services, &c.owner, &draft.id.to_string()).await.unwrap();
    // 47.70 + (0.99 + 0.23) = 48.92
    assert_eq!(a.total.minor, 4892);
    // A partial credit note: the dressing, typed as positive amounts.
    let partial = CreditNoteForm { reason: "Dressing not used".into(), lines: vec![line("Dressing", "3", "0.33", "23")], ..Default::default() };
    let cn = invoices::credit_note(&ctx.services, &c.owner, &a.id.to_string(), &partial).await.unwrap();
    assert!(cn.is_credit_note);
    assert_eq!((cn.label.as_str(), cn.total.minor, cn.tax.minor), ("CN-000001", -122, -23));
    assert_eq!(cn.credit_of.as_ref().map(|r| r.label.as_str()), Some("INV-000001"));
    assert_eq!(cn.reason.as_deref(), Some("Dressing not used"));
    let a1 = get(&ctx, &c.owner, &a).await;
    assert_eq!((a1.credited.minor, a1.due.minor, a1.status), (122, 4770, InvoiceStatus::Issued));
    assert_eq!(a1.credit_notes.len(), 1);
    // Crediting more than is left, or the whole after a partial: refused, nothing changes.
    let before = billing_state(&ctx).await;
    let too_much = CreditNoteForm { reason: "Everything twice".into(), lines: vec![line("Consultation", "2", "45.00", "6")], ..Default::default() };
    assert!(field(invoices::credit_note(&ctx.services, &c.owner, &a.id.to_string(), &too_much).await, "lines").contains("left to credit"));
    let whole = CreditNoteForm { reason: "Wrong patient".into(), whole: Some("on".into()), ..Default::default() };
    field(invoices::credit_note(&ctx.services, &c.owner, &a.id.to_string(), &whole).await, "whole");
    field(invoices::credit_note(&ctx.services, &c.owner, &a.id.to_string(), &CreditNoteForm { reason: "".into(), ..whole.clone() }).await, "reason");
    // Voiding a credited invoice is refused: credit the rest instead.
    field(invoices::void(&ctx.services, &c.owner, &a.id.to_string(), &ReasonForm { reason: "Duplicate".into() }).await, "status");
    assert_eq!(billing_state(&ctx).await, before);
    // The rest of the consultation, then it is fully credited.
    let rest = CreditNoteForm { reason: "Goodwill".into(), lines: vec![line("Consultation", "1", "45.00", "6")], ..Default::default() };
    let cn2 = invoices::credit_note(&ctx.services, &c.owner, &a.id.to_string(), &rest).await.unwrap();
    assert_eq!((cn2.label.as_str(), cn2.total.minor), ("CN-000002", -4770));
    assert_eq!(get(&ctx, &c.owner, &a).await.status, InvoiceStatus::Credited);

    // A whole credit note on a paid invoice: the payment becomes credit.
    let b = issued(&ctx, &c.owner, p, "30.00").await;
    payments::record(&ctx.services, &c.owner, &pay_form(p, "30", &[(&b, "")])).await.unwrap();
    assert_eq!(get(&ctx, &c.owner, &b).await.status, InvoiceStatus::Paid);
    let cn3 = invoices::credit_note(&ctx.services, &c.owner, &b.id.to_string(), &whole).await.unwrap();
    assert_eq!(cn3.total.minor, -3000);
    let b1 = get(&ctx, &c.owner, &b).await;
    assert_eq!((b1.paid.minor, b1.credited.minor, b1.status), (0, 3000, InvoiceStatus::Credited));
    let acc = account(&ctx, &c.owner, p).await;
    assert_eq!((acc.balance.minor, acc.credit.minor, acc.due.minor), (-3000, 3000, 0));

    // Void with a reason: only while nothing is paid or credited.
    let v = issued(&ctx, &c.owner, p, "12.00").await;
    let before = billing_state(&ctx).await;
    field(invoices::void(&ctx.services, &c.owner, &v.id.to_string(), &ReasonForm { reason: " ".into() }).await, "reason");
    assert_eq!(billing_state(&ctx).await, before);
    let voided = invoices::void(&ctx.services, &c.owner, &v.id.to_string(), &ReasonForm { reason: "Issued to the wrong patient".into() }).await.unwrap();
    assert_eq!((voided.status, voided.void_reason.as_deref()), (InvoiceStatus::Void, Some("Issued to the wrong patient")));
    assert_eq!(voided.number, v.number, "a void invoice keeps its number: no gap");
    // A payment on a void invoice, voiding twice, crediting a void invoice: refused, nothing changes.
    let before = billing_state(&ctx).await;
    assert!(field(payments::record(&ctx.services, &c.owner, &pay_form(p, "12", &[(&v, "")])).await, "allocations.0.invoice_id").contains("void"));
    field(invoices::void(&ctx.services, &c.owner, &v.id.to_string(), &ReasonForm { reason: "Again".into() }).await, "status");
    field(invoices::credit_note(&ctx.services, &c.owner, &v.id.to_string(), &whole).await, "status");
    assert_eq!(billing_state(&ctx).await, before);
    // The database refuses un-voiding.
    let mut tx = ctx.owner_db.write_in(&c.owner.scope).await.unwrap();
    let result = on_tx!(&mut tx, conn => sqlx::query("UPDATE invoices SET status = 'issued', void_reason = NULL WHERE status = 'void'").execute(conn).await.map(|r| r.rows_affected()));
    assert!(result.is_err());
    drop(tx);
    // Paid invoices cannot be voided either.
    let paid = issued(&ctx, &c.owner, p, "5.00").await;
    payments::record(&ctx.services, &c.owner, &pay_form(p, "1", &[(&paid, "")])).await.unwrap();
    assert!(field(invoices::void(&ctx.services, &c.owner, &paid.id.to_string(), &ReasonForm { reason: "Oops".into() }).await, "status").contains("refund"));
    let acc = account(&ctx, &c.owner, p).await;
    assert_eq!(acc.totals.invoiced, 4892 + 3000 + 500, "the void invoice counts for nothing");
    assert!(acc.entries.iter().any(|e| e.description.ends_with("voided")));
    let actions: Vec<String> = audit_entries(&ctx, &c.owner).await.into_iter().map(|e| e.action).collect();
    for action in ["invoice.create", "invoice.issue", "invoice.credit", "invoice.void", "payment.create"] {
        assert!(actions.iter().any(|a| a == action), "{action} audited");
    }
    totals_are_sums_of_lines(&ctx).await;
}

async fn payments_split_overpay_and_refund(ctx: Ctx) {
    let c = clinic(&ctx, "Harbour", "owner@a.example").await;
    let p = c.patients[0];
    let a = issued(&ctx, &c.owner, p, "100.00").await;
    let b = issued(&ctx, &c.owner, p, "50.00").await;
    // One payment split across two invoices.
    let r1 = payments::record(&ctx.services, &c.owner, &pay_form(p, "120", &[(&a, "100"), (&b, "20")])).await.unwrap();
    assert_eq!(r1.label, "RCT-000001");
    assert_eq!(r1.allocations.iter().map(|x| x.2.minor).collect::<Vec<_>>(), vec![10_000, 2_000]);
    assert_eq!(r1.credit.minor, 0);
    assert_eq!(get(&ctx, &c.owner, &a).await.status, InvoiceStatus::Paid);
    assert_eq!(get(&ctx, &c.owner, &b).await.status, InvoiceStatus::PartiallyPaid);
    // An overpayment with no invoice chosen: the open invoice first, the rest is credit.
    let r2 = payments::record(&ctx.services, &c.owner, &PaymentForm { method: "cash".into(), ..pay_form(p, "80", &[]) }).await.unwrap();
    assert_eq!((r2.allocations.len(), r2.credit.minor), (1, 5_000));
    let b1 = get(&ctx, &c.owner, &b).await;
    assert_eq!((b1.status, b1.paid.minor), (InvoiceStatus::Paid, 5_000), "never paid more than owed");
    let acc = account(&ctx, &c.owner, p).await;
    assert_eq!((acc.balance.minor, acc.credit.minor, acc.due.minor), (-5_000, 5_000, 0));
    assert_eq!((acc.totals.invoiced, acc.totals.paid), (15_000, 20_000));
    // Paying more than is due on a chosen invoice is refused.
    let c3 = issued(&ctx, &c.owner, p, "10.00").await;
    let before = billing_state(&ctx).await;
    assert!(field(payments::record(&ctx.services, &c.owner, &pay_form(p, "20", &[(&c3, "15")])).await, "allocations.0.amount").contains("Only 10.00 EUR"));
    assert_eq!(billing_state(&ctx).await, before);
    // The credit pays the new invoice.
    let c3 = invoices::apply_credit(&ctx.services, &c.owner, &c3.id.to_string()).await.unwrap();
    assert_eq!((c3.status, c3.paid.minor), (InvoiceStatus::Paid, 1_000));
    assert_eq!(account(&ctx, &c.owner, p).await.credit.minor, 4_000);
    // Refunds: never more than the payment less earlier refunds; nothing changes when refused.
    let r2_id = r2.payment_id.to_string();
    let before = billing_state(&ctx).await;
    let refund = |amount: &str| RefundForm { amount: amount.into(), reason: "Patient moved away".into(), method: String::new() };
    assert!(field(payments::refund(&ctx.services, &c.owner, &r2_id, &refund("80.01")).await, "amount").contains("larger than the payment"));
    field(payments::refund(&ctx.services, &c.owner, &r2_id, &RefundForm { reason: String::new(), ..refund("1") }).await, "reason");
    field(payments::refund(&ctx.services, &c.owner, &r2_id, &refund("-5")).await, "amount");
    field(payments::refund(&ctx.services, &c.owner, &r2_id, &refund("1.001")).await, "amount");
    assert_eq!(billing_state(&ctx).await, before);
    // 50 back: 30 of the second payment's remaining credit first, then 20 off its latest invoice.
    let after = payments::refund(&ctx.services, &c.owner, &r2_id, &refund("50")).await.unwrap();
    assert_eq!(after.refunded.minor, 5_000);
    assert_eq!(after.credit.minor, 0);
    let acc = account(&ctx, &c.owner, p).await;
    assert_eq!(acc.totals.refunded, 5_000);
    assert_eq!(acc.balance.minor, 15_000 + 1_000 - 20_000 + 5_000);
    assert!(acc.due.minor > 0, "the refund reopened an invoice");
    // The rest of that payment, then nothing more.
    payments::refund(&ctx.services, &c.owner, &r2_id, &refund("30")).await.unwrap();
    field(payments::refund(&ctx.services, &c.owner, &r2_id, &refund("0.01")).await, "amount");
    let receipt = payments::get_receipt(&ctx.services, &c.owner, &r2_id).await.unwrap();
    assert_eq!((receipt.amount.minor, receipt.refunded.minor, receipt.clinic_name.as_str()), (8_000, 8_000, "Harbour"));
    let acc = account(&ctx, &c.owner, p).await;
    assert_eq!(acc.entries.last().map(|e| e.balance), Some(acc.balance));
    totals_are_sums_of_lines(&ctx).await;
}

async fn bad_input_is_refused_and_changes_nothing(ctx: Ctx) {
    let c = clinic(&ctx, "Harbour", "owner@a.example").await;
    let p = c.patients[0];
    let inv = issued(&ctx, &c.owner, p, "40.00").await;
    let before = billing_state(&ctx).await;
    let create = |lines| {
        let form = invoice_form(p, lines);
        let services = ctx.services.clone();
        let owner = c.owner.clone();
        async move { invoices::create(&services, &owner, &form).await }
    };
    assert_eq!(field(create(vec![line("Consultation", "-1", "45", "")]).await, "lines.0.quantity"), "Enter a quantity greater than zero.");
    assert_eq!(field(create(vec![line("Consultation", "1", "12.345", "")]).await, "lines.0.unit_price"), "EUR takes at most 2 decimals.");
    assert!(field(create(vec![line("Consultation", "1", "12.00 USD", "")]).await, "lines.0.unit_price").contains("USD"));
    assert!(field(create(vec![line(&"x".repeat(1_000_000), "1", "1", "")]).await, "lines.0.description").contains("200"));
    assert!(field(create(vec![line("Consultation", "1", "1", "150")]).await, "lines.0.tax_rate").contains("100"));
    assert_eq!(field(create(vec![InvoiceLineForm { discount: "50".into(), ..line("X", "1", "45", "") }]).await, "lines.0.discount"), "The discount is larger than the line.");
    assert_eq!(field(create(vec![]).await, "lines"), "Add at least one line.");
    assert!(field(create(vec![line("X", "100000", "99999999999", "")]).await, "lines.0.unit_price").contains("too large"));
    let past = InvoiceForm { due_on: "2020-01-01".into(), ..invoice_form(p, vec![line("X", "1", "1", "")]) };
    field(invoices::create(&ctx.services, &c.owner, &past).await, "due_on");
    let nobody = invoice_form(PatientId::from_uuid(uuid::Uuid::now_v7()), vec![line("X", "1", "1", "")]);
    assert!(matches!(invoices::create(&ctx.services, &c.owner, &nobody).await, Err(ServiceError::NotFound)));
    // Payments: foreign currency, zero, unknown method, another patient's invoice.
    assert!(field(payments::record(&ctx.services, &c.owner, &PaymentForm { currency: "USD".into(), ..pay_form(p, "40", &[(&inv, "")]) }).await, "currency").contains("EUR"));
    field(payments::record(&ctx.services, &c.owner, &pay_form(p, "0", &[])).await, "amount");
    field(payments::record(&ctx.services, &c.owner, &PaymentForm { method: "barter".into(), ..pay_form(p, "1", &[]) }).await, "method");
    field(payments::record(&ctx.services, &c.owner, &pay_form(c.patients[1], "40", &[(&inv, "")])).await, "allocations.0.invoice_id");
    field(payments::record(&ctx.services, &c.owner, &pay_form(p, "10", &[(&inv, "20")])).await, "amount");
    assert_eq!(billing_state(&ctx).await, before, "nothing changed");
    // Markup is text, kept as typed (pages escape it).
    let marked = create(vec![line("<script>alert(1)</script>", "1", "1", "")]).await.unwrap();
    assert_eq!(marked.lines[0].description, "<script>alert(1)</script>");
    // A fee-schedule service with a bad price or a duplicate code.
    let service = FeeServiceForm { code: "99213".into(), description: "Consultation".into(), price: "45.00".into(), ..Default::default() };
    fee_schedule::create(&ctx.services, &c.owner, &service).await.unwrap();
    assert!(field(fee_schedule::create(&ctx.services, &c.owner, &service).await, "code").contains("already"));
    field(fee_schedule::create(&ctx.services, &c.owner, &FeeServiceForm { code: "X1".into(), price: "4.555".into(), ..service.clone() }).await, "price");
}

async fn permissions_are_enforced_and_denials_audited(ctx: Ctx) {
    let c = clinic(&ctx, "Harbour", "owner@a.example").await;
    let p = c.patients[0];
    let billing = join(&ctx, &c.owner, "billing@a.example", "billing").await;
    let desk = join(&ctx, &c.owner, "desk@a.example", "front_desk").await;
    let nurse = join(&ctx, &c.owner, "nurse@a.example", "nurse").await;
    let admin = join(&ctx, &c.owner, "admin@a.example", "admin").await;
    // Billing staff do the whole cycle.
    let inv = issued(&ctx, &billing, p, "60.00").await;
    let receipt = payments::record(&ctx.services, &billing, &pay_form(p, "60", &[(&inv, "")])).await.unwrap();
    payments::refund(&ctx.services, &billing, &receipt.payment_id.to_string(), &RefundForm { amount: "10".into(), reason: "Discount agreed".into(), method: "cash".into() })
        .await
        .unwrap();
    let other = issued(&ctx, &admin, p, "15.00").await;
    invoices::void(&ctx.services, &billing, &other.id.to_string(), &ReasonForm { reason: "Duplicate".into() }).await.unwrap();
    // Front desk may read but not bill; nurses neither.
    invoices::get(&ctx.services, &desk, &inv.id.to_string()).await.unwrap();
    payments::account(&ctx.services, &desk, &p.to_string()).await.unwrap();
    let before = billing_state(&ctx).await;
    let forbidden = |r: Result<(), ServiceError>| assert!(matches!(r, Err(ServiceError::Forbidden)), "{r:?}");
    forbidden(invoices::create(&ctx.services, &desk, &invoice_form(p, vec![line("X", "1", "1", "")])).await.map(|_| ()));
    forbidden(invoices::issue(&ctx.services, &desk, &inv.id.to_string()).await.map(|_| ()));
    forbidden(invoices::void(&ctx.services, &desk, &inv.id.to_string(), &ReasonForm { reason: "No".into() }).await.map(|_| ()));
    forbidden(payments::record(&ctx.services, &desk, &pay_form(p, "1", &[])).await.map(|_| ()));
    forbidden(payments::refund(&ctx.services, &desk, &receipt.payment_id.to_string(), &RefundForm { amount: "1".into(), reason: "Why not".into(), method: String::new() }).await.map(|_| ()));
    forbidden(invoices::get(&ctx.services, &nurse, &inv.id.to_string()).await.map(|_| ()));
    forbidden(reports::aging(&ctx.services, &nurse, "").await.map(|_| ()));
    let period = PeriodForm { from: "2026-01-01".into(), to: "2026-12-31".into(), group_by: String::new() };
    // The export needs ExportData: billing staff may not, administrators may.
    forbidden(reports::export_csv(&ctx.services, &billing, &period).await.map(|_| ()));
    reports::export_csv(&ctx.services, &admin, &period).await.unwrap();
    assert_eq!(billing_state(&ctx).await, before);
    let denied: Vec<(String, String)> = audit_entries(&ctx, &c.owner)
        .await
        .into_iter()
        .filter(|e| e.outcome == "denied")
        .map(|e| (e.actor_name, e.action))
        .collect();
    for action in ["invoice.create", "invoice.issue", "invoice.void", "payment.create", "payment.refund", "invoice.read", "billing.report", "billing.export"] {
        assert!(denied.iter().any(|(_, a)| a == action), "denial of {action} audited: {denied:?}");
    }
}

async fn another_clinics_invoices_are_not_found(ctx: Ctx) {
    let a = clinic(&ctx, "Harbour", "owner@a.example").await;
    let b = clinic(&ctx, "Riverside", "owner@b.example").await;
    let inv = issued(&ctx, &a.owner, a.patients[0], "70.00").await;
    let receipt = payments::record(&ctx.services, &a.owner, &pay_form(a.patients[0], "10", &[(&inv, "")])).await.unwrap();
    let before = billing_state(&ctx).await;
    let id = inv.id.to_string();
    let not_found = |r: Result<(), ServiceError>| assert!(matches!(r, Err(ServiceError::NotFound)), "{r:?}");
    not_found(invoices::get(&ctx.services, &b.owner, &id).await.map(|_| ()));
    not_found(invoices::issue(&ctx.services, &b.owner, &id).await.map(|_| ()));
    not_found(invoices::void(&ctx.services, &b.owner, &id, &ReasonForm { reason: "Mine now".into() }).await.map(|_| ()));
    not_found(invoices::credit_note(&ctx.services, &b.owner, &id, &CreditNoteForm { reason: "Mine now".into(), whole: Some("on".into()), ..Default::default() }).await.map(|_| ()));
    not_found(invoices::update_draft(&ctx.services, &b.owner, &id, &invoice_form(b.patients[0], vec![line("X", "1", "1", "")])).await.map(|_| ()));
    not_found(payments::get_receipt(&ctx.services, &b.owner, &receipt.payment_id.to_string()).await.map(|_| ()));
    not_found(payments::refund(&ctx.services, &b.owner, &receipt.payment_id.to_string(), &RefundForm { amount: "1".into(), reason: "Mine now".into(), method: String::new() }).await.map(|_| ()));
    not_found(payments::account(&ctx.services, &b.owner, &a.patients[0].to_string()).await.map(|_| ()));
    // Paying A's invoice from B, for one of B's patients: 404 as well.
    not_found(payments::record(&ctx.services, &b.owner, &pay_form(b.patients[0], "10", &[(&inv, "")])).await.map(|_| ()));
    not_found(invoices::get(&ctx.services, &b.owner, "not-an-id").await.map(|_| ()));
    assert_eq!(billing_state(&ctx).await, before);
    let denied = audit_entries(&ctx, &b.owner).await.into_iter().filter(|e| e.outcome == "denied").count();
    assert!(denied >= 8, "each attempt is in the asking clinic's trail ({denied})");
    // B's reports do not see A's money.
    assert_eq!(reports::aging(&ctx.services, &b.owner, "").await.unwrap().rows.len(), 0);
    assert_eq!(reports::cash_up(&ctx.services, &b.owner, "").await.unwrap().payments.minor, 0);
}

async fn invoices_from_appointments_and_the_fee_schedule(ctx: Ctx) {
    let c = clinic(&ctx, "Harbour", "owner@a.example").await;
    let p = c.patients[0];
    let now = ctx.services.now();
    let mut tx = ctx.services.db.write_in(&c.owner.scope).await.unwrap();
    let silva: PractitionerId = repo::practitioners::insert(&mut tx, &c.owner.scope, None, "Dr Silva", None, "#1d4ed8", now).await.unwrap();
    tx.commit().await.unwrap();
    let type_form = |name: &str, price: &str| AppointmentTypeForm {
        name: name.into(),
        duration_minutes: "30".into(),
        buffer_minutes: "0".into(),
        colour: "#3366cc".into(),
        price_minor: price.into(),
        online_booking: None,
    };
    let physio: AppointmentTypeId = setup::create_type(&ctx.services, &c.owner, &type_form("Physiotherapy", "4000"), &[]).await.unwrap().id;
    let consult: AppointmentTypeId = setup::create_type(&ctx.services, &c.owner, &type_form("Consultation", "4500"), &[]).await.unwrap().id;
    let free: AppointmentTypeId = setup::create_type(&ctx.services, &c.owner, &type_form("Follow-up", ""), &[]).await.unwrap().id;
    let service = fee_schedule::create(
        &ctx.services,
        &c.owner,
        &FeeServiceForm {
            code: "97110".into(),
            description: "Therapeutic exercise".into(),
            price: "42.50".into(),
            tax_rate: "6".into(),
            appointment_type_id: physio.to_string(),
        },
    )
    .await
    .unwrap();
    assert_eq!(fee_schedule::list(&ctx.services, &c.owner).await.unwrap(), vec![service.clone()]);
    let appointment = |type_id, hour: i64| {
        let services = ctx.services.clone();
        let scope = c.owner.scope.clone();
        async move {
            let start = DbTime::from(chrono::Utc::now() - Duration::hours(hour));
            let end = DbTime::from(start.0 + Duration::minutes(30));
            let mut tx = services.db.write_in(&scope).await.unwrap();
            let a = NewAppointment {
                patient_id: p,
                practitioner_id: silva,
                type_id,
                room_id: None,
                series_id: None,
                starts_at: start,
                ends_at: end,
                blocks_until: end,
                status: AppointmentStatus::Completed,
                notes: None,
                override_reason: None,
            };
            let id = repo::appointments::insert(&mut tx, &scope, a, services.now()).await.unwrap();
            tx.commit().await.unwrap();
            id
        }
    };
    let a1 = appointment(physio, 5).await;
    let a2 = appointment(consult, 3).await;
    let a3 = appointment(free, 2).await;
    // The linked service pre-fills the line (code, price, tax).
    let i1 = invoices::create_from_appointment(&ctx.services, &c.owner, &a1.to_string()).await.unwrap();
    assert_eq!(i1.lines[0].code.as_deref(), Some("97110"));
    assert_eq!((i1.subtotal.minor, i1.tax.minor, i1.total.minor), (4250, 255, 4505));
    assert_eq!(i1.appointment_id, Some(a1));
    // Without a service, the type's price.
    let i2 = invoices::create_from_appointment(&ctx.services, &c.owner, &a2.to_string()).await.unwrap();
    assert_eq!((i2.lines[0].description.as_str(), i2.total.minor), ("Consultation", 4500));
    // Without either: typed by hand.
    field(invoices::create_from_appointment(&ctx.services, &c.owner, &a3.to_string()).await, "appointment_id");
    // Once per appointment.
    assert!(field(invoices::create_from_appointment(&ctx.services, &c.owner, &a1.to_string()).await, "appointment_id").contains("already"));
    // A price change on the schedule leaves issued invoices alone.
    let i1 = invoices::issue(&ctx.services, &c.owner, &i1.id.to_string()).await.unwrap();
    fee_schedule::update(
        &ctx.services,
        &c.owner,
        &service.id.to_string(),
        &FeeServiceForm { code: "97110".into(), description: "Therapeutic exercise".into(), price: "50".into(), tax_rate: "6".into(), appointment_type_id: physio.to_string() },
    )
    .await
    .unwrap();
    assert_eq!(get(&ctx, &c.owner, &i1).await.total.minor, 4505);
    // Revenue by practitioner follows the appointment.
    invoices::issue(&ctx.services, &c.owner, &i2.id.to_string()).await.unwrap();
    let today = ctx.services.now().0.date_naive();
    let period = PeriodForm { from: (today - Duration::days(1)).to_string(), to: (today + Duration::days(1)).to_string(), group_by: "month".into() };
    let revenue = reports::revenue(&ctx.services, &c.owner, &period).await.unwrap();
    assert_eq!(revenue.by_practitioner, vec![("Dr Silva".to_owned(), ambula_domain::billing::Money::new(8750, ambula_domain::billing::Currency::EUR))]);
    // A deactivated service is offered no more.
    fee_schedule::set_active(&ctx.services, &c.owner, &service.id.to_string(), false).await.unwrap();
    let with_service = invoice_form(p, vec![InvoiceLineForm { service_id: service.id.to_string(), ..Default::default() }]);
    field(invoices::create(&ctx.services, &c.owner, &with_service).await, "lines.0.service_id");
}

async fn reports_aging_cash_up_revenue_and_export(ctx: Ctx) {
    let c = clinic(&ctx, "Harbour", "owner@a.example").await;
    let billing = join(&ctx, &c.owner, "billing@a.example", "billing").await;
    let [p0, p1, p2] = [c.patients[0], c.patients[1], c.patients[2]];
    let i1 = issued(&ctx, &c.owner, p0, "100.00").await;
    let i2 = issued(&ctx, &billing, p1, "40.00").await;
    let i3 = invoices::create(&ctx.services, &c.owner, &invoice_form(p2, vec![line("=HYPERLINK(\"http://x\")", "2", "10", "23")])).await.unwrap();
    let i3 = invoices::issue(&ctx.services, &c.owner, &i3.id.to_string()).await.unwrap();
    payments::record(&ctx.services, &c.owner, &pay_form(p0, "30", &[(&i1, "")])).await.unwrap();
    let with_formula = PaymentForm { method: "cash".into(), reference: "=1+1".into(), ..pay_form(p1, "40", &[(&i2, "")]) };
    payments::record(&ctx.services, &billing, &with_formula).await.unwrap();
    let r = payments::record(&ctx.services, &billing, &PaymentForm { method: "cash".into(), ..pay_form(p2, "5", &[(&i3, "")]) }).await.unwrap();
    payments::refund(&ctx.services, &billing, &r.payment_id.to_string(), &RefundForm { amount: "2".into(), reason: "Overcharged".into(), method: String::new() })
        .await
        .unwrap();
    // Aging: due 30 days after issue.
    let due_on = i1.due_on.unwrap();
    let aging = reports::aging(&ctx.services, &c.owner, &due_on.to_string()).await.unwrap();
    assert_eq!(aging.rows.len(), 2, "paid invoices are not receivables");
    assert_eq!(aging.buckets.map(|m| m.minor), [7_000 + 2_460 - 300, 0, 0, 0]);
    let later = reports::aging(&ctx.services, &c.owner, &(due_on + Duration::days(45)).to_string()).await.unwrap();
    assert_eq!(later.buckets.map(|m| m.minor), [0, 9_160, 0, 0]);
    let much_later = reports::aging(&ctx.services, &c.owner, &(due_on + Duration::days(100)).to_string()).await.unwrap();
    assert_eq!(much_later.buckets.map(|m| m.minor), [0, 0, 0, 9_160]);
    assert_eq!(much_later.total.minor, 9_160);
    assert!(much_later.rows.iter().all(|r| r.days_overdue == 100));
    // Each line names its patient (looked up for all lines at once); a
    // restricted record only by its MRN.
    let named = |report: &reports::AgingReport, id: PatientId| report.rows.iter().find(|r| r.patient_id == id).map(|r| r.patient.clone()).unwrap();
    assert!(named(&aging, p0).ends_with(" Ana Costa"), "{}", named(&aging, p0));
    assert!(named(&aging, p2).ends_with(" Carla Mendes"), "{}", named(&aging, p2));
    let mut tx = ctx.services.db.write_in(&c.owner.scope).await.unwrap();
    ambula_backend::repo::patients::set_restricted(&mut tx, &c.owner.scope, p2, true).await.unwrap();
    tx.commit().await.unwrap();
    let restricted = reports::aging(&ctx.services, &c.owner, &due_on.to_string()).await.unwrap();
    assert!(named(&restricted, p2).ends_with(" (restricted)") && !named(&restricted, p2).contains("Carla"), "{}", named(&restricted, p2));
    assert!(named(&restricted, p0).ends_with(" Ana Costa"));
    // Cash-up for today: per method and per staff member.
    let cash = reports::cash_up(&ctx.services, &c.owner, "").await.unwrap();
    let method = |m: &str| cash.by_method.iter().find(|(k, _)| k.as_str() == m).map(|(_, v)| v.minor).unwrap();
    assert_eq!((method("card"), method("cash"), method("bank_transfer")), (3_000, 4_300, 0));
    assert_eq!((cash.payments.minor, cash.refunds.minor, cash.net.minor), (7_500, 200, 7_300));
    assert_eq!(cash.by_staff, vec![("Marta Reis".to_owned(), cash.by_staff[0].1), ("Rui Tavares".to_owned(), cash.by_staff[1].1)]);
    assert_eq!((cash.by_staff[0].1.minor, cash.by_staff[1].1.minor), (3_000, 4_300));
    // Revenue (net of tax), collection rate, outstanding.
    let today = ctx.services.now().0.date_naive();
    let period = PeriodForm { from: (today - Duration::days(2)).to_string(), to: (today + Duration::days(2)).to_string(), group_by: "day".into() };
    let revenue = reports::revenue(&ctx.services, &c.owner, &period).await.unwrap();
    assert_eq!(revenue.revenue.minor, 10_000 + 4_000 + 2_000);
    assert_eq!(revenue.by_period.iter().map(|(_, m)| m.minor).sum::<i64>(), revenue.revenue.minor);
    assert_eq!(revenue.by_service.iter().map(|(_, m)| m.minor).sum::<i64>(), revenue.revenue.minor);
    assert_eq!(revenue.invoiced.minor, 16_460);
    assert_eq!(revenue.collected.minor, 7_300);
    assert_eq!(revenue.collection_rate_bp, Some(4435));
    assert_eq!(revenue.outstanding.minor, 9_160);
    field(reports::revenue(&ctx.services, &c.owner, &PeriodForm { from: "2026-02-01".into(), to: "2026-01-01".into(), group_by: String::new() }).await, "to");
    // The export: one row per document and money movement, formulas neutralised, audited.
    let csv = reports::export_csv(&ctx.services, &c.owner, &period).await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 1 + 3 + 3 + 1);
    assert!(lines[0].starts_with("record,number,date"));
    assert!(csv.contains("\"INV-000003\""));
    assert!(csv.contains(",-2.00,"), "refunds are negative amounts: {csv}");
    assert!(csv.contains("\"'=1+1\"") && !csv.contains("\"=1+1"), "formulas are neutralised: {csv}");
    let exported = audit_entries(&ctx, &c.owner).await.into_iter().filter(|e| e.action == "billing.export").count();
    assert_eq!(exported, 1);
}

/// A small deterministic generator (xorshift): the property in
/// `domain/src/billing/property.rs`, replayed against each database.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

async fn random_operations_keep_every_account_balanced(ctx: Ctx) {
    let c = clinic(&ctx, "Harbour", "owner@a.example").await;
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let mut invoices_made: Vec<(PatientId, invoices::InvoiceView)> = Vec::new();
    let mut receipts: Vec<payments::ReceiptView> = Vec::new();
    let mut refused = 0;
    for step in 0..60 {
        let p = c.patients[rng.below(3) as usize];
        let outcome: Result<(), ServiceError> = match rng.below(7) {
            0 | 1 => {
                let lines = (0..=rng.below(2))
                    .map(|k| {
                        let price = format!("{}.{:02}", rng.below(90) + 1, rng.below(100));
                        let qty = format!("{}", rng.below(3) + 1);
                        line(&format!("Item {step}/{k}"), &qty, &price, ["", "6", "13", "23"][rng.below(4) as usize])
                    })
                    .collect();
                let draft = invoices::create(&ctx.services, &c.owner, &invoice_form(p, lines)).await.unwrap();
                let view = invoices::issue(&ctx.services, &c.owner, &draft.id.to_string()).await.unwrap();
                invoices_made.push((p, view));
                Ok(())
            }
            2 | 3 => {
                // Pay (exactly, partly, or over) one invoice or none.
                let amount = format!("{}.{:02}", rng.below(120) + 1, rng.below(100));
                let chosen = if invoices_made.is_empty() { None } else { Some(rng.below(invoices_made.len() as u64) as usize) };
                let form = match chosen {
                    Some(i) if rng.below(2) == 0 => {
                        let (owner, inv) = &invoices_made[i];
                        pay_form(*owner, &amount, &[(inv, "")])
                    }
                    _ => pay_form(p, &amount, &[]),
                };
                payments::record(&ctx.services, &c.owner, &form).await.map(|r| receipts.push(r))
            }
            4 => match receipts.len() {
                0 => Ok(()),
                n => {
                    let r = &receipts[rng.below(n as u64) as usize];
                    let amount = format!("{}.{:02}", rng.below(60), rng.below(99) + 1);
                    payments::refund(&ctx.services, &c.owner, &r.payment_id.to_string(), &RefundForm { amount, reason: "Random refund".into(), method: String::new() })
                        .await
                        .map(|_| ())
                }
            },
            5 => match invoices_made.len() {
                0 => Ok(()),
                n => {
                    let (_, inv) = &invoices_made[rng.below(n as u64) as usize];
                    let form = if rng.below(2) == 0 {
                        CreditNoteForm { reason: "Random credit".into(), whole: Some("on".into()), ..Default::default() }
                    } else {
                        CreditNoteForm { reason: "Random credit".into(), lines: vec![line("Part", "1", &format!("{}", rng.below(30) + 1), "")], ..Default::default() }
                    };
                    invoices::credit_note(&ctx.services, &c.owner, &inv.id.to_string(), &form).await.map(|_| ())
                }
            },
            _ => match invoices_made.len() {
                0 => Ok(()),
                n => {
                    let (_, inv) = &invoices_made[rng.below(n as u64) as usize];
                    invoices::void(&ctx.services, &c.owner, &inv.id.to_string(), &ReasonForm { reason: "Random void".into() }).await.map(|_| ())
                }
            },
        };
        match outcome {
            Ok(()) => {}
            // Refusals (over-refund, voiding a paid invoice, crediting too much) are field errors.
            Err(ServiceError::Invalid(_)) => refused += 1,
            Err(other) => panic!("step {step}: {other:?}"),
        }
        // After every step: each account balances (the service checks the identity) …
        for patient in &c.patients {
            let acc = account(&ctx, &c.owner, *patient).await;
            assert_eq!(acc.balance.minor, acc.totals.invoiced - acc.totals.credited - acc.totals.paid + acc.totals.refunded);
            assert_eq!(acc.balance.minor, acc.due.minor - acc.credit.minor, "step {step}");
        }
        // … and every document's totals are its lines'.
        totals_are_sums_of_lines(&ctx).await;
    }
    assert!(refused > 0 && invoices_made.len() > 5, "the sequence exercised refusals and documents");
    let outstanding = owner_count(&ctx, "SELECT COALESCE(CAST(SUM(total_minor - credited_minor - paid_minor) AS BIGINT), 0) FROM invoices WHERE kind = 'invoice' AND status IN ('issued', 'partially_paid')").await;
    let mut due = 0;
    for patient in &c.patients {
        due += account(&ctx, &c.owner, *patient).await.due.minor;
    }
    assert_eq!(outstanding, due);
    let _ = ctx.kind;
}

async fn demo_invoices_balance(ctx: Ctx) {
    let seeded = ambula_backend::services::demo::seed_demo(&ctx.services).await.unwrap();
    let (email, _) = seeded.logins[0].clone();
    let signed = auth::login(
        &ctx.services,
        &ambula_domain::accounts::LoginForm { email, password: seeded.password.into() },
        &client(),
        None,
    )
    .await
    .unwrap();
    let owner = auth::authenticate(&ctx.services, &signed.token).await.unwrap();
    assert!(owner_count(&ctx, "SELECT COUNT(*) FROM invoices WHERE status <> 'draft'").await >= 4);
    totals_are_sums_of_lines(&ctx).await;
    let numbers = owner_count(&ctx, "SELECT COUNT(DISTINCT number) FROM invoices").await;
    let max = owner_count(&ctx, "SELECT MAX(number) FROM invoices").await;
    assert_eq!(numbers, max, "demo invoices are numbered 1..n");
    let aging = reports::aging(&ctx.services, &owner, "").await.unwrap();
    assert!(aging.total.minor > 0);
    let dashboard = ambula_backend::services::dashboard::figures(&ctx.services, &owner).await.unwrap();
    assert_eq!(dashboard.outstanding_minor, Some(aging.total.minor));
}

async fn payer_prices_and_packages(ctx: Ctx) {
    let c = clinic(&ctx, "Harbour", "owner@a.example").await;
    let other = clinic(&ctx, "Riverside", "owner@b.example").await;
    let [p0, p1] = [c.patients[0], c.patients[1]];
    let now = ctx.services.now();
    let mut tx = ctx.services.db.write_in(&c.owner.scope).await.unwrap();
    let silva: PractitionerId = repo::practitioners::insert(&mut tx, &c.owner.scope, None, "Dr Silva", None, "#1d4ed8", now).await.unwrap();
    tx.commit().await.unwrap();
    let physio_type = AppointmentTypeForm {
        name: "Physiotherapy".into(),
        duration_minutes: "30".into(),
        buffer_minutes: "0".into(),
        colour: "#3366cc".into(),
        price_minor: "".into(),
        online_booking: None,
    };
    let physio: AppointmentTypeId = setup::create_type(&ctx.services, &c.owner, &physio_type, &[]).await.unwrap().id;
    let service = fee_schedule::create(
        &ctx.services,
        &c.owner,
        &FeeServiceForm { code: "97110".into(), description: "Therapeutic exercise".into(), price: "42.50".into(), tax_rate: "".into(), appointment_type_id: physio.to_string() },
    )
    .await
    .unwrap();
    // A payer's own price.
    let medis = payers::create(&ctx.services, &c.owner, &PayerForm { name: "Médis".into(), kind: "insurer".into() }).await.unwrap();
    field(payers::create(&ctx.services, &c.owner, &PayerForm { name: "Médis".into(), kind: "insurer".into() }).await, "name");
    let their_payer = payers::create(&ctx.services, &other.owner, &PayerForm { name: "Other".into(), kind: "employer".into() }).await.unwrap();
    payers::set_price(&ctx.services, &c.owner, &service.id.to_string(), &PayerPriceForm { payer_id: medis.to_string(), price: "38.00".into() }).await.unwrap();
    let by_service = InvoiceLineForm { service_id: service.id.to_string(), ..Default::default() };
    let under = |payer: String| InvoiceForm { payer_id: payer, ..invoice_form(p0, vec![by_service.clone()]) };
    let priced = invoices::create(&ctx.services, &c.owner, &under(medis.to_string())).await.unwrap();
    assert_eq!((priced.total.minor, priced.payer_id), (3800, Some(medis)));
    assert_eq!(invoices::create(&ctx.services, &c.owner, &under(String::new())).await.unwrap().total.minor, 4250);
    field(invoices::create(&ctx.services, &c.owner, &under(their_payer.to_string())).await, "payer_id");
    field(payers::set_price(&ctx.services, &c.owner, &service.id.to_string(), &PayerPriceForm { payer_id: their_payer.to_string(), price: "1".into() }).await, "payer_id");
    payers::set_price(&ctx.services, &c.owner, &service.id.to_string(), &PayerPriceForm { payer_id: medis.to_string(), price: "".into() }).await.unwrap();
    assert_eq!(invoices::create(&ctx.services, &c.owner, &under(medis.to_string())).await.unwrap().total.minor, 4250);
    assert_eq!(payers::list(&ctx.services, &c.owner).await.unwrap()[0].prices, vec![]);

    // A package of three sessions, sold on an invoice the patient pays like any other.
    let form = FeePackageForm { name: "Physio ×3".into(), service_id: service.id.to_string(), sessions: "3".into(), price: "100".into(), tax_rate: "".into() };
    let package = packages::create(&ctx.services, &c.owner, &form).await.unwrap();
    field(packages::create(&ctx.services, &c.owner, &FeePackageForm { sessions: "0".into(), ..form.clone() }).await, "sessions");
    let (invoice, sold) = packages::sell(&ctx.services, &c.owner, &p0.to_string(), &package.id.to_string()).await.unwrap();
    assert_eq!((invoice.status, invoice.total.minor, invoice.lines[0].description.as_str()), (InvoiceStatus::Issued, 10_000, "Physio ×3 (3 sessions)"));
    assert_eq!((sold.remaining, sold.usable), (3, true));
    let appointment = |patient: PatientId, hours: i64| {
        let services = ctx.services.clone();
        let scope = c.owner.scope.clone();
        async move {
            let start = DbTime::from(chrono::Utc::now() - Duration::hours(hours));
            let end = DbTime::from(start.0 + Duration::minutes(30));
            let mut tx = services.db.write_in(&scope).await.unwrap();
            let a = NewAppointment {
                patient_id: patient,
                practitioner_id: silva,
                type_id: physio,
                room_id: None,
                series_id: None,
                starts_at: start,
                ends_at: end,
                blocks_until: end,
                status: AppointmentStatus::Completed,
                notes: None,
                override_reason: None,
            };
            let id = repo::appointments::insert(&mut tx, &scope, a, services.now()).await.unwrap();
            tx.commit().await.unwrap();
            id
        }
    };
    let visits = [appointment(p0, 10).await, appointment(p0, 9).await, appointment(p0, 8).await, appointment(p0, 7).await, appointment(p0, 6).await];
    let theirs = appointment(p1, 5).await;
    let sold_id = sold.id.to_string();
    let used = packages::use_session(&ctx.services, &c.owner, &sold_id, &visits[0].to_string()).await.unwrap();
    assert_eq!((used.sessions_used, used.remaining), (1, 2));
    field(packages::use_session(&ctx.services, &c.owner, &sold_id, &visits[0].to_string()).await, "appointment_id");
    field(packages::use_session(&ctx.services, &c.owner, &sold_id, &theirs.to_string()).await, "appointment_id");
    // A covered visit is not invoiced again; an invoiced one does not use a session.
    assert!(field(invoices::create_from_appointment(&ctx.services, &c.owner, &visits[0].to_string()).await, "appointment_id").contains("package"));
    invoices::create_from_appointment(&ctx.services, &c.owner, &visits[4].to_string()).await.unwrap();
    field(packages::use_session(&ctx.services, &c.owner, &sold_id, &visits[4].to_string()).await, "appointment_id");
    packages::use_session(&ctx.services, &c.owner, &sold_id, &visits[1].to_string()).await.unwrap();
    // Two visits race for the last session: exactly one gets it.
    let (v2, v3) = (visits[2].to_string(), visits[3].to_string());
    let (a, b) = tokio::join!(
        packages::use_session(&ctx.services, &c.owner, &sold_id, &v2),
        packages::use_session(&ctx.services, &c.owner, &sold_id, &v3)
    );
    assert_eq!([&a, &b].iter().filter(|r| r.is_ok()).count(), 1, "{a:?} {b:?}");
    assert!(matches!([a, b].into_iter().find(|r| r.is_err()), Some(Err(ServiceError::Invalid(_)))));
    let left = packages::for_patient(&ctx.services, &c.owner, &p0.to_string()).await.unwrap();
    assert_eq!((left[0].sessions_used, left[0].remaining), (3, 0));
    assert_eq!(owner_count(&ctx, "SELECT COUNT(*) FROM package_uses").await, 3);
    // Another clinic cannot use it.
    assert!(matches!(packages::use_session(&ctx.services, &other.owner, &sold_id, &visits[2].to_string()).await, Err(ServiceError::NotFound)));
    // A cancelled sale (voided invoice) cannot be used.
    let (invoice2, sold2) = packages::sell(&ctx.services, &c.owner, &p1.to_string(), &package.id.to_string()).await.unwrap();
    invoices::void(&ctx.services, &c.owner, &invoice2.id.to_string(), &ReasonForm { reason: "Sold by mistake".into() }).await.unwrap();
    field(packages::use_session(&ctx.services, &c.owner, &sold2.id.to_string(), &theirs.to_string()).await, "status");
    // The database keeps the count within what was sold.
    let mut tx = ctx.owner_db.write_in(&c.owner.scope).await.unwrap();
    let result = on_tx!(&mut tx, conn => sqlx::query("UPDATE patient_packages SET sessions_used = sessions_total + 1").execute(conn).await.map(|r| r.rows_affected()));
    assert!(result.is_err());
    totals_are_sums_of_lines(&ctx).await;
}

const PROVIDER_KEY: &str = "sk_test_provider_key";
const WEBHOOK_SECRET: &str = "whsec_0123456789abcdef";

/// A payment provider on loopback: answers checkout-session requests that
/// carry the right key and keeps what it was asked; under `/down` it fails.
#[derive(Clone, Default)]
struct ProviderPeer {
    requests: std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>,
}

async fn provider_sessions(
    axum::extract::State(peer): axum::extract::State<ProviderPeer>,
    headers: axum::http::HeaderMap,
    axum::Json(body): axum::Json<serde_json::Value>,
) -> (axum::http::StatusCode, axum::Json<serde_json::Value>) {
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(&format!("Bearer {PROVIDER_KEY}")) {
        return (axum::http::StatusCode::UNAUTHORIZED, axum::Json(serde_json::json!({})));
    }
    let n = {
        let mut requests = peer.requests.lock().unwrap();
        requests.push(body);
        requests.len()
    };
    (axum::http::StatusCode::OK, axum::Json(serde_json::json!({ "id": format!("cs_test_{n}"), "url": format!("https://pay.example/c/cs_test_{n}") })))
}

async fn start_provider() -> (String, ProviderPeer) {
    let peer = ProviderPeer::default();
    let app = axum::Router::new()
        .route("/v1/checkout/sessions", axum::routing::post(provider_sessions))
        .route("/down/v1/checkout/sessions", axum::routing::post(|| async { axum::http::StatusCode::INTERNAL_SERVER_ERROR }))
        .with_state(peer.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, peer)
}

fn online_services(ctx: &Ctx, url: &str) -> Services {
    let settings = ambula_backend::online_payments::OnlinePaymentSettings {
        url: url.to_owned(),
        api_key: PROVIDER_KEY.into(),
        webhook_secret: WEBHOOK_SECRET.into(),
    };
    ctx.services.clone().with_online_payments(Some(ambula_backend::online_payments::OnlinePayments::new(settings).unwrap()))
}

fn event(id: &str, clinic: &AuthContext, invoice: &invoices::InvoiceView, amount_minor: i64, currency: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "id": id,
        "type": "checkout.completed",
        "data": {
            "session_id": "cs_test_1",
            "amount_minor": amount_minor,
            "currency": currency,
            "metadata": { "clinic_id": clinic.scope.clinic_id().to_string(), "invoice_id": invoice.id.to_string() }
        }
    }))
    .unwrap()
}

async fn online_checkout_and_signed_webhooks(ctx: Ctx) {
    use ambula_backend::online_payments::{sign, WebhookError};
    let c = clinic(&ctx, "Harbour", "owner@a.example").await;
    let p = c.patients[0];
    let (url, peer) = start_provider().await;
    let services = online_services(&ctx, &url);
    let inv = issued(&ctx, &c.owner, p, "45.00").await;
    payments::record(&ctx.services, &c.owner, &pay_form(p, "5", &[(&inv, "")])).await.unwrap();
    // Checkout for what is due, with the clinic and invoice as metadata.
    let checkout = online::create_checkout(&services, &c.owner, &inv.id.to_string()).await.unwrap();
    assert_eq!((checkout.session_id.as_str(), checkout.url.as_str(), checkout.amount.minor), ("cs_test_1", "https://pay.example/c/cs_test_1", 4_000));
    let sent = peer.requests.lock().unwrap()[0].clone();
    assert_eq!(sent["amount_minor"], 4_000);
    assert_eq!(sent["currency"], "EUR");
    assert_eq!(sent["metadata"]["invoice_id"], inv.id.to_string());
    assert_eq!(sent["metadata"]["clinic_id"], c.owner.scope.clinic_id().to_string());
    // Not configured, provider down, nothing due: a clear error.
    field(online::create_checkout(&ctx.services, &c.owner, &inv.id.to_string()).await, "status");
    field(online::create_checkout(&online_services(&ctx, &format!("{url}/down")), &c.owner, &inv.id.to_string()).await, "status");
    let desk = join(&ctx, &c.owner, "desk@a.example", "front_desk").await;
    assert!(matches!(online::create_checkout(&services, &desk, &inv.id.to_string()).await, Err(ServiceError::Forbidden)));

    // The provider's webhook, signed: the invoice is paid, once.
    let now = || ctx.services.now().0.timestamp();
    let body = event("evt_1", &c.owner, &inv, 4_000, "EUR");
    let signature = sign(WEBHOOK_SECRET, now(), &body);
    let before = billing_state(&ctx).await;
    // Forged, tampered, stale, unsigned: refused, nothing changes.
    let forged = sign("whsec_not_the_secret_at_all", now(), &body);
    assert_eq!(online::handle_webhook(&services, Some(&forged), &body).await, Err(WebhookError::BadSignature));
    let tampered = event("evt_1", &c.owner, &inv, 400_000, "EUR");
    assert_eq!(online::handle_webhook(&services, Some(&signature), &tampered).await, Err(WebhookError::BadSignature));
    let stale = sign(WEBHOOK_SECRET, now() - 3_600, &body);
    assert_eq!(online::handle_webhook(&services, Some(&stale), &body).await, Err(WebhookError::Stale));
    assert_eq!(online::handle_webhook(&services, None, &body).await, Err(WebhookError::MissingSignature));
    assert_eq!(online::handle_webhook(&ctx.services, Some(&signature), &body).await, Err(WebhookError::NotConfigured));
    let dollars = event("evt_usd", &c.owner, &inv, 4_000, "USD");
    assert!(matches!(online::handle_webhook(&services, Some(&sign(WEBHOOK_SECRET, now(), &dollars)), &dollars).await, Err(WebhookError::Malformed(_))));
    assert_eq!(billing_state(&ctx).await, before, "refused deliveries change nothing");
    let recorded = online::handle_webhook(&services, Some(&signature), &body).await.unwrap();
    assert!(matches!(recorded, online::WebhookOutcome::Recorded(_)));
    let paid = get(&ctx, &c.owner, &inv).await;
    assert_eq!((paid.status, paid.paid.minor), (InvoiceStatus::Paid, 4_500));
    // Replayed: nothing more.
    let after = billing_state(&ctx).await;
    assert_eq!(online::handle_webhook(&services, Some(&signature), &body).await, Ok(online::WebhookOutcome::Duplicate));
    assert_eq!(billing_state(&ctx).await, after);
    // Delivered five times at once: recorded exactly once.
    let second = issued(&ctx, &c.owner, p, "20.00").await;
    let body2 = event("evt_2", &c.owner, &second, 2_000, "EUR");
    let signature2 = sign(WEBHOOK_SECRET, now(), &body2);
    let mut tasks = Vec::new();
    for _ in 0..5 {
        let (services, body, signature) = (services.clone(), body2.clone(), signature2.clone());
        tasks.push(tokio::spawn(async move { online::handle_webhook(&services, Some(&signature), &body).await }));
    }
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap().unwrap());
    }
    assert_eq!(outcomes.iter().filter(|o| matches!(o, online::WebhookOutcome::Recorded(_))).count(), 1, "{outcomes:?}");
    assert_eq!(outcomes.iter().filter(|o| **o == online::WebhookOutcome::Duplicate).count(), 4);
    assert_eq!(owner_count(&ctx, "SELECT COUNT(*) FROM payments WHERE method = 'online'").await, 2);
    // Money for an invoice voided meanwhile is kept as the patient's credit.
    let third = issued(&ctx, &c.owner, p, "10.00").await;
    invoices::void(&ctx.services, &c.owner, &third.id.to_string(), &ReasonForm { reason: "Paid at the desk instead".into() }).await.unwrap();
    let body3 = event("evt_3", &c.owner, &third, 1_000, "EUR");
    online::handle_webhook(&services, Some(&sign(WEBHOOK_SECRET, now(), &body3)), &body3).await.unwrap();
    let acc = account(&ctx, &c.owner, p).await;
    assert_eq!((acc.credit.minor, acc.due.minor, acc.balance.minor), (1_000, 0, -1_000));
    let online_entries = audit_entries(&ctx, &c.owner).await.into_iter().filter(|e| e.action == "payment.online").count();
    assert_eq!(online_entries, 3);
    totals_are_sums_of_lines(&ctx).await;
}

async fn insurance_claims_and_remittance(ctx: Ctx) {
    let c = clinic(&ctx, "Harbour", "owner@a.example").await;
    let other = clinic(&ctx, "Riverside", "owner@b.example").await;
    let [p0, p1] = [c.patients[0], c.patients[1]];
    let desk = join(&ctx, &c.owner, "desk@a.example", "front_desk").await;
    let nurse = join(&ctx, &c.owner, "nurse@a.example", "nurse").await;
    let service = fee_schedule::create(
        &ctx.services,
        &c.owner,
        &FeeServiceForm { code: "99213".into(), description: "Consultation".into(), price: "45.00".into(), ..Default::default() },
    )
    .await
    .unwrap();
    let medis = payers::create(&ctx.services, &c.owner, &PayerForm { name: "Médis".into(), kind: "insurer".into() }).await.unwrap();
    let cover = |valid_to: &str| CoverageForm {
        payer_id: medis.to_string(),
        member_id: "MED-0042".into(),
        plan: "Base".into(),
        valid_from: "2020-01-01".into(),
        valid_to: valid_to.into(),
        covered_percent: "80".into(),
    };
    let coverage = insurance::add_coverage(&ctx.services, &c.owner, &p0.to_string(), &cover("")).await.unwrap();
    let expired = insurance::add_coverage(&ctx.services, &c.owner, &p0.to_string(), &cover("2021-12-31")).await.unwrap();
    let theirs = insurance::add_coverage(&ctx.services, &c.owner, &p1.to_string(), &cover("")).await.unwrap();
    field(insurance::add_coverage(&ctx.services, &c.owner, &p0.to_string(), &CoverageForm { valid_to: "2019-01-01".into(), ..cover("") }).await, "valid_to");
    assert_eq!(insurance::coverages(&ctx.services, &desk, &p0.to_string()).await.unwrap().len(), 2);
    let with_service = |p: PatientId| invoice_form(p, vec![InvoiceLineForm { service_id: service.id.to_string(), ..Default::default() }]);
    let draft = invoices::create(&ctx.services, &c.owner, &with_service(p0)).await.unwrap();
    let inv = invoices::issue(&ctx.services, &c.owner, &draft.id.to_string()).await.unwrap();
    let claim_form = ClaimForm {
        invoice_id: inv.id.to_string(),
        coverage_id: coverage.id.to_string(),
        diagnosis_codes: "j06.9, M54.5".into(),
        ..Default::default()
    };
    // Bad claims: refused at the field, nothing stored.
    let before = billing_state(&ctx).await;
    field(insurance::create_claim(&ctx.services, &c.owner, &ClaimForm { diagnosis_codes: "flu".into(), ..claim_form.clone() }).await, "diagnosis_codes");
    field(insurance::create_claim(&ctx.services, &c.owner, &ClaimForm { coverage_id: theirs.id.to_string(), ..claim_form.clone() }).await, "coverage_id");
    assert!(field(insurance::create_claim(&ctx.services, &c.owner, &ClaimForm { coverage_id: expired.id.to_string(), ..claim_form.clone() }).await, "coverage_id").contains("not valid"));
    field(insurance::create_claim(&ctx.services, &c.owner, &ClaimForm { amount: "45.01".into(), ..claim_form.clone() }).await, "amount");
    assert!(matches!(insurance::create_claim(&ctx.services, &desk, &claim_form).await, Err(ServiceError::Forbidden)));
    assert_eq!(billing_state(&ctx).await, before);
    assert_eq!(owner_count(&ctx, "SELECT COUNT(*) FROM claims").await, 0);
    // The claim: the coverage's 80 %, the lines' procedure codes.
    let claim = insurance::create_claim(&ctx.services, &c.owner, &claim_form).await.unwrap();
    assert_eq!((claim.label.as_str(), claim.status, claim.amount.minor), ("CLM-000001", ClaimStatus::Draft, 3_600));
    assert_eq!(claim.procedure_codes, vec!["99213"]);
    assert_eq!(claim.diagnosis_codes, Some(vec!["J06.9".to_owned(), "M54.5".to_owned()]));
    assert!(field(insurance::create_claim(&ctx.services, &c.owner, &claim_form).await, "invoice_id").contains("in progress"));
    // Diagnoses are sealed at rest and kept out of the audit trail and from those who do not bill.
    let mut tx = ctx.owner_db.read().await.unwrap();
    let (sealed,): (Vec<u8>,) = on_tx!(&mut tx, conn => sqlx::query_as("SELECT diagnosis_sealed FROM claims").fetch_one(conn).await).unwrap();
    drop(tx);
    assert!(!sealed.windows(5).any(|w| w == b"J06.9"), "diagnosis codes are encrypted at rest");
    assert!(audit_entries(&ctx, &c.owner).await.iter().all(|e| !e.detail.clone().unwrap_or_default().contains("J06")));
    let id = claim.id.to_string();
    assert_eq!(insurance::get_claim(&ctx.services, &desk, &id).await.unwrap().diagnosis_codes, None);
    assert!(matches!(insurance::get_claim(&ctx.services, &nurse, &id).await, Err(ServiceError::Forbidden)));
    assert!(matches!(insurance::get_claim(&ctx.services, &other.owner, &id).await, Err(ServiceError::NotFound)));
    // The workflow only moves forward.
    let remit = |amount: &str| RemittanceForm { amount: amount.into(), reference: "ERA-2026-001".into() };
    field(insurance::post_remittance(&ctx.services, &c.owner, &id, &remit("36")).await, "status");
    assert_eq!(insurance::submit_claim(&ctx.services, &c.owner, &id).await.unwrap().status, ClaimStatus::Submitted);
    field(insurance::submit_claim(&ctx.services, &c.owner, &id).await, "status");
    assert_eq!(insurance::decide_claim(&ctx.services, &c.owner, &id, &ClaimDecisionForm { decision: "accept".into(), reason: String::new() }).await.unwrap().status, ClaimStatus::Accepted);
    // The payer pays less than claimed: that much is settled, the patient's share stays due.
    field(insurance::post_remittance(&ctx.services, &c.owner, &id, &remit("36.01")).await, "amount");
    let paid = insurance::post_remittance(&ctx.services, &c.owner, &id, &remit("35")).await.unwrap();
    assert_eq!((paid.status, paid.paid.minor, paid.remittance_reference.as_deref()), (ClaimStatus::Paid, 3_500, Some("ERA-2026-001")));
    let inv1 = get(&ctx, &c.owner, &inv).await;
    assert_eq!((inv1.status, inv1.paid.minor, inv1.due.minor), (InvoiceStatus::PartiallyPaid, 3_500, 1_000));
    let receipt = payments::get_receipt(&ctx.services, &c.owner, &paid.payment_id.unwrap().to_string()).await.unwrap();
    assert_eq!(receipt.method, ambula_domain::billing::PaymentMethod::Insurance);
    field(insurance::post_remittance(&ctx.services, &c.owner, &id, &remit("1")).await, "status");
    assert_eq!(account(&ctx, &c.owner, p0).await.due.minor, 1_000);
    // A denial needs the payer's reason and leaves the whole invoice due.
    let inv2 = invoices::issue(&ctx.services, &c.owner, &invoices::create(&ctx.services, &c.owner, &with_service(p0)).await.unwrap().id.to_string()).await.unwrap();
    let denied = insurance::create_claim(&ctx.services, &c.owner, &ClaimForm { invoice_id: inv2.id.to_string(), amount: "20".into(), ..claim_form.clone() }).await.unwrap();
    assert_eq!(denied.amount.minor, 2_000);
    let denied_id = denied.id.to_string();
    field(insurance::decide_claim(&ctx.services, &c.owner, &denied_id, &ClaimDecisionForm { decision: "deny".into(), reason: "Too early".into() }).await, "status");
    insurance::submit_claim(&ctx.services, &c.owner, &denied_id).await.unwrap();
    field(insurance::decide_claim(&ctx.services, &c.owner, &denied_id, &ClaimDecisionForm { decision: "deny".into(), reason: String::new() }).await, "reason");
    let denied = insurance::decide_claim(&ctx.services, &c.owner, &denied_id, &ClaimDecisionForm { decision: "deny".into(), reason: "Not covered by plan".into() }).await.unwrap();
    assert_eq!((denied.status, denied.denial_reason.as_deref()), (ClaimStatus::Denied, Some("Not covered by plan")));
    field(insurance::post_remittance(&ctx.services, &c.owner, &denied_id, &remit("1")).await, "status");
    assert_eq!(get(&ctx, &c.owner, &inv2).await.due.minor, 4_500);
    // A denied claim frees the invoice for a corrected one.
    insurance::create_claim(&ctx.services, &c.owner, &ClaimForm { invoice_id: inv2.id.to_string(), ..claim_form.clone() }).await.unwrap();
    totals_are_sums_of_lines(&ctx).await;
}

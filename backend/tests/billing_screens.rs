//! What the billing screens read beyond the billing services' own tests:
//! the invoice, receipt and statement PDFs (content, permissions, another
//! clinic → 404, audited), the clinic's invoice list (money due first,
//! filters, restricted names hidden), the completed visits left to
//! invoice, and the payments on an invoice. Every case on SQLite and
//! PostgreSQL.

use ambula_backend::{
    audit,
    repo::{self, appointments::NewAppointment},
    services::{
        accounts, auth,
        billing::{insurance, invoices, listing, payments, printouts},
        patients,
        scheduling::setup,
        ClientInfo,
    },
    time::DbTime,
    AuthContext, ServiceError, Services,
};
use ambula_domain::{
    accounts::{AcceptInviteForm, InviteForm, SignupForm},
    billing::{AllocationForm, CreditNoteForm, InvoiceForm, InvoiceLineForm, InvoiceStatus, PaymentForm, ReasonForm},
    patients::PatientForm,
    scheduling::{AppointmentStatus, AppointmentTypeForm},
    PatientId, PractitionerId,
};
use ambula_testkit::{Kind, SmtpSink, TestDb};
use chrono::Duration;

ambula_testkit::on_both_backends!(
    invoice_receipt_and_statement_pdfs,
    pdfs_need_permission_and_stay_in_their_clinic,
    clinic_list_puts_money_due_first_and_filters,
    completed_visits_left_to_invoice,
);

struct Ctx {
    services: Services,
}

async fn run<F, Fut>(kind: Kind, case: F)
where
    F: FnOnce(Ctx) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let db = TestDb::new(kind).await;
    let smtp = SmtpSink::start().await;
    let services = db.services(smtp.mailer());
    case(Ctx { services }).await;
    db.cleanup().await;
}

const PASSWORD: &str = "tide pools at dawn";

fn client() -> ClientInfo {
    ClientInfo { ip: Some("192.0.2.31".into()), user_agent: Some("billing-screens-test".into()) }
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
    for (given, family) in [("Ana", "Costa"), ("Bruno", "Almeida")] {
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
    InvoiceLineForm { description: description.into(), quantity: quantity.into(), unit_price: price.into(), tax_rate: tax.into(), ..Default::default() }
}

async fn issued(ctx: &Ctx, who: &AuthContext, patient: PatientId, lines: Vec<InvoiceLineForm>) -> invoices::InvoiceView {
    let form = InvoiceForm { patient_id: patient.to_string(), lines, ..Default::default() };
    let draft = invoices::create(&ctx.services, who, &form).await.unwrap();
    invoices::issue(&ctx.services, who, &draft.id.to_string()).await.unwrap()
}

async fn pay(ctx: &Ctx, who: &AuthContext, patient: PatientId, amount: &str, method: &str, invoice: &invoices::InvoiceView) -> payments::ReceiptView {
    let form = PaymentForm {
        patient_id: patient.to_string(),
        method: method.into(),
        amount: amount.into(),
        allocations: vec![AllocationForm { invoice_id: invoice.id.to_string(), amount: String::new() }],
        ..Default::default()
    };
    payments::record(&ctx.services, who, &form).await.unwrap()
}

async fn audited(ctx: &Ctx, who: &AuthContext, action: &str, outcome: &str) -> usize {
    let mut tx = ctx.services.db.read_in(&who.scope).await.unwrap();
    let entries = audit::search(&mut tx, &who.scope, &audit::Filter { limit: 10_000, ..Default::default() }).await.unwrap();
    entries.iter().filter(|e| e.action == action && e.outcome == outcome).count()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

async fn invoice_receipt_and_statement_pdfs(ctx: Ctx) {
    let c = clinic(&ctx, "Harbour (Lisbon)", "owner@a.example").await;
    let p = c.patients[0];
    let inv = issued(&ctx, &c.owner, p, vec![line("Consultation", "1", "45.00", "23"), line("Dressing", "2", "5.50", "")]).await;
    // 45.00 + 23 % = 55.35; 2 × 5.50 = 11.00; total 66.35.
    assert_eq!(inv.total.minor, 6635);
    let printed = printouts::invoice(&ctx.services, &c.owner, &inv.id.to_string()).await.unwrap();
    assert!(printed.bytes.starts_with(b"%PDF-1.4") && printed.bytes.ends_with(b"%%EOF\n"));
    assert_eq!(printed.file_name, format!("invoice-{}-{}.pdf", inv.label, inv.issued_at.unwrap().0.with_timezone(&chrono_tz::Europe::Lisbon).date_naive()));
    let t = text(&printed.bytes);
    for expected in [
        "(Harbour \\(Lisbon\\)) Tj",
        "(Invoice INV-000001) Tj",
        "(Ana Costa, born 1984-03-12",
        "(Consultation) Tj",
        "(10.35 EUR \\(23 %\\)) Tj",
        "(Tax summary) Tj",
        "(66.35 EUR) Tj",
        "(Page 1 of 1) Tj",
    ] {
        assert!(t.contains(expected), "invoice PDF lacks {expected}");
    }
    assert_eq!(audited(&ctx, &c.owner, "invoice.print", "ok").await, 1);

    // A partial cash payment, its receipt, then a credit note and its PDF.
    let receipt = pay(&ctx, &c.owner, p, "20", "cash", &inv).await;
    let r = printouts::receipt_pdf(&ctx.services, &c.owner, &receipt.payment_id.to_string()).await.unwrap();
    assert!(r.file_name.starts_with("receipt-RCT-000001-") && r.file_name.ends_with(".pdf"), "{}", r.file_name);
    let t = text(&r.bytes);
    for expected in ["(Receipt RCT-000001) Tj", "(Cash) Tj", "(20.00 EUR) Tj", "(INV-000001) Tj"] {
        assert!(t.contains(expected), "receipt PDF lacks {expected}");
    }
    assert_eq!(audited(&ctx, &c.owner, "payment.print", "ok").await, 1);
    let note = invoices::credit_note(
        &ctx.services,
        &c.owner,
        &inv.id.to_string(),
        &CreditNoteForm { reason: "Dressing not used".into(), lines: vec![line("Dressing", "1", "5.50", "")], ..Default::default() },
    )
    .await
    .unwrap();
    assert!(note.is_credit_note);
    let t = text(&printouts::invoice(&ctx.services, &c.owner, &note.id.to_string()).await.unwrap().bytes);
    for expected in ["(Credit note CN-000001) Tj", "(INV-000001) Tj", "(Dressing not used) Tj", "(-5.50 EUR) Tj"] {
        assert!(t.contains(expected), "credit note PDF lacks {expected}");
    }

    // The statement: every movement with its running balance. Owed:
    // 66.35 − 20.00 − 5.50 = 40.85.
    let s = printouts::statement(&ctx.services, &c.owner, &p.to_string()).await.unwrap();
    assert!(s.file_name.starts_with("statement-") && s.file_name.ends_with(".pdf"));
    let t = text(&s.bytes);
    for expected in ["(Statement of account) Tj", "(INV-000001 issued) Tj", "(RCT-000001 cash) Tj", "(CN-000001) Tj", "(Balance owed: 40.85 EUR.) Tj"] {
        assert!(t.contains(expected), "statement PDF lacks {expected}");
    }
    assert_eq!(audited(&ctx, &c.owner, "billing.statement_print", "ok").await, 1);

    // A draft prints, marked as not valid.
    let form = InvoiceForm { patient_id: p.to_string(), lines: vec![line("Follow-up", "1", "30", "")], ..Default::default() };
    let draft = invoices::create(&ctx.services, &c.owner, &form).await.unwrap();
    let t = text(&printouts::invoice(&ctx.services, &c.owner, &draft.id.to_string()).await.unwrap().bytes);
    assert!(t.contains("(Draft: not a valid invoice until issued.) Tj"));

    // The payments on the invoice, for its page.
    let on = listing::payments_on_invoice(&ctx.services, &c.owner, &inv.id.to_string()).await.unwrap();
    assert_eq!(on.len(), 1);
    assert_eq!((on[0].label.as_str(), on[0].applied.minor), ("RCT-000001", 2000));
}

async fn pdfs_need_permission_and_stay_in_their_clinic(ctx: Ctx) {
    let a = clinic(&ctx, "Harbour", "owner@a.example").await;
    let b = clinic(&ctx, "Riverside", "owner@b.example").await;
    let p = a.patients[0];
    let inv = issued(&ctx, &a.owner, p, vec![line("Consultation", "1", "45", "")]).await;
    let receipt = pay(&ctx, &a.owner, p, "10", "card", &inv).await;
    let (inv_id, pay_id, patient_id) = (inv.id.to_string(), receipt.payment_id.to_string(), p.to_string());

    // Another clinic: 404 for each, as for an id that does not exist, and
    // recorded in the asking clinic's trail.
    let not_found = |r: Result<printouts_alias::Printout, ServiceError>| assert!(matches!(r, Err(ServiceError::NotFound)), "{:?}", r.map(|p| p.file_name));
    not_found(printouts::invoice(&ctx.services, &b.owner, &inv_id).await);
    not_found(printouts::receipt_pdf(&ctx.services, &b.owner, &pay_id).await);
    not_found(printouts::statement(&ctx.services, &b.owner, &patient_id).await);
    not_found(printouts::invoice(&ctx.services, &b.owner, "not-an-id").await);
    not_found(listing::payments_on_invoice(&ctx.services, &b.owner, &inv_id).await.map(|_| printouts_alias::Printout { file_name: String::new(), bytes: Vec::new() }));
    assert!(matches!(insurance::claims_of_invoice(&ctx.services, &b.owner, &inv_id).await, Err(ServiceError::NotFound)));
    assert!(insurance::claims_of_invoice(&ctx.services, &a.owner, &inv_id).await.unwrap().is_empty());
    assert!(audited(&ctx, &b.owner, "invoice.print", "denied").await >= 2);
    assert_eq!(audited(&ctx, &a.owner, "invoice.print", "ok").await, 0);

    // Front desk reads billing, so may print; a nurse may not (403, audited).
    let desk = join(&ctx, &a.owner, "desk@a.example", "front_desk").await;
    let nurse = join(&ctx, &a.owner, "nurse@a.example", "nurse").await;
    printouts::invoice(&ctx.services, &desk, &inv_id).await.unwrap();
    printouts::receipt_pdf(&ctx.services, &desk, &pay_id).await.unwrap();
    printouts::statement(&ctx.services, &desk, &patient_id).await.unwrap();
    let forbidden = |r: Result<printouts_alias::Printout, ServiceError>| assert!(matches!(r, Err(ServiceError::Forbidden)), "{:?}", r.map(|p| p.file_name));
    forbidden(printouts::invoice(&ctx.services, &nurse, &inv_id).await);
    forbidden(printouts::receipt_pdf(&ctx.services, &nurse, &pay_id).await);
    forbidden(printouts::statement(&ctx.services, &nurse, &patient_id).await);
    assert!(matches!(listing::list(&ctx.services, &nurse, "").await, Err(ServiceError::Forbidden)));
    assert_eq!(audited(&ctx, &a.owner, "invoice.print", "denied").await, 1);
}

mod printouts_alias {
    pub use ambula_backend::services::medications::printouts::Printout;
}

async fn clinic_list_puts_money_due_first_and_filters(ctx: Ctx) {
    let c = clinic(&ctx, "Harbour", "owner@a.example").await;
    let (p, q) = (c.patients[0], c.patients[1]);
    let paid = issued(&ctx, &c.owner, p, vec![line("Consultation", "1", "45", "")]).await;
    pay(&ctx, &c.owner, p, "45", "card", &paid).await;
    let open = issued(&ctx, &c.owner, q, vec![line("Physiotherapy", "1", "40", "")]).await;
    let voided = issued(&ctx, &c.owner, q, vec![line("Duplicate", "1", "40", "")]).await;
    invoices::void(&ctx.services, &c.owner, &voided.id.to_string(), &ReasonForm { reason: "Entered twice".into() }).await.unwrap();
    let form = InvoiceForm { patient_id: p.to_string(), lines: vec![line("Follow-up", "1", "30", "")], ..Default::default() };
    let draft = invoices::create(&ctx.services, &c.owner, &form).await.unwrap();

    let all = listing::list(&ctx.services, &c.owner, "").await.unwrap();
    assert_eq!(all.len(), 4);
    assert_eq!(all[0].id, open.id, "money due comes first");
    assert_eq!((all[0].due.minor, all[0].patient.ends_with("Bruno Almeida")), (4000, true));
    let ids = |status: &str| {
        let services = ctx.services.clone();
        let owner = c.owner.clone();
        let status = status.to_owned();
        async move { listing::list(&services, &owner, &status).await.unwrap().into_iter().map(|i| i.id).collect::<Vec<_>>() }
    };
    assert_eq!(ids("outstanding").await, vec![open.id]);
    assert_eq!(ids("paid").await, vec![paid.id]);
    assert_eq!(ids("void").await, vec![voided.id]);
    assert_eq!(ids("draft").await, vec![draft.id]);
    assert!(matches!(listing::list(&ctx.services, &c.owner, "bogus").await, Err(ServiceError::Invalid(_))));
    let voided_row = listing::list(&ctx.services, &c.owner, "void").await.unwrap().remove(0);
    assert_eq!((voided_row.status, voided_row.due.minor), (InvoiceStatus::Void, 0));

    // A restricted record's name is hidden from those outside its care team.
    let form = PatientForm { given_name: "Secret".into(), family_name: "Person".into(), date_of_birth: "1990-01-01".into(), restricted: Some("on".into()), ..Default::default() };
    let hidden = patients::create(&ctx.services, &c.owner, &form).await.unwrap().id;
    issued(&ctx, &c.owner, hidden, vec![line("Consultation", "1", "45", "")]).await;
    let billing = join(&ctx, &c.owner, "billing@a.example", "billing").await;
    let seen = listing::list(&ctx.services, &billing, "outstanding").await.unwrap();
    let row = seen.iter().find(|i| i.patient_id == hidden).unwrap();
    assert!(row.patient.ends_with("(restricted)") && !row.patient.contains("Secret"), "{}", row.patient);
}

async fn completed_visits_left_to_invoice(ctx: Ctx) {
    let c = clinic(&ctx, "Harbour", "owner@a.example").await;
    let p = c.patients[0];
    let now = ctx.services.now();
    let mut tx = ctx.services.db.write_in(&c.owner.scope).await.unwrap();
    let silva: PractitionerId = repo::practitioners::insert(&mut tx, &c.owner.scope, None, "Dr Silva", None, "#1d4ed8", now).await.unwrap();
    tx.commit().await.unwrap();
    let type_form = AppointmentTypeForm {
        name: "Consultation".into(),
        duration_minutes: "30".into(),
        buffer_minutes: "0".into(),
        colour: "#3366cc".into(),
        price_minor: "4500".into(),
        online_booking: None,
    };
    let consult = setup::create_type(&ctx.services, &c.owner, &type_form, &[]).await.unwrap().id;
    let visit = |hours_ago: i64, status: AppointmentStatus| {
        let services = ctx.services.clone();
        let scope = c.owner.scope.clone();
        async move {
            let start = DbTime::from(chrono::Utc::now() - Duration::hours(hours_ago));
            let end = DbTime::from(start.0 + Duration::minutes(30));
            let mut tx = services.db.write_in(&scope).await.unwrap();
            let a = NewAppointment {
                patient_id: p,
                practitioner_id: silva,
                type_id: consult,
                room_id: None,
                series_id: None,
                starts_at: start,
                ends_at: end,
                blocks_until: end,
                status,
                notes: None,
                override_reason: None,
            };
            let id = repo::appointments::insert(&mut tx, &scope, a, services.now()).await.unwrap();
            tx.commit().await.unwrap();
            id
        }
    };
    let done = visit(5, AppointmentStatus::Completed).await;
    let earlier = visit(30, AppointmentStatus::Completed).await;
    visit(3, AppointmentStatus::NoShow).await;
    visit(24 * 90, AppointmentStatus::Completed).await;
    let listed = listing::uninvoiced_visits(&ctx.services, &c.owner).await.unwrap();
    assert_eq!(listed.iter().map(|v| v.appointment_id).collect::<Vec<_>>(), vec![done, earlier], "completed, recent, newest first");
    assert_eq!((listed[0].practitioner.as_str(), listed[0].kind.as_str()), ("Dr Silva", "Consultation"));
    // Once invoiced it leaves the list; voiding the invoice brings it back.
    let inv = invoices::create_from_appointment(&ctx.services, &c.owner, &done.to_string()).await.unwrap();
    let listed = listing::uninvoiced_visits(&ctx.services, &c.owner).await.unwrap();
    assert_eq!(listed.iter().map(|v| v.appointment_id).collect::<Vec<_>>(), vec![earlier]);
    let inv = invoices::issue(&ctx.services, &c.owner, &inv.id.to_string()).await.unwrap();
    invoices::void(&ctx.services, &c.owner, &inv.id.to_string(), &ReasonForm { reason: "Wrong patient".into() }).await.unwrap();
    assert_eq!(listing::uninvoiced_visits(&ctx.services, &c.owner).await.unwrap().len(), 2);
    // Another clinic sees none of them.
    let other = clinic(&ctx, "Riverside", "owner@b.example").await;
    assert!(listing::uninvoiced_visits(&ctx.services, &other.owner).await.unwrap().is_empty());
}

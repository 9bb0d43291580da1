//! What the billing screens read beyond the billing services' own tests:
//! the invoice, receipt and statement PDFs (content, permissions, another
//! clinic → 404, audited), the clinic's invoice list (money due first,
//! filters, restricted names hidden), the completed visits left to
//! invoice, and the payments on an invoice; the clinic's tax number on the
//! billing PDFs, the appointments a package session can cover, editing a
//! draft's lines, and the clinic's claims list. Every case on SQLite and
//! PostgreSQL.

use ambula_backend::{
    audit,
    repo::{self, appointments::NewAppointment},
    services::{
        accounts, auth,
        billing::{fee_schedule, insurance, invoices, listing, packages, payers, payments, printouts},
        patients,
        scheduling::setup,
        ClientInfo,
    },
    time::DbTime,
    AuthContext, ServiceError, Services,
};
use ambula_domain::{
    accounts::{AcceptInviteForm, ClinicProfileForm, InviteForm, SignupForm},
    billing::{
        AllocationForm, ClaimDecisionForm, ClaimForm, ClaimStatus, CoverageForm, CreditNoteForm, FeePackageForm, FeeServiceForm, InvoiceForm,
        InvoiceLineForm, InvoiceStatus, PayerForm, PaymentForm, ReasonForm, RemittanceForm,
    },
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
    clinic_tax_number_on_billing_pdfs,
    package_session_candidates,
    draft_lines_edited_until_issued,
    clinic_claims_list_by_status,
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

async fn invoice_text(ctx: &Ctx, who: &AuthContext, invoice_id: &str) -> String {
    text(&printouts::invoice(&ctx.services, who, invoice_id).await.unwrap().bytes)
}

fn profile_form(name: &str, tax_number: &str) -> ClinicProfileForm {
    ClinicProfileForm { name: name.into(), time_zone: "Europe/Lisbon".into(), tax_number: tax_number.into(), ..Default::default() }
}

async fn clinic_tax_number_on_billing_pdfs(ctx: Ctx) {
    let c = clinic(&ctx, "Harbour", "owner@a.example").await;
    let p = c.patients[0];
    let inv = issued(&ctx, &c.owner, p, vec![line("Consultation", "1", "45", "23")]).await;
    let receipt = pay(&ctx, &c.owner, p, "10", "cash", &inv).await;
    let inv_id = inv.id.to_string();
    // None yet: no tax line on the letterhead.
    assert!(!invoice_text(&ctx, &c.owner, &inv_id).await.contains("Tax no."));

    // Set: trimmed, and on the invoice, receipt and statement letterheads.
    let view = accounts::update_clinic_profile(&ctx.services, &c.owner, &profile_form("Harbour", "  PT 123 456 789  ")).await.unwrap();
    assert_eq!(view.tax_number, "PT 123 456 789");
    assert_eq!(accounts::clinic_profile(&ctx.services, &c.owner).await.unwrap().tax_number, "PT 123 456 789");
    let expected = "(Tax no. PT 123 456 789) Tj";
    assert!(invoice_text(&ctx, &c.owner, &inv_id).await.contains(expected), "invoice PDF lacks the tax number");
    let r = text(&printouts::receipt_pdf(&ctx.services, &c.owner, &receipt.payment_id.to_string()).await.unwrap().bytes);
    assert!(r.contains(expected), "receipt PDF lacks the tax number");
    let s = text(&printouts::statement(&ctx.services, &c.owner, &p.to_string()).await.unwrap().bytes);
    assert!(s.contains(expected), "statement PDF lacks the tax number");

    // Bad values: the field's error, and nothing changes (not even the name).
    for bad in ["PT#123", "<script>", "9".repeat(41).as_str()] {
        match accounts::update_clinic_profile(&ctx.services, &c.owner, &profile_form("Renamed", bad)).await {
            Err(ServiceError::Invalid(errors)) => assert!(errors.get("tax_number").is_some(), "{bad:?}: {errors}"),
            other => panic!("{bad:?} accepted: {other:?}"),
        }
    }
    let kept = accounts::clinic_profile(&ctx.services, &c.owner).await.unwrap();
    assert_eq!((kept.name.as_str(), kept.tax_number.as_str()), ("Harbour", "PT 123 456 789"));
    assert!(invoice_text(&ctx, &c.owner, &inv_id).await.contains(expected));

    // Cleared: gone from the letterhead again.
    accounts::update_clinic_profile(&ctx.services, &c.owner, &profile_form("Harbour", "")).await.unwrap();
    assert_eq!(accounts::clinic_profile(&ctx.services, &c.owner).await.unwrap().tax_number, "");
    assert!(!invoice_text(&ctx, &c.owner, &inv_id).await.contains("Tax no."));
}

/// A practitioner, an appointment type billed by a fee-schedule service,
/// and a way to book the patient's appointments of that type.
async fn physio_setup(ctx: &Ctx, c: &Clinic) -> (PractitionerId, ambula_domain::AppointmentTypeId, ambula_domain::FeeServiceId) {
    let now = ctx.services.now();
    let mut tx = ctx.services.db.write_in(&c.owner.scope).await.unwrap();
    let silva: PractitionerId = repo::practitioners::insert(&mut tx, &c.owner.scope, None, "Dr Silva", None, "#1d4ed8", now).await.unwrap();
    tx.commit().await.unwrap();
    let type_form = |name: &str| AppointmentTypeForm {
        name: name.into(),
        duration_minutes: "30".into(),
        buffer_minutes: "0".into(),
        colour: "#3366cc".into(),
        price_minor: "4000".into(),
        online_booking: None,
    };
    let physio = setup::create_type(&ctx.services, &c.owner, &type_form("Physiotherapy"), &[]).await.unwrap().id;
    let form = FeeServiceForm { code: "97110".into(), description: "Therapeutic exercise".into(), price: "40".into(), appointment_type_id: physio.to_string(), ..Default::default() };
    let service = fee_schedule::create(&ctx.services, &c.owner, &form).await.unwrap().id;
    (silva, physio, service)
}

async fn book(
    ctx: &Ctx,
    c: &Clinic,
    patient: PatientId,
    practitioner: PractitionerId,
    type_id: ambula_domain::AppointmentTypeId,
    hours_ago: i64,
    status: AppointmentStatus,
) -> ambula_domain::AppointmentId {
    let start = DbTime::from(chrono::Utc::now() - Duration::hours(hours_ago));
    let end = DbTime::from(start.0 + Duration::minutes(30));
    let mut tx = ctx.services.db.write_in(&c.owner.scope).await.unwrap();
    let a = NewAppointment {
        patient_id: patient,
        practitioner_id: practitioner,
        type_id,
        room_id: None,
        series_id: None,
        starts_at: start,
        ends_at: end,
        blocks_until: end,
        status,
        notes: None,
        override_reason: None,
    };
    let id = repo::appointments::insert(&mut tx, &c.owner.scope, a, ctx.services.now()).await.unwrap();
    tx.commit().await.unwrap();
    id
}

async fn package_session_candidates(ctx: Ctx) {
    let c = clinic(&ctx, "Harbour", "owner@a.example").await;
    let (p, q) = (c.patients[0], c.patients[1]);
    let (silva, physio, service) = physio_setup(&ctx, &c).await;
    let other_type = AppointmentTypeForm {
        name: "Check-up".into(),
        duration_minutes: "15".into(),
        buffer_minutes: "0".into(),
        colour: "#116611".into(),
        price_minor: "2000".into(),
        online_booking: None,
    };
    let unbilled_type = setup::create_type(&ctx.services, &c.owner, &other_type, &[]).await.unwrap().id;
    let done = book(&ctx, &c, p, silva, physio, 50, AppointmentStatus::Completed).await;
    let upcoming = book(&ctx, &c, p, silva, physio, -24, AppointmentStatus::Booked).await;
    let cancelled = book(&ctx, &c, p, silva, physio, 40, AppointmentStatus::Cancelled).await;
    let invoiced = book(&ctx, &c, p, silva, physio, 30, AppointmentStatus::Completed).await;
    let covered = book(&ctx, &c, p, silva, physio, 20, AppointmentStatus::Completed).await;
    let no_service = book(&ctx, &c, p, silva, unbilled_type, 10, AppointmentStatus::Completed).await;
    let theirs = book(&ctx, &c, q, silva, physio, 5, AppointmentStatus::Completed).await;
    let draft = invoices::create_from_appointment(&ctx.services, &c.owner, &invoiced.to_string()).await.unwrap();
    let form = FeePackageForm { name: "Physio ×5".into(), service_id: service.to_string(), sessions: "5".into(), price: "180".into(), tax_rate: "".into() };
    let package = packages::create(&ctx.services, &c.owner, &form).await.unwrap();
    let (_, sold) = packages::sell(&ctx.services, &c.owner, &p.to_string(), &package.id.to_string()).await.unwrap();
    assert_eq!(sold.service_id, service);
    packages::use_session(&ctx.services, &c.owner, &sold.id.to_string(), &covered.to_string()).await.unwrap();

    // Only the patient's own appointments of a billed type that are not
    // cancelled, invoiced or covered; newest first.
    let ids = |who: AuthContext, patient: PatientId| {
        let services = ctx.services.clone();
        async move { packages::session_candidates(&services, &who, &patient.to_string()).await.unwrap().into_iter().map(|a| a.appointment_id).collect::<Vec<_>>() }
    };
    assert_eq!(ids(c.owner.clone(), p).await, vec![upcoming, done]);
    let listed = packages::session_candidates(&ctx.services, &c.owner, &p.to_string()).await.unwrap();
    assert_eq!((listed[1].service_id, listed[1].kind.as_str(), listed[1].practitioner.as_str(), listed[1].status.as_str()), (service, "Physiotherapy", "Dr Silva", "completed"));
    assert!(!listed.iter().any(|a| [cancelled, invoiced, covered, no_service, theirs].contains(&a.appointment_id)));
    assert_eq!(ids(c.owner.clone(), q).await, vec![theirs]);
    // A deleted draft frees its appointment again; a candidate can be used.
    invoices::delete_draft(&ctx.services, &c.owner, &draft.id.to_string()).await.unwrap();
    assert_eq!(ids(c.owner.clone(), p).await, vec![upcoming, invoiced, done]);
    packages::use_session(&ctx.services, &c.owner, &sold.id.to_string(), &done.to_string()).await.unwrap();
    assert_eq!(ids(c.owner.clone(), p).await, vec![upcoming, invoiced]);
    let left = packages::for_patient(&ctx.services, &c.owner, &p.to_string()).await.unwrap();
    assert_eq!((left[0].sessions_used, left[0].remaining), (2, 3));

    // Front desk reads them, a nurse may not; another clinic's patient is a 404.
    let desk = join(&ctx, &c.owner, "desk@a.example", "front_desk").await;
    let nurse = join(&ctx, &c.owner, "nurse@a.example", "nurse").await;
    assert_eq!(ids(desk, p).await.len(), 2);
    assert!(matches!(packages::session_candidates(&ctx.services, &nurse, &p.to_string()).await, Err(ServiceError::Forbidden)));
    let other = clinic(&ctx, "Riverside", "owner@b.example").await;
    assert!(matches!(packages::session_candidates(&ctx.services, &other.owner, &p.to_string()).await, Err(ServiceError::NotFound)));
    assert!(matches!(packages::session_candidates(&ctx.services, &other.owner, "not-an-id").await, Err(ServiceError::NotFound)));
    assert!(audited(&ctx, &other.owner, "package.candidates", "denied").await >= 1);
    assert!(audited(&ctx, &c.owner, "package.candidates", "ok").await >= 5);
}

async fn draft_lines_edited_until_issued(ctx: Ctx) {
    let c = clinic(&ctx, "Harbour", "owner@a.example").await;
    let p = c.patients[0];
    let form = InvoiceForm { patient_id: p.to_string(), lines: vec![line("Consultation", "1", "45", "23"), line("Dressing", "2", "5.50", "")], ..Default::default() };
    let draft = invoices::create(&ctx.services, &c.owner, &form).await.unwrap();
    let id = draft.id.to_string();
    // What the page sends back: the lines as stored (prices as decimals), one changed, one removed, one added.
    let edited = InvoiceForm {
        lines: vec![line("Consultation, long", "1", "60.00", "23"), line("X-ray", "1", "30", "6")],
        note: "Paid at the desk".into(),
        ..form.clone()
    };
    let v = invoices::update_draft(&ctx.services, &c.owner, &id, &edited).await.unwrap();
    // 60 + 13.80 tax; 30 + 1.80 tax.
    assert_eq!((v.lines.len(), v.total.minor, v.note.as_deref()), (2, 7_380 + 3_180, Some("Paid at the desk")));
    assert_eq!(v.lines.iter().map(|l| l.description.as_str()).collect::<Vec<_>>(), vec!["Consultation, long", "X-ray"]);
    assert_eq!(audited(&ctx, &c.owner, "invoice.update", "ok").await, 1);

    // Bad lines: each error at its line's field; nothing changes.
    let bad = InvoiceForm { lines: vec![line("Consultation", "1", "12.345", ""), line("", "1", "5", ""), line("Gauze", "-1", "1", "")], ..form.clone() };
    match invoices::update_draft(&ctx.services, &c.owner, &id, &bad).await {
        Err(ServiceError::Invalid(errors)) => {
            for key in ["lines.0.unit_price", "lines.1.description", "lines.2.quantity"] {
                assert!(errors.get(key).is_some(), "no error at {key}: {errors}");
            }
        }
        other => panic!("{other:?}"),
    }
    match invoices::update_draft(&ctx.services, &c.owner, &id, &InvoiceForm { lines: vec![], ..form.clone() }).await {
        Err(ServiceError::Invalid(errors)) => assert!(errors.get("lines").is_some(), "{errors}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(invoices::get(&ctx.services, &c.owner, &id).await.unwrap().total.minor, 10_560);

    // Another clinic's owner: 404, the draft unchanged; front desk: 403.
    let other = clinic(&ctx, "Riverside", "owner@b.example").await;
    assert!(matches!(invoices::update_draft(&ctx.services, &other.owner, &id, &form).await, Err(ServiceError::NotFound)));
    let desk = join(&ctx, &c.owner, "desk@a.example", "front_desk").await;
    assert!(matches!(invoices::update_draft(&ctx.services, &desk, &id, &form).await, Err(ServiceError::Forbidden)));
    assert_eq!(invoices::get(&ctx.services, &c.owner, &id).await.unwrap().total.minor, 10_560);

    // Issued: the edit is refused and the invoice keeps its lines.
    let issued = invoices::issue(&ctx.services, &c.owner, &id).await.unwrap();
    assert_eq!((issued.label.as_str(), issued.total.minor), ("INV-000001", 10_560));
    match invoices::update_draft(&ctx.services, &c.owner, &id, &form).await {
        Err(ServiceError::Invalid(errors)) => assert!(errors.get("status").is_some(), "{errors}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(invoices::get(&ctx.services, &c.owner, &id).await.unwrap().lines.len(), 2);
}

async fn clinic_claims_list_by_status(ctx: Ctx) {
    let c = clinic(&ctx, "Harbour", "owner@a.example").await;
    let (p, q) = (c.patients[0], c.patients[1]);
    let medis = payers::create(&ctx.services, &c.owner, &PayerForm { name: "Médis".into(), kind: "insurer".into() }).await.unwrap();
    let cover = CoverageForm {
        payer_id: medis.to_string(),
        member_id: "MED-0042".into(),
        plan: String::new(),
        valid_from: "2020-01-01".into(),
        valid_to: String::new(),
        covered_percent: "80".into(),
    };
    let cp = insurance::add_coverage(&ctx.services, &c.owner, &p.to_string(), &cover).await.unwrap();
    let cq = insurance::add_coverage(&ctx.services, &c.owner, &q.to_string(), &CoverageForm { member_id: "MED-0043".into(), ..cover.clone() }).await.unwrap();
    let claim = |invoice: &invoices::InvoiceView, coverage: uuid::Uuid| {
        let services = ctx.services.clone();
        let owner = c.owner.clone();
        let form = ClaimForm { invoice_id: invoice.id.to_string(), coverage_id: coverage.to_string(), diagnosis_codes: "J06.9".into(), procedure_codes: "99213".into(), ..Default::default() };
        async move { insurance::create_claim(&services, &owner, &form).await.unwrap().id.to_string() }
    };
    let inv1 = issued(&ctx, &c.owner, p, vec![line("Consultation", "1", "45", "")]).await;
    let inv2 = issued(&ctx, &c.owner, q, vec![line("Physiotherapy", "1", "50", "")]).await;
    let inv3 = issued(&ctx, &c.owner, p, vec![line("Follow-up", "1", "30", "")]).await;
    let draft_claim = claim(&inv1, cp.id).await;
    let paid_claim = claim(&inv2, cq.id).await;
    insurance::submit_claim(&ctx.services, &c.owner, &paid_claim).await.unwrap();
    insurance::post_remittance(&ctx.services, &c.owner, &paid_claim, &RemittanceForm { amount: "30".into(), reference: String::new() }).await.unwrap();
    let denied_claim = claim(&inv3, cp.id).await;
    insurance::submit_claim(&ctx.services, &c.owner, &denied_claim).await.unwrap();
    let deny = ClaimDecisionForm { decision: "deny".into(), reason: "Not covered".into() };
    insurance::decide_claim(&ctx.services, &c.owner, &denied_claim, &deny).await.unwrap();

    let all = listing::claims(&ctx.services, &c.owner, "").await.unwrap();
    assert_eq!(all.iter().map(|c| c.id.to_string()).collect::<Vec<_>>(), vec![denied_claim.clone(), paid_claim.clone(), draft_claim.clone()], "newest first");
    let paid = &all[1];
    assert_eq!((paid.label.as_str(), paid.invoice_id, paid.invoice_label.as_str()), ("CLM-000002", inv2.id, "INV-000002"));
    assert_eq!((paid.status, paid.amount.minor, paid.paid.minor), (ClaimStatus::Paid, 4_000, 3_000));
    assert_eq!((paid.patient_id, paid.payer.as_str()), (q, "Médis · member MED-0043"));
    assert!(paid.patient.ends_with("Bruno Almeida"), "{}", paid.patient);
    let ids = |status: &'static str| {
        let (services, owner) = (ctx.services.clone(), c.owner.clone());
        async move { listing::claims(&services, &owner, status).await.unwrap().into_iter().map(|c| c.id.to_string()).collect::<Vec<_>>() }
    };
    assert_eq!(ids("draft").await, vec![draft_claim.clone()]);
    assert_eq!(ids("paid").await, vec![paid_claim]);
    assert_eq!(ids("denied").await, vec![denied_claim]);
    assert!(ids("submitted").await.is_empty() && ids("accepted").await.is_empty());
    insurance::submit_claim(&ctx.services, &c.owner, &draft_claim).await.unwrap();
    assert_eq!(ids("submitted").await, vec![draft_claim]);
    match listing::claims(&ctx.services, &c.owner, "bogus").await {
        Err(ServiceError::Invalid(errors)) => assert!(errors.get("status").is_some()),
        other => panic!("{other:?}"),
    }

    // Scoped to the clinic; readers only (a nurse has no ViewBilling).
    let other = clinic(&ctx, "Riverside", "owner@b.example").await;
    assert!(listing::claims(&ctx.services, &other.owner, "").await.unwrap().is_empty());
    let desk = join(&ctx, &c.owner, "desk@a.example", "front_desk").await;
    assert_eq!(listing::claims(&ctx.services, &desk, "").await.unwrap().len(), 3);
    let nurse = join(&ctx, &c.owner, "nurse@a.example", "nurse").await;
    assert!(matches!(listing::claims(&ctx.services, &nurse, "").await, Err(ServiceError::Forbidden)));
    assert_eq!(audited(&ctx, &c.owner, "claim.list", "denied").await, 1);
}

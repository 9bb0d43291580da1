//! The invoice (or credit note), the receipt and the patient's statement as
//! PDFs (see `crate::pdf`): the clinic's letterhead, the patient with date
//! of birth on every page, amounts in the clinic currency's exponent, and
//! the tax of every line with a summary per rate. Reading needs
//! `ViewBilling`; the patient's access rules apply; another clinic's
//! document is a 404; every print is audited.

use super::{
    actor, invoices, load_invoice, or_denied,
    payments::{account_in, load_payment, receipt},
    require,
};
use crate::{
    audit::{self, Entry},
    error::ServiceError,
    pdf::{Block, Column, Document},
    repo,
    scope::AuthContext,
    // The letterhead, running head and patient block are the chart
    // printouts' own, so every PDF the clinic sends looks alike.
    services::medications::printouts::{letterhead, patient_fields, patient_name as name_of, running, Printout},
    Services,
};
use ambula_domain::{billing::Money, Permission};
use std::collections::BTreeMap;

/// The chart printouts' letterhead with, for the billing documents, the
/// clinic's tax registration number when it has one.
fn billing_letterhead(clinic: &repo::clinics::ClinicRow) -> Vec<String> {
    let mut lines = letterhead(clinic);
    if let Some(number) = clinic.tax_number.as_deref().filter(|n| !n.is_empty()) {
        lines.push(format!("Tax no. {number}"));
    }
    lines
}

/// A file name made of the document's label and date: letters, digits and
/// dashes only (the route filters again).
fn file_name(prefix: &str, label: &str, date: &str) -> String {
    let label: String = label.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
    format!("{prefix}-{label}-{date}.pdf")
}

/// An invoice or credit note. A draft prints marked as such: it is not a
/// valid invoice until issued.
pub async fn invoice(services: &Services, ctx: &AuthContext, invoice_id: &str) -> Result<Printout, ServiceError> {
    require(services, ctx, Permission::ViewBilling, "invoice.print", "invoice", invoice_id).await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let (row, patient) = or_denied!(tx, load_invoice(&mut tx, ctx, invoice_id, "invoice.print", now).await?);
    let clinic = repo::clinics::get(&mut tx, &ctx.scope).await?;
    let v = invoices::view(&mut tx, ctx, row, name_of(&patient)).await?;
    let billing = super::ClinicBilling::load(&mut tx, ctx).await?;
    let title = if v.is_credit_note { "Credit note" } else { "Invoice" };
    let mut doc = Document::new(format!("{title} {}", v.label), billing_letterhead(&clinic), running(&patient));
    doc.push(Block::Heading(format!("{title} {}", v.label)));
    patient_fields(&mut doc, &patient);
    let issued = v.issued_at.map(|t| billing.local_date(t).to_string());
    doc.push(Block::Field("Issued".into(), issued.clone().unwrap_or_else(|| "Not issued (draft)".into())));
    if let Some(due_on) = v.due_on.filter(|_| !v.is_credit_note) {
        doc.push(Block::Field("Due".into(), due_on.to_string()));
    }
    if let Some(of) = &v.credit_of {
        doc.push(Block::Field("Corrects".into(), of.label.clone()));
    }
    if let Some(reason) = &v.reason {
        doc.push(Block::Field("Reason".into(), reason.clone()));
    }
    doc.push(Block::Field("Status".into(), v.status.label().to_owned())).push(Block::Rule);
    doc.push(Block::Table {
        columns: vec![
            Column::new("Code", 0.09),
            Column::new("Description", 0.26),
            Column::new("Qty", 0.06),
            Column::new("Unit price", 0.13),
            Column::new("Discount", 0.12),
            Column::new("Tax", 0.18),
            Column::new("Total", 0.16),
        ],
        rows: v
            .lines
            .iter()
            .map(|l| {
                vec![
                    l.code.clone().unwrap_or_default(),
                    l.description.clone(),
                    l.quantity.clone(),
                    l.unit_price.to_string(),
                    if l.discount.is_zero() { String::new() } else { l.discount.to_string() },
                    format!("{} ({})", l.tax, l.tax_rate.percent()),
                    l.total.to_string(),
                ]
            })
            .collect(),
    });
    // Tax details: net and tax per rate, as tax authorities ask.
    let mut by_rate: BTreeMap<u32, (String, i64, i64)> = BTreeMap::new();
    for l in &v.lines {
        let e = by_rate.entry(l.tax_rate.basis_points()).or_insert_with(|| (l.tax_rate.percent(), 0, 0));
        e.1 += l.net.minor;
        e.2 += l.tax.minor;
    }
    doc.push(Block::Heading("Tax summary".into())).push(Block::Table {
        columns: vec![Column::new("Rate", 0.3), Column::new("Net", 0.35), Column::new("Tax", 0.35)],
        rows: by_rate
            .values()
            .map(|(rate, net, tax)| vec![rate.clone(), Money::new(*net, v.currency).to_string(), Money::new(*tax, v.currency).to_string()])
            .collect(),
    });
    doc.push(Block::Rule)
        .push(Block::Field("Subtotal".into(), v.subtotal.to_string()))
        .push(Block::Field("Tax".into(), v.tax.to_string()))
        .push(Block::Field("Total".into(), v.total.to_string()));
    if !v.is_credit_note && issued.is_some() {
        doc.push(Block::Field("Paid".into(), v.paid.to_string()));
        if !v.credited.is_zero() {
            doc.push(Block::Field("Credited".into(), v.credited.to_string()));
        }
        doc.push(Block::Field("Amount due".into(), v.due.to_string()));
    }
    if let Some(reason) = &v.void_reason {
        doc.push(Block::Paragraph(format!("This invoice was voided: {reason}. Nothing is owed on it.")));
    }
    if issued.is_none() {
        doc.push(Block::Paragraph("Draft: not a valid invoice until issued.".into()));
    }
    if let Some(note) = &v.note {
        doc.push(Block::Paragraph(note.clone()));
    }
    let bytes = doc.render();
    let entry = Entry::ok("invoice.print", "invoice", v.id).patient(patient.id).detail(format!("{} {}", v.label, v.total));
    audit::record(&mut tx, &ctx.scope, &actor(ctx), entry, now).await?;
    tx.commit().await?;
    let date = issued.unwrap_or_else(|| billing.today(now).to_string());
    let prefix = if v.is_credit_note { "credit-note" } else { "invoice" };
    Ok(Printout { file_name: file_name(prefix, &v.label, &date), bytes })
}

/// The receipt of one payment: what it paid, what is kept as credit, and
/// any refunds.
pub async fn receipt_pdf(services: &Services, ctx: &AuthContext, payment_id: &str) -> Result<Printout, ServiceError> {
    require(services, ctx, Permission::ViewBilling, "payment.print", "payment", payment_id).await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let (payment, patient) = or_denied!(tx, load_payment(&mut tx, ctx, payment_id, "payment.print", now).await?);
    let clinic = repo::clinics::get(&mut tx, &ctx.scope).await?;
    let billing = super::ClinicBilling::load(&mut tx, ctx).await?;
    let r = receipt(&mut tx, ctx, &payment, name_of(&patient)).await?;
    let received = r.received_at.0.with_timezone(&billing.tz);
    let mut doc = Document::new(format!("Receipt {}", r.label), billing_letterhead(&clinic), running(&patient));
    doc.push(Block::Heading(format!("Receipt {}", r.label)));
    patient_fields(&mut doc, &patient);
    doc.push(Block::Field("Received".into(), received.format("%Y-%m-%d %H:%M").to_string()))
        .push(Block::Field("Method".into(), r.method.label().to_owned()));
    if let Some(reference) = &r.reference {
        doc.push(Block::Field("Reference".into(), reference.clone()));
    }
    doc.push(Block::Field("Amount received".into(), r.amount.to_string())).push(Block::Rule);
    if r.allocations.is_empty() {
        doc.push(Block::Paragraph("Not applied to an invoice: held as the patient's credit.".into()));
    } else {
        doc.push(Block::Table {
            columns: vec![Column::new("Applied to", 0.6), Column::new("Amount", 0.4)],
            rows: r.allocations.iter().map(|(_, label, amount)| vec![label.clone(), amount.to_string()]).collect(),
        });
    }
    if !r.credit.is_zero() {
        doc.push(Block::Field("Held as credit".into(), r.credit.to_string()));
    }
    if !r.refunded.is_zero() {
        doc.push(Block::Field("Refunded".into(), r.refunded.to_string()));
    }
    doc.push(Block::Paragraph(format!("Thank you. Received by {}.", clinic.name)));
    let bytes = doc.render();
    let entry = Entry::ok("payment.print", "payment", payment.id).patient(patient.id).detail(format!("{} {}", r.label, r.amount));
    audit::record(&mut tx, &ctx.scope, &actor(ctx), entry, now).await?;
    tx.commit().await?;
    Ok(Printout { file_name: file_name("receipt", &r.label, &received.date_naive().to_string()), bytes })
}

/// The patient's statement: every invoice, credit note, payment, refund
/// and void with the running balance, and what is due and held as credit.
pub async fn statement(services: &Services, ctx: &AuthContext, patient_id: &str) -> Result<Printout, ServiceError> {
    require(services, ctx, Permission::ViewBilling, "billing.statement_print", "patient", patient_id).await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let (patient, _) = or_denied!(tx, crate::services::patients::load_for(&mut tx, ctx, patient_id, "billing.statement_print", now).await?);
    let clinic = repo::clinics::get(&mut tx, &ctx.scope).await?;
    let billing = super::ClinicBilling::load(&mut tx, ctx).await?;
    let account = account_in(&mut tx, ctx, &patient).await?;
    let today = billing.today(now);
    let mut doc = Document::new("Statement of account", billing_letterhead(&clinic), running(&patient));
    doc.push(Block::Heading("Statement of account".into()));
    patient_fields(&mut doc, &patient);
    doc.push(Block::Field("Date".into(), today.to_string())).push(Block::Rule);
    if account.entries.is_empty() {
        doc.push(Block::Paragraph("Nothing has been invoiced or paid yet.".into()));
    } else {
        doc.push(Block::Table {
            columns: vec![Column::new("Date", 0.18), Column::new("Description", 0.42), Column::new("Amount", 0.2), Column::new("Balance", 0.2)],
            rows: account
                .entries
                .iter()
                .map(|e| vec![billing.local_date(e.at).to_string(), e.description.clone(), e.amount.to_string(), e.balance.to_string()])
                .collect(),
        });
    }
    doc.push(Block::Rule)
        .push(Block::Field("Due on open invoices".into(), account.due.to_string()))
        .push(Block::Field("Credit held".into(), account.credit.to_string()))
        .push(Block::Field("Balance".into(), account.balance.to_string()));
    doc.push(Block::Paragraph(if account.balance.minor > 0 {
        format!("Balance owed: {}.", account.balance)
    } else if account.balance.minor < 0 {
        format!("You are in credit by {}.", Money::new(-account.balance.minor, account.currency))
    } else {
        "Nothing is owed.".to_owned()
    }));
    let bytes = doc.render();
    let entry = Entry::ok("billing.statement_print", "patient", patient.id).patient(patient.id).detail(format!("balance {}", account.balance));
    audit::record(&mut tx, &ctx.scope, &actor(ctx), entry, now).await?;
    tx.commit().await?;
    Ok(Printout { file_name: file_name("statement", &patient.mrn, &today.to_string()), bytes })
}

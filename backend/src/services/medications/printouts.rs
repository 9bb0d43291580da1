//! The printed prescription and the referral letter, as PDFs (see
//! `crate::pdf`): the clinic's letterhead, the patient with date of birth
//! on every page, and the signature line. Reading needs `ViewClinical`;
//! every print is audited.

use super::{open_in, permit, prescriptions, referrals, Opened};
use crate::{
    error::ServiceError,
    pdf::{Block, Column, Document},
    repo::{self, clinics::ClinicRow, patients::PatientRow},
    scope::AuthContext,
    Services,
};
use ambula_domain::{medications::AllergyStatus, MedicationId, Permission};

#[derive(Debug, Clone)]
pub struct Printout {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

pub(crate) fn letterhead(clinic: &ClinicRow) -> Vec<String> {
    let mut lines = vec![clinic.name.clone()];
    if let Some(address) = &clinic.address {
        // One line: the letterhead is compact.
        lines.push(address.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(", "));
    }
    let contact: Vec<String> = [clinic.phone.as_ref().map(|p| format!("Phone {p}")), clinic.email.clone()].into_iter().flatten().collect();
    if !contact.is_empty() {
        lines.push(contact.join(" · "));
    }
    lines
}

pub(crate) fn patient_name(p: &PatientRow) -> String {
    format!("{} {}", p.given_name, p.family_name)
}

pub(crate) fn running(p: &PatientRow) -> String {
    format!("{}, born {} · record {}", patient_name(p), p.date_of_birth, p.mrn)
}

pub(crate) fn patient_fields(doc: &mut Document, p: &PatientRow) {
    doc.push(Block::Field("Patient".into(), patient_name(p)))
        .push(Block::Field("Date of birth".into(), p.date_of_birth.to_string()))
        .push(Block::Field("Record".into(), p.mrn.clone()));
}

async fn open(services: &Services, ctx: &AuthContext, patient: uuid::Uuid, action: &'static str, tx: crate::db::Tx) -> Result<Opened, ServiceError> {
    let now = services.now();
    open_in(tx, ctx, &patient.to_string(), action, now).await
}

pub async fn prescription(services: &Services, ctx: &AuthContext, medication: &str) -> Result<Printout, ServiceError> {
    permit(services, ctx, Permission::ViewClinical, "prescription.print", "medication", medication).await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    // Only prescriptions print; a recorded medication has none.
    let row = match medication.trim().parse::<MedicationId>() {
        Ok(id) => repo::medications::get(&mut tx, &ctx.scope, id).await?.filter(|m| m.kind == "prescribed"),
        Err(_) => None,
    };
    let Some(row) = row else {
        return super::not_found(tx, ctx, "prescription.print", "medication", medication, now).await;
    };
    let mut o = open(services, ctx, row.patient_id, "prescription.print", tx).await?;
    let clinic = repo::clinics::get(&mut o.tx, &ctx.scope).await?;
    let today = super::clinic_today(&mut o.tx, ctx, o.now).await?;
    let m = prescriptions::view(services, &mut o.tx, ctx, row).await?;
    let mut doc = Document::new("Prescription", letterhead(&clinic), running(&o.patient));
    doc.push(Block::Heading("Prescription".into()));
    patient_fields(&mut doc, &o.patient);
    doc.push(Block::Field("Date".into(), today.to_string()))
        .push(Block::Field("Start".into(), m.start_date.to_string()))
        .push(Block::Rule)
        .push(Block::Table {
            columns: vec![
                Column::new("Medicine", 0.30),
                Column::new("Dose", 0.16),
                Column::new("Route", 0.14),
                Column::new("How often", 0.16),
                Column::new("Days", 0.08),
                Column::new("Quantity", 0.09),
                Column::new("Refills", 0.07),
            ],
            rows: vec![vec![
                m.title(),
                m.dose.clone(),
                m.route.clone(),
                m.frequency.clone(),
                m.duration_days.map(|d| d.to_string()).unwrap_or_else(|| "—".into()),
                m.quantity.map(|q| q.to_string()).unwrap_or_else(|| "—".into()),
                m.refills.to_string(),
            ]],
        });
    if let Some(instructions) = &m.instructions {
        doc.push(Block::Heading("Instructions".into())).push(Block::Paragraph(instructions.clone()));
    }
    if m.status != "active" {
        doc.push(Block::Paragraph(format!(
            "This medication was {} on {}. This copy is for the record only and is not valid for dispensing.",
            m.status,
            m.ended_at.map(|t| t.0.date_naive().to_string()).unwrap_or_default()
        )));
    }
    let prescriber = m.prescriber.clone().unwrap_or_default();
    doc.push(Block::Space(12.0))
        .push(Block::Field("Prescriber".into(), prescriber.clone()))
        .push(Block::Signature(format!("Signature of {prescriber}")));
    let bytes = doc.render();
    o.audit(ctx, "prescription.print", "medication", m.id, Some(m.title())).await?;
    o.commit().await?;
    Ok(Printout { file_name: format!("prescription-{}-{}.pdf", m.start_date, m.id), bytes })
}

pub async fn referral_letter(services: &Services, ctx: &AuthContext, referral: &str) -> Result<Printout, ServiceError> {
    permit(services, ctx, Permission::ViewClinical, "referral.letter", "referral", referral).await?;
    let (mut o, row) = referrals::open_referral(services, ctx, referral, "referral.letter").await?;
    let clinic = repo::clinics::get(&mut o.tx, &ctx.scope).await?;
    let today = super::clinic_today(&mut o.tx, ctx, o.now).await?;
    let r = referrals::view(services, &mut o.tx, ctx, row).await?;
    let patient_id = o.patient_id();
    let allergy_rows = repo::allergies::for_patient(&mut o.tx, &ctx.scope, patient_id).await?;
    let no_known = repo::allergies::no_known(&mut o.tx, &ctx.scope, patient_id).await?;
    let mut current = Vec::new();
    for m in repo::medications::for_patient(&mut o.tx, &ctx.scope, patient_id).await? {
        if m.status == "active" {
            current.push(prescriptions::view(services, &mut o.tx, ctx, m).await?);
        }
    }
    let mut doc = Document::new("Referral letter", letterhead(&clinic), running(&o.patient));
    doc.push(Block::Field("Date".into(), today.to_string()));
    let mut to = vec![r.to_name.clone()];
    to.extend(r.specialty.clone());
    to.extend(r.to_address.clone());
    to.extend(r.to_email.clone());
    doc.push(Block::Field("To".into(), to.join("\n")))
        .push(Block::Heading(format!("Referral — {}", r.urgency.label())));
    patient_fields(&mut doc, &o.patient);
    doc.push(Block::Rule)
        .push(Block::Paragraph(format!("Dear {},", r.to_name)))
        .push(Block::Paragraph(format!("Thank you for seeing {}.", patient_name(&o.patient))))
        .push(Block::Heading("Reason for referral".into()))
        .push(Block::Paragraph(r.reason.clone()));
    if let Some(letter) = &r.letter {
        doc.push(Block::Paragraph(letter.clone()));
    }
    doc.push(Block::Heading("Allergies".into()));
    let active: Vec<String> = allergy_rows
        .iter()
        .filter(|a| a.status == AllergyStatus::Active.as_str())
        .map(|a| {
            let severity = ambula_domain::medications::Severity::parse(&a.severity).map(|s| s.label()).unwrap_or("");
            format!("{} ({severity})", a.substance)
        })
        .collect();
    doc.push(Block::Paragraph(if !active.is_empty() {
        active.join("; ")
    } else if no_known.is_some() {
        "No known allergies.".to_owned()
    } else {
        "Not recorded.".to_owned()
    }));
    doc.push(Block::Heading("Current medications".into()));
    if current.is_empty() {
        doc.push(Block::Paragraph("None recorded.".into()));
    } else {
        doc.push(Block::Table {
            columns: vec![Column::new("Medicine", 0.4), Column::new("Dose", 0.2), Column::new("Route", 0.2), Column::new("How often", 0.2)],
            rows: current.iter().map(|m| vec![m.title(), m.dose.clone(), m.route.clone(), m.frequency.clone()]).collect(),
        });
    }
    doc.push(Block::Paragraph("Yours sincerely,".into())).push(Block::Signature(r.created_by.clone()));
    let bytes = doc.render();
    o.audit(ctx, "referral.letter", "referral", r.id, Some(format!("to {}", r.to_name))).await?;
    o.commit().await?;
    Ok(Printout { file_name: format!("referral-{}-{}.pdf", today, r.id), bytes })
}

//! Medications: prescribe (`Prescribe`), record one the patient takes
//! (`EditClinical`), stop with a reason, change (end with a reason and
//! start the new one, linked). Prescribing or recording a drug that
//! matches an active allergy needs the warning acknowledged with a reason;
//! the acknowledgement is sealed in the row and audited.

use super::{allergies, not_found, open_in, open_patient, permit, seal, unseal_opt, Opened};
use crate::{
    error::ServiceError,
    repo::{self, medications::{MedicationRow, NewMedicationRow}},
    scope::AuthContext,
    time::DbTime,
    Services,
};
use ambula_domain::{
    medications::{
        allergy_warning, check_drug, prescriptions::MedicationKind, DoseUnit, Frequency, MedicationForm, NewMedication, Route,
        StopForm, StrengthUnit,
    },
    FieldErrors, MedicationId, Permission,
};
use chrono::NaiveDate;

#[derive(Debug, Clone)]
pub struct MedicationView {
    pub id: MedicationId,
    pub prescribed: bool,
    pub drug: String,
    /// "500 mg".
    pub strength: Option<String>,
    /// "1 capsule(s)".
    pub dose: String,
    pub route: String,
    pub frequency: String,
    pub duration_days: Option<i32>,
    pub quantity: Option<i32>,
    pub refills: i32,
    pub start_date: NaiveDate,
    pub instructions: Option<String>,
    /// Why it was prescribed despite an allergy warning.
    pub allergy_ack: Option<String>,
    pub prescriber: Option<String>,
    pub replaces: Option<MedicationId>,
    /// "active", "stopped" or "changed".
    pub status: String,
    pub ended_at: Option<DbTime>,
    pub end_reason: Option<String>,
    pub ended_by: Option<String>,
    /// The values as a form, to prefill a change.
    pub form: MedicationForm,
}

impl MedicationView {
    /// "Amoxicillin 500 mg".
    pub fn title(&self) -> String {
        match &self.strength {
            Some(s) => format!("{} {s}", self.drug),
            None => self.drug.clone(),
        }
    }
}

fn label<T>(parsed: Result<T, ambula_domain::ParseError>, label: fn(T) -> &'static str, raw: &str) -> String {
    parsed.map(label).map(str::to_owned).unwrap_or_else(|_| raw.to_owned())
}

pub(crate) async fn view(services: &Services, tx: &mut crate::db::Tx, ctx: &AuthContext, row: MedicationRow) -> Result<MedicationView, ServiceError> {
    let instructions = unseal_opt(services, tx, ctx, "medications", "instructions", row.id, row.instructions.as_deref()).await?;
    let allergy_ack = unseal_opt(services, tx, ctx, "medications", "allergy_ack", row.id, row.allergy_ack.as_deref()).await?;
    let end_reason = unseal_opt(services, tx, ctx, "medications", "end_reason", row.id, row.end_reason.as_deref()).await?;
    let strength = match (&row.strength, &row.strength_unit) {
        (Some(amount), Some(unit)) => Some(format!("{amount} {}", label(StrengthUnit::parse(unit), StrengthUnit::label, unit))),
        _ => None,
    };
    let form = MedicationForm {
        drug: row.drug.clone(),
        strength: row.strength.clone().unwrap_or_default(),
        strength_unit: row.strength_unit.clone().unwrap_or_default(),
        dose: row.dose.clone(),
        dose_unit: row.dose_unit.clone(),
        route: row.route.clone(),
        frequency: row.frequency.clone(),
        duration_days: row.duration_days.map(|d| d.to_string()).unwrap_or_default(),
        quantity: row.quantity.map(|q| q.to_string()).unwrap_or_default(),
        refills: row.refills.to_string(),
        start_date: row.start_date.to_string(),
        instructions: instructions.clone().unwrap_or_default(),
        allergy_ack: None,
        allergy_ack_reason: String::new(),
    };
    Ok(MedicationView {
        id: MedicationId::from_uuid(row.id),
        prescribed: row.kind == "prescribed",
        strength,
        dose: format!("{} {}", row.dose, label(DoseUnit::parse(&row.dose_unit), DoseUnit::label, &row.dose_unit)),
        route: label(Route::parse(&row.route), Route::label, &row.route),
        frequency: label(Frequency::parse(&row.frequency), Frequency::label, &row.frequency),
        duration_days: row.duration_days,
        quantity: row.quantity,
        refills: row.refills,
        start_date: row.start_date,
        instructions,
        allergy_ack,
        prescriber: row.prescriber_name,
        replaces: row.replaces_id.map(MedicationId::from_uuid),
        status: row.status,
        ended_at: row.ended_at,
        end_reason,
        ended_by: row.ended_by_name,
        drug: row.drug,
        form,
    })
}

fn kind_code(kind: MedicationKind) -> &'static str {
    match kind {
        MedicationKind::Prescribed => "prescribed",
        MedicationKind::Recorded => "recorded",
    }
}

/// Runs the allergy check and writes the new medication (and the audit of
/// an acknowledged warning). The caller audits the write itself.
async fn write(
    services: &Services,
    ctx: &AuthContext,
    o: &mut Opened,
    new: &NewMedication,
    kind: MedicationKind,
    replaces: Option<MedicationId>,
) -> Result<MedicationId, ServiceError> {
    let patient = o.patient_id();
    let allergy_rows = repo::allergies::for_patient(&mut o.tx, &ctx.scope, patient).await?;
    let hits = check_drug(&new.drug, &allergies::known(&allergy_rows));
    let acknowledged = match (&new.allergy_ack, hits.is_empty()) {
        (_, true) => None,
        (None, false) => return Err(ServiceError::Invalid(allergy_warning(&hits))),
        (Some(reason), false) => Some(reason.as_str()),
    };
    let id = MedicationId::generate();
    let instructions = match &new.instructions {
        Some(text) => Some(seal(services, o, ctx, "medications", "instructions", id.as_uuid(), text).await?),
        None => None,
    };
    let ack = match acknowledged {
        Some(reason) => Some(seal(services, o, ctx, "medications", "allergy_ack", id.as_uuid(), reason).await?),
        None => None,
    };
    let row = NewMedicationRow {
        id,
        patient,
        kind: kind_code(kind),
        drug: &new.drug,
        strength: new.strength.as_ref().map(|(a, _)| a.as_str()),
        strength_unit: new.strength.as_ref().map(|(_, u)| u.as_str()),
        dose: new.dose.as_str(),
        dose_unit: new.dose_unit.as_str(),
        route: new.route.as_str(),
        frequency: new.frequency.as_str(),
        duration_days: new.duration_days.map(|d| d as i32),
        quantity: new.quantity.map(|q| q as i32),
        refills: new.refills as i32,
        start_date: new.start_date,
        instructions: instructions.as_deref(),
        allergy_ack: ack.as_deref(),
        prescriber: (kind == MedicationKind::Prescribed).then_some(ctx.membership_id),
        replaces,
        created_by: ctx.membership_id,
    };
    repo::medications::insert(&mut o.tx, &ctx.scope, row, o.now).await?;
    if acknowledged.is_some() {
        let warned: Vec<String> = hits.iter().map(|h| h.message()).collect();
        let detail = format!("{}: allergy warning acknowledged ({})", new.title(), warned.join(" "));
        o.audit(ctx, "medication.allergy_override", "medication", id, Some(detail)).await?;
    }
    Ok(id)
}

async fn add(services: &Services, ctx: &AuthContext, patient: &str, form: &MedicationForm, kind: MedicationKind) -> Result<MedicationId, ServiceError> {
    let (permission, action) = match kind {
        MedicationKind::Prescribed => (Permission::Prescribe, "medication.prescribe"),
        MedicationKind::Recorded => (Permission::EditClinical, "medication.record"),
    };
    permit(services, ctx, permission, action, "patient", patient).await?;
    let mut o = open_patient(services, ctx, patient, action).await?;
    let today = super::clinic_today(&mut o.tx, ctx, o.now).await?;
    let new = form.parse(today, kind)?;
    let id = write(services, ctx, &mut o, &new, kind, None).await?;
    o.audit(ctx, action, "medication", id, Some(new.title())).await?;
    o.commit().await?;
    Ok(id)
}

pub async fn prescribe(services: &Services, ctx: &AuthContext, patient: &str, form: &MedicationForm) -> Result<MedicationId, ServiceError> {
    add(services, ctx, patient, form, MedicationKind::Prescribed).await
}

pub async fn record(services: &Services, ctx: &AuthContext, patient: &str, form: &MedicationForm) -> Result<MedicationId, ServiceError> {
    add(services, ctx, patient, form, MedicationKind::Recorded).await
}

/// Finds the medication in this clinic and opens its patient.
async fn open_medication(services: &Services, ctx: &AuthContext, raw: &str, action: &'static str) -> Result<(Opened, MedicationRow), ServiceError> {
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let row = match raw.trim().parse::<MedicationId>() {
        Ok(id) => repo::medications::get(&mut tx, &ctx.scope, id).await?,
        Err(_) => None,
    };
    let Some(row) = row else {
        return not_found(tx, ctx, action, "medication", raw, now).await;
    };
    let o = open_in(tx, ctx, &row.patient_id.to_string(), action, now).await?;
    Ok((o, row))
}

const ALREADY_ENDED: &str = "This medication has already been stopped or changed; reload to see its current state.";

pub async fn stop(services: &Services, ctx: &AuthContext, medication: &str, form: &StopForm) -> Result<(), ServiceError> {
    permit(services, ctx, Permission::EditClinical, "medication.stop", "medication", medication).await?;
    let (mut o, row) = open_medication(services, ctx, medication, "medication.stop").await?;
    let reason = form.parse()?;
    let id = MedicationId::from_uuid(row.id);
    let sealed = seal(services, &mut o, ctx, "medications", "end_reason", row.id, &reason).await?;
    if row.status != "active" || !repo::medications::end(&mut o.tx, &ctx.scope, id, "stopped", &sealed, ctx.membership_id, o.now).await? {
        return Err(ServiceError::field("reason", ALREADY_ENDED));
    }
    o.audit(ctx, "medication.stop", "medication", id, Some(row.drug.clone())).await?;
    o.commit().await
}

/// Ends the medication as changed and starts its replacement (same kind),
/// linked to it. Returns the new medication's id.
pub async fn change(services: &Services, ctx: &AuthContext, medication: &str, change_reason: &str, form: &MedicationForm) -> Result<MedicationId, ServiceError> {
    permit(services, ctx, Permission::Prescribe, "medication.change", "medication", medication).await?;
    let (mut o, row) = open_medication(services, ctx, medication, "medication.change").await?;
    let kind = if row.kind == "prescribed" { MedicationKind::Prescribed } else { MedicationKind::Recorded };
    let today = super::clinic_today(&mut o.tx, ctx, o.now).await?;
    let parsed = form.parse(today, kind);
    let reason = StopForm { reason: change_reason.to_owned() }.parse();
    let (new, reason) = match (parsed, reason) {
        (Ok(new), Ok(reason)) => (new, reason),
        (parsed, reason) => {
            let mut errors = parsed.err().unwrap_or_default();
            if let Err(e) = reason {
                errors.add("change_reason", e.get("reason").unwrap_or("Give the reason for the change."));
            }
            return Err(ServiceError::Invalid(errors));
        }
    };
    if row.status != "active" {
        return Err(ServiceError::Invalid(FieldErrors::single("change_reason", ALREADY_ENDED)));
    }
    let old = MedicationId::from_uuid(row.id);
    let sealed = seal(services, &mut o, ctx, "medications", "end_reason", row.id, &reason).await?;
    if !repo::medications::end(&mut o.tx, &ctx.scope, old, "changed", &sealed, ctx.membership_id, o.now).await? {
        return Err(ServiceError::Invalid(FieldErrors::single("change_reason", ALREADY_ENDED)));
    }
    let id = write(services, ctx, &mut o, &new, kind, Some(old)).await?;
    o.audit(ctx, "medication.change", "medication", id, Some(format!("replaces {old}: {} → {}", row.drug, new.title()))).await?;
    o.commit().await?;
    Ok(id)
}

//! The clinic's reminder schedule and the patients' opt-outs.

use crate::{
    audit::{self, Actor, Entry},
    db::Tx,
    error::ServiceError,
    repo,
    scope::{AuthContext, ClinicScope},
    services::patients,
    Services,
};
use ambula_domain::{FieldErrors, PatientId, Permission};

/// Shortest and longest offset allowed: a reminder 5 minutes before is too
/// late to act on; one more than two weeks before is forgotten.
const MIN_OFFSET: u32 = 15;
const MAX_OFFSET: u32 = 14 * 24 * 60;
const MAX_OFFSETS: usize = 4;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderSettings {
    /// Minutes before the appointment, largest first.
    pub offsets_minutes: Vec<u32>,
    pub email: bool,
    pub sms: bool,
}

impl ReminderSettings {
    pub fn channels(&self) -> Vec<&'static str> {
        let mut channels = Vec::new();
        if self.email {
            channels.push("email");
        }
        if self.sms {
            channels.push("sms");
        }
        channels
    }

    /// "24 h, 2 h" — what the settings form shows.
    pub fn offsets_text(&self) -> String {
        self.offsets_minutes.iter().map(|m| describe_offset(*m)).collect::<Vec<_>>().join(", ")
    }
}

/// "24 h", "90 min", "2 d".
pub fn describe_offset(minutes: u32) -> String {
    if minutes % (24 * 60) == 0 {
        format!("{} d", minutes / (24 * 60))
    } else if minutes % 60 == 0 {
        format!("{} h", minutes / 60)
    } else {
        format!("{minutes} min")
    }
}

/// As posted by the settings form. `offsets`: "24h, 2h" (also "90 min",
/// "2d"); the check boxes are present when ticked.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
pub struct ReminderSettingsForm {
    pub offsets: String,
    pub email: Option<String>,
    pub sms: Option<String>,
}

fn parse_offset(raw: &str) -> Option<u32> {
    let raw = raw.trim().to_ascii_lowercase();
    let split = raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len());
    let (number, unit) = raw.split_at(split);
    let n: u32 = number.parse().ok()?;
    let factor = match unit.trim() {
        "m" | "min" | "mins" | "minutes" => 1,
        "h" | "hr" | "hrs" | "hour" | "hours" => 60,
        "d" | "day" | "days" => 24 * 60,
        _ => return None,
    };
    n.checked_mul(factor)
}

impl ReminderSettingsForm {
    pub fn parse(&self) -> Result<ReminderSettings, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut offsets = Vec::new();
        for part in self.offsets.split(',').filter(|p| !p.trim().is_empty()) {
            match parse_offset(part) {
                Some(m) if (MIN_OFFSET..=MAX_OFFSET).contains(&m) => {
                    if !offsets.contains(&m) {
                        offsets.push(m)
                    }
                }
                Some(_) => {
                    errors.add("offsets", "Each reminder must be between 15 minutes and 14 days before the appointment.");
                    break;
                }
                None => {
                    errors.add("offsets", format!("{:?} is not a time before the appointment: write it like 24h, 2h or 30min.", part.trim()));
                    break;
                }
            }
        }
        if offsets.len() > MAX_OFFSETS {
            errors.add("offsets", format!("At most {MAX_OFFSETS} reminders per appointment."));
        }
        offsets.sort_unstable_by(|a, b| b.cmp(a));
        let settings = ReminderSettings { offsets_minutes: offsets, email: self.email.is_some(), sms: self.sms.is_some() };
        if errors.is_empty() {
            Ok(settings)
        } else {
            Err(errors)
        }
    }
}

/// Reads the clinic's schedule (inside any transaction of that clinic).
pub(crate) async fn load(tx: &mut Tx, scope: &ClinicScope) -> Result<ReminderSettings, ServiceError> {
    let (offsets, channels) = repo::reminders::settings(tx, scope).await?;
    let offsets: Vec<u32> = serde_json::from_str(&offsets)
        .map_err(|e| ServiceError::Internal(format!("stored reminder offsets do not parse: {e}")))?;
    let channels: Vec<String> = serde_json::from_str(&channels)
        .map_err(|e| ServiceError::Internal(format!("stored reminder channels do not parse: {e}")))?;
    Ok(ReminderSettings {
        offsets_minutes: offsets,
        email: channels.iter().any(|c| c == "email"),
        sms: channels.iter().any(|c| c == "sms"),
    })
}

/// The clinic's schedule, for the settings page (anyone who books).
pub async fn get(services: &Services, ctx: &AuthContext) -> Result<ReminderSettings, ServiceError> {
    ctx.require(Permission::Schedule)?;
    let mut tx = services.db.read_in(&ctx.scope).await?;
    load(&mut tx, &ctx.scope).await
}

/// Changes the schedule (`ManageClinic`). Appointments already booked keep
/// the reminders they were given; new bookings and moves use the new one.
pub async fn update(services: &Services, ctx: &AuthContext, form: &ReminderSettingsForm) -> Result<ReminderSettings, ServiceError> {
    if !ctx.can(Permission::ManageClinic) {
        audit::record_denial(services, ctx, "clinic.reminders", "clinic", &ctx.scope.clinic_id().to_string(), None).await?;
        return Err(ServiceError::Forbidden);
    }
    let settings = form.parse()?;
    let offsets = serde_json::to_string(&settings.offsets_minutes).map_err(|e| ServiceError::Internal(e.to_string()))?;
    let channels = serde_json::to_string(&settings.channels()).map_err(|e| ServiceError::Internal(e.to_string()))?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    repo::reminders::set_settings(&mut tx, &ctx.scope, &offsets, &channels, now).await?;
    let detail = format!("reminders {} by {}", settings.offsets_text(), settings.channels().join(" and "));
    let entry = Entry::ok("clinic.reminders", "clinic", ctx.scope.clinic_id()).detail(detail);
    audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), entry, now).await?;
    tx.commit().await?;
    Ok(settings)
}

/// A patient's choice, per channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PatientPreferences {
    pub email: bool,
    pub sms: bool,
}

/// Sets whether a patient gets reminders by email and by SMS
/// (`EditPatients`; audited against the patient). The patient is loaded
/// like the chart loads it: another clinic's patient is a 404, a restricted
/// record needs the care team or break-glass.
pub async fn set_patient_preferences(
    services: &Services,
    ctx: &AuthContext,
    patient_id: &str,
    preferences: PatientPreferences,
) -> Result<PatientPreferences, ServiceError> {
    if !ctx.can(Permission::EditPatients) {
        let patient = patient_id.trim().parse::<PatientId>().ok().map(|p| p.as_uuid());
        audit::record_denial(services, ctx, "patient.reminders", "patient", patient_id, patient).await?;
        return Err(ServiceError::Forbidden);
    }
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let (row, until) = match patients::load_for(&mut tx, ctx, patient_id, "patient.reminders", now).await? {
        Ok(found) => found,
        Err(denied) => {
            tx.commit().await?;
            return Err(denied);
        }
    };
    let patient = PatientId::from_uuid(row.id);
    if !repo::reminders::set_patient_preferences(&mut tx, &ctx.scope, patient, preferences.email, preferences.sms).await? {
        return Err(ServiceError::NotFound);
    }
    let onoff = |b: bool| if b { "on" } else { "off" };
    let detail = format!("reminders by email {}, by SMS {}", onoff(preferences.email), onoff(preferences.sms));
    let entry = Entry::ok("patient.reminders", "patient", patient).patient(row.id).break_glass(until.is_some()).detail(detail);
    audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), entry, now).await?;
    tx.commit().await?;
    Ok(preferences)
}

/// A patient's current choice (`ViewPatients`; an audited read of the
/// patient, loaded like the chart loads it).
pub async fn patient_preferences(services: &Services, ctx: &AuthContext, patient_id: &str) -> Result<PatientPreferences, ServiceError> {
    if !ctx.can(Permission::ViewPatients) {
        let patient = patient_id.trim().parse::<PatientId>().ok().map(|p| p.as_uuid());
        audit::record_denial(services, ctx, "patient.reminders.read", "patient", patient_id, patient).await?;
        return Err(ServiceError::Forbidden);
    }
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let (row, until) = match patients::load_for(&mut tx, ctx, patient_id, "patient.reminders.read", now).await? {
        Ok(found) => found,
        Err(denied) => {
            tx.commit().await?;
            return Err(denied);
        }
    };
    let patient = PatientId::from_uuid(row.id);
    let (email, sms) = repo::reminders::patient_preferences(&mut tx, &ctx.scope, patient).await?.ok_or(ServiceError::NotFound)?;
    let entry = Entry::ok("patient.reminders.read", "patient", patient).patient(row.id).break_glass(until.is_some());
    audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), entry, now).await?;
    tx.commit().await?;
    Ok(PatientPreferences { email, sms })
}

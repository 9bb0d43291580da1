//! Server functions for a patient's reminder preferences (the chart's
//! Summary tab): whether they get appointment reminders by email and by
//! SMS. Each authenticates and calls one service
//! (`reminders::settings`), which loads the patient as the chart does and
//! audits the read or the change.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::session::require_auth;
#[cfg(feature = "ssr")]
use ambula_backend::services::reminders::settings;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReminderChoice {
    pub email: bool,
    pub sms: bool,
}

#[server(endpoint = "patient_reminders")]
pub async fn patient_reminders(patient_id: String) -> Result<ReminderChoice, AppError> {
    let (services, ctx) = require_auth().await?;
    let p = settings::patient_preferences(&services, &ctx, &patient_id).await?;
    Ok(ReminderChoice { email: p.email, sms: p.sms })
}

/// `email` and `sms` are check boxes: present ("on") when ticked.
#[server(endpoint = "patient_reminders_save")]
pub async fn patient_reminders_save(patient_id: String, email: Option<String>, sms: Option<String>) -> Result<ReminderChoice, AppError> {
    let (services, ctx) = require_auth().await?;
    let wanted = settings::PatientPreferences { email: email.is_some(), sms: sms.is_some() };
    let p = settings::set_patient_preferences(&services, &ctx, &patient_id, wanted).await?;
    Ok(ReminderChoice { email: p.email, sms: p.sms })
}

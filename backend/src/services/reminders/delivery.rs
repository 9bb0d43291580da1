//! The delivery loop: a tokio task that polls the outbox of every clinic,
//! claims one due message at a time under a lease, re-checks it, sends it
//! and records the outcome.
//!
//! Never twice: a message is claimed with a fresh lease token in its own
//! committed transaction before it is sent, so another worker (a second
//! server, or this one after a restart) does not take it while the lease
//! lasts; the outcome is only recorded under that token. A graceful stop
//! (`DeliveryHandle::shutdown`) lets the message in hand finish first. The
//! one window left is a crash between the provider accepting a message and
//! the "sent" commit: that message is sent again after the lease runs out.
//! That is the best any outbox can do against an SMTP server or an HTTP
//! API without idempotency keys, and it is rare.

use crate::{
    audit::{self, Actor, Entry},
    error::ServiceError,
    mail::Email,
    repo::{self, reminders::{Claimed, MessageFacts, Outcome}},
    scope::ClinicScope,
    time::DbTime,
    Services,
};
use ambula_domain::{ClinicId, TimeZoneName};
use chrono::Duration as ChronoDuration;
use std::time::Duration;
use tokio::{sync::watch, task::JoinHandle};
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct DeliverySettings {
    /// How often the outbox is looked at when it had nothing due.
    pub poll: Duration,
    /// How long a claimed message is ours (longer than any send can take).
    pub lease: Duration,
    /// The wait after the first failure; doubled after each further one.
    pub first_retry: Duration,
    /// Attempts before a message is marked failed.
    pub max_attempts: i32,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        Self {
            poll: Duration::from_secs(15),
            lease: Duration::from_secs(300),
            first_retry: Duration::from_secs(60),
            max_attempts: 6,
        }
    }
}

impl DeliverySettings {
    /// After `attempts` failed tries: first_retry × 2^(attempts−1), at most
    /// six hours.
    pub fn backoff(&self, attempts: i32) -> Duration {
        let exponent = attempts.saturating_sub(1).clamp(0, 20) as u32;
        self.first_retry.saturating_mul(2u32.saturating_pow(exponent)).min(Duration::from_secs(6 * 3600))
    }
}

/// The running loop. `shutdown` stops it after the message in hand;
/// dropping the handle stops it at its next pause.
pub struct DeliveryHandle {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl DeliveryHandle {
    /// Asks the loop to stop after the message in hand and waits for it.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Starts the delivery loop with the default settings.
pub fn spawn_delivery(services: Services) -> DeliveryHandle {
    spawn_delivery_with(services, DeliverySettings::default())
}

pub fn spawn_delivery_with(services: Services, settings: DeliverySettings) -> DeliveryHandle {
    let (stop, mut stopped) = watch::channel(false);
    let task = tokio::spawn(async move {
        tracing::info!("reminder delivery started");
        loop {
            if let Err(error) = run_once(&services, &settings, &stopped).await {
                tracing::warn!(%error, "reminder delivery pass failed; will retry");
            }
            if *stopped.borrow() {
                break;
            }
            tokio::select! {
                changed = stopped.changed() => {
                    // The handle was dropped: nobody can stop us any more
                    // or wait for us, so stop now.
                    if changed.is_err() {
                        break;
                    }
                }
                _ = tokio::time::sleep(settings.poll) => {}
            }
            if *stopped.borrow() {
                break;
            }
        }
        tracing::info!("reminder delivery stopped");
    });
    DeliveryHandle { stop, task }
}

/// One pass over every clinic: sends every message due now. Returns how
/// many messages it handled (sent, retried, failed or skipped). Stops
/// early, between messages, when `stop` turns true.
pub async fn run_once(services: &Services, settings: &DeliverySettings, stop: &watch::Receiver<bool>) -> Result<usize, ServiceError> {
    let mut tx = services.db.read().await?;
    let clinics = repo::clinics::all(&mut tx).await?;
    drop(tx);
    let mut handled = 0;
    for (clinic, _) in clinics {
        let scope = ClinicScope::new(ClinicId::from_uuid(clinic));
        let mut tx = services.db.read_in(&scope).await?;
        let due = repo::reminders::any_due(&mut tx, &scope, services.now()).await?;
        drop(tx);
        if !due {
            continue;
        }
        loop {
            if *stop.borrow() {
                return Ok(handled);
            }
            let token = Uuid::now_v7();
            let now = services.now();
            let lease_until = DbTime::from(now.0 + ChronoDuration::from_std(settings.lease).unwrap_or(ChronoDuration::minutes(5)));
            let mut tx = services.db.write_in(&scope).await?;
            let claimed = repo::reminders::claim_next(&mut tx, &scope, token, now, lease_until).await?;
            tx.commit().await?;
            let Some(claimed) = claimed else { break };
            deliver(services, settings, &scope, &claimed, token).await?;
            handled += 1;
        }
    }
    Ok(handled)
}

/// Why a claimed message is not sent after all, or `None` to send it.
fn skip_reason(claimed: &Claimed, facts: Option<&MessageFacts>, now: DbTime) -> Option<&'static str> {
    let Some(f) = facts else { return Some("appointment not found") };
    if !matches!(f.status.as_str(), "booked" | "confirmed") {
        return Some("appointment cancelled or no longer upcoming");
    }
    if f.starts_at != claimed.appointment_starts_at {
        return Some("appointment moved");
    }
    if f.starts_at <= now {
        return Some("appointment already started");
    }
    match claimed.channel.as_str() {
        "email" if !f.reminder_email => Some("patient opted out of email reminders"),
        "email" if f.email.as_deref().is_none_or(|e| e.trim().is_empty()) => Some("patient has no email address"),
        "sms" if !f.reminder_sms => Some("patient opted out of SMS reminders"),
        "sms" if f.phone.as_deref().is_none_or(|p| p.trim().is_empty()) => Some("patient has no phone number"),
        "email" | "sms" => None,
        _ => Some("unknown channel"),
    }
}

async fn deliver(services: &Services, settings: &DeliverySettings, scope: &ClinicScope, claimed: &Claimed, token: Uuid) -> Result<(), ServiceError> {
    let mut tx = services.db.read_in(scope).await?;
    let mut facts = repo::reminders::facts(&mut tx, scope, claimed.appointment_id).await?;
    if let Some(f) = facts.as_mut() {
        // A minor's messages go to their guardian (services::registry).
        let tz = TimeZoneName::parse(&f.time_zone).map(|t| t.tz()).unwrap_or(chrono_tz::UTC);
        let today = services.now().0.with_timezone(&tz).date_naive();
        let patient = ambula_domain::PatientId::from_uuid(f.patient_id);
        if let Some(contact) = crate::services::registry::contact_for_communications(&mut tx, scope, patient, today).await? {
            if contact.guardian {
                f.email = contact.email;
                f.phone = contact.phone;
            }
        }
    }
    drop(tx);
    let now = services.now();
    let result = match (skip_reason(claimed, facts.as_ref(), now), &facts) {
        (Some(reason), _) => Err(Skip(reason)),
        (None, None) => Err(Skip("appointment not found")),
        (None, Some(facts)) => Ok(send(services, claimed, facts).await),
    };
    let now = services.now();
    let mut tx = services.db.write_in(scope).await?;
    let actor = Actor { user_id: None, name: "Reminders".into(), ip: None };
    let what = format!("{} reminder, {} before", channel_label(&claimed.channel), super::settings::describe_offset(claimed.offset_minutes as u32));
    let patient = facts.as_ref().map(|f| f.patient_id);
    let entry = |action: &'static str, detail: String| {
        let e = Entry::ok(action, "appointment", claimed.appointment_id).detail(detail);
        match patient {
            Some(p) => e.patient(p),
            None => e,
        }
    };
    let (outcome, audit_entry) = match &result {
        Err(Skip(reason)) => (Outcome::Skipped(reason), None),
        Ok(Ok(())) => (Outcome::Sent, Some(entry("reminder.sent", what.clone()))),
        Ok(Err(error)) if claimed.attempts >= settings.max_attempts => {
            (Outcome::Failed(error), Some(entry("reminder.failed", format!("{what}: gave up after {} attempts: {error}", claimed.attempts))))
        }
        Ok(Err(error)) => {
            let wait = ChronoDuration::from_std(settings.backoff(claimed.attempts)).unwrap_or(ChronoDuration::minutes(1));
            (Outcome::Retry { at: DbTime::from(now.0 + wait), error }, None)
        }
    };
    let ours = repo::reminders::finish(&mut tx, scope, claimed.id, token, outcome, now).await?;
    if ours {
        if let Some(e) = audit_entry {
            audit::record(&mut tx, scope, &actor, e, now).await?;
        }
    }
    tx.commit().await?;
    // Ids and outcomes only: no address, name or text in the log.
    let outcome = match &result {
        Err(Skip(reason)) => format!("skipped: {reason}"),
        Ok(Ok(())) => "sent".to_owned(),
        Ok(Err(error)) => format!("attempt {} failed: {error}", claimed.attempts),
    };
    if ours {
        tracing::info!(clinic = %scope.clinic_id(), message = %claimed.id, channel = %claimed.channel, %outcome, "reminder");
    } else {
        tracing::warn!(clinic = %scope.clinic_id(), message = %claimed.id, %outcome, "reminder lease expired before the outcome was recorded");
    }
    Ok(())
}

struct Skip(&'static str);

fn channel_label(channel: &str) -> &'static str {
    if channel == "sms" {
        "SMS"
    } else {
        "email"
    }
}

async fn send(services: &Services, claimed: &Claimed, facts: &MessageFacts) -> Result<(), String> {
    let text = Message::compose(facts)?;
    match claimed.channel.as_str() {
        "email" => {
            let to = facts.email.clone().unwrap_or_default();
            services.mailer.send(Email { to, subject: text.subject, body: text.email_body }).await
        }
        _ => match &services.sms {
            Some(sms) => sms.send(facts.phone.as_deref().unwrap_or_default(), &text.sms_body).await,
            None => Err("no SMS provider configured (AMBULA_SMS_URL)".to_owned()),
        },
    }
}

/// The texts. Deliberately without the appointment's type, notes or
/// anything else clinical: an SMS is read on a locked screen, an email by
/// whoever shares the inbox.
pub struct Message {
    pub subject: String,
    pub email_body: String,
    pub sms_body: String,
}

impl Message {
    pub fn compose(facts: &MessageFacts) -> Result<Self, String> {
        let tz = TimeZoneName::parse(&facts.time_zone)
            .map_err(|_| format!("clinic time zone {:?} is not known", facts.time_zone))?
            .tz();
        let local = facts.starts_at.0.with_timezone(&tz);
        let date = local.format("%A %-d %B %Y");
        let time = local.format("%H:%M");
        let clinic = facts.clinic_name.as_str();
        let cancel = match facts.clinic_phone.as_deref().filter(|p| !p.trim().is_empty()) {
            Some(phone) => format!("call {phone}"),
            None => "call the clinic".to_owned(),
        };
        Ok(Self {
            subject: format!("Appointment reminder: {clinic}"),
            email_body: format!(
                "This is a reminder of your appointment at {clinic} on {date} at {time} ({zone}) with {who}.\n\n\
                 If you cannot come, please {cancel} to cancel or change it.\n\n{clinic}\n",
                zone = facts.time_zone,
                who = facts.practitioner_name,
            ),
            sms_body: format!(
                "{clinic}: reminder of your appointment on {} at {time} with {}. To cancel, {cancel}.",
                local.format("%a %-d %b"),
                facts.practitioner_name
            ),
        })
    }
}

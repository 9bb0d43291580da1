//! Live calendar updates: after a booking, move or status change commits,
//! the service publishes a small event; every open calendar of that clinic
//! (the server's SSE route) hears it within the second and reloads the day
//! it concerns. Events name the appointment and its local date only, never
//! a patient, so a lost or misrouted event discloses nothing clinical.
//!
//! One broadcast channel for the whole process, each event tagged with its
//! clinic; subscribers filter by the clinic of their session. A subscriber
//! that falls behind skips ahead (lagged) and simply reloads.

use crate::scope::ClinicScope;
use ambula_domain::{AppointmentId, ClinicId};
use chrono::NaiveDate;
use serde::Serialize;
use tokio::sync::broadcast;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CalendarChange {
    Booked,
    Moved,
    Status,
}

/// The `data:` of an SSE `event: calendar`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CalendarEvent {
    pub kind: CalendarChange,
    pub appointment_id: AppointmentId,
    /// The clinic-local date of the appointment (after the change).
    #[serde(serialize_with = "iso_date")]
    pub date: NaiveDate,
}

fn iso_date<S: serde::Serializer>(date: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&date.format("%Y-%m-%d").to_string())
}

#[derive(Clone)]
pub struct LiveHub {
    sender: broadcast::Sender<(ClinicId, CalendarEvent)>,
    /// Set at shutdown: open streams end, so a graceful shutdown does not
    /// wait for them.
    closed: tokio::sync::watch::Sender<bool>,
}

impl Default for LiveHub {
    fn default() -> Self {
        // Bursts (a series of 50 cancelled at once) fit; beyond that a slow
        // subscriber lags and reloads.
        Self { sender: broadcast::channel(1024).0, closed: tokio::sync::watch::channel(false).0 }
    }
}

impl LiveHub {
    /// Publishes to the clinic's subscribers. Call after the commit: an
    /// event for a change that then rolled back would make calendars reload
    /// for nothing (harmless, but noise).
    pub fn publish(&self, scope: &ClinicScope, event: CalendarEvent) {
        // No subscribers is not an error.
        let _ = self.sender.send((scope.clinic_id(), event));
    }

    pub fn subscribe(&self, scope: &ClinicScope) -> LiveSubscription {
        LiveSubscription { clinic: scope.clinic_id(), receiver: self.sender.subscribe(), closed: self.closed.subscribe() }
    }

    /// Ends every subscription (server shutdown).
    pub fn close(&self) {
        self.closed.send_replace(true);
    }
}

pub struct LiveSubscription {
    clinic: ClinicId,
    receiver: broadcast::Receiver<(ClinicId, CalendarEvent)>,
    closed: tokio::sync::watch::Receiver<bool>,
}

/// What a subscriber receives next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    Event(CalendarEvent),
    /// Events were dropped because this subscriber was slow: reload all.
    Lagged,
    /// The hub is gone (server shutting down).
    Closed,
}

impl LiveSubscription {
    /// The next event of this subscription's clinic; other clinics' events
    /// are skipped here, so they never reach the stream.
    pub async fn next(&mut self) -> Received {
        loop {
            if *self.closed.borrow() {
                return Received::Closed;
            }
            let received = tokio::select! {
                r = self.receiver.recv() => r,
                _ = self.closed.changed() => return Received::Closed,
            };
            match received {
                Ok((clinic, event)) if clinic == self.clinic => return Received::Event(event),
                Ok(_) => continue,
                Err(broadcast::error::RecvError::Lagged(_)) => return Received::Lagged,
                Err(broadcast::error::RecvError::Closed) => return Received::Closed,
            }
        }
    }
}

/// The live calendar of the caller's clinic, for whoever may see the
/// calendar (`Schedule`); a refusal is audited like any other.
pub async fn subscribe_calendar(
    services: &crate::Services,
    ctx: &crate::AuthContext,
) -> Result<LiveSubscription, crate::ServiceError> {
    if !ctx.can(ambula_domain::Permission::Schedule) {
        crate::audit::record_denial(services, ctx, "calendar.live", "calendar", "", None).await?;
        return Err(crate::ServiceError::Forbidden);
    }
    Ok(services.live.subscribe(&ctx.scope))
}

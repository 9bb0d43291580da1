//! Live calendar updates: after a booking, move or status change commits,
//! the service publishes a small event; every open calendar of that clinic
//! (the server's SSE route) hears it within the second and reloads the day
//! it concerns. Events name the appointment and its local date only, never
//! a patient, so a lost or misrouted event discloses nothing clinical.
//!
//! One broadcast channel for the whole process, each event tagged with its
//! clinic; subscribers filter by the clinic of their session. A subscriber
//! that falls behind skips ahead (lagged) and simply reloads.
//!
//! On PostgreSQL several server processes may serve one clinic, so after
//! `relay_through` an event goes out as a `NOTIFY` on one channel and every
//! process (this one included) delivers what it hears to its own
//! subscribers. The payload is the same non-clinical event. If the listening
//! connection drops, events may have been missed: every subscriber is told
//! to reload. SQLite is embedded in one process and needs no relay.

use crate::{db::Db, scope::ClinicScope};
use ambula_domain::{AppointmentId, ClinicId};
use chrono::NaiveDate;
use serde::Serialize;
use sqlx::{postgres::PgListener, PgPool};
use std::{
    sync::{Arc, OnceLock},
    time::Duration,
};
use tokio::sync::broadcast;

/// The PostgreSQL channel of calendar events.
const CHANNEL: &str = "ambula_calendar";

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

#[derive(Debug, Clone)]
enum Message {
    Event(ClinicId, CalendarEvent),
    /// Events may have been lost (the relay's connection dropped).
    ReloadAll,
}

#[derive(Clone)]
pub struct LiveHub {
    sender: broadcast::Sender<Message>,
    /// Set at shutdown: open streams end, so a graceful shutdown does not
    /// wait for them.
    closed: tokio::sync::watch::Sender<bool>,
    /// PostgreSQL, once `relay_through` listens: publish by `NOTIFY`.
    relay: Arc<OnceLock<PgPool>>,
}

impl Default for LiveHub {
    fn default() -> Self {
        // Bursts (a series of 50 cancelled at once) fit; beyond that a slow
        // subscriber lags and reloads.
        Self { sender: broadcast::channel(1024).0, closed: tokio::sync::watch::channel(false).0, relay: Arc::default() }
    }
}

/// `clinic appointment kind date`: ids, a word and a date, nothing clinical.
fn encode(clinic: ClinicId, event: &CalendarEvent) -> String {
    let kind = match event.kind {
        CalendarChange::Booked => "booked",
        CalendarChange::Moved => "moved",
        CalendarChange::Status => "status",
    };
    format!("{} {} {kind} {}", clinic.as_uuid(), event.appointment_id.as_uuid(), event.date.format("%Y-%m-%d"))
}

fn decode(payload: &str) -> Option<(ClinicId, CalendarEvent)> {
    let mut parts = payload.split(' ');
    let clinic = ClinicId::from_uuid(parts.next()?.parse().ok()?);
    let appointment_id = AppointmentId::from_uuid(parts.next()?.parse().ok()?);
    let kind = match parts.next()? {
        "booked" => CalendarChange::Booked,
        "moved" => CalendarChange::Moved,
        "status" => CalendarChange::Status,
        _ => return None,
    };
    let date = NaiveDate::parse_from_str(parts.next()?, "%Y-%m-%d").ok()?;
    parts.next().is_none().then_some((clinic, CalendarEvent { kind, appointment_id, date }))
}

impl LiveHub {
    /// Publishes to the clinic's subscribers (in every server process, on
    /// PostgreSQL). Call after the commit: an event for a change that then
    /// rolled back would make calendars reload for nothing (harmless, but
    /// noise).
    pub fn publish(&self, scope: &ClinicScope, event: CalendarEvent) {
        let clinic = scope.clinic_id();
        let Some(pool) = self.relay.get() else {
            // No subscribers is not an error.
            let _ = self.sender.send(Message::Event(clinic, event));
            return;
        };
        let (pool, local, payload) = (pool.clone(), self.sender.clone(), encode(clinic, &event));
        // Not awaited: the request that made the change does not wait for
        // the calendars. Should NOTIFY fail, this process's calendars still
        // hear it.
        tokio::spawn(async move {
            if let Err(error) = sqlx::query("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(payload).execute(&pool).await {
                tracing::warn!(%error, "live update: NOTIFY failed; delivered in this process only");
                let _ = local.send(Message::Event(clinic, event));
            }
        });
    }

    /// On PostgreSQL: listens for the events of every server process on
    /// the database and, from then on, publishes through the database.
    /// Returns once listening. A no-op on SQLite.
    pub async fn relay_through(&self, db: &Db) -> Result<(), sqlx::Error> {
        let Some(pool) = db.pg_pool() else { return Ok(()) };
        if self.relay.get().is_some() {
            return Ok(());
        }
        let mut listener = PgListener::connect_with(pool).await?;
        listener.listen(CHANNEL).await?;
        let _ = self.relay.set(pool.clone());
        let sender = self.sender.clone();
        let mut closed = self.closed.subscribe();
        tokio::spawn(async move {
            loop {
                let heard = tokio::select! {
                    heard = listener.try_recv() => heard,
                    // Shutdown: dropping the listener returns its connection
                    // before the pool closes.
                    _ = closed.changed() => return,
                };
                match heard {
                    Ok(Some(notification)) => match decode(notification.payload()) {
                        Some((clinic, event)) => {
                            let _ = sender.send(Message::Event(clinic, event));
                        }
                        None => tracing::warn!(payload = notification.payload(), "live update: unreadable notification ignored"),
                    },
                    // The connection dropped; the next call reconnects and
                    // listens again. What was sent meanwhile is lost.
                    Ok(None) => {
                        let _ = sender.send(Message::ReloadAll);
                    }
                    Err(error) => {
                        tracing::warn!(%error, "live update: listening failed; retrying in a second");
                        let _ = sender.send(Message::ReloadAll);
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        });
        Ok(())
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
    receiver: broadcast::Receiver<Message>,
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
                Ok(Message::Event(clinic, event)) if clinic == self.clinic => return Received::Event(event),
                Ok(Message::Event(..)) => continue,
                Ok(Message::ReloadAll) => return Received::Lagged,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_notification_payload_round_trips_and_rejects_anything_else() {
        let clinic = ClinicId::generate();
        let event = CalendarEvent {
            kind: CalendarChange::Moved,
            appointment_id: AppointmentId::generate(),
            date: NaiveDate::from_ymd_opt(2026, 3, 29).expect("a date"),
        };
        assert_eq!(decode(&encode(clinic, &event)), Some((clinic, event.clone())));
        for bad in ["", "x y z w", &format!("{} extra", encode(clinic, &event))] {
            assert_eq!(decode(bad), None, "{bad}");
        }
    }
}

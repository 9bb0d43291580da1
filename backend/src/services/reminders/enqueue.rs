//! Filling the outbox, inside the transaction that books, moves or changes
//! the status of an appointment: the reminders commit or roll back with it.

use super::settings;
use crate::{
    db::Tx,
    error::ServiceError,
    repo::{self, reminders::NewReminder},
    scope::ClinicScope,
    time::DbTime,
};
use ambula_domain::AppointmentId;
use chrono::Duration;

/// An appointment was booked or moved to `starts_at`: its messages for any
/// other start are skipped, and one per (offset, channel) of the clinic's
/// schedule is enqueued for this start, except those already due (a
/// "24 h before" reminder for an appointment booked for this afternoon
/// would only confuse).
pub(crate) async fn scheduled(
    tx: &mut Tx,
    scope: &ClinicScope,
    appointment: AppointmentId,
    starts_at: DbTime,
    now: DbTime,
) -> Result<(), ServiceError> {
    repo::reminders::skip_pending(tx, scope, appointment, Some(starts_at), "moved", now).await?;
    let schedule = settings::load(tx, scope).await?;
    for offset in &schedule.offsets_minutes {
        let due_at = DbTime::from(starts_at.0 - Duration::minutes(i64::from(*offset)));
        if due_at <= now {
            continue;
        }
        for channel in schedule.channels() {
            let reminder = NewReminder {
                appointment_id: appointment,
                appointment_starts_at: starts_at,
                offset_minutes: *offset as i32,
                channel,
                due_at,
            };
            repo::reminders::enqueue(tx, scope, reminder, now).await?;
        }
    }
    Ok(())
}

/// The appointment no longer takes place as booked (cancelled, no-show, …):
/// its pending messages are skipped. Delivery re-checks the status anyway.
pub(crate) async fn withdrawn(tx: &mut Tx, scope: &ClinicScope, appointment: AppointmentId, reason: &str, now: DbTime) -> Result<(), ServiceError> {
    repo::reminders::skip_pending(tx, scope, appointment, None, reason, now).await?;
    Ok(())
}

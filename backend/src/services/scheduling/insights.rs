//! The scheduling dashboard's figures: appointments per day, no-show and
//! cancellation rates, practitioner utilization, over local dates. Counts
//! only, never a patient, so reading them is not a PHI access; it still
//! needs `Schedule`, as utilization is staff information.

use super::{calendar::date_field, require, ClinicCalendar};
use crate::{error::ServiceError, repo, scope::AuthContext, time::DbTime, Services};
use ambula_domain::{
    scheduling::{
        insights::{summarize, Capacity, Fact, InsightRange, Summary},
        zone, AppointmentStatus, Interval,
    },
    Permission, PractitionerId,
};

/// How many days the dashboard shows before anyone picks a range.
pub const DEFAULT_DAYS: i64 = 30;

/// The figures for `from`..=`to` (local dates); both empty means the last
/// `DEFAULT_DAYS` days up to today in the clinic's zone.
pub async fn summary(services: &Services, ctx: &AuthContext, from: &str, to: &str) -> Result<Summary, ServiceError> {
    require(services, ctx, Permission::Schedule, "insights.read", "").await?;
    let mut tx = services.db.read_in(&ctx.scope).await?;
    let clinic = ClinicCalendar::load(&mut tx, ctx).await?;
    let (from, to) = if from.trim().is_empty() && to.trim().is_empty() {
        let today = clinic.local(services.now()).date();
        (today - chrono::Duration::days(DEFAULT_DAYS - 1), today)
    } else {
        (date_field(from, "from")?, date_field(to, "to")?)
    };
    let range = InsightRange::new(from, to).map_err(|(field, e)| ServiceError::field(field, e.0))?;
    let start = DbTime::from(zone::day_bounds_utc(clinic.tz, range.from()).start());
    let end = DbTime::from(zone::day_bounds_utc(clinic.tz, range.to()).end());
    let bounds = Interval::new(start.0, end.0).map_err(|e| ServiceError::Internal(e.0))?;

    let facts: Vec<Fact> = repo::appointments::facts_between(&mut tx, &ctx.scope, start, end)
        .await?
        .into_iter()
        .filter_map(|(practitioner, starts_at, ends_at, status)| {
            // A status the domain does not know would be a schema bug; the
            // CHECK constraint rules it out, so skipping is only defensive.
            let status = AppointmentStatus::parse(&status).ok()?;
            Some(Fact {
                date: clinic.local(starts_at).date(),
                practitioner: PractitionerId::from_uuid(practitioner),
                status,
                span: Interval::new(starts_at.0, ends_at.0).ok()?,
            })
        })
        .collect();
    let hours = repo::schedule::all_hours(&mut tx, &ctx.scope).await?;
    let time_off = repo::schedule::time_off_between(&mut tx, &ctx.scope, None, start, end).await?;
    let capacity: Vec<Capacity> = repo::practitioners::list(&mut tx, &ctx.scope)
        .await?
        .into_iter()
        .map(|p| {
            let id = PractitionerId::from_uuid(p.id);
            Capacity {
                practitioner: id,
                name: p.name,
                working: hours.get(&id).map(|h| zone::working_intervals(clinic.tz, h, range.from(), range.to())).unwrap_or_default(),
                time_off: time_off
                    .iter()
                    .filter(|t| t.practitioner_id == p.id)
                    .filter_map(|t| Interval::new(t.starts_at.0.max(bounds.start()), t.ends_at.0.min(bounds.end())).ok())
                    .collect(),
            }
        })
        .collect();
    Ok(summarize(range, &facts, &capacity))
}

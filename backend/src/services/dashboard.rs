//! The figures on the staff dashboard.

use crate::{error::ServiceError, repo, scope::AuthContext, time::DbTime, Services};
use ambula_domain::{Permission, TimeZoneName};
use chrono::{TimeZone, Utc};

#[derive(Debug, Clone)]
pub struct DashboardFigures {
    pub practitioners: i64,
    pub patients: i64,
    pub appointments_today: i64,
    /// The total owed on invoices: billing data, so only for roles that
    /// may see billing (`ViewBilling`); `None` for the others.
    pub outstanding_minor: Option<i64>,
    pub currency: String,
    pub time_zone: String,
}

/// "Today" is the clinic's today, in its time zone, not the server's.
pub async fn figures(services: &Services, ctx: &AuthContext) -> Result<DashboardFigures, ServiceError> {
    let mut tx = services.db.read_in(&ctx.scope).await?;
    let clinic = repo::clinics::get(&mut tx, &ctx.scope).await?;
    let tz = TimeZoneName::parse(&clinic.time_zone)
        .map(|t| t.tz())
        .unwrap_or(chrono_tz::UTC);
    let local_today = services.now().0.with_timezone(&tz).date_naive();
    let start = local_day_start(&tz, local_today);
    let end = local_day_start(&tz, local_today.succ_opt().unwrap_or(local_today));
    Ok(DashboardFigures {
        practitioners: repo::practitioners::count(&mut tx, &ctx.scope).await?,
        patients: repo::patients::count(&mut tx, &ctx.scope).await?,
        appointments_today: repo::appointments::count_between(&mut tx, &ctx.scope, start, end).await?,
        outstanding_minor: match ctx.can(Permission::ViewBilling) {
            true => Some(repo::invoices::outstanding_minor(&mut tx, &ctx.scope).await?),
            false => None,
        },
        currency: clinic.currency,
        time_zone: clinic.time_zone,
    })
}

/// Midnight at the start of `day` in `tz`, in UTC. Where midnight does not
/// exist (a DST jump at 00:00), the first instant of the day is used.
pub(crate) fn local_day_start(tz: &chrono_tz::Tz, day: chrono::NaiveDate) -> DbTime {
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    let instant = tz
        .from_local_datetime(&midnight)
        .earliest()
        .or_else(|| tz.from_local_datetime(&(midnight + chrono::Duration::hours(1))).earliest())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&midnight));
    DbTime::from(instant)
}

//! The audit viewer and its CSV export (for owners and administrators), and
//! the chain check behind `server verify-audit`.

use crate::{
    audit::{self, Actor, Break, Entry, Filter, Sort, StoredEntry},
    error::ServiceError,
    repo,
    scope::{AuthContext, ClinicScope},
    time::DbTime,
    Services,
};
use ambula_domain::{
    security::{AuditFilterForm, AuditSort},
    ClinicId, Permission, TimeZoneName,
};
use chrono::{NaiveDate, TimeZone};
use uuid::Uuid;

pub const PAGE_SIZE: i64 = 100;

async fn filter_for(services: &Services, ctx: &AuthContext, form: &AuditFilterForm) -> Result<Filter, ServiceError> {
    let parsed = form.parse()?;
    let mut tx = services.db.read_in(&ctx.scope).await?;
    let clinic = repo::clinics::get(&mut tx, &ctx.scope).await?;
    drop(tx);
    let tz = TimeZoneName::parse(&clinic.time_zone).map(|t| t.tz()).unwrap_or(chrono_tz::UTC);
    // The clinic's local midnight, in UTC (the earlier one if ambiguous).
    let start_of = |date: NaiveDate| -> Option<DbTime> {
        let midnight = date.and_hms_opt(0, 0, 0)?;
        tz.from_local_datetime(&midnight).earliest().map(|t| DbTime::from(t.with_timezone(&chrono::Utc)))
    };
    Ok(Filter {
        actor_user_id: parsed.user,
        patient_id: parsed.patient,
        action: parsed.action,
        from: parsed.from.and_then(start_of),
        until: parsed.until.and_then(|d| d.succ_opt()).and_then(start_of),
        sort: match parsed.sort {
            AuditSort::Newest => Sort::Newest,
            AuditSort::Oldest => Sort::Oldest,
            AuditSort::Actor => Sort::Actor,
            AuditSort::Action => Sort::Action,
        },
        limit: PAGE_SIZE,
        offset: i64::from(parsed.page) * PAGE_SIZE,
    })
}

async fn require(services: &Services, ctx: &AuthContext, permission: Permission, action: &'static str) -> Result<(), ServiceError> {
    if ctx.can(permission) {
        return Ok(());
    }
    audit::record_denial(services, ctx, action, "audit", "", None).await?;
    Err(ServiceError::Forbidden)
}

pub async fn search(services: &Services, ctx: &AuthContext, form: &AuditFilterForm) -> Result<Vec<StoredEntry>, ServiceError> {
    require(services, ctx, Permission::ViewAudit, "audit.search").await?;
    let filter = filter_for(services, ctx, form).await?;
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let rows = audit::search(&mut tx, &ctx.scope, &filter).await?;
    audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), Entry::ok("audit.search", "audit", ""), services.now()).await?;
    tx.commit().await?;
    Ok(rows)
}

fn csv_field(value: &str) -> String {
    // Quote everything; neutralise spreadsheet formulas (CSV injection).
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{value}") } else { value.to_owned() };
    format!("\"{}\"", value.replace('"', "\"\""))
}

/// All entries matching the filter (not just one page), as CSV. The export
/// itself is audited.
pub async fn export_csv(services: &Services, ctx: &AuthContext, form: &AuditFilterForm) -> Result<String, ServiceError> {
    require(services, ctx, Permission::ViewAudit, "audit.export").await?;
    require(services, ctx, Permission::ExportData, "audit.export").await?;
    let mut filter = filter_for(services, ctx, form).await?;
    filter.limit = 100_000;
    filter.offset = 0;
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let rows = audit::search(&mut tx, &ctx.scope, &filter).await?;
    let entry = Entry::ok("audit.export", "audit", "").detail(format!("{} entries", rows.len()));
    audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), entry, services.now()).await?;
    tx.commit().await?;
    let mut out = String::from("seq,at_utc,actor,actor_user_id,action,outcome,patient_id,entity,entity_id,ip,break_glass,detail,hash\n");
    for e in rows {
        let fields = [
            e.seq.to_string(),
            e.at.0.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            e.actor_name,
            e.actor_user_id.map(|u| u.to_string()).unwrap_or_default(),
            e.action,
            e.outcome,
            e.patient_id.map(|u| u.to_string()).unwrap_or_default(),
            e.entity,
            e.entity_id.unwrap_or_default(),
            e.ip.unwrap_or_default(),
            e.break_glass.to_string(),
            e.detail.unwrap_or_default(),
            e.hash,
        ];
        out.push_str(&fields.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
        out.push('\n');
    }
    Ok(out)
}

/// The state of this clinic's chain, for the viewer's header.
pub async fn verify_own(services: &Services, ctx: &AuthContext) -> Result<Result<u64, Break>, ServiceError> {
    require(services, ctx, Permission::ViewAudit, "audit.verify").await?;
    let mut tx = services.db.read_in(&ctx.scope).await?;
    audit::verify(&mut tx, &ctx.scope).await
}

#[derive(Debug, Clone)]
pub struct ChainReport {
    pub clinic_id: Uuid,
    pub clinic_name: String,
    pub result: Result<u64, Break>,
}

/// Every clinic's chain (`server verify-audit`).
pub async fn verify_all(services: &Services) -> Result<Vec<ChainReport>, ServiceError> {
    let mut tx = services.db.read().await?;
    let clinics = repo::clinics::all(&mut tx).await?;
    drop(tx);
    let mut reports = Vec::new();
    for (id, name) in clinics {
        let scope = ClinicScope::new(ClinicId::from_uuid(id));
        let mut tx = services.db.read_in(&scope).await?;
        reports.push(ChainReport { clinic_id: id, clinic_name: name, result: audit::verify(&mut tx, &scope).await? });
    }
    Ok(reports)
}

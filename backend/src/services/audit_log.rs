//! The audit viewer and its CSV export (for owners and administrators), and
//! the chain check behind `server verify-audit`.

use crate::{
    audit::{self, checkpoint::Checkpoint, Actor, Break, Entry, Filter, Head, Sort, StoredEntry, Walk},
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
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
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

/// The state of this clinic's chain, for the viewer's header: the chain
/// itself, and against its latest checkpoint when there is one.
pub async fn verify_own(services: &Services, ctx: &AuthContext) -> Result<Result<u64, Break>, ServiceError> {
    require(services, ctx, Permission::ViewAudit, "audit.verify").await?;
    Ok(check_clinic(services, ctx.scope.clinic_id().as_uuid()).await?.result)
}

#[derive(Debug, Clone)]
pub struct ChainReport {
    pub clinic_id: Uuid,
    pub clinic_name: String,
    pub result: Result<u64, Break>,
    /// When the checkpoint the chain was compared with was written (`None`:
    /// no checkpoint yet, or none could be trusted).
    pub checkpoint_at: Option<DateTime<Utc>>,
}

/// One clinic: its chain, walked from the start, then compared with its
/// latest signed checkpoint (read first, so a forged one is reported even
/// when the chain is intact).
async fn check_clinic(services: &Services, clinic: Uuid) -> Result<Check, ServiceError> {
    let checkpoint = match &services.audit_checkpoints {
        None => None,
        Some(dir) => match dir.read(&services.audit_key, clinic) {
            Ok(checkpoint) => checkpoint,
            Err(error) => return Ok(Check { result: Err(Break { seq: 0, reason: error.to_string() }), checkpoint_at: None }),
        },
    };
    let scope = ClinicScope::new(ClinicId::from_uuid(clinic));
    let pinned = checkpoint.as_ref().map(|c| c.head_seq);
    let how = Walk { from: None, hmac_after: pinned, note: pinned };
    let mut tx = services.db.read_in(&scope).await?;
    let walked = audit::walk(&mut tx, &services.audit_key, &scope, &how).await?;
    drop(tx);
    let checkpoint_at = checkpoint.as_ref().map(|c| c.written_at);
    let result = walked.and_then(|head| match &checkpoint {
        None => Ok(head.seq as u64),
        Some(c) => against_checkpoint(&head, c).map(|()| head.seq as u64),
    });
    Ok(Check { result, checkpoint_at })
}

struct Check {
    result: Result<u64, Break>,
    checkpoint_at: Option<DateTime<Utc>>,
}

/// An intact chain must still reach the checkpoint's head, with its hash.
pub(crate) fn against_checkpoint(head: &Head, c: &Checkpoint) -> Result<(), Break> {
    let when = c.written_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let counted = c.entry_count.max(c.head_seq);
    if head.seq < counted {
        return Err(Break {
            seq: head.seq + 1,
            reason: format!(
                "the checkpoint of {when} counted {counted} entries; only {} remain: entries were deleted from the end",
                head.seq
            ),
        });
    }
    if head.noted.as_deref() != Some(c.head_hash.as_str()) {
        return Err(Break {
            seq: c.head_seq,
            reason: format!("its hash differs from the checkpoint of {when}: the chain was rewritten"),
        });
    }
    Ok(())
}

/// Every clinic's chain (`server verify-audit`), and every checkpoint whose
/// clinic is gone from the database.
pub async fn verify_all(services: &Services) -> Result<Vec<ChainReport>, ServiceError> {
    let mut tx = services.db.read().await?;
    let clinics = repo::clinics::all(&mut tx).await?;
    drop(tx);
    let mut reports = Vec::new();
    for (id, name) in &clinics {
        let check = check_clinic(services, *id).await?;
        reports.push(ChainReport { clinic_id: *id, clinic_name: name.clone(), result: check.result, checkpoint_at: check.checkpoint_at });
    }
    if let Some(dir) = &services.audit_checkpoints {
        let checkpointed = dir.clinics().map_err(|e| ServiceError::Internal(format!("{}: {e}", dir.path().display())))?;
        for id in checkpointed.into_iter().filter(|id| !clinics.iter().any(|(c, _)| c == id)) {
            let reason = "a checkpoint exists for this clinic but the database has no such clinic: it was deleted".to_owned();
            reports.push(ChainReport {
                clinic_id: id,
                clinic_name: "(missing from the database)".to_owned(),
                result: Err(Break { seq: 0, reason }),
                checkpoint_at: None,
            });
        }
    }
    Ok(reports)
}

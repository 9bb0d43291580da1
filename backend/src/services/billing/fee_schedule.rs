//! The fee schedule: services with a code (CPT or the clinic's own), a
//! price in the clinic currency and a tax rate, optionally linked to the
//! appointment type they bill. Read with `ViewBilling`, changed with
//! `ManageBilling`; changes are audited.

use super::{actor, require, ClinicBilling};
use crate::{
    audit::{self, Entry},
    error::ServiceError,
    repo::{self, fee_services::FeeServiceRow},
    scope::AuthContext,
    Services,
};
use ambula_domain::{
    billing::{FeeServiceForm, Money, TaxRate},
    AppointmentTypeId, FeeServiceId, Permission,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeeServiceView {
    pub id: FeeServiceId,
    pub code: String,
    pub description: String,
    pub price: Money,
    pub tax_rate: TaxRate,
    pub appointment_type_id: Option<AppointmentTypeId>,
    pub active: bool,
}

fn view(row: FeeServiceRow, billing: &ClinicBilling) -> FeeServiceView {
    FeeServiceView {
        id: FeeServiceId::from_uuid(row.id),
        code: row.code,
        description: row.description,
        price: billing.money(row.price_minor),
        tax_rate: TaxRate::from_basis_points(row.tax_rate_bp.into()).unwrap_or_default(),
        appointment_type_id: row.appointment_type_id.map(AppointmentTypeId::from_uuid),
        active: row.active,
    }
}

fn parse_id(raw: &str) -> Result<FeeServiceId, ServiceError> {
    raw.trim().parse().map_err(|_| ServiceError::NotFound)
}

pub async fn list(services: &Services, ctx: &AuthContext) -> Result<Vec<FeeServiceView>, ServiceError> {
    require(services, ctx, Permission::ViewBilling, "fee_service.list", "fee_service", "").await?;
    let mut tx = services.db.read_in(&ctx.scope).await?;
    let billing = ClinicBilling::load(&mut tx, ctx).await?;
    let rows = repo::fee_services::list(&mut tx, &ctx.scope).await?;
    Ok(rows.into_iter().map(|r| view(r, &billing)).collect())
}

async fn check_type(tx: &mut crate::db::Tx, ctx: &AuthContext, type_id: Option<AppointmentTypeId>) -> Result<(), ServiceError> {
    if let Some(t) = type_id {
        if repo::appointment_types::get(tx, &ctx.scope, t).await?.is_none() {
            return Err(ServiceError::field("appointment_type_id", "Choose an appointment type from the list."));
        }
    }
    Ok(())
}

pub async fn create(services: &Services, ctx: &AuthContext, form: &FeeServiceForm) -> Result<FeeServiceView, ServiceError> {
    require(services, ctx, Permission::ManageBilling, "fee_service.create", "fee_service", "").await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let billing = ClinicBilling::load(&mut tx, ctx).await?;
    let spec = form.parse(billing.currency)?;
    check_type(&mut tx, ctx, spec.appointment_type_id).await?;
    let id = repo::fee_services::insert(&mut tx, &ctx.scope, &spec, now).await?;
    let detail = format!("{} {} at {} ({})", spec.code, spec.description, spec.price, spec.tax_rate.percent());
    audit::record(&mut tx, &ctx.scope, &actor(ctx), Entry::ok("fee_service.create", "fee_service", id).detail(detail), now).await?;
    let row = repo::fee_services::get(&mut tx, &ctx.scope, id).await?.ok_or(ServiceError::NotFound)?;
    tx.commit().await?;
    Ok(view(row, &billing))
}

/// Changing a price changes future lines only: issued invoices keep theirs.
pub async fn update(services: &Services, ctx: &AuthContext, id: &str, form: &FeeServiceForm) -> Result<FeeServiceView, ServiceError> {
    require(services, ctx, Permission::ManageBilling, "fee_service.update", "fee_service", id).await?;
    let service = parse_id(id)?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let billing = ClinicBilling::load(&mut tx, ctx).await?;
    let spec = form.parse(billing.currency)?;
    check_type(&mut tx, ctx, spec.appointment_type_id).await?;
    if !repo::fee_services::update(&mut tx, &ctx.scope, service, &spec, now).await? {
        return Err(ServiceError::NotFound);
    }
    let detail = format!("{} {} at {} ({})", spec.code, spec.description, spec.price, spec.tax_rate.percent());
    audit::record(&mut tx, &ctx.scope, &actor(ctx), Entry::ok("fee_service.update", "fee_service", service).detail(detail), now).await?;
    let row = repo::fee_services::get(&mut tx, &ctx.scope, service).await?.ok_or(ServiceError::NotFound)?;
    tx.commit().await?;
    Ok(view(row, &billing))
}

pub async fn set_active(services: &Services, ctx: &AuthContext, id: &str, active: bool) -> Result<(), ServiceError> {
    let action = if active { "fee_service.reactivate" } else { "fee_service.deactivate" };
    require(services, ctx, Permission::ManageBilling, action, "fee_service", id).await?;
    let service = parse_id(id)?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    if !repo::fee_services::set_active(&mut tx, &ctx.scope, service, active, now).await? {
        return Err(ServiceError::NotFound);
    }
    audit::record(&mut tx, &ctx.scope, &actor(ctx), Entry::ok(action, "fee_service", service), now).await?;
    tx.commit().await?;
    Ok(())
}

/// The clinic's active appointment types, (id, name): what a service can
/// be linked to, so that invoices made from such appointments (and the
/// package sessions that cover them) know their service.
pub async fn appointment_types(services: &Services, ctx: &AuthContext) -> Result<Vec<(AppointmentTypeId, String)>, ServiceError> {
    require(services, ctx, Permission::ViewBilling, "fee_service.list", "fee_service", "").await?;
    let mut tx = services.db.read_in(&ctx.scope).await?;
    let rows = repo::appointment_types::list(&mut tx, &ctx.scope).await?;
    Ok(rows.into_iter().filter(|t| t.active).map(|t| (AppointmentTypeId::from_uuid(t.id), t.name)).collect())
}

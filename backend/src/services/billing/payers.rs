//! Payers (insurers, employers) and their own prices for fee-schedule
//! services. An invoice made out under a payer takes the payer's price for
//! each service that has one, the schedule's price otherwise.

use super::{actor, require, ClinicBilling};
use crate::{
    audit::{self, Entry},
    error::ServiceError,
    repo,
    scope::AuthContext,
    Services,
};
use ambula_domain::{
    billing::{Money, PayerForm, PayerKind, PayerPriceForm},
    FeeServiceId, PayerId, Permission,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayerView {
    pub id: PayerId,
    pub name: String,
    pub kind: PayerKind,
    pub active: bool,
    /// Its prices: (service, price).
    pub prices: Vec<(FeeServiceId, Money)>,
}

pub async fn create(services: &Services, ctx: &AuthContext, form: &PayerForm) -> Result<PayerId, ServiceError> {
    require(services, ctx, Permission::ManageBilling, "payer.create", "payer", "").await?;
    let (name, kind) = form.parse()?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let id = repo::payers::insert(&mut tx, &ctx.scope, &name, kind, now).await?;
    audit::record(&mut tx, &ctx.scope, &actor(ctx), Entry::ok("payer.create", "payer", id).detail(format!("{name} ({})", kind.as_str())), now).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn list(services: &Services, ctx: &AuthContext) -> Result<Vec<PayerView>, ServiceError> {
    require(services, ctx, Permission::ViewBilling, "payer.list", "payer", "").await?;
    let mut tx = services.db.read_in(&ctx.scope).await?;
    let billing = ClinicBilling::load(&mut tx, ctx).await?;
    let mut out = Vec::new();
    for row in repo::payers::list(&mut tx, &ctx.scope).await? {
        let id = PayerId::from_uuid(row.id);
        let prices = repo::payers::prices(&mut tx, &ctx.scope, id).await?;
        out.push(PayerView {
            id,
            name: row.name,
            kind: PayerKind::parse(&row.kind).map_err(|_| ServiceError::Internal(format!("unknown payer kind {:?}", row.kind)))?,
            active: row.active,
            prices: prices.into_iter().map(|(s, p)| (FeeServiceId::from_uuid(s), billing.money(p))).collect(),
        });
    }
    Ok(out)
}

/// Sets (or, with an empty price, removes) a payer's price for a service.
pub async fn set_price(services: &Services, ctx: &AuthContext, service_id: &str, form: &PayerPriceForm) -> Result<(), ServiceError> {
    require(services, ctx, Permission::ManageBilling, "fee_service.payer_price", "fee_service", service_id).await?;
    let service: FeeServiceId = service_id.trim().parse().map_err(|_| ServiceError::NotFound)?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let billing = ClinicBilling::load(&mut tx, ctx).await?;
    let (payer, price) = form.parse(billing.currency)?;
    if repo::fee_services::get(&mut tx, &ctx.scope, service).await?.is_none() {
        return Err(ServiceError::NotFound);
    }
    if repo::payers::get(&mut tx, &ctx.scope, payer).await?.is_none() {
        return Err(ServiceError::field("payer_id", "Choose a payer from the list."));
    }
    repo::payers::set_price(&mut tx, &ctx.scope, service, payer, price.map(|p| p.minor), now).await?;
    let detail = match price {
        Some(p) => format!("payer {payer}: {p}"),
        None => format!("payer {payer}: schedule price"),
    };
    audit::record(&mut tx, &ctx.scope, &actor(ctx), Entry::ok("fee_service.payer_price", "fee_service", service).detail(detail), now).await?;
    tx.commit().await?;
    Ok(())
}

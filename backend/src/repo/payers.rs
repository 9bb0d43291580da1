//! Payers (insurers, employers) and their prices for fee-schedule services.

use crate::{db::Tx, error::ServiceError, on_tx, scope::ClinicScope, time::DbTime};
use ambula_domain::{billing::PayerKind, FeeServiceId, PayerId};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PayerRow {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
    pub active: bool,
}

pub async fn insert(tx: &mut Tx, scope: &ClinicScope, name: &str, kind: PayerKind, now: DbTime) -> Result<PayerId, ServiceError> {
    let id = PayerId::generate();
    let result = on_tx!(tx, c => sqlx::query(
        "INSERT INTO payers (clinic_id, id, name, kind, active, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id.as_uuid())
    .bind(name)
    .bind(kind.as_str())
    .bind(true)
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()));
    super::unique_as_field(result, "name", "There is already a payer with this name.")?;
    Ok(id)
}

pub async fn get(tx: &mut Tx, scope: &ClinicScope, id: PayerId) -> Result<Option<PayerRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, PayerRow>("SELECT id, name, kind, active FROM payers WHERE clinic_id = $1 AND id = $2")
        .bind(scope.clinic_id().as_uuid())
        .bind(id.as_uuid())
        .fetch_optional(c)
        .await)?)
}

pub async fn list(tx: &mut Tx, scope: &ClinicScope) -> Result<Vec<PayerRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, PayerRow>("SELECT id, name, kind, active FROM payers WHERE clinic_id = $1 ORDER BY name")
        .bind(scope.clinic_id().as_uuid())
        .fetch_all(c)
        .await)?)
}

/// Sets (or with `None` removes) a payer's price for a service.
pub async fn set_price(
    tx: &mut Tx,
    scope: &ClinicScope,
    service: FeeServiceId,
    payer: PayerId,
    price_minor: Option<i64>,
    now: DbTime,
) -> Result<(), ServiceError> {
    let clinic = scope.clinic_id().as_uuid();
    match price_minor {
        Some(price) => on_tx!(tx, c => sqlx::query(
            "INSERT INTO fee_service_prices (clinic_id, id, service_id, payer_id, price_minor, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (clinic_id, service_id, payer_id) DO UPDATE SET price_minor = excluded.price_minor,
                                                                        updated_at = excluded.updated_at",
        )
        .bind(clinic)
        .bind(Uuid::now_v7())
        .bind(service.as_uuid())
        .bind(payer.as_uuid())
        .bind(price)
        .bind(now)
        .execute(c)
        .await.map(|r| r.rows_affected()))?,
        None => on_tx!(tx, c => sqlx::query("DELETE FROM fee_service_prices WHERE clinic_id = $1 AND service_id = $2 AND payer_id = $3")
            .bind(clinic)
            .bind(service.as_uuid())
            .bind(payer.as_uuid())
            .execute(c)
            .await.map(|r| r.rows_affected()))?,
    };
    Ok(())
}

/// A payer's prices: (service, price).
pub async fn prices(tx: &mut Tx, scope: &ClinicScope, payer: PayerId) -> Result<Vec<(Uuid, i64)>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, (Uuid, i64)>(
        "SELECT service_id, price_minor FROM fee_service_prices WHERE clinic_id = $1 AND payer_id = $2",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(payer.as_uuid())
    .fetch_all(c)
    .await)?)
}

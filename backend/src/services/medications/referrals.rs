//! Referrals: create one (a draft), move it on (sent, completed). The
//! reason and the letter's text are sealed.

use super::{not_found, open_in, open_patient, permit, seal, unseal, unseal_opt, Opened};
use crate::{
    error::ServiceError,
    repo::{self, referrals::{NewReferralRow, ReferralRow}},
    scope::AuthContext,
    time::DbTime,
    Services,
};
use ambula_domain::{
    medications::{referrals::parse_transition, ReferralForm, ReferralStatus, Urgency},
    FieldErrors, Permission, ReferralId,
};

#[derive(Debug, Clone)]
pub struct ReferralView {
    pub id: ReferralId,
    pub to_name: String,
    pub specialty: Option<String>,
    pub to_address: Option<String>,
    pub to_email: Option<String>,
    pub reason: String,
    pub urgency: Urgency,
    pub status: ReferralStatus,
    pub letter: Option<String>,
    pub created_by: String,
    pub created_at: DbTime,
}

pub(crate) async fn view(services: &Services, tx: &mut crate::db::Tx, ctx: &AuthContext, row: ReferralRow) -> Result<ReferralView, ServiceError> {
    let bad = |what: &str, v: &str| ServiceError::Internal(format!("unknown referral {what} {v:?} in database"));
    Ok(ReferralView {
        id: ReferralId::from_uuid(row.id),
        reason: unseal(services, tx, ctx, "referrals", "reason", row.id, &row.reason).await?,
        letter: unseal_opt(services, tx, ctx, "referrals", "letter", row.id, row.letter.as_deref()).await?,
        urgency: Urgency::parse(&row.urgency).map_err(|_| bad("urgency", &row.urgency))?,
        status: ReferralStatus::parse(&row.status).map_err(|_| bad("status", &row.status))?,
        to_name: row.to_name,
        specialty: row.specialty,
        to_address: row.to_address,
        to_email: row.to_email,
        created_by: row.created_by_name,
        created_at: row.created_at,
    })
}

pub async fn create(services: &Services, ctx: &AuthContext, patient: &str, form: &ReferralForm) -> Result<ReferralId, ServiceError> {
    permit(services, ctx, Permission::EditClinical, "referral.create", "patient", patient).await?;
    let mut o = open_patient(services, ctx, patient, "referral.create").await?;
    let new = form.parse()?;
    let id = ReferralId::generate();
    let reason = seal(services, &mut o, ctx, "referrals", "reason", id.as_uuid(), &new.reason).await?;
    let letter = match &new.letter {
        Some(text) => Some(seal(services, &mut o, ctx, "referrals", "letter", id.as_uuid(), text).await?),
        None => None,
    };
    let row = NewReferralRow {
        id,
        patient: o.patient_id(),
        to_name: &new.to_name,
        specialty: new.specialty.as_deref(),
        to_address: new.to_address.as_deref(),
        to_email: new.to_email.as_ref().map(|e| e.as_str()),
        reason: &reason,
        urgency: new.urgency.as_str(),
        letter: letter.as_deref(),
        created_by: ctx.membership_id,
    };
    repo::referrals::insert(&mut o.tx, &ctx.scope, row, o.now).await?;
    o.audit(ctx, "referral.create", "referral", id, Some(format!("to {} ({})", new.to_name, new.urgency.label()))).await?;
    o.commit().await?;
    Ok(id)
}

/// Finds the referral in this clinic and opens its patient.
pub(crate) async fn open_referral(services: &Services, ctx: &AuthContext, raw: &str, action: &'static str) -> Result<(Opened, ReferralRow), ServiceError> {
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let row = match raw.trim().parse::<ReferralId>() {
        Ok(id) => repo::referrals::get(&mut tx, &ctx.scope, id).await?,
        Err(_) => None,
    };
    let Some(row) = row else {
        return not_found(tx, ctx, action, "referral", raw, now).await;
    };
    let o = open_in(tx, ctx, &row.patient_id.to_string(), action, now).await?;
    Ok((o, row))
}

pub async fn set_status(services: &Services, ctx: &AuthContext, referral: &str, status: &str) -> Result<(), ServiceError> {
    permit(services, ctx, Permission::EditClinical, "referral.status", "referral", referral).await?;
    let (mut o, row) = open_referral(services, ctx, referral, "referral.status").await?;
    let current = ReferralStatus::parse(&row.status).map_err(|_| ServiceError::Internal(format!("referral status {:?}", row.status)))?;
    let next = parse_transition(current, status).map_err(|e| FieldErrors::single("status", e.0))?;
    let id = ReferralId::from_uuid(row.id);
    if !repo::referrals::set_status(&mut o.tx, &ctx.scope, id, current.as_str(), next.as_str(), o.now).await? {
        return Err(ServiceError::field("status", "Someone else changed this referral; reload to see it."));
    }
    o.audit(ctx, "referral.status", "referral", id, Some(format!("{} → {}", current.as_str(), next.as_str()))).await?;
    o.commit().await
}

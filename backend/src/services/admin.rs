//! Operator commands: master-key rotation, clinic deletion with
//! crypto-shredding, and clearing a person's MFA (the one change to a person
//! that no clinic administrator can make).

use crate::{
    audit::{self, Actor, Entry},
    envelope::{self, MasterKey},
    key_upkeep,
    error::ServiceError,
    repo,
    scope::ClinicScope,
    Services,
};
use ambula_domain::{ClinicId, EmailAddress};
use uuid::Uuid;

/// Re-wraps the master-wrapped data keys and re-seals every clinic KEK
/// under `new`; returns how many of each. The caller then configures `new`
/// as the master key; the old one can be destroyed. Repeatable after an
/// interruption (what is already under `new` is skipped).
pub async fn rotate_master_key(services: &Services, new: &MasterKey) -> Result<(usize, usize), ServiceError> {
    let mut tx = services.db.write().await?;
    let count = envelope::rotate_master_key(&mut tx, services.keys.master(), new).await?;
    tx.commit().await?;
    let resealed = key_upkeep::reseal_keks(services.keys.store().as_ref(), services.keys.master(), new)?;
    Ok((count, resealed))
}

/// Start-up key upkeep (idempotent): older master-wrapped clinic keys move
/// under their clinic's KEK; KEKs an interrupted deletion left are shredded.
pub async fn upkeep_keys(services: &Services) -> Result<key_upkeep::Upkeep, ServiceError> {
    Ok(key_upkeep::upkeep(&services.keys, &services.db).await?)
}

/// Deletes a clinic: it disappears for everyone at once (sessions end), and
/// its data key row and its KEK (in the key store, outside the database) are
/// destroyed, so its encrypted records, here and in every database backup,
/// can no longer be read. The KEK goes after the commit (a rolled-back
/// deletion must not lose the key); if that step fails, the start-up upkeep
/// retries it. The audit trail keeps the fact.
pub async fn delete_clinic(services: &Services, clinic: Uuid) -> Result<u64, ServiceError> {
    let scope = ClinicScope::new(ClinicId::from_uuid(clinic));
    let now = services.now();
    let mut tx = services.db.write_in(&scope).await?;
    if !repo::clinics::mark_deleted(&mut tx, clinic, now).await? {
        return Err(ServiceError::NotFound);
    }
    let destroyed = services.keys.destroy_clinic_keys(&mut tx, clinic, now).await?;
    crate::on_tx!(&mut tx, c => sqlx::query("DELETE FROM sessions WHERE clinic_id = $1").bind(clinic).execute(c).await.map(|r| r.rows_affected()))?;
    let actor = Actor { user_id: None, name: "operator".into(), ip: None };
    let entry = Entry::ok("clinic.delete", "clinic", clinic).detail(format!("{destroyed} data key(s) destroyed"));
    audit::record(&mut tx, &scope, &actor, entry, now).await?;
    tx.commit().await?;
    services.keys.shred_clinic_kek(clinic).map_err(|e| {
        ServiceError::Internal(format!("clinic deleted, but its key file could not be destroyed ({e}); restart the server to retry"))
    })?;
    Ok(destroyed)
}

/// Clears a person's two-step sign-in and ends all their sessions: for a
/// lost phone without recovery codes, once the operator has confirmed who
/// is asking out of band. Recorded in the person's security events.
pub async fn reset_mfa(services: &Services, email: &EmailAddress) -> Result<(), ServiceError> {
    let now = services.now();
    let mut tx = services.db.write().await?;
    let user = repo::users::find_by_email(&mut tx, email).await?.ok_or(ServiceError::NotFound)?;
    repo::users::clear_mfa(&mut tx, user.id, now).await?;
    repo::sessions::delete_for_user(&mut tx, user.id, None).await?;
    let client = crate::services::ClientInfo::default();
    repo::security_events::record(&mut tx, Some(user.id), None, "mfa_reset_by_operator", &client, None, now).await?;
    tx.commit().await?;
    Ok(())
}

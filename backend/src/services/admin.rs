//! Operator commands: master-key rotation, clinic deletion with
//! crypto-shredding, and clearing a person's MFA (the one change to a person
//! that no clinic administrator can make).

use crate::{
    audit::{self, Actor, Entry},
    envelope::{self, MasterKey},
    error::ServiceError,
    repo,
    scope::ClinicScope,
    Services,
};
use ambula_domain::{ClinicId, EmailAddress};
use uuid::Uuid;

/// Re-wraps every data key under `new`. The caller then configures `new`
/// as the master key; the old one can be destroyed.
pub async fn rotate_master_key(services: &Services, new: &MasterKey) -> Result<usize, ServiceError> {
    let mut tx = services.db.write().await?;
    let count = envelope::rotate_master_key(&mut tx, services.keys.master(), new).await?;
    tx.commit().await?;
    Ok(count)
}

/// Deletes a clinic: it disappears for everyone at once (sessions end), and
/// its data key is destroyed, so its encrypted records, here and in every
/// backup, can no longer be read. The audit trail keeps the fact.
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

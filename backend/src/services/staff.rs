//! Staff management by owners and administrators: change a role, deactivate
//! or reactivate, reset MFA. Each ends the person's sessions at once and is
//! recorded in the audit trail and the person's security events.

use crate::{
    audit::{self, Actor, Entry},
    error::ServiceError,
    repo::{self, memberships::StaffMember},
    scope::AuthContext,
    Services,
};
use ambula_domain::{
    security::{MemberForm, RoleChangeForm, SecuritySettingsForm},
    MembershipId, Permission, Role,
};

/// The member, checked: in this clinic (else 404, like any other clinic's
/// record), not oneself, and not the owner unless the owner is asking.
async fn target(
    services: &Services,
    tx: &mut crate::db::Tx,
    ctx: &AuthContext,
    id: MembershipId,
    action: &'static str,
) -> Result<Result<StaffMember, ServiceError>, ServiceError> {
    let member = repo::memberships::get(tx, &ctx.scope, id).await?;
    let refusal = match &member {
        None => Some(ServiceError::NotFound),
        Some(m) if m.membership_id == ctx.membership_id => {
            Some(ServiceError::field("membership_id", "You cannot change your own access. Ask another administrator."))
        }
        Some(m) if m.role == Role::Owner && ctx.role != Role::Owner => Some(ServiceError::Forbidden),
        Some(m) if m.role == Role::Patient => Some(ServiceError::NotFound),
        Some(_) => None,
    };
    if let Some(error) = refusal {
        if matches!(error, ServiceError::NotFound | ServiceError::Forbidden) {
            let entry = Entry::denied(action, "membership", id);
            audit::record(tx, &ctx.scope, &Actor::from(ctx), entry, services.now()).await?;
        }
        return Ok(Err(error));
    }
    Ok(member.ok_or(ServiceError::NotFound))
}

/// Records a refusal for lack of permission and returns the 403 to give.
async fn denied_by_role(services: &Services, ctx: &AuthContext, action: &'static str, id: &str) -> ServiceError {
    match audit::record_denial(services, ctx, action, "membership", id, None).await {
        Ok(()) => ServiceError::Forbidden,
        Err(error) => error,
    }
}

pub async fn change_role(services: &Services, ctx: &AuthContext, form: &RoleChangeForm) -> Result<(), ServiceError> {
    if !ctx.can(Permission::ManageStaff) {
        return Err(denied_by_role(services, ctx, "staff.role_change", &form.membership_id).await);
    }
    let (id, role) = form.parse()?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let member = match target(services, &mut tx, ctx, id, "staff.role_change").await? {
        Ok(member) => member,
        Err(error) => {
            tx.commit().await?;
            return Err(error);
        }
    };
    if member.role == role {
        return Ok(());
    }
    repo::memberships::set_role(&mut tx, &ctx.scope, id, role).await?;
    // A privilege change: the person signs in again under the new role.
    repo::sessions::delete_for_user_in_clinic(&mut tx, member.user_id, ctx.scope.clinic_id().as_uuid()).await?;
    let detail = format!("{}: {} → {}", member.name, member.role.as_str(), role.as_str());
    audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), Entry::ok("staff.role_change", "membership", id).detail(&detail), now).await?;
    repo::security_events::record(&mut tx, Some(member.user_id), Some(ctx.scope.clinic_id().as_uuid()), "role_changed", &ctx.client, Some(&detail), now).await?;
    tx.commit().await?;
    Ok(())
}

/// Deactivates (`active = false`) or reactivates a member. Deactivation
/// ends their sessions in this clinic immediately.
pub async fn set_active(services: &Services, ctx: &AuthContext, form: &MemberForm, active: bool) -> Result<(), ServiceError> {
    let action = if active { "staff.reactivate" } else { "staff.deactivate" };
    if !ctx.can(Permission::ManageStaff) {
        return Err(denied_by_role(services, ctx, action, &form.membership_id).await);
    }
    let id = form.parse()?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let member = match target(services, &mut tx, ctx, id, action).await? {
        Ok(member) => member,
        Err(error) => {
            tx.commit().await?;
            return Err(error);
        }
    };
    repo::memberships::set_active(&mut tx, &ctx.scope, id, active).await?;
    if !active {
        repo::sessions::delete_for_user_in_clinic(&mut tx, member.user_id, ctx.scope.clinic_id().as_uuid()).await?;
        // Their calendar feed URL is a standing credential too.
        repo::calendar_feeds::revoke_for_member(&mut tx, &ctx.scope, id.as_uuid(), now).await?;
    }
    audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), Entry::ok(action, "membership", id).detail(&member.name), now).await?;
    let kind = if active { "access_restored" } else { "access_removed" };
    repo::security_events::record(&mut tx, Some(member.user_id), Some(ctx.scope.clinic_id().as_uuid()), kind, &ctx.client, None, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Requires a member to set up a new authenticator before they work in this
/// clinic again, and ends their sessions here. Their MFA itself, their
/// password, their sessions in other clinics and their security events
/// belong to the person and stay as they are: one clinic never changes
/// another clinic's view of someone. (A lost phone: a recovery code, or the
/// operator's `server reset-mfa`.)
pub async fn reset_mfa(services: &Services, ctx: &AuthContext, form: &MemberForm) -> Result<(), ServiceError> {
    if !ctx.can(Permission::ManageStaff) {
        return Err(denied_by_role(services, ctx, "staff.mfa_reset", &form.membership_id).await);
    }
    let id = form.parse()?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let member = match target(services, &mut tx, ctx, id, "staff.mfa_reset").await? {
        Ok(member) => member,
        Err(error) => {
            tx.commit().await?;
            return Err(error);
        }
    };
    repo::memberships::require_mfa_reenrol(&mut tx, &ctx.scope, id, now).await?;
    repo::sessions::delete_for_user_in_clinic(&mut tx, member.user_id, ctx.scope.clinic_id().as_uuid()).await?;
    audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), Entry::ok("staff.mfa_reset", "membership", id).detail(&member.name), now).await?;
    repo::security_events::record(&mut tx, Some(member.user_id), Some(ctx.scope.clinic_id().as_uuid()), "mfa_reenrol_required", &ctx.client, Some(&ctx.user_name), now).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn security_settings(services: &Services, ctx: &AuthContext) -> Result<repo::clinics::SecuritySettings, ServiceError> {
    let mut tx = services.db.read_in(&ctx.scope).await?;
    repo::clinics::security_settings(&mut tx, ctx.scope.clinic_id().as_uuid()).await
}

pub async fn update_security_settings(
    services: &Services,
    ctx: &AuthContext,
    form: &SecuritySettingsForm,
) -> Result<repo::clinics::SecuritySettings, ServiceError> {
    if !ctx.can(Permission::ManageClinic) {
        return Err(denied_by_role(services, ctx, "clinic.security_settings", "").await);
    }
    let parsed = form.parse()?;
    let settings = repo::clinics::SecuritySettings {
        require_mfa: parsed.require_mfa,
        idle_timeout_minutes: parsed.idle_timeout_minutes as i32,
        break_glass_minutes: parsed.break_glass_minutes as i32,
    };
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    repo::clinics::update_security_settings(&mut tx, &ctx.scope, &settings, now).await?;
    let detail = format!(
        "require MFA: {}, idle logoff: {} min, break-glass: {} min",
        settings.require_mfa, settings.idle_timeout_minutes, settings.break_glass_minutes
    );
    audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), Entry::ok("clinic.security_settings", "clinic", ctx.scope.clinic_id()).detail(detail), now).await?;
    tx.commit().await?;
    Ok(settings)
}

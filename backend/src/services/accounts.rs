//! Clinic sign-up, staff invitations and the clinic profile.

use super::{auth, ClientInfo};
use crate::{
    crypto,
    error::ServiceError,
    mail::Email,
    repo::{self, memberships::StaffMember},
    scope::{AuthContext, ClinicScope},
    time::DbTime,
    Services,
};
use ambula_domain::{
    accounts::{AcceptInviteForm, ClinicProfileForm, InviteForm, Signup, SignupForm},
    ClinicId, EmailAddress, Role, UserId,
};
use chrono::{DateTime, Utc};

/// A new clinic with its owner signed in.
pub async fn sign_up(
    services: &Services,
    form: &SignupForm,
    client: &ClientInfo,
) -> Result<auth::SignedIn, ServiceError> {
    let signup = form.parse()?;
    let (_, token) = create_clinic(services, &signup, Some(client)).await?;
    let token = token.unwrap_or_default();
    let context = auth::authenticate(services, &token).await?;
    Ok(auth::SignedIn { token, context })
}

/// Creates a clinic and its owner in one transaction; with `client`, also a
/// session for the owner. Used by sign-up and by `server create-clinic`.
pub async fn create_clinic(
    services: &Services,
    signup: &Signup,
    client: Option<&ClientInfo>,
) -> Result<(ClinicScope, Option<String>), ServiceError> {
    // Hash before taking the write lock: hashing is the slow part.
    let hash = crypto::hash_password(signup.password.expose().to_owned())
        .await
        .map_err(ServiceError::Internal)?;
    let now = DbTime::now();
    let mut tx = services.db.write().await?;
    let scope = repo::clinics::create(&mut tx, &signup.clinic_name, &signup.time_zone, now).await?;
    let user_id = repo::users::insert(&mut tx, &signup.email, &signup.owner_name, &hash, now).await?;
    repo::memberships::insert(&mut tx, &scope, user_id, Role::Owner, now).await?;
    let token = match client {
        Some(client) => Some(auth::start_session(services, &mut tx, user_id, scope.clinic_id(), client).await?),
        None => None,
    };
    tx.commit().await?;
    tracing::info!(clinic_id = %scope.clinic_id(), "clinic created");
    Ok((scope, token))
}

fn require_manager(ctx: &AuthContext) -> Result<(), ServiceError> {
    if ctx.role.manages_clinic() {
        Ok(())
    } else {
        Err(ServiceError::Forbidden)
    }
}

#[derive(Debug, Clone)]
pub struct InviteSent {
    /// The link, shown to the admin too: staff without working email yet
    /// can still be given it in person.
    pub link: String,
    pub emailed: bool,
}

pub async fn invite(services: &Services, ctx: &AuthContext, form: &InviteForm) -> Result<InviteSent, ServiceError> {
    require_manager(ctx)?;
    let invite = form.parse()?;
    let token = crypto::random_token();
    let now = DbTime::now();
    let ttl = chrono::Duration::from_std(services.auth.invite_ttl).unwrap_or(chrono::Duration::days(7));
    let mut tx = services.db.write().await?;
    if let Some(user) = repo::users::find_by_email(&mut tx, &invite.email).await? {
        if repo::memberships::is_member(&mut tx, &ctx.scope, UserId::from_uuid(user.id)).await? {
            return Err(ServiceError::field("email", "This person is already a member of this clinic."));
        }
    }
    repo::invites::insert(
        &mut tx,
        &ctx.scope,
        &invite.email,
        invite.role,
        &crypto::token_hash(&token),
        ctx.membership_id,
        now,
        DbTime::from(now.0 + ttl),
    )
    .await?;
    tx.commit().await?;

    let link = format!("{}/invite/{token}", services.public_url.trim_end_matches('/'));
    // Mail goes out after the commit: a failed send leaves a valid invite
    // whose link the admin can still pass on, rather than a lost one.
    let emailed = match services
        .mailer
        .send(Email {
            to: invite.email.to_string(),
            subject: format!("You're invited to join {} on Ambula", ctx.clinic_name),
            body: format!(
                "{} invited you to join {} on Ambula as {}.\n\n\
                 Choose your password here (the link works once and expires in 7 days):\n{link}\n\n\
                 If you did not expect this, you can ignore this email.\n",
                ctx.user_name,
                ctx.clinic_name,
                invite.role.label()
            ),
        })
        .await
    {
        Ok(()) => matches!(services.mailer, crate::Mailer::Smtp { .. }),
        Err(error) => {
            tracing::warn!(%error, "invitation email could not be sent");
            false
        }
    };
    Ok(InviteSent { link, emailed })
}

#[derive(Debug, Clone)]
pub struct InviteDetails {
    pub clinic_name: String,
    pub email: String,
    pub role: Role,
    /// The invited email already has an Ambula account (another clinic): they
    /// confirm with their existing password instead of choosing one.
    pub existing_account: bool,
}

const INVITE_GONE: &str =
    "This invitation link has expired or was already used. Ask your clinic for a new one.";

/// What the invite page shows before the person accepts.
pub async fn invite_details(services: &Services, token: &str) -> Result<InviteDetails, ServiceError> {
    let mut tx = services.db.read().await?;
    let invite = repo::invites::find_by_token_hash(&mut tx, &crypto::token_hash(token))
        .await?
        .ok_or(ServiceError::NotFound)?;
    if invite.accepted || DbTime::now() >= invite.expires_at {
        return Err(ServiceError::field("token", INVITE_GONE));
    }
    let email = EmailAddress::parse(&invite.email).map_err(|_| ServiceError::NotFound)?;
    let existing_account = repo::users::find_by_email(&mut tx, &email).await?.is_some();
    Ok(InviteDetails { clinic_name: invite.clinic_name, email: invite.email, role: invite.role, existing_account })
}

/// Accepts an invitation: creates the account (or, for an existing account,
/// checks its password: an invite link must not be a way to take over an
/// account) and the membership, and signs the person in.
pub async fn accept_invite(
    services: &Services,
    form: &AcceptInviteForm,
    client: &ClientInfo,
) -> Result<auth::SignedIn, ServiceError> {
    // The name/password rules differ for existing accounts, so look first.
    let details = invite_details(services, form.token.trim()).await.map_err(|e| match e {
        ServiceError::NotFound => ServiceError::field("token", INVITE_GONE),
        other => other,
    })?;
    let email = EmailAddress::parse(&details.email).map_err(|_| ServiceError::NotFound)?;
    let token_hash = crypto::token_hash(form.token.trim());

    let mut tx = services.db.read().await?;
    let existing = repo::users::find_by_email(&mut tx, &email).await?;
    drop(tx);
    let (user_id, new_hash, name) = match existing {
        Some(user) => {
            if form.password.is_empty()
                || !crypto::verify_password(form.password.clone(), Some(user.password_hash))
                    .await
                    .map_err(ServiceError::Internal)?
            {
                return Err(ServiceError::field("password", "That is not the password of your existing account."));
            }
            (Some(UserId::from_uuid(user.id)), None, None)
        }
        None => {
            let accepted = form.parse()?;
            let hash = crypto::hash_password(accepted.password.expose().to_owned())
                .await
                .map_err(ServiceError::Internal)?;
            (None, Some(hash), Some(accepted.name))
        }
    };

    let now = DbTime::now();
    let mut tx = services.db.write().await?;
    let invite = repo::invites::find_by_token_hash(&mut tx, &token_hash)
        .await?
        .ok_or_else(|| ServiceError::field("token", INVITE_GONE))?;
    let scope = ClinicScope::new(invite.clinic_id);
    if !repo::invites::mark_accepted(&mut tx, &scope, invite.id, now).await? || now >= invite.expires_at {
        return Err(ServiceError::field("token", INVITE_GONE));
    }
    let user_id = match (user_id, new_hash, name) {
        (Some(id), _, _) => id,
        (None, Some(hash), Some(name)) => repo::users::insert(&mut tx, &email, &name, &hash, now).await?,
        _ => return Err(ServiceError::Internal("inconsistent invite acceptance".into())),
    };
    repo::memberships::insert(&mut tx, &scope, user_id, invite.role, now).await?;
    let token = auth::start_session(services, &mut tx, user_id, invite.clinic_id, client).await?;
    tx.commit().await?;
    let context = auth::authenticate(services, &token).await?;
    Ok(auth::SignedIn { token, context })
}

#[derive(Debug, Clone)]
pub struct ClinicProfileView {
    pub id: ClinicId,
    pub name: String,
    pub time_zone: String,
    pub phone: String,
    pub email: String,
    pub address: String,
    pub currency: String,
}

pub async fn clinic_profile(services: &Services, ctx: &AuthContext) -> Result<ClinicProfileView, ServiceError> {
    let mut tx = services.db.read().await?;
    let row = repo::clinics::get(&mut tx, &ctx.scope).await?;
    Ok(ClinicProfileView {
        id: ClinicId::from_uuid(row.id),
        name: row.name,
        time_zone: row.time_zone,
        phone: row.phone.unwrap_or_default(),
        email: row.email.unwrap_or_default(),
        address: row.address.unwrap_or_default(),
        currency: row.currency,
    })
}

pub async fn update_clinic_profile(
    services: &Services,
    ctx: &AuthContext,
    form: &ClinicProfileForm,
) -> Result<ClinicProfileView, ServiceError> {
    require_manager(ctx)?;
    let profile = form.parse()?;
    let mut tx = services.db.write().await?;
    repo::clinics::update_profile(&mut tx, &ctx.scope, &profile, DbTime::now()).await?;
    tx.commit().await?;
    clinic_profile(services, ctx).await
}

#[derive(Debug, Clone)]
pub struct PendingInviteView {
    pub email: String,
    pub role: Role,
    pub expires_at: DateTime<Utc>,
}

pub async fn staff(services: &Services, ctx: &AuthContext) -> Result<(Vec<StaffMember>, Vec<PendingInviteView>), ServiceError> {
    let mut tx = services.db.read().await?;
    let staff = repo::memberships::list_staff(&mut tx, &ctx.scope).await?;
    let pending = if ctx.role.manages_clinic() {
        repo::invites::list_pending(&mut tx, &ctx.scope, DbTime::now())
            .await?
            .into_iter()
            .map(|p| PendingInviteView { email: p.email, role: p.role, expires_at: p.expires_at.0 })
            .collect()
    } else {
        Vec::new()
    };
    Ok((staff, pending))
}

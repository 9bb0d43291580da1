//! Clinic sign-up, staff invitations and the clinic profile.

use super::{auth, ClientInfo};
use crate::{
    config::SignupMode,
    audit::{self, Actor, Entry},
    crypto,
    envelope::KeyOwner,
    repo::sessions::Stage,
    error::ServiceError,
    mail::Email,
    repo::{self, memberships::StaffMember},
    scope::{AuthContext, ClinicScope},
    time::DbTime,
    Services,
};
use ambula_domain::{
    accounts::{AcceptInviteForm, ClinicProfileForm, InviteForm, Signup, SignupForm},
    ClinicId, ClinicName, EmailAddress, PersonName, Role, TimeZoneName, UserId,
};
use chrono::{DateTime, Utc};

/// What the sign-up page's form led to.
#[derive(Debug)]
pub enum SignUpAnswer {
    SignedIn(auth::SignedIn),
    /// A link was mailed to this address (or a note that it has an account).
    CheckEmail(EmailAddress),
}

/// The sign-up page's form, as this server's [`SignupMode`] says.
pub async fn sign_up_form(services: &Services, form: &SignupForm, client: &ClientInfo) -> Result<SignUpAnswer, ServiceError> {
    match services.auth.signup {
        SignupMode::Open => sign_up(services, form, client).await.map(SignUpAnswer::SignedIn),
        SignupMode::VerifyEmail => {
            request_sign_up(services, form, client).await?;
            let email = form.parse()?.email;
            Ok(SignUpAnswer::CheckEmail(email))
        }
        SignupMode::Closed => Err(ServiceError::field(
            "clinic_name",
            "This server does not take new clinics from its sign-up page. Ask its operator to create yours.",
        )),
    }
}

/// A new clinic with its owner signed in, at once.
/// With [`SignupMode::Open`] only: `request_sign_up` is the path otherwise.
pub async fn sign_up(
    services: &Services,
    form: &SignupForm,
    client: &ClientInfo,
) -> Result<auth::SignedIn, ServiceError> {
    let signup = form.parse()?;
    // Per network and for the whole server, before the hash: sign-up cannot
    // be used to flood the server with clinics or with hashing work.
    super::attempts::begin(services, super::attempts::Action::SignUp, None, client)
        .await
        .map_err(|refused| refused.into_error("email"))?
        .succeeded(services)
        .await?;
    let (_, token) = create_clinic(services, &signup, Some(client)).await?;
    let token = token.ok_or_else(|| ServiceError::Internal("no session created".into()))?;
    Ok(auth::SignedIn { token, stage: Stage::Full })
}

/// Creates a clinic and its owner in one transaction; with `client`, also a
/// session for the owner. Used by sign-up and by `server create-clinic`.
pub async fn create_clinic(
    services: &Services,
    signup: &Signup,
    client: Option<&ClientInfo>,
) -> Result<(ClinicScope, Option<String>), ServiceError> {
    // Hash before taking the write lock: hashing is the slow part.
    let hash = crypto::hash_password(signup.password.expose().to_owned()).await?;
    let owner = Owner { clinic_name: &signup.clinic_name, time_zone: &signup.time_zone, name: &signup.owner_name, email: &signup.email };
    create_clinic_hashed(services, &owner, &hash, client).await
}

/// A new clinic's owner, as the sign-up form (or a confirmed request) gave it.
struct Owner<'a> {
    clinic_name: &'a ClinicName,
    time_zone: &'a TimeZoneName,
    name: &'a PersonName,
    email: &'a EmailAddress,
}

async fn create_clinic_hashed(
    services: &Services,
    owner: &Owner<'_>,
    hash: &str,
    client: Option<&ClientInfo>,
) -> Result<(ClinicScope, Option<String>), ServiceError> {
    let now = services.now();
    let mut tx = services.db.write().await?;
    let scope = repo::clinics::create(&mut tx, owner.clinic_name, owner.time_zone, now).await?;
    tx.enter(&scope).await?;
    services.keys.ensure_key(&mut tx, KeyOwner::clinic(&scope), now).await?;
    // Every clinic starts with the default note templates.
    super::chart::templates::seed_defaults(&mut tx, &scope, now).await?;
    let user_id = repo::users::insert(&mut tx, owner.email, owner.name, hash, now).await?;
    let membership = repo::memberships::insert(&mut tx, &scope, user_id, Role::Owner, now).await?;
    let actor = Actor { user_id: Some(user_id.as_uuid()), name: owner.name.as_str().to_owned(), ip: client.and_then(|c| c.ip.clone()) };
    audit::record(&mut tx, &scope, &actor, Entry::ok("clinic.create", "clinic", scope.clinic_id()), now).await?;
    audit::record(&mut tx, &scope, &actor, Entry::ok("staff.add", "membership", membership).detail("owner"), now).await?;
    let token = match client {
        Some(client) => Some(auth::start_session(services, &mut tx, user_id, scope.clinic_id(), Stage::Full, client).await?),
        None => None,
    };
    tx.commit().await?;
    tracing::info!(clinic_id = %scope.clinic_id(), "clinic created");
    Ok((scope, token))
}

/// Sign-up with the address proven first ([`SignupMode::VerifyEmail`]).
/// The answer is the same, in the same time, for an address that has an
/// account and one that has not: both hash the password and write one
/// transaction, and the mail (a confirmation link, or a note that the
/// address already has an account) goes out after the request has been
/// answered. An address asked for too often gets no more mail, and the
/// same answer.
pub async fn request_sign_up(services: &Services, form: &SignupForm, client: &ClientInfo) -> Result<(), ServiceError> {
    let signup = form.parse()?;
    let gate = super::attempts::begin(services, super::attempts::Action::SignUp, Some(signup.email.as_str()), client).await;
    let attempt = match gate {
        Ok(attempt) => Some(attempt),
        Err(super::attempts::Refused::Account(_)) => None,
        Err(refused) => return Err(refused.into_error("email")),
    };
    let hash = crypto::hash_password(signup.password.expose().to_owned()).await?;
    let Some(attempt) = attempt else {
        return Ok(());
    };
    attempt.succeeded(services).await?;
    let now = services.now();
    let token = crypto::random_token();
    let ttl = chrono::Duration::from_std(services.auth.signup_ttl).unwrap_or(chrono::Duration::days(1));
    let mut tx = services.db.write().await?;
    repo::signup_requests::purge(&mut tx, DbTime::from(now.0 - chrono::Duration::days(7))).await?;
    let existing = repo::users::find_by_email(&mut tx, &signup.email).await?;
    if existing.is_none() {
        let request = repo::signup_requests::SignupRequest {
            email: signup.email.to_string(),
            clinic_name: signup.clinic_name.as_str().to_owned(),
            time_zone: signup.time_zone.as_str().to_owned(),
            owner_name: signup.owner_name.as_str().to_owned(),
            password_hash: hash,
        };
        repo::signup_requests::insert(&mut tx, &crypto::token_hash(&token), &request, now, DbTime::from(now.0 + ttl)).await?;
    }
    tx.commit().await?;
    let base = services.public_url.trim_end_matches('/');
    let mail = match existing {
        None => Email {
            to: signup.email.to_string(),
            subject: format!("Confirm your email to create {} on Ambula", signup.clinic_name.as_str()),
            body: format!(
                "Someone (hopefully you) asked to create the clinic {} on Ambula with this address.\n\n\
                 Confirm your email and create it here. The link works once and expires in {} hours:\n{base}/sign-up/confirm/{token}\n\n\
                 If you did not ask for this, ignore this email: nothing is created.\n",
                signup.clinic_name.as_str(),
                ttl.num_hours()
            ),
        },
        Some(user) => Email {
            to: user.email,
            subject: "You already have an Ambula account".into(),
            body: format!(
                "Someone (hopefully you) tried to create the clinic {} on Ambula with this address, \
                 which already has an account, so nothing was created.\n\n\
                 Sign in here: {base}/sign-in\n\
                 Forgot your password? {base}/forgot-password\n\n\
                 To run another clinic with the same address, ask the operator of this server, \
                 or sign up with another address. If it was not you, you can ignore this email.\n",
                signup.clinic_name.as_str()
            ),
        },
    };
    let mailer = services.mailer.clone();
    tokio::spawn(async move {
        if let Err(error) = mailer.send(mail).await {
            tracing::warn!(%error, "sign-up email could not be sent");
        }
    });
    Ok(())
}

const SIGNUP_GONE: &str = "This link has expired or was already used. Sign up again, or sign in if you already did.";

/// The clinic a live confirmation link would create (404 for an unknown
/// link). Reading it changes nothing: a mail scanner that follows the link
/// creates no clinic.
pub async fn sign_up_details(services: &Services, token: &str) -> Result<String, ServiceError> {
    let mut tx = services.db.read().await?;
    repo::signup_requests::clinic_name(&mut tx, &crypto::token_hash(token.trim()), services.now())
        .await?
        .ok_or(ServiceError::NotFound)
}

/// Creates the clinic of a confirmed sign-up and signs its owner in. The
/// link works once, even when used twice at the same moment.
pub async fn confirm_sign_up(services: &Services, token: &str, client: &ClientInfo) -> Result<auth::SignedIn, ServiceError> {
    let attempt = super::attempts::begin(services, super::attempts::Action::ResetConfirm, None, client)
        .await
        .map_err(|refused| refused.into_error("token"))?;
    let now = services.now();
    let mut tx = services.db.write().await?;
    let Some(request) = repo::signup_requests::consume(&mut tx, &crypto::token_hash(token.trim()), now).await? else {
        drop(tx);
        attempt.failed(services).await?;
        return Err(ServiceError::field("token", SIGNUP_GONE));
    };
    tx.commit().await?;
    attempt.succeeded(services).await?;
    let stored = |what: &str| ServiceError::Internal(format!("stored sign-up request has a bad {what}"));
    let clinic_name = ClinicName::parse(&request.clinic_name).map_err(|_| stored("clinic name"))?;
    let time_zone = TimeZoneName::parse(&request.time_zone).map_err(|_| stored("time zone"))?;
    let name = PersonName::parse(&request.owner_name).map_err(|_| stored("name"))?;
    let email = EmailAddress::parse(&request.email).map_err(|_| stored("email"))?;
    let owner = Owner { clinic_name: &clinic_name, time_zone: &time_zone, name: &name, email: &email };
    // The address may have gained an account since (an invitation): it then
    // says so at the link, to the person who holds the mailbox.
    let (_, token) = create_clinic_hashed(services, &owner, &request.password_hash, Some(client)).await.map_err(|e| match e {
        ServiceError::Invalid(_) => ServiceError::field("token", "This address already has an account. Sign in instead."),
        other => other,
    })?;
    let token = token.ok_or_else(|| ServiceError::Internal("no session created".into()))?;
    Ok(auth::SignedIn { token, stage: Stage::Full })
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
    /// The link. The page shows it to the admin only when it could not be
    /// emailed (no SMTP configured, or the send failed), so that staff
    /// without working email can still be given it in person; a link that
    /// was emailed stays between the server and the invited mailbox.
    pub link: String,
    pub emailed: bool,
}

pub async fn invite(services: &Services, ctx: &AuthContext, form: &InviteForm) -> Result<InviteSent, ServiceError> {
    require_manager(ctx)?;
    let invite = form.parse()?;
    let token = crypto::random_token();
    let now = services.now();
    let ttl = chrono::Duration::from_std(services.auth.invite_ttl).unwrap_or(chrono::Duration::days(7));
    let mut tx = services.db.write_in(&ctx.scope).await?;
    if let Some(user) = repo::users::find_by_email(&mut tx, &invite.email).await? {
        if repo::memberships::is_member(&mut tx, &ctx.scope, UserId::from_uuid(user.id)).await? {
            return Err(ServiceError::field("email", "This person is already a member of this clinic."));
        }
    }
    let invite_id = repo::invites::insert(
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
    let entry = Entry::ok("staff.invite", "invite", invite_id).detail(format!("{} as {}", invite.email, invite.role.as_str()));
    audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), entry, now).await?;
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
}

const INVITE_GONE: &str =
    "This invitation link has expired or was already used. Ask your clinic for a new one.";

const SIGN_IN_TO_ACCEPT: &str =
    "This email cannot take a new account here. If you already use Ambula, sign in first, then open this invitation again to join.";

/// What the invite page shows before the person accepts. It says nothing
/// about whether the invited address already has an account: the inviter
/// holds the link too.
pub async fn invite_details(services: &Services, token: &str) -> Result<InviteDetails, ServiceError> {
    let invite = open_invite(services, token).await?;
    Ok(InviteDetails { clinic_name: invite.clinic_name, email: invite.email, role: invite.role })
}

async fn open_invite(services: &Services, token: &str) -> Result<repo::invites::InviteRow, ServiceError> {
    let hash = crypto::token_hash(token.trim());
    let mut tx = services.db.read().await?;
    tx.with_invite_token(&hash).await?;
    let invite = repo::invites::find_by_token_hash(&mut tx, &hash)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if invite.accepted || services.now() >= invite.expires_at {
        return Err(ServiceError::field("token", INVITE_GONE));
    }
    Ok(invite)
}

/// Accepts an invitation with a new account: name and password chosen here.
/// An address that already has an account joins only through
/// [`accept_invite_signed_in`], after a full sign-in (the sign-in gates,
/// lock-out and MFA): the link never checks or sets an account's password.
pub async fn accept_invite(
    services: &Services,
    form: &AcceptInviteForm,
    client: &ClientInfo,
) -> Result<auth::SignedIn, ServiceError> {
    let details = invite_details(services, form.token.trim()).await.map_err(|e| match e {
        ServiceError::NotFound => ServiceError::field("token", INVITE_GONE),
        other => other,
    })?;
    let email = EmailAddress::parse(&details.email).map_err(|_| ServiceError::NotFound)?;
    let accepted = form.parse()?;
    let hash = crypto::hash_password(accepted.password.expose().to_owned()).await?;
    let now = services.now();
    let mut tx = services.db.write().await?;
    let (scope, invite) = take_invite(&mut tx, form.token.trim(), now).await?;
    if repo::users::find_by_email(&mut tx, &email).await?.is_some() {
        return Err(ServiceError::field("password", SIGN_IN_TO_ACCEPT));
    }
    let user_id = repo::users::insert(&mut tx, &email, &accepted.name, &hash, now)
        .await
        .map_err(|e| match e {
            // Taken by a concurrent sign-up since the check above.
            ServiceError::Invalid(_) => ServiceError::field("password", SIGN_IN_TO_ACCEPT),
            other => other,
        })?;
    join(&mut tx, &scope, &invite, user_id, email.as_str(), client, now).await?;
    let stage = auth::next_stage(&mut tx, user_id.as_uuid(), invite.clinic_id, false).await?;
    let token = auth::start_session(services, &mut tx, user_id, invite.clinic_id, stage, client).await?;
    tx.commit().await?;
    Ok(auth::SignedIn { token, stage })
}

/// Accepts an invitation as the signed-in person (a full session: password
/// and MFA already proven), when the invitation is for their address. The
/// session moves to the new clinic.
pub async fn accept_invite_signed_in(services: &Services, ctx: &AuthContext, token: &str, session_token: &str) -> Result<auth::SignedIn, ServiceError> {
    let details = invite_details(services, token).await?;
    let email = EmailAddress::parse(&details.email).map_err(|_| ServiceError::NotFound)?;
    if email != ctx.email {
        return Err(ServiceError::field(
            "token",
            format!("This invitation is for {}. Sign out, then open the link again to join with that address.", details.email),
        ));
    }
    let now = services.now();
    let mut tx = services.db.write().await?;
    let (scope, invite) = take_invite(&mut tx, token, now).await?;
    if repo::memberships::is_member(&mut tx, &scope, ctx.user_id).await? {
        return Err(ServiceError::field("token", "You are already a member of this clinic."));
    }
    join(&mut tx, &scope, &invite, ctx.user_id, email.as_str(), &ctx.client, now).await?;
    let stage = auth::next_stage(&mut tx, ctx.user_id.as_uuid(), invite.clinic_id, true).await?;
    repo::sessions::delete(&mut tx, &crypto::token_hash(session_token)).await?;
    let token = auth::start_session(services, &mut tx, ctx.user_id, invite.clinic_id, stage, &ctx.client).await?;
    repo::security_events::record(&mut tx, Some(ctx.user_id.as_uuid()), Some(invite.clinic_id.as_uuid()), "invitation_accepted", &ctx.client, Some(&details.clinic_name), now).await?;
    tx.commit().await?;
    Ok(auth::SignedIn { token, stage })
}

/// Marks the invitation used (once, whoever races) inside `tx`.
async fn take_invite(tx: &mut crate::db::Tx, token: &str, now: DbTime) -> Result<(ClinicScope, repo::invites::InviteRow), ServiceError> {
    let token_hash = crypto::token_hash(token);
    tx.with_invite_token(&token_hash).await?;
    let invite = repo::invites::find_by_token_hash(tx, &token_hash)
        .await?
        .ok_or_else(|| ServiceError::field("token", INVITE_GONE))?;
    let scope = ClinicScope::new(invite.clinic_id);
    tx.enter(&scope).await?;
    if !repo::invites::mark_accepted(tx, &scope, invite.id, now).await? || now >= invite.expires_at {
        return Err(ServiceError::field("token", INVITE_GONE));
    }
    Ok((scope, invite))
}

async fn join(
    tx: &mut crate::db::Tx,
    scope: &ClinicScope,
    invite: &repo::invites::InviteRow,
    user_id: UserId,
    email: &str,
    client: &ClientInfo,
    now: DbTime,
) -> Result<(), ServiceError> {
    let membership = repo::memberships::insert(tx, scope, user_id, invite.role, now).await?;
    let actor = Actor { user_id: Some(user_id.as_uuid()), name: email.to_owned(), ip: client.ip.clone() };
    let entry = Entry::ok("staff.add", "membership", membership).detail(format!("accepted invitation as {}", invite.role.as_str()));
    audit::record(tx, scope, &actor, entry, now).await
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
    /// Empty when the clinic has none.
    pub tax_number: String,
}

pub async fn clinic_profile(services: &Services, ctx: &AuthContext) -> Result<ClinicProfileView, ServiceError> {
    let mut tx = services.db.read_in(&ctx.scope).await?;
    let row = repo::clinics::get(&mut tx, &ctx.scope).await?;
    Ok(ClinicProfileView {
        id: ClinicId::from_uuid(row.id),
        name: row.name,
        time_zone: row.time_zone,
        phone: row.phone.unwrap_or_default(),
        email: row.email.unwrap_or_default(),
        address: row.address.unwrap_or_default(),
        currency: row.currency,
        tax_number: row.tax_number.unwrap_or_default(),
    })
}

pub async fn update_clinic_profile(
    services: &Services,
    ctx: &AuthContext,
    form: &ClinicProfileForm,
) -> Result<ClinicProfileView, ServiceError> {
    require_manager(ctx)?;
    let profile = form.parse()?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    repo::clinics::update_profile(&mut tx, &ctx.scope, &profile, now).await?;
    audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), Entry::ok("clinic.profile_update", "clinic", ctx.scope.clinic_id()), now).await?;
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
    let mut tx = services.db.read_in(&ctx.scope).await?;
    let staff = repo::memberships::list_staff(&mut tx, &ctx.scope).await?;
    let pending = if ctx.role.manages_clinic() {
        repo::invites::list_pending(&mut tx, &ctx.scope, services.now())
            .await?
            .into_iter()
            .map(|p| PendingInviteView { email: p.email, role: p.role, expires_at: p.expires_at.0 })
            .collect()
    } else {
        Vec::new()
    };
    Ok((staff, pending))
}

/// The clinics the signed-in user can switch to.
pub async fn clinics_of(services: &Services, ctx: &AuthContext) -> Result<Vec<(uuid::Uuid, String, Role)>, ServiceError> {
    let mut tx = services.db.read().await?;
    tx.as_user(ctx.user_id.as_uuid()).await?;
    repo::memberships::clinics_of_user(&mut tx, ctx.user_id.as_uuid()).await
}

pub async fn my_security_events(services: &Services, ctx: &AuthContext) -> Result<Vec<repo::security_events::EventRow>, ServiceError> {
    let mut tx = services.db.read().await?;
    // Their own events in every clinic (security_events' own_events policy).
    tx.as_user(ctx.user_id.as_uuid()).await?;
    repo::security_events::for_user(&mut tx, ctx.user_id.as_uuid(), 100).await
}

/// The clinic's security events (managers only; the refusal is audited).
pub async fn clinic_security_events(services: &Services, ctx: &AuthContext) -> Result<Vec<repo::security_events::EventRow>, ServiceError> {
    if !ctx.can(ambula_domain::Permission::ViewAudit) {
        audit::record_denial(services, ctx, "security_events.read", "clinic", &ctx.scope.clinic_id().to_string(), None).await?;
        return Err(ServiceError::Forbidden);
    }
    let mut tx = services.db.read_in(&ctx.scope).await?;
    repo::security_events::for_clinic(&mut tx, &ctx.scope, 200).await
}

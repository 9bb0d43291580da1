//! Sign-in (password, then MFA), sessions, sign-out, password change and
//! reset.

use super::{
    attempts::{self, Action},
    ClientInfo,
};
use crate::{
    crypto, envelope::{Field, KeyOwner},
    db::Tx,
    error::ServiceError,
    mail::Email,
    repo::{self, sessions::{NewSession, SessionRow, Stage}},
    scope::{AuthContext, ClinicScope},
    time::DbTime,
    totp, Services,
};
use ambula_domain::{
    accounts::LoginForm,
    security::{ChangePasswordForm, MfaCodeForm, ResetPasswordForm, ResetRequestForm},
    ClinicId, EmailAddress, UserId,
};
use chrono::Duration;
use uuid::Uuid;

/// A new session: the token goes into the cookie; the stage says whether
/// the person is signed in or must still complete MFA.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub token: String,
    pub stage: Stage,
}

const WRONG_CREDENTIALS: &str = "The email or password is not right. Check both and try again.";

fn duration(d: std::time::Duration) -> Duration {
    Duration::from_std(d).unwrap_or(Duration::hours(12))
}

/// Creates a session inside `tx`. A fresh random token every time: sign-in
/// and every privilege change issue a new one, so a planted or stolen
/// pre-MFA token is worthless afterwards (session fixation).
pub(crate) async fn start_session(
    services: &Services,
    tx: &mut Tx,
    user_id: UserId,
    clinic_id: ClinicId,
    stage: Stage,
    client: &ClientInfo,
) -> Result<String, ServiceError> {
    let token = crypto::random_token();
    let now = services.now();
    let lifetime = match stage {
        Stage::Full => services.auth.absolute_timeout,
        Stage::Mfa | Stage::Enrol => services.auth.mfa_step_ttl,
    };
    let user_agent = client.user_agent();
    repo::sessions::insert(
        tx,
        NewSession {
            token_hash: &crypto::token_hash(&token),
            user_id,
            clinic_id,
            stage,
            now,
            expires_at: DbTime::from(now.0 + duration(lifetime)),
            ip: client.ip(),
            user_agent: user_agent.as_deref(),
        },
    )
    .await?;
    Ok(token)
}

/// Checks an account's password through the attempt gates (network and
/// account, reserved before the hash runs): the one path for sign-in,
/// accepting an invitation, changing the password and removing MFA. An
/// unknown address costs the same hash and gets the same answer.
pub(crate) async fn check_password(
    services: &Services,
    email: &EmailAddress,
    password: &str,
    client: &ClientInfo,
    field: &str,
) -> Result<repo::users::UserRow, ServiceError> {
    let attempt = attempts::begin(services, Action::Password, Some(email.as_str()), client)
        .await
        .map_err(|refused| refused.into_error(field))?;
    let mut tx = services.db.read().await?;
    let user = repo::users::find_by_email(&mut tx, email).await?;
    drop(tx);
    let ok = crypto::verify_password(password.to_owned(), user.as_ref().map(|u| u.password_hash.clone())).await?;
    match user {
        Some(user) if ok => {
            attempt.succeeded(services).await?;
            Ok(user)
        }
        user => {
            let locked = attempt.failed(services).await?;
            if let Some(user) = &user {
                let now = services.now();
                let mut tx = services.db.write().await?;
                repo::security_events::record(&mut tx, Some(user.id), None, "sign_in_failed", client, None, now).await?;
                if locked {
                    repo::security_events::record(&mut tx, Some(user.id), None, "locked_out", client, None, now).await?;
                }
                tx.commit().await?;
            }
            if locked {
                tracing::warn!("sign-in locked after repeated failures");
            }
            Err(ServiceError::field(field, if field == "password" { WRONG_CREDENTIALS } else { "That is not your current password." }))
        }
    }
}

/// What a session for `user` in `clinic` may do next: prove MFA (unless just
/// done), set MFA up (the clinic requires it, or its administrator asked
/// for a new set-up for this clinic since the current one), or work.
pub(crate) async fn next_stage(tx: &mut Tx, user: Uuid, clinic: ClinicId, mfa_passed: bool) -> Result<Stage, ServiceError> {
    let credentials = repo::users::credentials(tx, user).await?;
    if credentials.mfa_enabled() && !mfa_passed {
        return Ok(Stage::Mfa);
    }
    let settings = repo::clinics::security_settings(tx, clinic.as_uuid()).await?;
    let reenrol = repo::memberships::mfa_reenrol_after(tx, clinic, user).await?;
    let stale = match (reenrol, credentials.mfa_enabled_at) {
        (Some(after), Some(enrolled)) => enrolled < after,
        (Some(_), None) => true,
        (None, _) => false,
    };
    Ok(if stale || (settings.require_mfa && !credentials.mfa_enabled()) { Stage::Enrol } else { Stage::Full })
}

pub async fn login(
    services: &Services,
    form: &LoginForm,
    client: &ClientInfo,
    previous_token: Option<&str>,
) -> Result<SignedIn, ServiceError> {
    let login = form.parse()?;
    let user = check_password(services, &login.email, &login.password, client, "password").await?;
    let now = services.now();

    // Parameters changed since this hash was made: store a new one now that
    // we have the password (OWASP: rehash on login).
    let rehash = if crypto::needs_rehash(&user.password_hash) {
        Some(crypto::hash_password(login.password.clone()).await?)
    } else {
        None
    };

    let mut tx = services.db.write().await?;
    if let Some(hash) = &rehash {
        repo::users::set_password_hash(&mut tx, user.id, hash, now, false).await?;
    }
    if let Some(previous) = previous_token {
        repo::sessions::delete(&mut tx, &crypto::token_hash(previous)).await?;
    }
    tx.as_user(user.id).await?;
    let user_id = UserId::from_uuid(user.id);
    let Some(clinic_id) = repo::memberships::first_active_clinic(&mut tx, user_id).await? else {
        return Err(ServiceError::field(
            "email",
            "Your access has been switched off. Ask your clinic's administrator.",
        ));
    };
    let stage = next_stage(&mut tx, user.id, clinic_id, false).await?;
    let token = start_session(services, &mut tx, user_id, clinic_id, stage, client).await?;
    let kind = if stage == Stage::Full { "sign_in" } else { "password_accepted" };
    repo::security_events::record(&mut tx, Some(user.id), Some(clinic_id.as_uuid()), kind, client, None, now).await?;
    tx.commit().await?;
    Ok(SignedIn { token, stage })
}

pub async fn logout(services: &Services, token: &str) -> Result<(), ServiceError> {
    let mut tx = services.db.write().await?;
    repo::sessions::delete(&mut tx, &crypto::token_hash(token)).await?;
    tx.commit().await?;
    Ok(())
}

/// A session that exists and has not expired (idle, absolute, or an
/// unfinished MFA step that took too long). Expired ones are deleted.
async fn live_session(services: &Services, token: &str) -> Result<(String, SessionRow), ServiceError> {
    if token.is_empty() || token.len() > 128 {
        return Err(ServiceError::Unauthenticated);
    }
    let hash = crypto::token_hash(token);
    let mut tx = services.db.read().await?;
    let row = repo::sessions::find(&mut tx, &hash).await?;
    drop(tx);
    let Some(row) = row else {
        return Err(ServiceError::Unauthenticated);
    };
    let now = services.now();
    // The clinic's setting, under the server-wide ceiling.
    let idle = Duration::minutes(i64::from(row.idle_timeout_minutes.clamp(2, 60))).min(duration(services.auth.idle_timeout));
    if now >= row.expires_at || now.0 >= row.last_seen_at.0 + idle {
        let mut tx = services.db.write().await?;
        repo::sessions::delete(&mut tx, &hash).await?;
        tx.commit().await?;
        return Err(ServiceError::Unauthenticated);
    }
    Ok((hash, row))
}

/// Resolves a session token to who is asking. Only fully signed-in
/// sessions count; a password-only session (MFA pending) is refused here.
pub async fn authenticate(services: &Services, token: &str) -> Result<AuthContext, ServiceError> {
    authenticate_as(services, token, Activity::User).await
}

/// Whether a request is the user doing something (it keeps the session
/// from idling out) or the page listening in the background (the live
/// calendar stream and its automatic reconnects), which must not: an open
/// calendar on an unattended screen still signs out on time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activity {
    User,
    Background,
}

pub async fn authenticate_as(services: &Services, token: &str, activity: Activity) -> Result<AuthContext, ServiceError> {
    let (hash, row) = live_session(services, token).await?;
    if row.stage != Stage::Full {
        return Err(ServiceError::Unauthenticated);
    }
    let scope = ClinicScope::new(ClinicId::from_uuid(row.clinic_id));
    let mut tx = services.db.read_in(&scope).await?;
    let membership = repo::memberships::find_for_user(&mut tx, &scope, row.user_id).await?;
    drop(tx);
    let Some((membership_id, role, true)) = membership else {
        let mut tx = services.db.write().await?;
        repo::sessions::delete(&mut tx, &hash).await?;
        tx.commit().await?;
        return Err(ServiceError::Unauthenticated);
    };
    // Record activity at most once a minute: enough for the idle timeout,
    // and it spares a write on every request.
    let now = services.now();
    if activity == Activity::User && now.0 - row.last_seen_at.0 > Duration::seconds(60) {
        let mut tx = services.db.write().await?;
        repo::sessions::touch(&mut tx, &hash, now).await?;
        tx.commit().await?;
    }
    Ok(AuthContext {
        user_id: UserId::from_uuid(row.user_id),
        user_name: row.user_name,
        email: EmailAddress::parse(&row.email)
            .map_err(|_| ServiceError::Internal("stored email does not parse".into()))?,
        membership_id,
        role,
        clinic_name: row.clinic_name,
        scope,
        session: row.handle,
        // What actually applies: the clinic's setting under the server's ceiling.
        idle_timeout_minutes: (row.idle_timeout_minutes.clamp(2, 60) as u32)
            .min((services.auth.idle_timeout.as_secs() / 60).max(1) as u32),
        mfa_enabled: row.mfa_enabled,
        client: ClientInfo::default(),
    })
}

/// "Stay signed in": records activity now.
pub async fn keep_alive(services: &Services, token: &str) -> Result<(), ServiceError> {
    let (hash, row) = live_session(services, token).await?;
    if row.stage != Stage::Full {
        return Err(ServiceError::Unauthenticated);
    }
    let mut tx = services.db.write().await?;
    repo::sessions::touch(&mut tx, &hash, services.now()).await?;
    tx.commit().await?;
    Ok(())
}

/// A session that has passed the password but not yet MFA.
#[derive(Debug, Clone)]
pub struct PendingSession {
    pub user_id: Uuid,
    pub email: String,
    pub clinic_id: Uuid,
    pub clinic_name: String,
    pub stage: Stage,
}

pub async fn pending(services: &Services, token: &str) -> Result<PendingSession, ServiceError> {
    let (_, row) = live_session(services, token).await?;
    Ok(PendingSession {
        user_id: row.user_id,
        email: row.email,
        clinic_id: row.clinic_id,
        clinic_name: row.clinic_name,
        stage: row.stage,
    })
}

/// Replaces the session behind `old_token` with a new, fully signed-in one
/// (MFA completed, clinic switched, password changed): a new token at every
/// privilege change.
pub(crate) async fn reissue(
    services: &Services,
    tx: &mut Tx,
    old_token: &str,
    user_id: Uuid,
    clinic_id: Uuid,
    client: &ClientInfo,
) -> Result<String, ServiceError> {
    repo::sessions::delete(tx, &crypto::token_hash(old_token)).await?;
    start_session(services, tx, UserId::from_uuid(user_id), ClinicId::from_uuid(clinic_id), Stage::Full, client).await
}

pub(crate) fn recovery_code_hash(user_id: Uuid, code: &str) -> String {
    let normalized: String = code.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_uppercase();
    crypto::token_hash(&format!("ambula-recovery|{user_id}|{normalized}"))
}

/// Reads and decrypts the user's TOTP secret.
pub(crate) async fn mfa_secret(services: &Services, tx: &mut Tx, user_id: Uuid, column: &'static str, sealed: &[u8]) -> Result<Vec<u8>, ServiceError> {
    let row = user_id.to_string();
    let plain = services
        .keys
        .decrypt(tx, KeyOwner::System, Field { table: "users", column, row: &row }, sealed)
        .await?;
    Ok(plain.to_vec())
}

/// Checks a TOTP code (never the same step twice) or an unused recovery
/// code for `user`, through the attempt gates. `Ok(kind)` names what was
/// accepted (for the security events); a wrong code is a field error at
/// `code` and counts towards the lock-out.
pub(crate) async fn check_second_factor(
    services: &Services,
    user: Uuid,
    clinic: Option<Uuid>,
    form: &MfaCodeForm,
    client: &ClientInfo,
) -> Result<&'static str, ServiceError> {
    let code = form.parse()?;
    let attempt = attempts::begin(services, Action::MfaCode, Some(&user.to_string()), client)
        .await
        .map_err(|refused| refused.into_error("code"))?;
    let now = services.now();
    let mut tx = services.db.write().await?;
    // The acting user, for security_events' row-level security.
    tx.as_user(user).await?;
    let credentials = repo::users::credentials(&mut tx, user).await?;
    let Some(sealed) = credentials.mfa_secret.as_deref() else {
        return Err(ServiceError::Unauthenticated);
    };
    let accepted = if code.is_recovery_code() {
        repo::users::use_recovery_code(&mut tx, user, &recovery_code_hash(user, code.as_str()), now)
            .await?
            .then_some("sign_in_recovery_code")
    } else {
        let secret = mfa_secret(services, &mut tx, user, "mfa_secret", sealed).await?;
        match totp::verify(&secret, code.as_str(), now.0.timestamp(), credentials.mfa_last_step) {
            Some(step) => repo::users::advance_mfa_step(&mut tx, user, step).await?.then_some("sign_in"),
            None => None,
        }
    };
    let Some(kind) = accepted else {
        repo::security_events::record(&mut tx, Some(user), clinic, "mfa_failed", client, None, now).await?;
        tx.commit().await?;
        if attempt.failed(services).await? {
            let mut tx = services.db.write().await?;
            repo::security_events::record(&mut tx, Some(user), clinic, "locked_out", client, Some("MFA"), now).await?;
            tx.commit().await?;
        }
        return Err(ServiceError::field("code", "That code is not right, or it has been used already. Enter the current code from your app."));
    };
    tx.commit().await?;
    attempt.succeeded(services).await?;
    Ok(kind)
}

/// Second step of sign-in: a TOTP code or a recovery code. Success issues a
/// new session: fully signed in, or at the set-up step when this clinic's
/// administrator asked for a new authenticator.
pub async fn verify_mfa(services: &Services, token: &str, form: &MfaCodeForm, client: &ClientInfo) -> Result<SignedIn, ServiceError> {
    let session = pending(services, token).await?;
    if session.stage != Stage::Mfa {
        return Err(ServiceError::Unauthenticated);
    }
    let kind = check_second_factor(services, session.user_id, Some(session.clinic_id), form, client).await?;
    let now = services.now();
    let mut tx = services.db.write().await?;
    let clinic = ClinicId::from_uuid(session.clinic_id);
    let stage = next_stage(&mut tx, session.user_id, clinic, true).await?;
    repo::sessions::delete(&mut tx, &crypto::token_hash(token)).await?;
    let token = start_session(services, &mut tx, UserId::from_uuid(session.user_id), clinic, stage, client).await?;
    repo::security_events::record(&mut tx, Some(session.user_id), Some(session.clinic_id), kind, client, None, now).await?;
    tx.commit().await?;
    Ok(SignedIn { token, stage })
}

/// Ends every session of the signed-in user, this one included.
pub async fn sign_out_everywhere(services: &Services, ctx: &AuthContext) -> Result<u64, ServiceError> {
    let mut tx = services.db.write().await?;
    tx.as_user(ctx.user_id.as_uuid()).await?;
    let n = repo::sessions::delete_for_user(&mut tx, ctx.user_id.as_uuid(), None).await?;
    repo::security_events::record(&mut tx, Some(ctx.user_id.as_uuid()), Some(ctx.scope.clinic_id().as_uuid()), "signed_out_everywhere", &ctx.client, None, services.now()).await?;
    tx.commit().await?;
    Ok(n)
}

pub async fn sessions(services: &Services, ctx: &AuthContext) -> Result<Vec<repo::sessions::ActiveSession>, ServiceError> {
    let mut tx = services.db.read().await?;
    repo::sessions::list_for_user(&mut tx, ctx.user_id.as_uuid(), services.now()).await
}

/// Ends one of the user's own sessions; someone else's handle is 404.
pub async fn revoke_session(services: &Services, ctx: &AuthContext, handle: Uuid) -> Result<(), ServiceError> {
    let mut tx = services.db.write().await?;
    tx.as_user(ctx.user_id.as_uuid()).await?;
    if !repo::sessions::delete_by_handle(&mut tx, ctx.user_id.as_uuid(), handle).await? {
        return Err(ServiceError::NotFound);
    }
    repo::security_events::record(&mut tx, Some(ctx.user_id.as_uuid()), Some(ctx.scope.clinic_id().as_uuid()), "session_revoked", &ctx.client, None, services.now()).await?;
    tx.commit().await?;
    Ok(())
}

/// Moves the session to another clinic the user belongs to (a new token).
pub async fn switch_clinic(services: &Services, ctx: &AuthContext, token: &str, clinic: Uuid) -> Result<SignedIn, ServiceError> {
    let scope = ClinicScope::new(ClinicId::from_uuid(clinic));
    let mut tx = services.db.write_in(&scope).await?;
    match repo::memberships::find_for_user(&mut tx, &scope, ctx.user_id.as_uuid()).await? {
        Some((_, _, true)) => {}
        _ => return Err(ServiceError::NotFound),
    }
    let stage = next_stage(&mut tx, ctx.user_id.as_uuid(), ClinicId::from_uuid(clinic), true).await?;
    repo::sessions::delete(&mut tx, &crypto::token_hash(token)).await?;
    let token = start_session(services, &mut tx, ctx.user_id, ClinicId::from_uuid(clinic), stage, &ctx.client).await?;
    repo::security_events::record(&mut tx, Some(ctx.user_id.as_uuid()), Some(clinic), "clinic_switched", &ctx.client, Some(&ctx.clinic_name), services.now()).await?;
    tx.commit().await?;
    Ok(SignedIn { token, stage })
}

/// Changes the password (the current one is required), ends every other
/// session and reissues this one.
pub async fn change_password(services: &Services, ctx: &AuthContext, form: &ChangePasswordForm) -> Result<SignedIn, ServiceError> {
    let change = form.parse()?;
    check_password(services, &ctx.email, &change.current, &ctx.client, "current_password").await?;
    let hash = crypto::hash_password(change.new.expose().to_owned()).await?;
    let now = services.now();
    let user = ctx.user_id.as_uuid();
    let mut tx = services.db.write().await?;
    tx.as_user(user).await?;
    repo::users::set_password_hash(&mut tx, user, &hash, now, true).await?;
    repo::sessions::delete_for_user(&mut tx, user, None).await?;
    let token = start_session(services, &mut tx, ctx.user_id, ctx.scope.clinic_id(), Stage::Full, &ctx.client).await?;
    repo::security_events::record(&mut tx, Some(user), Some(ctx.scope.clinic_id().as_uuid()), "password_changed", &ctx.client, None, now).await?;
    tx.commit().await?;
    Ok(SignedIn { token, stage: Stage::Full })
}

/// Emails a single-use reset link if the address has an account. The answer
/// is the same either way, in the same time: the mail goes out after the
/// request has been answered, and an address asked for too often (three
/// times an hour, known or not) gets no more mail but the same answer.
pub async fn request_password_reset(services: &Services, form: &ResetRequestForm, client: &ClientInfo) -> Result<(), ServiceError> {
    let email = form.parse()?;
    let attempt = match attempts::begin(services, Action::ResetRequest, Some(email.as_str()), client).await {
        Ok(attempt) => attempt,
        Err(attempts::Refused::Account(_)) => return Ok(()),
        Err(refused) => return Err(refused.into_error("email")),
    };
    attempt.succeeded(services).await?;
    let now = services.now();
    let token = crypto::random_token();
    // One write transaction whether or not the address is known.
    let mut tx = services.db.write().await?;
    let user = repo::users::find_by_email(&mut tx, &email).await?;
    if let Some(user) = &user {
        repo::password_resets::insert(&mut tx, &crypto::token_hash(&token), user.id, now, DbTime::from(now.0 + duration(services.auth.reset_ttl))).await?;
        repo::security_events::record(&mut tx, Some(user.id), None, "password_reset_requested", client, None, now).await?;
    }
    tx.commit().await?;
    let Some(user) = user else {
        return Ok(());
    };
    let link = format!("{}/reset-password/{token}", services.public_url.trim_end_matches('/'));
    let minutes = services.auth.reset_ttl.as_secs() / 60;
    let mail = Email {
        to: user.email.clone(),
        subject: "Reset your Ambula password".into(),
        body: format!(
            "Someone (hopefully you) asked to reset the password of your Ambula account.\n\n\
             Choose a new password here. The link works once and expires in {minutes} minutes:\n{link}\n\n\
             If you did not ask for this, ignore this email: your password stays as it is.\n"
        ),
    };
    let mailer = services.mailer.clone();
    tokio::spawn(async move {
        if let Err(error) = mailer.send(mail).await {
            tracing::warn!(%error, "password reset email could not be sent");
        }
    });
    Ok(())
}

/// Sets a new password from a reset link: the link is used up (once, even
/// when two requests use it at the same moment), every session ends, and
/// the sign-in lock on the address is lifted.
pub async fn reset_password(services: &Services, form: &ResetPasswordForm, client: &ClientInfo) -> Result<(), ServiceError> {
    let reset = form.parse()?;
    let attempt = attempts::begin(services, Action::ResetConfirm, None, client)
        .await
        .map_err(|refused| refused.into_error("password"))?;
    let hash = crypto::hash_password(reset.password.expose().to_owned()).await?;
    let now = services.now();
    let mut tx = services.db.write().await?;
    let Some(user_id) = repo::password_resets::consume(&mut tx, &crypto::token_hash(&reset.token), now).await? else {
        drop(tx);
        attempt.failed(services).await?;
        return Err(ServiceError::field("password", "This reset link has expired or was already used. Ask for a new one."));
    };
    repo::users::set_password_hash(&mut tx, user_id, &hash, now, true).await?;
    repo::sessions::delete_for_user(&mut tx, user_id, None).await?;
    let credentials = repo::users::credentials(&mut tx, user_id).await?;
    repo::login_throttle::clear(&mut tx, &attempts::account_key(Action::Password, &credentials.email)).await?;
    repo::security_events::record(&mut tx, Some(user_id), None, "password_reset", client, None, now).await?;
    tx.commit().await?;
    attempt.succeeded(services).await?;
    Ok(())
}

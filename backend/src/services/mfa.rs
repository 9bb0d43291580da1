//! Setting up and removing TOTP multi-factor authentication.

use super::{auth, ClientInfo};
use crate::{
    envelope::{Field, KeyOwner},
    error::ServiceError,
    repo::{self, sessions::Stage},
    scope::AuthContext,
    totp, Services,
};
use ambula_domain::security::MfaCodeForm;
use rand::Rng;
use uuid::Uuid;

/// What the set-up page shows: the QR code and the same secret to type.
#[derive(Debug, Clone)]
pub struct Enrolment {
    pub manual_key: String,
    pub otpauth_url: String,
    pub qr_svg: String,
}

/// Whose MFA is being set up: a signed-in user, or a session that must set
/// MFA up before it may do anything else (the clinic requires it).
#[derive(Debug, Clone)]
pub struct Enrollee {
    pub user_id: Uuid,
    pub email: String,
    pub clinic_id: Uuid,
    pub stage: Stage,
    pub client: ClientInfo,
}

impl Enrollee {
    pub fn from_context(ctx: &AuthContext) -> Self {
        Self {
            user_id: ctx.user_id.as_uuid(),
            email: ctx.email.to_string(),
            clinic_id: ctx.scope.clinic_id().as_uuid(),
            stage: Stage::Full,
            client: ctx.client.clone(),
        }
    }

    /// A session at the `enrol` stage (password accepted, MFA required).
    pub async fn from_pending(services: &Services, token: &str, client: &ClientInfo) -> Result<Self, ServiceError> {
        let session = auth::pending(services, token).await?;
        if session.stage != Stage::Enrol {
            return Err(ServiceError::Unauthenticated);
        }
        Ok(Self {
            user_id: session.user_id,
            email: session.email,
            clinic_id: session.clinic_id,
            stage: session.stage,
            client: client.clone(),
        })
    }
}

/// Starts (or restarts) set-up with a new secret, stored encrypted until a
/// code from the app confirms it.
pub async fn start(services: &Services, who: &Enrollee) -> Result<Enrolment, ServiceError> {
    let secret = totp::generate_secret();
    let now = services.now();
    let row = who.user_id.to_string();
    let mut tx = services.db.write().await?;
    let credentials = repo::users::credentials(&mut tx, who.user_id).await?;
    // A session at the set-up step with MFA already on is a re-enrolment a
    // clinic asked for: it has proven the current factor at sign-in.
    if credentials.mfa_enabled() && who.stage != Stage::Enrol {
        return Err(ServiceError::field("code", "Two-step sign-in is already on for your account."));
    }
    let sealed = services
        .keys
        .encrypt(&mut tx, KeyOwner::System, Field { table: "users", column: "mfa_pending_secret", row: &row }, &secret, now)
        .await?;
    repo::users::set_mfa_pending(&mut tx, who.user_id, Some(&sealed)).await?;
    tx.commit().await?;
    let otpauth_url = totp::otpauth_url(&secret, "Ambula", &who.email);
    Ok(Enrolment {
        manual_key: totp::base32(&secret),
        qr_svg: totp::qr_svg(&otpauth_url).map_err(ServiceError::Internal)?,
        otpauth_url,
    })
}

fn recovery_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789"; // no 0/O, 1/I
    let mut rng = rand::rngs::OsRng;
    let chars: String = (0..16).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect();
    format!("{}-{}-{}-{}", &chars[0..4], &chars[4..8], &chars[8..12], &chars[12..16])
}

/// Confirms set-up with a code from the app. Returns the ten recovery codes
/// (shown once; only their hashes are kept) and, for an `enrol` session,
/// the token of the new, fully signed-in session that replaces it.
pub async fn confirm(
    services: &Services,
    who: &Enrollee,
    form: &MfaCodeForm,
    token: &str,
) -> Result<(Vec<String>, Option<String>), ServiceError> {
    let code = form.parse()?;
    let now = services.now();
    let row = who.user_id.to_string();
    let mut tx = services.db.write().await?;
    // The acting user, for security_events' row-level security.
    tx.as_user(who.user_id).await?;
    let credentials = repo::users::credentials(&mut tx, who.user_id).await?;
    let Some(pending) = credentials.mfa_pending_secret.as_deref() else {
        return Err(ServiceError::field("code", "Start again: scan the code, then enter the number your app shows."));
    };
    let secret = auth::mfa_secret(services, &mut tx, who.user_id, "mfa_pending_secret", pending).await?;
    let Some(step) = totp::verify(&secret, code.as_str(), now.0.timestamp(), None) else {
        return Err(ServiceError::field("code", "That code is not right. Check your phone's clock and enter the current code."));
    };
    let sealed = services
        .keys
        .encrypt(&mut tx, KeyOwner::System, Field { table: "users", column: "mfa_secret", row: &row }, &secret, now)
        .await?;
    repo::users::enable_mfa(&mut tx, who.user_id, &sealed, step, now).await?;
    let codes: Vec<String> = (0..10).map(|_| recovery_code()).collect();
    let hashes: Vec<String> = codes.iter().map(|c| auth::recovery_code_hash(who.user_id, c)).collect();
    repo::users::replace_recovery_codes(&mut tx, who.user_id, &hashes).await?;
    repo::security_events::record(&mut tx, Some(who.user_id), Some(who.clinic_id), "mfa_enabled", &who.client, None, now).await?;
    let new_token = if who.stage == Stage::Enrol {
        Some(auth::reissue(services, &mut tx, token, who.user_id, who.clinic_id, &who.client).await?)
    } else {
        None
    };
    tx.commit().await?;
    Ok((codes, new_token))
}

/// Turns MFA off for oneself: the password and a current code (or a
/// recovery code) are both required, each through its attempt gate, so a
/// stolen session or password alone cannot remove the second factor. Not
/// allowed where the clinic requires MFA.
pub async fn disable(services: &Services, ctx: &AuthContext, password: &str, code: &MfaCodeForm) -> Result<(), ServiceError> {
    let user = ctx.user_id.as_uuid();
    let mut tx = services.db.read().await?;
    let settings = repo::clinics::security_settings(&mut tx, ctx.scope.clinic_id().as_uuid()).await?;
    drop(tx);
    if settings.require_mfa {
        return Err(ServiceError::field("password", "Your clinic requires two-step sign-in, so it cannot be turned off."));
    }
    auth::check_password(services, &ctx.email, password, &ctx.client, "current_password")
        .await
        .map_err(|e| match e {
            ServiceError::Invalid(errors) if errors.get("current_password").is_some() => {
                ServiceError::field("password", errors.get("current_password").unwrap_or_default().to_owned())
            }
            other => other,
        })?;
    auth::check_second_factor(services, user, Some(ctx.scope.clinic_id().as_uuid()), code, &ctx.client).await?;
    let now = services.now();
    let mut tx = services.db.write().await?;
    tx.as_user(user).await?;
    repo::users::clear_mfa(&mut tx, user, now).await?;
    repo::security_events::record(&mut tx, Some(user), Some(ctx.scope.clinic_id().as_uuid()), "mfa_disabled", &ctx.client, None, now).await?;
    tx.commit().await?;
    Ok(())
}

/// How many recovery codes are left (the account page warns when few).
pub async fn recovery_codes_left(services: &Services, ctx: &AuthContext) -> Result<i64, ServiceError> {
    let mut tx = services.db.read().await?;
    repo::users::unused_recovery_codes(&mut tx, ctx.user_id.as_uuid()).await
}

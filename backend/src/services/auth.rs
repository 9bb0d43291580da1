//! Sign-in, sign-out and session resolution.

use super::ClientInfo;
use crate::{
    crypto,
    db::Tx,
    error::ServiceError,
    repo::{self, sessions::NewSession},
    scope::{AuthContext, ClinicScope},
    time::DbTime,
    Services,
};
use ambula_domain::{accounts::LoginForm, ClinicId, EmailAddress, MembershipId, UserId};
use chrono::Duration;

/// A signed-in session: the token goes into the cookie, the context to the page.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub token: String,
    pub context: AuthContext,
}

const WRONG_CREDENTIALS: &str = "The email or password is not right. Check both and try again.";

fn duration(d: std::time::Duration) -> Duration {
    Duration::from_std(d).unwrap_or(Duration::hours(12))
}

/// Creates a session for `user_id` in `clinic_id` inside `tx`. A fresh random
/// token every time: sign-in never reuses a token the browser already had,
/// so a planted session id is worthless (session fixation).
pub(crate) async fn start_session(
    services: &Services,
    tx: &mut Tx,
    user_id: UserId,
    clinic_id: ClinicId,
    client: &ClientInfo,
) -> Result<String, ServiceError> {
    let token = crypto::random_token();
    let now = DbTime::now();
    let expires_at = DbTime::from(now.0 + duration(services.auth.absolute_timeout));
    let user_agent = client.user_agent();
    repo::sessions::insert(
        tx,
        NewSession {
            token_hash: &crypto::token_hash(&token),
            user_id,
            clinic_id,
            now,
            expires_at,
            ip: client.ip(),
            user_agent: user_agent.as_deref(),
        },
    )
    .await?;
    Ok(token)
}

pub async fn login(
    services: &Services,
    form: &LoginForm,
    client: &ClientInfo,
    previous_token: Option<&str>,
) -> Result<SignedIn, ServiceError> {
    let login = form.parse()?;
    let mut tx = services.db.read().await?;
    let user = repo::users::find_by_email(&mut tx, &login.email).await?;
    drop(tx);
    // Always run the hash, also for unknown emails: same answer, same time.
    let ok = crypto::verify_password(login.password, user.as_ref().map(|u| u.password_hash.clone()))
        .await
        .map_err(ServiceError::Internal)?;
    let user = match user {
        Some(user) if ok => user,
        _ => return Err(ServiceError::field("password", WRONG_CREDENTIALS)),
    };
    let user_id = UserId::from_uuid(user.id);

    let mut tx = services.db.write().await?;
    if let Some(previous) = previous_token {
        repo::sessions::delete(&mut tx, &crypto::token_hash(previous)).await?;
    }
    let Some(clinic_id) = repo::memberships::first_active_clinic(&mut tx, user_id).await? else {
        return Err(ServiceError::field(
            "email",
            "Your access has been switched off. Ask your clinic's administrator.",
        ));
    };
    let token = start_session(services, &mut tx, user_id, clinic_id, client).await?;
    tx.commit().await?;
    let context = authenticate(services, &token).await?;
    Ok(SignedIn { token, context })
}

pub async fn logout(services: &Services, token: &str) -> Result<(), ServiceError> {
    let mut tx = services.db.write().await?;
    repo::sessions::delete(&mut tx, &crypto::token_hash(token)).await?;
    tx.commit().await?;
    Ok(())
}

/// Resolves a session token to who is asking. Expired (idle or absolute)
/// and deactivated sessions are deleted and refused.
pub async fn authenticate(services: &Services, token: &str) -> Result<AuthContext, ServiceError> {
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
    let now = DbTime::now();
    let idle_deadline = row.last_seen_at.0 + duration(services.auth.idle_timeout);
    if now >= row.expires_at || now.0 >= idle_deadline || !row.active {
        let mut tx = services.db.write().await?;
        repo::sessions::delete(&mut tx, &hash).await?;
        tx.commit().await?;
        return Err(ServiceError::Unauthenticated);
    }
    // Record activity at most once a minute: enough for a 15-minute idle
    // timeout, and it spares a write on every request.
    if now.0 - row.last_seen_at.0 > Duration::seconds(60) {
        let mut tx = services.db.write().await?;
        repo::sessions::touch(&mut tx, &hash, now).await?;
        tx.commit().await?;
    }
    Ok(AuthContext {
        user_id: UserId::from_uuid(row.user_id),
        user_name: row.user_name,
        email: EmailAddress::parse(&row.email)
            .map_err(|_| ServiceError::Internal("stored email does not parse".into()))?,
        membership_id: MembershipId::from_uuid(row.membership_id),
        role: repo::role_from_db(&row.role)?,
        clinic_name: row.clinic_name,
        scope: ClinicScope::new(ClinicId::from_uuid(row.clinic_id)),
    })
}

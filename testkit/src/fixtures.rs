//! People and clinics for tests, made through the real services: a clinic
//! signed up, a member invited and joined, MFA turned on, a TOTP code now.

use ambula_backend::{
    services::{accounts, auth, mfa, ClientInfo},
    AuthContext, Services,
};
use ambula_domain::{
    accounts::{AcceptInviteForm, InviteForm, LoginForm, SignupForm},
    security::MfaCodeForm,
};

/// The password every fixture account has.
pub const PASSWORD: &str = "tide pools at dawn";

/// A browser at `ip`.
pub fn client_at(ip: &str) -> ClientInfo {
    ClientInfo { ip: Some(ip.to_owned()), user_agent: Some("ambula-test".to_owned()) }
}

fn signed_in(mut context: AuthContext, client: &ClientInfo) -> AuthContext {
    context.client = client.clone();
    context
}

/// The sign-up form for a clinic named `clinic` whose owner, Ana Costa, is
/// `email` with [`PASSWORD`].
pub fn signup_form(clinic: &str, email: &str) -> SignupForm {
    SignupForm {
        clinic_name: clinic.into(),
        time_zone: "Europe/Lisbon".into(),
        owner_name: "Ana Costa".into(),
        email: email.into(),
        password: PASSWORD.into(),
        confirm_adult: Some("on".into()),
    }
}

/// Signs up a clinic named `clinic` whose owner is `email`; returns the
/// owner's session token and context.
pub async fn sign_up(services: &Services, clinic: &str, email: &str, client: &ClientInfo) -> (String, AuthContext) {
    let form = signup_form(clinic, email);
    let signed = accounts::sign_up(services, &form, client).await.expect("sign-up");
    let context = auth::authenticate(services, &signed.token).await.expect("owner session");
    (signed.token, signed_in(context, client))
}

/// The token of a new invitation of `email` as `role` into `inviter`'s clinic.
pub async fn invite_token(services: &Services, inviter: &AuthContext, email: &str, role: &str) -> String {
    let sent = accounts::invite(services, inviter, &InviteForm { email: email.into(), role: role.into() })
        .await
        .expect("invite");
    sent.link.rsplit('/').next().expect("token in the link").to_owned()
}

/// Invites a new person and has them accept with a new account.
pub async fn join_new(services: &Services, inviter: &AuthContext, email: &str, role: &str, client: &ClientInfo) -> (String, AuthContext) {
    let token = invite_token(services, inviter, email, role).await;
    let form = AcceptInviteForm { token, name: "Joao Silva".into(), password: PASSWORD.into(), ..Default::default() };
    let signed = accounts::accept_invite(services, &form, client).await.expect("accept");
    let context = auth::authenticate(services, &signed.token).await.expect("member session");
    (signed.token, signed_in(context, client))
}

pub async fn login(services: &Services, email: &str, password: &str, client: &ClientInfo) -> Result<auth::SignedIn, ambula_backend::ServiceError> {
    auth::login(services, &LoginForm { email: email.into(), password: password.into() }, client, None).await
}

pub fn base32_decode(text: &str) -> Vec<u8> {
    let (mut buffer, mut bits, mut out) = (0u32, 0u32, Vec::new());
    for c in text.chars() {
        let v = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".find(c).expect("base32") as u32;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            out.push((buffer >> (bits - 8)) as u8);
            bits -= 8;
        }
    }
    out
}

/// The TOTP code for `secret` at the services' clock, `steps_ahead` steps on.
pub fn code_now(services: &Services, secret: &[u8], steps_ahead: i64) -> MfaCodeForm {
    let step = ambula_backend::totp::step_of(services.clock.now().0.timestamp()) + steps_ahead;
    MfaCodeForm { code: ambula_backend::totp::code_at(secret, step) }
}

/// Turns MFA on for a signed-in person; returns the secret and the
/// recovery codes.
pub async fn enable_mfa(services: &Services, who: &AuthContext, token: &str) -> (Vec<u8>, Vec<String>) {
    let enrollee = mfa::Enrollee::from_context(who);
    let enrolment = mfa::start(services, &enrollee).await.expect("start MFA");
    let secret = base32_decode(&enrolment.manual_key);
    let (codes, _) = mfa::confirm(services, &enrollee, &code_now(services, &secret, 0), token).await.expect("confirm MFA");
    (secret, codes)
}

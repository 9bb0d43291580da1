//! The attacks of the security issue, each written to fail on the code
//! before its fix: the cross-clinic account takeover through an invitation,
//! limits that must hold under concurrency (sign-in, MFA codes, networks,
//! sign-up, reset links), and removing MFA with a password alone. Every case
//! on SQLite and PostgreSQL.

use ambula_backend::{
    config::SignupMode,
    on_tx,
    repo::sessions::Stage,
    services::{accounts, auth, mfa, staff},
    Db, ServiceError, Services,
};
use ambula_domain::{
    accounts::{AcceptInviteForm, SignupForm},
    security::{MemberForm, MfaCodeForm, ResetPasswordForm, ResetRequestForm},
};
use ambula_testkit::{
    fixtures::{client_at, code_now, enable_mfa, invite_token, login, sign_up, signup_form, PASSWORD},
    Kind, SmtpSink, TestDb,
};
use std::time::Duration;

ambula_testkit::on_both_backends!(
    invitation_takeover_chain_is_closed,
    concurrent_wrong_passwords_from_many_networks_lock_the_account,
    concurrent_wrong_codes_lock_the_second_step,
    failures_count_per_network_and_successes_not_at_all,
    sign_up_flood_is_bounded_per_network_and_in_all,
    one_reset_link_used_twice_at_once_works_once,
    reset_requests_answer_alike_and_are_bounded,
    removing_mfa_needs_the_second_factor,
    verified_sign_up_answers_alike_and_its_link_creates_one_clinic,
);

struct Ctx {
    services: Services,
    smtp: SmtpSink,
    owner_db: Db,
}

async fn run<F, Fut>(kind: Kind, case: F)
where
    F: FnOnce(Ctx) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let db = TestDb::new(kind).await;
    let smtp = SmtpSink::start().await;
    let services = db.services(smtp.mailer());
    let owner_db = db.owner().await;
    case(Ctx { services, smtp, owner_db: owner_db.clone() }).await;
    owner_db.close().await;
    db.cleanup().await;
}

async fn owner_count(ctx: &Ctx, sql: &str) -> i64 {
    let mut tx = ctx.owner_db.read().await.unwrap();
    let (n,): (i64,) = on_tx!(&mut tx, c => sqlx::query_as(sql).fetch_one(c).await).unwrap();
    n
}

fn field(result: Result<impl std::fmt::Debug, ServiceError>, name: &str) -> String {
    match result {
        Err(ServiceError::Invalid(errors)) => errors.get(name).unwrap_or_else(|| panic!("no error at {name}: {errors:?}")).to_owned(),
        other => panic!("expected a field error at {name}, got {other:?}"),
    }
}

/// The chain of the issue, link by link: an attacker signs up a clinic,
/// invites the victim's address, guesses the victim's password through the
/// invitation, gets the victim into their clinic, resets the victim's MFA
/// as that clinic's admin and signs in as the victim. Every link now holds.
async fn invitation_takeover_chain_is_closed(ctx: Ctx) {
    let s = &ctx.services;
    let victim_net = client_at("198.51.100.20");
    let attacker_net = client_at("203.0.113.66");
    let (victim_token, victim) = sign_up(s, "Victim Clinic", "vera@victim.example", &victim_net).await;
    let (secret, _) = enable_mfa(s, &victim, &victim_token).await;
    let (_, mallory) = sign_up(s, "Mallory Clinic", "mallory@evil.example", &attacker_net).await;

    // 1. The invitation says nothing about whether the address has an account.
    let token = invite_token(s, &mallory, "vera@victim.example", "nurse").await;
    let nobody = invite_token(s, &mallory, "nobody@victim.example", "nurse").await;
    let (known, unknown) = (accounts::invite_details(s, &token).await.unwrap(), accounts::invite_details(s, &nobody).await.unwrap());
    assert_eq!((&known.clinic_name, known.role), (&unknown.clinic_name, unknown.role));

    // 2. The invitation is no password oracle: wrong guesses and the right
    // password get the same answer, and nothing joins.
    let guess = |password: &str| AcceptInviteForm { token: token.clone(), name: "Vera".into(), password: password.into(), ..Default::default() };
    let wrong = field(accounts::accept_invite(s, &guess("not her password at all"), &attacker_net).await, "password");
    let right = field(accounts::accept_invite(s, &guess(PASSWORD), &attacker_net).await, "password");
    assert_eq!(wrong, right, "the right password is not told apart");
    let memberships = "SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = 'vera@victim.example'";
    assert_eq!(owner_count(&ctx, memberships).await, 1, "still only in her own clinic");
    // Guessing through the sign-in path is the sign-in path's lock-out.
    for n in 0..12 {
        let _ = login(s, "vera@victim.example", &format!("guess number {n} is wrong"), &attacker_net).await;
    }
    assert!(field(login(s, "vera@victim.example", PASSWORD, &attacker_net).await, "password").contains("Too many attempts"));
    s.clock.advance(Duration::from_secs(16 * 60));

    // 3. Even once she has joined Mallory's clinic herself (after a full
    // sign-in with her second factor), Mallory's admin action changes only
    // her access to Mallory's clinic.
    let pending = login(s, "vera@victim.example", PASSWORD, &victim_net).await.unwrap();
    assert_eq!(pending.stage, Stage::Mfa);
    s.clock.advance(Duration::from_secs(30));
    let at_home = auth::verify_mfa(s, &pending.token, &code_now(s, &secret, 0), &victim_net).await.unwrap();
    // A second browser of hers accepts the invitation.
    let pending = login(s, "vera@victim.example", PASSWORD, &victim_net).await.unwrap();
    s.clock.advance(Duration::from_secs(30));
    let signed = auth::verify_mfa(s, &pending.token, &code_now(s, &secret, 0), &victim_net).await.unwrap();
    let mut vera = auth::authenticate(s, &signed.token).await.unwrap();
    vera.client = victim_net.clone();
    let joined = accounts::accept_invite_signed_in(s, &vera, &token, &signed.token).await.unwrap();
    let in_mallory = auth::authenticate(s, &joined.token).await.unwrap();
    assert_eq!(in_mallory.scope, mallory.scope);
    staff::reset_mfa(s, &mallory, &MemberForm { membership_id: in_mallory.membership_id.to_string() }).await.unwrap();
    assert_eq!(owner_count(&ctx, "SELECT count(*) FROM users WHERE email = 'vera@victim.example' AND mfa_secret IS NOT NULL").await, 1, "her MFA stays on");
    let home = auth::authenticate(s, &at_home.token).await.expect("her session in her own clinic goes on");
    assert_eq!(home.scope, victim.scope);
    assert!(auth::authenticate(s, &joined.token).await.is_err(), "her session in Mallory's clinic ended");

    // 4. With her password (say it leaked), signing in still stops at her
    // own second factor, and switching to her clinic needs it passed.
    let as_vera = login(s, "vera@victim.example", PASSWORD, &attacker_net).await.unwrap();
    assert_eq!(as_vera.stage, Stage::Mfa, "the attacker meets her authenticator, not a fresh set-up");
    assert!(auth::authenticate(s, &as_vera.token).await.is_err());
    assert!(mfa::Enrollee::from_pending(s, &as_vera.token, &attacker_net).await.is_err(), "no enrolment from the MFA step");
}

/// 150 wrong passwords at once, each from its own address, then the right
/// one: the account is locked, and only `lock_after` of them were ever
/// checked (reserved before the hash, counted in one statement each).
async fn concurrent_wrong_passwords_from_many_networks_lock_the_account(ctx: Ctx) {
    let s = &ctx.services;
    sign_up(s, "A", "a@a.example", &client_at("192.0.2.1")).await;
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..150u32 {
        let s = s.clone();
        tasks.spawn(async move {
            let ip = format!("10.{}.{}.{}", n / 65536, (n / 256) % 256, n % 256);
            login(&s, "a@a.example", "not the password!", &client_at(&ip)).await
        });
    }
    while let Some(result) = tasks.join_next().await {
        assert!(result.unwrap().is_err());
    }
    let locked = field(login(s, "a@a.example", PASSWORD, &client_at("192.0.2.99")).await, "password");
    assert!(locked.contains("Too many attempts"), "{locked}");
    let checked = owner_count(&ctx, "SELECT count(*) FROM security_events WHERE kind = 'sign_in_failed'").await;
    assert!(checked <= s.auth.lock_after as i64, "{checked} passwords were checked; at most {} may be", s.auth.lock_after);
    assert_eq!(owner_count(&ctx, "SELECT count(*) FROM security_events WHERE kind = 'locked_out'").await, 1);
}

/// The same for the second step: 150 wrong codes at once on one pending
/// sign-in, then the right code: refused while locked.
async fn concurrent_wrong_codes_lock_the_second_step(ctx: Ctx) {
    let s = &ctx.services;
    let (token, owner) = sign_up(s, "A", "a@a.example", &client_at("192.0.2.1")).await;
    let (secret, recovery) = enable_mfa(s, &owner, &token).await;
    let pending = login(s, "a@a.example", PASSWORD, &client_at("192.0.2.1")).await.unwrap();
    s.clock.advance(Duration::from_secs(30));
    let right = code_now(s, &secret, 0);
    let wrong = if right.code == "000000" { "111111" } else { "000000" };
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..150u32 {
        let (s, token) = (s.clone(), pending.token.clone());
        tasks.spawn(async move {
            let ip = format!("10.1.{}.{}", n / 256, n % 256);
            auth::verify_mfa(&s, &token, &MfaCodeForm { code: wrong.into() }, &client_at(&ip)).await
        });
    }
    while let Some(result) = tasks.join_next().await {
        assert!(result.unwrap().is_err());
    }
    let refused = field(auth::verify_mfa(s, &pending.token, &right, &client_at("192.0.2.1")).await, "code");
    assert!(refused.contains("Too many attempts"), "{refused}");
    let recovery = MfaCodeForm { code: recovery[0].clone() };
    assert!(field(auth::verify_mfa(s, &pending.token, &recovery, &client_at("192.0.2.1")).await, "code").contains("Too many attempts"), "recovery codes share the lock");
    let checked = owner_count(&ctx, "SELECT count(*) FROM security_events WHERE kind = 'mfa_failed'").await;
    assert!(checked <= s.auth.lock_after as i64, "{checked} codes were checked");
}

/// Failures are counted per network (an IPv4 address, an IPv6 /64), across
/// accounts; successes are not counted at all, so a clinic behind one
/// address signs in freely.
async fn failures_count_per_network_and_successes_not_at_all(ctx: Ctx) {
    let mut services = ctx.services.clone();
    services.auth.failures_per_network_per_hour = 20;
    let s = &services;
    sign_up(s, "A", "a@a.example", &client_at("192.0.2.1")).await;
    // 40 successful sign-ins from one address: no limit (the old per-IP
    // limit refused the 31st within a minute).
    for _ in 0..40 {
        login(s, "a@a.example", PASSWORD, &client_at("198.51.100.1")).await.expect("successes are never limited");
    }
    // A spray over an IPv6 /64, a different address each time.
    for n in 0..20 {
        let result = login(s, &format!("user{n}@spray.example"), "wrong password!", &client_at(&format!("2001:db8:1:2::{n:x}"))).await;
        assert!(matches!(result, Err(ServiceError::Invalid(_))), "attempt {n}: {result:?}");
    }
    let same_64 = login(s, "a@a.example", PASSWORD, &client_at("2001:db8:1:2:ffff::9")).await;
    match same_64 {
        Err(ServiceError::RateLimited { retry_after_secs }) => assert!((1..=3600).contains(&retry_after_secs)),
        other => panic!("the /64 is throttled: {other:?}"),
    }
    assert!(login(s, "a@a.example", PASSWORD, &client_at("2001:db8:1:3::1")).await.is_ok(), "the next /64 is not");
    assert!(login(s, "a@a.example", PASSWORD, &client_at("198.51.100.1")).await.is_ok());
    s.clock.advance(Duration::from_secs(61 * 60));
    assert!(login(s, "a@a.example", PASSWORD, &client_at("2001:db8:1:2::1")).await.is_ok(), "the window passes");
}

fn signup(n: usize) -> SignupForm {
    SignupForm {
        clinic_name: format!("Flood {n}"),
        time_zone: "Europe/Lisbon".into(),
        owner_name: "Flo Od".into(),
        email: format!("flood{n}@flood.example"),
        password: PASSWORD.into(),
        confirm_adult: Some("on".into()),
    }
}

/// 30 sign-ups at once from one network get 10 clinics; then the whole
/// server's hourly bound stops sign-ups from everywhere.
async fn sign_up_flood_is_bounded_per_network_and_in_all(ctx: Ctx) {
    let mut services = ctx.services.clone();
    services.auth.signups_per_hour = 12;
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..30 {
        let s = services.clone();
        tasks.spawn(async move { accounts::sign_up(&s, &signup(n), &client_at("203.0.113.9")).await });
    }
    let (mut ok, mut limited) = (0, 0);
    while let Some(result) = tasks.join_next().await {
        match result.unwrap() {
            Ok(_) => ok += 1,
            Err(ServiceError::RateLimited { .. }) => limited += 1,
            Err(other) => panic!("{other:?}"),
        }
    }
    assert_eq!((ok, limited), (services.auth.signups_per_network_per_hour as i32, 30 - services.auth.signups_per_network_per_hour as i32));
    let mut elsewhere = 0;
    for n in 30..40 {
        if accounts::sign_up(&services, &signup(n), &client_at(&format!("198.51.100.{n}"))).await.is_ok() {
            elsewhere += 1;
        }
    }
    assert_eq!(elsewhere, 2, "12 in all this hour");
    assert_eq!(owner_count(&ctx, "SELECT count(*) FROM clinics").await, 12);
}

async fn reset_token(ctx: &Ctx, n: usize) -> String {
    let mail = ctx.smtp.wait_for(n).await;
    link_token(&mail.get(n - 1).expect("the reset mail").data, "/reset-password/").expect("link in the email")
}

/// The token of the link under `path` in a mail's text, if it has one.
fn link_token(data: &str, path: &str) -> Option<String> {
    let body = data.replace("=\r\n", "");
    let start = body.find(path)? + path.len();
    Some(body[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect())
}

/// Two requests using one reset link at the same moment: exactly one sets
/// the password.
async fn one_reset_link_used_twice_at_once_works_once(ctx: Ctx) {
    let s = &ctx.services;
    sign_up(s, "A", "a@a.example", &client_at("192.0.2.1")).await;
    auth::request_password_reset(s, &ResetRequestForm { email: "a@a.example".into() }, &client_at("192.0.2.1")).await.unwrap();
    let token = reset_token(&ctx, 1).await;
    let first = ResetPasswordForm { token: token.clone(), password: "first new password here".into() };
    let second = ResetPasswordForm { token: token.clone(), password: "second new password here".into() };
    let (c1, c2) = (client_at("192.0.2.2"), client_at("192.0.2.3"));
    let (one, two) = tokio::join!(auth::reset_password(s, &first, &c1), auth::reset_password(s, &second, &c2));
    assert_eq!([one.is_ok(), two.is_ok()].iter().filter(|ok| **ok).count(), 1, "{one:?} {two:?}");
    let winner = if one.is_ok() { "first new password here" } else { "second new password here" };
    let loser = if one.is_ok() { "second new password here" } else { "first new password here" };
    assert!(login(s, "a@a.example", winner, &client_at("192.0.2.1")).await.is_ok());
    assert!(login(s, "a@a.example", loser, &client_at("192.0.2.1")).await.is_err());
}

/// Known and unknown addresses get the same answer; one address gets at
/// most three reset mails an hour, and still the same answer after that.
async fn reset_requests_answer_alike_and_are_bounded(ctx: Ctx) {
    let s = &ctx.services;
    sign_up(s, "A", "a@a.example", &client_at("192.0.2.1")).await;
    for _ in 0..5 {
        let known = auth::request_password_reset(s, &ResetRequestForm { email: "a@a.example".into() }, &client_at("192.0.2.1")).await;
        let unknown = auth::request_password_reset(s, &ResetRequestForm { email: "ghost@a.example".into() }, &client_at("192.0.2.1")).await;
        assert!(known.is_ok() && unknown.is_ok(), "{known:?} {unknown:?}");
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mail = ctx.smtp.wait_for(3).await;
    assert_eq!(mail.len(), 3, "three mails an hour for one address");
    assert!(mail.iter().all(|m| m.to == vec!["<a@a.example>".to_owned()]), "none for the unknown address");
}

/// Removing MFA needs the password and a current code: a stolen session or
/// password alone cannot take the second factor away.
async fn removing_mfa_needs_the_second_factor(ctx: Ctx) {
    let s = &ctx.services;
    let (token, owner) = sign_up(s, "A", "a@a.example", &client_at("192.0.2.1")).await;
    let (secret, _) = enable_mfa(s, &owner, &token).await;
    let without = mfa::disable(s, &owner, PASSWORD, &MfaCodeForm { code: "123456".into() }).await;
    assert!(field(without, "code").contains("not right"));
    let wrong_password = mfa::disable(s, &owner, "not my password!", &code_now(s, &secret, 1)).await;
    assert!(field(wrong_password, "password").contains("not your current password"));
    s.clock.advance(Duration::from_secs(30));
    mfa::disable(s, &owner, PASSWORD, &code_now(s, &secret, 0)).await.unwrap();
    assert_eq!(owner_count(&ctx, "SELECT count(*) FROM users WHERE mfa_secret IS NOT NULL").await, 0);
}

/// Sign-up with a verified address: a known and an unknown address get the
/// same answer and nothing is created; the known one is told by mail that
/// it has an account (no link), the unknown one gets a link that creates
/// the clinic once, even when used twice at the same moment. Past three
/// requests an hour an address gets no more mail, and the same answer.
async fn verified_sign_up_answers_alike_and_its_link_creates_one_clinic(mut ctx: Ctx) {
    ctx.services.auth.signup = SignupMode::VerifyEmail;
    let s = &ctx.services;
    sign_up(s, "A", "a@a.example", &client_at("192.0.2.1")).await;
    let net = client_at("192.0.2.2");
    for (clinic, email) in [("Copy", "a@a.example"), ("Harbour", "new@b.example")] {
        match accounts::sign_up_form(s, &signup_form(clinic, email), &net).await {
            Ok(accounts::SignUpAnswer::CheckEmail(to)) => assert_eq!(to.as_str(), email),
            Ok(accounts::SignUpAnswer::SignedIn(_)) => panic!("{email}: signed in without a confirmed address"),
            Err(error) => panic!("{email}: {error:?}"),
        }
    }
    assert_eq!(owner_count(&ctx, "SELECT count(*) FROM clinics").await, 1, "nothing created before the link is used");
    let mail = ctx.smtp.wait_for(2).await;
    let to = |who: &str| mail.iter().find(|m| m.to == vec![format!("<{who}>")]).unwrap_or_else(|| panic!("no mail to {who}")).data.clone();
    let known = to("a@a.example");
    assert!(known.contains("already has an account") && link_token(&known, "/sign-up/confirm/").is_none(), "{known}");
    let token = link_token(&to("new@b.example"), "/sign-up/confirm/").expect("a confirmation link");
    assert_eq!(accounts::sign_up_details(s, &token).await.unwrap(), "Harbour");
    assert!(matches!(accounts::sign_up_details(s, "not-a-token").await, Err(ServiceError::NotFound)));

    let (here, there) = (client_at("192.0.2.3"), client_at("192.0.2.4"));
    let (first, second) = tokio::join!(accounts::confirm_sign_up(s, &token, &here), accounts::confirm_sign_up(s, &token, &there));
    let signed = match (first, second) {
        (Ok(signed), Err(other)) | (Err(other), Ok(signed)) => {
            assert!(field(Err::<(), _>(other), "token").contains("already used"));
            signed
        }
        (first, second) => panic!("exactly one use creates the clinic: {:?} / {:?}", first.map(|_| ()), second.map(|_| ())),
    };
    let owner = auth::authenticate(s, &signed.token).await.unwrap();
    assert_eq!((owner.clinic_name.as_str(), owner.email.as_str()), ("Harbour", "new@b.example"));
    assert_eq!(owner_count(&ctx, "SELECT count(*) FROM clinics").await, 2);
    assert_eq!(owner_count(&ctx, "SELECT count(*) FROM users WHERE email = 'new@b.example'").await, 1);
    login(s, "new@b.example", PASSWORD, &client_at("192.0.2.3")).await.expect("the password chosen on the form");

    for _ in 0..4 {
        let again = accounts::sign_up_form(s, &signup_form("Copy", "a@a.example"), &net).await;
        assert!(matches!(again, Ok(accounts::SignUpAnswer::CheckEmail(_))), "the same answer, mail or not");
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let to_known = ctx.smtp.messages().iter().filter(|m| m.to == vec!["<a@a.example>".to_owned()]).count();
    assert_eq!(to_known, 3, "three mails an hour for one address");
}

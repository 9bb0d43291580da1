//! Backend integration tests. Every case runs twice, on a fresh SQLite file
//! and on a fresh PostgreSQL database, through the same code path.

use ambula_backend::{
    crypto, on_tx,
    services::{accounts, auth, dashboard, demo, ClientInfo},
    AuthSettings, Mailer, ServiceError, Services,
};
use ambula_domain::{
    accounts::{AcceptInviteForm, ClinicProfileForm, InviteForm, LoginForm, SignupForm},
    Role,
};
use ambula_testkit::{Kind, SmtpSink, TestDb};
use std::time::Duration;

ambula_testkit::on_both_backends!(
    numbered_placeholders_bind_by_number,
    timestamps_compare_correctly_in_sql,
    sign_up_creates_clinic_owner_and_session,
    duplicate_sign_up_email_is_a_field_error,
    bad_sign_up_reports_every_field_and_writes_nothing,
    sign_in_rotates_the_session_and_refuses_wrong_passwords,
    sign_out_ends_the_session,
    idle_and_absolute_timeouts_end_sessions,
    invitation_is_emailed_accepted_once_and_signs_in,
    expired_invitation_is_refused,
    invitation_cannot_take_over_an_existing_account,
    only_managers_invite_and_edit_the_profile,
    clinic_profile_updates_and_bad_input_changes_nothing,
    clinics_see_only_their_own_data,
    composite_foreign_keys_refuse_cross_clinic_references,
    demo_seed_is_complete_and_idempotent,
);

struct Ctx {
    services: Services,
    smtp: SmtpSink,
    /// The owner's connection: sees every clinic's rows (RLS does not apply
    /// to the PostgreSQL superuser), for counting and for going behind the
    /// application's back.
    owner: ambula_backend::Db,
}

async fn run<F, Fut>(kind: Kind, case: F)
where
    F: FnOnce(Ctx) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let db = TestDb::new(kind).await;
    let smtp = SmtpSink::start().await;
    let services = db.services(smtp.mailer());
    let owner = db.owner().await;
    case(Ctx { services, smtp, owner: owner.clone() }).await;
    owner.close().await;
    db.cleanup().await;
}

/// Who a new session belongs to, as the server would resolve it.
async fn auth_ctx(ctx: &Ctx, signed: &auth::SignedIn) -> ambula_backend::AuthContext {
    auth::authenticate(&ctx.services, &signed.token).await.expect("session resolves")
}

fn client() -> ClientInfo {
    ClientInfo { ip: Some("127.0.0.1".into()), user_agent: Some("integration-test".into()) }
}

fn signup_form(clinic: &str, email: &str) -> SignupForm {
    SignupForm {
        clinic_name: clinic.into(),
        time_zone: "Europe/Lisbon".into(),
        owner_name: "Ana Costa".into(),
        email: email.into(),
        password: "tide pools at dawn".into(),
        confirm_adult: Some("on".into()),
    }
}

fn field_error(result: Result<impl std::fmt::Debug, ServiceError>, field: &str) -> String {
    match result {
        Err(ServiceError::Invalid(errors)) => errors
            .get(field)
            .unwrap_or_else(|| panic!("no error at {field}: {errors}"))
            .to_owned(),
        other => panic!("expected a field error at {field}, got {other:?}"),
    }
}

async fn count(ctx: &Ctx, table: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table}");
    let mut tx = ctx.owner.read().await.unwrap();
    let (n,): (i64,) = on_tx!(&mut tx, c => sqlx::query_as(&sql).fetch_one(c).await).unwrap();
    n
}

async fn numbered_placeholders_bind_by_number(ctx: Ctx) {
    // `$2` appears before `$1`: a positional binder would swap them.
    let mut tx = ctx.services.db.read().await.unwrap();
    let (a, b): (i64, String) =
        on_tx!(&mut tx, c => sqlx::query_as("SELECT CAST($2 AS BIGINT), CAST($1 AS TEXT)").bind("one").bind(2_i64).fetch_one(c).await)
            .unwrap();
    assert_eq!((a, b.as_str()), (2, "one"));
}

async fn timestamps_compare_correctly_in_sql(ctx: Ctx) {
    use ambula_backend::time::DbTime;
    use chrono::{TimeZone, Utc};
    // Whole seconds vs fractional: the case where variable-width text sorts wrong.
    let whole = DbTime::from(Utc.with_ymd_and_hms(2026, 1, 1, 10, 0, 0).unwrap());
    let later = DbTime::from(whole.0 + chrono::Duration::microseconds(500));
    let mut tx = ctx.services.db.read().await.unwrap();
    let (lt,): (bool,) = on_tx!(&mut tx, c => sqlx::query_as("SELECT $1 < $2").bind(whole).bind(later).fetch_one(c).await).unwrap();
    assert!(lt);
    let (back,): (DbTime,) = on_tx!(&mut tx, c => sqlx::query_as("SELECT $1").bind(later).fetch_one(c).await).unwrap();
    assert_eq!(back, later);
}

async fn sign_up_creates_clinic_owner_and_session(ctx: Ctx) {
    let signed = accounts::sign_up(&ctx.services, &signup_form("Harbour Physio", "Ana@Harbour.example"), &client())
        .await
        .unwrap();
    assert_eq!(auth_ctx(&ctx, &signed).await.role, Role::Owner);
    assert_eq!(auth_ctx(&ctx, &signed).await.email.as_str(), "ana@harbour.example");
    assert_eq!(auth_ctx(&ctx, &signed).await.clinic_name, "Harbour Physio");
    let again = auth::authenticate(&ctx.services, &signed.token).await.unwrap();
    assert_eq!(again.scope, auth_ctx(&ctx, &signed).await.scope);

    // The password is stored as argon2id with the production parameters, and
    // the session token only as its hash.
    let mut tx = ctx.services.db.read().await.unwrap();
    let (hash,): (String,) = on_tx!(&mut tx, c => sqlx::query_as("SELECT password_hash FROM users").fetch_one(c).await).unwrap();
    assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
    let (sid,): (String,) = on_tx!(&mut tx, c => sqlx::query_as("SELECT id FROM sessions").fetch_one(c).await).unwrap();
    assert_eq!(sid, crypto::token_hash(&signed.token));
    assert_ne!(sid, signed.token);
}

async fn duplicate_sign_up_email_is_a_field_error(ctx: Ctx) {
    accounts::sign_up(&ctx.services, &signup_form("One", "ana@harbour.example"), &client()).await.unwrap();
    let second = accounts::sign_up(&ctx.services, &signup_form("Two", "ANA@harbour.example"), &client()).await;
    assert!(field_error(second, "email").contains("already exists"));
    // The failed sign-up left no half-made clinic behind.
    assert_eq!(count(&ctx, "clinics").await, 1);
}

async fn bad_sign_up_reports_every_field_and_writes_nothing(ctx: Ctx) {
    let form = SignupForm {
        time_zone: "Mars/Base".into(),
        password: "short".into(),
        confirm_adult: None,
        ..signup_form("Harbour", "ana@harbour.example")
    };
    match accounts::sign_up(&ctx.services, &form, &client()).await {
        Err(ServiceError::Invalid(errors)) => {
            for field in ["time_zone", "password", "confirm_adult"] {
                assert!(errors.get(field).is_some(), "{field}: {errors}");
            }
        }
        other => panic!("expected field errors, got {other:?}"),
    }
    assert_eq!(count(&ctx, "clinics").await, 0);
    assert_eq!(count(&ctx, "users").await, 0);
}

async fn sign_in_rotates_the_session_and_refuses_wrong_passwords(ctx: Ctx) {
    let first = accounts::sign_up(&ctx.services, &signup_form("Harbour", "ana@harbour.example"), &client()).await.unwrap();
    let wrong = auth::login(
        &ctx.services,
        &LoginForm { email: "ana@harbour.example".into(), password: "not my password".into() },
        &client(),
        None,
    )
    .await;
    let unknown = auth::login(
        &ctx.services,
        &LoginForm { email: "nobody@harbour.example".into(), password: "not my password".into() },
        &client(),
        None,
    )
    .await;
    // Same message whether or not the account exists.
    assert_eq!(field_error(wrong, "password"), field_error(unknown, "password"));

    let second = auth::login(
        &ctx.services,
        &LoginForm { email: " ANA@harbour.example ".into(), password: "tide pools at dawn".into() },
        &client(),
        Some(&first.token),
    )
    .await
    .unwrap();
    assert_ne!(second.token, first.token);
    assert!(matches!(auth::authenticate(&ctx.services, &first.token).await, Err(ServiceError::Unauthenticated)));
    assert!(auth::authenticate(&ctx.services, &second.token).await.is_ok());
}

async fn sign_out_ends_the_session(ctx: Ctx) {
    let signed = accounts::sign_up(&ctx.services, &signup_form("Harbour", "ana@harbour.example"), &client()).await.unwrap();
    auth::logout(&ctx.services, &signed.token).await.unwrap();
    assert!(matches!(auth::authenticate(&ctx.services, &signed.token).await, Err(ServiceError::Unauthenticated)));
    assert!(matches!(auth::authenticate(&ctx.services, "forged-token").await, Err(ServiceError::Unauthenticated)));
    assert!(matches!(auth::authenticate(&ctx.services, &"x".repeat(10_000)).await, Err(ServiceError::Unauthenticated)));
}

async fn idle_and_absolute_timeouts_end_sessions(ctx: Ctx) {
    let signed = accounts::sign_up(&ctx.services, &signup_form("Harbour", "ana@harbour.example"), &client()).await.unwrap();
    // The clinic's idle timeout (15 minutes by default) on the injected clock.
    ctx.services.clock.advance(Duration::from_secs(14 * 60));
    assert!(auth::authenticate(&ctx.services, &signed.token).await.is_ok(), "14 idle minutes: still signed in");
    ctx.services.clock.advance(Duration::from_secs(15 * 60 + 1));
    assert!(matches!(auth::authenticate(&ctx.services, &signed.token).await, Err(ServiceError::Unauthenticated)));
    // The expired session was deleted, not just refused.
    assert_eq!(count(&ctx, "sessions").await, 0);

    let short = Services {
        auth: AuthSettings { absolute_timeout: Duration::ZERO, ..AuthSettings::default() },
        ..ctx.services.clone()
    };
    let login = auth::login(
        &short,
        &LoginForm { email: "ana@harbour.example".into(), password: "tide pools at dawn".into() },
        &client(),
        None,
    )
    .await
    .unwrap();
    assert!(matches!(auth::authenticate(&short, &login.token).await, Err(ServiceError::Unauthenticated)));

    // A server-wide ceiling (AMBULA_IDLE_TIMEOUT_MINUTES) below the clinic's
    // setting wins.
    let signed = auth::login(
        &ctx.services,
        &LoginForm { email: "ana@harbour.example".into(), password: "tide pools at dawn".into() },
        &client(),
        None,
    )
    .await
    .unwrap();
    let strict = Services {
        auth: AuthSettings { idle_timeout: Duration::ZERO, ..AuthSettings::default() },
        ..ctx.services.clone()
    };
    assert!(matches!(auth::authenticate(&strict, &signed.token).await, Err(ServiceError::Unauthenticated)));
}

async fn invite_link(ctx: &Ctx, owner_token: &str, email: &str, role: &str) -> String {
    let owner = auth::authenticate(&ctx.services, owner_token).await.unwrap();
    let sent = accounts::invite(&ctx.services, &owner, &InviteForm { email: email.into(), role: role.into() })
        .await
        .unwrap();
    assert!(sent.emailed);
    sent.link
}

async fn invitation_is_emailed_accepted_once_and_signs_in(ctx: Ctx) {
    let owner = accounts::sign_up(&ctx.services, &signup_form("Harbour", "ana@harbour.example"), &client()).await.unwrap();
    let link = invite_link(&ctx, &owner.token, "joao@harbour.example", "practitioner").await;

    let mail = ctx.smtp.messages();
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].to, vec!["<joao@harbour.example>".to_owned()]);
    assert!(mail[0].data.contains(&link), "the email carries the link");
    assert!(mail[0].data.contains("Harbour"));

    let token = link.rsplit('/').next().unwrap().to_owned();
    let details = accounts::invite_details(&ctx.services, &token).await.unwrap();
    assert_eq!((details.email.as_str(), details.role), ("joao@harbour.example", Role::Practitioner));

    // Bad input first: nothing is consumed.
    let weak = AcceptInviteForm { token: token.clone(), name: "João Silva".into(), password: "short".into() };
    field_error(accounts::accept_invite(&ctx.services, &weak, &client()).await, "password");

    let form = AcceptInviteForm { token: token.clone(), name: "João Silva".into(), password: "stethoscope on a hook".into() };
    let joined = accounts::accept_invite(&ctx.services, &form, &client()).await.unwrap();
    assert_eq!(auth_ctx(&ctx, &joined).await.role, Role::Practitioner);
    assert_eq!(auth_ctx(&ctx, &joined).await.scope, auth_ctx(&ctx, &owner).await.scope);

    let again = accounts::accept_invite(&ctx.services, &form, &client()).await;
    assert!(field_error(again, "token").contains("expired or was already used"));

    let (staff, pending) = accounts::staff(&ctx.services, &auth_ctx(&ctx, &owner).await).await.unwrap();
    assert_eq!(staff.len(), 2);
    assert!(pending.is_empty());
}

async fn expired_invitation_is_refused(ctx: Ctx) {
    let owner = accounts::sign_up(&ctx.services, &signup_form("Harbour", "ana@harbour.example"), &client()).await.unwrap();
    let expiring = Services {
        auth: AuthSettings { invite_ttl: Duration::ZERO, ..AuthSettings::default() },
        ..ctx.services.clone()
    };
    let sent = accounts::invite(&expiring, &auth_ctx(&ctx, &owner).await, &InviteForm { email: "joao@harbour.example".into(), role: "nurse".into() })
        .await
        .unwrap();
    let token = sent.link.rsplit('/').next().unwrap().to_owned();
    let form = AcceptInviteForm { token, name: "João".into(), password: "stethoscope on a hook".into() };
    field_error(accounts::accept_invite(&ctx.services, &form, &client()).await, "token");
    assert_eq!(count(&ctx, "users").await, 1);
}

async fn invitation_cannot_take_over_an_existing_account(ctx: Ctx) {
    let a = accounts::sign_up(&ctx.services, &signup_form("Clinic A", "ana@a.example"), &client()).await.unwrap();
    accounts::sign_up(&ctx.services, &signup_form("Clinic B", "bea@b.example"), &client()).await.unwrap();
    let link = invite_link(&ctx, &a.token, "bea@b.example", "admin").await;
    let token = link.rsplit('/').next().unwrap().to_owned();
    // The invitation page reads the same for an address with an account as
    // for one without: the inviter holds the link too.
    let new_person = invite_link(&ctx, &a.token, "nobody@b.example", "admin").await;
    let known = accounts::invite_details(&ctx.services, &token).await.unwrap();
    let unknown = accounts::invite_details(&ctx.services, new_person.rsplit('/').next().unwrap()).await.unwrap();
    assert_eq!((known.clinic_name, known.role), (unknown.clinic_name, unknown.role));

    // Someone holding the link cannot set a new password on Bea's account,
    // nor learn whether a password is hers: the link never checks one.
    let hijack = AcceptInviteForm { token: token.clone(), name: "Mallory".into(), password: "a brand new password".into() };
    let refused = field_error(accounts::accept_invite(&ctx.services, &hijack, &client()).await, "password");
    let right = AcceptInviteForm { token: token.clone(), name: "Mallory".into(), password: "tide pools at dawn".into() };
    assert_eq!(field_error(accounts::accept_invite(&ctx.services, &right, &client()).await, "password"), refused, "her real password opens nothing either");

    // Bea herself joins once signed in (the sign-in limits and MFA apply
    // there), and keeps her name; her session moves to the new clinic.
    let bea_signed_in = auth::login(&ctx.services, &LoginForm { email: "bea@b.example".into(), password: "tide pools at dawn".into() }, &client(), None).await.unwrap();
    let bea = auth_ctx(&ctx, &bea_signed_in).await;
    let joined = accounts::accept_invite_signed_in(&ctx.services, &bea, &token, &bea_signed_in.token).await.unwrap();
    assert_eq!(auth_ctx(&ctx, &joined).await.scope, auth_ctx(&ctx, &a).await.scope);
    assert_eq!(auth_ctx(&ctx, &joined).await.user_name, "Ana Costa");
    // Someone else signed in cannot use an invitation for another address.
    let other = invite_link(&ctx, &a.token, "carla@b.example", "nurse").await;
    let ana = auth_ctx(&ctx, &a).await;
    let wrong_person = accounts::accept_invite_signed_in(&ctx.services, &ana, other.rsplit('/').next().unwrap(), &a.token).await;
    assert!(field_error(wrong_person, "token").contains("carla@b.example"));
}

async fn only_managers_invite_and_edit_the_profile(ctx: Ctx) {
    let owner = accounts::sign_up(&ctx.services, &signup_form("Harbour", "ana@harbour.example"), &client()).await.unwrap();
    let link = invite_link(&ctx, &owner.token, "desk@harbour.example", "front_desk").await;
    let token = link.rsplit('/').next().unwrap().to_owned();
    let desk = accounts::accept_invite(
        &ctx.services,
        &AcceptInviteForm { token, name: "Rui".into(), password: "front desk coffee mug".into() },
        &client(),
    )
    .await
    .unwrap();
    let invite = accounts::invite(&ctx.services, &auth_ctx(&ctx, &desk).await, &InviteForm { email: "x@harbour.example".into(), role: "admin".into() }).await;
    assert!(matches!(invite, Err(ServiceError::Forbidden)), "{invite:?}");
    let profile = ClinicProfileForm { name: "Renamed".into(), time_zone: "UTC".into(), ..Default::default() };
    assert!(matches!(accounts::update_clinic_profile(&ctx.services, &auth_ctx(&ctx, &desk).await, &profile).await, Err(ServiceError::Forbidden)));
    assert_eq!(accounts::clinic_profile(&ctx.services, &auth_ctx(&ctx, &owner).await).await.unwrap().name, "Harbour");
}

async fn clinic_profile_updates_and_bad_input_changes_nothing(ctx: Ctx) {
    let owner = accounts::sign_up(&ctx.services, &signup_form("Harbour", "ana@harbour.example"), &client()).await.unwrap();
    let good = ClinicProfileForm {
        name: "Harbour Physio & Rehab".into(),
        time_zone: "America/New_York".into(),
        phone: "+1 212 555 0100".into(),
        email: "Front@Harbour.example".into(),
        address: "1 Quay Street\nLisbon".into(),
        tax_number: "".into(),
    };
    let view = accounts::update_clinic_profile(&ctx.services, &auth_ctx(&ctx, &owner).await, &good).await.unwrap();
    assert_eq!(view.name, "Harbour Physio & Rehab");
    assert_eq!(view.email, "front@harbour.example");
    assert_eq!(view.address, "1 Quay Street\nLisbon");

    let bad = ClinicProfileForm { name: "".into(), phone: "call me maybe".into(), ..good.clone() };
    match accounts::update_clinic_profile(&ctx.services, &auth_ctx(&ctx, &owner).await, &bad).await {
        Err(ServiceError::Invalid(errors)) => {
            assert!(errors.get("name").is_some() && errors.get("phone").is_some(), "{errors}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(accounts::clinic_profile(&ctx.services, &auth_ctx(&ctx, &owner).await).await.unwrap().name, "Harbour Physio & Rehab");
}

async fn clinics_see_only_their_own_data(ctx: Ctx) {
    let a = accounts::sign_up(&ctx.services, &signup_form("Clinic A", "ana@a.example"), &client()).await.unwrap();
    let b = accounts::sign_up(&ctx.services, &signup_form("Clinic B", "bea@b.example"), &client()).await.unwrap();
    invite_link(&ctx, &a.token, "staff@a.example", "nurse").await;
    let (staff_b, pending_b) = accounts::staff(&ctx.services, &auth_ctx(&ctx, &b).await).await.unwrap();
    assert_eq!(staff_b.iter().map(|s| s.email.as_str()).collect::<Vec<_>>(), vec!["bea@b.example"]);
    assert!(pending_b.is_empty(), "B sees none of A's invitations");
    assert_eq!(accounts::clinic_profile(&ctx.services, &auth_ctx(&ctx, &b).await).await.unwrap().name, "Clinic B");
    let figures = dashboard::figures(&ctx.services, &auth_ctx(&ctx, &b).await).await.unwrap();
    assert_eq!((figures.patients, figures.practitioners), (0, 0));
}

async fn composite_foreign_keys_refuse_cross_clinic_references(ctx: Ctx) {
    demo::seed_demo(&ctx.services).await.unwrap();
    let other = accounts::sign_up(&ctx.services, &signup_form("Other", "o@other.example"), &client()).await.unwrap();
    // Take a demo patient id and try to book it under the other clinic, with
    // the application checks bypassed: the database itself must refuse.
    let other_clinic = auth_ctx(&ctx, &other).await.scope.clinic_id().as_uuid();
    let mut tx = ctx.owner.write().await.unwrap();
    let (patient, practitioner, kind): (uuid::Uuid, uuid::Uuid, uuid::Uuid) = on_tx!(&mut tx, c => sqlx::query_as(
        "SELECT p.id, r.id, t.id FROM patients p JOIN practitioners r ON r.clinic_id = p.clinic_id
         JOIN appointment_types t ON t.clinic_id = p.clinic_id LIMIT 1"
    ).fetch_one(c).await).unwrap();
    let result = on_tx!(&mut tx, c => sqlx::query(
        "INSERT INTO appointments (clinic_id, id, patient_id, practitioner_id, type_id, starts_at, ends_at, blocks_until,
                                   status, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7, 'booked', $6)"
    )
    .bind(other_clinic)
    .bind(uuid::Uuid::now_v7())
    .bind(patient)
    .bind(practitioner)
    .bind(kind)
    .bind(ambula_backend::time::DbTime::now())
    .bind(ambula_backend::time::DbTime::from(chrono::Utc::now() + chrono::Duration::minutes(30)))
    .execute(c).await.map(|_| ()));
    let error = result.expect_err("cross-clinic reference must be refused");
    assert!(error.as_database_error().map(|e| e.is_foreign_key_violation()).unwrap_or(false), "{error}");
}

async fn demo_seed_is_complete_and_idempotent(ctx: Ctx) {
    let first = demo::seed_demo(&ctx.services).await.unwrap();
    assert!(first.created);
    let second = demo::seed_demo(&ctx.services).await.unwrap();
    assert!(!second.created);
    assert_eq!(count(&ctx, "clinics").await, 1);
    assert_eq!(count(&ctx, "patients").await, 24);
    assert!(count(&ctx, "appointments").await >= 60);
    assert!(count(&ctx, "invoices").await >= 4);
    // Every demo login works with the printed password.
    for (email, role) in first.logins {
        let signed = auth::login(&ctx.services, &LoginForm { email, password: first.password.into() }, &client(), None)
            .await
            .unwrap();
        assert_eq!(auth_ctx(&ctx, &signed).await.role, role);
        if role == Role::Owner {
            // Whatever the day the demo starts, "today" has appointments.
            let figures = dashboard::figures(&ctx.services, &auth_ctx(&ctx, &signed).await).await.unwrap();
            assert!(figures.appointments_today > 0, "{figures:?}");
            assert_eq!(figures.patients, 24);
            assert!(figures.outstanding_minor.is_some_and(|owed| owed > 0));
        }
    }
}

#[tokio::test]
async fn log_mailer_accepts_mail_without_smtp() {
    let mailer = Mailer::new(None, "Ambula <no-reply@ambula.example>").unwrap();
    mailer
        .send(ambula_backend::mail::Email { to: "a@b.example".into(), subject: "s".into(), body: "b".into() })
        .await
        .unwrap();
    assert!(Mailer::new(Some("http://nope"), "x@y.example").is_err());
}

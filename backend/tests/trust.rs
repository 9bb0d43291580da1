//! The trust layer against the adversarial tests of the security checklist
//! (../shared/guide/security.md §7), every case on SQLite and PostgreSQL.
//! Numbers in comments refer to that table.

use ambula_backend::{
    audit, crypto,
    envelope::{Field, KeyOwner},
    on_tx,
    services::{accounts, admin, auth, mfa, patients, staff, ClientInfo},
    AuthContext, Db, MasterKey, ServiceError, Services,
};
use ambula_domain::{
    accounts::{InviteForm, LoginForm, SignupForm, AcceptInviteForm},
    patients::{PatientForm, PatientSearchForm},
    security::{BreakGlassForm, ChangePasswordForm, MemberForm, MfaCodeForm, ResetPasswordForm, ResetRequestForm, RoleChangeForm, SecuritySettingsForm},
    Role,
};
use ambula_testkit::{Kind, SmtpSink, TestDb};
use std::time::Duration;

ambula_testkit::on_both_backends!(
    raw_queries_see_only_the_scoped_clinic,
    pooled_connections_never_carry_a_clinic,
    another_clinics_patient_is_404_unchanged_and_audited,
    cross_clinic_references_fail_in_the_database,
    audit_trail_is_append_only_and_tampering_is_reported,
    brute_force_backs_off_locks_and_throttles_by_ip,
    sessions_end_on_logout_password_change_and_deactivation,
    mfa_gates_the_session_and_codes_never_replay,
    mfa_required_by_the_clinic_forces_enrolment,
    break_glass_needs_permission_and_reason_and_expires,
    encryption_binds_ciphertext_to_its_row_and_master_key,
    passwords_rehash_and_accept_long_unicode,
    password_reset_link_is_emailed_single_use_and_expires,
    staff_management_rules,
    role_checks_refuse_and_audit,
    security_events_reach_the_user_and_the_clinic,
    clinic_switching_reissues_the_session,
    search_input_is_bounded_and_literal,
);

struct Ctx {
    services: Services,
    smtp: SmtpSink,
    owner_db: Db,
    kind: Kind,
    url: String,
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
    case(Ctx { services, smtp, owner_db: owner_db.clone(), kind, url: db.url.clone() }).await;
    owner_db.close().await;
    db.cleanup().await;
}

const PASSWORD: &str = "tide pools at dawn";

fn client() -> ClientInfo {
    ClientInfo { ip: Some("192.0.2.10".into()), user_agent: Some("trust-test".into()) }
}

async fn sign_up(ctx: &Ctx, clinic: &str, email: &str) -> (String, AuthContext) {
    let form = SignupForm {
        clinic_name: clinic.into(),
        time_zone: "Europe/Lisbon".into(),
        owner_name: "Ana Costa".into(),
        email: email.into(),
        password: PASSWORD.into(),
        confirm_adult: Some("on".into()),
    };
    let signed = accounts::sign_up(&ctx.services, &form, &client()).await.unwrap();
    let context = auth::authenticate(&ctx.services, &signed.token).await.unwrap();
    (signed.token, with_client(context))
}

fn with_client(mut context: AuthContext) -> AuthContext {
    context.client = client();
    context
}

/// Invites `email` as `role` into the owner's clinic and signs them in.
async fn join(ctx: &Ctx, owner: &AuthContext, email: &str, role: &str) -> (String, AuthContext) {
    let sent = accounts::invite(&ctx.services, owner, &InviteForm { email: email.into(), role: role.into() }).await.unwrap();
    let token = sent.link.rsplit('/').next().unwrap().to_owned();
    let form = AcceptInviteForm { token, name: "Joao Silva".into(), password: PASSWORD.into(), ..Default::default() };
    let signed = accounts::accept_invite(&ctx.services, &form, &client()).await.unwrap();
    let context = auth::authenticate(&ctx.services, &signed.token).await.unwrap();
    (signed.token, with_client(context))
}

async fn login(ctx: &Ctx, email: &str, password: &str) -> Result<auth::SignedIn, ServiceError> {
    auth::login(&ctx.services, &LoginForm { email: email.into(), password: password.into() }, &client(), None).await
}

fn patient_form(given: &str, family: &str) -> PatientForm {
    PatientForm { given_name: given.into(), family_name: family.into(), date_of_birth: "1984-03-12".into(), ..Default::default() }
}

fn field(result: Result<impl std::fmt::Debug, ServiceError>, name: &str) -> String {
    match result {
        Err(ServiceError::Invalid(errors)) => errors.get(name).unwrap_or_else(|| panic!("no error at {name}: {errors:?}")).to_owned(),
        other => panic!("expected a field error at {name}, got {other:?}"),
    }
}

/// Rows of `sql` as the owner sees them (every clinic; behind the app's back).
async fn owner_count(ctx: &Ctx, sql: &str) -> i64 {
    let mut tx = ctx.owner_db.read().await.unwrap();
    let (n,): (i64,) = on_tx!(&mut tx, c => sqlx::query_as(sql).fetch_one(c).await).unwrap();
    n
}

async fn audit_entries(ctx: &Ctx, who: &AuthContext) -> Vec<audit::StoredEntry> {
    let mut tx = ctx.services.db.read_in(&who.scope).await.unwrap();
    audit::search(&mut tx, &who.scope, &audit::Filter { limit: 1000, ..Default::default() }).await.unwrap()
}

fn base32_decode(text: &str) -> Vec<u8> {
    let (mut buffer, mut bits, mut out) = (0u32, 0u32, Vec::new());
    for c in text.chars() {
        let v = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".find(c).unwrap() as u32;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            out.push((buffer >> (bits - 8)) as u8);
            bits -= 8;
        }
    }
    out
}

fn code_now(ctx: &Ctx, secret: &[u8], steps_ahead: i64) -> String {
    let step = ambula_backend::totp::step_of(ctx.services.clock.now().0.timestamp()) + steps_ahead;
    ambula_backend::totp::code_at(secret, step)
}

/// Turns MFA on for a signed-in user; returns the secret and recovery codes.
async fn enable_mfa(ctx: &Ctx, who: &AuthContext, token: &str) -> (Vec<u8>, Vec<String>) {
    let enrollee = mfa::Enrollee::from_context(who);
    let enrolment = mfa::start(&ctx.services, &enrollee).await.unwrap();
    assert!(enrolment.otpauth_url.starts_with("otpauth://totp/"));
    assert!(enrolment.qr_svg.contains("<svg"));
    let secret = base32_decode(&enrolment.manual_key);
    let form = MfaCodeForm { code: code_now(ctx, &secret, 0) };
    let (codes, new_token) = mfa::confirm(&ctx.services, &enrollee, &form, token).await.unwrap();
    assert_eq!(codes.len(), 10);
    assert!(new_token.is_none(), "a full session keeps its token");
    (secret, codes)
}

// 5. Inside a clinic's transaction a raw query sees that clinic only; with
// no clinic set PostgreSQL shows nothing at all (fails closed).
async fn raw_queries_see_only_the_scoped_clinic(ctx: Ctx) {
    let (_, a) = sign_up(&ctx, "A", "a@a.example").await;
    let (_, b) = sign_up(&ctx, "B", "b@b.example").await;
    for _ in 0..3 {
        patients::create(&ctx.services, &a, &patient_form("Ana", "Alpha")).await.unwrap();
    }
    patients::create(&ctx.services, &b, &patient_form("Bea", "Beta")).await.unwrap();
    let mut tx = ctx.services.db.read_in(&a.scope).await.unwrap();
    let names: Vec<(String,)> = on_tx!(&mut tx, c => sqlx::query_as("SELECT family_name FROM patients").fetch_all(c).await).unwrap();
    drop(tx);
    if ctx.kind == Kind::Postgres {
        assert_eq!(names.len(), 3, "RLS: only A's rows, without any WHERE");
        assert!(names.iter().all(|(n,)| n == "Alpha"));
        let mut tx = ctx.services.db.read().await.unwrap();
        let all: Vec<(String,)> = on_tx!(&mut tx, c => sqlx::query_as("SELECT family_name FROM patients").fetch_all(c).await).unwrap();
        assert!(all.is_empty(), "no clinic set: no rows");
        let mut tx = ctx.services.db.write().await.unwrap();
        let insert = on_tx!(&mut tx, c => sqlx::query(
            "INSERT INTO patients (clinic_id, id, mrn, given_name, family_name, date_of_birth, created_at)
             VALUES ($1, $2, 'X1', 'Eve', 'Evil', '1990-01-01', now())"
        ).bind(b.scope.clinic_id().as_uuid()).bind(uuid::Uuid::now_v7()).execute(c).await.map(|r| r.rows_affected()));
        assert!(insert.is_err(), "WITH CHECK refuses a row for a clinic not in scope");
        // The start-up check: the app role passes, the owner is refused.
        ctx.services.db.check_app_role().await.unwrap();
        let error = ctx.owner_db.check_app_role().await.unwrap_err().to_string();
        assert!(error.contains("superuser"), "{error}");
        // FORCE row-level security on every clinic-owned table.
        let unforced = owner_count(&ctx,
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             JOIN information_schema.columns k ON k.table_name = c.relname AND k.column_name = 'clinic_id' AND k.table_schema = 'public'
             WHERE n.nspname = 'public' AND c.relkind = 'r' AND NOT (c.relrowsecurity AND c.relforcerowsecurity)
               AND c.relname NOT IN ('sessions', 'data_keys')").await;
        assert_eq!(unforced, 0, "every clinic table has forced RLS");
    } else {
        // SQLite has no RLS: the repositories' clinic filter is the rule,
        // and the services never run a query without it.
        assert_eq!(names.len(), 4);
        let listed = patients::search(&ctx.services, &a, &PatientSearchForm::default()).await.unwrap();
        assert_eq!(listed.len(), 3);
    }
}

// 6. A pool of two connections serving alternating clinics never lets one
// clinic's setting leak into the next transaction.
async fn pooled_connections_never_carry_a_clinic(ctx: Ctx) {
    let (_, a) = sign_up(&ctx, "A", "a@a.example").await;
    let (_, b) = sign_up(&ctx, "B", "b@b.example").await;
    patients::create(&ctx.services, &a, &patient_form("Ana", "Alpha")).await.unwrap();
    for _ in 0..2 {
        patients::create(&ctx.services, &b, &patient_form("Bea", "Beta")).await.unwrap();
    }
    let db = match ctx.kind {
        Kind::Postgres => Db::from_pg_pool(sqlx::postgres::PgPoolOptions::new().max_connections(2).connect(&ctx.url).await.unwrap()),
        Kind::Sqlite => ctx.services.db.clone(),
    };
    for i in 0..1000 {
        let who = if i % 2 == 0 { &a } else { &b };
        let mut tx = db.read_in(&who.scope).await.unwrap();
        let rows: Vec<(uuid::Uuid,)> = on_tx!(&mut tx, c => sqlx::query_as("SELECT clinic_id FROM patients WHERE clinic_id = $1 OR $2")
            .bind(who.scope.clinic_id().as_uuid()).bind(ctx.kind == Kind::Postgres).fetch_all(c).await).unwrap();
        assert!(rows.iter().all(|(c,)| *c == who.scope.clinic_id().as_uuid()), "iteration {i}: another clinic's row");
        assert_eq!(rows.len(), if i % 2 == 0 { 1 } else { 2 });
        drop(tx);
        if ctx.kind == Kind::Postgres && i % 10 == 0 {
            let mut tx = db.read().await.unwrap();
            let (setting,): (Option<String>,) = on_tx!(&mut tx, c => sqlx::query_as("SELECT current_setting('app.clinic_id', true)").fetch_one(c).await).unwrap();
            assert!(setting.unwrap_or_default().is_empty(), "iteration {i}: a fresh transaction starts with no clinic");
        }
    }
}

// 1, 2. Clinic A asks for, and tries to change, B's patient: 404, nothing
// changed, and A's audit trail records the denied attempts.
async fn another_clinics_patient_is_404_unchanged_and_audited(ctx: Ctx) {
    let (_, a) = sign_up(&ctx, "A", "a@a.example").await;
    let (_, b) = sign_up(&ctx, "B", "b@b.example").await;
    let theirs = patients::create(&ctx.services, &b, &patient_form("Bea", "Beta")).await.unwrap();
    let id = theirs.id.to_string();
    assert!(matches!(patients::get(&ctx.services, &a, &id).await, Err(ServiceError::NotFound)));
    assert!(matches!(patients::update(&ctx.services, &a, &id, &patient_form("Eve", "Changed")).await, Err(ServiceError::NotFound)));
    // The same answer as for an id that exists nowhere: no existence oracle.
    let nowhere = uuid::Uuid::now_v7().to_string();
    assert!(matches!(patients::get(&ctx.services, &a, &nowhere).await, Err(ServiceError::NotFound)));
    assert!(matches!(patients::get(&ctx.services, &a, "' OR 1=1--").await, Err(ServiceError::NotFound)));
    let unchanged = patients::get(&ctx.services, &b, &id).await.unwrap();
    assert_eq!((unchanged.given_name.as_str(), unchanged.family_name.as_str()), ("Bea", "Beta"));
    let trail = audit_entries(&ctx, &a).await;
    let denied: Vec<_> = trail.iter().filter(|e| e.outcome == "denied").collect();
    assert!(denied.iter().any(|e| e.action == "patient.read" && e.entity_id.as_deref() == Some(id.as_str())), "{trail:?}");
    assert!(denied.iter().any(|e| e.action == "patient.update"));
    assert!(denied.iter().all(|e| e.ip.as_deref() == Some("192.0.2.10")));
    // B's trail has B's own reads and nothing of A's attempts.
    assert!(audit_entries(&ctx, &b).await.iter().all(|e| e.outcome == "ok"));
}

// 3. Even with the application's checks bypassed, a row of one clinic
// cannot point at another clinic's patient.
async fn cross_clinic_references_fail_in_the_database(ctx: Ctx) {
    let (_, a) = sign_up(&ctx, "A", "a@a.example").await;
    let (_, b) = sign_up(&ctx, "B", "b@b.example").await;
    let theirs = patients::create(&ctx.services, &b, &patient_form("Bea", "Beta")).await.unwrap();
    let mut tx = ctx.owner_db.write().await.unwrap();
    let result = on_tx!(&mut tx, c => sqlx::query(
        "INSERT INTO care_team (clinic_id, id, patient_id, membership_id, created_at) VALUES ($1, $2, $3, $4, $5)"
    )
    .bind(a.scope.clinic_id().as_uuid())
    .bind(uuid::Uuid::now_v7())
    .bind(theirs.id.as_uuid())
    .bind(a.membership_id.as_uuid())
    .bind(ctx.services.now())
    .execute(c).await.map(|r| r.rows_affected()));
    let error = result.expect_err("composite foreign key refuses it");
    assert!(error.as_database_error().is_some_and(|e| e.is_foreign_key_violation()), "{error}");
}

// 21. The application cannot change or delete audit entries; the owner can
// (triggers off), and the verifier then names the first broken entry.
async fn audit_trail_is_append_only_and_tampering_is_reported(ctx: Ctx) {
    let (_, a) = sign_up(&ctx, "A", "a@a.example").await;
    for n in 0..3 {
        patients::create(&ctx.services, &a, &patient_form("Ana", &format!("Alpha{n}"))).await.unwrap();
    }
    let verify = || async {
        let mut tx = ctx.services.db.read_in(&a.scope).await.unwrap();
        audit::verify(&mut tx, &a.scope).await.unwrap()
    };
    let intact = verify().await.expect("intact chain");
    assert!(intact >= 5, "{intact}");
    for sql in ["UPDATE audit_events SET actor_name = 'Mallory'", "DELETE FROM audit_events"] {
        let mut tx = ctx.services.db.write_in(&a.scope).await.unwrap();
        let error = on_tx!(&mut tx, c => sqlx::query(sql).execute(c).await.map(|r| r.rows_affected())).unwrap_err().to_string();
        match ctx.kind {
            Kind::Postgres => assert!(error.contains("permission denied"), "{sql}: {error}"),
            Kind::Sqlite => assert!(error.contains("append-only"), "{sql}: {error}"),
        }
    }
    // Behind the application's back.
    let disable = match ctx.kind {
        Kind::Postgres => "ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change",
        Kind::Sqlite => "DROP TRIGGER audit_events_no_update",
    };
    let mut tx = ctx.owner_db.write().await.unwrap();
    on_tx!(&mut tx, c => sqlx::query(disable).execute(c).await.map(|r| r.rows_affected())).unwrap();
    on_tx!(&mut tx, c => sqlx::query("UPDATE audit_events SET detail = 'nothing to see' WHERE seq = 3").execute(c).await.map(|r| r.rows_affected())).unwrap();
    tx.commit().await.unwrap();
    let broken = verify().await.expect_err("tampering detected");
    assert_eq!(broken.seq, 3, "{broken:?}");
    // The operator report names it too.
    let reports = ambula_backend::services::audit_log::verify_all(&ctx.services).await.unwrap();
    assert!(reports.iter().any(|r| r.result.as_ref().is_err_and(|b| b.seq == 3)));
}

// 8. Per-account back-off then lock (correct password refused while
// locked), the same answers for an unknown address, and a per-IP limit.
async fn brute_force_backs_off_locks_and_throttles_by_ip(ctx: Ctx) {
    sign_up(&ctx, "A", "a@a.example").await;
    let minute = Duration::from_secs(61);
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for _ in 0..20 {
        known.push(field(login(&ctx, "a@a.example", "wrong password!!").await, "password"));
        unknown.push(field(login(&ctx, "nobody@a.example", "wrong password!!").await, "password"));
        // Two attempts per 5 s: under the per-IP limit (30 a minute).
        ctx.services.clock.advance(Duration::from_secs(5));
    }
    assert_eq!(known, unknown, "an unknown address gets exactly the same answers");
    assert!(known.last().unwrap().contains("Too many attempts"), "{known:?}");
    // Past the back-off, failures keep counting up to the lock.
    for _ in 0..10 {
        ctx.services.clock.advance(minute);
        let _ = login(&ctx, "a@a.example", "wrong password!!").await;
    }
    let locked = field(login(&ctx, "a@a.example", PASSWORD).await, "password");
    assert!(locked.contains("Too many attempts"), "the right password is refused while locked: {locked}");
    ctx.services.clock.advance(Duration::from_secs(16 * 60));
    assert!(login(&ctx, "a@a.example", PASSWORD).await.is_ok(), "the lock ends");
    // At most 10 failures per 15-minute lock: far under 100 an hour.
    assert!(owner_count(&ctx, "SELECT count(*) FROM security_events WHERE kind = 'locked_out'").await >= 1);

    // One network spraying many addresses is throttled (429): its failures
    // are counted (100 an hour), across every address it tries.
    ctx.services.clock.advance(minute);
    let mut limited = false;
    for n in 0..120 {
        if matches!(login(&ctx, &format!("user{n}@spray.example"), "wrong password!!").await, Err(ServiceError::RateLimited { .. })) {
            limited = true;
            break;
        }
    }
    assert!(limited, "the per-IP limit applies");
    let elsewhere = ClientInfo { ip: Some("198.51.100.7".into()), user_agent: None };
    let other_ip = auth::login(&ctx.services, &LoginForm { email: "a@a.example".into(), password: PASSWORD.into() }, &elsewhere, None).await;
    assert!(other_ip.is_ok(), "other clients are unaffected: {other_ip:?}");

    // Similar timing: an unknown address still costs a full hash (from a
    // network not throttled, so both go as far as the hash).
    ctx.services.clock.advance(minute);
    let time = |email: &'static str| {
        let ctx = &ctx;
        let elsewhere = elsewhere.clone();
        async move {
            let start = std::time::Instant::now();
            for _ in 0..3 {
                let form = LoginForm { email: email.into(), password: "another wrong one".into() };
                let _ = auth::login(&ctx.services, &form, &elsewhere, None).await;
            }
            start.elapsed()
        }
    };
    let (k, u) = (time("a@a.example").await, time("ghost@a.example").await);
    let ratio = k.as_secs_f64() / u.as_secs_f64();
    assert!((0.33..3.0).contains(&ratio), "known {k:?} vs unknown {u:?}");
}

// 9, 10. A planted token never becomes a session; sessions end on logout,
// idle and absolute timeouts, password change (others), deactivation and
// role change (at once).
async fn sessions_end_on_logout_password_change_and_deactivation(ctx: Ctx) {
    let (owner_token, owner) = sign_up(&ctx, "A", "a@a.example").await;
    let planted = crypto::random_token();
    let signed = auth::login(&ctx.services, &LoginForm { email: "a@a.example".into(), password: PASSWORD.into() }, &client(), Some(&planted))
        .await
        .unwrap();
    assert_ne!(signed.token, planted);
    assert!(matches!(auth::authenticate(&ctx.services, &planted).await, Err(ServiceError::Unauthenticated)));

    // Password change: other sessions end, this one is reissued.
    let changed = auth::change_password(
        &ctx.services,
        &owner,
        &ChangePasswordForm { current_password: PASSWORD.into(), new_password: "a new tide at noon".into() },
    )
    .await
    .unwrap();
    assert!(matches!(auth::authenticate(&ctx.services, &owner_token).await, Err(ServiceError::Unauthenticated)));
    assert!(matches!(auth::authenticate(&ctx.services, &signed.token).await, Err(ServiceError::Unauthenticated)));
    let owner = with_client(auth::authenticate(&ctx.services, &changed.token).await.unwrap());
    assert!(login(&ctx, "a@a.example", PASSWORD).await.is_err(), "old password no longer works");

    // Deactivation kills the member's session at once; reactivation does not revive it.
    let (nurse_token, nurse) = join(&ctx, &owner, "n@a.example", "nurse").await;
    staff::set_active(&ctx.services, &owner, &MemberForm { membership_id: nurse.membership_id.to_string() }, false).await.unwrap();
    assert!(matches!(auth::authenticate(&ctx.services, &nurse_token).await, Err(ServiceError::Unauthenticated)));
    assert!(login(&ctx, "n@a.example", PASSWORD).await.is_err(), "a deactivated member cannot sign in");
    staff::set_active(&ctx.services, &owner, &MemberForm { membership_id: nurse.membership_id.to_string() }, true).await.unwrap();
    assert!(matches!(auth::authenticate(&ctx.services, &nurse_token).await, Err(ServiceError::Unauthenticated)));

    // Role change: a privilege change, so the member signs in again.
    let nurse_again = login(&ctx, "n@a.example", PASSWORD).await.unwrap();
    let form = RoleChangeForm { membership_id: nurse.membership_id.to_string(), role: "practitioner".into() };
    staff::change_role(&ctx.services, &owner, &form).await.unwrap();
    assert!(matches!(auth::authenticate(&ctx.services, &nurse_again.token).await, Err(ServiceError::Unauthenticated)));
    let promoted = login(&ctx, "n@a.example", PASSWORD).await.unwrap();
    assert_eq!(auth::authenticate(&ctx.services, &promoted.token).await.unwrap().role, Role::Practitioner);

    // Logout; sign out everywhere; revoke one session by handle.
    auth::logout(&ctx.services, &promoted.token).await.unwrap();
    assert!(auth::authenticate(&ctx.services, &promoted.token).await.is_err());
    let one = login(&ctx, "n@a.example", PASSWORD).await.unwrap();
    let two = login(&ctx, "n@a.example", PASSWORD).await.unwrap();
    let two_ctx = with_client(auth::authenticate(&ctx.services, &two.token).await.unwrap());
    let listed = auth::sessions(&ctx.services, &two_ctx).await.unwrap();
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|s| s.ip.as_deref() == Some("192.0.2.10") && s.user_agent.as_deref() == Some("trust-test")));
    let one_handle = listed.iter().find(|s| s.handle != two_ctx.session).unwrap().handle;
    // Someone else's handle is not found.
    assert!(matches!(auth::revoke_session(&ctx.services, &owner, one_handle).await, Err(ServiceError::NotFound)));
    auth::revoke_session(&ctx.services, &two_ctx, one_handle).await.unwrap();
    assert!(auth::authenticate(&ctx.services, &one.token).await.is_err());
    auth::sign_out_everywhere(&ctx.services, &two_ctx).await.unwrap();
    assert!(auth::authenticate(&ctx.services, &two.token).await.is_err());

    // Absolute lifetime: 12 hours, however active.
    let fresh = login(&ctx, "n@a.example", PASSWORD).await.unwrap();
    for _ in 0..49 {
        ctx.services.clock.advance(Duration::from_secs(14 * 60 + 50));
        if auth::keep_alive(&ctx.services, &fresh.token).await.is_err() {
            break;
        }
    }
    assert!(auth::authenticate(&ctx.services, &fresh.token).await.is_err(), "no session outlives 12 hours");
}

// 12. A password-only session is not signed in; TOTP codes never replay;
// recovery codes work once.
async fn mfa_gates_the_session_and_codes_never_replay(ctx: Ctx) {
    let (token, owner) = sign_up(&ctx, "A", "a@a.example").await;
    let (secret, recovery) = enable_mfa(&ctx, &owner, &token).await;
    // The secret is stored encrypted, not as the bytes an app would need.
    let mut tx = ctx.owner_db.read().await.unwrap();
    let (stored,): (Vec<u8>,) = on_tx!(&mut tx, c => sqlx::query_as("SELECT mfa_secret FROM users").fetch_one(c).await).unwrap();
    drop(tx);
    assert!(!stored.windows(secret.len()).any(|w| w == secret.as_slice()));

    let pending = login(&ctx, "a@a.example", PASSWORD).await.unwrap();
    assert_eq!(pending.stage, ambula_backend::repo::sessions::Stage::Mfa);
    assert!(matches!(auth::authenticate(&ctx.services, &pending.token).await, Err(ServiceError::Unauthenticated)), "pre-MFA session refused");
    // The enrolment code (this step) was used: replaying it fails.
    let replay = auth::verify_mfa(&ctx.services, &pending.token, &MfaCodeForm { code: code_now(&ctx, &secret, 0) }, &client()).await;
    assert!(field(replay, "code").contains("used already"));
    ctx.services.clock.advance(Duration::from_secs(30));
    let code = code_now(&ctx, &secret, 0);
    let done = auth::verify_mfa(&ctx.services, &pending.token, &MfaCodeForm { code: code.clone() }, &client()).await.unwrap();
    assert_ne!(done.token, pending.token, "a new session id at the privilege change");
    assert!(auth::authenticate(&ctx.services, &done.token).await.is_ok());
    assert!(auth::authenticate(&ctx.services, &pending.token).await.is_err());
    // The same code a second time, on a new sign-in: refused.
    let again = login(&ctx, "a@a.example", PASSWORD).await.unwrap();
    assert!(auth::verify_mfa(&ctx.services, &again.token, &MfaCodeForm { code }, &client()).await.is_err());
    // A recovery code, once.
    let ok = auth::verify_mfa(&ctx.services, &again.token, &MfaCodeForm { code: recovery[0].to_lowercase() }, &client()).await;
    assert!(ok.is_ok(), "{ok:?}");
    let third = login(&ctx, "a@a.example", PASSWORD).await.unwrap();
    assert!(auth::verify_mfa(&ctx.services, &third.token, &MfaCodeForm { code: recovery[0].clone() }, &client()).await.is_err());
}

// A clinic that requires MFA sends staff without it to set-up first; the
// set-up session can do nothing else.
async fn mfa_required_by_the_clinic_forces_enrolment(ctx: Ctx) {
    let (_, owner) = sign_up(&ctx, "A", "a@a.example").await;
    let (_, nurse) = join(&ctx, &owner, "n@a.example", "nurse").await;
    let settings = SecuritySettingsForm { require_mfa: Some("on".into()), idle_timeout_minutes: "10".into(), break_glass_minutes: "30".into() };
    assert!(matches!(staff::update_security_settings(&ctx.services, &nurse, &settings).await, Err(ServiceError::Forbidden)));
    staff::update_security_settings(&ctx.services, &owner, &settings).await.unwrap();
    let bad = SecuritySettingsForm { idle_timeout_minutes: "0".into(), break_glass_minutes: "99999".into(), ..settings.clone() };
    let error = staff::update_security_settings(&ctx.services, &owner, &bad).await;
    assert!(field(error, "idle_timeout_minutes").contains("2 to 60"));

    let enrol = login(&ctx, "n@a.example", PASSWORD).await.unwrap();
    assert_eq!(enrol.stage, ambula_backend::repo::sessions::Stage::Enrol);
    assert!(auth::authenticate(&ctx.services, &enrol.token).await.is_err());
    let who = mfa::Enrollee::from_pending(&ctx.services, &enrol.token, &client()).await.unwrap();
    let enrolment = mfa::start(&ctx.services, &who).await.unwrap();
    let secret = base32_decode(&enrolment.manual_key);
    let (_, new_token) = mfa::confirm(&ctx.services, &who, &MfaCodeForm { code: code_now(&ctx, &secret, 0) }, &enrol.token).await.unwrap();
    let new_token = new_token.expect("the set-up session is replaced by a full one");
    let nurse = auth::authenticate(&ctx.services, &new_token).await.unwrap();
    assert_eq!(nurse.idle_timeout_minutes, 10, "the clinic's idle timeout applies");
    // Turning MFA off is refused while the clinic requires it.
    let any_code = MfaCodeForm { code: code_now(&ctx, &secret, 0) };
    assert!(field(mfa::disable(&ctx.services, &nurse, PASSWORD, &any_code).await, "password").contains("requires"));
    // The admin requires a new set-up for this clinic: the member's sessions
    // here end; their MFA itself is not cleared (it is theirs, not the
    // clinic's), so they prove it first, then set up a new authenticator.
    staff::reset_mfa(&ctx.services, &owner, &MemberForm { membership_id: nurse.membership_id.to_string() }).await.unwrap();
    assert!(auth::authenticate(&ctx.services, &new_token).await.is_err());
    let again = login(&ctx, "n@a.example", PASSWORD).await.unwrap();
    assert_eq!(again.stage, ambula_backend::repo::sessions::Stage::Mfa, "the current factor first");
    ctx.services.clock.advance(Duration::from_secs(30));
    let proven = auth::verify_mfa(&ctx.services, &again.token, &MfaCodeForm { code: code_now(&ctx, &secret, 0) }, &client()).await.unwrap();
    assert_eq!(proven.stage, ambula_backend::repo::sessions::Stage::Enrol, "then set up again");
    let who = mfa::Enrollee::from_pending(&ctx.services, &proven.token, &client()).await.unwrap();
    let enrolment = mfa::start(&ctx.services, &who).await.unwrap();
    let fresh = base32_decode(&enrolment.manual_key);
    assert_ne!(fresh, secret, "a new authenticator");
    ctx.services.clock.advance(Duration::from_secs(30));
    let (_, full) = mfa::confirm(&ctx.services, &who, &MfaCodeForm { code: code_now(&ctx, &fresh, 0) }, &proven.token).await.unwrap();
    assert!(auth::authenticate(&ctx.services, &full.expect("a full session")).await.is_ok());
}

// 22. Break-glass: designated roles only, a reason required, time-limited,
// flagged in the audit trail, the managers emailed.
async fn break_glass_needs_permission_and_reason_and_expires(ctx: Ctx) {
    let (_, owner) = sign_up(&ctx, "A", "a@a.example").await;
    let mut form = patient_form("Vera", "Private");
    form.restricted = Some("on".into());
    let vip = patients::create(&ctx.services, &owner, &form).await.unwrap();
    let id = vip.id.to_string();
    let (_, doctor) = join(&ctx, &owner, "d@a.example", "practitioner").await;
    let (_, desk) = join(&ctx, &owner, "f@a.example", "front_desk").await;
    assert!(matches!(patients::get(&ctx.services, &doctor, &id).await, Err(ServiceError::Restricted)));
    let listed = patients::search(&ctx.services, &doctor, &PatientSearchForm::default()).await.unwrap();
    assert!(listed.iter().any(|p| p.restricted && p.name.is_none()), "listed without the name");

    let no_reason = patients::break_glass(&ctx.services, &doctor, &BreakGlassForm { patient_id: id.clone(), reason: " ".into() }).await;
    assert!(field(no_reason, "reason").contains("why"));
    let reason = "Unconscious in the waiting room; need allergies now".to_owned();
    let by_desk = patients::break_glass(&ctx.services, &desk, &BreakGlassForm { patient_id: id.clone(), reason: reason.clone() }).await;
    assert!(matches!(by_desk, Err(ServiceError::Forbidden)));
    let mail_before = ctx.smtp.messages().len();
    let opened = patients::break_glass(&ctx.services, &doctor, &BreakGlassForm { patient_id: id.clone(), reason: reason.clone() }).await.unwrap();
    assert!(opened.break_glass_until.is_some());
    let read = patients::get(&ctx.services, &doctor, &id).await.unwrap();
    assert_eq!(read.family_name, "Private");
    let trail = audit_entries(&ctx, &owner).await;
    assert!(trail.iter().any(|e| e.action == "patient.break_glass" && e.break_glass && e.detail.as_deref() == Some(reason.as_str())));
    assert!(trail.iter().any(|e| e.action == "patient.read" && e.break_glass && e.outcome == "ok"), "uses under the grant are flagged");
    assert!(trail.iter().any(|e| e.action == "patient.break_glass" && e.outcome == "denied"), "the front desk's attempt is recorded");
    let mail = ctx.smtp.messages();
    assert_eq!(mail.len(), mail_before + 1, "the owner (only manager) is told");
    assert!(mail.last().unwrap().to.iter().any(|t| t.contains("a@a.example")));
    assert!(mail.last().unwrap().data.contains("Emergency access"));
    // The grant expires with the clinic's break-glass time (60 minutes).
    ctx.services.clock.advance(Duration::from_secs(61 * 60));
    let doctor = with_client(auth::authenticate(&ctx.services, &login(&ctx, "d@a.example", PASSWORD).await.unwrap().token).await.unwrap());
    assert!(matches!(patients::get(&ctx.services, &doctor, &id).await, Err(ServiceError::Restricted)), "expired");
}

// Envelope encryption: a ciphertext moved to another row does not decrypt;
// master-key rotation keeps data readable under the new key only; a deleted
// clinic's key is destroyed.
async fn encryption_binds_ciphertext_to_its_row_and_master_key(ctx: Ctx) {
    let (_, a) = sign_up(&ctx, "A", "a@a.example").await;
    let keys = &ctx.services.keys;
    let owner = KeyOwner::clinic(&a.scope);
    let here = Field { table: "notes", column: "body", row: "row-1" };
    let mut tx = ctx.services.db.write().await.unwrap();
    let sealed = keys.encrypt(&mut tx, owner, here, b"BP 180/110, start ramipril", ctx.services.now()).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = ctx.services.db.read().await.unwrap();
    assert_eq!(keys.decrypt(&mut tx, owner, here, &sealed).await.unwrap().as_slice(), b"BP 180/110, start ramipril");
    let elsewhere = Field { row: "row-2", ..here };
    assert!(keys.decrypt(&mut tx, owner, elsewhere, &sealed).await.is_err(), "copied to another row");
    assert!(keys.decrypt(&mut tx, owner, Field { column: "title", ..here }, &sealed).await.is_err(), "another column");
    let mut flipped = sealed.clone();
    *flipped.last_mut().unwrap() ^= 1;
    assert!(keys.decrypt(&mut tx, owner, here, &flipped).await.is_err(), "altered");
    drop(tx);

    let new_master = MasterKey::generate();
    let (rewrapped, resealed) = admin::rotate_master_key(&ctx.services, &new_master).await.unwrap();
    assert!(rewrapped + resealed >= 1);
    let rotated = ctx.services.keys.with_master(new_master);
    let mut tx = ctx.services.db.read().await.unwrap();
    assert!(rotated.decrypt(&mut tx, owner, here, &sealed).await.is_ok(), "readable under the new master key");
    let stale = ctx.services.keys.fresh();
    assert!(stale.decrypt(&mut tx, owner, here, &sealed).await.is_err(), "the old master key no longer opens it");
    drop(tx);

    let services = Services { keys: rotated.clone(), ..ctx.services.clone() };
    admin::delete_clinic(&services, a.scope.clinic_id().as_uuid()).await.unwrap();
    let fresh = rotated.fresh();
    let mut tx = ctx.services.db.read().await.unwrap();
    let gone = fresh.decrypt(&mut tx, owner, here, &sealed).await.unwrap_err();
    assert!(gone.to_string().contains("destroyed"), "{gone}");
    drop(tx);
    assert!(login(&ctx, "a@a.example", PASSWORD).await.is_err() || auth::authenticate(&ctx.services, &login(&ctx, "a@a.example", PASSWORD).await.unwrap().token).await.is_err());
}

// 25, 14. Stored hashes use the production parameters and are upgraded at
// sign-in; long Unicode passwords work untruncated; common ones are refused.
async fn passwords_rehash_and_accept_long_unicode(ctx: Ctx) {
    let long: String = "мой пароль 🔐 ".repeat(6);
    assert!(long.chars().count() > 64);
    let form = SignupForm {
        clinic_name: "A".into(),
        time_zone: "UTC".into(),
        owner_name: "Ana".into(),
        email: "a@a.example".into(),
        password: long.clone(),
        confirm_adult: Some("on".into()),
    };
    accounts::sign_up(&ctx.services, &form, &client()).await.unwrap();
    let stored = || async {
        let mut tx = ctx.owner_db.read().await.unwrap();
        let (h,): (String,) = on_tx!(&mut tx, c => sqlx::query_as("SELECT password_hash FROM users").fetch_one(c).await).unwrap();
        h
    };
    assert!(stored().await.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
    let truncated: String = long.chars().take(64).collect();
    assert!(login(&ctx, "a@a.example", &truncated).await.is_err());
    // An older, weaker hash is replaced at the next sign-in.
    let weak = crypto::hash_password_with(long.clone(), 4096, 1).await.unwrap();
    let mut tx = ctx.owner_db.write().await.unwrap();
    on_tx!(&mut tx, c => sqlx::query("UPDATE users SET password_hash = $1").bind(&weak).execute(c).await.map(|r| r.rows_affected())).unwrap();
    tx.commit().await.unwrap();
    login(&ctx, "a@a.example", &long).await.unwrap();
    assert!(stored().await.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "rehashed on sign-in");
    login(&ctx, "a@a.example", &long).await.unwrap();
    let common = SignupForm { email: "b@a.example".into(), password: "password1234".into(), ..form };
    assert!(field(accounts::sign_up(&ctx.services, &common, &client()).await, "password").contains("common"));
}

async fn password_reset_link_is_emailed_single_use_and_expires(ctx: Ctx) {
    let (token, _) = sign_up(&ctx, "A", "a@a.example").await;
    auth::request_password_reset(&ctx.services, &ResetRequestForm { email: "nobody@a.example".into() }, &client()).await.unwrap();
    assert!(ctx.smtp.messages().is_empty(), "no mail (and the same answer) for an unknown address");
    auth::request_password_reset(&ctx.services, &ResetRequestForm { email: "A@A.example".into() }, &client()).await.unwrap();
    let mail = ctx.smtp.wait_for(1).await;
    assert_eq!(mail.len(), 1);
    let body = mail[0].data.replace("=\r\n", "");
    let start = body.find("/reset-password/").expect("link in the email") + "/reset-password/".len();
    let reset_token: String = body[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
    let weak = auth::reset_password(&ctx.services, &ResetPasswordForm { token: reset_token.clone(), password: "short".into() }, &client()).await;
    assert!(field(weak, "password").contains("12"));
    auth::reset_password(&ctx.services, &ResetPasswordForm { token: reset_token.clone(), password: "brand new tide pools".into() }, &client())
        .await
        .unwrap();
    assert!(auth::authenticate(&ctx.services, &token).await.is_err(), "every session ended");
    assert!(login(&ctx, "a@a.example", "brand new tide pools").await.is_ok());
    let twice = auth::reset_password(&ctx.services, &ResetPasswordForm { token: reset_token, password: "another new password".into() }, &client()).await;
    assert!(field(twice, "password").contains("expired or was already used"));
    // A link older than an hour is refused.
    auth::request_password_reset(&ctx.services, &ResetRequestForm { email: "a@a.example".into() }, &client()).await.unwrap();
    let body = ctx.smtp.wait_for(2).await[1].data.replace("=\r\n", "");
    let start = body.find("/reset-password/").unwrap() + "/reset-password/".len();
    let late: String = body[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
    ctx.services.clock.advance(Duration::from_secs(61 * 60));
    let expired = auth::reset_password(&ctx.services, &ResetPasswordForm { token: late, password: "another new password".into() }, &client()).await;
    assert!(field(expired, "password").contains("expired"));
}

async fn staff_management_rules(ctx: Ctx) {
    let (_, owner) = sign_up(&ctx, "A", "a@a.example").await;
    let (_, b_owner) = sign_up(&ctx, "B", "b@b.example").await;
    let (_, admin) = join(&ctx, &owner, "admin@a.example", "admin").await;
    let (_, nurse) = join(&ctx, &owner, "n@a.example", "nurse").await;
    let member = |m: &AuthContext| MemberForm { membership_id: m.membership_id.to_string() };
    // Not oneself, not the owner (unless by the owner), not another clinic's member.
    assert!(field(staff::set_active(&ctx.services, &admin, &member(&admin), false).await, "membership_id").contains("own access"));
    assert!(matches!(staff::set_active(&ctx.services, &admin, &member(&owner), false).await, Err(ServiceError::Forbidden)));
    assert!(matches!(staff::set_active(&ctx.services, &owner, &member(&b_owner), false).await, Err(ServiceError::NotFound)));
    let to_owner = RoleChangeForm { membership_id: nurse.membership_id.to_string(), role: "owner".into() };
    assert!(field(staff::change_role(&ctx.services, &owner, &to_owner).await, "role").contains("staff role"));
    // A nurse cannot manage staff; the refusal is audited.
    assert!(matches!(staff::reset_mfa(&ctx.services, &nurse, &member(&admin)).await, Err(ServiceError::Forbidden)));
    let trail = audit_entries(&ctx, &owner).await;
    assert!(trail.iter().any(|e| e.action == "staff.mfa_reset" && e.outcome == "denied"));
    assert!(trail.iter().any(|e| e.action == "staff.deactivate" && e.outcome == "denied"));
    // The admin changes the nurse's role: recorded with who, what, from where.
    let form = RoleChangeForm { membership_id: nurse.membership_id.to_string(), role: "billing".into() };
    staff::change_role(&ctx.services, &admin, &form).await.unwrap();
    let trail = audit_entries(&ctx, &owner).await;
    let change = trail.iter().find(|e| e.action == "staff.role_change" && e.outcome == "ok").unwrap();
    assert_eq!(change.actor_user_id, Some(admin.user_id.as_uuid()));
    assert!(change.detail.as_deref().unwrap().contains("nurse → billing"));
    assert_eq!(change.ip.as_deref(), Some("192.0.2.10"));
}

// 7 (service level) and the permission matrix: roles without a permission
// get 403 and the attempt is recorded.
async fn role_checks_refuse_and_audit(ctx: Ctx) {
    let (_, owner) = sign_up(&ctx, "A", "a@a.example").await;
    let (_, billing) = join(&ctx, &owner, "bill@a.example", "billing").await;
    let patient = patients::create(&ctx.services, &owner, &patient_form("Ana", "Alpha")).await.unwrap();
    let id = patient.id.to_string();
    assert!(matches!(patients::update(&ctx.services, &billing, &id, &patient_form("X", "Y")).await, Err(ServiceError::Forbidden)));
    assert!(matches!(patients::create(&ctx.services, &billing, &patient_form("X", "Y")).await, Err(ServiceError::Forbidden)));
    let audit_form = ambula_domain::security::AuditFilterForm::default();
    assert!(matches!(ambula_backend::services::audit_log::search(&ctx.services, &billing, &audit_form).await, Err(ServiceError::Forbidden)));
    assert_eq!(patients::get(&ctx.services, &owner, &id).await.unwrap().family_name, "Alpha", "unchanged");
    let trail = audit_entries(&ctx, &owner).await;
    let denied: Vec<&str> = trail.iter().filter(|e| e.outcome == "denied").map(|e| e.action.as_str()).collect();
    for action in ["patient.update", "patient.create", "audit.search"] {
        assert!(denied.contains(&action), "{action} not recorded: {denied:?}");
    }
    // Every read of the record is in the trail, with the patient.
    assert!(trail.iter().any(|e| e.action == "patient.read" && e.patient_id == Some(patient.id.as_uuid())));
    // Export needs the export permission and is itself audited.
    let csv = ambula_backend::services::audit_log::export_csv(&ctx.services, &owner, &audit_form).await.unwrap();
    assert!(csv.starts_with("seq,at_utc,actor"));
    assert!(csv.contains("patient.read"));
    assert!(audit_entries(&ctx, &owner).await.iter().any(|e| e.action == "audit.export"));
}

async fn security_events_reach_the_user_and_the_clinic(ctx: Ctx) {
    let (_, owner) = sign_up(&ctx, "A", "a@a.example").await;
    let (_, nurse) = join(&ctx, &owner, "n@a.example", "nurse").await;
    let _ = login(&ctx, "n@a.example", "not the password").await;
    login(&ctx, "n@a.example", PASSWORD).await.unwrap();
    let mine = accounts::my_security_events(&ctx.services, &nurse).await.unwrap();
    let kinds: Vec<&str> = mine.iter().map(|e| e.kind.as_str()).collect();
    assert!(kinds.contains(&"sign_in_failed") && kinds.contains(&"sign_in"), "{kinds:?}");
    assert!(mine.iter().all(|e| e.ip.as_deref() == Some("192.0.2.10")));
    let clinic = accounts::clinic_security_events(&ctx.services, &owner).await.unwrap();
    assert!(clinic.iter().any(|e| e.kind == "sign_in_failed" && e.user_name.as_deref() == Some("Joao Silva")));
    assert!(matches!(accounts::clinic_security_events(&ctx.services, &nurse).await, Err(ServiceError::Forbidden)));
    // Another clinic's admin sees none of it.
    let (_, b) = sign_up(&ctx, "B", "b@b.example").await;
    let theirs = accounts::clinic_security_events(&ctx.services, &b).await.unwrap();
    assert!(theirs.iter().all(|e| e.user_name.as_deref() != Some("Joao Silva")));
}

async fn clinic_switching_reissues_the_session(ctx: Ctx) {
    let (_, a_owner) = sign_up(&ctx, "A", "a@a.example").await;
    let (b_token, b_owner) = sign_up(&ctx, "B", "b@b.example").await;
    // Ana of clinic B is also a nurse at A (an existing account joins A,
    // signed in: never through the link alone).
    let sent = accounts::invite(&ctx.services, &a_owner, &InviteForm { email: "b@b.example".into(), role: "nurse".into() }).await.unwrap();
    let token = sent.link.rsplit('/').next().unwrap().to_owned();
    let joined = accounts::accept_invite_signed_in(&ctx.services, &b_owner, &token, &b_token).await.unwrap();
    let at_a = with_client(auth::authenticate(&ctx.services, &joined.token).await.unwrap());
    assert_eq!(at_a.scope, a_owner.scope);
    let clinics = accounts::clinics_of(&ctx.services, &at_a).await.unwrap();
    assert_eq!(clinics.len(), 2);
    let switched = auth::switch_clinic(&ctx.services, &at_a, &joined.token, b_owner.scope.clinic_id().as_uuid()).await.unwrap();
    assert_ne!(switched.token, joined.token);
    assert!(auth::authenticate(&ctx.services, &joined.token).await.is_err());
    let at_b = auth::authenticate(&ctx.services, &switched.token).await.unwrap();
    assert_eq!((at_b.scope.clone(), at_b.role), (b_owner.scope.clone(), Role::Owner));
    // A clinic the user does not belong to: 404.
    let (_, c_owner) = sign_up(&ctx, "C", "c@c.example").await;
    let at_b = with_client(at_b);
    assert!(matches!(
        auth::switch_clinic(&ctx.services, &at_b, &switched.token, c_owner.scope.clinic_id().as_uuid()).await,
        Err(ServiceError::NotFound)
    ));
}

// 14, 16. Search and identifiers are data, never SQL; dates are strict.
async fn search_input_is_bounded_and_literal(ctx: Ctx) {
    let (_, owner) = sign_up(&ctx, "A", "a@a.example").await;
    patients::create(&ctx.services, &owner, &patient_form("Ana", "Alpha")).await.unwrap();
    patients::create(&ctx.services, &owner, &patient_form("Percy", "100% Real")).await.unwrap();
    let search = |q: &str, sort: &str| {
        let form = PatientSearchForm { q: q.into(), sort: sort.into() };
        let (services, owner) = (&ctx.services, &owner);
        async move { patients::search(services, owner, &form).await }
    };
    assert!(search("' OR 1=1--", "").await.unwrap().is_empty());
    assert!(search("x'; DROP TABLE patients;--", "").await.unwrap().is_empty());
    assert_eq!(search("%", "").await.unwrap().len(), 0, "% is a literal, not a wildcard");
    assert_eq!(search("100%", "").await.unwrap().len(), 1);
    assert_eq!(search("al", "name").await.unwrap().len(), 1);
    assert!(field(search(&"%".repeat(10_000), "").await, "q").contains("at most"));
    assert!(field(search("a", "(SELECT 1)").await, "sort").contains("Sort by"));
    assert_eq!(search("", "newest").await.unwrap().len(), 2, "the table is intact");
    for (bad, message) in [("2024-02-30", "does not exist"), ("2024-13-01", "month"), ("2099-01-01", "future"), ("1984-03-12T25:61", "YYYY-MM-DD")] {
        let form = PatientForm { date_of_birth: bad.into(), ..patient_form("Ana", "Beta") };
        assert!(field(patients::create(&ctx.services, &owner, &form).await, "date_of_birth").contains(message), "{bad}");
    }
    let huge = PatientForm { given_name: "x".repeat(1_000_000), ..patient_form("Ana", "Beta") };
    assert!(matches!(patients::create(&ctx.services, &owner, &huge).await, Err(ServiceError::Invalid(_))));
    assert_eq!(search("", "").await.unwrap().len(), 2, "nothing half-written");
}

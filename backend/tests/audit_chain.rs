//! The audit trail against someone who can write to the database (its
//! owner, a restored backup) but does not hold the audit key: every attack
//! on SQLite and PostgreSQL. Each attack is first shown to get past a
//! chain-only check (what `verify-audit` did before checkpoints), then to
//! be caught against the signed checkpoint outside the database.

use ambula_backend::{
    audit::{self, checkpoint::CheckpointDir, Actor, Entry, StoredEntry, CHAIN_HMAC, CHAIN_SHA256},
    on_tx,
    services::{
        accounts,
        audit_checkpoints::{self, Outcome},
        audit_log::{self, ChainReport},
        auth, patients, ClientInfo,
    },
    AuditKey, AuthContext, Db, Services,
};
use ambula_domain::{
    accounts::{LoginForm, SignupForm},
    patients::PatientForm,
};
use ambula_testkit::{Kind, SmtpSink, TestDb};
use uuid::Uuid;

ambula_testkit::on_both_backends!(
    new_entries_are_hmac_chained_and_checkpointed,
    tail_deleted_by_the_owner_is_reported_against_the_checkpoint,
    hashes_recomputed_without_the_key_are_reported,
    forged_checkpoints_are_reported_and_never_overwritten,
    concurrent_writers_never_fork_the_chain,
    security_events_are_append_only_and_clinic_isolated,
);

struct Ctx {
    services: Services,
    owner_db: Db,
    kind: Kind,
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
    case(Ctx { services, owner_db: owner_db.clone(), kind }).await;
    owner_db.close().await;
    db.cleanup().await;
}

const PASSWORD: &str = "tide pools at dawn";

fn client() -> ClientInfo {
    ClientInfo { ip: Some("192.0.2.10".into()), user_agent: Some("audit-chain-test".into()) }
}

async fn sign_up(ctx: &Ctx, clinic: &str, email: &str) -> AuthContext {
    let form = SignupForm {
        clinic_name: clinic.into(),
        time_zone: "Europe/Lisbon".into(),
        owner_name: "Ana Costa".into(),
        email: email.into(),
        password: PASSWORD.into(),
        confirm_adult: Some("on".into()),
    };
    let signed = accounts::sign_up(&ctx.services, &form, &client()).await.expect("sign up");
    let mut context = auth::authenticate(&ctx.services, &signed.token).await.expect("authenticate");
    context.client = client();
    context
}

/// A clinic with a few entries in its trail.
async fn busy_clinic(ctx: &Ctx, name: &str, email: &str) -> AuthContext {
    let who = sign_up(ctx, name, email).await;
    for n in 0..4 {
        let form = PatientForm {
            given_name: "Ana".into(),
            family_name: format!("{name}{n}"),
            date_of_birth: "1984-03-12".into(),
            ..Default::default()
        };
        patients::create(&ctx.services, &who, &form).await.expect("patient created");
    }
    who
}

fn clinic(who: &AuthContext) -> Uuid {
    who.scope.clinic_id().as_uuid()
}

fn dir(ctx: &Ctx) -> CheckpointDir {
    ctx.services.audit_checkpoints.clone().expect("the testkit sets a checkpoint directory")
}

async fn checkpoint_now(ctx: &Ctx) -> Vec<(Uuid, Outcome)> {
    audit_checkpoints::checkpoint_all(&ctx.services).await.expect("checkpoint pass").expect("a checkpoint directory")
}

fn report_of(reports: &[ChainReport], clinic: Uuid) -> ChainReport {
    reports.iter().find(|r| r.clinic_id == clinic).cloned().unwrap_or_else(|| panic!("no report for {clinic}: {reports:?}"))
}

/// `verify-audit` as it was before checkpoints: the chains alone.
async fn chain_only(ctx: &Ctx, who: &AuthContext) -> Result<u64, audit::Break> {
    let mut services = ctx.services.clone();
    services.audit_checkpoints = None;
    report_of(&audit_log::verify_all(&services).await.expect("verify"), clinic(who)).result
}

async fn against_checkpoint(ctx: &Ctx, who: &AuthContext) -> Result<u64, audit::Break> {
    report_of(&audit_log::verify_all(&ctx.services).await.expect("verify"), clinic(who)).result
}

/// Every entry of the clinic, in order, as stored.
async fn entries(db: &Db, who: &AuthContext) -> Vec<StoredEntry> {
    let mut tx = db.read_in(&who.scope).await.expect("read");
    let filter = audit::Filter { sort: audit::Sort::Oldest, limit: 100_000, ..Default::default() };
    audit::search(&mut tx, &who.scope, &filter).await.expect("entries")
}

async fn owner_exec(ctx: &Ctx, sqls: &[&str]) {
    let mut tx = ctx.owner_db.write().await.expect("owner tx");
    for sql in sqls {
        on_tx!(&mut tx, c => sqlx::query(sql).execute(c).await.map(|r| r.rows_affected())).unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    tx.commit().await.expect("owner commit");
}

/// The owner switches the append-only triggers off (they can).
async fn disable_audit_triggers(ctx: &Ctx) {
    match ctx.kind {
        Kind::Postgres => owner_exec(ctx, &["ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change"]).await,
        Kind::Sqlite => owner_exec(ctx, &["DROP TRIGGER audit_events_no_update", "DROP TRIGGER audit_events_no_delete"]).await,
    }
}

async fn new_entries_are_hmac_chained_and_checkpointed(ctx: Ctx) {
    let a = busy_clinic(&ctx, "Alpha", "a@a.example").await;
    let trail = entries(&ctx.services.db, &a).await;
    assert!(trail.len() >= 5, "{trail:?}");
    assert!(trail.iter().all(|e| e.chain_version == CHAIN_HMAC));
    for pair in trail.windows(2) {
        assert_eq!(pair[1].prev_hash, pair[0].hash);
    }
    // Not a plain SHA-256 any more: the hash needs the key.
    let first = &trail[0];
    assert_ne!(first.hash, audit::sha256_chain_hash(&first.prev_hash, &audit::canonical_text(clinic(&a), first)));
    assert_eq!(against_checkpoint(&ctx, &a).await, Ok(trail.len() as u64));
    let written = checkpoint_now(&ctx).await;
    let Some((_, Outcome::Written(checkpoint))) = written.iter().find(|(c, _)| *c == clinic(&a)) else {
        panic!("no checkpoint written: {written:?}");
    };
    assert_eq!((checkpoint.head_seq, checkpoint.entry_count), (trail.len() as i64, trail.len() as i64));
    assert_eq!(checkpoint.head_hash, trail[trail.len() - 1].hash);
    let file = dir(&ctx).file_for(clinic(&a));
    assert!(file.exists(), "{}", file.display());
    assert_eq!(dir(&ctx).read(&ctx.services.audit_key, clinic(&a)), Ok(Some(checkpoint.clone())));
    // The chain grows past its checkpoint and still verifies against it.
    busy_clinic(&ctx, "Beta", "b@b.example").await;
    patients::create(&ctx.services, &a, &PatientForm { given_name: "Rui".into(), family_name: "Later".into(), date_of_birth: "1990-01-01".into(), ..Default::default() }).await.expect("created");
    let report = report_of(&audit_log::verify_all(&ctx.services).await.expect("verify"), clinic(&a));
    assert_eq!(report.result, Ok(trail.len() as u64 + 1));
    assert_eq!(report.checkpoint_at, Some(checkpoint.written_at));
    // A chain written before the audit key (version 1, plain SHA-256) still
    // verifies, and HMAC'd entries may follow it: recompute A's first
    // entries the old way, as the previous version wrote them.
    disable_audit_triggers(&ctx).await;
    std::fs::remove_file(&file).expect("checkpoint removed");
    let all = entries(&ctx.owner_db, &a).await;
    rewrite(&ctx, &a, &all[..3], CHAIN_SHA256, None).await;
    // The fourth entry's prev_hash no longer matches: rechain it with the key.
    let rest = entries(&ctx.owner_db, &a).await;
    let mut prev = rest[2].hash.clone();
    let key = ctx.services.audit_key.clone();
    for e in &rest[3..] {
        let mut e = e.clone();
        e.prev_hash = prev;
        e.hash = key.chain_mac(&e.prev_hash, &audit::canonical_text(clinic(&a), &e));
        store(&ctx, &a, &e).await;
        prev = e.hash;
    }
    assert_eq!(against_checkpoint(&ctx, &a).await, Ok(all.len() as u64), "legacy prefix then HMAC entries");
}

/// Writes `e` back over the stored entry with the same seq.
async fn store(ctx: &Ctx, who: &AuthContext, e: &StoredEntry) {
    let mut tx = ctx.owner_db.write().await.expect("owner tx");
    on_tx!(&mut tx, c => sqlx::query(
        "UPDATE audit_events SET detail = $1, prev_hash = $2, hash = $3, chain_version = $4 WHERE clinic_id = $5 AND seq = $6"
    )
    .bind(&e.detail).bind(&e.prev_hash).bind(&e.hash).bind(e.chain_version).bind(clinic(who)).bind(e.seq)
    .execute(c).await.map(|r| r.rows_affected())).expect("rewritten");
    tx.commit().await.expect("owner commit");
}

/// What an attacker without the key can do: rewrite entries and recompute
/// every hash from the first with plain SHA-256, labelled `version`.
async fn rewrite(ctx: &Ctx, who: &AuthContext, trail: &[StoredEntry], version: i32, edit: Option<(i64, &str)>) {
    let mut prev = audit::GENESIS.to_owned();
    for e in trail {
        let mut e = e.clone();
        if let Some((seq, detail)) = edit {
            if e.seq == seq {
                e.detail = Some(detail.to_owned());
            }
        }
        e.chain_version = version;
        e.prev_hash = prev;
        e.hash = audit::sha256_chain_hash(&e.prev_hash, &audit::canonical_text(clinic(who), &e));
        store(ctx, who, &e).await;
        prev = e.hash;
    }
}

// (a) The owner deletes the last entries: each remaining one still chains
// on, so the chain alone looks intact; the checkpoint counted more.
async fn tail_deleted_by_the_owner_is_reported_against_the_checkpoint(ctx: Ctx) {
    let a = busy_clinic(&ctx, "Alpha", "a@a.example").await;
    let b = busy_clinic(&ctx, "Beta", "b@b.example").await;
    let before = entries(&ctx.services.db, &a).await.len() as i64;
    checkpoint_now(&ctx).await;
    disable_audit_triggers(&ctx).await;
    let mut tx = ctx.owner_db.write().await.expect("owner tx");
    on_tx!(&mut tx, c => sqlx::query("DELETE FROM audit_events WHERE clinic_id = $1 AND seq > $2")
        .bind(clinic(&a)).bind(before - 2).execute(c).await.map(|r| r.rows_affected())).expect("deleted");
    tx.commit().await.expect("owner commit");
    assert_eq!(entries(&ctx.services.db, &a).await.len() as i64, before - 2, "the tail is gone");
    assert_eq!(chain_only(&ctx, &a).await, Ok(before as u64 - 2), "the chain alone does not notice");
    let broken = against_checkpoint(&ctx, &a).await.expect_err("reported against the checkpoint");
    assert!(broken.reason.contains("deleted from the end"), "{broken:?}");
    assert!(broken.reason.contains(&format!("counted {before} entries")), "{broken:?}");
    assert_eq!(broken.seq, before - 1);
    assert!(against_checkpoint(&ctx, &b).await.is_ok(), "the other clinic is fine");
    // New entries after the deletion do not hide it (seq numbers are reused).
    for n in 0..3 {
        patients::create(&ctx.services, &a, &PatientForm { given_name: "Eve".into(), family_name: format!("After{n}"), date_of_birth: "1990-01-01".into(), ..Default::default() }).await.expect("created");
    }
    let broken = against_checkpoint(&ctx, &a).await.expect_err("still reported");
    assert!(broken.reason.contains("rewritten"), "{broken:?}");
    // The checkpoint is not overwritten with the truncated chain.
    let kept = dir(&ctx).read(&ctx.services.audit_key, clinic(&a)).expect("valid").expect("present");
    let outcomes = checkpoint_now(&ctx).await;
    assert!(matches!(outcomes.iter().find(|(c, _)| *c == clinic(&a)), Some((_, Outcome::Refused(_)))), "{outcomes:?}");
    assert_eq!(dir(&ctx).read(&ctx.services.audit_key, clinic(&a)).expect("valid"), Some(kept));
}

// (b) The owner edits an entry and recomputes every hash with plain SHA-256.
async fn hashes_recomputed_without_the_key_are_reported(ctx: Ctx) {
    let a = busy_clinic(&ctx, "Alpha", "a@a.example").await;
    let trail = entries(&ctx.services.db, &a).await;
    checkpoint_now(&ctx).await;
    disable_audit_triggers(&ctx).await;
    // Kept as HMAC entries: the MAC does not match without the key, even
    // with no checkpoint at all.
    rewrite(&ctx, &a, &trail, CHAIN_HMAC, Some((2, "nothing to see"))).await;
    let broken = chain_only(&ctx, &a).await.expect_err("HMAC mismatch");
    assert_eq!(broken.seq, 1, "{broken:?}");
    assert!(broken.reason.contains("HMAC"), "{broken:?}");
    assert!(against_checkpoint(&ctx, &a).await.is_err());
    // Relabelled as legacy SHA-256 entries, the chain alone is consistent
    // (nothing inside the database tells it from a pre-key chain) …
    rewrite(&ctx, &a, &trail, CHAIN_SHA256, Some((2, "nothing to see"))).await;
    assert_eq!(chain_only(&ctx, &a).await, Ok(trail.len() as u64), "undetectable without a checkpoint");
    // … but its head no longer has the checkpointed hash.
    let broken = against_checkpoint(&ctx, &a).await.expect_err("reported");
    assert_eq!(broken.seq, trail.len() as i64, "{broken:?}");
    assert!(broken.reason.contains("rewritten"), "{broken:?}");
    let outcomes = checkpoint_now(&ctx).await;
    assert!(matches!(outcomes.iter().find(|(c, _)| *c == clinic(&a)), Some((_, Outcome::Refused(_)))), "{outcomes:?}");
    // An intact clinic: a plain SHA-256 entry forged onto the end of an
    // HMAC chain is refused even without a checkpoint (versions never go
    // down), and checkpointing refuses it too.
    let b = busy_clinic(&ctx, "Beta", "b@b.example").await;
    checkpoint_now(&ctx).await;
    let head = entries(&ctx.services.db, &b).await.pop().expect("entries");
    let mut forged = head.clone();
    forged.seq += 1;
    forged.id = Uuid::now_v7();
    forged.prev_hash = head.hash.clone();
    forged.chain_version = CHAIN_SHA256;
    forged.detail = Some("appended behind the server's back".into());
    forged.hash = audit::sha256_chain_hash(&forged.prev_hash, &audit::canonical_text(clinic(&b), &forged));
    insert(&ctx, &b, &forged).await;
    let broken = chain_only(&ctx, &b).await.expect_err("a downgrade");
    assert_eq!(broken.seq, forged.seq, "{broken:?}");
    assert!(broken.reason.contains("plain SHA-256"), "{broken:?}");
    let outcomes = checkpoint_now(&ctx).await;
    assert!(matches!(outcomes.iter().find(|(c, _)| *c == clinic(&b)), Some((_, Outcome::Refused(_)))), "{outcomes:?}");
}

/// Adds an entry behind the application's back (the owner can insert).
async fn insert(ctx: &Ctx, who: &AuthContext, e: &StoredEntry) {
    let mut tx = ctx.owner_db.write().await.expect("owner tx");
    on_tx!(&mut tx, c => sqlx::query(
        "INSERT INTO audit_events (clinic_id, id, seq, at, actor_user_id, actor_name, action, outcome, patient_id,
                                   entity, entity_id, ip, detail, break_glass, prev_hash, hash, chain_version)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
    )
    .bind(clinic(who)).bind(e.id).bind(e.seq).bind(e.at).bind(e.actor_user_id).bind(&e.actor_name).bind(&e.action)
    .bind(&e.outcome).bind(e.patient_id).bind(&e.entity).bind(&e.entity_id).bind(&e.ip).bind(&e.detail)
    .bind(e.break_glass).bind(&e.prev_hash).bind(&e.hash).bind(e.chain_version)
    .execute(c).await.map(|r| r.rows_affected())).expect("inserted");
    tx.commit().await.expect("owner commit");
}

// (c) The checkpoint file itself is edited, or re-signed without the key.
async fn forged_checkpoints_are_reported_and_never_overwritten(ctx: Ctx) {
    let a = busy_clinic(&ctx, "Alpha", "a@a.example").await;
    let count = entries(&ctx.services.db, &a).await.len();
    checkpoint_now(&ctx).await;
    let file = dir(&ctx).file_for(clinic(&a));
    let genuine = std::fs::read_to_string(&file).expect("checkpoint");
    // Lowered by hand to match a truncated chain: the signature fails.
    let lowered = genuine.replace(&format!("\"head_seq\": {count}"), "\"head_seq\": 2").replace(&format!("\"entry_count\": {count}"), "\"entry_count\": 2");
    assert_ne!(lowered, genuine);
    std::fs::write(&file, &lowered).expect("forged");
    let broken = against_checkpoint(&ctx, &a).await.expect_err("bad signature reported");
    assert!(broken.reason.contains("bad signature"), "{broken:?}");
    // The writer keeps the forgery in place (and reports it) rather than
    // quietly replacing the evidence.
    let outcomes = checkpoint_now(&ctx).await;
    assert!(matches!(outcomes.iter().find(|(c, _)| *c == clinic(&a)), Some((_, Outcome::Refused(_)))), "{outcomes:?}");
    assert_eq!(std::fs::read_to_string(&file).expect("still there"), lowered);
    // Signed properly, but with a key of the attacker's own.
    let theirs = AuditKey::generate();
    std::fs::write(&file, &genuine).expect("restored");
    let valid = dir(&ctx).read(&ctx.services.audit_key, clinic(&a)).expect("genuine").expect("present");
    dir(&ctx).write(&theirs, &valid).expect("re-signed");
    let broken = against_checkpoint(&ctx, &a).await.expect_err("another key reported");
    assert!(broken.reason.contains("another audit key"), "{broken:?}");
    // The genuine one verifies again.
    std::fs::write(&file, &genuine).expect("restored");
    assert_eq!(against_checkpoint(&ctx, &a).await, Ok(count as u64));
    // A checkpoint for a clinic the database no longer has is reported.
    let mut ghost = valid.clone();
    ghost.clinic_id = Uuid::now_v7();
    dir(&ctx).write(&ctx.services.audit_key, &ghost).expect("written");
    let reports = audit_log::verify_all(&ctx.services).await.expect("verify");
    let missing = report_of(&reports, ghost.clinic_id).result.expect_err("reported");
    assert!(missing.reason.contains("no such clinic"), "{missing:?}");
}

// (d) Fifty transactions append to one clinic's chain at once.
async fn concurrent_writers_never_fork_the_chain(ctx: Ctx) {
    let a = sign_up(&ctx, "Alpha", "a@a.example").await;
    let base = entries(&ctx.services.db, &a).await.len();
    const WRITERS: usize = 50;
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..WRITERS {
        let (services, who) = (ctx.services.clone(), a.clone());
        tasks.spawn(async move {
            let mut tx = services.db.write_in(&who.scope).await?;
            audit::record(&mut tx, &who.scope, &Actor::from(&who), Entry::ok("test.concurrent", "test", n), services.now()).await?;
            // Hold the transaction open a little: a writer that read the
            // same head would now be inserting beside this one.
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            tx.commit().await?;
            Ok::<_, ambula_backend::ServiceError>(())
        });
    }
    while let Some(joined) = tasks.join_next().await {
        joined.expect("task").expect("every writer commits");
    }
    let trail = entries(&ctx.services.db, &a).await;
    assert_eq!(trail.len(), base + WRITERS);
    let seqs: Vec<i64> = trail.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=(base + WRITERS) as i64).collect::<Vec<_>>(), "no gaps, no duplicates");
    assert_eq!(trail[0].prev_hash, audit::GENESIS);
    for pair in trail.windows(2) {
        assert_eq!(pair[1].prev_hash, pair[0].hash, "entry {} chains on entry {}", pair[1].seq, pair[0].seq);
    }
    let mut ids: Vec<String> =
        trail.iter().filter(|e| e.action == "test.concurrent").filter_map(|e| e.entity_id.clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), WRITERS, "every writer's entry is there once");
    assert_eq!(against_checkpoint(&ctx, &a).await, Ok((base + WRITERS) as u64));
}

// (e) Security events: the application can add them but never change or
// delete them, and on PostgreSQL a clinic's transaction sees only its own.
async fn security_events_are_append_only_and_clinic_isolated(ctx: Ctx) {
    let a = sign_up(&ctx, "Alpha", "a@a.example").await;
    let b = sign_up(&ctx, "Beta", "b@b.example").await;
    for (email, password) in [("a@a.example", "wrong password here"), ("b@b.example", "wrong password here"), ("b@b.example", PASSWORD)] {
        let _ = auth::login(&ctx.services, &LoginForm { email: email.into(), password: password.into() }, &client(), None).await;
    }
    for sql in ["UPDATE security_events SET kind = 'nothing'", "DELETE FROM security_events"] {
        let mut tx = ctx.services.db.write_in(&a.scope).await.expect("tx");
        let error = on_tx!(&mut tx, c => sqlx::query(sql).execute(c).await.map(|r| r.rows_affected()))
            .expect_err("refused")
            .to_string();
        match ctx.kind {
            Kind::Postgres => assert!(error.contains("permission denied"), "{sql}: {error}"),
            Kind::Sqlite => assert!(error.contains("append-only"), "{sql}: {error}"),
        }
    }
    let mut tx = ctx.owner_db.read().await.expect("tx");
    let (all,): (i64,) = on_tx!(&mut tx, c => sqlx::query_as("SELECT count(*) FROM security_events").fetch_one(c).await).expect("count");
    drop(tx);
    assert_eq!(all, 3, "two failed sign-ins and one sign-in");
    // The services still show each their own.
    let mine = accounts::my_security_events(&ctx.services, &b).await.expect("own events");
    assert!(mine.iter().any(|e| e.kind == "sign_in_failed") && mine.iter().any(|e| e.kind == "sign_in"), "{mine:?}");
    let theirs = accounts::clinic_security_events(&ctx.services, &a).await.expect("clinic events");
    assert!(theirs.iter().any(|e| e.kind == "sign_in_failed"), "A's member's failed sign-in: {theirs:?}");
    if ctx.kind == Kind::Postgres {
        // Raw queries, no WHERE: A's transaction sees A's events and the
        // clinic-less ones of A's members, nothing of B.
        let b_user = b.user_id.as_uuid();
        let a_user = a.user_id.as_uuid();
        let mut tx = ctx.services.db.read_in(&a.scope).await.expect("tx");
        let rows: Vec<(Option<Uuid>, Option<Uuid>)> =
            on_tx!(&mut tx, c => sqlx::query_as("SELECT user_id, clinic_id FROM security_events").fetch_all(c).await).expect("rows");
        drop(tx);
        assert!(!rows.is_empty());
        assert!(rows.iter().all(|(user, clinic_id)| *user == Some(a_user) && (clinic_id.is_none() || *clinic_id == Some(clinic(&a)))), "{rows:?}");
        // No scope: nothing at all.
        let mut tx = ctx.services.db.read().await.expect("tx");
        let (none,): (i64,) = on_tx!(&mut tx, c => sqlx::query_as("SELECT count(*) FROM security_events").fetch_one(c).await).expect("count");
        drop(tx);
        assert_eq!(none, 0, "fails closed");
        // Nor can A's transaction add an event to B.
        let mut tx = ctx.services.db.write_in(&a.scope).await.expect("tx");
        let insert = on_tx!(&mut tx, c => sqlx::query(
            "INSERT INTO security_events (id, user_id, clinic_id, kind, at) VALUES ($1, $2, $3, 'forged', now())"
        ).bind(Uuid::now_v7()).bind(b_user).bind(clinic(&b)).execute(c).await.map(|r| r.rows_affected()));
        assert!(insert.is_err(), "WITH CHECK refuses an event for another clinic");
        let forced = {
            let mut tx = ctx.owner_db.read().await.expect("tx");
            let (forced,): (bool,) = on_tx!(&mut tx, c => sqlx::query_as(
                "SELECT relrowsecurity AND relforcerowsecurity FROM pg_class WHERE relname = 'security_events'"
            ).fetch_one(c).await).expect("pg_class");
            forced
        };
        assert!(forced, "forced row-level security");
    }
}

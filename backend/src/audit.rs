//! The audit trail: who did what to which record, when and from where.
//!
//! Entries are written in the same transaction as the change (or read) they
//! record, so there is never a change without its entry. Each clinic's
//! entries form a chain: every entry carries the hash of the one before it
//! and its own `hash` over both, so editing, deleting or reordering any
//! entry breaks every hash after it, and [`verify`] reports the first one.
//!
//! Chain versions (`chain_version`): 1, the original, is
//! `SHA-256(prev_hash ‖ canonical entry)`, which anyone who can write to the
//! database can recompute; 2, written since, is an HMAC-SHA256 under the
//! [`AuditKey`], which lives outside the database. Versions never go down
//! along a chain. Signed checkpoints outside the database ([`checkpoint`])
//! pin each chain's head, so deleting the tail is noticed too. The
//! application's database role cannot UPDATE or DELETE entries (PostgreSQL
//! grants and a trigger; SQLite triggers).

use crate::{
    db::Tx, error::ServiceError, on_tx, scope::{AuthContext, ClinicScope}, time::DbTime,
};
use chrono::SecondsFormat;
use sha2::{Digest, Sha256};
use uuid::Uuid;

pub mod checkpoint;
mod key;

pub use key::AuditKey;

/// `hash = SHA-256(prev_hash ‖ canonical)`: entries written before the audit key.
pub const CHAIN_SHA256: i32 = 1;
/// `hash = HMAC-SHA256(audit key, prev_hash ‖ canonical)`: every new entry.
pub const CHAIN_HMAC: i32 = 2;

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Denied,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Denied => "denied",
        }
    }
}

/// One thing that happened. `action` is a short verb phrase from a fixed
/// vocabulary (`patient.read`, `staff.role_change`, `audit.export`, …).
#[derive(Debug, Clone)]
pub struct Entry {
    pub action: &'static str,
    pub outcome: Outcome,
    pub patient_id: Option<Uuid>,
    pub entity: &'static str,
    pub entity_id: Option<String>,
    pub detail: Option<String>,
    pub break_glass: bool,
}

impl Entry {
    pub fn ok(action: &'static str, entity: &'static str, entity_id: impl ToString) -> Self {
        Self {
            action,
            outcome: Outcome::Ok,
            patient_id: None,
            entity,
            entity_id: Some(entity_id.to_string()),
            detail: None,
            break_glass: false,
        }
    }

    pub fn denied(action: &'static str, entity: &'static str, entity_id: impl ToString) -> Self {
        Self { outcome: Outcome::Denied, ..Self::ok(action, entity, entity_id) }
    }

    pub fn patient(mut self, patient: Uuid) -> Self {
        self.patient_id = Some(patient);
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn break_glass(mut self, flag: bool) -> Self {
        self.break_glass = flag;
        self
    }
}

/// Who did it. Operator commands have no user.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<Uuid>,
    pub name: String,
    pub ip: Option<String>,
}

impl From<&AuthContext> for Actor {
    fn from(ctx: &AuthContext) -> Self {
        Self { user_id: Some(ctx.user_id.as_uuid()), name: ctx.user_name.clone(), ip: ctx.client.ip.clone() }
    }
}

/// A stored entry, as read back.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredEntry {
    pub id: Uuid,
    pub seq: i64,
    pub at: DbTime,
    pub actor_user_id: Option<Uuid>,
    pub actor_name: String,
    pub action: String,
    pub outcome: String,
    pub patient_id: Option<Uuid>,
    pub entity: String,
    pub entity_id: Option<String>,
    pub ip: Option<String>,
    pub detail: Option<String>,
    pub break_glass: bool,
    pub prev_hash: String,
    pub hash: String,
    pub chain_version: i32,
}

/// The bytes that are hashed: every field, in a fixed order, as JSON (which
/// escapes and delimits unambiguously).
fn canonical(clinic: Uuid, e: &StoredEntry) -> String {
    serde_json::json!([
        e.chain_version,
        clinic,
        e.seq,
        e.id,
        e.at.0.to_rfc3339_opts(SecondsFormat::Micros, true),
        e.actor_user_id,
        e.actor_name,
        e.action,
        e.outcome,
        e.patient_id,
        e.entity,
        e.entity_id,
        e.ip,
        e.detail,
        e.break_glass,
    ])
    .to_string()
}

/// Version 1: plain SHA-256, kept to verify the entries written with it.
pub fn sha256_chain_hash(prev_hash: &str, canonical: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(canonical.as_bytes());
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The text an entry's hash covers (with `prev_hash` before it).
pub fn canonical_text(clinic: Uuid, e: &StoredEntry) -> String {
    canonical(clinic, e)
}

/// What `e.hash` must be, by its version; `None` for an unknown version.
fn expected_hash(key: &AuditKey, clinic: Uuid, e: &StoredEntry) -> Option<String> {
    let canonical = canonical(clinic, e);
    match e.chain_version {
        CHAIN_SHA256 => Some(sha256_chain_hash(&e.prev_hash, &canonical)),
        CHAIN_HMAC => Some(key.chain_mac(&e.prev_hash, &canonical)),
        _ => None,
    }
}

/// Appends an entry to the clinic's chain inside `tx`, MACed under the
/// audit key the transaction's database handle carries (`Services::new`
/// gives it the key). A transaction without one records nothing: the error
/// is a bug in the caller, never an unsealed entry.
pub async fn record(tx: &mut Tx, scope: &ClinicScope, actor: &Actor, entry: Entry, now: DbTime) -> Result<(), ServiceError> {
    let key = tx.audit_key().cloned().ok_or(ServiceError::Internal("audit entry outside a keyed transaction".into()))?;
    let clinic = scope.clinic_id().as_uuid();
    // Appends to one chain must be serial. SQLite write transactions are
    // (BEGIN IMMEDIATE); on PostgreSQL a transaction-scoped advisory lock
    // per clinic orders them without blocking other clinics.
    if let Tx::Postgres(t) = tx {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1::text, 7))")
            .bind(clinic.to_string())
            .execute(&mut **t)
            .await?;
    }
    let last: Option<(i64, String)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT seq, hash FROM audit_events WHERE clinic_id = $1 ORDER BY seq DESC LIMIT 1",
    )
    .bind(clinic)
    .fetch_optional(c)
    .await)?;
    let (seq, prev_hash) = match last {
        Some((seq, hash)) => (seq + 1, hash),
        None => (1, GENESIS.to_owned()),
    };
    let mut stored = StoredEntry {
        id: Uuid::now_v7(),
        seq,
        at: now,
        actor_user_id: actor.user_id,
        actor_name: actor.name.clone(),
        action: entry.action.to_owned(),
        outcome: entry.outcome.as_str().to_owned(),
        patient_id: entry.patient_id,
        entity: entry.entity.to_owned(),
        entity_id: entry.entity_id.map(|id| id.chars().take(200).collect()),
        ip: actor.ip.clone(),
        detail: entry.detail.map(|d| d.chars().take(2000).collect()),
        break_glass: entry.break_glass,
        prev_hash,
        hash: String::new(),
        chain_version: CHAIN_HMAC,
    };
    stored.hash = key.chain_mac(&stored.prev_hash, &canonical(clinic, &stored));
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO audit_events (clinic_id, id, seq, at, actor_user_id, actor_name, action, outcome, patient_id,
                                   entity, entity_id, ip, detail, break_glass, prev_hash, hash, chain_version)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
    )
    .bind(clinic)
    .bind(stored.id)
    .bind(stored.seq)
    .bind(stored.at)
    .bind(stored.actor_user_id)
    .bind(&stored.actor_name)
    .bind(&stored.action)
    .bind(&stored.outcome)
    .bind(stored.patient_id)
    .bind(&stored.entity)
    .bind(&stored.entity_id)
    .bind(&stored.ip)
    .bind(&stored.detail)
    .bind(stored.break_glass)
    .bind(&stored.prev_hash)
    .bind(&stored.hash)
    .bind(stored.chain_version)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Records a refused access in its own transaction (the request itself
/// changes nothing): "every denied access" is in the trail.
pub async fn record_denial(
    services: &crate::Services,
    ctx: &AuthContext,
    action: &'static str,
    entity: &'static str,
    entity_id: &str,
    patient: Option<Uuid>,
) -> Result<(), ServiceError> {
    let mut entry = Entry::denied(action, entity, entity_id);
    entry.patient_id = patient;
    let mut tx = services.db.write_in(&ctx.scope).await?;
    record(&mut tx, &ctx.scope, &Actor::from(ctx), entry, services.now()).await?;
    tx.commit().await?;
    Ok(())
}

const COLUMNS: &str = "id, seq, at, actor_user_id, actor_name, action, outcome, patient_id, entity, entity_id, ip, \
                       detail, break_glass, prev_hash, hash, chain_version";

/// Where a clinic's chain first fails to verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Break {
    pub seq: i64,
    pub reason: String,
}

/// A point of a chain fixed from outside the database (a checkpoint's head).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    pub seq: i64,
    pub hash: String,
}

/// How to walk a chain.
#[derive(Debug, Clone, Default)]
pub struct Walk {
    /// Start at this entry (which must still carry this hash) instead of the
    /// first: the entries before it were verified when it was checkpointed.
    pub from: Option<Anchor>,
    /// Every entry after this seq must be HMAC'd (a checkpoint was written
    /// after the audit key came in; a SHA-256 entry after it is a forgery).
    pub hmac_after: Option<i64>,
    /// Note the hash of the entry at this seq on the way.
    pub note: Option<i64>,
}

/// The end of a verified chain: `seq` 0 and [`GENESIS`] when it is empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub seq: i64,
    pub hash: String,
    /// The hash at [`Walk::note`], if that entry was walked.
    pub noted: Option<String>,
}

/// Walks one clinic's chain from the start with the transaction's audit
/// key; `Ok(count)` if intact.
pub async fn verify(tx: &mut Tx, scope: &ClinicScope) -> Result<Result<u64, Break>, ServiceError> {
    let key = tx.audit_key().cloned().ok_or(ServiceError::Internal("audit verification needs the audit key".into()))?;
    Ok(walk(tx, &key, scope, &Walk::default()).await?.map(|head| head.seq as u64))
}

/// Walks one clinic's chain as `how` says; `Ok(head)` if intact.
pub async fn walk(tx: &mut Tx, key: &AuditKey, scope: &ClinicScope, how: &Walk) -> Result<Result<Head, Break>, ServiceError> {
    let clinic = scope.clinic_id().as_uuid();
    let (mut expected_prev, mut after, mut version) = (GENESIS.to_owned(), 0i64, CHAIN_SHA256);
    let mut noted = None;
    if let Some(anchor) = &how.from {
        let found: Option<(String, i32)> = on_tx!(tx, c => sqlx::query_as(
            "SELECT hash, chain_version FROM audit_events WHERE clinic_id = $1 AND seq = $2"
        )
        .bind(clinic)
        .bind(anchor.seq)
        .fetch_optional(c)
        .await)?;
        let broken = |reason: String| Ok(Err(Break { seq: anchor.seq, reason }));
        match found {
            None => return broken(format!("entry {} (the head of the last checkpoint) is missing: entries were deleted", anchor.seq)),
            Some((hash, _)) if hash != anchor.hash => {
                return broken("its hash differs from the one checkpointed: the chain was rewritten".to_owned())
            }
            Some((hash, v)) => {
                (expected_prev, after, version) = (hash, anchor.seq, v);
                if how.note == Some(anchor.seq) {
                    noted = Some(expected_prev.clone());
                }
            }
        }
    }
    loop {
        let page: Vec<StoredEntry> = on_tx!(tx, c => sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM audit_events WHERE clinic_id = $1 AND seq > $2 ORDER BY seq LIMIT 1000"
        ))
        .bind(clinic)
        .bind(after)
        .fetch_all(c)
        .await)?;
        if page.is_empty() {
            return Ok(Ok(Head { seq: after, hash: expected_prev, noted }));
        }
        for entry in page {
            let broken = |reason: &str| Ok(Err(Break { seq: entry.seq, reason: reason.to_owned() }));
            if entry.seq != after + 1 {
                return Ok(Err(Break { seq: after + 1, reason: format!("entry {} is missing (next is {})", after + 1, entry.seq) }));
            }
            if entry.prev_hash != expected_prev {
                return broken("its previous-hash does not match the entry before it");
            }
            if entry.chain_version < version {
                return broken("it is hashed with plain SHA-256 after HMAC'd entries: recomputed without the audit key");
            }
            if entry.chain_version != CHAIN_HMAC && how.hmac_after.is_some_and(|seq| entry.seq > seq) {
                return broken("it is hashed with plain SHA-256 after a checkpoint: recomputed without the audit key");
            }
            match expected_hash(key, clinic, &entry) {
                None => return broken("its chain version is unknown"),
                Some(hash) if !key::same_mac(&hash, &entry.hash) => {
                    return broken(if entry.chain_version == CHAIN_HMAC {
                        "its content does not match its HMAC (altered, or recomputed without the audit key, or the wrong audit key)"
                    } else {
                        "its content does not match its hash (altered)"
                    })
                }
                Some(_) => {}
            }
            if how.note == Some(entry.seq) {
                noted = Some(entry.hash.clone());
            }
            version = entry.chain_version;
            expected_prev = entry.hash;
            after = entry.seq;
        }
    }
}

/// Sort orders the audit viewer offers: an allow-list, never a column name
/// from the request (OpenEMR CVE-2026-24908).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    Newest,
    Oldest,
    Actor,
    Action,
}

impl Sort {
    fn order_by(self) -> &'static str {
        match self {
            Sort::Newest => "seq DESC",
            Sort::Oldest => "seq ASC",
            Sort::Actor => "actor_name ASC, seq DESC",
            Sort::Action => "action ASC, seq DESC",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub actor_user_id: Option<Uuid>,
    pub patient_id: Option<Uuid>,
    pub action: Option<String>,
    pub from: Option<DbTime>,
    pub until: Option<DbTime>,
    pub sort: Sort,
    pub limit: i64,
    pub offset: i64,
}

pub async fn search(tx: &mut Tx, scope: &ClinicScope, filter: &Filter) -> Result<Vec<StoredEntry>, ServiceError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM audit_events
         WHERE clinic_id = $1
           AND ($2 IS NULL OR actor_user_id = $2)
           AND ($3 IS NULL OR patient_id = $3)
           AND ($4 IS NULL OR action = $4)
           AND ($5 IS NULL OR at >= $5)
           AND ($6 IS NULL OR at < $6)
         ORDER BY {} LIMIT $7 OFFSET $8",
        filter.sort.order_by()
    );
    Ok(on_tx!(tx, c => sqlx::query_as::<_, StoredEntry>(&sql)
        .bind(scope.clinic_id().as_uuid())
        .bind(filter.actor_user_id)
        .bind(filter.patient_id)
        .bind(filter.action.as_deref())
        .bind(filter.from)
        .bind(filter.until)
        .bind(filter.limit)
        .bind(filter.offset)
        .fetch_all(c)
        .await)?)
}

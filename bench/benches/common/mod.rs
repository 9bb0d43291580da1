//! What the chart and billing benchmarks share: settings from the
//! environment, a clinic signed up through the accounts service, multi-row
//! inserts for seeding (the same columns and values the repositories
//! write, many rows per statement, one transaction per clinic), and the
//! percentile table.
#![allow(dead_code)]

use ambula_backend::{
    db::Tx,
    on_tx,
    services::{accounts, auth, ClientInfo},
    time::DbTime,
    AuthContext, Services,
};
use ambula_domain::accounts::SignupForm;
use ambula_testkit::Kind;
use chrono::NaiveDate;
use std::time::Duration;
use uuid::Uuid;

pub fn client() -> ClientInfo {
    ClientInfo { ip: Some("127.0.0.1".into()), user_agent: Some("ambula-bench".into()) }
}

/// A positive number from the environment, or `default`.
pub fn number(name: &str, default: usize) -> Result<usize, String> {
    match std::env::var(name) {
        Ok(raw) => raw.trim().parse::<usize>().ok().filter(|n| *n > 0).ok_or(format!("{name} must be a positive number, got {raw:?}")),
        Err(_) => Ok(default),
    }
}

/// AMBULA_BENCH_BACKENDS ("sqlite,postgres" by default).
pub fn backends() -> Result<Vec<Kind>, String> {
    let raw = std::env::var("AMBULA_BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    raw.split(',')
        .map(|b| match b.trim() {
            "sqlite" => Ok(Kind::Sqlite),
            "postgres" => Ok(Kind::Postgres),
            other => Err(format!("AMBULA_BENCH_BACKENDS: unknown backend {other:?} (sqlite, postgres)")),
        })
        .collect()
}

/// A clinic and its owner, signed up through the accounts service (the
/// clinic's data key, counters and settings as a real sign-up makes them).
pub async fn sign_up(services: &Services, name: &str, email: &str, zone: &str) -> AuthContext {
    let form = SignupForm {
        clinic_name: name.into(),
        time_zone: zone.into(),
        owner_name: "Bench Owner".into(),
        email: email.into(),
        password: "a long bench passphrase".into(),
        confirm_adult: Some("on".into()),
    };
    let signed = accounts::sign_up(services, &form, &client()).await.expect("sign up");
    auth::authenticate(services, &signed.token).await.expect("session")
}

/// A value to bind in a multi-row insert.
#[derive(Debug, Clone)]
pub enum V {
    U(Uuid),
    OU(Option<Uuid>),
    S(String),
    OS(Option<String>),
    B(Vec<u8>),
    OB(Option<Vec<u8>>),
    T(DbTime),
    OT(Option<DbTime>),
    D(NaiveDate),
    OD(Option<NaiveDate>),
    I(i64),
    OI(Option<i64>),
    I32(i32),
    OI32(Option<i32>),
    Bool(bool),
}

pub fn s(v: impl Into<String>) -> V {
    V::S(v.into())
}

pub fn os(v: Option<impl Into<String>>) -> V {
    V::OS(v.map(Into::into))
}

/// At most this many bound values per statement (SQLite allows 32,766,
/// PostgreSQL 65,535).
const MAX_BINDS: usize = 30_000;

/// `($1, $2, …), (…)` on PostgreSQL; `(?, ?, …), (…)` on SQLite, whose
/// parser looks each `$n` name up in a list (quadratic in the number of
/// parameters: minutes for a 30,000-value statement), while plain `?` are
/// numbered in order.
fn values_sql(tx: &Tx, columns: usize, rows: usize, first: usize) -> String {
    let sqlite = matches!(tx, Tx::Sqlite(_));
    let mut sql = String::with_capacity(rows * columns * 6);
    let mut n = first;
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..columns {
            if c > 0 {
                sql.push_str(", ");
            }
            if sqlite {
                sql.push('?');
            } else {
                sql.push('$');
                sql.push_str(&n.to_string());
            }
            n += 1;
        }
        sql.push(')');
    }
    sql
}

async fn execute(tx: &mut Tx, sql: &str, values: &[&V], context: &str) {
    let result = on_tx!(tx, c => {
        let mut q = sqlx::query(sql);
        for v in values {
            q = match v {
                V::U(x) => q.bind(*x),
                V::OU(x) => q.bind(*x),
                V::S(x) => q.bind(x.clone()),
                V::OS(x) => q.bind(x.clone()),
                V::B(x) => q.bind(x.clone()),
                V::OB(x) => q.bind(x.clone()),
                V::T(x) => q.bind(*x),
                V::OT(x) => q.bind(*x),
                V::D(x) => q.bind(*x),
                V::OD(x) => q.bind(*x),
                V::I(x) => q.bind(*x),
                V::OI(x) => q.bind(*x),
                V::I32(x) => q.bind(*x),
                V::OI32(x) => q.bind(*x),
                V::Bool(x) => q.bind(*x),
            };
        }
        q.execute(c).await.map(|r| r.rows_affected())
    });
    if let Err(e) = result {
        panic!("{context}: {e}");
    }
}

/// `INSERT INTO table (columns) VALUES (…), (…), …` in as few statements
/// as the bind limits allow, inside the caller's transaction.
pub async fn insert_rows(tx: &mut Tx, table: &str, columns: &[&str], rows: &[Vec<V>]) {
    if rows.is_empty() {
        return;
    }
    let per = (MAX_BINDS / columns.len()).clamp(1, 2_000);
    for chunk in rows.chunks(per) {
        for row in chunk {
            assert_eq!(row.len(), columns.len(), "{table}: a row has {} values for {} columns", row.len(), columns.len());
        }
        let sql = format!("INSERT INTO {table} ({}) VALUES {}", columns.join(", "), values_sql(tx, columns.len(), chunk.len(), 1));
        let values: Vec<&V> = chunk.iter().flatten().collect();
        execute(tx, &sql, &values, &format!("insert into {table}")).await;
    }
}

/// `UPDATE table SET a = v.column2, … FROM (VALUES (id, a, …), …) AS v
/// WHERE table.clinic_id = $n AND table.id = v.column1`: one statement
/// per chunk of rows, each row `[id, values of set…]` (both databases name
/// the columns of a VALUES list column1, column2, …).
pub async fn update_rows(tx: &mut Tx, table: &str, clinic: Uuid, set: &[&str], extra_where: &str, rows: &[Vec<V>]) {
    let columns = set.len() + 1;
    let per = (MAX_BINDS / columns).clamp(1, 2_000);
    for chunk in rows.chunks(per) {
        let assignments: Vec<String> = set.iter().enumerate().map(|(i, c)| format!("{c} = v.column{}", i + 2)).collect();
        // The clinic is the last value bound, after the VALUES list.
        let clinic_param = match tx {
            Tx::Sqlite(_) => "?".to_owned(),
            Tx::Postgres(_) => format!("${}", chunk.len() * columns + 1),
        };
        let sql = format!(
            "UPDATE {table} SET {} FROM (VALUES {}) AS v WHERE {table}.clinic_id = {clinic_param} AND {table}.id = v.column1{extra_where}",
            assignments.join(", "),
            values_sql(tx, columns, chunk.len(), 1)
        );
        let clinic_value = V::U(clinic);
        let mut values: Vec<&V> = chunk.iter().flatten().collect();
        values.push(&clinic_value);
        execute(tx, &sql, &values, &format!("update {table}")).await;
    }
}

/// Runs one statement as is (counters, settings).
pub async fn exec(tx: &mut Tx, sql: &str, values: &[V]) {
    let refs: Vec<&V> = values.iter().collect();
    execute(tx, sql, &refs, sql).await;
}

/// ANALYZE as the owner on PostgreSQL (what autovacuum does after a bulk
/// load; the figures are for a database in its steady state). SQLite is
/// left as the application leaves it: the application never runs ANALYZE.
pub async fn analyze(kind: Kind, owner_url: &str) {
    if kind == Kind::Postgres {
        let pool = sqlx::PgPool::connect(owner_url).await.expect("owner connects");
        sqlx::query("ANALYZE").execute(&pool).await.expect("analyze");
        pool.close().await;
    }
}

/// Removes the benchmark's database, unless AMBULA_BENCH_KEEP is set (to
/// look at plans afterwards; then drop it by hand).
pub async fn cleanup(kind: Kind, db: ambula_testkit::TestDb) {
    if std::env::var_os("AMBULA_BENCH_KEEP").is_some() {
        eprintln!("{kind:?}: AMBULA_BENCH_KEEP: the database stays at {}", db.owner_url);
        db.db.close().await;
    } else {
        db.cleanup().await;
    }
}

pub struct Figures {
    pub name: &'static str,
    pub samples: Vec<Duration>,
}

impl Figures {
    pub fn new(name: &'static str) -> Self {
        Self { name, samples: Vec::new() }
    }

    pub fn percentile(&self, p: usize) -> Duration {
        let mut sorted = self.samples.clone();
        sorted.sort();
        if sorted.is_empty() {
            return Duration::ZERO;
        }
        let i = ((sorted.len() * p).div_ceil(100)).saturating_sub(1).min(sorted.len() - 1);
        sorted[i]
    }

    pub fn max(&self) -> Duration {
        self.samples.iter().max().copied().unwrap_or_default()
    }
}

pub fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

pub fn print_header() {
    println!("| backend | operation | p50 ms | p99 ms | max ms |");
    println!("|---|---|---:|---:|---:|");
}

pub fn print_figures(kind: Kind, figures: &[Figures]) {
    for f in figures {
        println!("| {kind:?} | {} | {} | {} | {} |", f.name, ms(f.percentile(50)), ms(f.percentile(99)), ms(f.max()));
    }
}

/// A tiny deterministic generator: the same run picks the same clinics and
/// patients, so two runs (or two backends) measure the same work.
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next(&mut self, bound: usize) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % bound.max(1)
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: usize) -> bool {
        self.next(100) < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.next(items.len())]
    }
}

/// The load average (1, 5, 15 minutes) from /proc/loadavg, for the report.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

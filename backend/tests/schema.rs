//! The tenancy rule, checked against the real migrated schema of both
//! backends: every clinic-owned table is keyed (clinic_id, id) and every
//! foreign key to a clinic-owned table carries clinic_id. That is what makes
//! cross-clinic references impossible and lets Citus distribute by clinic.

use ambula_backend::{on_tx, Db};
use ambula_testkit::{Kind, TestDb};

/// Tables that are not owned by one clinic, and why.
const GLOBAL_TABLES: &[(&str, &str)] = &[
    ("clinics", "the tenants themselves"),
    ("users", "a person can belong to several clinics (memberships); a Citus reference table"),
    ("sessions", "keyed by token hash; follows its user when they switch clinic"),
    ("login_throttle", "failed sign-ins per email address, before any clinic is known"),
    ("mfa_recovery_codes", "belong to a person (users), not a clinic"),
    ("password_resets", "belong to a person (users), not a clinic"),
    ("signup_requests", "a clinic that does not exist yet, waiting for its owner's email to be confirmed"),
    ("security_events", "a person's sign-in history spans clinics; clinic_id is set where known"),
    ("data_keys", "wrapped keys, one per clinic plus the system key; useless without the master key"),
    ("_sqlx_migrations", "migration bookkeeping"),
];

#[derive(Debug)]
struct Fk {
    columns: Vec<String>,
    ref_table: String,
    ref_columns: Vec<String>,
}

#[derive(Debug)]
struct Table {
    name: String,
    columns: Vec<String>,
    primary_key: Vec<String>,
    foreign_keys: Vec<Fk>,
}

async fn read_schema(db: &Db) -> Vec<Table> {
    let mut tx = db.read().await.unwrap();
    // Introspection is backend-specific by nature, so this matches on the
    // transaction instead of using `on_tx!`.
    match &mut tx {
        ambula_backend::db::Tx::Sqlite(t) => {
            let c = &mut **t;
            let names: Vec<(String,)> = (sqlx::query_as(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            ).fetch_all(&mut *c).await).unwrap();
            let mut tables = Vec::new();
            for (name,) in names {
                let cols: Vec<(i64, String, String, i64, Option<String>, i64)> = (sqlx::query_as(&format!("PRAGMA table_info(\"{name}\")")).fetch_all(&mut *c).await).unwrap();
                let mut pk: Vec<(i64, String)> = cols.iter().filter(|c| c.5 > 0).map(|c| (c.5, c.1.clone())).collect();
                pk.sort();
                let fk_rows: Vec<(i64, i64, String, String, Option<String>, String, String, String)> = (sqlx::query_as(&format!("PRAGMA foreign_key_list(\"{name}\")")).fetch_all(&mut *c).await).unwrap();
                let mut fks: Vec<Fk> = Vec::new();
                for (id, _seq, table, from, to, ..) in fk_rows {
                    let to = to.unwrap_or_else(|| "id".into());
                    match fks.get_mut(id as usize) {
                        Some(fk) => {
                            fk.columns.push(from);
                            fk.ref_columns.push(to);
                        }
                        None => fks.push(Fk { columns: vec![from], ref_table: table, ref_columns: vec![to] }),
                    }
                }
                tables.push(Table {
                    name,
                    columns: cols.into_iter().map(|c| c.1).collect(),
                    primary_key: pk.into_iter().map(|p| p.1).collect(),
                    foreign_keys: fks,
                });
            }
            tables
        }
        ambula_backend::db::Tx::Postgres(t) => {
            let c = &mut **t;
            let names: Vec<(String,)> = (sqlx::query_as(
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1"
            ).fetch_all(&mut *c).await).unwrap();
            let constraints: Vec<(String, String, Option<String>, Vec<String>, Vec<String>)> = (sqlx::query_as(
                "SELECT cl.relname::text, c.contype::text, rcl.relname::text,
                        ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
                              JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i),
                        ARRAY(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY k(n, i)
                              JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.i)
                 FROM pg_constraint c
                 JOIN pg_class cl ON cl.oid = c.conrelid
                 JOIN pg_namespace ns ON ns.oid = cl.relnamespace
                 LEFT JOIN pg_class rcl ON rcl.oid = c.confrelid
                 WHERE ns.nspname = 'public' AND c.contype IN ('p', 'f')"
            ).fetch_all(&mut *c).await).unwrap();
            let mut tables = Vec::new();
            for (name,) in names {
                let columns: Vec<(String,)> = (sqlx::query_as(
                    "SELECT column_name::text FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position"
                ).bind(&name).fetch_all(&mut *c).await).unwrap();
                let mine = constraints.iter().filter(|c| c.0 == name);
                let primary_key = mine.clone().find(|c| c.1 == "p").map(|c| c.3.clone()).unwrap_or_default();
                let foreign_keys = mine
                    .filter(|c| c.1 == "f")
                    .map(|c| Fk { columns: c.3.clone(), ref_table: c.2.clone().unwrap_or_default(), ref_columns: c.4.clone() })
                    .collect();
                tables.push(Table { name, columns: columns.into_iter().map(|c| c.0).collect(), primary_key, foreign_keys });
            }
            tables
        }
    }
}

/// Returns every breach of the tenancy rule, one line each.
fn breaches(tables: &[Table]) -> Vec<String> {
    let global = |name: &str| GLOBAL_TABLES.iter().any(|(t, _)| *t == name);
    let mut problems = Vec::new();
    for table in tables.iter().filter(|t| !global(&t.name)) {
        if !table.columns.iter().any(|c| c == "clinic_id") {
            problems.push(format!("{}: clinic-owned tables need a clinic_id column (or list it in GLOBAL_TABLES with a reason)", table.name));
        }
        if table.primary_key != ["clinic_id", "id"] {
            problems.push(format!("{}: primary key is {:?}, must be (clinic_id, id)", table.name, table.primary_key));
        }
        for fk in &table.foreign_keys {
            if global(&fk.ref_table) {
                continue;
            }
            let pairs: Vec<(&String, &String)> = fk.columns.iter().zip(&fk.ref_columns).collect();
            if !pairs.iter().any(|(from, to)| *from == "clinic_id" && *to == "clinic_id") {
                problems.push(format!(
                    "{}: foreign key {:?} -> {}{:?} does not include clinic_id",
                    table.name, fk.columns, fk.ref_table, fk.ref_columns
                ));
            }
        }
    }
    problems
}

async fn schema_follows_the_tenancy_rule(kind: Kind) {
    let test_db = TestDb::new(kind).await;
    // The owner's connection: the application role may not create tables.
    let db = TestDbOwner { db: test_db.owner().await };
    let tables = read_schema(&db.db).await;
    assert!(tables.iter().any(|t| t.name == "appointments"), "schema was read: {tables:?}");
    let problems = breaches(&tables);
    assert!(problems.is_empty(), "tenancy rule broken:\n{}", problems.join("\n"));

    // The check itself must catch a badly keyed table.
    let mut tx = db.db.write().await.unwrap();
    on_tx!(&mut tx, c => sqlx::query(
        "CREATE TABLE notes_bad (clinic_id BLOB NOT NULL REFERENCES clinics (id), id BLOB NOT NULL PRIMARY KEY, patient_id BLOB NOT NULL,
         FOREIGN KEY (patient_id) REFERENCES patients (id))"
    ).execute(c).await.map(|_| ())).err();
    tx.commit().await.ok();
    if kind == Kind::Postgres {
        // BLOB is not a PostgreSQL type, and patients(id) alone is not unique there.
        let mut tx = db.db.write().await.unwrap();
        on_tx!(&mut tx, c => sqlx::query(
            "CREATE TABLE notes_bad (clinic_id uuid NOT NULL REFERENCES clinics (id), id uuid NOT NULL PRIMARY KEY, invited_by uuid,
             FOREIGN KEY (clinic_id, invited_by) REFERENCES memberships (clinic_id, id), patient_ref uuid REFERENCES users (id))"
        ).execute(c).await.map(|_| ())).unwrap();
        tx.commit().await.unwrap();
    }
    let problems = breaches(&read_schema(&db.db).await);
    assert!(problems.iter().any(|p| p.starts_with("notes_bad: primary key")), "{problems:?}");
    if kind == Kind::Sqlite {
        assert!(problems.iter().any(|p| p.contains("notes_bad: foreign key [\"patient_id\"]")), "{problems:?}");
    }
    db.db.close().await;
    test_db.cleanup().await;
}

struct TestDbOwner {
    db: Db,
}

#[tokio::test]
async fn sqlite_schema_follows_the_tenancy_rule() {
    schema_follows_the_tenancy_rule(Kind::Sqlite).await;
}

#[tokio::test]
async fn postgres_schema_follows_the_tenancy_rule() {
    schema_follows_the_tenancy_rule(Kind::Postgres).await;
}

#[tokio::test]
async fn migrations_are_idempotent_on_restart() {
    for kind in [Kind::Sqlite, Kind::Postgres] {
        let db = TestDb::new(kind).await;
        let owner = db.owner().await;
        owner.migrate().await.expect("second run is a no-op");
        owner.close().await;
        db.cleanup().await;
    }
}

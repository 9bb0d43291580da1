//! The chart's timeline: everything that happened to a patient, newest
//! first, paged with a keyset cursor, filterable by kind.
//!
//! It is a merge of per-kind queries listed in [`SOURCES`]. Each source is
//! one SQL statement over its own table that takes the same parameters
//! (`$1` clinic, `$2` patient, `$3`/`$4` the cursor's time and id, `$5` the
//! page size plus one) and returns `at, id, title, detail`, newest first,
//! strictly before the cursor. Each runs on its own index (clinic_id,
//! patient_id, time), so a page costs one short index scan per kind
//! however long the history is; the merge keeps the newest `PAGE` rows.
//!
//! Adding a kind (medications, vitals, results, immunizations,
//! referrals…) is one more entry in `SOURCES`, e.g.
//!
//! ```text
//! Source { kind: "vital", label: "Vitals", present: plain, sql:
//!     "SELECT v.taken_at AS at, v.id, 'Vitals' AS title, CAST(NULL AS TEXT) AS detail
//!      FROM vitals v WHERE v.clinic_id = $1 AND v.patient_id = $2
//!        AND (v.taken_at < $3 OR (v.taken_at = $3 AND v.id < $4))
//!      ORDER BY v.taken_at DESC, v.id DESC LIMIT $5" },
//! ```
//!
//! Titles and details are what the timeline shows: no clinical free text
//! (nothing needs decrypting to page through it).

use super::{clinic_tz, local_text, open_patient, require};
use crate::{
    audit::{self, Actor, Entry},
    error::ServiceError,
    on_tx,
    scope::AuthContext,
    time::DbTime,
    Services,
};
use ambula_domain::{
    chart::{
        encounters::EncounterKind,
        timeline::{Cursor, TimelineForm},
    },
    Permission,
};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Rows per page.
pub const PAGE: usize = 20;

/// One kind of event on the timeline.
pub struct Source {
    /// The filter value and the item's kind (`TimelineItem::kind`).
    pub kind: &'static str,
    /// The filter's label.
    pub label: &'static str,
    /// Turns the row's title and detail into what is shown.
    pub present: fn(String, Option<String>) -> (String, Option<String>),
    pub sql: &'static str,
}

fn plain(title: String, detail: Option<String>) -> (String, Option<String>) {
    (title, detail)
}

fn encounter(kind: String, note: Option<String>) -> (String, Option<String>) {
    let title = EncounterKind::parse(&kind).map(|k| k.label().to_owned()).unwrap_or(kind);
    let detail = match note.as_deref() {
        Some("signed") => "Note signed",
        Some("draft") => "Draft note",
        _ => "No note",
    };
    (title, Some(detail.to_owned()))
}

fn appointment(type_name: String, status: Option<String>) -> (String, Option<String>) {
    let status = status.map(|s| {
        ambula_domain::scheduling::AppointmentStatus::parse(&s).map(|st| st.label().to_owned()).unwrap_or(s)
    });
    (format!("Appointment: {type_name}"), status)
}

fn problem(title: String, status: Option<String>) -> (String, Option<String>) {
    (format!("Problem: {title}"), status)
}

pub const SOURCES: &[Source] = &[
    Source {
        kind: "encounter",
        label: "Encounters and notes",
        present: encounter,
        sql: "SELECT e.occurred_at AS at, e.id, e.kind AS title, n.status AS detail
              FROM encounters e
              LEFT JOIN clinical_notes n ON n.clinic_id = e.clinic_id AND n.encounter_id = e.id
              WHERE e.clinic_id = $1 AND e.patient_id = $2
                AND (e.occurred_at < $3 OR (e.occurred_at = $3 AND e.id < $4))
              ORDER BY e.occurred_at DESC, e.id DESC LIMIT $5",
    },
    Source {
        kind: "amendment",
        label: "Note amendments",
        present: plain,
        sql: "SELECT a.created_at AS at, a.id, 'Note amended' AS title, u.name AS detail
              FROM note_amendments a
              JOIN memberships m ON m.clinic_id = a.clinic_id AND m.id = a.author_id
              JOIN users u ON u.id = m.user_id
              WHERE a.clinic_id = $1 AND a.patient_id = $2
                AND (a.created_at < $3 OR (a.created_at = $3 AND a.id < $4))
              ORDER BY a.created_at DESC, a.id DESC LIMIT $5",
    },
    Source {
        kind: "appointment",
        label: "Appointments",
        present: appointment,
        sql: "SELECT a.starts_at AS at, a.id, t.name AS title, a.status AS detail
              FROM appointments a
              JOIN appointment_types t ON t.clinic_id = a.clinic_id AND t.id = a.type_id
              WHERE a.clinic_id = $1 AND a.patient_id = $2
                AND (a.starts_at < $3 OR (a.starts_at = $3 AND a.id < $4))
              ORDER BY a.starts_at DESC, a.id DESC LIMIT $5",
    },
    Source {
        kind: "problem",
        label: "Problems",
        present: problem,
        sql: "SELECT p.created_at AS at, p.id, COALESCE(p.code || ' ', '') || p.description AS title, p.status AS detail
              FROM problems p
              WHERE p.clinic_id = $1 AND p.patient_id = $2
                AND (p.created_at < $3 OR (p.created_at = $3 AND p.id < $4))
              ORDER BY p.created_at DESC, p.id DESC LIMIT $5",
    },
    Source {
        kind: "document",
        label: "Documents",
        present: plain,
        sql: "SELECT d.created_at AS at, d.id, d.file_name AS title, CAST(NULL AS TEXT) AS detail
              FROM documents d
              WHERE d.clinic_id = $1 AND d.patient_id = $2
                AND (d.created_at < $3 OR (d.created_at = $3 AND d.id < $4))
              ORDER BY d.created_at DESC, d.id DESC LIMIT $5",
    },
];

/// The kinds, for the filter.
pub fn kinds() -> Vec<(&'static str, &'static str)> {
    SOURCES.iter().map(|s| (s.kind, s.label)).collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineItem {
    pub kind: &'static str,
    pub id: Uuid,
    pub at: DbTime,
    /// Clinic time, `YYYY-MM-DD HH:MM`.
    pub when: String,
    pub title: String,
    pub detail: Option<String>,
    /// For an item kept on a record merged into this one: that record's id
    /// and MRN.
    pub merged_record: Option<(Uuid, String)>,
}

#[derive(Debug, Clone)]
pub struct TimelinePage {
    pub items: Vec<TimelineItem>,
    /// The cursor of the next page, when there is one.
    pub next: Option<String>,
}

type Row = (DbTime, Uuid, String, Option<String>);

pub async fn page(services: &Services, ctx: &AuthContext, form: &TimelineForm) -> Result<TimelinePage, ServiceError> {
    require(services, ctx, Permission::ViewClinical, "timeline.read", "patient", &form.patient_id).await?;
    let kinds: Vec<&'static str> = SOURCES.iter().map(|s| s.kind).collect();
    let query = form.parse(&kinds)?;
    let now = services.now();
    let tx = services.db.write_in(&ctx.scope).await?;
    let (mut tx, patient, break_glass) = open_patient(tx, ctx, &query.patient_id, "timeline.read", now).await?;
    let tz = clinic_tz(&mut tx, ctx).await?;
    // The first page starts after everything: the far future, the largest id.
    let cursor = query.before.unwrap_or(Cursor {
        at: DateTime::<Utc>::from_timestamp(253_402_214_400, 0).unwrap_or(DateTime::<Utc>::MAX_UTC),
        id: Uuid::max(),
    });
    let fetch = (PAGE + 1) as i64;
    let records = records_of(&mut tx, ctx, patient.id).await?;
    let mut merged: Vec<(&Source, Row, usize)> = Vec::new();
    for source in SOURCES.iter().filter(|s| query.kind.is_none_or(|k| k == s.kind)) {
        for (n, (record, _)) in records.iter().enumerate() {
            let rows: Vec<Row> = on_tx!(&mut tx, c => sqlx::query_as(source.sql)
                .bind(ctx.scope.clinic_id().as_uuid())
                .bind(*record)
                .bind(DbTime::from(cursor.at))
                .bind(cursor.id)
                .bind(fetch)
                .fetch_all(c)
                .await)?;
            merged.extend(rows.into_iter().map(|r| (source, r, n)));
        }
    }
    merged.sort_by(|(_, a, _), (_, b, _)| (b.0, b.1).cmp(&(a.0, a.1)));
    let more = merged.len() > PAGE;
    merged.truncate(PAGE);
    let next = match (more, merged.last()) {
        (true, Some((_, (at, id, _, _), _))) => Some(Cursor { at: at.0, id: *id }.encode()),
        _ => None,
    };
    let items: Vec<TimelineItem> = merged
        .into_iter()
        .map(|(source, (at, id, title, detail), n)| {
            let (title, detail) = (source.present)(title, detail);
            let merged_record = records[n].1.clone().map(|mrn| (records[n].0, mrn));
            TimelineItem { kind: source.kind, id, at, when: local_text(at, tz), title, detail, merged_record }
        })
        .collect();
    let detail = format!("{} items{}", items.len(), query.kind.map(|k| format!(", {k} only")).unwrap_or_default());
    let entry = Entry::ok("timeline.read", "patient", patient.id).patient(patient.id).break_glass(break_glass).detail(detail);
    audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), entry, now).await?;
    tx.commit().await?;
    Ok(TimelinePage { items, next })
}

/// The patient's own record first, then every record merged into it,
/// directly or through an earlier merge (with its MRN). A merge leaves the
/// duplicate's encounters, notes and amendments on it because they never
/// change; they are still this person's history, so the timeline reads
/// them there. Whoever may see the surviving record sees them: the merge
/// moved the duplicate's care team to the survivor.
async fn records_of(tx: &mut crate::db::Tx, ctx: &AuthContext, patient: Uuid) -> Result<Vec<(Uuid, Option<String>)>, ServiceError> {
    let mut records = vec![(patient, None)];
    let mut next = 0;
    while next < records.len() {
        let survivor = ambula_domain::PatientId::from_uuid(records[next].0);
        for (id, mrn) in crate::repo::patients::merged_into(tx, &ctx.scope, survivor).await? {
            // A merged record cannot be merged again, so this never loops;
            // the check keeps it so even if the data said otherwise.
            if !records.iter().any(|(seen, _)| *seen == id) {
                records.push((id, Some(mrn)));
            }
        }
        next += 1;
    }
    Ok(records)
}

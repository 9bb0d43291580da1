//! The patient registry's queries beyond `patients.rs`: saving the full
//! demographics with their search keys, the indexed searches (every one a
//! range or equality on a `(clinic_id, …)` index, with a LIMIT), the
//! duplicate check, batched access to restricted rows, deactivation, and
//! merging (re-pointing every table that references a patient).

use super::patients::{PatientRow, SearchKeys, COLUMNS};
use crate::{db::Tx, error::ServiceError, on_tx, scope::ClinicScope, time::DbTime};
use ambula_domain::{
    patients::{PatientDetails, PatientSort},
    registry::{text, InactiveReason, StatusFilter},
    MembershipId, PatientId,
};
use chrono::NaiveDate;
use std::collections::HashMap;
use uuid::Uuid;

/// Every table with a `patient_id` column referencing `patients`, which a
/// merge re-points from the duplicate to the survivor. ONE list: a module
/// that adds such a table adds its name here (the registry test checks
/// that the schema has no other). `care_team` is handled apart (a unique
/// key per member); `audit_events` is history and keeps the id it had.
pub const PATIENT_REFERENCES: &[&str] = &[
    "appointments",
    "appointment_series",
    "waitlist",
    "documents",
    "emergency_grants",
    // The chart (encounters and their notes excepted, see below).
    "problems",
    "history_entries",
    "allergies",
    "medications",
    "immunizations",
    "referrals",
    "vital_signs",
    "lab_orders",
    "lab_results",
    // Billing records that are not final documents.
    "patient_packages",
    "patient_coverages",
];

/// Tables holding at most one row per patient: the duplicate's row moves
/// only when the survivor has none (else it stays on the merged record,
/// which is kept and readable).
pub const PATIENT_SINGLETONS: &[&str] = &["social_history", "no_known_allergies"];

/// Tables with a `patient_id` that a merge deliberately leaves alone:
/// the care team is merged member by member below; the audit trail is
/// history; issued invoices and payments are final financial documents
/// (the database refuses to change their patient), so they stay with the
/// record they were issued to, which the merge keeps. Encounters, their
/// notes and amendments likewise: a signed note and an amendment can never
/// change (database triggers; amendments are not even updatable by the
/// application's role), and an encounter stays with its notes.
pub const NOT_REPOINTED: &[&str] =
    &["care_team", "audit_events", "invoices", "payments", "encounters", "clinical_notes", "note_amendments"];

/// A line of a search result: only what the list shows and ranks on.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ListRow {
    pub id: Uuid,
    pub mrn: String,
    pub given_name: String,
    pub family_name: String,
    pub preferred_name: Option<String>,
    pub date_of_birth: NaiveDate,
    pub restricted: bool,
    pub active: bool,
    pub inactive_reason: Option<String>,
    pub created_at: DbTime,
}

const LIST_COLUMNS: &str =
    "id, mrn, given_name, family_name, preferred_name, date_of_birth, restricted, active, inactive_reason, created_at";

/// SQL for a status filter: from an allow-list, never from a request.
fn status_sql(status: StatusFilter) -> &'static str {
    match status {
        // An equality (not a bare boolean) so that SQLite can use the
        // list indexes, which start (clinic_id, active, …).
        StatusFilter::Active => " AND active = TRUE",
        StatusFilter::Inactive => " AND active = FALSE",
        StatusFilter::All => "",
    }
}

fn order_sql(sort: PatientSort) -> &'static str {
    match sort {
        PatientSort::Name => "family_name, given_name, id",
        PatientSort::BirthDate => "date_of_birth, family_name, id",
        PatientSort::Newest => "created_at DESC, id",
    }
}

/// Saves the demographics of `id` (everything but MRN and status) and
/// recomputes its search keys.
pub async fn save_details(
    tx: &mut Tx,
    scope: &ClinicScope,
    id: PatientId,
    d: &PatientDetails,
    restricted: bool,
    now: DbTime,
) -> Result<bool, ServiceError> {
    let phone = d.phone.as_deref();
    let email = d.email.as_ref().map(|e| e.as_str());
    let preferred = d.preferred_name.as_ref().map(|n| n.as_str());
    let keys = SearchKeys::of(d.given_name.as_str(), d.family_name.as_str(), preferred, phone, email);
    let guardian = d.guardian.as_ref();
    let emergency = d.emergency.as_ref();
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE patients SET given_name = $3, family_name = $4, date_of_birth = $5, phone = $6, email = $7, restricted = $8,
             preferred_name = $9, sex_at_birth = $10, gender_identity = $11, preferred_language = $12,
             address_line1 = $13, address_line2 = $14, city = $15, postcode = $16, country = $17,
             national_id = $18, national_id_key = $19, insurance_id = $20, insurance_id_key = $21,
             emergency_name = $22, emergency_relation = $23, emergency_phone = $24,
             guardian_name = $25, guardian_relation = $26, guardian_phone = $27, guardian_email = $28,
             contact_email = $29, contact_sms = $30, consent_treatment_on = $31, consent_sharing_on = $32,
             family_key = $33, given_key = $34, preferred_key = $35, family_phonetic = $36, given_phonetic = $37,
             phone_rev = $38, email_key = $39, updated_at = $40
         WHERE clinic_id = $1 AND id = $2",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id.as_uuid())
    .bind(d.given_name.as_str())
    .bind(d.family_name.as_str())
    .bind(d.date_of_birth)
    .bind(phone)
    .bind(email)
    .bind(restricted)
    .bind(preferred)
    .bind(d.sex_at_birth.map(|s| s.as_str()))
    .bind(d.gender_identity.as_deref())
    .bind(d.preferred_language.as_deref())
    .bind(d.address.line1.as_deref())
    .bind(d.address.line2.as_deref())
    .bind(d.address.city.as_deref())
    .bind(d.address.postcode.as_deref())
    .bind(d.address.country.as_deref())
    .bind(d.national_id.as_ref().map(|i| i.value.as_str()))
    .bind(d.national_id.as_ref().map(|i| i.key()))
    .bind(d.insurance_id.as_ref().map(|i| i.value.as_str()))
    .bind(d.insurance_id.as_ref().map(|i| i.key()))
    .bind(emergency.map(|e| e.name.as_str()))
    .bind(emergency.and_then(|e| e.relation.as_deref()))
    .bind(emergency.map(|e| e.phone.as_str()))
    .bind(guardian.map(|g| g.name.as_str()))
    .bind(guardian.map(|g| g.relation.as_str()))
    .bind(guardian.and_then(|g| g.phone.as_deref()))
    .bind(guardian.and_then(|g| g.email.as_ref().map(|e| e.as_str())))
    .bind(d.contact_email)
    .bind(d.contact_sms)
    .bind(d.consent_treatment_on)
    .bind(d.consent_sharing_on)
    .bind(&keys.family_key)
    .bind(&keys.given_key)
    .bind(&keys.preferred_key)
    .bind(&keys.family_phonetic)
    .bind(&keys.given_phonetic)
    .bind(&keys.phone_rev)
    .bind(&keys.email_key)
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Fills in search keys that are missing (rows from before the registry
/// migration, or inserted by other code): a few hundred per call, from an
/// indexed probe, so on a clinic with none missing it costs one lookup.
pub async fn fill_missing_keys(tx: &mut Tx, scope: &ClinicScope) -> Result<(), ServiceError> {
    loop {
        let rows: Vec<(Uuid, String, String, Option<String>, Option<String>, Option<String>)> = on_tx!(tx, c => sqlx::query_as(
            "SELECT id, given_name, family_name, preferred_name, phone, email FROM patients
             WHERE clinic_id = $1 AND family_phonetic IS NULL LIMIT 500",
        )
        .bind(scope.clinic_id().as_uuid())
        .fetch_all(c)
        .await)?;
        if rows.is_empty() {
            return Ok(());
        }
        for (id, given, family, preferred, phone, email) in rows {
            let keys = SearchKeys::of(&given, &family, preferred.as_deref(), phone.as_deref(), email.as_deref());
            on_tx!(tx, c => sqlx::query(
                "UPDATE patients SET family_key = $3, given_key = $4, preferred_key = $5, family_phonetic = $6,
                                     given_phonetic = $7, phone_rev = $8, email_key = $9
                 WHERE clinic_id = $1 AND id = $2",
            )
            .bind(scope.clinic_id().as_uuid())
            .bind(id)
            .bind(&keys.family_key)
            .bind(&keys.given_key)
            .bind(&keys.preferred_key)
            .bind(&keys.family_phonetic)
            .bind(&keys.given_phonetic)
            .bind(&keys.phone_rev)
            .bind(&keys.email_key)
            .execute(c)
            .await.map(|r| r.rows_affected()))?;
        }
    }
}

/// The list without a query, in the chosen order.
pub async fn list(tx: &mut Tx, scope: &ClinicScope, sort: PatientSort, status: StatusFilter, limit: i64) -> Result<Vec<ListRow>, ServiceError> {
    let sql = format!(
        "SELECT {LIST_COLUMNS} FROM patients WHERE clinic_id = $1{} ORDER BY {} LIMIT $2",
        status_sql(status),
        order_sql(sort)
    );
    Ok(on_tx!(tx, c => sqlx::query_as::<_, ListRow>(&sql)
        .bind(scope.clinic_id().as_uuid())
        .bind(limit)
        .fetch_all(c)
        .await)?)
}

pub async fn by_birth_date(tx: &mut Tx, scope: &ClinicScope, date: NaiveDate, status: StatusFilter, limit: i64) -> Result<Vec<ListRow>, ServiceError> {
    let sql = format!(
        "SELECT {LIST_COLUMNS} FROM patients WHERE clinic_id = $1 AND date_of_birth = $2{} ORDER BY family_name, given_name, id LIMIT $3",
        status_sql(status)
    );
    Ok(on_tx!(tx, c => sqlx::query_as::<_, ListRow>(&sql)
        .bind(scope.clinic_id().as_uuid())
        .bind(date)
        .bind(limit)
        .fetch_all(c)
        .await)?)
}

pub async fn by_email(tx: &mut Tx, scope: &ClinicScope, email: &str, status: StatusFilter, limit: i64) -> Result<Vec<ListRow>, ServiceError> {
    let sql = format!(
        "SELECT {LIST_COLUMNS} FROM patients WHERE clinic_id = $1 AND email_key = $2{} ORDER BY family_name, given_name, id LIMIT $3",
        status_sql(status)
    );
    Ok(on_tx!(tx, c => sqlx::query_as::<_, ListRow>(&sql)
        .bind(scope.clinic_id().as_uuid())
        .bind(email)
        .bind(limit)
        .fetch_all(c)
        .await)?)
}

/// MRN (exact), national or insurance id (normalized), and, when given,
/// phone numbers ending in these digits (`phone_rev` prefix).
pub async fn by_identifier(
    tx: &mut Tx,
    scope: &ClinicScope,
    mrn: &str,
    key: &str,
    phone_rev: Option<&str>,
    status: StatusFilter,
    limit: i64,
) -> Result<Vec<ListRow>, ServiceError> {
    let s = status_sql(status);
    // A phone prefix that matches nothing when there is none to search.
    let phone = phone_rev.unwrap_or("\u{1}");
    let sql = format!(
        "SELECT {LIST_COLUMNS} FROM patients WHERE clinic_id = $1 AND id IN (
             SELECT id FROM (SELECT id FROM patients WHERE clinic_id = $1 AND mrn = $2{s} LIMIT $6) AS m
             UNION SELECT id FROM (SELECT id FROM patients WHERE clinic_id = $1 AND national_id_key = $3{s} LIMIT $6) AS n
             UNION SELECT id FROM (SELECT id FROM patients WHERE clinic_id = $1 AND insurance_id_key = $3{s} LIMIT $6) AS i
             UNION SELECT id FROM (SELECT id FROM patients WHERE clinic_id = $1 AND phone_rev >= $4 AND phone_rev < $5{s}
                                   ORDER BY phone_rev LIMIT $6) AS p
         ) ORDER BY family_name, given_name, id LIMIT $6"
    );
    Ok(on_tx!(tx, c => sqlx::query_as::<_, ListRow>(&sql)
        .bind(scope.clinic_id().as_uuid())
        .bind(mrn)
        .bind(key)
        .bind(phone)
        .bind(text::prefix_bound(phone))
        .bind(limit)
        .fetch_all(c)
        .await)?)
}

/// Candidates for a name word: names starting with it, names sounding
/// like it, and names sharing its first two letters (typos after them).
/// Each branch is an index range or equality with its own LIMIT; ranking
/// by edit distance happens in the service.
pub async fn name_candidates(tx: &mut Tx, scope: &ClinicScope, word: &str, status: StatusFilter, each: i64) -> Result<Vec<ListRow>, ServiceError> {
    let s = status_sql(status);
    let phonetic = text::phonetic(word);
    // An empty code would match every name without letters.
    let phonetic = if phonetic.is_empty() { "\u{1}".to_owned() } else { phonetic };
    let first_two: String = word.chars().take(2).collect();
    // Each branch returns the list columns itself and UNION removes the
    // repeats: no join back to the table.
    let branch = |condition: &str, order: &str, limit: &str, alias: &str| {
        format!("SELECT {LIST_COLUMNS} FROM (SELECT {LIST_COLUMNS} FROM patients WHERE clinic_id = $1 AND {condition}{s}{order} LIMIT {limit}) AS {alias}")
    };
    let sql = [
        branch("family_key >= $2 AND family_key < $3", " ORDER BY family_key", "$7", "fp"),
        branch("given_key >= $2 AND given_key < $3", " ORDER BY given_key", "$7", "gp"),
        branch("preferred_key >= $2 AND preferred_key < $3", " ORDER BY preferred_key", "$7", "pp"),
        branch("family_phonetic = $4", "", "$8", "fs"),
        branch("given_phonetic = $4", "", "$8", "gs"),
        branch("family_key >= $5 AND family_key < $6", " ORDER BY family_key", "$7", "ft"),
        branch("given_key >= $5 AND given_key < $6", " ORDER BY given_key", "$7", "gt"),
    ]
    .join(" UNION ");
    Ok(on_tx!(tx, c => sqlx::query_as::<_, ListRow>(&sql)
        .bind(scope.clinic_id().as_uuid())
        .bind(word)
        .bind(text::prefix_bound(word))
        .bind(&phonetic)
        .bind(&first_two)
        .bind(text::prefix_bound(&first_two))
        .bind(each)
        .bind(each * 2)
        .fetch_all(c)
        .await)?)
}

/// `$first, $first+1, …` for `n` values.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// Of these restricted patients, the ones `member` may open, with the end
/// of a break-glass grant when that is why: two queries for the whole
/// list instead of two per row.
pub async fn restricted_access(
    tx: &mut Tx,
    scope: &ClinicScope,
    member: MembershipId,
    ids: &[Uuid],
    now: DbTime,
) -> Result<HashMap<Uuid, Option<DbTime>>, ServiceError> {
    let mut out = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let sql = format!(
        "SELECT patient_id FROM care_team WHERE clinic_id = $1 AND membership_id = $2 AND patient_id IN ({})",
        placeholders(3, ids.len())
    );
    let team: Vec<(Uuid,)> = on_tx!(tx, c => {
        let mut q = sqlx::query_as(&sql).bind(scope.clinic_id().as_uuid()).bind(member.as_uuid());
        for id in ids {
            q = q.bind(*id);
        }
        q.fetch_all(c).await
    })?;
    for (id,) in team {
        out.insert(id, None);
    }
    let sql = format!(
        "SELECT patient_id, MAX(expires_at) FROM emergency_grants
         WHERE clinic_id = $1 AND membership_id = $2 AND expires_at > $3 AND patient_id IN ({})
         GROUP BY patient_id",
        placeholders(4, ids.len())
    );
    let grants: Vec<(Uuid, DbTime)> = on_tx!(tx, c => {
        let mut q = sqlx::query_as(&sql).bind(scope.clinic_id().as_uuid()).bind(member.as_uuid()).bind(now);
        for id in ids {
            q = q.bind(*id);
        }
        q.fetch_all(c).await
    })?;
    for (id, until) in grants {
        out.entry(id).or_insert(Some(until));
    }
    Ok(out)
}

/// Records that may be the same person as a new registration: same date
/// of birth (names compared by the caller), or the same phone, email,
/// national or insurance id. Merged records are left out.
pub async fn possible_duplicates(
    tx: &mut Tx,
    scope: &ClinicScope,
    date_of_birth: NaiveDate,
    phone_rev: Option<&str>,
    email: Option<&str>,
    national_key: Option<&str>,
    insurance_key: Option<&str>,
) -> Result<Vec<PatientRow>, ServiceError> {
    let none = "\u{1}";
    let sql = format!(
        "SELECT {COLUMNS} FROM patients WHERE clinic_id = $1 AND merged_into IS NULL AND id IN (
             SELECT id FROM (SELECT id FROM patients WHERE clinic_id = $1 AND date_of_birth = $2 LIMIT 200) AS b
             UNION SELECT id FROM (SELECT id FROM patients WHERE clinic_id = $1 AND phone_rev = $3 LIMIT 20) AS p
             UNION SELECT id FROM (SELECT id FROM patients WHERE clinic_id = $1 AND email_key = $4 LIMIT 20) AS e
             UNION SELECT id FROM (SELECT id FROM patients WHERE clinic_id = $1 AND national_id_key = $5 LIMIT 20) AS n
             UNION SELECT id FROM (SELECT id FROM patients WHERE clinic_id = $1 AND insurance_id_key = $6 LIMIT 20) AS i
         ) ORDER BY family_name, given_name, id"
    );
    Ok(on_tx!(tx, c => sqlx::query_as::<_, PatientRow>(&sql)
        .bind(scope.clinic_id().as_uuid())
        .bind(date_of_birth)
        .bind(phone_rev.unwrap_or(none))
        .bind(email.unwrap_or(none))
        .bind(national_key.unwrap_or(none))
        .bind(insurance_key.unwrap_or(none))
        .fetch_all(c)
        .await)?)
}

/// Marks a record inactive (`merged_into` only for a merge).
pub async fn deactivate(
    tx: &mut Tx,
    scope: &ClinicScope,
    id: PatientId,
    reason: InactiveReason,
    on: NaiveDate,
    note: Option<&str>,
    merged_into: Option<PatientId>,
    now: DbTime,
) -> Result<bool, ServiceError> {
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE patients SET active = $3, inactive_reason = $4, inactive_on = $5, inactive_note = $6, merged_into = $7,
                             updated_at = $8
         WHERE clinic_id = $1 AND id = $2",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id.as_uuid())
    .bind(false)
    .bind(reason.as_str())
    .bind(on)
    .bind(note)
    .bind(merged_into.map(|m| m.as_uuid()))
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Makes an inactive record active again (never a merged one: the caller
/// checks).
pub async fn reactivate(tx: &mut Tx, scope: &ClinicScope, id: PatientId, now: DbTime) -> Result<bool, ServiceError> {
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE patients SET active = $3, inactive_reason = NULL, inactive_on = NULL, inactive_note = NULL, updated_at = $4
         WHERE clinic_id = $1 AND id = $2 AND merged_into IS NULL",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(id.as_uuid())
    .bind(true)
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Moves every row that references `from` to `to`, table by table from
/// `PATIENT_REFERENCES`, and the care team (members already on the
/// survivor's team keep their one row). Returns rows moved per table.
pub async fn repoint(tx: &mut Tx, scope: &ClinicScope, from: PatientId, to: PatientId) -> Result<Vec<(&'static str, u64)>, ServiceError> {
    let mut moved = Vec::new();
    for table in PATIENT_REFERENCES {
        // The table name comes from the constant above, never from input.
        let sql = format!("UPDATE {table} SET patient_id = $3 WHERE clinic_id = $1 AND patient_id = $2");
        let n = on_tx!(tx, c => sqlx::query(&sql)
            .bind(scope.clinic_id().as_uuid())
            .bind(from.as_uuid())
            .bind(to.as_uuid())
            .execute(c)
            .await.map(|r| r.rows_affected()))?;
        moved.push((*table, n));
    }
    for table in PATIENT_SINGLETONS {
        // The table name comes from the constant above, never from input.
        let sql = format!(
            "UPDATE {table} SET patient_id = $3 WHERE clinic_id = $1 AND patient_id = $2
               AND NOT EXISTS (SELECT 1 FROM {table} t WHERE t.clinic_id = $1 AND t.patient_id = $3)"
        );
        let n = on_tx!(tx, c => sqlx::query(&sql)
            .bind(scope.clinic_id().as_uuid())
            .bind(from.as_uuid())
            .bind(to.as_uuid())
            .execute(c)
            .await.map(|r| r.rows_affected()))?;
        moved.push((*table, n));
    }
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE care_team SET patient_id = $3
         WHERE clinic_id = $1 AND patient_id = $2
           AND membership_id NOT IN (SELECT membership_id FROM care_team WHERE clinic_id = $1 AND patient_id = $3)",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(from.as_uuid())
    .bind(to.as_uuid())
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    on_tx!(tx, c => sqlx::query("DELETE FROM care_team WHERE clinic_id = $1 AND patient_id = $2")
        .bind(scope.clinic_id().as_uuid())
        .bind(from.as_uuid())
        .execute(c)
        .await.map(|r| r.rows_affected()))?;
    moved.push(("care_team", n));
    Ok(moved)
}

/// Every record of the clinic for an export, in MRN order.
pub async fn export_rows(tx: &mut Tx, scope: &ClinicScope) -> Result<Vec<PatientRow>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, PatientRow>(&format!(
        "SELECT {COLUMNS} FROM patients WHERE clinic_id = $1 ORDER BY mrn"
    ))
    .bind(scope.clinic_id().as_uuid())
    .fetch_all(c)
    .await)?)
}

/// Writes a record's demographics as held in `row` (a merge's survivor
/// with its gaps filled) and recomputes its search keys.
pub async fn save_row(tx: &mut Tx, scope: &ClinicScope, r: &PatientRow, now: DbTime) -> Result<bool, ServiceError> {
    let keys = SearchKeys::of(&r.given_name, &r.family_name, r.preferred_name.as_deref(), r.phone.as_deref(), r.email.as_deref());
    let national_key = r.national_id.as_deref().map(text::identifier_key);
    let insurance_key = r.insurance_id.as_deref().map(text::identifier_key);
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE patients SET phone = $3, email = $4, restricted = $5, preferred_name = $6, sex_at_birth = $7,
             gender_identity = $8, preferred_language = $9, address_line1 = $10, address_line2 = $11, city = $12,
             postcode = $13, country = $14, national_id = $15, national_id_key = $16, insurance_id = $17,
             insurance_id_key = $18, emergency_name = $19, emergency_relation = $20, emergency_phone = $21,
             guardian_name = $22, guardian_relation = $23, guardian_phone = $24, guardian_email = $25,
             consent_treatment_on = $26, consent_sharing_on = $27, preferred_key = $28, phone_rev = $29,
             email_key = $30, updated_at = $31
         WHERE clinic_id = $1 AND id = $2",
    )
    .bind(scope.clinic_id().as_uuid())
    .bind(r.id)
    .bind(&r.phone)
    .bind(&r.email)
    .bind(r.restricted)
    .bind(&r.preferred_name)
    .bind(&r.sex_at_birth)
    .bind(&r.gender_identity)
    .bind(&r.preferred_language)
    .bind(&r.address_line1)
    .bind(&r.address_line2)
    .bind(&r.city)
    .bind(&r.postcode)
    .bind(&r.country)
    .bind(&r.national_id)
    .bind(&national_key)
    .bind(&r.insurance_id)
    .bind(&insurance_key)
    .bind(&r.emergency_name)
    .bind(&r.emergency_relation)
    .bind(&r.emergency_phone)
    .bind(&r.guardian_name)
    .bind(&r.guardian_relation)
    .bind(&r.guardian_phone)
    .bind(&r.guardian_email)
    .bind(r.consent_treatment_on)
    .bind(r.consent_sharing_on)
    .bind(&keys.preferred_key)
    .bind(&keys.phone_rev)
    .bind(&keys.email_key)
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

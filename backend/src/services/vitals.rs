//! Vital signs on the chart: record a reading (units converted and limits
//! checked in `ambula_domain::vitals`, BMI computed), and read a patient's
//! history for the trend charts. ViewClinical to read, EditClinical to
//! record; the patient goes through `patients::load_for` (another clinic's
//! → 404, restricted → 403 unless on the care team or break-glass); every
//! read and write is audited in its transaction.

use crate::{
    audit::{self, Actor, Entry},
    db::Tx,
    error::ServiceError,
    repo::{
        self,
        patients::PatientRow,
        vitals::{NewVitals, VitalsRow},
    },
    scope::AuthContext,
    time::DbTime,
    Services,
};
use ambula_domain::{
    vitals::{bmi_tenths, VitalsForm},
    PatientId, Permission, TimeZoneName, VitalSignsId,
};
use chrono::{NaiveDateTime, TimeZone};
use chrono_tz::Tz;

/// The most readings a chart shows (the latest ones).
pub const HISTORY_LIMIT: i64 = 500;

/// One reading as shown: stored units (see `ambula_domain::vitals::Measure`)
/// and the time in the clinic's zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VitalsView {
    pub id: VitalSignsId,
    pub recorded_at: DbTime,
    pub recorded_at_local: NaiveDateTime,
    pub recorded_by: Option<String>,
    pub systolic: Option<i64>,
    pub diastolic: Option<i64>,
    pub pulse: Option<i64>,
    pub temperature: Option<i64>,
    pub respiratory_rate: Option<i64>,
    pub spo2: Option<i64>,
    pub height_mm: Option<i64>,
    pub weight_g: Option<i64>,
    pub bmi: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct VitalsHistory {
    pub time_zone: String,
    /// Oldest first.
    pub readings: Vec<VitalsView>,
    /// For the growth charts (age at each reading, the standard by sex).
    pub date_of_birth: chrono::NaiveDate,
    pub sex_at_birth: Option<ambula_domain::patients::SexAtBirth>,
}

fn view(row: VitalsRow, tz: Tz) -> VitalsView {
    let wide = |v: Option<i32>| v.map(i64::from);
    VitalsView {
        id: VitalSignsId::from_uuid(row.id),
        recorded_at: row.recorded_at,
        recorded_at_local: row.recorded_at.0.with_timezone(&tz).naive_local(),
        recorded_by: row.recorded_by_name,
        systolic: wide(row.systolic_mmhg),
        diastolic: wide(row.diastolic_mmhg),
        pulse: wide(row.pulse_bpm),
        temperature: wide(row.temperature_dc),
        respiratory_rate: wide(row.respiratory_rate),
        spo2: wide(row.spo2_pct),
        height_mm: wide(row.height_mm),
        weight_g: wide(row.weight_g),
        bmi: wide(row.bmi_dt),
    }
}

pub(crate) async fn require(services: &Services, ctx: &AuthContext, permission: Permission, action: &'static str, patient: &str) -> Result<(), ServiceError> {
    if ctx.can(permission) {
        return Ok(());
    }
    let uuid = patient.trim().parse::<PatientId>().ok().map(|p| p.as_uuid());
    audit::record_denial(services, ctx, action, "patient", patient, uuid).await?;
    Err(ServiceError::Forbidden)
}

/// The clinic's zone (UTC if the stored name is somehow unknown).
pub(crate) async fn clinic_zone(tx: &mut Tx, ctx: &AuthContext) -> Result<(String, Tz), ServiceError> {
    let clinic = repo::clinics::get(tx, &ctx.scope).await?;
    let tz = TimeZoneName::parse(&clinic.time_zone).map(|t| t.tz()).unwrap_or(chrono_tz::UTC);
    Ok((clinic.time_zone, tz))
}

/// A local time someone typed as an instant. In the spring-forward gap it
/// moves to the change; in the repeated hour it takes the earlier instant
/// (a reading's time is not worth a question about clock changes).
pub(crate) fn local_to_db(tz: Tz, local: NaiveDateTime) -> DbTime {
    DbTime::from(ambula_domain::scheduling::zone::span_start_utc(tz, local))
}

pub(crate) fn now_local(tz: Tz, now: DbTime) -> NaiveDateTime {
    tz.from_utc_datetime(&now.0.naive_utc()).naive_local()
}

/// Loads the patient or returns the (already recorded) denial, which the
/// caller commits.
pub(crate) async fn patient(tx: &mut Tx, ctx: &AuthContext, raw: &str, action: &'static str, now: DbTime) -> Result<Result<(PatientRow, bool), ServiceError>, ServiceError> {
    Ok(super::patients::load_for(tx, ctx, raw, action, now).await?.map(|(row, until)| (row, until.is_some())))
}

fn small(value: Option<i64>) -> Result<Option<i32>, ServiceError> {
    value
        .map(|v| i32::try_from(v).map_err(|_| ServiceError::Internal(format!("vital value {v} out of range"))))
        .transpose()
}

pub async fn record(services: &Services, ctx: &AuthContext, patient_id: &str, form: &VitalsForm) -> Result<VitalsView, ServiceError> {
    require(services, ctx, Permission::EditClinical, "vitals.record", patient_id).await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let (row, break_glass) = match patient(&mut tx, ctx, patient_id, "vitals.record", now).await? {
        Ok(found) => found,
        Err(denied) => {
            tx.commit().await?;
            return Err(denied);
        }
    };
    let patient = PatientId::from_uuid(row.id);
    let (_, tz) = clinic_zone(&mut tx, ctx).await?;
    // Nothing is written when the form is refused: the transaction is
    // dropped (rolled back) on the way out.
    let reading = form.parse(now_local(tz, now))?;
    let local = reading.recorded_at.unwrap_or_else(|| now_local(tz, now));
    if local.date() < row.date_of_birth {
        return Err(ServiceError::field("recorded_at", "That is before the patient was born. Check the date."));
    }
    let recorded_at = if reading.recorded_at.is_some() { local_to_db(tz, local) } else { now };
    let height_for_bmi = match (reading.weight_g, reading.height_mm) {
        (Some(_), None) => repo::vitals::latest_height_before(&mut tx, &ctx.scope, patient, recorded_at).await?.map(i64::from),
        (_, height) => height,
    };
    let new = NewVitals {
        systolic: small(reading.systolic)?,
        diastolic: small(reading.diastolic)?,
        pulse: small(reading.pulse)?,
        temperature_dc: small(reading.temperature)?,
        respiratory_rate: small(reading.respiratory_rate)?,
        spo2: small(reading.spo2)?,
        height_mm: small(reading.height_mm)?,
        weight_g: small(reading.weight_g)?,
        bmi_dt: small(bmi_tenths(reading.weight_g, height_for_bmi))?,
    };
    let id = repo::vitals::insert(&mut tx, &ctx.scope, patient, recorded_at, ctx.membership_id, &new, now).await?;
    let entry = Entry::ok("vitals.record", "vital_signs", id).patient(row.id).break_glass(break_glass);
    audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), entry, now).await?;
    tx.commit().await?;
    Ok(VitalsView {
        id,
        recorded_at,
        recorded_at_local: now_local(tz, recorded_at),
        recorded_by: Some(ctx.user_name.clone()),
        systolic: reading.systolic,
        diastolic: reading.diastolic,
        pulse: reading.pulse,
        temperature: reading.temperature,
        respiratory_rate: reading.respiratory_rate,
        spo2: reading.spo2,
        height_mm: reading.height_mm,
        weight_g: reading.weight_g,
        bmi: new.bmi_dt.map(i64::from),
    })
}

pub async fn history(services: &Services, ctx: &AuthContext, patient_id: &str) -> Result<VitalsHistory, ServiceError> {
    require(services, ctx, Permission::ViewClinical, "vitals.read", patient_id).await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let (row, break_glass) = match patient(&mut tx, ctx, patient_id, "vitals.read", now).await? {
        Ok(found) => found,
        Err(denied) => {
            tx.commit().await?;
            return Err(denied);
        }
    };
    let (time_zone, tz) = clinic_zone(&mut tx, ctx).await?;
    let rows = repo::vitals::list(&mut tx, &ctx.scope, PatientId::from_uuid(row.id), HISTORY_LIMIT).await?;
    let entry = Entry::ok("vitals.read", "patient", row.id).patient(row.id).break_glass(break_glass).detail(format!("{} readings", rows.len()));
    audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), entry, now).await?;
    tx.commit().await?;
    let sex_at_birth = row.sex_at_birth.as_deref().and_then(|s| ambula_domain::patients::SexAtBirth::parse(s).ok().flatten());
    Ok(VitalsHistory { time_zone, readings: rows.into_iter().map(|r| view(r, tz)).collect(), date_of_birth: row.date_of_birth, sex_at_birth })
}

//! Immunizations: record one (given here or elsewhere).

use super::{open_patient, permit};
use crate::{
    error::ServiceError,
    repo::{self, immunizations::{ImmunizationRow, NewImmunizationRow}},
    scope::AuthContext,
    time::DbTime,
    Services,
};
use ambula_domain::{medications::{ImmunizationForm, InjectionSite}, ImmunizationId, Permission};
use chrono::NaiveDate;

#[derive(Debug, Clone)]
pub struct ImmunizationView {
    pub id: ImmunizationId,
    pub vaccine: String,
    pub given_on: NaiveDate,
    pub dose_number: Option<i32>,
    pub lot: Option<String>,
    pub site: String,
    pub given_by: String,
    pub recorded_at: DbTime,
}

impl From<ImmunizationRow> for ImmunizationView {
    fn from(row: ImmunizationRow) -> Self {
        Self {
            id: ImmunizationId::from_uuid(row.id),
            site: InjectionSite::parse(&row.site).map(|s| s.label().to_owned()).unwrap_or(row.site),
            vaccine: row.vaccine,
            given_on: row.given_on,
            dose_number: row.dose_number,
            lot: row.lot,
            given_by: row.given_by,
            recorded_at: row.recorded_at,
        }
    }
}

pub async fn add(services: &Services, ctx: &AuthContext, patient: &str, form: &ImmunizationForm) -> Result<ImmunizationId, ServiceError> {
    permit(services, ctx, Permission::EditClinical, "immunization.create", "patient", patient).await?;
    let mut o = open_patient(services, ctx, patient, "immunization.create").await?;
    let today = super::clinic_today(&mut o.tx, ctx, o.now).await?;
    let new = form.parse(today)?;
    let id = ImmunizationId::generate();
    // Nobody named: the person recording it gave it.
    let given_by = new.given_by.clone().unwrap_or_else(|| ctx.user_name.clone());
    let row = NewImmunizationRow {
        id,
        patient: o.patient_id(),
        vaccine: &new.vaccine,
        given_on: new.given_on,
        dose_number: new.dose_number.map(|d| d as i32),
        lot: new.lot.as_deref(),
        site: new.site.as_str(),
        given_by: &given_by,
        recorded_by: ctx.membership_id,
    };
    repo::immunizations::insert(&mut o.tx, &ctx.scope, row, o.now).await?;
    o.audit(ctx, "immunization.create", "immunization", id, Some(format!("{} on {}", new.vaccine, new.given_on))).await?;
    o.commit().await?;
    Ok(id)
}

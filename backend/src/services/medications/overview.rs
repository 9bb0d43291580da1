//! The medications tab in one read: allergies (and the "no known
//! allergies" statement), medications current and past, immunizations and
//! referrals. One audit entry for the read.

use super::{
    allergies::{self, AllergyView},
    immunizations::ImmunizationView,
    open_patient, permit, prescriptions::{self, MedicationView},
    referrals::{self, ReferralView},
};
use crate::{error::ServiceError, repo, scope::AuthContext, time::DbTime, Services};
use ambula_domain::Permission;

#[derive(Debug, Clone)]
pub struct MedicationsOverview {
    pub allergies: Vec<AllergyView>,
    /// Who recorded "no known allergies", and when.
    pub no_known_allergies: Option<(String, DbTime)>,
    /// Active medications, newest first.
    pub current: Vec<MedicationView>,
    /// Stopped and changed ones, newest first.
    pub past: Vec<MedicationView>,
    pub immunizations: Vec<ImmunizationView>,
    pub referrals: Vec<ReferralView>,
    pub can_edit: bool,
    pub can_prescribe: bool,
}

pub async fn get(services: &Services, ctx: &AuthContext, patient: &str) -> Result<MedicationsOverview, ServiceError> {
    permit(services, ctx, Permission::ViewClinical, "medications.read", "patient", patient).await?;
    let mut o = open_patient(services, ctx, patient, "medications.read").await?;
    let patient_id = o.patient_id();
    let mut out = MedicationsOverview {
        allergies: Vec::new(),
        no_known_allergies: repo::allergies::no_known(&mut o.tx, &ctx.scope, patient_id).await?,
        current: Vec::new(),
        past: Vec::new(),
        immunizations: Vec::new(),
        referrals: Vec::new(),
        can_edit: ctx.can(Permission::EditClinical),
        can_prescribe: ctx.can(Permission::Prescribe),
    };
    for row in repo::allergies::for_patient(&mut o.tx, &ctx.scope, patient_id).await? {
        out.allergies.push(allergies::view(services, &mut o.tx, ctx, row).await?);
    }
    for row in repo::medications::for_patient(&mut o.tx, &ctx.scope, patient_id).await? {
        let view = prescriptions::view(services, &mut o.tx, ctx, row).await?;
        if view.status == "active" {
            out.current.push(view);
        } else {
            out.past.push(view);
        }
    }
    out.immunizations = repo::immunizations::for_patient(&mut o.tx, &ctx.scope, patient_id).await?.into_iter().map(Into::into).collect();
    for row in repo::referrals::for_patient(&mut o.tx, &ctx.scope, patient_id).await? {
        out.referrals.push(referrals::view(services, &mut o.tx, ctx, row).await?);
    }
    o.audit(ctx, "medications.read", "patient", patient_id, None).await?;
    o.commit().await?;
    Ok(out)
}

//! Opening a chart: who the patient is (the header and the Summary tab),
//! their allergy badge and the clinic's time zone, read in one
//! transaction.
//!
//! Why one call: every audited read ends in a durable commit (a few
//! milliseconds on PostgreSQL), and the chart page used to make three of
//! them before it could show anything. The audit trail is the same as
//! for the separate reads: a `patient.read` entry and, for roles that see
//! clinical records, an `allergy.read` entry.

use crate::{
    audit::{self, Actor, Entry},
    error::ServiceError,
    repo,
    scope::AuthContext,
    services::{
        medications::allergies::{self, AllergyBadge},
        patients::{self, PatientView},
    },
    Services,
};
use ambula_domain::{PatientId, Permission};

#[derive(Debug, Clone)]
pub struct ChartOpening {
    pub patient: PatientView,
    /// `None` for roles that do not read clinical records.
    pub allergies: Option<AllergyBadge>,
    /// The clinic's IANA time zone, for showing the record's times.
    pub time_zone: String,
}

pub async fn open(services: &Services, ctx: &AuthContext, id: &str) -> Result<ChartOpening, ServiceError> {
    patients::require(services, ctx, Permission::ViewPatients, "patient.read", id).await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let (row, until) = match patients::load_for(&mut tx, ctx, id, "patient.read", now).await? {
        Ok(found) => found,
        Err(denied) => {
            tx.commit().await?;
            return Err(denied);
        }
    };
    let patient_id = PatientId::from_uuid(row.id);
    let break_glass = until.is_some();
    // One read of the clinic gives both its zone and its today.
    let time_zone = repo::clinics::get(&mut tx, &ctx.scope).await?.time_zone;
    let patient = patients::read_in(&mut tx, ctx, row, until, patients::today_in(&time_zone, now), now).await?;
    let allergies = if ctx.can(Permission::ViewClinical) {
        let badge = allergies::badge_in(&mut tx, ctx, patient_id).await?;
        let entry = Entry::ok("allergy.read", "patient", patient_id).patient(patient_id.as_uuid()).break_glass(break_glass);
        audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), entry, now).await?;
        Some(badge)
    } else {
        None
    };
    tx.commit().await?;
    Ok(ChartOpening { patient, allergies, time_zone })
}

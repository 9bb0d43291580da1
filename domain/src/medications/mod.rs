//! The chart's medications tab: allergies and intolerances, medications and
//! prescriptions, immunizations and referrals, and the allergy check run
//! before a drug is prescribed or recorded. Forms of strings parse into
//! typed values with one message per field, in the browser and on the
//! server alike.

pub mod allergies;
pub mod allergy_check;
pub mod immunizations;
pub mod prescriptions;
pub mod referrals;
pub mod text;

pub use allergies::{AllergyForm, AllergyKind, AllergyStatus, NewAllergy, Severity};
pub use allergy_check::{check_drug, class_by_key, fold, AllergyHit, DrugClass, KnownAllergy, DRUG_CLASSES};
pub use immunizations::{ImmunizationForm, InjectionSite, NewImmunization};
pub use prescriptions::{allergy_warning, Amount, DoseUnit, Frequency, MedicationForm, MedicationKind, NewMedication, Route, StopForm, StrengthUnit};
pub use referrals::{NewReferral, ReferralForm, ReferralStatus, Urgency};

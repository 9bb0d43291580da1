//! Medications and prescriptions: what the patient takes, how much, how
//! and how often, for how long, and who prescribed it. A change or a stop
//! never edits a medication: it ends it (with a reason) and, for a change,
//! starts a new one, so the history stays.

use super::{allergies::choice, allergy_check::AllergyHit, text};
use crate::{
    errors::{FieldErrors, ParseError},
    patients::parse_date,
};
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

choice!(StrengthUnit {
    Mg => "mg", "mg";
    G => "g", "g";
    Mcg => "mcg", "mcg";
    MgPerMl => "mg/mL", "mg/mL";
    MgPer5Ml => "mg/5mL", "mg/5 mL";
    Units => "units", "units";
    Iu => "IU", "IU";
    Percent => "%", "%";
    Mmol => "mmol", "mmol";
} "strength unit");

choice!(DoseUnit {
    Tablet => "tablet", "tablet(s)";
    Capsule => "capsule", "capsule(s)";
    Ml => "mL", "mL";
    Mg => "mg", "mg";
    G => "g", "g";
    Mcg => "mcg", "mcg";
    Drop => "drop", "drop(s)";
    Puff => "puff", "puff(s)";
    Spray => "spray", "spray(s)";
    Sachet => "sachet", "sachet(s)";
    Patch => "patch", "patch(es)";
    Suppository => "suppository", "suppository(ies)";
    Application => "application", "application(s)";
    Unit => "unit", "unit(s)";
} "dose unit");

choice!(Route {
    Oral => "oral", "By mouth";
    Sublingual => "sublingual", "Under the tongue";
    Topical => "topical", "On the skin";
    Transdermal => "transdermal", "Patch on the skin";
    Inhaled => "inhaled", "Inhaled";
    Nasal => "nasal", "In the nose";
    Eye => "eye", "In the eye";
    Ear => "ear", "In the ear";
    Rectal => "rectal", "Rectal";
    Vaginal => "vaginal", "Vaginal";
    Subcutaneous => "subcutaneous", "Subcutaneous injection";
    Intramuscular => "intramuscular", "Intramuscular injection";
    Intravenous => "intravenous", "Intravenous";
} "route");

choice!(Frequency {
    OnceDaily => "once_daily", "Once a day";
    TwiceDaily => "twice_daily", "Twice a day";
    ThreeTimesDaily => "three_times_daily", "Three times a day";
    FourTimesDaily => "four_times_daily", "Four times a day";
    Every4Hours => "every_4_hours", "Every 4 hours";
    Every6Hours => "every_6_hours", "Every 6 hours";
    Every8Hours => "every_8_hours", "Every 8 hours";
    Every12Hours => "every_12_hours", "Every 12 hours";
    Morning => "morning", "Every morning";
    Night => "night", "At night";
    Weekly => "weekly", "Once a week";
    AsNeeded => "as_needed", "When needed";
    Once => "once", "Once only";
} "frequency");

/// A positive amount ("500", "0.5", "2,5" typed with a decimal comma),
/// kept as normalized text so nothing is lost to floating point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Amount(String);

impl Amount {
    pub const MAX: u64 = 100_000;

    pub fn parse(raw: &str, what: &str) -> Result<Self, ParseError> {
        let value = raw.trim().replace(',', ".");
        if value.is_empty() {
            return Err(ParseError::new(format!("Enter the {what}.")));
        }
        if value.starts_with('-') {
            return Err(ParseError::new(format!("The {what} cannot be negative.")));
        }
        let (whole, fraction) = value.split_once('.').unwrap_or((&value, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !digits(whole) || !digits(fraction) || fraction.len() > 3 || whole.len() > 6 {
            return Err(ParseError::new(format!("Enter the {what} as a number, e.g. 500 or 0.5.")));
        }
        let whole_n: u64 = whole.parse().map_err(|_| ParseError::new(format!("Enter the {what} as a number.")))?;
        let fraction = fraction.trim_end_matches('0');
        if whole_n == 0 && fraction.is_empty() {
            return Err(ParseError::new(format!("The {what} must be more than zero.")));
        }
        if whole_n > Self::MAX || (whole_n == Self::MAX && !fraction.is_empty()) {
            return Err(ParseError::new(format!("Check the {what}: at most {}.", Self::MAX)));
        }
        Ok(Amount(if fraction.is_empty() { whole_n.to_string() } else { format!("{whole_n}.{fraction}") }))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For values read back from storage, already normalized.
    pub fn from_stored(text: String) -> Self {
        Amount(text)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MedicationForm {
    pub drug: String,
    #[serde(default)]
    pub strength: String,
    #[serde(default)]
    pub strength_unit: String,
    pub dose: String,
    pub dose_unit: String,
    pub route: String,
    pub frequency: String,
    #[serde(default)]
    pub duration_days: String,
    #[serde(default)]
    pub quantity: String,
    #[serde(default)]
    pub refills: String,
    pub start_date: String,
    #[serde(default)]
    pub instructions: String,
    /// Checkbox: "I have checked the allergy warning", ticked to prescribe
    /// a drug that matches a recorded allergy.
    #[serde(default)]
    pub allergy_ack: Option<String>,
    #[serde(default)]
    pub allergy_ack_reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMedication {
    pub drug: String,
    pub strength: Option<(Amount, StrengthUnit)>,
    pub dose: Amount,
    pub dose_unit: DoseUnit,
    pub route: Route,
    pub frequency: Frequency,
    pub duration_days: Option<u32>,
    pub quantity: Option<u32>,
    pub refills: u32,
    pub start_date: NaiveDate,
    pub instructions: Option<String>,
    /// The reason given when the allergy warning was acknowledged.
    pub allergy_ack: Option<String>,
}

impl NewMedication {
    /// "Amoxicillin 500 mg", or the drug alone.
    pub fn title(&self) -> String {
        match &self.strength {
            Some((amount, unit)) => format!("{} {} {}", self.drug, amount.as_str(), unit.label()),
            None => self.drug.clone(),
        }
    }
}

/// Prescribed (with quantity and prescriber) or recorded (a medication the
/// patient takes, prescribed elsewhere or bought over the counter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MedicationKind {
    Prescribed,
    Recorded,
}

impl MedicationForm {
    pub const MAX_DRUG: usize = 200;
    pub const MAX_INSTRUCTIONS: usize = 2000;
    pub const MAX_QUANTITY: u32 = 10_000;
    pub const MAX_REFILLS: u32 = 12;
    pub const MAX_DAYS: u32 = 365;
    /// A start date may be planned ahead, not further than this.
    pub const MAX_DAYS_AHEAD: i64 = 90;

    /// `today` is the clinic's date.
    pub fn parse(&self, today: NaiveDate, kind: MedicationKind) -> Result<NewMedication, FieldErrors> {
        let mut errors = FieldErrors::new();
        let drug = errors.check("drug", text::required(&self.drug, Self::MAX_DRUG, "drug"));
        // No strength: the unit (a picker with a default) does not matter.
        let strength = if self.strength.trim().is_empty() {
            Some(None)
        } else {
            let amount = errors.check("strength", Amount::parse(&self.strength, "strength"));
            let unit = errors.check("strength_unit", StrengthUnit::parse(&self.strength_unit));
            amount.zip(unit).map(Some)
        };
        let dose = errors.check("dose", Amount::parse(&self.dose, "dose"));
        let dose_unit = errors.check("dose_unit", DoseUnit::parse(&self.dose_unit));
        let route = errors.check("route", Route::parse(&self.route));
        let frequency = errors.check("frequency", Frequency::parse(&self.frequency));
        let duration_days = errors.check("duration_days", text::optional_count(&self.duration_days, 1, Self::MAX_DAYS, "duration in days"));
        let quantity = errors.check("quantity", text::optional_count(&self.quantity, 1, Self::MAX_QUANTITY, "quantity"));
        if kind == MedicationKind::Prescribed && matches!(quantity, Some(None)) {
            errors.add("quantity", "Enter the quantity to dispense.");
        }
        let refills = errors.check("refills", text::optional_count(&self.refills, 0, Self::MAX_REFILLS, "number of refills"));
        let start_date = errors.check("start_date", parse_start(&self.start_date, today));
        let instructions = errors.check("instructions", text::optional_multi_line(&self.instructions, Self::MAX_INSTRUCTIONS, "instructions"));
        let allergy_ack = if text::ticked(&self.allergy_ack) {
            errors.check("allergy_ack_reason", text::reason(&self.allergy_ack_reason, 10, 500, "reason for prescribing despite the allergy")).map(Some)
        } else {
            Some(None)
        };
        match (drug, strength, dose, dose_unit, route, frequency, duration_days, quantity, refills, start_date, instructions, allergy_ack) {
            (
                Some(drug),
                Some(strength),
                Some(dose),
                Some(dose_unit),
                Some(route),
                Some(frequency),
                Some(duration_days),
                Some(quantity),
                Some(refills),
                Some(start_date),
                Some(instructions),
                Some(allergy_ack),
            ) if errors.is_empty() => Ok(NewMedication {
                drug,
                strength,
                dose,
                dose_unit,
                route,
                frequency,
                duration_days,
                quantity,
                refills: refills.unwrap_or(0),
                start_date,
                instructions,
                allergy_ack,
            }),
            _ => Err(errors),
        }
    }
}

fn parse_start(raw: &str, today: NaiveDate) -> Result<NaiveDate, ParseError> {
    if raw.trim().is_empty() {
        return Err(ParseError::new("Enter the start date."));
    }
    let date = parse_date(raw)?;
    if date > today + Duration::days(MedicationForm::MAX_DAYS_AHEAD) {
        return Err(ParseError::new(format!(
            "The start date can be at most {} days ahead.",
            MedicationForm::MAX_DAYS_AHEAD
        )));
    }
    if date < today - Duration::days(365 * 100) {
        return Err(ParseError::new("Check the year of the start date."));
    }
    Ok(date)
}

/// The errors a prescription gets when its drug matches recorded
/// allergies and the warning was not acknowledged: the warning at the
/// drug field, and the acknowledgement asked for at the checkbox.
pub fn allergy_warning(hits: &[AllergyHit]) -> FieldErrors {
    let list: Vec<String> = hits.iter().map(AllergyHit::message).collect();
    let mut errors = FieldErrors::new();
    errors.add("drug", format!("Allergy warning — {}", list.join(" ")));
    errors.add(
        "allergy_ack",
        "To go ahead, tick that you have checked the allergy warning and say why this drug is right for this patient.",
    );
    errors
}

/// Why a medication is stopped, or why it is changed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StopForm {
    pub reason: String,
}

impl StopForm {
    pub fn parse(&self) -> Result<String, FieldErrors> {
        text::reason(&self.reason, 3, 500, "reason").map_err(|e| FieldErrors::single("reason", e.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
    }

    fn form() -> MedicationForm {
        MedicationForm {
            drug: "Amoxicillin".into(),
            strength: "500".into(),
            strength_unit: "mg".into(),
            dose: "1".into(),
            dose_unit: "capsule".into(),
            route: "oral".into(),
            frequency: "three_times_daily".into(),
            duration_days: "7".into(),
            quantity: "21".into(),
            refills: "".into(),
            start_date: "2026-11-24".into(),
            instructions: "Take with food.".into(),
            ..Default::default()
        }
    }

    #[test]
    fn amounts_and_units() {
        assert_eq!(Amount::parse("500", "dose").unwrap().as_str(), "500");
        assert_eq!(Amount::parse("0.50", "dose").unwrap().as_str(), "0.5");
        assert_eq!(Amount::parse("2,5", "dose").unwrap().as_str(), "2.5");
        assert_eq!(Amount::parse("007", "dose").unwrap().as_str(), "7");
        for (bad, says) in [("-1", "negative"), ("0", "more than zero"), ("0.000", "more than zero"), ("1e3", "number"), ("1.2345", "number"), ("200000", "at most"), ("", "Enter"), ("½", "number"), ("NaN", "number")] {
            let error = Amount::parse(bad, "dose").unwrap_err().0;
            assert!(error.contains(says), "{bad}: {error}");
        }
        assert_eq!(StrengthUnit::parse("mg/5mL").unwrap().label(), "mg/5 mL");
        assert!(StrengthUnit::parse("MG").is_err(), "codes are exact");
        assert_eq!(DoseUnit::parse("tablet").unwrap(), DoseUnit::Tablet);
        assert!(Route::parse("telepathic").unwrap_err().0.contains("route"));
        assert_eq!(Frequency::options().len(), Frequency::ALL.len());
    }

    #[test]
    fn a_prescription_parses() {
        let m = form().parse(today(), MedicationKind::Prescribed).unwrap();
        assert_eq!(m.title(), "Amoxicillin 500 mg");
        assert_eq!((m.quantity, m.refills, m.duration_days), (Some(21), 0, Some(7)));
        assert_eq!(m.allergy_ack, None);
    }

    #[test]
    fn bad_values_are_refused_at_their_fields() {
        let bad = MedicationForm {
            drug: "x".repeat(1_000_000),
            strength: "500".into(),
            strength_unit: "".into(),
            dose: "-2".into(),
            dose_unit: "bucket".into(),
            route: "".into(),
            frequency: "hourly-ish".into(),
            duration_days: "0".into(),
            quantity: "-5".into(),
            refills: "99".into(),
            start_date: "2030-01-01".into(),
            instructions: "<script>alert(1)</script>".into(),
            allergy_ack: Some("on".into()),
            allergy_ack_reason: "ok".into(),
        };
        let errors = bad.parse(today(), MedicationKind::Prescribed).unwrap_err();
        for field in ["drug", "strength_unit", "dose", "dose_unit", "route", "frequency", "duration_days", "quantity", "refills", "start_date", "instructions", "allergy_ack_reason"] {
            assert!(errors.get(field).is_some(), "{field}: {errors:?}");
        }
        assert!(errors.get("quantity").unwrap().contains("negative"));
    }

    #[test]
    fn prescriptions_need_a_quantity_recorded_medications_do_not() {
        let without = MedicationForm { quantity: String::new(), ..form() };
        assert!(without.parse(today(), MedicationKind::Prescribed).unwrap_err().get("quantity").is_some());
        assert_eq!(without.parse(today(), MedicationKind::Recorded).unwrap().quantity, None);
    }

    #[test]
    fn acknowledging_the_allergy_warning_needs_a_reason() {
        let ack = MedicationForm { allergy_ack: Some("on".into()), allergy_ack_reason: "Tolerated amoxicillin in 2024 under supervision".into(), ..form() };
        assert!(ack.parse(today(), MedicationKind::Prescribed).unwrap().allergy_ack.unwrap().contains("2024"));
        let hit = AllergyHit { substance: "Penicillin".into(), severity: "Severe".into(), why: "amoxicillin is one of the penicillins.".into() };
        let errors = allergy_warning(&[hit]);
        assert!(errors.get("drug").unwrap().contains("Penicillin (Severe)"));
        assert!(errors.get("allergy_ack").is_some());
        assert!(StopForm { reason: " ".into() }.parse().is_err());
    }
}

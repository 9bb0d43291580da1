//! Growth charts for children under five: where a child's weight, length
//! or height and BMI fall against the WHO Child Growth Standards.
//!
//! WHO publishes each indicator as LMS parameters by month of age (Cole's
//! method): for a measurement `x` at an age with parameters L, M, S, the
//! z-score is `((x / M)^L − 1) / (L·S)` (or `ln(x / M) / S` when L is 0),
//! and the value at a z-score is `M·(1 + L·S·z)^(1/L)`. Between whole
//! months the parameters are interpolated linearly. The tables are in
//! `who.rs`, generated from WHO's files; ages past 60 months have no
//! standard here (WHO's 5–19 year references are a different set).
//!
//! The chart draws the 3rd, 15th, 50th, 85th and 97th centiles, shades
//! 3rd–97th as the normal range, and marks a measurement outside it.

mod who;

use crate::{patients::SexAtBirth, vitals::Measure};
use chrono::NaiveDate;

/// The last month of age the standards cover.
pub const LAST_MONTH: u32 = 60;

/// Days per month of age, as WHO counts them (365.25 / 12).
const DAYS_PER_MONTH: f64 = 30.4375;

/// The centiles drawn, with their z-scores and labels.
pub const CENTILES: [(f64, &str); 5] = [(-1.881, "3rd"), (-1.036, "15th"), (0.0, "50th"), (1.036, "85th"), (1.881, "97th")];

/// Outside the 3rd–97th centile band counts as outside the normal range.
pub const NORMAL_Z: f64 = 1.881;

/// Which standard: the measure and the child's sex.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standard {
    pub measure: Measure,
    pub female: bool,
}

impl Standard {
    /// The standard for a measure, when WHO has one for it and the record
    /// says female or male (the standards are by sex; for intersex or
    /// unknown there is no single right chart, so none is drawn).
    pub fn of(measure: Measure, sex: Option<SexAtBirth>) -> Option<Standard> {
        let female = match sex? {
            SexAtBirth::Female => true,
            SexAtBirth::Male => false,
            SexAtBirth::Intersex | SexAtBirth::Unknown => return None,
        };
        matches!(measure, Measure::Weight | Measure::Height | Measure::Bmi).then_some(Standard { measure, female })
    }

    /// "Weight-for-age (girls, WHO)".
    pub fn title(self) -> String {
        let what = match self.measure {
            Measure::Weight => "Weight-for-age",
            Measure::Height => "Length/height-for-age",
            _ => "BMI-for-age",
        };
        format!("{what} ({}, WHO)", if self.female { "girls" } else { "boys" })
    }

    fn table(self) -> &'static [[f64; 5]; 61] {
        match (self.measure, self.female) {
            (Measure::Weight, false) => &who::WEIGHT_BOYS,
            (Measure::Weight, true) => &who::WEIGHT_GIRLS,
            (Measure::Height, false) => &who::HEIGHT_BOYS,
            (Measure::Height, true) => &who::HEIGHT_GIRLS,
            (_, false) => &who::BMI_BOYS,
            (_, true) => &who::BMI_GIRLS,
        }
    }

    /// The LMS parameters at an age in months (fractional), or `None`
    /// outside 0–60 months.
    pub fn lms(self, months: f64) -> Option<Lms> {
        if !(0.0..=f64::from(LAST_MONTH)).contains(&months) {
            return None;
        }
        let table = self.table();
        let below = months.floor() as usize;
        let above = (below + 1).min(table.len() - 1);
        let f = months - below as f64;
        let mix = |i: usize| table[below][i] + (table[above][i] - table[below][i]) * f;
        Some(Lms { l: mix(0), m: mix(1), s: mix(2) })
    }

    /// The value of each drawn centile at whole months `0..=last`:
    /// (label, points of (month, value)).
    pub fn centile_curves(self, last: u32) -> Vec<(&'static str, Vec<(f64, f64)>)> {
        CENTILES
            .iter()
            .map(|&(z, label)| {
                let points = (0..=last.min(LAST_MONTH))
                    .filter_map(|m| self.lms(f64::from(m)).map(|lms| (f64::from(m), lms.value_at(z))))
                    .collect();
                (label, points)
            })
            .collect()
    }
}

/// The LMS parameters at one age.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lms {
    pub l: f64,
    pub m: f64,
    pub s: f64,
}

impl Lms {
    /// The z-score of a measurement (in the standard's unit: kg, cm, kg/m²).
    pub fn z(&self, x: f64) -> f64 {
        if self.l.abs() < 1e-9 {
            (x / self.m).ln() / self.s
        } else {
            ((x / self.m).powf(self.l) - 1.0) / (self.l * self.s)
        }
    }

    /// The measurement at a z-score.
    pub fn value_at(&self, z: f64) -> f64 {
        if self.l.abs() < 1e-9 {
            self.m * (self.s * z).exp()
        } else {
            self.m * (1.0 + self.l * self.s * z).powf(1.0 / self.l)
        }
    }
}

/// Age in months (fractional) on `on` of a child born on `born`; `None`
/// before birth.
pub fn age_in_months(born: NaiveDate, on: NaiveDate) -> Option<f64> {
    let days = (on - born).num_days();
    (days >= 0).then(|| days as f64 / DAYS_PER_MONTH)
}

/// The centile of a z-score (standard normal), 0–100, for display.
pub fn centile(z: f64) -> f64 {
    100.0 * normal_cdf(z)
}

/// The standard normal distribution function (Abramowitz and Stegun
/// 26.2.17, accurate to 7.5e-8: ample for a displayed centile).
fn normal_cdf(z: f64) -> f64 {
    let t = 1.0 / (1.0 + 0.231_641_9 * z.abs());
    let poly = t * (0.319_381_530 + t * (-0.356_563_782 + t * (1.781_477_937 + t * (-1.821_255_978 + t * 1.330_274_429))));
    let tail = (-z * z / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt() * poly;
    if z >= 0.0 {
        1.0 - tail
    } else {
        tail
    }
}

/// "42nd", "3rd", "below the 1st" / "above the 99th" at the ends.
pub fn centile_text(z: f64) -> String {
    let c = centile(z);
    if c < 1.0 {
        return "below the 1st centile".to_owned();
    }
    if c > 99.0 {
        return "above the 99th centile".to_owned();
    }
    let n = c.round() as u32;
    let suffix = match (n % 10, n % 100) {
        (1, r) if r != 11 => "st",
        (2, r) if r != 12 => "nd",
        (3, r) if r != 13 => "rd",
        _ => "th",
    };
    format!("{n}{suffix} centile")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> Vec<Standard> {
        [Measure::Weight, Measure::Height, Measure::Bmi]
            .into_iter()
            .flat_map(|measure| [true, false].map(|female| Standard { measure, female }))
            .collect()
    }

    #[test]
    fn the_lms_formula_gives_whos_own_minus_and_plus_two_sd_values() {
        // WHO rounds its published SD values to one decimal: every month of
        // every table agrees within that rounding.
        for standard in all() {
            for (month, row) in standard.table().iter().enumerate() {
                let lms = standard.lms(month as f64).expect("inside 0–60 months");
                for (z, published) in [(-2.0, row[3]), (2.0, row[4])] {
                    let computed = lms.value_at(z);
                    assert!((computed - published).abs() <= 0.051, "{standard:?} month {month} z {z}: {computed} vs {published}");
                }
                // z and value_at are inverses.
                assert!((lms.z(lms.value_at(1.3)) - 1.3).abs() < 1e-9);
            }
        }
    }

    #[test]
    fn the_median_child_is_on_the_50th_centile_and_extremes_are_outside_the_band() {
        let boys_weight = Standard { measure: Measure::Weight, female: false };
        let birth = boys_weight.lms(0.0).unwrap();
        assert!(birth.z(3.3464).abs() < 1e-9, "the median birth weight of a boy is 3.3464 kg");
        assert_eq!(centile_text(birth.z(3.3464)), "50th centile");
        assert!(birth.z(2.0) < -NORMAL_Z, "2 kg at birth is below the 3rd centile");
        assert_eq!(centile_text(birth.z(1.5)), "below the 1st centile");
        // Halfway between months, halfway between their medians.
        let half = boys_weight.lms(0.5).unwrap();
        assert!((half.m - (3.3464 + 4.4709) / 2.0).abs() < 1e-9);
        // Girls are lighter than boys at a year.
        let girls = Standard { measure: Measure::Weight, female: true }.lms(12.0).unwrap();
        assert!(girls.m < boys_weight.lms(12.0).unwrap().m);
        assert!(boys_weight.lms(60.5).is_none() && boys_weight.lms(-0.1).is_none());
    }

    #[test]
    fn centiles_and_ages() {
        assert!((centile(0.0) - 50.0).abs() < 1e-6);
        assert!((centile(1.881) - 97.0).abs() < 0.01);
        assert!((centile(-1.036) - 15.0).abs() < 0.02, "the 15th centile is z = −1.0364");
        assert_eq!(centile_text(0.1), "54th centile");
        assert_eq!(centile_text(-1.2), "12th centile");
        assert_eq!(centile_text(-1.881), "3rd centile");
        let born = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        assert_eq!(age_in_months(born, NaiveDate::from_ymd_opt(2025, 1, 1).unwrap()), Some(0.0));
        let a = age_in_months(born, NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()).unwrap();
        assert!((a - 11.99).abs() < 0.01, "{a}");
        assert_eq!(age_in_months(born, NaiveDate::from_ymd_opt(2024, 12, 31).unwrap()), None);
    }

    #[test]
    fn only_female_and_male_have_a_standard_and_only_for_growth_measures() {
        assert!(Standard::of(Measure::Weight, Some(SexAtBirth::Female)).is_some_and(|s| s.female));
        assert!(Standard::of(Measure::Bmi, Some(SexAtBirth::Male)).is_some_and(|s| !s.female));
        assert!(Standard::of(Measure::Weight, Some(SexAtBirth::Intersex)).is_none());
        assert!(Standard::of(Measure::Weight, None).is_none());
        assert!(Standard::of(Measure::Pulse, Some(SexAtBirth::Female)).is_none());
        let curves = Standard::of(Measure::Height, Some(SexAtBirth::Female)).unwrap().centile_curves(24);
        assert_eq!(curves.len(), 5);
        assert!(curves.iter().all(|(_, points)| points.len() == 25));
        // Centile curves never cross.
        for m in 0..25 {
            assert!(curves.windows(2).all(|w| w[0].1[m].1 < w[1].1[m].1));
        }
    }
}

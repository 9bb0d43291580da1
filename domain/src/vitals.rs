//! Vital signs: what may be recorded, in which units, and what is normal.
//!
//! Everything is stored in one canonical unit per measure, as integers:
//! blood pressure in mmHg, pulse and breathing in per minute, temperature
//! in tenths of a degree Celsius, SpO2 in percent, height in millimetres,
//! weight in grams, BMI in tenths of kg/m². The form accepts °C/°F, kg/lb
//! and cm/in with an explicit unit select, and converts here, so the
//! browser and the server agree on every number.

use crate::{
    decimal::{div_round, format_scaled, parse_scaled},
    errors::{FieldErrors, ParseError},
};
use chrono::{NaiveDateTime, TimeDelta};
use serde::{Deserialize, Serialize};

/// The measures the chart plots, one chart each (blood pressure draws
/// systolic and diastolic in one chart).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    Systolic,
    Diastolic,
    Pulse,
    Temperature,
    RespiratoryRate,
    Spo2,
    Height,
    Weight,
    Bmi,
}

impl Measure {
    pub const ALL: [Measure; 9] = [
        Measure::Systolic,
        Measure::Diastolic,
        Measure::Pulse,
        Measure::Temperature,
        Measure::RespiratoryRate,
        Measure::Spo2,
        Measure::Height,
        Measure::Weight,
        Measure::Bmi,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Measure::Systolic => "Systolic",
            Measure::Diastolic => "Diastolic",
            Measure::Pulse => "Pulse",
            Measure::Temperature => "Temperature",
            Measure::RespiratoryRate => "Respiratory rate",
            Measure::Spo2 => "SpO2",
            Measure::Height => "Height",
            Measure::Weight => "Weight",
            Measure::Bmi => "BMI",
        }
    }

    /// The unit values are shown in (the canonical unit scaled down by
    /// [`Measure::decimals`]).
    pub fn unit(self) -> &'static str {
        match self {
            Measure::Systolic | Measure::Diastolic => "mmHg",
            Measure::Pulse => "beats/min",
            Measure::Temperature => "°C",
            Measure::RespiratoryRate => "breaths/min",
            Measure::Spo2 => "%",
            Measure::Height => "cm",
            Measure::Weight => "kg",
            Measure::Bmi => "kg/m²",
        }
    }

    /// Decimal places of the display unit within the stored integer:
    /// tenths of °C → °C is 1, mm → cm is 1, g → kg is 3, BMI tenths is 1.
    pub fn decimals(self) -> u32 {
        match self {
            Measure::Temperature | Measure::Height | Measure::Bmi => 1,
            Measure::Weight => 3,
            _ => 0,
        }
    }

    /// The adult normal range in stored units, inclusive; `None` where
    /// "normal" depends on the person (height, weight).
    pub fn normal(self) -> Option<(i64, i64)> {
        match self {
            Measure::Systolic => Some((90, 139)),
            Measure::Diastolic => Some((60, 89)),
            Measure::Pulse => Some((60, 100)),
            Measure::Temperature => Some((361, 378)),
            Measure::RespiratoryRate => Some((12, 20)),
            Measure::Spo2 => Some((95, 100)),
            Measure::Bmi => Some((185, 249)),
            Measure::Height | Measure::Weight => None,
        }
    }

    pub fn is_abnormal(self, stored: i64) -> bool {
        self.normal().is_some_and(|(low, high)| stored < low || stored > high)
    }

    /// A stored value as display text: weight 70450 → "70.5", temperature 372 → "37.2".
    pub fn display(self, stored: i64) -> String {
        match self {
            // Grams to kg with one decimal: 100 g is as fine as a scale shows.
            Measure::Weight => format_scaled(div_round(i128::from(stored), 100) as i64, 1),
            _ => format_scaled(stored, self.decimals()),
        }
    }

    /// A stored value in display units as a float, for plotting only.
    pub fn plot_value(self, stored: i64) -> f64 {
        stored as f64 / 10_f64.powi(self.decimals() as i32)
    }

    /// The normal range as text, "60–100 beats/min".
    pub fn normal_text(self) -> Option<String> {
        self.normal().map(|(low, high)| format!("{}–{} {}", self.display(low), self.display(high), self.unit()))
    }
}

/// Temperature units offered on entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemperatureUnit {
    Celsius,
    Fahrenheit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeightUnit {
    Centimetres,
    Inches,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeightUnit {
    Kilograms,
    Pounds,
}

impl TemperatureUnit {
    pub const OPTIONS: [(&'static str, &'static str); 2] = [("c", "°C"), ("f", "°F")];

    fn parse(raw: &str) -> Result<Self, ParseError> {
        match raw.trim() {
            "" | "c" => Ok(Self::Celsius),
            "f" => Ok(Self::Fahrenheit),
            _ => Err(ParseError::new("Choose °C or °F.")),
        }
    }

    /// Thousandths of this unit → tenths of °C.
    pub fn to_decicelsius(self, milli: i64) -> i64 {
        match self {
            Self::Celsius => div_round(i128::from(milli), 100) as i64,
            // (°F − 32) × 5/9, in thousandths, then to tenths.
            Self::Fahrenheit => div_round((i128::from(milli) - 32_000) * 5, 900) as i64,
        }
    }

    /// Tenths of °C → thousandths of this unit (for showing a value back).
    pub fn from_decicelsius(self, deci: i64) -> i64 {
        match self {
            Self::Celsius => deci * 100,
            Self::Fahrenheit => (div_round(i128::from(deci) * 900, 5) + 32_000) as i64,
        }
    }
}

impl HeightUnit {
    pub const OPTIONS: [(&'static str, &'static str); 2] = [("cm", "cm"), ("in", "in")];

    fn parse(raw: &str) -> Result<Self, ParseError> {
        match raw.trim() {
            "" | "cm" => Ok(Self::Centimetres),
            "in" => Ok(Self::Inches),
            _ => Err(ParseError::new("Choose cm or in.")),
        }
    }

    /// Thousandths of this unit → millimetres.
    pub fn to_mm(self, milli: i64) -> i64 {
        match self {
            Self::Centimetres => div_round(i128::from(milli), 100) as i64,
            // 1 in = 25.4 mm exactly.
            Self::Inches => div_round(i128::from(milli) * 254, 10_000) as i64,
        }
    }

    pub fn from_mm(self, mm: i64) -> i64 {
        match self {
            Self::Centimetres => mm * 100,
            Self::Inches => div_round(i128::from(mm) * 10_000, 254) as i64,
        }
    }
}

impl WeightUnit {
    pub const OPTIONS: [(&'static str, &'static str); 2] = [("kg", "kg"), ("lb", "lb")];

    fn parse(raw: &str) -> Result<Self, ParseError> {
        match raw.trim() {
            "" | "kg" => Ok(Self::Kilograms),
            "lb" => Ok(Self::Pounds),
            _ => Err(ParseError::new("Choose kg or lb.")),
        }
    }

    /// Thousandths of this unit → grams.
    pub fn to_grams(self, milli: i64) -> i64 {
        match self {
            Self::Kilograms => milli,
            // 1 lb = 453.59237 g exactly.
            Self::Pounds => div_round(i128::from(milli) * 45_359_237, 100_000_000) as i64,
        }
    }

    pub fn from_grams(self, grams: i64) -> i64 {
        match self {
            Self::Kilograms => grams,
            Self::Pounds => div_round(i128::from(grams) * 100_000_000, 45_359_237) as i64,
        }
    }
}

/// Plausibility limits in stored units: values outside cannot be a living
/// person's (or are a unit mix-up) and are refused at the field.
pub mod limits {
    pub const SYSTOLIC: (i64, i64) = (40, 300);
    pub const DIASTOLIC: (i64, i64) = (20, 200);
    pub const PULSE: (i64, i64) = (20, 250);
    /// 25.0–45.0 °C.
    pub const TEMPERATURE: (i64, i64) = (250, 450);
    pub const RESPIRATORY_RATE: (i64, i64) = (4, 80);
    pub const SPO2: (i64, i64) = (50, 100);
    /// 20–272 cm (a premature newborn to the tallest person recorded).
    pub const HEIGHT_MM: (i64, i64) = (200, 2_720);
    /// 0.2–650 kg.
    pub const WEIGHT_G: (i64, i64) = (200, 650_000);
}

/// What the vitals form sends: strings as typed, and the unit selects.
/// Every field may be empty except that at least one measure is needed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct VitalsForm {
    /// `YYYY-MM-DDTHH:MM` in the clinic's time zone (`<input
    /// type=datetime-local>`); empty means now.
    pub recorded_at: String,
    pub systolic: String,
    pub diastolic: String,
    pub pulse: String,
    pub temperature: String,
    pub temperature_unit: String,
    pub respiratory_rate: String,
    pub spo2: String,
    pub height: String,
    pub height_unit: String,
    pub weight: String,
    pub weight_unit: String,
}

/// A parsed reading, in stored units.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reading {
    /// Local (clinic) time; `None`: now.
    pub recorded_at: Option<NaiveDateTime>,
    pub systolic: Option<i64>,
    pub diastolic: Option<i64>,
    pub pulse: Option<i64>,
    pub temperature: Option<i64>,
    pub respiratory_rate: Option<i64>,
    pub spo2: Option<i64>,
    pub height_mm: Option<i64>,
    pub weight_g: Option<i64>,
}

impl Reading {
    /// The stored value of one measure (BMI is computed, see [`bmi_tenths`]).
    pub fn get(&self, measure: Measure) -> Option<i64> {
        match measure {
            Measure::Systolic => self.systolic,
            Measure::Diastolic => self.diastolic,
            Measure::Pulse => self.pulse,
            Measure::Temperature => self.temperature,
            Measure::RespiratoryRate => self.respiratory_rate,
            Measure::Spo2 => self.spo2,
            Measure::Height => self.height_mm,
            Measure::Weight => self.weight_g,
            Measure::Bmi => None,
        }
    }
}

/// Body-mass index in tenths of kg/m²: weight / height², rounded.
/// `None` unless both are known.
pub fn bmi_tenths(weight_g: Option<i64>, height_mm: Option<i64>) -> Option<i64> {
    let (w, h) = (i128::from(weight_g?), i128::from(height_mm?));
    if h <= 0 || w <= 0 {
        return None;
    }
    // (w / 1000) / (h / 1000)² × 10 = w × 10_000 / h².
    Some(div_round(w * 10_000, h * h) as i64)
}

/// `YYYY-MM-DDTHH:MM` (seconds allowed), as `<input type=datetime-local>` sends.
pub fn parse_local_datetime(raw: &str) -> Result<NaiveDateTime, ParseError> {
    let text = raw.trim();
    ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
        .ok_or_else(|| ParseError::new("Enter a date and time, e.g. 2026-11-24 09:30."))
}

/// When something was recorded or ordered: now if empty, else a local time
/// that is not in the future (a few minutes' slack for clocks) and not
/// absurdly old.
pub fn parse_when(raw: &str, now_local: NaiveDateTime) -> Result<Option<NaiveDateTime>, ParseError> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    let at = parse_local_datetime(raw)?;
    if at > now_local + TimeDelta::minutes(5) {
        return Err(ParseError::new("This time is in the future. Enter when it was taken, or leave it empty for now."));
    }
    if at < now_local - TimeDelta::days(366 * 130) {
        return Err(ParseError::new("Check the year: that is more than 130 years ago."));
    }
    Ok(Some(at))
}

fn in_range(value: i64, (low, high): (i64, i64), what: &str, shown: impl Fn(i64) -> String) -> Result<i64, ParseError> {
    if value < low || value > high {
        return Err(ParseError::new(format!(
            "{what} of {} is not possible. Enter a value from {} to {}.",
            shown(value),
            shown(low),
            shown(high)
        )));
    }
    Ok(value)
}

fn whole(raw: &str, what: &str, range: (i64, i64), unit: &str) -> Result<Option<i64>, ParseError> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    let value = parse_scaled(raw, 0, false, what)?;
    in_range(value, range, what, |v| format!("{v} {unit}")).map(Some)
}

/// At most two decimals as typed, held in thousandths for the conversions.
fn thousandths(raw: &str, what: &str) -> Result<i64, ParseError> {
    parse_scaled(raw, 2, false, what).map(|hundredths| hundredths * 10)
}

fn temperature(raw: &str, unit: TemperatureUnit) -> Result<Option<i64>, ParseError> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    let milli = thousandths(raw, "The temperature")?;
    let whole_degrees = milli / 1000;
    // The commonest slip: the value belongs to the other unit.
    match unit {
        TemperatureUnit::Celsius if (90..=110).contains(&whole_degrees) => {
            return Err(ParseError::new("That looks like °F: choose °F as the unit, or enter the value in °C."));
        }
        TemperatureUnit::Fahrenheit if (25..=45).contains(&whole_degrees) => {
            return Err(ParseError::new("That looks like °C: choose °C as the unit, or enter the value in °F."));
        }
        _ => {}
    }
    let deci = unit.to_decicelsius(milli);
    let shown = |d: i64| match unit {
        TemperatureUnit::Celsius => format!("{} °C", format_scaled(d, 1)),
        TemperatureUnit::Fahrenheit => format!("{} °F", format_scaled(div_round(i128::from(unit.from_decicelsius(d)), 100) as i64, 1)),
    };
    in_range(deci, limits::TEMPERATURE, "A temperature", shown).map(Some)
}

fn height(raw: &str, unit: HeightUnit) -> Result<Option<i64>, ParseError> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    let milli = thousandths(raw, "The height")?;
    let mm = unit.to_mm(milli);
    // 1.8 typed as cm is metres; 180 typed as inches is centimetres.
    if unit == HeightUnit::Centimetres && milli > 0 && milli < 3_000 {
        return Err(ParseError::new(format!(
            "A height of {} cm is too small. Did you mean metres? Enter it in centimetres ({} m = {} cm).",
            raw.trim(),
            raw.trim(),
            format_scaled(div_round(i128::from(milli) * 100, 1000) as i64, 0)
        )));
    }
    if unit == HeightUnit::Inches && mm > limits::HEIGHT_MM.1 && milli <= 272_000 {
        return Err(ParseError::new(format!(
            "A height of {} in is too tall. Did you mean centimetres? Choose cm as the unit.",
            raw.trim()
        )));
    }
    let shown = |mm: i64| match unit {
        HeightUnit::Centimetres => format!("{} cm", format_scaled(mm, 1)),
        HeightUnit::Inches => format!("{} in", format_scaled(div_round(i128::from(unit.from_mm(mm)), 100) as i64, 1)),
    };
    in_range(mm, limits::HEIGHT_MM, "A height", shown).map(Some)
}

fn weight(raw: &str, unit: WeightUnit) -> Result<Option<i64>, ParseError> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    let milli = thousandths(raw, "The weight")?;
    let grams = unit.to_grams(milli);
    // Grams typed as kilograms: 70500 "kg".
    if unit == WeightUnit::Kilograms && grams > limits::WEIGHT_G.1 && grams <= limits::WEIGHT_G.1 * 1000 {
        return Err(ParseError::new(format!(
            "A weight of {} kg is not possible. Did you mean grams? Enter it in kilograms.",
            raw.trim()
        )));
    }
    let shown = |g: i64| match unit {
        WeightUnit::Kilograms => format!("{} kg", format_scaled(div_round(i128::from(g), 100) as i64, 1)),
        WeightUnit::Pounds => format!("{} lb", format_scaled(div_round(i128::from(unit.from_grams(g)), 100) as i64, 1)),
    };
    if grams == 0 {
        return Err(ParseError::new("A weight of 0 is not possible."));
    }
    in_range(grams, limits::WEIGHT_G, "A weight", shown).map(Some)
}

impl VitalsForm {
    /// `now_local` is the clinic's wall-clock time (for the future check).
    pub fn parse(&self, now_local: NaiveDateTime) -> Result<Reading, FieldErrors> {
        let mut errors = FieldErrors::new();
        let recorded_at = errors.check("recorded_at", parse_when(&self.recorded_at, now_local));
        let systolic = errors.check("systolic", whole(&self.systolic, "A systolic pressure", limits::SYSTOLIC, "mmHg"));
        let diastolic = errors.check("diastolic", whole(&self.diastolic, "A diastolic pressure", limits::DIASTOLIC, "mmHg"));
        let pulse = errors.check("pulse", whole(&self.pulse, "A pulse", limits::PULSE, "beats/min"));
        let temperature = errors
            .check("temperature_unit", TemperatureUnit::parse(&self.temperature_unit))
            .and_then(|unit| errors.check("temperature", temperature(&self.temperature, unit)));
        let respiratory_rate = errors.check(
            "respiratory_rate",
            whole(&self.respiratory_rate, "A respiratory rate", limits::RESPIRATORY_RATE, "breaths/min"),
        );
        let spo2 = errors.check("spo2", whole(&self.spo2, "An SpO2", limits::SPO2, "%"));
        let height_mm = errors
            .check("height_unit", HeightUnit::parse(&self.height_unit))
            .and_then(|unit| errors.check("height", height(&self.height, unit)));
        let weight_g = errors
            .check("weight_unit", WeightUnit::parse(&self.weight_unit))
            .and_then(|unit| errors.check("weight", weight(&self.weight, unit)));
        // Blood pressure is a pair, systolic above diastolic.
        match (systolic, diastolic) {
            (Some(Some(_)), Some(None)) => errors.add("diastolic", "Enter the diastolic pressure too (the lower number)."),
            (Some(None), Some(Some(_))) => errors.add("systolic", "Enter the systolic pressure too (the upper number)."),
            (Some(Some(s)), Some(Some(d))) if s <= d => {
                errors.add("diastolic", "The diastolic pressure must be lower than the systolic. Check they are not swapped.")
            }
            _ => {}
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let reading = Reading {
            recorded_at: recorded_at.flatten(),
            systolic: systolic.flatten(),
            diastolic: diastolic.flatten(),
            pulse: pulse.flatten(),
            temperature: temperature.flatten(),
            respiratory_rate: respiratory_rate.flatten(),
            spo2: spo2.flatten(),
            height_mm: height_mm.flatten(),
            weight_g: weight_g.flatten(),
        };
        if Measure::ALL.iter().all(|m| reading.get(*m).is_none()) {
            return Err(FieldErrors::single("pulse", "Enter at least one measurement."));
        }
        Ok(reading)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> NaiveDateTime {
        parse_local_datetime("2026-11-24T10:00").unwrap()
    }

    fn form() -> VitalsForm {
        VitalsForm::default()
    }

    fn error_at(form: VitalsForm, field: &str) -> String {
        let errors = form.parse(now()).unwrap_err();
        errors.get(field).unwrap_or_else(|| panic!("no error at {field}: {errors:?}")).to_owned()
    }

    #[test]
    fn a_full_reading_parses_into_stored_units() {
        let f = VitalsForm {
            recorded_at: "2026-11-24T09:15".into(),
            systolic: "128".into(),
            diastolic: "82".into(),
            pulse: "72".into(),
            temperature: "37.2".into(),
            temperature_unit: "c".into(),
            respiratory_rate: "16".into(),
            spo2: "98".into(),
            height: "172.5".into(),
            height_unit: "cm".into(),
            weight: "70.45".into(),
            weight_unit: "kg".into(),
        };
        let r = f.parse(now()).unwrap();
        assert_eq!(r.recorded_at, Some(parse_local_datetime("2026-11-24T09:15").unwrap()));
        assert_eq!((r.systolic, r.diastolic, r.pulse), (Some(128), Some(82), Some(72)));
        assert_eq!(r.temperature, Some(372));
        assert_eq!(r.height_mm, Some(1725));
        assert_eq!(r.weight_g, Some(70_450));
        assert_eq!(bmi_tenths(r.weight_g, r.height_mm), Some(237));
    }

    #[test]
    fn units_convert_and_round_trip() {
        // 98.6 °F is 37.0 °C; 212 °F would be 100 °C.
        assert_eq!(TemperatureUnit::Fahrenheit.to_decicelsius(98_600), 370);
        assert_eq!(TemperatureUnit::Fahrenheit.from_decicelsius(370), 98_600);
        // 70 in is 1778 mm; 154 lb is 69 853 g.
        assert_eq!(HeightUnit::Inches.to_mm(70_000), 1778);
        assert_eq!(WeightUnit::Pounds.to_grams(154_000), 69_853);
        // Round trips stay within the display precision (0.1).
        for lb_tenths in [10_i64, 1540, 2205, 10000] {
            let grams = WeightUnit::Pounds.to_grams(lb_tenths * 100);
            let back = WeightUnit::Pounds.from_grams(grams);
            assert!((back - lb_tenths * 100).abs() <= 50, "{lb_tenths}: {back}");
        }
        for inch_tenths in [200_i64, 650, 700, 795] {
            let mm = HeightUnit::Inches.to_mm(inch_tenths * 100);
            assert!((HeightUnit::Inches.from_mm(mm) - inch_tenths * 100).abs() <= 50);
        }
        for f_tenths in [950_i64, 986, 1022, 1040] {
            let deci = TemperatureUnit::Fahrenheit.to_decicelsius(f_tenths * 100);
            assert!((TemperatureUnit::Fahrenheit.from_decicelsius(deci) - f_tenths * 100).abs() <= 100);
        }
        let f = VitalsForm { temperature: "98.6".into(), temperature_unit: "f".into(), weight: "154".into(), weight_unit: "lb".into(), height: "70".into(), height_unit: "in".into(), ..form() };
        let r = f.parse(now()).unwrap();
        assert_eq!((r.temperature, r.weight_g, r.height_mm), (Some(370), Some(69_853), Some(1778)));
    }

    #[test]
    fn impossible_values_are_refused_with_a_reason() {
        assert!(error_at(VitalsForm { pulse: "900".into(), ..form() }, "pulse").contains("900"));
        assert!(error_at(VitalsForm { pulse: "72.5".into(), ..form() }, "pulse").contains("whole number"));
        assert!(error_at(VitalsForm { weight: "-1".into(), ..form() }, "weight").contains("negative"));
        assert!(error_at(VitalsForm { weight: "0".into(), ..form() }, "weight").contains("not possible"));
        assert!(error_at(VitalsForm { temperature: "60".into(), ..form() }, "temperature").contains("not possible"));
        assert!(error_at(VitalsForm { spo2: "101".into(), ..form() }, "spo2").contains("not possible"));
        assert!(error_at(VitalsForm { respiratory_rate: "<b>".into(), ..form() }, "respiratory_rate").contains("number"));
        assert!(error_at(VitalsForm { pulse: "7".repeat(1_000_000), ..form() }, "pulse").contains("too long"));
        assert!(error_at(VitalsForm { temperature_unit: "kelvin".into(), temperature: "300".into(), ..form() }, "temperature_unit").contains("°C"));
    }

    #[test]
    fn unit_mix_ups_are_named() {
        assert!(error_at(VitalsForm { height: "1.8".into(), height_unit: "cm".into(), ..form() }, "height").contains("metres"));
        assert!(error_at(VitalsForm { height: "180".into(), height_unit: "in".into(), ..form() }, "height").contains("centimetres"));
        assert!(error_at(VitalsForm { temperature: "98.6".into(), temperature_unit: "c".into(), ..form() }, "temperature").contains("°F"));
        assert!(error_at(VitalsForm { temperature: "37".into(), temperature_unit: "f".into(), ..form() }, "temperature").contains("°C"));
        assert!(error_at(VitalsForm { weight: "70500".into(), weight_unit: "kg".into(), ..form() }, "weight").contains("grams"));
    }

    #[test]
    fn blood_pressure_is_a_pair_in_order() {
        assert!(error_at(VitalsForm { systolic: "120".into(), ..form() }, "diastolic").contains("diastolic"));
        assert!(error_at(VitalsForm { diastolic: "80".into(), ..form() }, "systolic").contains("systolic"));
        assert!(error_at(VitalsForm { systolic: "80".into(), diastolic: "120".into(), ..form() }, "diastolic").contains("swapped"));
    }

    #[test]
    fn times_and_emptiness() {
        assert!(error_at(form(), "pulse").contains("at least one"));
        assert!(error_at(VitalsForm { pulse: "70".into(), recorded_at: "2026-11-25T10:00".into(), ..form() }, "recorded_at").contains("future"));
        assert!(error_at(VitalsForm { pulse: "70".into(), recorded_at: "yesterday".into(), ..form() }, "recorded_at").contains("date"));
        assert_eq!(VitalsForm { pulse: "70".into(), ..form() }.parse(now()).unwrap().recorded_at, None);
    }

    #[test]
    fn normal_ranges_and_display() {
        assert!(Measure::Pulse.is_abnormal(130));
        assert!(!Measure::Pulse.is_abnormal(72));
        assert!(Measure::Spo2.is_abnormal(90));
        assert!(!Measure::Weight.is_abnormal(200_000), "weight has no normal range");
        assert_eq!(Measure::Temperature.display(372), "37.2");
        assert_eq!(Measure::Weight.display(70_450), "70.5");
        assert_eq!(Measure::Height.display(1725), "172.5");
        assert_eq!(Measure::Bmi.display(237), "23.7");
        assert_eq!(Measure::Pulse.normal_text().unwrap(), "60–100 beats/min");
        assert_eq!(bmi_tenths(Some(70_000), None), None);
    }
}

//! Lab and imaging results: ordered tests, structured results with their
//! reference ranges, and the flag (low, high, critical) computed from them.
//!
//! Values are exact decimals held as thousandths (`value_milli`), so a
//! potassium of 5.25 mmol/L is 5250 and comparisons with its range are exact.

use crate::{
    decimal::{format_trimmed, parse_scaled},
    errors::{has_forbidden_chars, FieldErrors, ParseError},
    vitals::parse_when,
    LabOrderId,
};
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

/// Decimal places kept for result values and ranges.
pub const DECIMALS: u32 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderKind {
    Lab,
    Imaging,
}

impl OrderKind {
    pub const OPTIONS: [(&'static str, &'static str); 2] = [("lab", "Laboratory test"), ("imaging", "Imaging")];

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        match raw.trim() {
            "lab" => Ok(Self::Lab),
            "imaging" => Ok(Self::Imaging),
            _ => Err(ParseError::new("Choose laboratory test or imaging.")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Lab => "lab",
            Self::Imaging => "imaging",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Lab => "Laboratory",
            Self::Imaging => "Imaging",
        }
    }
}

/// Ordered → received (when the first result or the report arrives).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Ordered,
    Received,
}

impl OrderStatus {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        match raw {
            "ordered" => Ok(Self::Ordered),
            "received" => Ok(Self::Received),
            _ => Err(ParseError::new("Unknown order status.")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ordered => "ordered",
            Self::Received => "received",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Ordered => "Ordered",
            Self::Received => "Received",
        }
    }
}

/// Where a value lies against its reference and critical limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Flag {
    Normal,
    Low,
    High,
    CriticalLow,
    CriticalHigh,
}

impl Flag {
    /// Critical limits win over the reference range; a missing limit never flags.
    pub fn compute(value: i64, range: &Range) -> Self {
        if range.critical_low.is_some_and(|l| value < l) {
            Flag::CriticalLow
        } else if range.critical_high.is_some_and(|h| value > h) {
            Flag::CriticalHigh
        } else if range.low.is_some_and(|l| value < l) {
            Flag::Low
        } else if range.high.is_some_and(|h| value > h) {
            Flag::High
        } else {
            Flag::Normal
        }
    }

    /// The stored code, as on a lab report.
    pub fn code(self) -> &'static str {
        match self {
            Flag::Normal => "N",
            Flag::Low => "L",
            Flag::High => "H",
            Flag::CriticalLow => "LL",
            Flag::CriticalHigh => "HH",
        }
    }

    pub fn from_code(code: &str) -> Result<Self, ParseError> {
        match code {
            "N" => Ok(Flag::Normal),
            "L" => Ok(Flag::Low),
            "H" => Ok(Flag::High),
            "LL" => Ok(Flag::CriticalLow),
            "HH" => Ok(Flag::CriticalHigh),
            _ => Err(ParseError::new("Unknown result flag.")),
        }
    }

    /// Words, never colour alone.
    pub fn label(self) -> &'static str {
        match self {
            Flag::Normal => "Normal",
            Flag::Low => "Low",
            Flag::High => "High",
            Flag::CriticalLow => "Critical low",
            Flag::CriticalHigh => "Critical high",
        }
    }

    pub fn is_abnormal(self) -> bool {
        self != Flag::Normal
    }

    pub fn is_critical(self) -> bool {
        matches!(self, Flag::CriticalLow | Flag::CriticalHigh)
    }
}

/// A reference range and optional critical limits, in thousandths.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Range {
    pub low: Option<i64>,
    pub high: Option<i64>,
    pub critical_low: Option<i64>,
    pub critical_high: Option<i64>,
}

impl Range {
    /// "3.5–5.1", "< 5", "> 60", or "" when there is none.
    pub fn text(&self) -> String {
        match (self.low, self.high) {
            (Some(l), Some(h)) => format!("{}–{}", format_value(l), format_value(h)),
            (Some(l), None) => format!("≥ {}", format_value(l)),
            (None, Some(h)) => format!("≤ {}", format_value(h)),
            (None, None) => String::new(),
        }
    }
}

/// A stored value as text: 5250 → "5.25".
pub fn format_value(milli: i64) -> String {
    format_trimmed(milli, DECIMALS)
}

/// A short name typed by a person (test, analyte, unit): trimmed, not
/// empty unless `optional`, at most `max` characters, plain text.
fn label_text(raw: &str, what: &str, max: usize, optional: bool) -> Result<Option<String>, ParseError> {
    let text = raw.trim();
    if text.is_empty() {
        return if optional { Ok(None) } else { Err(ParseError::new(format!("Enter the {what}."))) };
    }
    if text.chars().count() > max {
        return Err(ParseError::new(format!("Keep the {what} to {max} characters or fewer.")));
    }
    if has_forbidden_chars(text, false) {
        return Err(ParseError::new(format!("Remove control characters from the {what}.")));
    }
    // Names are plain text: angle brackets are never part of one and are
    // the start of every markup injection.
    if text.contains(['<', '>']) {
        return Err(ParseError::new(format!("The {what} cannot contain < or >.")));
    }
    Ok(Some(text.to_owned()))
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct OrderForm {
    /// "lab" or "imaging".
    pub kind: String,
    pub test_name: String,
    /// An optional code (LOINC, a lab's own): letters, digits, `-.:_`.
    pub test_code: String,
    /// Local time, `YYYY-MM-DDTHH:MM`; empty: now.
    pub ordered_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrder {
    pub kind: OrderKind,
    pub test_name: String,
    pub test_code: Option<String>,
    pub ordered_at: Option<NaiveDateTime>,
}

fn test_code(raw: &str) -> Result<Option<String>, ParseError> {
    let code = label_text(raw, "test code", 20, true)?;
    if code.as_deref().is_some_and(|c| !c.chars().all(|c| c.is_ascii_alphanumeric() || "-.:_".contains(c))) {
        return Err(ParseError::new("A test code has letters, digits and - . : _ only, e.g. 2823-3."));
    }
    Ok(code)
}

impl OrderForm {
    pub fn parse(&self, now_local: NaiveDateTime) -> Result<NewOrder, FieldErrors> {
        let mut errors = FieldErrors::new();
        let kind = errors.check("kind", OrderKind::parse(&self.kind));
        let test_name = errors.check("test_name", label_text(&self.test_name, "test name", 120, false));
        let test_code = errors.check("test_code", test_code(&self.test_code));
        let ordered_at = errors.check("ordered_at", parse_when(&self.ordered_at, now_local));
        match (kind, test_name, test_code, ordered_at) {
            (Some(kind), Some(Some(test_name)), Some(test_code), Some(ordered_at)) if errors.is_empty() => {
                Ok(NewOrder { kind, test_name, test_code, ordered_at })
            }
            _ => Err(errors),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ResultForm {
    pub order_id: String,
    pub analyte: String,
    pub value: String,
    pub unit: String,
    pub ref_low: String,
    pub ref_high: String,
    pub critical_low: String,
    pub critical_high: String,
    /// Local time, `YYYY-MM-DDTHH:MM`; empty: now.
    pub resulted_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewResult {
    pub order_id: LabOrderId,
    pub analyte: String,
    pub value: i64,
    pub unit: String,
    pub range: Range,
    pub flag: Flag,
    pub resulted_at: Option<NaiveDateTime>,
}

fn optional_value(raw: &str, what: &str) -> Result<Option<i64>, ParseError> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    parse_scaled(raw, DECIMALS, true, what).map(Some)
}

impl ResultForm {
    pub fn parse(&self, now_local: NaiveDateTime) -> Result<NewResult, FieldErrors> {
        let mut errors = FieldErrors::new();
        let order_id = errors.check("order_id", self.order_id.trim().parse::<LabOrderId>().map_err(|_| ParseError::new("Choose the order this result belongs to.")));
        let analyte = errors.check("analyte", label_text(&self.analyte, "analyte", 80, false));
        let value = errors.check("value", parse_scaled(&self.value, DECIMALS, true, "The value"));
        let unit = errors.check("unit", label_text(&self.unit, "unit", 20, true));
        let low = errors.check("ref_low", optional_value(&self.ref_low, "The lower reference limit"));
        let high = errors.check("ref_high", optional_value(&self.ref_high, "The upper reference limit"));
        let critical_low = errors.check("critical_low", optional_value(&self.critical_low, "The critical low limit"));
        let critical_high = errors.check("critical_high", optional_value(&self.critical_high, "The critical high limit"));
        let resulted_at = errors.check("resulted_at", parse_when(&self.resulted_at, now_local));
        if let (Some(Some(l)), Some(Some(h))) = (low, high) {
            if l > h {
                errors.add("ref_high", "The upper limit must not be below the lower one.");
            }
        }
        if let (Some(Some(cl)), Some(Some(l))) = (critical_low, low) {
            if cl > l {
                errors.add("critical_low", "The critical low limit must be at or below the lower reference limit.");
            }
        }
        if let (Some(Some(ch)), Some(Some(h))) = (critical_high, high) {
            if ch < h {
                errors.add("critical_high", "The critical high limit must be at or above the upper reference limit.");
            }
        }
        match (order_id, analyte, value, unit, low, high, critical_low, critical_high, resulted_at) {
            (Some(order_id), Some(Some(analyte)), Some(value), Some(unit), Some(low), Some(high), Some(critical_low), Some(critical_high), Some(resulted_at))
                if errors.is_empty() =>
            {
                let range = Range { low, high, critical_low, critical_high };
                Ok(NewResult { order_id, analyte, value, unit: unit.unwrap_or_default(), flag: Flag::compute(value, &range), range, resulted_at })
            }
            _ => Err(errors),
        }
    }
}

/// Results of the same test are one series when analyte and unit match,
/// ignoring case and spacing ("Potassium", "potassium ").
pub fn series_key(analyte: &str, unit: &str) -> String {
    format!("{}|{}", analyte.trim().to_lowercase(), unit.trim().to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vitals::parse_local_datetime;

    fn now() -> NaiveDateTime {
        parse_local_datetime("2026-11-24T10:00").unwrap()
    }

    const ORDER: &str = "0190f1b2-7c1e-7a4b-8f00-123456789abc";

    fn result(value: &str) -> ResultForm {
        ResultForm {
            order_id: ORDER.into(),
            analyte: "Potassium".into(),
            value: value.into(),
            unit: "mmol/L".into(),
            ref_low: "3.5".into(),
            ref_high: "5.1".into(),
            critical_low: "2.5".into(),
            critical_high: "6.5".into(),
            resulted_at: String::new(),
        }
    }

    #[test]
    fn flags_follow_the_ranges() {
        let flag = |v: &str| result(v).parse(now()).unwrap().flag;
        assert_eq!(flag("4.2"), Flag::Normal);
        assert_eq!(flag("3.5"), Flag::Normal, "limits are inclusive");
        assert_eq!(flag("5.1"), Flag::Normal);
        assert_eq!(flag("3.4"), Flag::Low);
        assert_eq!(flag("5.25"), Flag::High);
        assert_eq!(flag("2.4"), Flag::CriticalLow);
        assert_eq!(flag("7"), Flag::CriticalHigh);
        let one_sided = Range { high: Some(5000), ..Default::default() };
        assert_eq!(Flag::compute(-1000, &one_sided), Flag::Normal);
        assert_eq!(Flag::compute(5001, &one_sided), Flag::High);
        assert_eq!(Flag::compute(1, &Range::default()), Flag::Normal);
        for flag in [Flag::Normal, Flag::Low, Flag::High, Flag::CriticalLow, Flag::CriticalHigh] {
            assert_eq!(Flag::from_code(flag.code()).unwrap(), flag);
        }
    }

    #[test]
    fn values_are_exact() {
        let parsed = result("5.25").parse(now()).unwrap();
        assert_eq!(parsed.value, 5250);
        assert_eq!(parsed.range.text(), "3.5–5.1");
        assert_eq!(format_value(parsed.value), "5.25");
        assert!(result("5.2501").parse(now()).unwrap_err().get("value").unwrap().contains("3 decimal"));
    }

    #[test]
    fn bad_results_are_refused_at_the_field() {
        let errors = ResultForm { ref_low: "6".into(), ref_high: "5".into(), ..result("abc") }.parse(now()).unwrap_err();
        assert!(errors.get("value").is_some());
        assert!(errors.get("ref_high").unwrap().contains("below"));
        let errors = ResultForm { order_id: "x".into(), analyte: "<script>".into(), unit: "u".repeat(21), ..result("1") }.parse(now()).unwrap_err();
        assert!(errors.get("order_id").is_some());
        assert!(errors.get("analyte").unwrap().contains('<'));
        assert!(errors.get("unit").unwrap().contains("20"));
        let errors = ResultForm { critical_low: "4".into(), ..result("4") }.parse(now()).unwrap_err();
        assert!(errors.get("critical_low").is_some());
        let future = ResultForm { resulted_at: "2027-01-01T00:00".into(), ..result("4") }.parse(now()).unwrap_err();
        assert!(future.get("resulted_at").unwrap().contains("future"));
    }

    #[test]
    fn orders_parse() {
        let ok = OrderForm { kind: "lab".into(), test_name: " Basic metabolic panel ".into(), test_code: "51990-0".into(), ordered_at: String::new() };
        let order = ok.parse(now()).unwrap();
        assert_eq!(order.test_name, "Basic metabolic panel");
        assert_eq!(order.test_code.as_deref(), Some("51990-0"));
        let bad = OrderForm { kind: "x".into(), test_name: "x".repeat(1_000_000), test_code: "a b<".into(), ordered_at: "2030-01-01T00:00".into() };
        let errors = bad.parse(now()).unwrap_err();
        for field in ["kind", "test_name", "test_code", "ordered_at"] {
            assert!(errors.get(field).is_some(), "{field}");
        }
        assert!(OrderForm { kind: "imaging".into(), ..Default::default() }.parse(now()).unwrap_err().get("test_name").is_some());
    }

    #[test]
    fn series_group_by_analyte_and_unit() {
        assert_eq!(series_key("Potassium ", "mmol/L"), series_key("potassium", "MMOL/L"));
        assert_ne!(series_key("Potassium", "mmol/L"), series_key("Potassium", "mg/dL"));
    }
}

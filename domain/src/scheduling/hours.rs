//! A practitioner's (or the clinic's) regular weekly hours, in local
//! wall-clock time. Kept local rather than UTC so that "09:00" stays 09:00
//! when the clocks change; `zone::working_intervals` does the conversion.

use super::local::{format_time, parse_time};
use crate::errors::{FieldErrors, ParseError};
use chrono::{NaiveTime, Weekday};
use serde::{Deserialize, Serialize};

/// Per weekday, sorted non-overlapping `(start, end)` spans with
/// `end > start`. An empty day is a day off.
///
/// Stored as JSON in the same shape as its form (`{"hours_mon": "09:00-13:00,
/// 14:00-18:00", …}`) and read back through the form parser, so one text
/// format and one set of rules cover typing, storage and loading.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "WeeklyHoursForm", into = "WeeklyHoursForm")]
pub struct WeeklyHours {
    /// Indexed by days from Monday.
    days: [Vec<(NaiveTime, NaiveTime)>; 7],
}

pub const WEEKDAYS: [Weekday; 7] =
    [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat, Weekday::Sun];

impl WeeklyHours {
    /// Most a day can be split into: generous for split shifts, and a cap
    /// on what one form field can make the server compute.
    pub const MAX_SPANS_PER_DAY: usize = 12;

    pub fn spans(&self, day: Weekday) -> &[(NaiveTime, NaiveTime)] {
        &self.days[day.num_days_from_monday() as usize]
    }

    pub fn is_closed(&self) -> bool {
        self.days.iter().all(Vec::is_empty)
    }

    /// The day's spans as typed in the form, e.g. "09:00-13:00, 14:00-18:00".
    pub fn day_text(&self, day: Weekday) -> String {
        let spans: Vec<String> = self
            .spans(day)
            .iter()
            .map(|(start, end)| format!("{}-{}", format_time(*start), format_time(*end)))
            .collect();
        spans.join(", ")
    }
}

/// The form field for a weekday, also the key errors are reported under.
pub fn hours_field(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "hours_mon",
        Weekday::Tue => "hours_tue",
        Weekday::Wed => "hours_wed",
        Weekday::Thu => "hours_thu",
        Weekday::Fri => "hours_fri",
        Weekday::Sat => "hours_sat",
        Weekday::Sun => "hours_sun",
    }
}

/// One weekday's spans. Accepts an en dash too, since that is what word
/// processors turn "-" into when staff paste their rota.
pub fn parse_day_spans(raw: &str) -> Result<Vec<(NaiveTime, NaiveTime)>, ParseError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(Vec::new());
    }
    let shape = || ParseError::new("Use times like 09:00-13:00, separated by commas.");
    let parts: Vec<&str> = raw.split(',').map(str::trim).collect();
    if parts.len() > WeeklyHours::MAX_SPANS_PER_DAY {
        return Err(ParseError::new(format!("Use at most {} time spans a day.", WeeklyHours::MAX_SPANS_PER_DAY)));
    }
    let mut spans = Vec::with_capacity(parts.len());
    for part in parts {
        let (start, end) = part.split_once(['-', '–']).ok_or_else(shape)?;
        let (start, end) = (parse_time(start).map_err(|_| shape())?, parse_time(end).map_err(|_| shape())?);
        if end <= start {
            return Err(ParseError::new(format!(
                "{} must end after it starts (a span cannot run past midnight).",
                part
            )));
        }
        spans.push((start, end));
    }
    spans.sort_unstable();
    if spans.windows(2).any(|pair| pair[1].0 < pair[0].1) {
        return Err(ParseError::new("Two of these times overlap. Use separate spans, e.g. 09:00-13:00, 14:00-18:00."));
    }
    Ok(spans)
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeeklyHoursForm {
    #[serde(default)]
    pub hours_mon: String,
    #[serde(default)]
    pub hours_tue: String,
    #[serde(default)]
    pub hours_wed: String,
    #[serde(default)]
    pub hours_thu: String,
    #[serde(default)]
    pub hours_fri: String,
    #[serde(default)]
    pub hours_sat: String,
    #[serde(default)]
    pub hours_sun: String,
}

impl WeeklyHoursForm {
    fn field(&self, day: Weekday) -> &str {
        match day {
            Weekday::Mon => &self.hours_mon,
            Weekday::Tue => &self.hours_tue,
            Weekday::Wed => &self.hours_wed,
            Weekday::Thu => &self.hours_thu,
            Weekday::Fri => &self.hours_fri,
            Weekday::Sat => &self.hours_sat,
            Weekday::Sun => &self.hours_sun,
        }
    }

    pub fn parse(&self) -> Result<WeeklyHours, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut hours = WeeklyHours::default();
        for day in WEEKDAYS {
            if let Some(spans) = errors.check(hours_field(day), parse_day_spans(self.field(day))) {
                hours.days[day.num_days_from_monday() as usize] = spans;
            }
        }
        errors.into_result(|| hours)
    }
}

impl From<WeeklyHours> for WeeklyHoursForm {
    fn from(hours: WeeklyHours) -> Self {
        let text = |day| hours.day_text(day);
        Self {
            hours_mon: text(Weekday::Mon),
            hours_tue: text(Weekday::Tue),
            hours_wed: text(Weekday::Wed),
            hours_thu: text(Weekday::Thu),
            hours_fri: text(Weekday::Fri),
            hours_sat: text(Weekday::Sat),
            hours_sun: text(Weekday::Sun),
        }
    }
}

impl TryFrom<WeeklyHoursForm> for WeeklyHours {
    type Error = FieldErrors;
    fn try_from(form: WeeklyHoursForm) -> Result<Self, FieldErrors> {
        form.parse()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde::de::{value::MapDeserializer, IntoDeserializer};

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    /// Monday to Friday with a lunch break; weekends off.
    pub(crate) fn weekdays_with_lunch() -> WeeklyHours {
        let day = "09:00-13:00, 14:00-18:00".to_owned();
        WeeklyHoursForm {
            hours_mon: day.clone(),
            hours_tue: day.clone(),
            hours_wed: day.clone(),
            hours_thu: day.clone(),
            hours_fri: day,
            ..Default::default()
        }
        .parse()
        .unwrap()
    }

    #[test]
    fn spans_parse_sorted_and_empty_means_closed() {
        assert_eq!(
            parse_day_spans(" 14:00-18:00,09:00 – 13:00 ").unwrap(),
            vec![(t(9, 0), t(13, 0)), (t(14, 0), t(18, 0))]
        );
        assert!(parse_day_spans("  ").unwrap().is_empty());
        // Back-to-back spans touch but do not overlap.
        assert_eq!(parse_day_spans("08:00-12:00, 12:00-16:00").unwrap().len(), 2);
        let hours = weekdays_with_lunch();
        assert_eq!(hours.spans(Weekday::Wed), &[(t(9, 0), t(13, 0)), (t(14, 0), t(18, 0))]);
        assert!(hours.spans(Weekday::Sun).is_empty());
        assert!(!hours.is_closed() && WeeklyHours::default().is_closed());
    }

    #[test]
    fn bad_spans_are_explained() {
        let shape = "Use times like 09:00-13:00, separated by commas.";
        for bad in ["9-5", "09:00", "09:00-", "09:00-13:00; 14:00-18:00", "09:00-13:00,", "09:00-25:00", "morning"] {
            assert_eq!(parse_day_spans(bad).unwrap_err().0, shape, "{bad}");
        }
        assert!(parse_day_spans("13:00-09:00").unwrap_err().0.contains("end after it starts"));
        assert!(parse_day_spans("22:00-02:00").unwrap_err().0.contains("midnight"));
        assert!(parse_day_spans("09:00-09:00").is_err());
        assert!(parse_day_spans("09:00-13:00, 12:00-18:00").unwrap_err().0.contains("overlap"));
        assert!(parse_day_spans(&vec!["09:00-09:05"; 13].join(",")).unwrap_err().0.contains("at most"));
    }

    #[test]
    fn errors_land_on_the_weekday_field() {
        let form = WeeklyHoursForm {
            hours_mon: "09:00-17:00".into(),
            hours_tue: "nine to five".into(),
            hours_sun: "10:00-09:00".into(),
            ..Default::default()
        };
        let errors = form.parse().unwrap_err();
        assert!(errors.get("hours_mon").is_none());
        assert!(errors.get("hours_tue").is_some() && errors.get("hours_sun").is_some());
        assert_eq!(WEEKDAYS.map(hours_field)[6], "hours_sun");
    }

    #[test]
    fn storage_round_trips_through_the_form_rules() {
        let hours = weekdays_with_lunch();
        let stored = WeeklyHoursForm::from(hours.clone());
        assert_eq!(stored.hours_fri, "09:00-13:00, 14:00-18:00");
        assert_eq!(stored.hours_sat, "");
        assert_eq!(WeeklyHours::try_from(stored).unwrap(), hours);

        // Deserializing validates: a stored overlap is refused, not loaded.
        let load = |entries: Vec<(&'static str, &'static str)>| {
            WeeklyHours::deserialize(MapDeserializer::<_, serde::de::value::Error>::new(
                entries.into_iter().map(|(k, v)| (k.into_deserializer(), v.into_deserializer())),
            ))
        };
        assert_eq!(load(vec![("hours_mon", "09:00-12:00")]).unwrap().spans(Weekday::Mon), &[(t(9, 0), t(12, 0))]);
        assert!(load(vec![("hours_mon", "09:00-12:00, 11:00-13:00")]).is_err());
    }
}

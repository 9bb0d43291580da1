//! Wall-clock input shared by the scheduling forms. Kept apart from `zone`
//! because the browser needs it too, without the tz database.

use crate::errors::ParseError;
use chrono::{NaiveTime, Timelike};
use serde::{Deserialize, Serialize};

/// A time typed as `HH:MM` (what `<input type=time>` sends). Strict so that
/// "9.30" or "25:61" is refused at the field instead of being guessed at.
pub fn parse_time(raw: &str) -> Result<NaiveTime, ParseError> {
    let raw = raw.trim();
    let bad = || ParseError::new("Enter a time as HH:MM, e.g. 09:30.");
    let bytes = raw.as_bytes();
    if bytes.len() != 5 || bytes[2] != b':' || !raw.bytes().enumerate().all(|(i, b)| i == 2 || b.is_ascii_digit()) {
        return Err(bad());
    }
    let (hour, minute) = (raw[0..2].parse().map_err(|_| bad())?, raw[3..5].parse().map_err(|_| bad())?);
    NaiveTime::from_hms_opt(hour, minute, 0)
        .ok_or_else(|| ParseError::new("That time does not exist: hours go to 23, minutes to 59."))
}

/// Formats a time the way `parse_time` reads it, for pre-filling inputs.
pub fn format_time(time: NaiveTime) -> String {
    format!("{:02}:{:02}", time.hour(), time.minute())
}

/// Which of the two instants to use when a local time happens twice (the
/// hour the clocks go back). Asked of the person booking rather than
/// guessed, because the two differ by an hour of a patient's day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DstChoice {
    Earlier,
    Later,
}

impl DstChoice {
    pub fn as_str(self) -> &'static str {
        match self {
            DstChoice::Earlier => "earlier",
            DstChoice::Later => "later",
        }
    }

    /// An empty value means "not asked yet", which is the usual case.
    pub fn parse(raw: &str) -> Result<Option<Self>, ParseError> {
        match raw.trim() {
            "" => Ok(None),
            "earlier" => Ok(Some(DstChoice::Earlier)),
            "later" => Ok(Some(DstChoice::Later)),
            _ => Err(ParseError::new("Choose the earlier or the later time.")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_strict() {
        assert_eq!(parse_time(" 09:05 ").unwrap(), NaiveTime::from_hms_opt(9, 5, 0).unwrap());
        assert_eq!(parse_time("23:59").unwrap(), NaiveTime::from_hms_opt(23, 59, 0).unwrap());
        assert!(parse_time("25:61").unwrap_err().0.contains("does not exist"));
        for bad in ["9:30", "09.30", "0930", "09:3", "24:00", "-1:00", "+9:30", "09:30:00", "", "０９:３０", "ab:cd"]
        {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
        assert_eq!(format_time(parse_time("07:05").unwrap()), "07:05");
    }

    #[test]
    fn dst_choice_is_optional_and_closed() {
        assert_eq!(DstChoice::parse("").unwrap(), None);
        assert_eq!(DstChoice::parse("later").unwrap(), Some(DstChoice::Later));
        assert_eq!(DstChoice::parse(DstChoice::Earlier.as_str()).unwrap(), Some(DstChoice::Earlier));
        assert!(DstChoice::parse("both").is_err());
    }
}

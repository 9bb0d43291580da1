//! Clinic set-up for the calendar: appointment types and the grid the
//! calendar snaps to.

use crate::{
    accounts::ticked,
    errors::{has_forbidden_chars, FieldErrors, ParseError},
};
use chrono::Duration;
use serde::{Deserialize, Serialize};

/// A calendar colour as `#rrggbb`, lower-cased. Only this shape, because it
/// ends up in a `style` attribute.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Colour(String);

impl Colour {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let raw = raw.trim();
        match raw.strip_prefix('#') {
            Some(hex) if hex.len() == 6 && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Ok(Self(raw.to_ascii_lowercase()))
            }
            _ => Err(ParseError::new("Choose a colour, written like #3366cc.")),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Colour {
    type Error = ParseError;
    fn try_from(raw: String) -> Result<Self, ParseError> {
        Self::parse(&raw)
    }
}

impl From<Colour> for String {
    fn from(colour: Colour) -> String {
        colour.0
    }
}

/// The minutes the calendar and the slot finder snap to. Only divisors of
/// an hour that keep half-hour time zones aligned (see `free_slots`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub enum CalendarGrid {
    Five,
    Ten,
    #[default]
    Fifteen,
}

impl CalendarGrid {
    pub const ALL: [CalendarGrid; 3] = [CalendarGrid::Five, CalendarGrid::Ten, CalendarGrid::Fifteen];

    pub fn minutes(self) -> u32 {
        match self {
            CalendarGrid::Five => 5,
            CalendarGrid::Ten => 10,
            CalendarGrid::Fifteen => 15,
        }
    }

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        raw.trim().parse::<u32>().map_err(|_| grid_error()).and_then(Self::try_from)
    }
}

fn grid_error() -> ParseError {
    ParseError::new("Choose a calendar grid of 5, 10 or 15 minutes.")
}

impl TryFrom<u32> for CalendarGrid {
    type Error = ParseError;
    fn try_from(minutes: u32) -> Result<Self, ParseError> {
        Self::ALL.into_iter().find(|grid| grid.minutes() == minutes).ok_or_else(grid_error)
    }
}

impl From<CalendarGrid> for u32 {
    fn from(grid: CalendarGrid) -> u32 {
        grid.minutes()
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AppointmentTypeForm {
    pub name: String,
    pub duration_minutes: String,
    #[serde(default)]
    pub buffer_minutes: String,
    pub colour: String,
    /// Whole minor units (cents); empty when the type has no set price.
    #[serde(default)]
    pub price_minor: String,
    /// Checkbox: patients may book this type themselves.
    #[serde(default)]
    pub online_booking: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppointmentTypeSpec {
    pub name: String,
    pub duration_minutes: u32,
    pub buffer_minutes: u32,
    pub colour: Colour,
    pub price_minor: Option<u32>,
    pub online_booking: bool,
}

impl AppointmentTypeSpec {
    pub fn duration(&self) -> Duration {
        Duration::minutes(self.duration_minutes.into())
    }

    pub fn buffer(&self) -> Duration {
        Duration::minutes(self.buffer_minutes.into())
    }
}

impl AppointmentTypeForm {
    pub const MAX_NAME: usize = 80;
    /// Eight hours: a full-day procedure; anything longer is a mistake.
    pub const DURATION_RANGE: (u32, u32) = (5, 480);
    pub const MAX_BUFFER: u32 = 120;
    /// 100 000.00 in the clinic's currency: catches a misplaced decimal.
    pub const MAX_PRICE_MINOR: u32 = 10_000_000;

    pub fn parse(&self) -> Result<AppointmentTypeSpec, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = errors.check("name", type_name(&self.name));
        let (lo, hi) = Self::DURATION_RANGE;
        let duration = match self.duration_minutes.trim().parse::<u32>() {
            Ok(n) if (lo..=hi).contains(&n) && n % 5 == 0 => Some(n),
            _ => {
                errors.add("duration_minutes", format!("Enter a duration from {lo} to {hi} minutes, in steps of 5."));
                None
            }
        };
        let buffer = match self.buffer_minutes.trim() {
            "" => Some(0),
            raw => match raw.parse::<u32>() {
                Ok(n) if n <= Self::MAX_BUFFER => Some(n),
                _ => {
                    errors.add(
                        "buffer_minutes",
                        format!("Enter a break after the appointment from 0 to {} minutes.", Self::MAX_BUFFER),
                    );
                    None
                }
            },
        };
        let colour = errors.check("colour", Colour::parse(&self.colour));
        let price = match self.price_minor.trim() {
            "" => Some(None),
            raw => match raw.parse::<u32>() {
                Ok(n) if n <= Self::MAX_PRICE_MINOR && raw.bytes().all(|b| b.is_ascii_digit()) => Some(Some(n)),
                _ => {
                    errors.add(
                        "price_minor",
                        "Enter the price in cents as a whole number (4500 for 45.00), or leave it empty.",
                    );
                    None
                }
            },
        };
        match (name, duration, buffer, colour, price) {
            (Some(name), Some(duration_minutes), Some(buffer_minutes), Some(colour), Some(price_minor)) => {
                Ok(AppointmentTypeSpec {
                    name,
                    duration_minutes,
                    buffer_minutes,
                    colour,
                    price_minor,
                    online_booking: ticked(&self.online_booking),
                })
            }
            _ => Err(errors),
        }
    }
}

fn type_name(raw: &str) -> Result<String, ParseError> {
    let name = raw.trim();
    if name.is_empty() {
        Err(ParseError::new("Name the appointment type, e.g. First consultation."))
    } else if name.chars().count() > AppointmentTypeForm::MAX_NAME {
        Err(ParseError::new(format!("Keep the name under {} characters.", AppointmentTypeForm::MAX_NAME)))
    } else if has_forbidden_chars(name, false) {
        Err(ParseError::new("Remove control characters from the name."))
    } else {
        Ok(name.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> AppointmentTypeForm {
        AppointmentTypeForm {
            name: " First consultation ".into(),
            duration_minutes: "45".into(),
            buffer_minutes: "".into(),
            colour: "#3366CC".into(),
            price_minor: "4500".into(),
            online_booking: Some("on".into()),
        }
    }

    #[test]
    fn a_valid_type_parses() {
        let spec = form().parse().unwrap();
        assert_eq!(spec.name, "First consultation");
        assert_eq!((spec.duration(), spec.buffer()), (Duration::minutes(45), Duration::zero()));
        assert_eq!(spec.colour.as_str(), "#3366cc");
        assert_eq!(spec.price_minor, Some(4500));
        assert!(spec.online_booking);
        let free = AppointmentTypeForm { price_minor: " ".into(), online_booking: None, ..form() }.parse().unwrap();
        assert_eq!((free.price_minor, free.online_booking), (None, false));
    }

    #[test]
    fn each_bad_value_is_reported_at_its_field() {
        let bad = AppointmentTypeForm {
            name: "x".repeat(81),
            duration_minutes: "47".into(),
            buffer_minutes: "121".into(),
            colour: "red".into(),
            price_minor: "45.00".into(),
            online_booking: None,
        };
        let errors = bad.parse().unwrap_err();
        for field in ["name", "duration_minutes", "buffer_minutes", "colour", "price_minor"] {
            assert!(errors.get(field).is_some(), "{field}");
        }
        let with = |f: fn(&mut AppointmentTypeForm)| {
            let mut form = form();
            f(&mut form);
            form.parse()
        };
        assert!(with(|f| f.name = "  ".into()).is_err());
        assert!(with(|f| f.name = "Bad\u{202E}name".into()).is_err());
        assert!(with(|f| f.duration_minutes = "0".into()).is_err());
        assert!(with(|f| f.duration_minutes = "485".into()).is_err());
        assert!(with(|f| f.duration_minutes = "480".into()).is_ok());
        assert!(with(|f| f.buffer_minutes = "120".into()).is_ok());
        assert!(with(|f| f.price_minor = "-1".into()).is_err());
        assert!(with(|f| f.price_minor = "+1".into()).is_err());
        assert!(with(|f| f.price_minor = "10000001".into()).is_err());
        assert!(with(|f| f.price_minor = "10000000".into()).is_ok());
        assert!(with(|f| f.colour = "#12345g".into()).is_err());
        assert!(with(|f| f.colour = "#123".into()).is_err());
        assert!(with(|f| f.colour = "#abcdef\"><script>".into()).is_err());
    }

    #[test]
    fn only_three_grids() {
        assert_eq!(CalendarGrid::parse("10").unwrap(), CalendarGrid::Ten);
        assert_eq!(CalendarGrid::default().minutes(), 15);
        for bad in ["0", "7", "30", "", "fifteen", "-5"] {
            assert!(CalendarGrid::parse(bad).is_err(), "{bad}");
        }
        for grid in CalendarGrid::ALL {
            assert_eq!(CalendarGrid::try_from(u32::from(grid)).unwrap(), grid);
        }
    }
}

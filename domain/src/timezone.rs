//! IANA time-zone names. Times are stored in UTC and shown in the clinic's
//! zone, so the zone must be one the server's tz database knows.

use crate::errors::ParseError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeZoneName(String);

impl TimeZoneName {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let value = raw.trim();
        if value.is_empty() {
            return Err(ParseError::new("Choose the clinic's time zone."));
        }
        let plausible = value.len() <= 64
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-' | '+'));
        if !plausible || !Self::known(value) {
            return Err(ParseError::new(
                "Choose a time zone from the list, like Europe/Lisbon.",
            ));
        }
        Ok(Self(value.to_owned()))
    }

    /// On the server the full tz database decides. In the browser, where the
    /// database would bloat the bundle, the shape check above is the instant
    /// feedback and the server has the final word.
    #[cfg(feature = "server")]
    fn known(value: &str) -> bool {
        value.parse::<chrono_tz::Tz>().is_ok()
    }

    #[cfg(not(feature = "server"))]
    fn known(_value: &str) -> bool {
        true
    }

    #[cfg(feature = "server")]
    pub fn tz(&self) -> chrono_tz::Tz {
        // Parsed successfully in `parse`, which is the only constructor.
        self.0.parse().unwrap_or(chrono_tz::UTC)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Zones offered in the sign-up and settings pickers. Any valid IANA name is
/// accepted; this list only makes the common ones one click away.
pub const COMMON_TIME_ZONES: &[&str] = &[
    "Africa/Johannesburg", "Africa/Lagos", "Africa/Nairobi", "America/Anchorage",
    "America/Bogota", "America/Chicago", "America/Denver", "America/Halifax",
    "America/Los_Angeles", "America/Mexico_City", "America/New_York", "America/Phoenix",
    "America/Sao_Paulo", "America/Toronto", "America/Vancouver", "Asia/Dubai",
    "Asia/Hong_Kong", "Asia/Jakarta", "Asia/Kolkata", "Asia/Manila", "Asia/Seoul",
    "Asia/Singapore", "Asia/Tokyo", "Atlantic/Reykjavik", "Australia/Brisbane",
    "Australia/Melbourne", "Australia/Perth", "Australia/Sydney", "Europe/Amsterdam",
    "Europe/Athens", "Europe/Berlin", "Europe/Dublin", "Europe/Helsinki", "Europe/Lisbon",
    "Europe/London", "Europe/Madrid", "Europe/Paris", "Europe/Rome", "Europe/Stockholm",
    "Europe/Warsaw", "Europe/Zurich", "Pacific/Auckland", "Pacific/Honolulu", "UTC",
];

#[cfg(all(test, feature = "server"))]
mod tests {
    use super::*;

    #[test]
    fn known_zones_parse_and_unknown_are_refused() {
        assert!(TimeZoneName::parse("Europe/Lisbon").is_ok());
        assert!(TimeZoneName::parse("Mars/Olympus_Mons").is_err());
        assert!(TimeZoneName::parse("").is_err());
        for zone in COMMON_TIME_ZONES {
            assert!(TimeZoneName::parse(zone).is_ok(), "{zone}");
        }
    }
}

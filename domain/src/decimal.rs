//! Exact decimal numbers as typed into a form, held as scaled integers
//! (fixed point), so "37.2" is 372 tenths and never 37.199999. Shared by
//! vitals and lab results; no floating point anywhere on the way in.

use crate::errors::ParseError;

/// The most characters a number field may hold (with sign and separator).
const MAX_LEN: usize = 16;

/// Parses `raw` as a decimal with at most `decimals` digits after the
/// separator (`.` or `,`), scaled by 10^decimals: `parse_scaled("37.2", 1)`
/// is 372. `negative_ok` allows a leading minus (lab values such as base
/// excess); otherwise a minus gets its own message. `what` names the value
/// in messages ("The pulse").
pub fn parse_scaled(raw: &str, decimals: u32, negative_ok: bool, what: &str) -> Result<i64, ParseError> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(ParseError::new(format!("Enter {}.", lower_first(what))));
    }
    if text.chars().count() > MAX_LEN {
        return Err(ParseError::new(format!("{what} is too long to be a number.")));
    }
    // U+2212 is the typographic minus some keyboards and pastes produce.
    let (negative, body) = match text.strip_prefix('-').or_else(|| text.strip_prefix('\u{2212}')) {
        Some(rest) => (true, rest.trim_start()),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if negative && !negative_ok {
        return Err(ParseError::new(format!("{what} cannot be negative.")));
    }
    let (whole, fraction) = match body.split_once(['.', ',']) {
        Some((w, f)) => (w, f),
        None => (body, ""),
    };
    let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty()) || !digits_only(whole) || !digits_only(fraction) {
        return Err(ParseError::new(format!("{what} must be a number, e.g. {}.", example(decimals))));
    }
    if fraction.len() > decimals as usize {
        return Err(ParseError::new(match decimals {
            0 => format!("{what} must be a whole number."),
            1 => format!("{what} takes at most one decimal place."),
            n => format!("{what} takes at most {n} decimal places."),
        }));
    }
    let mut value: i64 = 0;
    for b in whole.bytes().chain(fraction.bytes()).chain(std::iter::repeat_n(b'0', decimals as usize - fraction.len())) {
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(i64::from(b - b'0')))
            .ok_or_else(|| ParseError::new(format!("{what} is too large.")))?;
    }
    Ok(if negative { -value } else { value })
}

fn example(decimals: u32) -> &'static str {
    match decimals {
        0 => "72",
        1 => "37.2",
        _ => "5.25",
    }
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `value / 10^decimals` as text with exactly `decimals` places: (372, 1) → "37.2".
pub fn format_scaled(value: i64, decimals: u32) -> String {
    if decimals == 0 {
        return value.to_string();
    }
    let scale = 10_i64.pow(decimals);
    let sign = if value < 0 { "-" } else { "" };
    let magnitude = value.unsigned_abs();
    let scale = scale as u64;
    format!("{sign}{}.{:0width$}", magnitude / scale, magnitude % scale, width = decimals as usize)
}

/// As [`format_scaled`] without trailing zeros: (5250, 3) → "5.25", (7000, 3) → "7".
pub fn format_trimmed(value: i64, decimals: u32) -> String {
    let text = format_scaled(value, decimals);
    if decimals == 0 {
        return text;
    }
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// `n / d` rounded half away from zero (d > 0).
pub fn div_round(n: i128, d: i128) -> i128 {
    if n >= 0 {
        (n + d / 2) / d
    } else {
        -((-n + d / 2) / d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exactly() {
        assert_eq!(parse_scaled("37.2", 1, false, "T").unwrap(), 372);
        assert_eq!(parse_scaled("37,2", 1, false, "T").unwrap(), 372);
        assert_eq!(parse_scaled(" 37 ", 1, false, "T").unwrap(), 370);
        assert_eq!(parse_scaled(".5", 3, false, "T").unwrap(), 500);
        assert_eq!(parse_scaled("-1.25", 3, true, "T").unwrap(), -1250);
        assert_eq!(parse_scaled("\u{2212}3", 0, true, "T").unwrap(), -3);
    }

    #[test]
    fn refuses_what_is_not_a_number() {
        assert!(parse_scaled("-1", 0, false, "The weight").unwrap_err().0.contains("cannot be negative"));
        assert!(parse_scaled("72.5", 0, false, "The pulse").unwrap_err().0.contains("whole number"));
        for bad in ["", "abc", "1e3", "1.2.3", "--1", ".", "0x10", "<b>1</b>", "١٢", "12 34"] {
            assert!(parse_scaled(bad, 2, true, "X").is_err(), "{bad:?}");
        }
        assert!(parse_scaled(&"9".repeat(1_000_000), 0, false, "X").is_err());
        assert!(parse_scaled("9999999999999999", 3, false, "X").unwrap_err().0.contains("too large"));
    }

    #[test]
    fn formats_and_rounds() {
        assert_eq!(format_scaled(372, 1), "37.2");
        assert_eq!(format_scaled(-1250, 3), "-1.250");
        assert_eq!(format_scaled(5, 1), "0.5");
        assert_eq!(format_trimmed(5250, 3), "5.25");
        assert_eq!(format_trimmed(7000, 3), "7");
        assert_eq!(div_round(15, 10), 2);
        assert_eq!(div_round(-15, 10), -2);
        assert_eq!(div_round(14, 10), 1);
    }
}

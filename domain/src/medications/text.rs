//! Text rules shared by the medications forms: bounded length, nothing
//! invisible, and no markup (clinical text is plain text; `<script>` in a
//! drug name is a mistake or an attack, and is refused at the field).

use crate::errors::{has_forbidden_chars, ParseError};

/// True when `value` holds something that looks like an HTML/XML tag or
/// entity: `<` directly followed by a letter, `/`, `!` or `?`. Plain
/// comparisons ("BP < 140", "<5 mg") stay allowed.
pub fn looks_like_markup(value: &str) -> bool {
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '<' {
            if let Some(next) = chars.peek() {
                if next.is_alphabetic() || matches!(next, '/' | '!' | '?') {
                    return true;
                }
            }
        }
    }
    false
}

fn checked(value: &str, max: usize, what: &str, multi_line: bool) -> Result<String, ParseError> {
    if value.chars().count() > max {
        return Err(ParseError::new(format!("Keep the {what} under {max} characters.")));
    }
    if has_forbidden_chars(value, multi_line) {
        return Err(ParseError::new(format!("The {what} contains characters that cannot be displayed.")));
    }
    if looks_like_markup(value) {
        return Err(ParseError::new(format!("Write the {what} as plain text, without markup like <b> or <script>.")));
    }
    Ok(value.to_owned())
}

/// A required one-line text of at most `max` characters.
pub fn required(raw: &str, max: usize, what: &str) -> Result<String, ParseError> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(ParseError::new(format!("Enter the {what}.")));
    }
    checked(value, max, what, false)
}

/// An optional one-line text; empty is `None`.
pub fn optional(raw: &str, max: usize, what: &str) -> Result<Option<String>, ParseError> {
    let value = raw.trim();
    if value.is_empty() {
        return Ok(None);
    }
    checked(value, max, what, false).map(Some)
}

/// Optional free text that may span lines (instructions, letters).
pub fn optional_multi_line(raw: &str, max: usize, what: &str) -> Result<Option<String>, ParseError> {
    let value = raw.trim();
    if value.is_empty() {
        return Ok(None);
    }
    checked(value, max, what, true).map(Some)
}

/// A reason: required, at least `min` characters, may span lines.
pub fn reason(raw: &str, min: usize, max: usize, what: &str) -> Result<String, ParseError> {
    let value = raw.trim();
    if value.chars().count() < min {
        return Err(ParseError::new(format!("Give the {what} (at least {min} characters).")));
    }
    checked(value, max, what, true)
}

/// A whole number in `min..=max`; empty is `None`.
pub fn optional_count(raw: &str, min: u32, max: u32, what: &str) -> Result<Option<u32>, ParseError> {
    let value = raw.trim();
    if value.is_empty() {
        return Ok(None);
    }
    if value.starts_with('-') {
        return Err(ParseError::new(format!("The {what} cannot be negative.")));
    }
    match value.parse::<u32>() {
        Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
        Ok(_) => Err(ParseError::new(format!("The {what} must be from {min} to {max}."))),
        Err(_) => Err(ParseError::new(format!("Enter the {what} as a whole number, e.g. {min}."))),
    }
}

/// A checkbox's value: present and "on" when ticked.
pub fn ticked(value: &Option<String>) -> bool {
    crate::accounts::ticked(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_is_refused_but_comparisons_are_not() {
        assert!(looks_like_markup("<script>alert(1)</script>"));
        assert!(looks_like_markup("amoxicillin <b>500</b>"));
        assert!(looks_like_markup("<!-- x -->"));
        assert!(!looks_like_markup("keep BP < 140"));
        assert!(!looks_like_markup("<5 mg a day"));
        assert!(required("<img src=x onerror=alert(1)>", 100, "drug").unwrap_err().0.contains("plain text"));
    }

    #[test]
    fn lengths_and_counts_are_bounded() {
        assert!(required(&"a".repeat(1_000_000), 200, "drug").unwrap_err().0.contains("under 200"));
        assert!(required("   ", 200, "drug").unwrap_err().0.contains("Enter the drug"));
        assert_eq!(optional_count("", 0, 12, "refills").unwrap(), None);
        assert!(optional_count("-3", 0, 12, "refills").unwrap_err().0.contains("negative"));
        assert!(optional_count("13", 0, 12, "refills").is_err());
        assert!(optional_count("2.5", 0, 12, "refills").is_err());
        assert_eq!(optional_count(" 3 ", 0, 12, "refills").unwrap(), Some(3));
        assert!(reason("yes", 3, 500, "reason").is_ok());
        assert!(reason("n", 3, 500, "reason").is_err());
        assert!(optional("line\u{202E}evil", 100, "lot").is_err());
    }
}

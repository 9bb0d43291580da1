//! The clinical chart's rules: encounters and SOAP notes (sign, amend),
//! note templates, the problem list, history, and the timeline's filter.
//! Forms of strings parse into typed commands with one error per field, in
//! the browser for instant feedback and on the server for real.

pub mod encounters;
pub mod history;
pub mod problems;
pub mod templates;
pub mod timeline;

use crate::errors::{has_forbidden_chars, ParseError};

/// Clinical free text: trimmed, at most `max` characters, no control or
/// bidirectional-override characters (newlines and tabs are fine). Markup is
/// allowed as text: pages show it as text nodes, never as HTML.
pub fn clinical_text(raw: &str, max: usize, what: &str) -> Result<String, ParseError> {
    let text = raw.trim();
    if text.chars().count() > max {
        Err(ParseError::new(format!("Keep the {what} under {max} characters (this is {}).", text.chars().count())))
    } else if has_forbidden_chars(text, true) {
        Err(ParseError::new(format!("Remove control characters from the {what}.")))
    } else {
        Ok(text.to_owned())
    }
}

/// Like [`clinical_text`], but must not be empty.
pub fn required_text(raw: &str, max: usize, what: &str) -> Result<String, ParseError> {
    let text = clinical_text(raw, max, what)?;
    if text.is_empty() {
        Err(ParseError::new(format!("Enter the {what}.")))
    } else {
        Ok(text)
    }
}

/// A single line (names, labels, relations): no newlines at all.
pub fn line_text(raw: &str, max: usize, what: &str) -> Result<String, ParseError> {
    let text = raw.trim();
    if text.chars().count() > max {
        Err(ParseError::new(format!("Keep the {what} under {max} characters.")))
    } else if has_forbidden_chars(text, false) {
        Err(ParseError::new(format!("Remove line breaks and control characters from the {what}.")))
    } else {
        Ok(text.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clinical_text_bounds_and_keeps_markup_as_text() {
        assert_eq!(clinical_text("  <b>x</b>\nline ", 100, "note").unwrap(), "<b>x</b>\nline");
        assert!(clinical_text(&"a".repeat(101), 100, "note").unwrap_err().0.contains("under 100"));
        assert!(clinical_text("a\u{202E}b", 100, "note").is_err());
        assert!(clinical_text("a\0b", 100, "note").is_err());
        assert!(required_text("   ", 10, "reason").is_err());
        assert!(line_text("a\nb", 10, "label").is_err());
    }
}

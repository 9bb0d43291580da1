//! Email addresses as used for sign-in and invitations.

use crate::errors::{has_forbidden_chars, ParseError};
use serde::{Deserialize, Serialize};

/// A syntactically plausible address, trimmed and lower-cased so that
/// "Anna@Clinic.example" and "anna@clinic.example" are one account.
/// Deliverability is proven by the invite / reset links, not by regexes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// RFC 5321 limits a path to 256 octets including the angle brackets.
    pub const MAX_LEN: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let value = raw.trim().to_lowercase();
        if value.is_empty() {
            return Err(ParseError::new("Enter an email address."));
        }
        if value.len() > Self::MAX_LEN {
            return Err(ParseError::new("That email address is too long."));
        }
        let invalid = || ParseError::new("Enter an email address like name@example.com.");
        let (local, domain) = value.rsplit_once('@').ok_or_else(invalid)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
        if local.is_empty()
            || local.len() > 64
            || local.contains('@')
            || local.chars().any(char::is_whitespace)
            || has_forbidden_chars(&value, false)
            || !domain_ok
        {
            return Err(invalid());
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_normalised() {
        assert_eq!(
            EmailAddress::parse("  Anna@Clinic.Example ").unwrap().as_str(),
            "anna@clinic.example"
        );
    }

    #[test]
    fn malformed_addresses_are_refused() {
        for bad in ["", "anna", "anna@", "@clinic.example", "anna@clinic", "a b@c.de", "a@b..c", "a@.b.c"] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad} should be refused");
        }
        assert!(EmailAddress::parse(&format!("{}@example.com", "a".repeat(65))).is_err());
    }
}

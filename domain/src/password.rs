//! Password policy (NIST SP 800-63B / OWASP ASVS 5 §6.2): length, not
//! composition. 12–128 characters, any characters (paste and password
//! managers welcome), refused if it is a commonly used password.

use crate::errors::ParseError;

/// A password that meets the policy. Deliberately not `Serialize` and with a
/// redacting `Debug`, so it does not end up in logs or responses.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

/// Passwords seen most often in breach corpora that are long enough to pass
/// the length rule: every entry of 12+ characters among the 30,000 most
/// common passwords of zxcvbn's frequency list (MIT), plus our own additions.
/// Shorter ones are refused by length already. Lower-cased; compared
/// case-insensitively.
const COMMON_PASSWORDS: &str = include_str!("common_passwords.txt");

impl Password {
    pub const MIN_CHARS: usize = 12;
    pub const MAX_CHARS: usize = 128;

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        // Not trimmed: spaces are valid password characters.
        let chars = raw.chars().count();
        if chars == 0 {
            return Err(ParseError::new("Enter a password."));
        }
        if chars < Self::MIN_CHARS {
            return Err(ParseError::new(format!(
                "Use at least {} characters. A short sentence is easy to remember.",
                Self::MIN_CHARS
            )));
        }
        if chars > Self::MAX_CHARS {
            return Err(ParseError::new(format!(
                "Use at most {} characters.",
                Self::MAX_CHARS
            )));
        }
        let lowered = raw.to_lowercase();
        if COMMON_PASSWORDS.lines().any(|common| common == lowered) {
            return Err(ParseError::new(
                "This password is too common and easy to guess. Choose another.",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_rules() {
        assert!(Password::parse("").is_err());
        assert!(Password::parse("short pass").is_err());
        assert!(Password::parse("correct horse battery").is_ok());
        assert!(Password::parse(&"x".repeat(129)).is_err());
        // 64+ Unicode characters are accepted whole, not truncated.
        let long = "ünïcødé-pässwörd-".repeat(4);
        assert_eq!(Password::parse(&long).unwrap().expose(), long);
    }

    #[test]
    fn common_passwords_are_refused_case_insensitively() {
        assert!(Password::parse("Password1234").is_err());
        assert!(Password::parse("QWERTYUIOP123").is_err());
        // Among the 3,000 most common passwords (ranked 850th and 1,000th in zxcvbn's list).
        assert!(Password::parse("123qweasdzxc").is_err());
        assert!(Password::parse("1qaz2wsx3edc").is_err());
    }

    #[test]
    fn debug_does_not_leak() {
        let p = Password::parse("correct horse battery").unwrap();
        assert!(!format!("{p:?}").contains("horse"));
    }
}

//! Money: integer minor units with an ISO 4217 currency.
//!
//! An amount is never a float. `Money { minor: 1250, currency: EUR }` is
//! 12.50 EUR; `Money { minor: 1250, currency: JPY }` is ¥1250 (the yen has
//! no minor unit); `Money { minor: 1250, currency: BHD }` is 1.250 BHD.
//! Every operation is checked: an overflow is an error, not a panic or a
//! wrap-around, and adding euros to dollars is an error.

use crate::errors::ParseError;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// The largest amount we accept anywhere: 10^13 minor units (a hundred
/// billion euros). Far above any clinic bill, far below `i64::MAX`, so sums
/// of many lines cannot come near overflow before a check refuses them.
pub const MAX_MINOR: i64 = 10_000_000_000_000;

/// ISO 4217 currencies we know, with their minor-unit exponent (digits after
/// the decimal point). Shipped as a table so the wasm build and the server
/// agree without a lookup service. Source: the ISO 4217 list (amendment
/// 176); funds codes and precious metals are left out.
const CURRENCIES: &[(&str, u8)] = &[
    ("AED", 2), ("AFN", 2), ("ALL", 2), ("AMD", 2), ("ANG", 2), ("AOA", 2), ("ARS", 2), ("AUD", 2),
    ("AWG", 2), ("AZN", 2), ("BAM", 2), ("BBD", 2), ("BDT", 2), ("BGN", 2), ("BHD", 3), ("BIF", 0),
    ("BMD", 2), ("BND", 2), ("BOB", 2), ("BRL", 2), ("BSD", 2), ("BTN", 2), ("BWP", 2), ("BYN", 2),
    ("BZD", 2), ("CAD", 2), ("CDF", 2), ("CHF", 2), ("CLP", 0), ("CNY", 2), ("COP", 2), ("CRC", 2),
    ("CUP", 2), ("CVE", 2), ("CZK", 2), ("DJF", 0), ("DKK", 2), ("DOP", 2), ("DZD", 2), ("EGP", 2),
    ("ERN", 2), ("ETB", 2), ("EUR", 2), ("FJD", 2), ("FKP", 2), ("GBP", 2), ("GEL", 2), ("GHS", 2),
    ("GIP", 2), ("GMD", 2), ("GNF", 0), ("GTQ", 2), ("GYD", 2), ("HKD", 2), ("HNL", 2), ("HTG", 2),
    ("HUF", 2), ("IDR", 2), ("ILS", 2), ("INR", 2), ("IQD", 3), ("IRR", 2), ("ISK", 0), ("JMD", 2),
    ("JOD", 3), ("JPY", 0), ("KES", 2), ("KGS", 2), ("KHR", 2), ("KMF", 0), ("KPW", 2), ("KRW", 0),
    ("KWD", 3), ("KYD", 2), ("KZT", 2), ("LAK", 2), ("LBP", 2), ("LKR", 2), ("LRD", 2), ("LSL", 2),
    ("LYD", 3), ("MAD", 2), ("MDL", 2), ("MGA", 2), ("MKD", 2), ("MMK", 2), ("MNT", 2), ("MOP", 2),
    ("MRU", 2), ("MUR", 2), ("MVR", 2), ("MWK", 2), ("MXN", 2), ("MYR", 2), ("MZN", 2), ("NAD", 2),
    ("NGN", 2), ("NIO", 2), ("NOK", 2), ("NPR", 2), ("NZD", 2), ("OMR", 3), ("PAB", 2), ("PEN", 2),
    ("PGK", 2), ("PHP", 2), ("PKR", 2), ("PLN", 2), ("PYG", 0), ("QAR", 2), ("RON", 2), ("RSD", 2),
    ("RUB", 2), ("RWF", 0), ("SAR", 2), ("SBD", 2), ("SCR", 2), ("SDG", 2), ("SEK", 2), ("SGD", 2),
    ("SHP", 2), ("SLE", 2), ("SOS", 2), ("SRD", 2), ("SSP", 2), ("STN", 2), ("SVC", 2), ("SYP", 2),
    ("SZL", 2), ("THB", 2), ("TJS", 2), ("TMT", 2), ("TND", 3), ("TOP", 2), ("TRY", 2), ("TTD", 2),
    ("TWD", 2), ("TZS", 2), ("UAH", 2), ("UGX", 0), ("USD", 2), ("UYU", 2), ("UZS", 2), ("VES", 2),
    ("VND", 0), ("VUV", 0), ("WST", 2), ("XAF", 0), ("XCD", 2), ("XOF", 0), ("XPF", 0), ("YER", 2),
    ("ZAR", 2), ("ZMW", 2), ("ZWG", 2),
];

/// An ISO 4217 currency from the shipped table. Only codes in the table can
/// exist, so the exponent is always known.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency {
    code: &'static str,
    exponent: u8,
}

impl Currency {
    pub const EUR: Currency = Currency { code: "EUR", exponent: 2 };
    pub const USD: Currency = Currency { code: "USD", exponent: 2 };
    pub const GBP: Currency = Currency { code: "GBP", exponent: 2 };
    pub const JPY: Currency = Currency { code: "JPY", exponent: 0 };
    pub const BHD: Currency = Currency { code: "BHD", exponent: 3 };

    /// Looks a code up in the table (case-insensitive, trimmed).
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let code = raw.trim().to_ascii_uppercase();
        CURRENCIES
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(code, exponent)| Currency { code, exponent: *exponent })
            .ok_or_else(|| ParseError::new("Choose a currency by its three-letter code, like EUR."))
    }

    pub fn code(self) -> &'static str {
        self.code
    }

    /// Digits after the decimal point (EUR 2, JPY 0, BHD 3).
    pub fn exponent(self) -> u8 {
        self.exponent
    }

    /// Minor units in one major unit (EUR 100, JPY 1, BHD 1000).
    pub fn scale(self) -> i64 {
        10i64.pow(self.exponent.into())
    }

    pub fn all() -> impl Iterator<Item = Currency> {
        CURRENCIES.iter().map(|(code, exponent)| Currency { code, exponent: *exponent })
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code)
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Currency::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// Why a money operation failed. Each is a bug or bad input, never a panic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("the amount is too large")]
    Overflow,
    #[error("cannot combine {0} with {1}")]
    CurrencyMismatch(Currency, Currency),
}

impl MoneyError {
    /// The message for the person at the form.
    pub fn to_parse_error(self) -> ParseError {
        match self {
            MoneyError::Overflow => ParseError::new("This amount is too large."),
            MoneyError::CurrencyMismatch(a, b) => {
                ParseError::new(format!("This amount is in {b}, but it must be in {a}."))
            }
        }
    }
}

/// An amount of one currency, in its minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

impl Money {
    pub const fn new(minor: i64, currency: Currency) -> Self {
        Self { minor, currency }
    }

    pub const fn zero(currency: Currency) -> Self {
        Self { minor: 0, currency }
    }

    fn same(self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch(self.currency, other.currency))
        }
    }

    fn bounded(self, minor: Option<i64>) -> Result<Money, MoneyError> {
        match minor {
            Some(m) if m.abs() <= MAX_MINOR => Ok(Money::new(m, self.currency)),
            _ => Err(MoneyError::Overflow),
        }
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same(other)?;
        self.bounded(self.minor.checked_add(other.minor))
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same(other)?;
        self.bounded(self.minor.checked_sub(other.minor))
    }

    pub fn checked_neg(self) -> Result<Money, MoneyError> {
        self.bounded(self.minor.checked_neg())
    }

    /// Sums amounts that must all be in `currency`.
    pub fn sum(currency: Currency, amounts: impl IntoIterator<Item = Money>) -> Result<Money, MoneyError> {
        amounts.into_iter().try_fold(Money::zero(currency), Money::checked_add)
    }

    pub fn is_zero(self) -> bool {
        self.minor == 0
    }

    pub fn is_negative(self) -> bool {
        self.minor < 0
    }

    /// "12.50" (EUR), "1250" (JPY), "-1.250" (BHD): the plain decimal, with
    /// exactly the currency's number of decimals.
    pub fn decimal(self) -> String {
        let exponent = usize::from(self.currency.exponent);
        let digits = self.minor.unsigned_abs().to_string();
        let sign = if self.minor < 0 { "-" } else { "" };
        if exponent == 0 {
            return format!("{sign}{digits}");
        }
        let padded = format!("{digits:0>width$}", width = exponent + 1);
        let (major, minor) = padded.split_at(padded.len() - exponent);
        format!("{sign}{major}.{minor}")
    }

    /// Parses what a person typed: "12.50", "12,50", "1 234.50", "EUR 12.50"
    /// or "12.50 EUR". More decimals than the currency has ("12.345" in
    /// euros) is refused rather than rounded: a typed amount is either
    /// exact or a typo. A currency code that is not `currency` is refused.
    /// Negative amounts are refused: documents that take money away (credit
    /// notes, refunds) are their own commands with positive amounts.
    pub fn parse(raw: &str, currency: Currency) -> Result<Money, ParseError> {
        let mut text = raw.trim().to_owned();
        if text.is_empty() {
            return Err(ParseError::new("Enter an amount."));
        }
        if text.len() > 40 {
            return Err(ParseError::new("Enter an amount, like 12.50."));
        }
        // An optional currency code before or after the number.
        let upper = text.to_ascii_uppercase();
        // `get` (not indexing): the text may hold multi-byte characters.
        let alphabetic = |s: Option<&str>| s.filter(|s| s.chars().all(|c| c.is_ascii_alphabetic())).map(str::to_owned);
        let code = if let Some(code) = alphabetic(upper.get(..3)) {
            text = text.get(3..).unwrap_or_default().trim().to_owned();
            Some(code)
        } else if let Some(code) = alphabetic(upper.len().checked_sub(3).and_then(|at| upper.get(at..))) {
            text = text.get(..text.len() - 3).unwrap_or_default().trim().to_owned();
            Some(code)
        } else {
            None
        };
        if let Some(code) = code {
            let typed = Currency::parse(&code)?;
            if typed != currency {
                return Err(MoneyError::CurrencyMismatch(currency, typed).to_parse_error());
            }
        }
        if text.starts_with('-') {
            return Err(ParseError::new("Enter an amount of zero or more."));
        }
        // Spaces may group thousands; a comma is a decimal separator only
        // when there is no point (European "12,50").
        let text: String = text.chars().filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}')).collect();
        let text = if !text.contains('.') && text.matches(',').count() == 1 { text.replace(',', ".") } else { text };
        let (whole, fraction) = match text.split_once('.') {
            Some((w, f)) => (w, f),
            None => (text.as_str(), ""),
        };
        let digits_only = |s: &str| s.chars().all(|c| c.is_ascii_digit());
        if whole.is_empty() && fraction.is_empty()
            || !digits_only(whole)
            || !digits_only(fraction)
            || (text.contains('.') && fraction.is_empty())
        {
            return Err(ParseError::new("Enter an amount, like 12.50."));
        }
        let exponent = usize::from(currency.exponent);
        if fraction.len() > exponent {
            return Err(ParseError::new(match exponent {
                0 => format!("{} has no decimals: enter a whole amount.", currency.code),
                1 => format!("{} takes at most 1 decimal.", currency.code),
                n => format!("{} takes at most {n} decimals.", currency.code),
            }));
        }
        let too_large = || ParseError::new("This amount is too large.");
        if whole.len() > 15 {
            return Err(too_large());
        }
        let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| too_large())? };
        let fraction_minor: i64 = if fraction.is_empty() {
            0
        } else {
            format!("{fraction:0<exponent$}").parse().map_err(|_| too_large())?
        };
        let minor = whole
            .checked_mul(currency.scale())
            .and_then(|m| m.checked_add(fraction_minor))
            .filter(|m| *m <= MAX_MINOR)
            .ok_or_else(too_large)?;
        Ok(Money::new(minor, currency))
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.decimal(), self.currency.code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur(minor: i64) -> Money {
        Money::new(minor, Currency::EUR)
    }

    #[test]
    fn currencies_know_their_exponent() {
        assert_eq!(Currency::parse("eur").unwrap().exponent(), 2);
        assert_eq!(Currency::parse("JPY").unwrap().exponent(), 0);
        assert_eq!(Currency::parse("BHD").unwrap().exponent(), 3);
        assert_eq!(Currency::parse("CHF").unwrap().exponent(), 2);
        assert_eq!(Currency::parse("KWD").unwrap().scale(), 1000);
        assert!(Currency::parse("XYZ").is_err());
        assert!(Currency::parse("").is_err());
        // The table has no duplicates and only well-formed codes.
        let codes: Vec<&str> = Currency::all().map(Currency::code).collect();
        let mut sorted = codes.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(codes.len(), sorted.len());
        assert!(codes.iter().all(|c| c.len() == 3 && c.chars().all(|ch| ch.is_ascii_uppercase())));
    }

    #[test]
    fn parses_typed_amounts_exactly() {
        assert_eq!(Money::parse("12.50", Currency::EUR).unwrap(), eur(1250));
        assert_eq!(Money::parse("12,5", Currency::EUR).unwrap(), eur(1250));
        assert_eq!(Money::parse(" 1 234.05 EUR", Currency::EUR).unwrap(), eur(123_405));
        assert_eq!(Money::parse("EUR 7", Currency::EUR).unwrap(), eur(700));
        assert_eq!(Money::parse(".5", Currency::EUR).unwrap(), eur(50));
        assert_eq!(Money::parse("0", Currency::EUR).unwrap(), eur(0));
        assert_eq!(Money::parse("1250", Currency::JPY).unwrap(), Money::new(1250, Currency::JPY));
        assert_eq!(Money::parse("1.25", Currency::BHD).unwrap(), Money::new(1250, Currency::BHD));
        assert_eq!(Money::parse("1.255", Currency::BHD).unwrap(), Money::new(1255, Currency::BHD));
    }

    #[test]
    fn refuses_more_decimals_than_the_currency_has() {
        let error = Money::parse("12.345 EUR", Currency::EUR).unwrap_err();
        assert_eq!(error.0, "EUR takes at most 2 decimals.");
        assert!(Money::parse("12.5", Currency::JPY).unwrap_err().0.contains("no decimals"));
        assert!(Money::parse("1.2345", Currency::BHD).is_err());
    }

    #[test]
    fn refuses_nonsense_negative_foreign_and_huge_amounts() {
        for bad in ["", "abc", "12.", "1.2.3", "1e5", "12-", "--1", "1,234,5", "0x10", "½"] {
            assert!(Money::parse(bad, Currency::EUR).is_err(), "{bad:?}");
        }
        assert!(Money::parse("-5", Currency::EUR).unwrap_err().0.contains("zero or more"));
        assert_eq!(Money::parse("12.50 USD", Currency::EUR).unwrap_err().0, "This amount is in USD, but it must be in EUR.");
        assert!(Money::parse("99999999999999999999", Currency::EUR).is_err());
        assert!(Money::parse("100000000000.01", Currency::EUR).is_err());
        assert!(Money::parse(&"9".repeat(1_000_000), Currency::EUR).is_err());
    }

    #[test]
    fn arithmetic_is_checked() {
        assert_eq!(eur(1000).checked_add(eur(250)).unwrap(), eur(1250));
        assert_eq!(eur(1000).checked_sub(eur(1250)).unwrap(), eur(-250));
        assert_eq!(eur(MAX_MINOR).checked_add(eur(1)), Err(MoneyError::Overflow));
        assert_eq!(eur(i64::MAX).checked_add(eur(1)), Err(MoneyError::Overflow));
        assert_eq!(eur(i64::MIN).checked_neg(), Err(MoneyError::Overflow));
        assert_eq!(
            eur(1).checked_add(Money::new(1, Currency::USD)),
            Err(MoneyError::CurrencyMismatch(Currency::EUR, Currency::USD))
        );
        assert!(Money::sum(Currency::EUR, [eur(1), Money::new(1, Currency::GBP)]).is_err());
        assert_eq!(Money::sum(Currency::EUR, [eur(1), eur(2)]).unwrap(), eur(3));
    }

    #[test]
    fn formats_with_the_currency_decimals() {
        assert_eq!(eur(1250).to_string(), "12.50 EUR");
        assert_eq!(eur(5).decimal(), "0.05");
        assert_eq!(eur(-5).decimal(), "-0.05");
        assert_eq!(Money::new(1250, Currency::JPY).decimal(), "1250");
        assert_eq!(Money::new(1250, Currency::BHD).decimal(), "1.250");
        // Round trip through the parser.
        for minor in [0, 1, 99, 100, 123_456] {
            assert_eq!(Money::parse(&eur(minor).decimal(), Currency::EUR).unwrap(), eur(minor));
        }
    }
}

//! Invoice lines and the rounding rules. These are the rules; the database
//! only stores their results.
//!
//! # Rounding rules
//!
//! 1. **Quantities** are exact decimals with at most three places, held as
//!    thousandths (`1.5` → 1500). **Prices** and **discounts** are exact
//!    minor units of the invoice's currency. **Tax rates** are basis points
//!    (`23 %` → 2300, `6.5 %` → 650).
//! 2. **Line net** = quantity × unit price − discount. The product
//!    quantity × unit price is computed exactly in 128-bit integers and
//!    rounded *once* to the minor unit, half away from zero (1.5 × 0.33 =
//!    0.495 → 0.50); the discount is then subtracted exactly. A discount
//!    larger than the extended price is refused (a line is never negative
//!    on an invoice).
//! 3. **Line tax** = line net × rate / 10 000, rounded per line, half away
//!    from zero, to the minor unit. **Line total** = line net + line tax.
//! 4. **Document totals** are plain sums of the lines: subtotal = Σ line
//!    net, tax = Σ line tax, total = Σ line total. Nothing is rounded at the
//!    document level, so the total always equals the sum of the lines, on
//!    the screen, in the database and in the accountant's export.
//! 5. A **credit note** line is the exact negation of the same line on an
//!    invoice: half-away-from-zero rounding is symmetric, so crediting every
//!    line of an invoice gives exactly minus its total.
//!
//! Every step is checked: a result beyond [`MAX_MINOR`] is an error, never a
//! wrap-around.

use super::money::{Currency, Money, MoneyError, MAX_MINOR};
use crate::errors::ParseError;
use serde::{Deserialize, Serialize};

/// A quantity in thousandths (1 = 1000). Always positive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Quantity(i64);

impl Quantity {
    pub const ONE: Quantity = Quantity(1000);
    /// A hundred thousand units on one line is a typo, not a bill.
    pub const MAX: Quantity = Quantity(100_000_000);

    pub fn from_thousandths(milli: i64) -> Result<Self, ParseError> {
        if milli <= 0 {
            Err(ParseError::new("Enter a quantity greater than zero."))
        } else if milli > Self::MAX.0 {
            Err(ParseError::new("Enter a quantity of at most 100000."))
        } else {
            Ok(Self(milli))
        }
    }

    pub fn thousandths(self) -> i64 {
        self.0
    }

    /// "1", "1.5", "0.25": up to three decimals; empty means 1.
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Ok(Self::ONE);
        }
        if raw.starts_with('-') {
            return Err(ParseError::new("Enter a quantity greater than zero."));
        }
        let milli = decimal_thousandths(raw, 3).ok_or_else(|| {
            ParseError::new("Enter a quantity like 1 or 1.5 (at most three decimals).")
        })?;
        Self::from_thousandths(milli)
    }

    pub fn decimal(self) -> String {
        let whole = self.0 / 1000;
        let fraction = self.0 % 1000;
        if fraction == 0 {
            whole.to_string()
        } else {
            format!("{whole}.{:03}", fraction).trim_end_matches('0').to_owned()
        }
    }
}

/// A tax rate in basis points: 2300 = 23 %. From 0 to 100 %.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
pub struct TaxRate(u32);

impl TaxRate {
    pub const ZERO: TaxRate = TaxRate(0);

    pub fn from_basis_points(bp: i64) -> Result<Self, ParseError> {
        u32::try_from(bp)
            .ok()
            .filter(|bp| *bp <= 10_000)
            .map(Self)
            .ok_or_else(|| ParseError::new("Enter a tax rate from 0 to 100 %."))
    }

    pub fn basis_points(self) -> u32 {
        self.0
    }

    /// "23", "23 %", "6.5%": a percentage with at most two decimals; empty
    /// means no tax.
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let raw = raw.trim().trim_end_matches('%').trim();
        if raw.is_empty() {
            return Ok(Self::ZERO);
        }
        let error = || ParseError::new("Enter a tax rate from 0 to 100 %, like 23 or 6.5.");
        if raw.starts_with('-') {
            return Err(error());
        }
        // Percent with two decimals = basis points.
        let hundredths = decimal_thousandths(raw, 2).ok_or_else(error)? / 10;
        Self::from_basis_points(hundredths).map_err(|_| error())
    }

    /// "23 %", "6.5 %".
    pub fn percent(self) -> String {
        let whole = self.0 / 100;
        let fraction = self.0 % 100;
        if fraction == 0 {
            format!("{whole} %")
        } else {
            format!("{}.{} %", whole, format!("{fraction:02}").trim_end_matches('0'))
        }
    }
}

/// Parses a non-negative decimal with at most `max_decimals` places into
/// thousandths; `None` if it is not such a number or is absurdly long.
fn decimal_thousandths(raw: &str, max_decimals: usize) -> Option<i64> {
    let raw = if !raw.contains('.') && raw.matches(',').count() == 1 { raw.replace(',', ".") } else { raw.to_owned() };
    let (whole, fraction) = raw.split_once('.').unwrap_or((raw.as_str(), ""));
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty())
        || !digits(whole)
        || !digits(fraction)
        || fraction.len() > max_decimals
        || whole.len() > 12
        || (raw.contains('.') && fraction.is_empty())
    {
        return None;
    }
    let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
    let fraction: i64 = if fraction.is_empty() { 0 } else { format!("{fraction:0<3}").parse().ok()? };
    whole.checked_mul(1000)?.checked_add(fraction)
}

/// `n / d` rounded half away from zero (`d > 0`).
pub fn div_round_half_away(n: i128, d: i128) -> i128 {
    let quotient = n / d;
    let remainder = n % d;
    if 2 * remainder.abs() >= d {
        quotient + n.signum()
    } else {
        quotient
    }
}

/// What a line is, before its amounts are worked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineInput {
    pub quantity: Quantity,
    /// Per unit, ≥ 0.
    pub unit_price: Money,
    /// Off the whole line, ≥ 0 and at most quantity × unit price.
    pub discount: Money,
    pub tax_rate: TaxRate,
}

/// A line's amounts, by the rules above. For a credit note all three are
/// negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineAmounts {
    pub net: Money,
    pub tax: Money,
    pub total: Money,
}

/// Why a line's amounts cannot be worked out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    #[error("the discount is larger than the line")]
    DiscountTooLarge,
    #[error(transparent)]
    Money(#[from] MoneyError),
}

fn to_minor(value: i128) -> Result<i64, MoneyError> {
    i64::try_from(value).ok().filter(|m| m.abs() <= MAX_MINOR).ok_or(MoneyError::Overflow)
}

impl LineInput {
    /// The line's amounts (rules 2 and 3).
    pub fn amounts(&self) -> Result<LineAmounts, LineError> {
        let currency = self.unit_price.currency;
        if self.discount.currency != currency {
            return Err(MoneyError::CurrencyMismatch(currency, self.discount.currency).into());
        }
        let extended = div_round_half_away(
            i128::from(self.quantity.thousandths()) * i128::from(self.unit_price.minor),
            1000,
        );
        let extended = to_minor(extended)?;
        if self.discount.minor > extended {
            return Err(LineError::DiscountTooLarge);
        }
        let net = to_minor(i128::from(extended) - i128::from(self.discount.minor))?;
        let tax = to_minor(div_round_half_away(i128::from(net) * i128::from(self.tax_rate.basis_points()), 10_000))?;
        let total = to_minor(i128::from(net) + i128::from(tax))?;
        Ok(LineAmounts {
            net: Money::new(net, currency),
            tax: Money::new(tax, currency),
            total: Money::new(total, currency),
        })
    }
}

impl LineAmounts {
    /// The same line on a credit note (rule 5).
    pub fn negated(self) -> Result<LineAmounts, MoneyError> {
        Ok(LineAmounts { net: self.net.checked_neg()?, tax: self.tax.checked_neg()?, total: self.total.checked_neg()? })
    }
}

/// A document's totals: the sums of its lines (rule 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentTotals {
    pub subtotal: Money,
    pub tax: Money,
    pub total: Money,
}

impl DocumentTotals {
    pub fn of(currency: Currency, lines: &[LineAmounts]) -> Result<Self, MoneyError> {
        Ok(Self {
            subtotal: Money::sum(currency, lines.iter().map(|l| l.net))?,
            tax: Money::sum(currency, lines.iter().map(|l| l.tax))?,
            total: Money::sum(currency, lines.iter().map(|l| l.total))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur(minor: i64) -> Money {
        Money::new(minor, Currency::EUR)
    }

    fn line(quantity: &str, price: i64, discount: i64, rate: &str) -> LineInput {
        LineInput {
            quantity: Quantity::parse(quantity).unwrap(),
            unit_price: eur(price),
            discount: eur(discount),
            tax_rate: TaxRate::parse(rate).unwrap(),
        }
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(div_round_half_away(5, 10), 1);
        assert_eq!(div_round_half_away(-5, 10), -1);
        assert_eq!(div_round_half_away(4, 10), 0);
        assert_eq!(div_round_half_away(-4, 10), 0);
        assert_eq!(div_round_half_away(15, 10), 2);
        assert_eq!(div_round_half_away(-15, 10), -2);
        assert_eq!(div_round_half_away(0, 10), 0);
    }

    #[test]
    fn line_net_tax_and_total_follow_the_written_rules() {
        // 1.5 × 0.33 = 0.495 → 0.50; 23 % of 0.50 = 0.115 → 0.12.
        let a = line("1.5", 33, 0, "23").amounts().unwrap();
        assert_eq!((a.net, a.tax, a.total), (eur(50), eur(12), eur(62)));
        // 2 × 45.00 − 5.00 = 85.00; 6 % = 5.10.
        let b = line("2", 4500, 500, "6").amounts().unwrap();
        assert_eq!((b.net, b.tax, b.total), (eur(8500), eur(510), eur(9010)));
        // 6.5 % of 0.10 = 0.0065 → 0.01; 6.5 % of 0.07 = 0.00455 → 0.00.
        assert_eq!(line("1", 10, 0, "6.5").amounts().unwrap().tax, eur(1));
        assert_eq!(line("1", 7, 0, "6.5").amounts().unwrap().tax, eur(0));
        // The whole line may be discounted, not more.
        assert_eq!(line("1", 100, 100, "23").amounts().unwrap().total, eur(0));
        assert_eq!(line("1", 100, 101, "23").amounts(), Err(LineError::DiscountTooLarge));
    }

    #[test]
    fn totals_are_the_sums_of_the_lines_and_credit_notes_negate_exactly() {
        let lines: Vec<LineAmounts> = [line("1.5", 33, 0, "23"), line("3", 333, 1, "23"), line("0.333", 999, 0, "6")]
            .iter()
            .map(|l| l.amounts().unwrap())
            .collect();
        let totals = DocumentTotals::of(Currency::EUR, &lines).unwrap();
        assert_eq!(totals.total.minor, lines.iter().map(|l| l.total.minor).sum::<i64>());
        assert_eq!(totals.subtotal.minor + totals.tax.minor, totals.total.minor);
        let credited: Vec<LineAmounts> = lines.iter().map(|l| l.negated().unwrap()).collect();
        let credit = DocumentTotals::of(Currency::EUR, &credited).unwrap();
        assert_eq!(credit.total.minor, -totals.total.minor);
        assert_eq!(credit.tax.minor, -totals.tax.minor);
    }

    #[test]
    fn overflow_is_an_error_not_a_panic() {
        let huge = LineInput {
            quantity: Quantity::MAX,
            unit_price: eur(MAX_MINOR),
            discount: eur(0),
            tax_rate: TaxRate::from_basis_points(10_000).unwrap(),
        };
        assert_eq!(huge.amounts(), Err(LineError::Money(MoneyError::Overflow)));
        let many = vec![LineAmounts { net: eur(MAX_MINOR), tax: eur(0), total: eur(MAX_MINOR) }; 2];
        assert_eq!(DocumentTotals::of(Currency::EUR, &many), Err(MoneyError::Overflow));
        let mixed = LineInput { discount: Money::new(0, Currency::USD), ..line("1", 1, 0, "") };
        assert!(matches!(mixed.amounts(), Err(LineError::Money(MoneyError::CurrencyMismatch(..)))));
    }

    #[test]
    fn quantities_and_rates_parse_strictly() {
        assert_eq!(Quantity::parse("").unwrap(), Quantity::ONE);
        assert_eq!(Quantity::parse("1.5").unwrap().thousandths(), 1500);
        assert_eq!(Quantity::parse("0,25").unwrap().thousandths(), 250);
        assert_eq!(Quantity::parse("2.125").unwrap().decimal(), "2.125");
        assert_eq!(Quantity::parse("1.50").unwrap().decimal(), "1.5");
        for bad in ["-1", "0", "0.0001", "abc", "1.", "100001", "1e3"] {
            assert!(Quantity::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(TaxRate::parse("23").unwrap().basis_points(), 2300);
        assert_eq!(TaxRate::parse("6.5 %").unwrap().basis_points(), 650);
        assert_eq!(TaxRate::parse("").unwrap(), TaxRate::ZERO);
        assert_eq!(TaxRate::parse("6.5").unwrap().percent(), "6.5 %");
        assert_eq!(TaxRate::parse("23").unwrap().percent(), "23 %");
        for bad in ["-1", "101", "6.555", "x"] {
            assert!(TaxRate::parse(bad).is_err(), "{bad:?}");
        }
    }
}

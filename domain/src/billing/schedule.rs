//! The rest of the fee schedule: payers (insurers, employers) with their
//! own prices for some services, and packages (e.g. ten physiotherapy
//! sessions, prepaid), sold to a patient and used up one visit at a time.

use super::{
    lines::TaxRate,
    money::{Currency, Money},
};
use crate::{
    errors::{has_forbidden_chars, FieldErrors, ParseError},
    FeeServiceId, PayerId,
};
use serde::{Deserialize, Serialize};

fn name(raw: &str, what: &str) -> Result<String, ParseError> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(ParseError::new(format!("Enter {what}.")));
    }
    if value.chars().count() > 120 {
        return Err(ParseError::new(format!("Keep {what} to 120 characters.")));
    }
    if has_forbidden_chars(value, false) {
        return Err(ParseError::new(format!("Remove the control characters from {what}.")));
    }
    Ok(value.to_owned())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PayerKind {
    Insurer,
    Employer,
    Other,
}

impl PayerKind {
    pub const ALL: [PayerKind; 3] = [PayerKind::Insurer, PayerKind::Employer, PayerKind::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            PayerKind::Insurer => "insurer",
            PayerKind::Employer => "employer",
            PayerKind::Other => "other",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == raw.trim())
            .ok_or_else(|| ParseError::new("Choose insurer, employer or other."))
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PayerForm {
    pub name: String,
    pub kind: String,
}

impl PayerForm {
    pub fn parse(&self) -> Result<(String, PayerKind), FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = errors.check("name", name(&self.name, "the payer's name"));
        let kind = errors.check("kind", PayerKind::parse(&self.kind));
        let (Some(name), Some(kind)) = (name, kind) else {
            return Err(errors);
        };
        Ok((name, kind))
    }
}

/// A payer's own price for one service; an empty price removes it (the
/// schedule's price applies again).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PayerPriceForm {
    pub payer_id: String,
    #[serde(default)]
    pub price: String,
}

impl PayerPriceForm {
    pub fn parse(&self, currency: Currency) -> Result<(PayerId, Option<Money>), FieldErrors> {
        let mut errors = FieldErrors::new();
        let payer = errors.check(
            "payer_id",
            self.payer_id.trim().parse::<PayerId>().map_err(|_| ParseError::new("Choose a payer from the list.")),
        );
        let price = if self.price.trim().is_empty() { Some(None) } else { errors.check("price", Money::parse(&self.price, currency)).map(Some) };
        let (Some(payer), Some(price)) = (payer, price) else {
            return Err(errors);
        };
        Ok((payer, price))
    }
}

/// A package on the fee schedule: so many visits of one service for one
/// price, paid up front.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FeePackageForm {
    pub name: String,
    pub service_id: String,
    pub sessions: String,
    pub price: String,
    #[serde(default)]
    pub tax_rate: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeePackageSpec {
    pub name: String,
    pub service_id: FeeServiceId,
    pub sessions: u32,
    pub price: Money,
    pub tax_rate: TaxRate,
}

impl FeePackageForm {
    pub const MAX_SESSIONS: u32 = 200;

    pub fn parse(&self, currency: Currency) -> Result<FeePackageSpec, FieldErrors> {
        let mut errors = FieldErrors::new();
        let package_name = errors.check("name", name(&self.name, "the package's name"));
        let service = errors.check(
            "service_id",
            self.service_id.trim().parse::<FeeServiceId>().map_err(|_| ParseError::new("Choose the service it covers.")),
        );
        let sessions = match self.sessions.trim().parse::<u32>() {
            Ok(n) if (1..=Self::MAX_SESSIONS).contains(&n) => Some(n),
            _ => {
                errors.add("sessions", format!("Enter a number of sessions from 1 to {}.", Self::MAX_SESSIONS));
                None
            }
        };
        let price = errors.check("price", Money::parse(&self.price, currency));
        let tax_rate = errors.check("tax_rate", TaxRate::parse(&self.tax_rate));
        let (Some(name), Some(service_id), Some(sessions), Some(price), Some(tax_rate)) = (package_name, service, sessions, price, tax_rate) else {
            return Err(errors);
        };
        Ok(FeePackageSpec { name, service_id, sessions, price, tax_rate })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payers_prices_and_packages_parse() {
        assert_eq!(PayerForm { name: "Médis".into(), kind: "insurer".into() }.parse().unwrap(), ("Médis".to_owned(), PayerKind::Insurer));
        let bad = PayerForm { name: "".into(), kind: "bank".into() }.parse().unwrap_err();
        assert!(bad.get("name").is_some() && bad.get("kind").is_some());
        let id = "0190f1b2-7c1e-7a4b-8f00-123456789abc";
        let (_, price) = PayerPriceForm { payer_id: id.into(), price: "38.5".into() }.parse(Currency::EUR).unwrap();
        assert_eq!(price.map(|p| p.minor), Some(3850));
        assert_eq!(PayerPriceForm { payer_id: id.into(), price: "".into() }.parse(Currency::EUR).unwrap().1, None);
        assert!(PayerPriceForm { payer_id: id.into(), price: "1.234".into() }.parse(Currency::EUR).is_err());
        let package = FeePackageForm { name: "Physio ×10".into(), service_id: id.into(), sessions: "10".into(), price: "350".into(), tax_rate: "".into() };
        assert_eq!(package.parse(Currency::EUR).unwrap().sessions, 10);
        let zero = FeePackageForm { sessions: "0".into(), ..package.clone() };
        assert!(zero.parse(Currency::EUR).unwrap_err().get("sessions").is_some());
        let many = FeePackageForm { sessions: "201".into(), ..package };
        assert!(many.parse(Currency::EUR).is_err());
    }
}

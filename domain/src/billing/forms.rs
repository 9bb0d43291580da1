//! The billing forms: strings as typed, parsed into commands with one error
//! per field. Line fields are named `lines.N.field` so a page can show each
//! error at its input.

use super::{
    ledger::PaymentMethod,
    lines::{LineAmounts, LineInput, Quantity, TaxRate},
    money::{Currency, Money},
};
use crate::{
    accounts::ticked,
    errors::{has_forbidden_chars, FieldErrors, ParseError},
    AppointmentTypeId, FeeServiceId, InvoiceId, PatientId, PayerId,
};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Lines on one document: enough for any visit, small enough to render.
pub const MAX_LINES: usize = 100;
pub const MAX_DESCRIPTION: usize = 200;
pub const MAX_CODE: usize = 20;
pub const MAX_NOTE: usize = 2000;
pub const MAX_REASON: usize = 500;

fn text(raw: &str, max: usize, what: &str, required: bool, multiline: bool) -> Result<Option<String>, ParseError> {
    let value = raw.trim();
    if value.is_empty() {
        return if required { Err(ParseError::new(format!("Enter {what}."))) } else { Ok(None) };
    }
    if value.chars().count() > max {
        return Err(ParseError::new(format!("Keep {what} to {max} characters.")));
    }
    if has_forbidden_chars(value, multiline) {
        return Err(ParseError::new(format!("Remove the control characters from {what}.")));
    }
    Ok(Some(value.to_owned()))
}

/// A fee code: CPT (`99213`), or the clinic's own (`PHYSIO-45`). Letters,
/// digits, `.`, `-` and `_`; upper-cased.
pub fn parse_code(raw: &str) -> Result<String, ParseError> {
    let code = raw.trim().to_ascii_uppercase();
    if code.is_empty() {
        return Err(ParseError::new("Enter a code, like 99213 or PHYSIO-45."));
    }
    if code.len() > MAX_CODE || !code.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')) {
        return Err(ParseError::new(format!(
            "Use up to {MAX_CODE} letters, digits, dots, dashes or underscores for a code."
        )));
    }
    Ok(code)
}

fn parse_id<T>(raw: &str, message: &str) -> Result<crate::Id<T>, ParseError> {
    raw.trim().parse().map_err(|_| ParseError::new(message))
}

fn optional_id<T>(raw: &str, message: &str) -> Result<Option<crate::Id<T>>, ParseError> {
    if raw.trim().is_empty() {
        Ok(None)
    } else {
        parse_id(raw, message).map(Some)
    }
}

/// A service on the fee schedule.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FeeServiceForm {
    pub code: String,
    pub description: String,
    pub price: String,
    #[serde(default)]
    pub tax_rate: String,
    /// The appointment type this service bills (pre-fills invoices made
    /// from such appointments); empty for none.
    #[serde(default)]
    pub appointment_type_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeeServiceSpec {
    pub code: String,
    pub description: String,
    pub price: Money,
    pub tax_rate: TaxRate,
    pub appointment_type_id: Option<AppointmentTypeId>,
}

impl FeeServiceForm {
    pub fn parse(&self, currency: Currency) -> Result<FeeServiceSpec, FieldErrors> {
        let mut errors = FieldErrors::new();
        let code = errors.check("code", parse_code(&self.code));
        let description = errors.check("description", text(&self.description, MAX_DESCRIPTION, "a description", true, false));
        let price = errors.check("price", Money::parse(&self.price, currency));
        let tax_rate = errors.check("tax_rate", TaxRate::parse(&self.tax_rate));
        let type_id = errors.check(
            "appointment_type_id",
            optional_id(&self.appointment_type_id, "Choose an appointment type from the list."),
        );
        errors.into_result(|| FeeServiceSpec {
            code: code.unwrap_or_default(),
            description: description.flatten().unwrap_or_default(),
            price: price.unwrap_or(Money::zero(currency)),
            tax_rate: tax_rate.unwrap_or_default(),
            appointment_type_id: type_id.flatten(),
        })
    }
}

/// What a fee-schedule service puts on a line when the line leaves a field
/// empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineDefaults {
    pub code: String,
    pub description: String,
    pub unit_price: Money,
    pub tax_rate: TaxRate,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct InvoiceLineForm {
    /// A fee-schedule service; its code, description, price and tax fill
    /// the fields left empty.
    #[serde(default)]
    pub service_id: String,
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub quantity: String,
    #[serde(default)]
    pub unit_price: String,
    #[serde(default)]
    pub discount: String,
    #[serde(default)]
    pub tax_rate: String,
}

/// A parsed line with its amounts worked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineSpec {
    pub service_id: Option<FeeServiceId>,
    pub code: Option<String>,
    pub description: String,
    pub input: LineInput,
    pub amounts: LineAmounts,
}

impl InvoiceLineForm {
    /// Parses line `index`, recording errors as `lines.{index}.{field}`.
    /// `service` looks up a fee-schedule service of this clinic.
    pub fn parse_into(
        &self,
        index: usize,
        currency: Currency,
        service: &dyn Fn(FeeServiceId) -> Option<LineDefaults>,
        errors: &mut FieldErrors,
    ) -> Option<LineSpec> {
        let key = |field: &str| format!("lines.{index}.{field}");
        let mut ok = true;
        let service_id = match optional_id::<crate::ids::kinds::FeeService>(&self.service_id, "Choose a service from the fee schedule.") {
            Ok(id) => id,
            Err(e) => {
                errors.add(&key("service_id"), e.0);
                ok = false;
                None
            }
        };
        let defaults = match service_id {
            Some(id) => match service(id) {
                Some(d) => Some(d),
                None => {
                    errors.add(&key("service_id"), "Choose a service from the fee schedule.");
                    ok = false;
                    None
                }
            },
            None => None,
        };
        let code = if self.code.trim().is_empty() {
            Some(defaults.as_ref().map(|d| d.code.clone()))
        } else {
            errors.check(&key("code"), parse_code(&self.code)).map(Some)
        };
        let description = if self.description.trim().is_empty() {
            match &defaults {
                Some(d) => Some(d.description.clone()),
                None => errors.check(&key("description"), Err(ParseError::new("Enter what this line is for."))),
            }
        } else {
            errors.check(
                &key("description"),
                text(&self.description, MAX_DESCRIPTION, "a description", true, false).map(Option::unwrap_or_default),
            )
        };
        let quantity = errors.check(&key("quantity"), Quantity::parse(&self.quantity));
        let unit_price = match (self.unit_price.trim().is_empty(), &defaults) {
            (true, Some(d)) => Some(d.unit_price),
            _ => errors.check(&key("unit_price"), Money::parse(&self.unit_price, currency)),
        };
        let discount = if self.discount.trim().is_empty() {
            Some(Money::zero(currency))
        } else {
            errors.check(&key("discount"), Money::parse(&self.discount, currency))
        };
        let tax_rate = match (self.tax_rate.trim().is_empty(), &defaults) {
            (true, Some(d)) => Some(d.tax_rate),
            _ => errors.check(&key("tax_rate"), TaxRate::parse(&self.tax_rate)),
        };
        let (Some(code), Some(description), Some(quantity), Some(unit_price), Some(discount), Some(tax_rate), true) =
            (code, description, quantity, unit_price, discount, tax_rate, ok)
        else {
            return None;
        };
        let input = LineInput { quantity, unit_price, discount, tax_rate };
        match input.amounts() {
            Ok(amounts) => Some(LineSpec { service_id, code, description, input, amounts }),
            Err(super::lines::LineError::DiscountTooLarge) => {
                errors.add(&key("discount"), "The discount is larger than the line.");
                None
            }
            Err(super::lines::LineError::Money(e)) => {
                errors.add(&key("unit_price"), e.to_parse_error().0);
                None
            }
        }
    }
}

/// Parses a list of lines: at least one, at most [`MAX_LINES`].
pub fn parse_lines(
    forms: &[InvoiceLineForm],
    currency: Currency,
    service: &dyn Fn(FeeServiceId) -> Option<LineDefaults>,
    errors: &mut FieldErrors,
) -> Vec<LineSpec> {
    if forms.is_empty() {
        errors.add("lines", "Add at least one line.");
        return Vec::new();
    }
    if forms.len() > MAX_LINES {
        errors.add("lines", format!("A document can have at most {MAX_LINES} lines."));
        return Vec::new();
    }
    forms.iter().enumerate().filter_map(|(i, f)| f.parse_into(i, currency, service, errors)).collect()
}

/// The payer an invoice form names, parsed on its own: the server needs it
/// to look up the payer's prices before the lines are parsed.
pub fn form_payer(raw: &str) -> Result<Option<PayerId>, FieldErrors> {
    optional_id(raw, "Choose a payer from the list.").map_err(|e| FieldErrors::single("payer_id", e.0))
}

/// A draft invoice typed by hand.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct InvoiceForm {
    pub patient_id: String,
    /// Billed under this payer's prices (empty: the schedule's).
    #[serde(default)]
    pub payer_id: String,
    /// YYYY-MM-DD; empty: 30 days after the invoice is issued.
    #[serde(default)]
    pub due_on: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub lines: Vec<InvoiceLineForm>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceDraft {
    pub patient_id: PatientId,
    pub payer_id: Option<PayerId>,
    pub due_on: Option<NaiveDate>,
    pub note: Option<String>,
    pub lines: Vec<LineSpec>,
}

/// How far ahead a due date may be set.
pub const MAX_DUE_DAYS: i64 = 366;
/// The due date when none is given: this many days after issue.
pub const DEFAULT_DUE_DAYS: i64 = 30;

pub fn parse_due_on(raw: &str, today: NaiveDate) -> Result<Option<NaiveDate>, ParseError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let date = NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| ParseError::new("Enter a date as YYYY-MM-DD."))?;
    if date < today {
        return Err(ParseError::new("The due date cannot be in the past."));
    }
    if date > today + chrono::Duration::days(MAX_DUE_DAYS) {
        return Err(ParseError::new("Choose a due date within a year."));
    }
    Ok(Some(date))
}

impl InvoiceForm {
    pub fn parse(
        &self,
        currency: Currency,
        today: NaiveDate,
        service: &dyn Fn(FeeServiceId) -> Option<LineDefaults>,
    ) -> Result<InvoiceDraft, FieldErrors> {
        let mut errors = FieldErrors::new();
        let patient = errors.check("patient_id", parse_id(&self.patient_id, "Choose a patient."));
        let payer = errors.check("payer_id", optional_id(&self.payer_id, "Choose a payer from the list."));
        let due_on = errors.check("due_on", parse_due_on(&self.due_on, today));
        let note = errors.check("note", text(&self.note, MAX_NOTE, "the note", false, true));
        let lines = parse_lines(&self.lines, currency, service, &mut errors);
        if errors.is_empty() {
            if let Err(e) = super::lines::DocumentTotals::of(currency, &lines.iter().map(|l| l.amounts).collect::<Vec<_>>()) {
                errors.add("lines", e.to_parse_error().0);
            }
        }
        let Some(patient_id) = patient else {
            return Err(errors);
        };
        errors.into_result(|| InvoiceDraft { patient_id, payer_id: payer.flatten(), due_on: due_on.flatten(), note: note.flatten(), lines })
    }
}

/// Why: voiding an invoice, a credit note, a refund.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ReasonForm {
    pub reason: String,
}

pub fn parse_reason(raw: &str) -> Result<String, ParseError> {
    let reason = text(raw, MAX_REASON, "the reason", true, true)?.unwrap_or_default();
    if reason.chars().count() < 3 {
        return Err(ParseError::new("Say why, in a few words."));
    }
    Ok(reason)
}

impl ReasonForm {
    pub fn parse(&self) -> Result<String, FieldErrors> {
        parse_reason(&self.reason).map_err(|e| FieldErrors::single("reason", e.0))
    }
}

/// A credit note against an issued invoice: either the whole invoice (what
/// is not yet credited) or the lines given, typed as positive amounts.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CreditNoteForm {
    pub reason: String,
    /// Checkbox: credit everything not yet credited.
    #[serde(default)]
    pub whole: Option<String>,
    #[serde(default)]
    pub lines: Vec<InvoiceLineForm>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreditScope {
    Whole,
    Lines(Vec<LineSpec>),
}

impl CreditNoteForm {
    pub fn parse(
        &self,
        currency: Currency,
        service: &dyn Fn(FeeServiceId) -> Option<LineDefaults>,
    ) -> Result<(String, CreditScope), FieldErrors> {
        let mut errors = FieldErrors::new();
        let reason = errors.check("reason", parse_reason(&self.reason));
        let scope = if ticked(&self.whole) {
            CreditScope::Whole
        } else {
            CreditScope::Lines(parse_lines(&self.lines, currency, service, &mut errors))
        };
        errors.into_result(|| (reason.unwrap_or_default(), scope))
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AllocationForm {
    pub invoice_id: String,
    /// Empty: as much as is due (up to what is left of the payment).
    #[serde(default)]
    pub amount: String,
}

/// A payment taken at the desk.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PaymentForm {
    pub patient_id: String,
    pub method: String,
    pub amount: String,
    /// Empty: the clinic's currency.
    #[serde(default)]
    pub currency: String,
    /// Card slip, transfer reference, insurer's remittance number.
    #[serde(default)]
    pub reference: String,
    /// Which invoices it pays. Empty: the patient's open invoices, oldest
    /// due first. Whatever is not allocated is the patient's credit.
    #[serde(default)]
    pub allocations: Vec<AllocationForm>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentCommand {
    pub patient_id: PatientId,
    pub method: PaymentMethod,
    pub amount: Money,
    pub reference: Option<String>,
    /// Invoice and, if given, the amount to put on it.
    pub allocations: Vec<(InvoiceId, Option<Money>)>,
}

impl PaymentForm {
    pub fn parse(&self, clinic_currency: Currency) -> Result<PaymentCommand, FieldErrors> {
        let mut errors = FieldErrors::new();
        let patient = errors.check("patient_id", parse_id(&self.patient_id, "Choose a patient."));
        let method = errors.check("method", PaymentMethod::parse(&self.method));
        let currency = if self.currency.trim().is_empty() {
            Some(clinic_currency)
        } else {
            errors.check("currency", Currency::parse(&self.currency))
        };
        if let Some(c) = currency.filter(|c| *c != clinic_currency) {
            errors.add("currency", format!("This clinic bills in {clinic_currency}; a payment in {c} cannot pay its invoices."));
        }
        let amount = errors.check("amount", Money::parse(&self.amount, clinic_currency));
        if amount.is_some_and(|a| a.minor == 0) {
            errors.add("amount", "Enter an amount greater than zero.");
        }
        let reference = errors.check("reference", text(&self.reference, 100, "the reference", false, false));
        if self.allocations.len() > MAX_LINES {
            errors.add("allocations", format!("A payment can pay at most {MAX_LINES} invoices."));
        }
        let mut allocations = Vec::new();
        for (i, a) in self.allocations.iter().enumerate().take(MAX_LINES) {
            let id = errors.check(&format!("allocations.{i}.invoice_id"), parse_id(&a.invoice_id, "Choose an invoice."));
            let amount = if a.amount.trim().is_empty() {
                Some(None)
            } else {
                match Money::parse(&a.amount, clinic_currency) {
                    Ok(m) if m.minor == 0 => {
                        errors.add(&format!("allocations.{i}.amount"), "Enter an amount greater than zero.");
                        None
                    }
                    Ok(m) => Some(Some(m)),
                    Err(e) => {
                        errors.add(&format!("allocations.{i}.amount"), e.0);
                        None
                    }
                }
            };
            if let (Some(id), Some(amount)) = (id, amount) {
                if allocations.iter().any(|(seen, _)| *seen == id) {
                    errors.add(&format!("allocations.{i}.invoice_id"), "This invoice is already in the list.");
                }
                allocations.push((id, amount));
            }
        }
        if let (Some(total), true) = (amount, errors.is_empty()) {
            let explicit: i64 = allocations.iter().filter_map(|(_, a)| a.map(|m| m.minor)).sum();
            if explicit > total.minor {
                errors.add("amount", "The invoices add up to more than the payment.");
            }
        }
        let (Some(patient_id), Some(method), Some(amount)) = (patient, method, amount) else {
            return Err(errors);
        };
        errors.into_result(|| PaymentCommand { patient_id, method, amount, reference: reference.flatten(), allocations })
    }
}

/// Money back to the patient from one payment.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RefundForm {
    pub amount: String,
    pub reason: String,
    /// Empty: the payment's own method.
    #[serde(default)]
    pub method: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundCommand {
    pub amount: Money,
    pub reason: String,
    pub method: Option<PaymentMethod>,
}

impl RefundForm {
    pub fn parse(&self, currency: Currency) -> Result<RefundCommand, FieldErrors> {
        let mut errors = FieldErrors::new();
        let amount = errors.check("amount", Money::parse(&self.amount, currency));
        if amount.is_some_and(|a| a.minor == 0) {
            errors.add("amount", "Enter an amount greater than zero.");
        }
        let reason = errors.check("reason", parse_reason(&self.reason));
        let method = if self.method.trim().is_empty() {
            Some(None)
        } else {
            errors.check("method", PaymentMethod::parse(&self.method)).map(Some)
        };
        let (Some(amount), Some(reason), Some(method)) = (amount, reason, method) else {
            return Err(errors);
        };
        errors.into_result(|| RefundCommand { amount, reason, method })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATIENT: &str = "0190f1b2-7c1e-7a4b-8f00-123456789abc";
    const SERVICE: &str = "0190f1b2-7c1e-7a4b-8f00-0000000000aa";

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
    }

    fn fee(id: FeeServiceId) -> Option<LineDefaults> {
        (id.to_string() == SERVICE).then(|| LineDefaults {
            code: "99213".into(),
            description: "Consultation".into(),
            unit_price: Money::new(4500, Currency::EUR),
            tax_rate: TaxRate::ZERO,
        })
    }

    fn line(description: &str, quantity: &str, price: &str) -> InvoiceLineForm {
        InvoiceLineForm { description: description.into(), quantity: quantity.into(), unit_price: price.into(), ..Default::default() }
    }

    #[test]
    fn an_invoice_parses_with_service_defaults_and_typed_lines() {
        let form = InvoiceForm {
            patient_id: PATIENT.into(),
            lines: vec![
                InvoiceLineForm { service_id: SERVICE.into(), ..Default::default() },
                InvoiceLineForm { tax_rate: "23".into(), discount: "1.00".into(), ..line("Bandage <b>", "2", "3.50") },
            ],
            ..Default::default()
        };
        let draft = form.parse(Currency::EUR, today(), &fee).unwrap();
        assert_eq!(draft.lines[0].code.as_deref(), Some("99213"));
        assert_eq!(draft.lines[0].amounts.total.minor, 4500);
        // Markup is text: kept as typed, escaped when shown.
        assert_eq!(draft.lines[1].description, "Bandage <b>");
        assert_eq!(draft.lines[1].amounts.net.minor, 600);
        assert_eq!(draft.lines[1].amounts.tax.minor, 138);
    }

    #[test]
    fn bad_lines_are_reported_at_their_fields() {
        let form = InvoiceForm {
            patient_id: "nope".into(),
            due_on: "2020-01-01".into(),
            lines: vec![
                line("Consultation", "-1", "45"),
                line("Consultation", "1", "12.345"),
                InvoiceLineForm { discount: "50".into(), ..line("X", "1", "45") },
                InvoiceLineForm { service_id: "0190f1b2-7c1e-7a4b-8f00-0000000000bb".into(), ..Default::default() },
                line(&"x".repeat(1_000_000), "1", "1"),
            ],
            ..Default::default()
        };
        let errors = form.parse(Currency::EUR, today(), &fee).unwrap_err();
        assert_eq!(errors.get("patient_id"), Some("Choose a patient."));
        assert_eq!(errors.get("due_on"), Some("The due date cannot be in the past."));
        assert_eq!(errors.get("lines.0.quantity"), Some("Enter a quantity greater than zero."));
        assert_eq!(errors.get("lines.1.unit_price"), Some("EUR takes at most 2 decimals."));
        assert_eq!(errors.get("lines.2.discount"), Some("The discount is larger than the line."));
        assert_eq!(errors.get("lines.3.service_id"), Some("Choose a service from the fee schedule."));
        assert!(errors.get("lines.4.description").unwrap().contains("200 characters"));
        let empty = InvoiceForm { patient_id: PATIENT.into(), ..Default::default() };
        assert_eq!(empty.parse(Currency::EUR, today(), &fee).unwrap_err().get("lines"), Some("Add at least one line."));
    }

    #[test]
    fn payments_parse_and_refuse_foreign_currency_and_over_allocation() {
        let form = PaymentForm {
            patient_id: PATIENT.into(),
            method: "card".into(),
            amount: "50".into(),
            allocations: vec![AllocationForm { invoice_id: SERVICE.into(), amount: "20".into() }],
            ..Default::default()
        };
        let command = form.parse(Currency::EUR).unwrap();
        assert_eq!(command.amount.minor, 5000);
        assert_eq!(command.allocations[0].1.map(|m| m.minor), Some(2000));
        let usd = PaymentForm { currency: "USD".into(), ..form.clone() };
        assert!(usd.parse(Currency::EUR).unwrap_err().get("currency").unwrap().contains("bills in EUR"));
        let typed_usd = PaymentForm { amount: "50 USD".into(), ..form.clone() };
        assert!(typed_usd.parse(Currency::EUR).unwrap_err().get("amount").is_some());
        let over = PaymentForm { amount: "10".into(), ..form.clone() };
        assert_eq!(over.parse(Currency::EUR).unwrap_err().get("amount"), Some("The invoices add up to more than the payment."));
        let zero = PaymentForm { amount: "0".into(), ..form.clone() };
        assert!(zero.parse(Currency::EUR).is_err());
        let online = PaymentForm { method: "online".into(), ..form };
        assert!(online.parse(Currency::EUR).unwrap_err().get("method").is_some());
    }

    #[test]
    fn reasons_and_services_are_required_and_bounded() {
        assert!(ReasonForm { reason: " ".into() }.parse().is_err());
        assert!(ReasonForm { reason: "x".repeat(501) }.parse().is_err());
        assert!(ReasonForm { reason: "ab\u{202e}c".into() }.parse().is_err());
        assert_eq!(ReasonForm { reason: "Wrong patient".into() }.parse().unwrap(), "Wrong patient");
        let service = FeeServiceForm { code: "physio-45".into(), description: "Physiotherapy".into(), price: "40".into(), tax_rate: "6".into(), ..Default::default() };
        let spec = service.parse(Currency::EUR).unwrap();
        assert_eq!((spec.code.as_str(), spec.price.minor, spec.tax_rate.basis_points()), ("PHYSIO-45", 4000, 600));
        let bad = FeeServiceForm { code: "a b".into(), price: "-1".into(), ..Default::default() };
        let errors = bad.parse(Currency::EUR).unwrap_err();
        assert!(errors.get("code").is_some() && errors.get("price").is_some() && errors.get("description").is_some());
    }
}

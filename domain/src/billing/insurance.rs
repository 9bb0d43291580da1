//! Insurance: a patient's coverage by a payer, claims made from invoices
//! (ICD-10 diagnosis codes, procedure codes), the claim workflow, and the
//! remittance that settles the covered part and leaves the patient's share
//! due.

use super::money::{Currency, Money};
use crate::{
    errors::{has_forbidden_chars, FieldErrors, ParseError},
    InvoiceId, PayerId,
};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Draft → submitted → accepted or denied; submitted or accepted → paid
/// (by a remittance). Denied and paid are final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimStatus {
    Draft,
    Submitted,
    Accepted,
    Denied,
    Paid,
}

impl ClaimStatus {
    pub const ALL: [ClaimStatus; 5] =
        [ClaimStatus::Draft, ClaimStatus::Submitted, ClaimStatus::Accepted, ClaimStatus::Denied, ClaimStatus::Paid];

    pub fn as_str(self) -> &'static str {
        match self {
            ClaimStatus::Draft => "draft",
            ClaimStatus::Submitted => "submitted",
            ClaimStatus::Accepted => "accepted",
            ClaimStatus::Denied => "denied",
            ClaimStatus::Paid => "paid",
        }
    }

    pub fn from_db(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    pub fn can_move_to(self, next: ClaimStatus) -> bool {
        use ClaimStatus::*;
        matches!((self, next), (Draft, Submitted) | (Submitted, Accepted) | (Submitted, Denied) | (Submitted, Paid) | (Accepted, Paid))
    }

    /// Still waiting on the payer: the invoice may not be claimed again.
    pub fn is_open(self) -> bool {
        matches!(self, ClaimStatus::Draft | ClaimStatus::Submitted | ClaimStatus::Accepted)
    }
}

/// An ICD-10 code: a letter, two characters (digits, or a letter in the
/// third place as in ICD-10-CM's `C7A`), then optionally a point and up to
/// four more letters or digits: `J06.9`, `M54.5`, `S82.101A`. Upper-cased.
pub fn parse_icd10(raw: &str) -> Result<String, ParseError> {
    let code = raw.trim().to_ascii_uppercase();
    let error = || ParseError::new(format!("{:?} is not an ICD-10 code (like J06.9).", raw.trim().chars().take(20).collect::<String>()));
    let bytes = code.as_bytes();
    if bytes.len() < 3 || bytes.len() > 8 {
        return Err(error());
    }
    let head_ok = bytes[0].is_ascii_uppercase() && bytes[1].is_ascii_digit() && bytes[2].is_ascii_alphanumeric();
    let tail_ok = match code.get(3..) {
        Some("") => true,
        Some(rest) => rest
            .strip_prefix('.')
            .is_some_and(|t| !t.is_empty() && t.len() <= 4 && t.bytes().all(|b| b.is_ascii_alphanumeric())),
        None => false,
    };
    if head_ok && tail_ok {
        Ok(code)
    } else {
        Err(error())
    }
}

/// Codes separated by commas, spaces or semicolons.
fn code_list(raw: &str, parse: fn(&str) -> Result<String, ParseError>, max: usize, what: &str) -> Result<Vec<String>, ParseError> {
    let mut codes: Vec<String> = Vec::new();
    for part in raw.split([',', ';', ' ', '\n']).filter(|p| !p.trim().is_empty()) {
        let code = parse(part)?;
        if !codes.contains(&code) {
            codes.push(code);
        }
        if codes.len() > max {
            return Err(ParseError::new(format!("Give at most {max} {what}.")));
        }
    }
    Ok(codes)
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CoverageForm {
    pub payer_id: String,
    pub member_id: String,
    #[serde(default)]
    pub plan: String,
    pub valid_from: String,
    #[serde(default)]
    pub valid_to: String,
    /// Share of a bill the payer covers, in whole percent.
    pub covered_percent: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoverageSpec {
    pub payer_id: PayerId,
    pub member_id: String,
    pub plan: Option<String>,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub covered_percent: u8,
}

impl CoverageSpec {
    pub fn valid_on(&self, day: NaiveDate) -> bool {
        self.valid_from <= day && self.valid_to.is_none_or(|to| day <= to)
    }

    /// The covered part of `amount`, rounded half away from zero.
    pub fn covered_part(&self, amount: i64) -> i64 {
        super::lines::div_round_half_away(i128::from(amount) * i128::from(self.covered_percent), 100) as i64
    }
}

fn short_text(raw: &str, max: usize, what: &str, required: bool) -> Result<Option<String>, ParseError> {
    let value = raw.trim();
    if value.is_empty() {
        return if required { Err(ParseError::new(format!("Enter {what}."))) } else { Ok(None) };
    }
    if value.chars().count() > max || has_forbidden_chars(value, false) {
        return Err(ParseError::new(format!("Enter {what} of at most {max} characters, without control characters.")));
    }
    Ok(Some(value.to_owned()))
}

fn date(raw: &str) -> Result<NaiveDate, ParseError> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| ParseError::new("Enter a date as YYYY-MM-DD."))
}

impl CoverageForm {
    pub fn parse(&self) -> Result<CoverageSpec, FieldErrors> {
        let mut errors = FieldErrors::new();
        let payer = errors.check("payer_id", self.payer_id.trim().parse::<PayerId>().map_err(|_| ParseError::new("Choose a payer.")));
        let member = errors.check("member_id", short_text(&self.member_id, 40, "the member number", true));
        let plan = errors.check("plan", short_text(&self.plan, 80, "the plan", false));
        let from = errors.check("valid_from", date(&self.valid_from));
        let to = if self.valid_to.trim().is_empty() { Some(None) } else { errors.check("valid_to", date(&self.valid_to)).map(Some) };
        if let (Some(from), Some(Some(to))) = (from, to) {
            if to < from {
                errors.add("valid_to", "The coverage ends before it starts.");
            }
        }
        let percent = match self.covered_percent.trim().trim_end_matches('%').trim().parse::<u8>() {
            Ok(p) if p <= 100 => Some(p),
            _ => {
                errors.add("covered_percent", "Enter the covered share, from 0 to 100 %.");
                None
            }
        };
        let (Some(payer_id), Some(Some(member_id)), Some(plan), Some(valid_from), Some(valid_to), Some(covered_percent)) =
            (payer, member, plan, from, to, percent)
        else {
            return Err(errors);
        };
        errors.into_result(|| CoverageSpec { payer_id, member_id, plan, valid_from, valid_to, covered_percent })
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ClaimForm {
    pub invoice_id: String,
    pub coverage_id: String,
    /// ICD-10 codes, comma separated; at least one.
    pub diagnosis_codes: String,
    /// Procedure codes (CPT or the clinic's); empty: the invoice lines' codes.
    #[serde(default)]
    pub procedure_codes: String,
    /// Empty: the coverage's share of what is due.
    #[serde(default)]
    pub amount: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimSpec {
    pub invoice_id: InvoiceId,
    pub coverage_id: uuid::Uuid,
    pub diagnosis_codes: Vec<String>,
    pub procedure_codes: Vec<String>,
    pub amount: Option<Money>,
}

impl ClaimForm {
    pub const MAX_CODES: usize = 12;

    pub fn parse(&self, currency: Currency) -> Result<ClaimSpec, FieldErrors> {
        let mut errors = FieldErrors::new();
        let invoice = errors.check("invoice_id", self.invoice_id.trim().parse::<InvoiceId>().map_err(|_| ParseError::new("Choose an invoice.")));
        let coverage = errors.check("coverage_id", crate::ids::parse_uuid(&self.coverage_id).map_err(|_| ParseError::new("Choose the patient's coverage.")));
        let diagnoses = errors.check("diagnosis_codes", code_list(&self.diagnosis_codes, parse_icd10, Self::MAX_CODES, "diagnosis codes"));
        if diagnoses.as_ref().is_some_and(Vec::is_empty) {
            errors.add("diagnosis_codes", "Give at least one ICD-10 diagnosis code.");
        }
        let procedures = errors.check(
            "procedure_codes",
            code_list(&self.procedure_codes, super::forms::parse_code, Self::MAX_CODES, "procedure codes"),
        );
        let amount = if self.amount.trim().is_empty() {
            Some(None)
        } else {
            match Money::parse(&self.amount, currency) {
                Ok(m) if m.minor > 0 => Some(Some(m)),
                Ok(_) => {
                    errors.add("amount", "Enter an amount greater than zero.");
                    None
                }
                Err(e) => {
                    errors.add("amount", e.0);
                    None
                }
            }
        };
        let (Some(invoice_id), Some(coverage_id), Some(diagnosis_codes), Some(procedure_codes), Some(amount)) =
            (invoice, coverage, diagnoses, procedures, amount)
        else {
            return Err(errors);
        };
        errors.into_result(|| ClaimSpec { invoice_id, coverage_id, diagnosis_codes, procedure_codes, amount })
    }
}

/// The payer's answer to a submitted claim.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ClaimDecisionForm {
    /// "accept" or "deny".
    pub decision: String,
    /// Required for a denial (the payer's reason).
    #[serde(default)]
    pub reason: String,
}

impl ClaimDecisionForm {
    pub fn parse(&self) -> Result<(ClaimStatus, Option<String>), FieldErrors> {
        match self.decision.trim() {
            "accept" => Ok((ClaimStatus::Accepted, None)),
            "deny" => super::forms::parse_reason(&self.reason)
                .map(|r| (ClaimStatus::Denied, Some(r)))
                .map_err(|e| FieldErrors::single("reason", e.0)),
            _ => Err(FieldErrors::single("decision", "Choose accept or deny.")),
        }
    }
}

/// What the payer paid on a claim.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RemittanceForm {
    pub amount: String,
    #[serde(default)]
    pub reference: String,
}

impl RemittanceForm {
    pub fn parse(&self, currency: Currency) -> Result<(Money, Option<String>), FieldErrors> {
        let mut errors = FieldErrors::new();
        let amount = match Money::parse(&self.amount, currency) {
            Ok(m) if m.minor > 0 => Some(m),
            Ok(_) => {
                errors.add("amount", "Enter what the payer paid (deny the claim if nothing).");
                None
            }
            Err(e) => {
                errors.add("amount", e.0);
                None
            }
        };
        let reference = errors.check("reference", short_text(&self.reference, 100, "the remittance reference", false));
        let (Some(amount), Some(reference)) = (amount, reference) else {
            return Err(errors);
        };
        Ok((amount, reference))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn icd10_codes_parse_strictly() {
        for good in ["J06.9", "m54.5", "S82.101A", "E11", "C7A.0", "Z00.00"] {
            assert!(parse_icd10(good).is_ok(), "{good}");
        }
        assert_eq!(parse_icd10(" j06.9 ").unwrap(), "J06.9");
        for bad in ["", "J0", "06.9", "J06.", "J06.12345", "J06-9", "<b>J06</b>", "J06.9;DROP", "ÉJ06"] {
            assert!(parse_icd10(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_claim_workflow_only_moves_forward() {
        use ClaimStatus::*;
        assert!(Draft.can_move_to(Submitted));
        assert!(Submitted.can_move_to(Accepted) && Submitted.can_move_to(Denied) && Accepted.can_move_to(Paid));
        assert!(!Draft.can_move_to(Paid) && !Denied.can_move_to(Paid) && !Paid.can_move_to(Submitted) && !Accepted.can_move_to(Denied));
        assert!(Draft.is_open() && !Denied.is_open() && !Paid.is_open());
    }

    #[test]
    fn claims_and_coverage_parse() {
        let id = "0190f1b2-7c1e-7a4b-8f00-123456789abc";
        let claim = ClaimForm {
            invoice_id: id.into(),
            coverage_id: id.into(),
            diagnosis_codes: "J06.9, m54.5 J06.9".into(),
            procedure_codes: "99213".into(),
            amount: "".into(),
        };
        let spec = claim.parse(Currency::EUR).unwrap();
        assert_eq!(spec.diagnosis_codes, vec!["J06.9", "M54.5"]);
        let none = ClaimForm { diagnosis_codes: " ".into(), ..claim.clone() };
        assert!(none.parse(Currency::EUR).unwrap_err().get("diagnosis_codes").is_some());
        let bad = ClaimForm { diagnosis_codes: "flu".into(), amount: "1.001".into(), ..claim };
        let errors = bad.parse(Currency::EUR).unwrap_err();
        assert!(errors.get("diagnosis_codes").is_some() && errors.get("amount").is_some());
        let coverage = CoverageForm {
            payer_id: id.into(),
            member_id: "MED-123".into(),
            valid_from: "2026-01-01".into(),
            valid_to: "2026-12-31".into(),
            covered_percent: "80".into(),
            ..Default::default()
        };
        let spec = coverage.parse().unwrap();
        assert!(spec.valid_on("2026-06-01".parse().unwrap()) && !spec.valid_on("2027-01-01".parse().unwrap()));
        assert_eq!(spec.covered_part(4505), 3604);
        let reversed = CoverageForm { valid_to: "2025-01-01".into(), covered_percent: "120".into(), ..coverage };
        let errors = reversed.parse().unwrap_err();
        assert!(errors.get("valid_to").is_some() && errors.get("covered_percent").is_some());
        assert!(ClaimDecisionForm { decision: "deny".into(), reason: "".into() }.parse().is_err());
        assert_eq!(ClaimDecisionForm { decision: "accept".into(), reason: "".into() }.parse().unwrap().0, ClaimStatus::Accepted);
    }
}

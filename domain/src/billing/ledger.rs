//! The patient account: invoice status, payment methods, and how money is
//! allocated, released and refunded. Pure planning: the services ask these
//! functions what to write and the database stores the result, so the
//! property test below exercises the same rules the server runs.
//!
//! The invariants, for every patient account and every currency:
//!
//! * per invoice: `0 ≤ paid` and `paid + credited ≤ total`, so
//!   `due = total − credited − paid ≥ 0` — never "paid more than owed";
//! * per payment: `allocated + refunded ≤ amount`; the rest,
//!   `amount − allocated − refunded`, is the patient's credit;
//! * **balance = invoiced − credited − paid + refunded**
//!   `= Σ due − Σ credit`, where voided invoices count in neither term.

use crate::errors::ParseError;
use serde::{Deserialize, Serialize};

/// Where an invoice is in its life. Draft → issued → partially paid → paid;
/// or credited (fully, by credit notes); or void (with a reason). Only a
/// draft can be edited or deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatus {
    Draft,
    Issued,
    PartiallyPaid,
    Paid,
    Credited,
    Void,
}

impl InvoiceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceStatus::Draft => "draft",
            InvoiceStatus::Issued => "issued",
            InvoiceStatus::PartiallyPaid => "partially_paid",
            InvoiceStatus::Paid => "paid",
            InvoiceStatus::Credited => "credited",
            InvoiceStatus::Void => "void",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "draft" => InvoiceStatus::Draft,
            "issued" => InvoiceStatus::Issued,
            "partially_paid" => InvoiceStatus::PartiallyPaid,
            "paid" => InvoiceStatus::Paid,
            "credited" => InvoiceStatus::Credited,
            "void" => InvoiceStatus::Void,
            _ => return None,
        })
    }

    pub fn label(self) -> &'static str {
        match self {
            InvoiceStatus::Draft => "Draft",
            InvoiceStatus::Issued => "Issued",
            InvoiceStatus::PartiallyPaid => "Partially paid",
            InvoiceStatus::Paid => "Paid",
            InvoiceStatus::Credited => "Credited",
            InvoiceStatus::Void => "Void",
        }
    }

    /// The status of an issued, not voided invoice from its amounts.
    pub fn of_issued(total: i64, credited: i64, paid: i64) -> Self {
        let due = total - credited - paid;
        if credited > 0 && total - credited == 0 {
            InvoiceStatus::Credited
        } else if due <= 0 {
            InvoiceStatus::Paid
        } else if paid > 0 {
            InvoiceStatus::PartiallyPaid
        } else {
            InvoiceStatus::Issued
        }
    }

    /// Issued in any form (a number, never editable again), and not void.
    pub fn is_open_document(self) -> bool {
        matches!(self, InvoiceStatus::Issued | InvoiceStatus::PartiallyPaid | InvoiceStatus::Paid | InvoiceStatus::Credited)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    Cash,
    Card,
    BankTransfer,
    Insurance,
    /// Through the online payment provider.
    Online,
}

impl PaymentMethod {
    /// The methods staff record at the desk (online payments arrive by
    /// the provider's webhook).
    pub const DESK: [PaymentMethod; 4] =
        [PaymentMethod::Cash, PaymentMethod::Card, PaymentMethod::BankTransfer, PaymentMethod::Insurance];
    pub const ALL: [PaymentMethod; 5] = [
        PaymentMethod::Cash,
        PaymentMethod::Card,
        PaymentMethod::BankTransfer,
        PaymentMethod::Insurance,
        PaymentMethod::Online,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentMethod::Cash => "cash",
            PaymentMethod::Card => "card",
            PaymentMethod::BankTransfer => "bank_transfer",
            PaymentMethod::Insurance => "insurance",
            PaymentMethod::Online => "online",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PaymentMethod::Cash => "Cash",
            PaymentMethod::Card => "Card",
            PaymentMethod::BankTransfer => "Bank transfer",
            PaymentMethod::Insurance => "Insurance",
            PaymentMethod::Online => "Online",
        }
    }

    pub fn from_db(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == raw)
    }

    /// A method chosen at the desk.
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        Self::DESK
            .into_iter()
            .find(|m| m.as_str() == raw.trim())
            .ok_or_else(|| ParseError::new("Choose how the patient paid: cash, card, bank transfer or insurance."))
    }
}

/// Allocates `amount` to open items in the order given (the caller puts the
/// oldest due first), never more than an item's due. Returns the
/// allocations and what is left over (the patient's credit).
pub fn allocate_in_order<K: Copy>(amount: i64, open: &[(K, i64)]) -> (Vec<(K, i64)>, i64) {
    let mut left = amount.max(0);
    let mut out = Vec::new();
    for &(key, due) in open {
        if left == 0 {
            break;
        }
        let take = left.min(due.max(0));
        if take > 0 {
            out.push((key, take));
            left -= take;
        }
    }
    (out, left)
}

/// Takes `amount` back from allocations in the order given (the caller
/// puts the latest first). Used when a credit note leaves an invoice
/// over-paid, and by refunds once the credit is used up.
pub fn release_in_order<K: Copy>(amount: i64, allocations: &[(K, i64)]) -> Vec<(K, i64)> {
    allocate_in_order(amount, allocations).0
}

/// Where a refund's money comes from: the payment's unallocated part (the
/// patient's credit) first, then its allocations, latest first, which
/// reopens those invoices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundPlan<K> {
    pub from_credit: i64,
    pub releases: Vec<(K, i64)>,
}

/// Plans a refund of `amount` from a payment with `unallocated` credit and
/// these allocations (latest first). Refused when it exceeds what the
/// payment still holds (its amount less earlier refunds).
pub fn plan_refund<K: Copy>(amount: i64, unallocated: i64, allocations: &[(K, i64)]) -> Result<RefundPlan<K>, ParseError> {
    let refundable = unallocated + allocations.iter().map(|(_, a)| a).sum::<i64>();
    if amount <= 0 {
        return Err(ParseError::new("Enter an amount greater than zero."));
    }
    if amount > refundable {
        return Err(ParseError::new("A refund cannot be larger than the payment less earlier refunds."));
    }
    let from_credit = amount.min(unallocated);
    Ok(RefundPlan { from_credit, releases: release_in_order(amount - from_credit, allocations) })
}

/// The four figures of an account and the balance they give.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountTotals {
    /// Issued invoices, not voided.
    pub invoiced: i64,
    /// Credit notes (as a positive amount).
    pub credited: i64,
    pub paid: i64,
    pub refunded: i64,
}

impl AccountTotals {
    /// What the patient owes (negative: the clinic owes the patient, i.e.
    /// credit). `invoiced − credited − paid + refunded`.
    pub fn balance(&self) -> i64 {
        self.invoiced - self.credited - self.paid + self.refunded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_follows_the_amounts() {
        assert_eq!(InvoiceStatus::of_issued(1000, 0, 0), InvoiceStatus::Issued);
        assert_eq!(InvoiceStatus::of_issued(1000, 0, 400), InvoiceStatus::PartiallyPaid);
        assert_eq!(InvoiceStatus::of_issued(1000, 0, 1000), InvoiceStatus::Paid);
        assert_eq!(InvoiceStatus::of_issued(1000, 600, 400), InvoiceStatus::Paid);
        assert_eq!(InvoiceStatus::of_issued(1000, 1000, 0), InvoiceStatus::Credited);
        assert_eq!(InvoiceStatus::of_issued(0, 0, 0), InvoiceStatus::Paid);
        for s in [InvoiceStatus::Draft, InvoiceStatus::Issued, InvoiceStatus::PartiallyPaid, InvoiceStatus::Paid, InvoiceStatus::Credited, InvoiceStatus::Void] {
            assert_eq!(InvoiceStatus::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn allocation_pays_oldest_first_and_keeps_the_rest_as_credit() {
        let (alloc, rest) = allocate_in_order(1500, &[("a", 1000), ("b", 1000)]);
        assert_eq!((alloc, rest), (vec![("a", 1000), ("b", 500)], 0));
        let (alloc, rest) = allocate_in_order(2500, &[("a", 1000), ("b", 0), ("c", 1000)]);
        assert_eq!((alloc, rest), (vec![("a", 1000), ("c", 1000)], 500));
    }

    #[test]
    fn refunds_use_credit_first_and_never_exceed_the_payment() {
        let plan = plan_refund(700, 500, &[("late", 300), ("early", 1000)]).unwrap();
        assert_eq!(plan, RefundPlan { from_credit: 500, releases: vec![("late", 200)] });
        assert!(plan_refund(1801, 500, &[("late", 300), ("early", 1000)]).is_err());
        assert!(plan_refund(0, 500, &[("x", 1)]).is_err());
        assert_eq!(plan_refund(1800, 500, &[("late", 300), ("early", 1000)]).unwrap().releases.len(), 2);
    }

    #[test]
    fn methods_round_trip() {
        for m in PaymentMethod::ALL {
            assert_eq!(PaymentMethod::from_db(m.as_str()), Some(m));
        }
        assert!(PaymentMethod::parse("online").is_err(), "online payments come from the provider only");
        assert!(PaymentMethod::parse("barter").is_err());
    }
}

//! Billing: money and currencies, invoice lines and their rounding rules,
//! the patient account (allocation, credit, refunds), the forms, and the
//! arithmetic of the reports. No I/O; the server's billing services store
//! what these decide.

pub mod forms;
pub mod insurance;
pub mod ledger;
pub mod lines;
pub mod money;
pub mod reports;
pub mod schedule;

#[cfg(test)]
mod property;

pub use forms::*;
pub use insurance::{ClaimDecisionForm, ClaimForm, ClaimStatus, CoverageForm, RemittanceForm};
pub use ledger::{AccountTotals, InvoiceStatus, PaymentMethod};
pub use lines::{DocumentTotals, LineAmounts, LineInput, Quantity, TaxRate};
pub use money::{Currency, Money, MoneyError};
pub use reports::{AgingBucket, Granularity, Period, PeriodForm};
pub use schedule::{FeePackageForm, FeePackageSpec, PayerForm, PayerKind, PayerPriceForm};

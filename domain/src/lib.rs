//! Ambula's domain: the types and rules that hold in the browser and on the
//! server alike. Nothing here does I/O, so the same parsing runs in the wasm
//! bundle (instant feedback at the field) and in server functions (the rule
//! that actually counts).
//!
//! Types follow "parse, don't validate": a `ClinicName` can only exist if it
//! passed the rules, so code that holds one never re-checks it.

pub mod accounts;
pub mod chart;
pub mod documents;
pub mod email;
pub mod errors;
pub mod ids;
pub mod medications;
pub mod names;
pub mod password;
pub mod permission;
pub mod patients;
pub mod registry;
pub mod role;
pub mod scheduling;
pub mod security;
pub mod timezone;
pub mod decimal;
pub mod vitals;
pub mod growth;
pub mod results;
pub mod billing;

pub use email::EmailAddress;
pub use errors::{FieldErrors, ParseError};
pub use ids::*;
pub use names::{ClinicName, PersonName};
pub use password::Password;
pub use permission::Permission;
pub use role::Role;
pub use timezone::TimeZoneName;

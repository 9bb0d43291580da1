//! Appointment reminders by email and SMS.
//!
//! - `settings`: the clinic's schedule (offsets before the appointment and
//!   channels) and each patient's opt-out per channel.
//! - `enqueue`: called by booking, moves and status changes inside their own
//!   transaction, so the outbox never disagrees with the calendar: a row
//!   per (appointment start, offset, channel), unique, never twice.
//! - `delivery`: the background loop that claims due rows under a lease,
//!   re-checks the appointment and the patient's choice at send time,
//!   sends, and records sent / retry with backoff / failed.
//!
//! Messages carry no clinical details: the clinic, the date and time in the
//! clinic's zone, the practitioner's name, and how to cancel (by phone).

pub mod delivery;
pub mod enqueue;
pub mod settings;

pub use delivery::{spawn_delivery, spawn_delivery_with, DeliveryHandle, DeliverySettings};

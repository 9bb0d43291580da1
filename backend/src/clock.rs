//! The services' notion of "now". Production reads the system clock; tests
//! move a manual clock forward to cross idle timeouts, lock-outs and expiry
//! without sleeping.

use crate::time::DbTime;
use chrono::Utc;
use std::sync::{
    atomic::{AtomicI64, Ordering},
    Arc,
};

#[derive(Clone, Debug, Default)]
pub struct Clock {
    /// Seconds added to the system time (tests only; zero in production).
    offset: Option<Arc<AtomicI64>>,
}

impl Clock {
    pub fn system() -> Self {
        Self { offset: None }
    }

    /// A clock that tests can move forward with [`Clock::advance`].
    pub fn adjustable() -> Self {
        Self { offset: Some(Arc::new(AtomicI64::new(0))) }
    }

    /// Moves an adjustable clock forward; no effect on the system clock.
    pub fn advance(&self, by: std::time::Duration) {
        if let Some(offset) = &self.offset {
            offset.fetch_add(by.as_secs() as i64, Ordering::SeqCst);
        }
    }

    pub fn now(&self) -> DbTime {
        let offset = self.offset.as_ref().map_or(0, |o| o.load(Ordering::SeqCst));
        DbTime::from(Utc::now() + chrono::Duration::seconds(offset))
    }
}

//! Per-client-IP attempt limiting for the authentication endpoints (sign-in,
//! MFA, password reset). In memory: per process, which is what a single
//! node needs; behind several nodes the per-account lock-out (in the
//! database) still holds, and this one becomes per node.

use crate::clock::Clock;
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

#[derive(Clone, Debug, Default)]
pub struct IpThrottle {
    windows: Arc<Mutex<HashMap<String, (i64, u32)>>>,
}

impl IpThrottle {
    /// Counts one attempt from `ip`; false when it is over `per_minute` in
    /// the current minute.
    pub fn allow(&self, clock: &Clock, ip: Option<&str>, per_minute: u32) -> bool {
        let Some(ip) = ip else {
            return true; // not from the network (CLI, tests calling services)
        };
        let minute = clock.now().0.timestamp().div_euclid(60);
        let mut windows = self.windows.lock().expect("throttle lock");
        if windows.len() > 100_000 {
            windows.retain(|_, (m, _)| *m == minute);
        }
        let entry = windows.entry(ip.to_owned()).or_insert((minute, 0));
        if entry.0 != minute {
            *entry = (minute, 0);
        }
        entry.1 += 1;
        entry.1 <= per_minute
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_each_ip_per_minute() {
        let (clock, throttle) = (Clock::adjustable(), IpThrottle::default());
        assert!((0..3).all(|_| throttle.allow(&clock, Some("10.0.0.1"), 3)));
        assert!(!throttle.allow(&clock, Some("10.0.0.1"), 3));
        assert!(throttle.allow(&clock, Some("10.0.0.2"), 3), "other IPs unaffected");
        assert!(throttle.allow(&clock, None, 0), "no IP: not limited");
        clock.advance(std::time::Duration::from_secs(61));
        assert!(throttle.allow(&clock, Some("10.0.0.1"), 3), "next minute");
    }
}

//! Settings the services need (the server's own config is parsed in the
//! `server` crate and handed down).

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// Sign-out after this long without a request (HIPAA automatic logoff).
    pub idle_timeout: Duration,
    /// Sign-out this long after sign-in, whatever the activity.
    pub absolute_timeout: Duration,
    /// How long an invitation link stays valid.
    pub invite_ttl: Duration,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            idle_timeout: Duration::from_secs(15 * 60),
            absolute_timeout: Duration::from_secs(12 * 60 * 60),
            invite_ttl: Duration::from_secs(7 * 24 * 60 * 60),
        }
    }
}

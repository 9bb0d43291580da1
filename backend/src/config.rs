//! Settings the services need (the server's own config is parsed in the
//! `server` crate and handed down).

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// Default sign-out after this long without activity (HIPAA automatic
    /// logoff); each clinic can set its own in its security settings.
    pub idle_timeout: Duration,
    /// Sign-out this long after sign-in, whatever the activity.
    pub absolute_timeout: Duration,
    /// How long an invitation link stays valid.
    pub invite_ttl: Duration,
    /// How long a password-reset link stays valid.
    pub reset_ttl: Duration,
    /// Failed sign-ins for one email address before each further attempt
    /// must wait (doubling from one second)...
    pub backoff_after: u32,
    /// ...and before the address is locked for `lock_duration`.
    pub lock_after: u32,
    pub lock_duration: Duration,
    /// Sign-in, MFA and reset attempts per client IP per minute before 429.
    pub attempts_per_ip_per_minute: u32,
    /// How long a password-only session may take to complete MFA.
    pub mfa_step_ttl: Duration,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            idle_timeout: Duration::from_secs(15 * 60),
            absolute_timeout: Duration::from_secs(12 * 60 * 60),
            invite_ttl: Duration::from_secs(7 * 24 * 60 * 60),
            reset_ttl: Duration::from_secs(60 * 60),
            backoff_after: 5,
            lock_after: 10,
            lock_duration: Duration::from_secs(15 * 60),
            attempts_per_ip_per_minute: 30,
            mfa_step_ttl: Duration::from_secs(10 * 60),
        }
    }
}

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
    /// Failed attempts (passwords, codes, reset links) from one network
    /// (an IPv4 address, an IPv6 /64) per hour before 429. Successes never
    /// count: a clinic's staff behind one address sign in freely.
    pub failures_per_network_per_hour: u32,
    /// Clinic sign-ups per network per hour, and for the whole server.
    pub signups_per_network_per_hour: u32,
    pub signups_per_hour: u32,
    /// Password reset requests per network and per address per hour (past
    /// the address's limit no more mail goes out; the answer is the same).
    pub reset_requests_per_network_per_hour: u32,
    pub reset_requests_per_account_per_hour: u32,
    /// Password hashes waiting for a hashing slot before further requests
    /// get 429 with `Retry-After` (a flood queues here, bounded, while
    /// everyone else's requests stay fast).
    pub hash_queue_limit: usize,
    /// How long a password-only session may take to complete MFA.
    pub mfa_step_ttl: Duration,
    /// Whether anyone may create a clinic from the sign-up page, and how.
    pub signup: SignupMode,
    /// How long a sign-up confirmation link stays valid.
    pub signup_ttl: Duration,
}

/// How the public sign-up page creates clinics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignupMode {
    /// The clinic is created at once and its owner signed in. Says when an
    /// address already has an account: for local use and trusted networks.
    Open,
    /// The form answers "check your email" whatever the address; the link
    /// mailed to it creates the clinic. Needs SMTP.
    VerifyEmail,
    /// No public sign-up: clinics are created with `server create-clinic`.
    Closed,
}

impl SignupMode {
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "open" => Some(SignupMode::Open),
            "verify-email" | "verify" => Some(SignupMode::VerifyEmail),
            "closed" | "off" => Some(SignupMode::Closed),
            _ => None,
        }
    }
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
            failures_per_network_per_hour: 100,
            signups_per_network_per_hour: 10,
            signups_per_hour: 200,
            reset_requests_per_network_per_hour: 20,
            reset_requests_per_account_per_hour: 3,
            hash_queue_limit: 32,
            mfa_step_ttl: Duration::from_secs(10 * 60),
            signup: SignupMode::Open,
            signup_ttl: Duration::from_secs(24 * 60 * 60),
        }
    }
}

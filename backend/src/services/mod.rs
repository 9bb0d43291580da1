//! Services: one function per use case. Each parses its input with the
//! domain types, checks permission, and runs its queries in one transaction.

pub mod accounts;
pub mod attempts;
pub mod admin;
pub mod audit_checkpoints;
pub mod audit_log;
pub mod auth;
pub mod calendar_feed;
pub mod dashboard;
pub mod live;
pub mod medications;
pub mod demo;
pub mod documents;
pub mod mfa;
pub mod patients;
pub mod reminders;
pub mod scheduling;
pub mod staff;
pub mod registry;
pub mod chart;
pub mod vitals;
pub mod lab_results;
pub mod billing;

/// Where a request came from, recorded with sessions (and, with the trust
/// layer, with every audit entry).
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl ClientInfo {
    pub fn ip(&self) -> Option<&str> {
        self.ip.as_deref()
    }

    /// User agents are attacker-controlled and can be huge; keep a prefix.
    pub fn user_agent(&self) -> Option<String> {
        self.user_agent.as_ref().map(|ua| ua.chars().take(256).collect())
    }
}

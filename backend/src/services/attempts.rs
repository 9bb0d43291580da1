//! Gates in front of everything that checks a secret or costs a password
//! hash: sign-in, invitation acceptance, MFA and recovery codes, password
//! changes and resets, MFA removal, sign-up.
//!
//! An attempt passes two gates, each a counter in the database (shared by
//! every server process): its **network** (the IPv4 address, or the IPv6
//! /64) and its **account** (the email address or user, known or not).
//! Both reserve the attempt *before* the hash runs, so a burst of
//! concurrent guesses is cut off at the limit instead of all being checked.
//! Failures count; a success gives its network reservation back (staff
//! signing in at 8:00 behind one address never meet a limit), and clears
//! the account's failures.

use super::ClientInfo;
use crate::{
    crypto,
    error::ServiceError,
    repo::login_throttle::{self as repo, Reservation},
    time::DbTime,
    Services,
};
use chrono::Duration;
use std::net::IpAddr;

/// What is being attempted: names the counters, so a sign-in failure and an
/// MFA failure of one person are counted apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// A password checked: sign-in, accepting an invitation, changing the
    /// password, removing MFA. One counter per account for all of them.
    Password,
    /// An MFA or recovery code.
    MfaCode,
    /// Asking for a password reset link (counted per address, not failures).
    ResetRequest,
    /// Using a reset link.
    ResetConfirm,
    /// Creating a clinic (counted per network and for the whole server).
    SignUp,
}

impl Action {
    fn name(self) -> &'static str {
        match self {
            Action::Password => "login",
            Action::MfaCode => "mfa",
            Action::ResetRequest => "reset-request",
            Action::ResetConfirm => "reset-confirm",
            Action::SignUp => "sign-up",
        }
    }
}

/// Why an attempt was refused before it ran.
#[derive(Debug, Clone, PartialEq)]
pub enum Refused {
    /// This account (address, user) is paused or locked: said at the form's
    /// field, like a wrong password.
    Account(Duration),
    /// Too many failures from this network, or too many sign-ups: HTTP 429
    /// with `Retry-After`.
    Network(Duration),
}

impl Refused {
    /// The error a form shows: the account's at `field`, the network's as 429.
    pub fn into_error(self, field: &str) -> ServiceError {
        match self {
            Refused::Account(wait) => ServiceError::field(field, wait_message(wait)),
            Refused::Network(wait) => ServiceError::RateLimited { retry_after_secs: wait.num_seconds().max(1) as u64 },
        }
    }
}

pub fn wait_message(wait: Duration) -> String {
    let minutes = (wait.num_seconds() + 59) / 60;
    if wait.num_seconds() < 60 {
        format!(
            "Too many attempts. Wait {} second{} and try again.",
            wait.num_seconds().max(1),
            if wait.num_seconds() > 1 { "s" } else { "" }
        )
    } else {
        format!("Too many attempts. Try again in {minutes} minutes, or reset your password.")
    }
}

/// The network an address belongs to, for counting: an IPv4 address on its
/// own, an IPv6 address by its /64 (one customer's whole allocation).
pub fn network_of(ip: &str) -> String {
    match ip.trim().parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        Err(_) => ip.trim().to_lowercase(),
    }
}

fn key(kind: &str, subject: &str) -> String {
    crypto::token_hash(&format!("{kind}:{}", subject.to_lowercase()))
}

/// The key of an account's counter for `action` (also cleared by a reset).
pub fn account_key(action: Action, subject: &str) -> String {
    key(action.name(), subject)
}

/// One attempt that passed its gates; say how it ended.
#[must_use = "say whether the attempt succeeded or failed"]
pub struct Attempt {
    action: Action,
    account: Option<(String, i32)>,
    network: Option<String>,
}

/// Reserves an attempt of `action` on `account` (an email or user id) from
/// `client`'s network. Checked before any hashing.
pub async fn begin(services: &Services, action: Action, account: Option<&str>, client: &ClientInfo) -> Result<Attempt, Refused> {
    match reserve(services, action, account, client).await {
        Ok(attempt) => Ok(attempt),
        Err(Gate::Refused(refused)) => Err(refused),
        Err(Gate::Error(error)) => {
            tracing::error!(%error, "attempt counter failed");
            // Fail closed: no counter, no attempt.
            Err(Refused::Network(Duration::seconds(5)))
        }
    }
}

enum Gate {
    Refused(Refused),
    Error(ServiceError),
}

impl From<ServiceError> for Gate {
    fn from(error: ServiceError) -> Self {
        Gate::Error(error)
    }
}

fn hour() -> Duration {
    Duration::hours(1)
}

async fn reserve(services: &Services, action: Action, account: Option<&str>, client: &ClientInfo) -> Result<Attempt, Gate> {
    let settings = &services.auth;
    let now = services.now();
    let cutoff = DbTime::from(now.0 - hour());
    let end = |start: DbTime| DbTime::from(start.0 + hour());
    let wait = |until: DbTime| until.0 - now.0;
    let mut tx = services.db.write().await.map_err(ServiceError::from)?;

    // The whole server: sign-ups per hour, whoever asks. Given back if a
    // later gate refuses: only sign-ups that go ahead count.
    let global = key("sign-up", "*");
    if action == Action::SignUp {
        if let Reservation::Refused(until) = repo::reserve(&mut tx, &global, now, cutoff, end, settings.signups_per_hour as i32).await? {
            tx.commit().await.map_err(ServiceError::from)?;
            return Err(Gate::Refused(Refused::Network(wait(until))));
        }
    }
    let network = match client.ip() {
        Some(ip) => {
            let limit = match action {
                Action::SignUp => settings.signups_per_network_per_hour,
                Action::ResetRequest => settings.reset_requests_per_network_per_hour,
                _ => settings.failures_per_network_per_hour,
            };
            let k = key(&format!("net:{}", action.name()), &network_of(ip));
            match repo::reserve(&mut tx, &k, now, cutoff, end, limit as i32).await? {
                Reservation::Granted(_) => Some(k),
                Reservation::Refused(until) => {
                    if action == Action::SignUp {
                        repo::release(&mut tx, &global).await?;
                    }
                    tx.commit().await.map_err(ServiceError::from)?;
                    return Err(Gate::Refused(Refused::Network(wait(until))));
                }
            }
        }
        None => None, // not from the network: the CLI, or tests calling services
    };
    let account = match account {
        Some(subject) => {
            let k = account_key(action, subject);
            let max = match action {
                // Mail to one address: a few an hour, whoever asks.
                Action::ResetRequest | Action::SignUp => settings.reset_requests_per_account_per_hour,
                _ => settings.lock_after,
            };
            match repo::reserve(&mut tx, &k, now, cutoff, end, max as i32).await? {
                Reservation::Granted(n) => Some((k, n)),
                Reservation::Refused(until) => {
                    // Not a guess at this network's expense.
                    if let Some(net) = &network {
                        repo::release(&mut tx, net).await?;
                    }
                    tx.commit().await.map_err(ServiceError::from)?;
                    return Err(Gate::Refused(Refused::Account(wait(until))));
                }
            }
        }
        None => None,
    };
    tx.commit().await.map_err(ServiceError::from)?;
    Ok(Attempt { action, account, network })
}

impl Attempt {
    /// The secret was right: the account's failures are forgotten and the
    /// network's reservation given back. Counted actions (sign-up, reset
    /// requests) keep theirs: they count requests, not failures.
    pub async fn succeeded(self, services: &Services) -> Result<(), ServiceError> {
        if matches!(self.action, Action::SignUp | Action::ResetRequest) {
            return Ok(());
        }
        let mut tx = services.db.write().await?;
        if let Some(network) = &self.network {
            repo::release(&mut tx, network).await?;
        }
        if let Some((account, _)) = &self.account {
            repo::clear(&mut tx, account).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The secret was wrong: the reservations stay counted; past
    /// `backoff_after` failures the account waits 1, 2, 4… seconds between
    /// attempts, and at `lock_after` it is locked for `lock_duration`, after
    /// which counting starts again. Returns true when this failure locked it.
    pub async fn failed(self, services: &Services) -> Result<bool, ServiceError> {
        let Some((account, n)) = &self.account else {
            return Ok(false);
        };
        let settings = &services.auth;
        let now = services.now();
        let n = *n as u32;
        let lock = if n >= settings.lock_after {
            let lock = Duration::from_std(settings.lock_duration).unwrap_or(Duration::minutes(15));
            Some((DbTime::from(now.0 + lock), true))
        } else if n >= settings.backoff_after {
            let wait = 1i64 << (n - settings.backoff_after).min(10);
            Some((DbTime::from(now.0 + Duration::seconds(wait)), false))
        } else {
            None
        };
        if let Some((until, restart)) = lock {
            let mut tx = services.db.write().await?;
            repo::lock(&mut tx, account, until, restart).await?;
            tx.commit().await?;
        }
        Ok(n == settings.lock_after)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_are_addresses_or_ipv6_slash_64() {
        assert_eq!(network_of("192.0.2.10"), "192.0.2.10");
        assert_eq!(network_of("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(network_of("2001:db8:1:2:ffff:ffff:ffff:ffff"), "2001:db8:1:2::/64", "same /64, same network");
        assert_ne!(network_of("2001:db8:1:3::1"), network_of("2001:db8:1:2::1"));
        assert_eq!(network_of("::ffff:192.0.2.10"), "192.0.2.10", "v4-mapped is the v4 address");
        assert_eq!(network_of(" Junk "), "junk");
    }

    #[test]
    fn waits_read_as_seconds_then_minutes() {
        assert!(wait_message(Duration::seconds(1)).contains("1 second "));
        assert!(wait_message(Duration::seconds(30)).contains("30 seconds"));
        assert!(wait_message(Duration::minutes(15)).contains("15 minutes"));
    }
}

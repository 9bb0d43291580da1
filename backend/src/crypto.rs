//! Password hashing and random tokens.

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Algorithm, Argon2, Params, Version,
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::sync::{
    atomic::{AtomicUsize, Ordering},
    Arc, OnceLock,
};
use tokio::sync::Semaphore;

/// Why a hash was not computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashError {
    /// The hashing queue is full: answer 429 with `Retry-After`.
    #[error("too many password checks waiting")]
    Busy,
    #[error("password hashing failed: {0}")]
    Failed(String),
}

impl From<HashError> for crate::ServiceError {
    fn from(error: HashError) -> Self {
        match error {
            HashError::Busy => crate::ServiceError::RateLimited { retry_after_secs: 2 },
            HashError::Failed(detail) => crate::ServiceError::Internal(detail),
        }
    }
}

static QUEUE_LIMIT: AtomicUsize = AtomicUsize::new(32);
static WAITING: AtomicUsize = AtomicUsize::new(0);

/// How many hashes may wait for a slot before further ones are refused
/// (`AuthSettings::hash_queue_limit`; set when the services are built).
pub fn set_hash_queue_limit(limit: usize) {
    QUEUE_LIMIT.store(limit.max(1), Ordering::Relaxed);
}

/// Counts a waiting hash for as long as it lives.
struct Waiting;

impl Waiting {
    fn enter() -> Result<Self, HashError> {
        let before = WAITING.fetch_add(1, Ordering::SeqCst);
        let waiting = Waiting; // decrements on every path from here
        if before >= QUEUE_LIMIT.load(Ordering::Relaxed) {
            return Err(HashError::Busy);
        }
        Ok(waiting)
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        WAITING.fetch_sub(1, Ordering::SeqCst);
    }
}

/// OWASP's argon2id baseline: 19 MiB of memory, 2 passes, 1 lane.
pub const ARGON2_MEMORY_KIB: u32 = 19_456;
pub const ARGON2_ITERATIONS: u32 = 2;
pub const ARGON2_PARALLELISM: u32 = 1;

fn argon2() -> Argon2<'static> {
    let params = Params::new(ARGON2_MEMORY_KIB, ARGON2_ITERATIONS, ARGON2_PARALLELISM, None)
        .expect("constant argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashing is deliberately slow and memory-hungry, so it runs on the blocking
/// pool, on all cores but one: a flood of sign-in attempts queues here (up to
/// the queue limit, then 429) while one core stays free for everyone else.
fn hash_permits() -> &'static Arc<Semaphore> {
    static PERMITS: OnceLock<Arc<Semaphore>> = OnceLock::new();
    PERMITS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Arc::new(Semaphore::new(cores.saturating_sub(1).max(1)))
    })
}

async fn off_executor<T: Send + 'static>(work: impl FnOnce() -> Result<T, String> + Send + 'static) -> Result<T, HashError> {
    let waiting = Waiting::enter()?;
    let _permit = hash_permits()
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| HashError::Failed(e.to_string()))?;
    drop(waiting);
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| HashError::Failed(e.to_string()))?
        .map_err(HashError::Failed)
}

/// Returns a PHC string: `$argon2id$v=19$m=19456,t=2,p=1$salt$hash`.
pub async fn hash_password(password: String) -> Result<String, HashError> {
    off_executor(move || {
        let salt = SaltString::generate(&mut OsRng);
        argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| e.to_string())
    })
    .await
}

/// Verifies `password` against `stored`. With `stored = None` (unknown
/// account) it verifies against a fixed dummy hash, so that a wrong email
/// and a wrong password take the same time and give the same answer.
pub async fn verify_password(password: String, stored: Option<String>) -> Result<bool, HashError> {
    off_executor(move || {
        let (hash, real) = match stored {
            Some(hash) => (hash, true),
            None => (dummy_hash().to_owned(), false),
        };
        let parsed = PasswordHash::new(&hash).map_err(|e| e.to_string())?;
        let ok = argon2().verify_password(password.as_bytes(), &parsed).is_ok();
        Ok(ok && real)
    })
    .await
}

/// True when `stored` was made with other parameters (or another
/// algorithm) than today's: sign-in then stores a fresh hash.
pub fn needs_rehash(stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return true;
    };
    let current = format!("m={ARGON2_MEMORY_KIB},t={ARGON2_ITERATIONS},p={ARGON2_PARALLELISM}");
    parsed.algorithm.as_str() != "argon2id"
        || parsed.version != Some(0x13)
        || parsed.params.to_string() != current
}

/// A hash with other (weaker) parameters, as an older release would have
/// stored: lets tests prove that sign-in upgrades it.
pub async fn hash_password_with(password: String, memory_kib: u32, iterations: u32) -> Result<String, HashError> {
    off_executor(move || {
        let params = Params::new(memory_kib, iterations, 1, None).map_err(|e| e.to_string())?;
        let salt = SaltString::generate(&mut OsRng);
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| e.to_string())
    })
    .await
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        argon2()
            .hash_password(b"no account has this password", &salt)
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

/// 256 random bits, URL-safe: session cookies and email links.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What is stored in place of a token: its SHA-256, hex. Tokens are random
/// and long, so a fast hash is enough (no dictionary to attack).
pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_use_the_production_parameters_and_verify() {
        let hash = hash_password("correct horse battery".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(verify_password("correct horse battery".into(), Some(hash.clone())).await.unwrap());
        assert!(!verify_password("wrong horse battery".into(), Some(hash.clone())).await.unwrap());
        assert!(!verify_password("no account has this password".into(), None).await.unwrap());
        assert!(!needs_rehash(&hash));
        let old = hash_password_with("correct horse battery".into(), 4096, 1).await.unwrap();
        assert!(needs_rehash(&old));
        assert!(verify_password("correct horse battery".into(), Some(old)).await.unwrap(), "old hashes still verify");
    }

    #[tokio::test]
    async fn long_unicode_passwords_are_not_truncated() {
        let long: String = "пароль-🔐-".repeat(12);
        assert!(long.chars().count() > 64);
        let hash = hash_password(long.clone()).await.unwrap();
        assert!(verify_password(long.clone(), Some(hash.clone())).await.unwrap());
        let truncated: String = long.chars().take(64).collect();
        assert!(!verify_password(truncated, Some(hash)).await.unwrap());
    }

    #[test]
    fn tokens_are_long_random_and_hashed() {
        let a = random_token();
        assert_ne!(a, random_token());
        assert_eq!(a.len(), 43);
        assert_eq!(token_hash(&a).len(), 64);
        assert_eq!(token_hash(&a), token_hash(&a));
    }
}

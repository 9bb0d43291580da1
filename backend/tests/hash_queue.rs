//! The password-hashing queue is bounded: a flood of hashes gets `Busy`
//! (429 with `Retry-After` at the HTTP edge) past the bound instead of
//! queueing without end, and hashing works again once the flood drains.
//! Its own test binary: the queue bound is process-wide.

use ambula_backend::{crypto, ServiceError};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_hashes_is_refused_past_the_queue_bound() {
    crypto::set_hash_queue_limit(3);
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..40 {
        tasks.spawn(async move { crypto::hash_password(format!("flood password number {n}")).await });
    }
    let (mut hashed, mut busy) = (0, 0);
    while let Some(result) = tasks.join_next().await {
        match result.unwrap() {
            Ok(hash) => {
                assert!(hash.starts_with("$argon2id$"));
                hashed += 1;
            }
            Err(crypto::HashError::Busy) => busy += 1,
            Err(other) => panic!("{other:?}"),
        }
    }
    assert!(busy > 0, "past the bound, refused: {hashed} hashed, {busy} busy");
    assert!(hashed >= 3, "the queue itself is served: {hashed} hashed");
    assert!(matches!(ServiceError::from(crypto::HashError::Busy), ServiceError::RateLimited { retry_after_secs } if retry_after_secs > 0));
    // Drained: the next one is hashed.
    assert!(crypto::verify_password("after the flood".into(), None).await.is_ok());
}

//! The backoff between failed sync attempts: grows, is capped, honours `Retry-After`
//! and the breaker's wait (capped too), and starts over after a success.

use rustok_sync::retry::{Backoff, RetryPolicy};
use rustok_sync::SyncError;
use std::time::Duration;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn network() -> SyncError {
    SyncError::Network("refused".into())
}

fn too_many(after: u64) -> SyncError {
    SyncError::Http {
        status: 429,
        code: "rate_limited".into(),
        message: "slow down".into(),
        retry_after: Some(Duration::from_secs(after)),
    }
}

#[test]
fn delays_grow_are_capped_honour_retry_after_and_restart_after_success() {
    let policy = RetryPolicy {
        min_delay: ms(100),
        max_delay: ms(1_000),
        factor: 2.0,
        jitter: false,
    };
    let mut b = Backoff::new(policy, None);
    // (the error of the failed attempt, the wait expected before the next one)
    let steps: [(SyncError, Duration); 7] = [
        (network(), ms(100)),
        (network(), ms(200)),
        (too_many(0), ms(400)),
        (network(), ms(800)),
        (network(), ms(1_000)),
        (too_many(3_600), ms(1_000)),
        (
            SyncError::BreakerOpen {
                retry_after: ms(900),
            },
            ms(1_000),
        ),
    ];
    for (i, (error, want)) in steps.iter().enumerate() {
        // backon computes in f32: compare whole milliseconds.
        assert_eq!(
            b.next_delay(error).as_millis(),
            want.as_millis(),
            "step {i}: {error}"
        );
    }
    b.reset();
    assert_eq!(
        b.next_delay(&network()).as_millis(),
        100,
        "a success starts over"
    );

    let mut b = Backoff::new(
        RetryPolicy {
            max_delay: Duration::from_secs(60),
            ..policy_without_jitter()
        },
        None,
    );
    assert_eq!(
        b.next_delay(&too_many(5)).as_millis(),
        5_000,
        "Retry-After wins when longer"
    );
}

fn policy_without_jitter() -> RetryPolicy {
    RetryPolicy {
        jitter: false,
        ..RetryPolicy::default()
    }
}

#[test]
fn jitter_stays_within_one_delay_and_repeats_with_a_seed() {
    let policy = RetryPolicy::default();
    let run = |seed| {
        let mut b = Backoff::new(policy.clone(), Some(seed));
        (0..6).map(|_| b.next_delay(&network())).collect::<Vec<_>>()
    };
    assert_eq!(run(3), run(3));
    let base = [500u64, 1_000, 2_000, 4_000, 8_000, 16_000];
    for (d, b) in run(3).iter().zip(base) {
        assert!(
            *d >= ms(b) && *d <= ms(2 * b),
            "{d:?} outside [{b}, {}] ms",
            2 * b
        );
    }
}

//! When to try again after a failed sync: capped exponential backoff with jitter
//! (backon's), never sooner than central's `Retry-After` or the breaker's reopening.

// Numbers here come from central or the wire: arithmetic is checked.
#![deny(clippy::arithmetic_side_effects)]

use crate::SyncError;
use backon::{BackoffBuilder, ExponentialBackoff, ExponentialBuilder};
use std::time::Duration;

/// Tuning of the backoff.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// First delay.
    pub min_delay: Duration,
    /// Longest delay.
    pub max_delay: Duration,
    /// Growth per failure.
    pub factor: f32,
    /// Adds a random share of the delay so that many tills do not retry in step.
    pub jitter: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            min_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(60),
            factor: 2.0,
            jitter: true,
        }
    }
}

/// The delays of one run of failures; [`Backoff::reset`] after a success.
#[derive(Debug)]
pub struct Backoff {
    policy: RetryPolicy,
    seed: Option<u64>,
    delays: ExponentialBackoff,
}

fn build(policy: &RetryPolicy, seed: Option<u64>) -> ExponentialBackoff {
    let mut b = ExponentialBuilder::default()
        .with_min_delay(policy.min_delay)
        .with_max_delay(policy.max_delay)
        .with_factor(policy.factor.max(1.0))
        .without_max_times();
    if policy.jitter {
        b = b.with_jitter();
        if let Some(seed) = seed {
            b = b.with_jitter_seed(seed);
        }
    }
    b.build()
}

impl Backoff {
    /// Delays following `policy`; a `seed` makes the jitter repeatable (tests).
    pub fn new(policy: RetryPolicy, seed: Option<u64>) -> Backoff {
        let delays = build(&policy, seed);
        Backoff {
            policy,
            seed,
            delays,
        }
    }

    /// The wait before the next attempt after `error`.
    pub fn next_delay(&mut self, error: &SyncError) -> Duration {
        let backoff = self.delays.next().unwrap_or(self.policy.max_delay);
        // Central's or the breaker's wait wins when longer, capped at the policy's max
        // so a bad header cannot park the till's sync for hours.
        error.retry_after().map_or(backoff, |after| {
            backoff.max(after.min(self.policy.max_delay))
        })
    }

    /// Starts over after a success.
    pub fn reset(&mut self) {
        self.delays = build(&self.policy, self.seed);
    }
}

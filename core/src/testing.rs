//! Deterministic clock and entropy for tests, benches and simulations, and a
//! made-up older event version for upcasting tests.

use crate::domain::clock::{Clock, Entropy, Timestamp};
use crate::domain::upcast::UpcastError;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// A clock that only moves when told to.
#[derive(Debug)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    /// Starts at `start`.
    pub fn new(start: Timestamp) -> Self {
        Self(AtomicI64::new(start.unix_millis()))
    }

    /// Moves forward (or back, with a negative value) by `ms` milliseconds.
    pub fn advance_ms(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }

    /// Jumps to `t`.
    pub fn set(&self, t: Timestamp) {
        self.0.store(t.unix_millis(), Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_unix_millis(self.0.load(Ordering::SeqCst))
    }
}

/// Reproducible pseudo-random bytes (SplitMix64) from a seed.
#[derive(Debug)]
pub struct SeededEntropy(AtomicU64);

impl SeededEntropy {
    /// From a seed.
    pub fn new(seed: u64) -> Self {
        Self(AtomicU64::new(seed))
    }

    /// The next 64 random bits.
    pub fn next_u64(&self) -> u64 {
        let mut z = self
            .0
            .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
            .wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl Entropy for SeededEntropy {
    fn fill(&self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}

/// The upcaster of a pretend `OrderShipped` v0 that called `tracking` by the name
/// `tracking_number` (tests register it to play a newer app or central that knows v0).
pub fn order_shipped_v0_to_v1(mut v: serde_json::Value) -> Result<serde_json::Value, UpcastError> {
    let o = v
        .as_object_mut()
        .ok_or(UpcastError::Unexpected("not an object"))?;
    let t = o
        .remove("tracking_number")
        .ok_or(UpcastError::Unexpected("no tracking_number"))?;
    o.insert("tracking".into(), t);
    Ok(v)
}

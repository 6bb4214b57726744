//! The real clock and entropy source: the only code in the core that reads them.

use crate::domain::clock::{Clock, Entropy, Timestamp};
use std::time::{SystemTime, UNIX_EPOCH};

/// Wall-clock time.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        Timestamp::from_unix_millis(ms)
    }
}

/// The operating system's random source.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsEntropy;

impl Entropy for OsEntropy {
    fn fill(&self, buf: &mut [u8]) {
        // Without OS randomness no id or salt can be trusted; this only fails on
        // platforms that have none, where the app cannot run at all.
        #[allow(clippy::expect_used)]
        getrandom::fill(buf).expect("the operating system must provide randomness");
    }
}

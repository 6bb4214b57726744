//! The real clock and entropy source: the only code in the core that reads them.

use crate::clock::{Clock, Entropy, Timestamp};
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

/// The operating system's random source. Small requests (ids take 10 bytes each, a
/// sale about 16 of them) are served from a per-thread block of OS randomness
/// fetched 256 bytes at a time, so a sale makes one system call instead of sixteen;
/// every byte is handed out once.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsEntropy;

/// Bytes of OS randomness fetched at a time.
const BLOCK: usize = 256;

struct Pool {
    bytes: [u8; BLOCK],
    /// Bytes before this are used up.
    used: usize,
}

thread_local! {
    static POOL: std::cell::RefCell<Pool> = const {
        std::cell::RefCell::new(Pool { bytes: [0; BLOCK], used: BLOCK })
    };
}

fn os_fill(buf: &mut [u8]) {
    // Without OS randomness no id or salt can be trusted; this only fails on
    // platforms that have none, where the app cannot run at all.
    #[allow(clippy::expect_used)]
    getrandom::fill(buf).expect("the operating system must provide randomness");
}

impl Entropy for OsEntropy {
    fn fill(&self, buf: &mut [u8]) {
        if buf.len() > BLOCK / 4 {
            return os_fill(buf);
        }
        POOL.with_borrow_mut(|pool| {
            if BLOCK - pool.used < buf.len() {
                os_fill(&mut pool.bytes);
                pool.used = 0;
            }
            let end = pool.used + buf.len();
            buf.copy_from_slice(&pool.bytes[pool.used..end]);
            // Wipe what was handed out, so no copy of it stays behind.
            pool.bytes[pool.used..end].fill(0);
            pool.used = end;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pooled_randomness_is_never_handed_out_twice() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..2_000 {
            let mut id = [0u8; 10];
            OsEntropy.fill(&mut id);
            assert!(seen.insert(id), "the same 10 bytes came out twice");
        }
        // Requests of every size up to a block, crossing refills.
        for n in 1..=BLOCK {
            let mut buf = vec![0u8; n];
            OsEntropy.fill(&mut buf);
            if n >= 8 {
                assert!(buf.iter().any(|&b| b != 0), "{n} bytes of zeros");
            }
        }
    }
}

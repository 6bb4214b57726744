//! Signatures already accepted, so no signed request is accepted twice.
//!
//! A signature is only valid within the allowed clock skew of its timestamp, so each
//! is remembered until then and forgotten after. Requests are checked here only
//! after their signature and the device's rate limit passed, so the set holds at
//! most what the rate limits let devices send within that window.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

/// Signatures seen, each with the Unix second after which it is void anyway.
#[derive(Default)]
pub struct Seen {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    until: HashMap<[u8; 32], i64>,
    /// When the set reaches this size, void entries are swept out.
    sweep_at: usize,
}

impl Seen {
    /// Records `signature`, void after `void_after` (Unix seconds); false when it was
    /// seen before (a replay). `now` is the current Unix second.
    pub fn first_time(&self, signature: [u8; 32], void_after: i64, now: i64) -> bool {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if inner.until.len() >= inner.sweep_at {
            inner.until.retain(|_, until| *until >= now);
            // Sweep again when the set has doubled: amortised O(1) per request.
            inner.sweep_at = inner.until.len().saturating_mul(2).max(1_024);
        }
        match inner.until.get(&signature) {
            Some(until) if *until >= now => false,
            _ => {
                inner.until.insert(signature, void_after);
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_is_accepted_once_until_it_is_void() {
        let seen = Seen::default();
        assert!(seen.first_time([1; 32], 100, 10));
        assert!(!seen.first_time([1; 32], 100, 50));
        assert!(seen.first_time([2; 32], 100, 50));
        // Past its time the signature would be refused for skew anyway; it is
        // forgotten so the set does not grow for ever.
        for i in 0..2_000u32 {
            let mut s = [0; 32];
            s[..4].copy_from_slice(&i.to_be_bytes());
            s[31] = 9;
            assert!(seen.first_time(s, 200, 150));
        }
        let kept = seen.inner.lock().unwrap().until.len();
        assert!(kept <= 2_000, "void entries swept: {kept}");
    }
}

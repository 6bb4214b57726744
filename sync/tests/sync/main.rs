//! The integration tests of `rustok-sync`, in one binary.

// Test modules share helpers with `pub`; the binary exports nothing.
#![allow(unreachable_pub)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod breaker;
mod retry;

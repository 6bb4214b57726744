//! Cross-crate scenarios: several tills, head office and the real central over
//! loopback, run together (one test binary; helpers in `world.rs`).

// Test modules share helpers with `pub`; the binary exports nothing.
#![allow(unreachable_pub)]
// Helpers unwrap like tests do: a panic there is the failure report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod convergence;
mod upgrade;
mod world;

//! The integration tests of `rustok-core`, in one binary, on real SQLite files.

// Test modules share helpers with `pub`; the binary exports nothing.
#![allow(unreachable_pub)]
// Helpers unwrap like tests do: a panic there is the failure report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod atomicity;
mod bus;
mod cases;
mod categories;
mod concurrency;
mod contained;
mod events;
mod flows;
mod helpers;
mod import;
mod index;
mod machine;
mod operations;
mod parsers;
mod permissions;
mod pricing;
mod pull;
mod shift;
mod soak;
mod storage;

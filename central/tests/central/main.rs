//! The integration tests of `rustok-central` and of the sync client against it, in
//! one binary: real SQLite files on both sides, the real server on loopback HTTP.

// Test modules share helpers with `pub`; the binary exports nothing.
#![allow(unreachable_pub)]
// Helpers unwrap like tests do: a panic there is the failure report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod agent;
mod api;
mod browser;
mod console;
mod exactly_once;
mod feed;
mod fuzz;
mod helpers;
mod hostile;
mod images;
mod office;
mod processes;
mod pull;
mod relay;
mod reports;
mod security;

//! Tests of the desktop app, in one binary: command wiring on Tauri's mock runtime,
//! the security configuration, the headless subcommands (against the real central
//! server where they sync), and end-to-end tests that drive the real window through
//! WebDriver.

// Test modules share helpers with `pub`; the binary exports nothing.
#![allow(unreachable_pub)]
// Helpers unwrap like tests do: a panic there is the failure report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bindings;
mod central;
mod cli;
mod config;
mod drop;
mod e2e;
mod ipc;
pub mod security;
mod texts;

//! `rustok-sync`: getting the device's outbox to the central server exactly once.
//!
//! In place so far: [`breaker`], the circuit breaker every request to the central
//! server goes through. The relay, retry policy, protocol and the central server are
//! the rest of the sync issue.

pub mod breaker;

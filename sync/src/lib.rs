//! `rustok-sync`: getting the device's outbox to the central server exactly once.
//!
//! - [`protocol`]: the versioned wire types, shared with the server (the
//!   `rustok-protocol` crate, re-exported).
//! - [`signing`]: HMAC-SHA256 request signatures, from the same crate.
//! - [`client`]: signed requests with timeouts; enrolment.
//! - [`relay`]: the outbox relay (batches, acks, dead letters of rejected events).
//! - [`breaker`]: the circuit breaker every push goes through.
//! - [`retry`]: backoff between failed attempts.
//! - [`credentials`]: what enrolment leaves on the device.
//! - [`pull`]: pulling the tenant's feed.
//! - [`images`]: product pictures sent and fetched beside the feed, by digest.
//! - [`agent`]: the background task that runs the relay and keeps the sync status.
//! - [`testing`]: a deterministic fault-injecting proxy for reliability tests.

pub mod agent;
pub mod breaker;
pub mod client;
pub mod credentials;
mod error;
pub mod images;
pub mod pull;
pub mod relay;
pub mod retry;
pub mod testing;
pub use rustok_protocol as protocol;
pub use rustok_protocol::signing;

pub use error::SyncError;

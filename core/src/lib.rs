//! `rustok-core`: the shop domain of RusToK Edge.
//!
//! - [`domain`] holds pure types, state machines, validation and events; it does no I/O
//!   and never reads the clock.
//! - [`store`] persists state and events in one SQLite transaction (the outbox).
//! - [`service`] exposes one permission-checked function per use case.
//! - [`system`] is the only place that reads the real clock and the OS entropy source;
//!   [`testing`] has deterministic stand-ins for tests and benches.

pub mod bus;
pub mod cache;
/// The pure domain, its own crate (`rustok-domain`) so that central decodes events
/// without linking storage, the index or the caches.
pub use rustok_domain as domain;
pub mod index;
pub mod service;
pub mod store;
pub use rustok_domain::system;
pub mod testing;

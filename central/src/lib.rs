//! `rustok-central`: the server every device pushes its events to.
//!
//! - [`store`]: the [`store::Backend`] trait, its embedded SQLite implementation and
//!   its PostgreSQL one.
//! - [`ingest`]: what central makes of each received event, and the one ingest
//!   algorithm over a backend's transaction.
//! - [`http`]: the axum routes, request signing checks, limits and error mapping.
//! - [`rate`]: token buckets per device and per client address.
//! - [`serve`]: the accept loop (connection limit, header and idle timeouts).
//! - [`openapi`]: the OpenAPI document, generated from the same route table.
//!
//! Ingest is idempotent on `(device_id, seq)`: a batch resent after a lost reply
//! changes nothing, and the reply is the highest contiguous seq held.

// Every number central handles came from a request, a file or an event: arithmetic
// is checked (an overflow is a validation error), never a panic or a wrap.
#![deny(clippy::arithmetic_side_effects)]

pub mod console;
pub mod fleet;
pub mod http;
pub mod ingest;
pub mod office;
pub mod openapi;
pub mod people;
pub mod rate;
pub mod report;
pub mod serve;
pub mod store;

use rustok_domain::clock::{Clock, Entropy};
use rustok_domain::ids::DeviceId;
use rustok_domain::upcast::Upcasters;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Failures inside central. The HTTP layer maps each to a status and a code.
#[derive(Debug, thiserror::Error)]
pub enum CentralError {
    /// The database failed (any backend: its own message).
    #[error("central's database failed: {0}")]
    Storage(String),
    /// A setting (a database URL, a pool) is not usable.
    #[error("{0}")]
    Config(String),
    /// The data folder could not be prepared.
    #[error("data folder: {0}")]
    Io(String),
    /// The database is from a newer central.
    #[error(
        "database schema {found} is newer than this server's {supported}; upgrade rustok-central"
    )]
    SchemaTooNew {
        /// Found.
        found: u32,
        /// Supported.
        supported: u32,
    },
    /// A stored value could not be read back.
    #[error("stored data unreadable: {0}")]
    Corrupt(String),
    /// An enrolment code was refused.
    #[error("{0}")]
    BadCode(&'static str),
    /// Not allowed for this caller.
    #[error("{0}")]
    Forbidden(&'static str),
    /// Not authenticated.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// A request asked for something central cannot do.
    #[error("{0}")]
    Invalid(&'static str),
    /// Another till of the tenant has the till code a device enrols with (its
    /// receipts would carry the same numbers).
    #[error("another till of this chain is {0}; choose another till code")]
    TillCodeTaken(String),
}

/// Request limits.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Largest request body read (413 above, before parsing).
    pub max_body_bytes: usize,
    /// Most events in one push (422 above).
    pub max_batch_events: usize,
    /// Signed requests per second a device may make on average.
    pub device_rate_per_sec: f64,
    /// Burst above the average.
    pub device_burst: f64,
    /// Requests per second one client address may make to the public routes
    /// (enrolment, health, metrics, this document) on average; more are answered
    /// 429 after a pause, so a flood costs central little.
    pub public_rate_per_sec: f64,
    /// Burst above that average.
    pub public_burst: f64,
    /// How long a new enrolment code stays valid.
    pub code_valid_for: Duration,
    /// How long a client may take to send a request's headers, and how long an idle
    /// kept-alive connection stays open.
    pub header_timeout: Duration,
    /// How long a client may take to send a request's body.
    pub body_timeout: Duration,
    /// Most connections served at once; more are answered 503 and closed.
    pub max_connections: usize,
    /// Most bytes all request bodies being read may take together; a body that
    /// would pass it is answered 503 (a body of unknown length counts as the limit).
    pub max_bodies_in_flight_bytes: usize,
    /// The longest central holds a pull open waiting for the feed to move (a pull
    /// may ask for up to 30 s; a proxy in front of central that cuts idle requests
    /// sooner needs less).
    pub max_pull_wait: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: rustok_protocol::MAX_BODY_BYTES,
            max_batch_events: rustok_protocol::MAX_BATCH_EVENTS,
            device_rate_per_sec: 20.0,
            device_burst: 100.0,
            public_rate_per_sec: 10.0,
            public_burst: 20.0,
            code_valid_for: Duration::from_secs(24 * 3600),
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            max_connections: 1_024,
            max_bodies_in_flight_bytes: 64 * 1024 * 1024,
            max_pull_wait: Duration::from_secs(rustok_protocol::MAX_FEED_WAIT_SECS),
        }
    }
}

/// Counters for `/metrics`.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Push requests handled.
    pub push_requests: AtomicU64,
    /// Events newly stored.
    pub events_stored: AtomicU64,
    /// Events received again (already held).
    pub events_resent: AtomicU64,
    /// Events quarantined.
    pub events_quarantined: AtomicU64,
    /// Requests refused for authentication.
    pub auth_failures: AtomicU64,
    /// Requests refused for a device's tenant or identity.
    pub forbidden: AtomicU64,
    /// Requests answered 429.
    pub rate_limited: AtomicU64,
    /// Requests answered 413 or 422.
    pub too_large: AtomicU64,
    /// Devices enrolled.
    pub enrolments: AtomicU64,
    /// Connections refused at the connection limit.
    pub connections_refused: AtomicU64,
    /// Signed requests refused as replays.
    pub replays: AtomicU64,
    /// Handler panics answered 500.
    pub panics: AtomicU64,
}

impl Metrics {
    /// Adds one.
    pub fn inc(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// Everything a request handler needs.
pub struct Central {
    /// Storage.
    pub backend: Arc<dyn store::Backend>,
    /// Admin bearer token.
    pub admin_token: String,
    /// Limits.
    pub limits: Limits,
    /// Wall clock (request timestamps, codes, health skew).
    pub clock: Arc<dyn Clock>,
    /// Randomness (codes, secrets).
    pub entropy: Arc<dyn Entropy>,
    /// Event decoding.
    pub upcasters: Upcasters,
    /// Counters.
    pub metrics: Metrics,
    /// Per-device rate limits.
    pub rate: rate::RateLimiter<DeviceId>,
    /// Per-address rate limits of the public routes.
    pub public_rate: rate::RateLimiter<std::net::IpAddr>,
    /// What all request bodies being read may take together, in 64 KiB units.
    pub body_budget: Arc<tokio::sync::Semaphore>,
    /// Moves whenever this process adds to a feed: pulls waiting for the feed wake at
    /// once (pulls of other processes on the same database look again every second).
    pub feed_moved: tokio::sync::watch::Sender<u64>,
    /// Head office's writes in this process, one at a time (they take the office
    /// device's next seqs; another process's are retried on a seq conflict).
    pub office: tokio::sync::Mutex<()>,
    /// Password checks running at once (each takes ~19 MiB and tens of
    /// milliseconds of a core): a sign-in flood waits here, not in memory.
    pub hashing: tokio::sync::Semaphore,
    /// The sales reports' projection, one at a time in this process.
    pub reports: tokio::sync::Mutex<()>,
}

impl Central {
    /// Central over `backend` with the real clock and randomness.
    pub fn new(backend: Arc<dyn store::Backend>, admin_token: String, limits: Limits) -> Central {
        Self::with_parts(
            backend,
            admin_token,
            limits,
            Arc::new(rustok_domain::system::SystemClock),
            Arc::new(rustok_domain::system::OsEntropy),
        )
    }

    /// Central with an injected clock and entropy.
    pub fn with_parts(
        backend: Arc<dyn store::Backend>,
        admin_token: String,
        limits: Limits,
        clock: Arc<dyn Clock>,
        entropy: Arc<dyn Entropy>,
    ) -> Central {
        let rate = rate::RateLimiter::new(limits.device_rate_per_sec, limits.device_burst);
        let public_rate = rate::RateLimiter::new(limits.public_rate_per_sec, limits.public_burst);
        let body_budget = Arc::new(tokio::sync::Semaphore::new(
            limits.max_bodies_in_flight_bytes.div_ceil(64 * 1024).max(1),
        ));
        Central {
            backend,
            admin_token,
            limits,
            clock,
            entropy,
            upcasters: Upcasters::standard(),
            metrics: Metrics::default(),
            rate,
            public_rate,
            body_budget,
            feed_moved: tokio::sync::watch::Sender::new(0),
            office: tokio::sync::Mutex::new(()),
            hashing: tokio::sync::Semaphore::new(2),
            reports: tokio::sync::Mutex::new(()),
        }
    }
}

pub use serve::serve;

//! A circuit breaker (DESIGN §7): closed → open → half-open → closed.
//!
//! - **Closed**: calls pass; their outcomes fill a sliding window of the last
//!   `window` calls. Once the window holds at least `minimum_calls` outcomes and the
//!   share of failures reaches `failure_rate_percent`, the breaker opens. A call that
//!   took `slow_call` or longer counts as a failure even if it succeeded.
//! - **Open**: every call is rejected at once, with the time left, and touches
//!   nothing; after `open_for` the next call finds the breaker half-open.
//! - **Half-open**: exactly `half_open_calls` trial calls pass, the rest are
//!   rejected. One failure (or slow call) re-opens; so does not finishing the trials
//!   within `half_open_timeout`. When every trial succeeded, the breaker closes with
//!   an empty window.
//!
//! Time comes from an injected [`Monotonic`] clock. Outcomes of calls admitted in an
//! earlier state are ignored. State changes are logged and counted.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// A monotonic clock: time since some fixed start.
pub trait Monotonic: Send + Sync {
    /// Now.
    fn now(&self) -> Duration;
}

/// The real monotonic clock.
#[derive(Debug, Clone, Copy)]
pub struct SystemMonotonic(std::time::Instant);

impl Default for SystemMonotonic {
    fn default() -> Self {
        Self(std::time::Instant::now())
    }
}

impl Monotonic for SystemMonotonic {
    fn now(&self) -> Duration {
        self.0.elapsed()
    }
}

/// Tuning of a breaker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreakerConfig {
    /// Outcomes remembered (the last calls).
    pub window: usize,
    /// Outcomes needed before the failure rate counts.
    pub minimum_calls: usize,
    /// Failure share (percent of the window) that opens the breaker.
    pub failure_rate_percent: u32,
    /// Calls this slow or slower count as failures.
    pub slow_call: Duration,
    /// How long the breaker stays open before trying again.
    pub open_for: Duration,
    /// Trial calls allowed when half-open.
    pub half_open_calls: usize,
    /// The trials must finish within this, or the breaker re-opens.
    pub half_open_timeout: Duration,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self {
            window: 20,
            minimum_calls: 5,
            failure_rate_percent: 50,
            slow_call: Duration::from_secs(10),
            open_for: Duration::from_secs(30),
            half_open_calls: 2,
            half_open_timeout: Duration::from_secs(60),
        }
    }
}

/// The state as seen from outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Calls pass.
    Closed,
    /// Calls are rejected.
    Open,
    /// A few trial calls pass.
    HalfOpen,
}

impl BreakerState {
    /// Stable name (status screens, device health).
    pub const fn as_str(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::Open => "open",
            BreakerState::HalfOpen => "half_open",
        }
    }
}

/// A call refused without being made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the central server is not being called for {retry_after:?} (circuit open)")]
pub struct Rejected {
    /// When a call may pass again (zero: when a half-open trial finishes).
    pub retry_after: Duration,
}

#[derive(Debug)]
enum Inner {
    Closed {
        outcomes: VecDeque<bool>,
    },
    Open {
        until: Duration,
    },
    HalfOpen {
        started: Duration,
        admitted: usize,
        succeeded: usize,
    },
}

#[derive(Debug)]
struct Shared {
    inner: Inner,
    /// Bumped on every state change; a permit from an older generation is ignored.
    generation: u64,
    transitions: u64,
}

/// The breaker. Cheap to share (`Arc` inside).
#[derive(Clone)]
pub struct Breaker {
    config: Arc<BreakerConfig>,
    clock: Arc<dyn Monotonic>,
    shared: Arc<Mutex<Shared>>,
}

impl std::fmt::Debug for Breaker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Breaker")
            .field("state", &self.state())
            .finish_non_exhaustive()
    }
}

/// Leave to make one call; report how it went with [`Permit::success`] or
/// [`Permit::failure`]. Dropped unreported, it counts as a failure.
#[derive(Debug)]
#[must_use = "report the outcome of the call"]
pub struct Permit {
    breaker: Breaker,
    generation: u64,
    started: Duration,
    done: bool,
}

impl Permit {
    /// The call succeeded (slow successes still count as failures).
    pub fn success(mut self) {
        self.done = true;
        let slow =
            self.breaker.clock.now().saturating_sub(self.started) >= self.breaker.config.slow_call;
        self.breaker.record(self.generation, !slow);
    }

    /// The call failed.
    pub fn failure(mut self) {
        self.done = true;
        self.breaker.record(self.generation, false);
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        if !self.done {
            self.breaker.record(self.generation, false);
        }
    }
}

impl Breaker {
    /// A closed breaker.
    pub fn new(config: BreakerConfig, clock: Arc<dyn Monotonic>) -> Self {
        Self {
            config: Arc::new(config),
            clock,
            shared: Arc::new(Mutex::new(Shared {
                inner: Inner::Closed {
                    outcomes: VecDeque::new(),
                },
                generation: 0,
                transitions: 0,
            })),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn set(&self, s: &mut Shared, inner: Inner) {
        let from = state_of(&s.inner);
        s.inner = inner;
        s.generation += 1;
        s.transitions += 1;
        tracing::info!(
            from = from.as_str(),
            to = state_of(&s.inner).as_str(),
            "circuit breaker"
        );
    }

    /// The current state (an open breaker whose time is up reads as half-open; a
    /// half-open one whose trials ran out of time reads as open).
    pub fn state(&self) -> BreakerState {
        let now = self.clock.now();
        match self.lock().inner {
            Inner::Open { until } if now >= until => BreakerState::HalfOpen,
            Inner::HalfOpen { started, .. }
                if now.saturating_sub(started) >= self.config.half_open_timeout =>
            {
                BreakerState::Open
            }
            ref i => state_of(i),
        }
    }

    /// State changes so far.
    pub fn transitions(&self) -> u64 {
        self.lock().transitions
    }

    /// Asks to make a call.
    pub fn try_acquire(&self) -> Result<Permit, Rejected> {
        let now = self.clock.now();
        let mut s = self.lock();
        if let Inner::Open { until } = s.inner {
            if now < until {
                return Err(Rejected {
                    retry_after: until - now,
                });
            }
            self.set(
                &mut s,
                Inner::HalfOpen {
                    started: now,
                    admitted: 0,
                    succeeded: 0,
                },
            );
        }
        if let Inner::HalfOpen { started, .. } = s.inner {
            if now.saturating_sub(started) >= self.config.half_open_timeout {
                self.set(
                    &mut s,
                    Inner::Open {
                        until: now + self.config.open_for,
                    },
                );
                return Err(Rejected {
                    retry_after: self.config.open_for,
                });
            }
        }
        if let Inner::HalfOpen { admitted, .. } = &mut s.inner {
            if *admitted >= self.config.half_open_calls {
                return Err(Rejected {
                    retry_after: Duration::ZERO,
                });
            }
            *admitted += 1;
        }
        Ok(Permit {
            breaker: self.clone(),
            generation: s.generation,
            started: now,
            done: false,
        })
    }

    fn record(&self, generation: u64, ok: bool) {
        let now = self.clock.now();
        let mut s = self.lock();
        if s.generation != generation {
            return;
        }
        let c = &*self.config;
        match &mut s.inner {
            Inner::Closed { outcomes } => {
                outcomes.push_back(ok);
                while outcomes.len() > c.window.max(1) {
                    outcomes.pop_front();
                }
                let failed = outcomes.iter().filter(|o| !**o).count();
                let trip = outcomes.len() >= c.minimum_calls.max(1)
                    && failed * 100 >= outcomes.len() * c.failure_rate_percent as usize;
                if trip {
                    self.set(
                        &mut s,
                        Inner::Open {
                            until: now + c.open_for,
                        },
                    );
                }
            }
            Inner::HalfOpen {
                started, succeeded, ..
            } => {
                let late = now.saturating_sub(*started) >= c.half_open_timeout;
                if !ok || late {
                    self.set(
                        &mut s,
                        Inner::Open {
                            until: now + c.open_for,
                        },
                    );
                } else {
                    *succeeded += 1;
                    if *succeeded >= c.half_open_calls {
                        self.set(
                            &mut s,
                            Inner::Closed {
                                outcomes: VecDeque::new(),
                            },
                        );
                    }
                }
            }
            Inner::Open { .. } => {}
        }
    }
}

fn state_of(i: &Inner) -> BreakerState {
    match i {
        Inner::Closed { .. } => BreakerState::Closed,
        Inner::Open { .. } => BreakerState::Open,
        Inner::HalfOpen { .. } => BreakerState::HalfOpen,
    }
}

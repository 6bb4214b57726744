//! The event bus: after commit, events go to a bounded in-process queue and from there
//! to the read-side handlers (index, cache, UI notifier, sync trigger), in `seq` order.
//!
//! - A full queue never blocks or fails a command: the event is already durable in
//!   SQLite, and the worker catches up from there (by each handler's checkpoint).
//! - A handler that fails is retried with capped exponential backoff; after the last
//!   attempt the event becomes a dead letter (handler, seq, error, attempts) and the
//!   handler moves on. Dead letters can be listed and replayed.
//! - Checkpoints are saved every few hundred events and when idle, so a restart
//!   resumes where the handlers were; handlers must tolerate seeing the few events
//!   after the last saved checkpoint again (they are idempotent by `seq`).

use crate::domain::clock::Clock;
use crate::domain::event::Envelope;
use crate::store::{CommitListener, DeadLetter, Store, StoreError};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

/// Why a handler could not apply an event.
pub type HandlerError = Box<dyn std::error::Error + Send + Sync>;

/// A consumer of committed events. Must be idempotent by `seq`: after a restart it may
/// see events again that it handled after the last saved checkpoint.
pub trait EventHandler: Send + Sync {
    /// Stable name (checkpoints and dead letters are keyed by it).
    fn name(&self) -> &'static str;
    /// Applies one event.
    fn handle(&self, event: &Envelope) -> Result<(), HandlerError>;
}

/// How the worker waits between attempts; tests inject one that does not sleep.
pub trait Sleeper: Send + Sync {
    /// Waits for `d`.
    fn sleep(&self, d: Duration);
}

/// Sleeps the worker thread.
#[derive(Debug, Clone, Copy, Default)]
pub struct ThreadSleeper;

impl Sleeper for ThreadSleeper {
    fn sleep(&self, d: Duration) {
        std::thread::sleep(d);
    }
}

/// Tuning of the bus.
#[derive(Debug, Clone)]
pub struct BusConfig {
    /// Queue capacity (events).
    pub capacity: usize,
    /// Attempts per event and handler before a dead letter.
    pub max_attempts: u32,
    /// First backoff; doubles per attempt.
    pub backoff_base: Duration,
    /// Largest backoff.
    pub backoff_cap: Duration,
    /// Save checkpoints after this many events.
    pub checkpoint_every: u64,
    /// How long the worker waits for events before catching up from SQLite.
    pub idle_poll: Duration,
}

impl Default for BusConfig {
    fn default() -> Self {
        Self {
            capacity: 10_000,
            max_attempts: 5,
            backoff_base: Duration::from_millis(50),
            backoff_cap: Duration::from_secs(5),
            checkpoint_every: 256,
            idle_poll: Duration::from_millis(500),
        }
    }
}

impl BusConfig {
    /// The wait after failed attempt `attempt` (1-based): base · 2^(attempt−1), capped.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32
            .checked_shl(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.backoff_base
            .saturating_mul(factor)
            .min(self.backoff_cap)
    }
}

/// Counters of the bus (for the status screen and metrics).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BusStats {
    /// Events waiting in the queue.
    pub queued: usize,
    /// Events that did not fit in the queue (picked up from SQLite instead).
    pub overflowed: u64,
    /// Times the queue crossed 70 % of its capacity.
    pub high_water: u64,
    /// Dead letters recorded since start.
    pub dead_letters: u64,
}

/// What a replay did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReplayReport {
    /// Dead letters handled successfully and removed.
    pub replayed: u64,
    /// Dead letters that failed again (kept, attempts increased).
    pub still_failing: u64,
}

/// What the bus can fail with.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    /// No handler of that name is attached.
    #[error("no handler named {0}")]
    UnknownHandler(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What travels through the queue.
enum Msg {
    /// A committed event.
    Event(Envelope),
    /// Wake up and stop.
    Stop,
}

struct Shared {
    store: Arc<Store>,
    handlers: Vec<Arc<dyn EventHandler>>,
    config: BusConfig,
    sleeper: Arc<dyn Sleeper>,
    clock: Arc<dyn Clock>,
    depth: AtomicUsize,
    overflowed: AtomicU64,
    high_water: AtomicU64,
    above_mark: AtomicBool,
    dead: AtomicU64,
    stop: AtomicBool,
}

/// The running bus. Dropping it stops the worker after saving checkpoints.
pub struct Bus {
    shared: Arc<Shared>,
    tx: SyncSender<Msg>,
    worker: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for Bus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bus")
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

struct Listener {
    shared: Arc<Shared>,
    tx: SyncSender<Msg>,
}

impl CommitListener for Listener {
    fn committed(&self, events: &[Envelope]) {
        let s = &self.shared;
        for e in events {
            // Counted before sending, so the worker's decrement can never come first.
            let depth = s.depth.fetch_add(1, Ordering::Relaxed) + 1;
            match self.tx.try_send(Msg::Event(e.clone())) {
                Ok(()) => {
                    if depth * 10 >= s.config.capacity * 7
                        && !s.above_mark.swap(true, Ordering::Relaxed)
                    {
                        s.high_water.fetch_add(1, Ordering::Relaxed);
                        tracing::warn!(
                            depth,
                            capacity = s.config.capacity,
                            "event queue above 70 %"
                        );
                    }
                }
                // The event is durable; the worker will read it from SQLite.
                Err(TrySendError::Full(_)) => {
                    s.depth.fetch_sub(1, Ordering::Relaxed);
                    s.overflowed.fetch_add(1, Ordering::Relaxed);
                }
                Err(TrySendError::Disconnected(_)) => {
                    s.depth.fetch_sub(1, Ordering::Relaxed);
                }
            }
        }
    }
}

impl Bus {
    /// Attaches `handlers` to `store` and starts the worker. Events committed before
    /// (or while no bus ran) are caught up from SQLite first.
    pub fn start(
        store: Arc<Store>,
        handlers: Vec<Arc<dyn EventHandler>>,
        config: BusConfig,
        sleeper: Arc<dyn Sleeper>,
        clock: Arc<dyn Clock>,
    ) -> Result<Bus, BusError> {
        let (tx, rx) = sync_channel(config.capacity);
        let shared = Arc::new(Shared {
            store: store.clone(),
            handlers,
            config,
            sleeper,
            clock,
            depth: AtomicUsize::new(0),
            overflowed: AtomicU64::new(0),
            high_water: AtomicU64::new(0),
            above_mark: AtomicBool::new(false),
            dead: AtomicU64::new(0),
            stop: AtomicBool::new(false),
        });
        let mut done = Vec::with_capacity(shared.handlers.len());
        for h in &shared.handlers {
            done.push(store.checkpoint(h.name())?);
        }
        store.subscribe(Arc::new(Listener {
            shared: shared.clone(),
            tx: tx.clone(),
        }));
        let worker_shared = shared.clone();
        let worker = std::thread::Builder::new()
            .name("rustok-bus".into())
            .spawn(move || {
                Worker {
                    s: worker_shared,
                    done,
                    unsaved: 0,
                }
                .run(rx)
            })
            .map_err(|e| BusError::Store(StoreError::Io(e)))?;
        Ok(Bus {
            shared,
            tx,
            worker: Mutex::new(Some(worker)),
        })
    }

    /// Current counters.
    pub fn stats(&self) -> BusStats {
        let s = &self.shared;
        BusStats {
            queued: s.depth.load(Ordering::Relaxed),
            overflowed: s.overflowed.load(Ordering::Relaxed),
            high_water: s.high_water.load(Ordering::Relaxed),
            dead_letters: s.dead.load(Ordering::Relaxed),
        }
    }

    /// Dead letters of every attached handler.
    pub fn dead_letters(&self) -> Result<Vec<DeadLetter>, BusError> {
        Ok(self.shared.store.dead_letters(None)?)
    }

    /// Retries the dead letters of `handler`; removes those that now succeed.
    pub fn replay(&self, handler: &str) -> Result<ReplayReport, BusError> {
        let h = self
            .shared
            .handlers
            .iter()
            .find(|h| h.name() == handler)
            .ok_or_else(|| BusError::UnknownHandler(handler.to_owned()))?;
        let store = &self.shared.store;
        let mut report = ReplayReport::default();
        for d in store.dead_letters(Some(handler))? {
            let Some(event) = store.event(d.seq)? else {
                continue;
            };
            match h.handle(&event) {
                Ok(()) => {
                    store.delete_dead_letter(handler, d.seq)?;
                    report.replayed += 1;
                }
                Err(e) => {
                    store.record_dead_letter(&DeadLetter {
                        error: e.to_string(),
                        attempts: 1,
                        recorded_at: self.shared.clock.now(),
                        ..d
                    })?;
                    report.still_failing += 1;
                }
            }
        }
        Ok(report)
    }

    /// Stops the worker after it saved the checkpoints.
    pub fn shutdown(&self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wakes a waiting worker; a full queue wakes it anyway, and it then sees the flag.
        let _ = self.tx.try_send(Msg::Stop);
        let handle = self
            .worker
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(h) = handle {
            if h.join().is_err() {
                tracing::error!("the bus worker panicked");
            }
        }
    }
}

impl Drop for Bus {
    fn drop(&mut self) {
        self.shutdown();
    }
}

struct Worker {
    s: Arc<Shared>,
    /// Per handler: every event up to here is handled or dead-lettered.
    done: Vec<u64>,
    unsaved: u64,
}

impl Worker {
    fn run(mut self, rx: Receiver<Msg>) {
        self.catch_up(u64::MAX);
        loop {
            if self.s.stop.load(Ordering::SeqCst) {
                break;
            }
            match rx.recv_timeout(self.s.config.idle_poll) {
                Ok(Msg::Stop) => break,
                Ok(Msg::Event(e)) => {
                    let depth = self
                        .s
                        .depth
                        .fetch_sub(1, Ordering::Relaxed)
                        .saturating_sub(1);
                    if depth * 2 < self.s.config.capacity {
                        self.s.above_mark.store(false, Ordering::Relaxed);
                    }
                    self.apply(&e);
                    if self.unsaved >= self.s.config.checkpoint_every {
                        self.save();
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    // Idle: pick up anything that did not fit in the queue.
                    self.catch_up(u64::MAX);
                    self.save();
                }
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        self.save();
    }

    /// Delivers `e` to every handler, first catching up from SQLite on what the queue
    /// missed before it.
    fn apply(&mut self, e: &Envelope) {
        for i in 0..self.s.handlers.len() {
            if e.seq <= self.done[i] {
                continue;
            }
            if e.seq > self.done[i] + 1 {
                self.catch_up_one(i, e.seq - 1);
            }
            // Only in order: if catching up stopped short, this event comes later
            // through the catch-up instead.
            if self.done[i] + 1 == e.seq {
                self.deliver(i, e);
            }
        }
        self.unsaved += 1;
    }

    fn catch_up(&mut self, until: u64) {
        for i in 0..self.s.handlers.len() {
            self.catch_up_one(i, until);
        }
    }

    fn catch_up_one(&mut self, i: usize, until: u64) {
        while self.done[i] < until && !self.s.stop.load(Ordering::SeqCst) {
            let batch = match self.s.store.events_after(self.done[i], 500) {
                Ok(b) => b,
                Err(e) => {
                    tracing::error!(error = %e, "cannot read events to catch up");
                    return;
                }
            };
            if batch.is_empty() {
                return;
            }
            for e in batch.iter().filter(|e| e.seq <= until) {
                self.deliver(i, e);
                self.unsaved += 1;
            }
            if batch.last().is_some_and(|e| e.seq >= until) {
                return;
            }
        }
    }

    fn deliver(&mut self, i: usize, e: &Envelope) {
        let h = &self.s.handlers[i];
        let max = self.s.config.max_attempts.max(1);
        let mut last_error = String::new();
        for attempt in 1..=max {
            match h.handle(e) {
                Ok(()) => {
                    self.done[i] = e.seq;
                    return;
                }
                Err(err) => {
                    last_error = err.to_string();
                    if attempt < max {
                        self.s.sleeper.sleep(self.s.config.backoff(attempt));
                    }
                }
            }
        }
        tracing::warn!(handler = h.name(), seq = e.seq, error = %last_error, "dead letter");
        let d = DeadLetter {
            handler: h.name().to_owned(),
            seq: e.seq,
            error: last_error,
            attempts: max,
            recorded_at: self.s.clock.now(),
        };
        match self.s.store.record_dead_letter(&d) {
            Ok(()) => {
                self.s.dead.fetch_add(1, Ordering::Relaxed);
                self.done[i] = e.seq;
            }
            // Without its dead letter the event must not be skipped: stay before it
            // and try again on the next catch-up.
            Err(err) => tracing::error!(error = %err, "cannot record a dead letter"),
        }
    }

    fn save(&mut self) {
        if self.unsaved == 0 {
            return;
        }
        for (h, seq) in self.s.handlers.iter().zip(&self.done) {
            if let Err(e) = self.s.store.save_checkpoint(h.name(), *seq) {
                tracing::error!(error = %e, handler = h.name(), "cannot save a checkpoint");
                return;
            }
        }
        self.unsaved = 0;
    }
}

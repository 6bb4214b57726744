//! The till's side of the index worker ([`super::worker`]): it starts the worker
//! process, asks it questions with a deadline each, and when the worker misses a
//! deadline, exits or stays silent while opening, kills it and starts a fresh one
//! (which rebuilds from SQLite). Meanwhile every question is refused at once with
//! [`IndexError::Unavailable`], so the shop answers from SQLite: the index can
//! never stop the till, and the till never waits for it longer than the deadline.
//!
//! Threads: a supervisor that starts, watches and restarts workers; per worker a
//! writer (requests to its stdin, so a caller never blocks on a full pipe), a
//! reader (replies and notes from its stdout) and a logger (its stderr, into this
//! process's log).

use super::wire::{self, Digest, FromWorker, Note, Reply, Request, ToWorker};
use super::{IndexError, IndexStats, OpenReport, ProductSearch, RebuildProgress, SearchIndex};
use crate::bus::{EventHandler, HandlerError};
use crate::domain::event::Envelope;
use crate::domain::ids::{ContentId, OrderId, ProductId};
use crate::domain::locale::Locale;
use crate::store::OrderQuery;
use std::collections::HashMap;
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender, SyncSender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The program that hosts the worker and the arguments that make it one (the
/// worker's own `--db`/`--dir` follow).
#[derive(Debug, Clone)]
pub struct WorkerCommand {
    /// The executable.
    pub program: PathBuf,
    /// Its first arguments, e.g. `["index-worker"]`.
    pub args: Vec<OsString>,
}

/// Deadlines and limits of the index worker.
#[derive(Debug, Clone)]
pub struct IndexConfig {
    /// Longest a question may go unanswered; then the worker is taken for stuck.
    pub deadline: Duration,
    /// Longest an opening worker may stay silent (no progress, not ready).
    pub open_silence: Duration,
    /// Wait before restarting after a failure; doubles with each failure in a row.
    pub backoff: Duration,
    /// Longest wait between restarts.
    pub backoff_max: Duration,
    /// Events applied per catch-up question, so none takes long.
    pub catch_up_chunk: u32,
}

impl Default for IndexConfig {
    fn default() -> Self {
        Self {
            deadline: Duration::from_secs(1),
            open_silence: Duration::from_secs(30),
            backoff: Duration::from_millis(200),
            backoff_max: Duration::from_secs(60),
            catch_up_chunk: 64,
        }
    }
}

/// Where the index is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexPhase {
    /// A worker is opening the index (rebuilding it, with progress, if it must).
    Opening {
        /// The rebuild's progress, if it is rebuilding.
        progress: Option<RebuildProgress>,
    },
    /// Answering questions.
    Ready,
    /// No worker answers (the last one failed, stalled or exited); another starts
    /// after a short wait.
    Down {
        /// What happened, for the log and the status screen.
        reason: String,
    },
    /// Shut down.
    Stopped,
}

/// The index as the till sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexStatus {
    /// Where it is.
    pub phase: IndexPhase,
    /// Workers started after the first.
    pub restarts: u64,
    /// Questions that missed their deadline (each cost a worker).
    pub stalls: u64,
    /// What the last worker that became ready did while opening.
    pub last_open: Option<OpenReport>,
}

/// The index in its worker process.
pub struct RemoteIndex {
    shared: Arc<Shared>,
    supervisor: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for RemoteIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteIndex")
            .field("dir", &self.shared.dir)
            .finish_non_exhaustive()
    }
}

struct Shared {
    command: WorkerCommand,
    db: PathBuf,
    dir: PathBuf,
    config: IndexConfig,
    state: Mutex<State>,
    changed: Condvar,
    next_id: AtomicU64,
}

struct State {
    phase: IndexPhase,
    worker: Option<Arc<Worker>>,
    restarts: u64,
    stalls: u64,
    last_open: Option<OpenReport>,
    /// When the opening worker last said something.
    heard: Instant,
    stopping: bool,
}

struct Worker {
    generation: u64,
    child: Mutex<Option<Child>>,
    to_child: Mutex<Option<Sender<Vec<u8>>>>,
    pending: Mutex<HashMap<u64, SyncSender<Reply>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl RemoteIndex {
    /// Starts the worker over the database `db` and the index folder `dir` (in the
    /// background: questions are refused until it is ready).
    pub fn start(
        command: WorkerCommand,
        db: &Path,
        dir: &Path,
        config: IndexConfig,
    ) -> Result<Arc<RemoteIndex>, IndexError> {
        let shared = Arc::new(Shared {
            command,
            db: db.to_owned(),
            dir: dir.to_owned(),
            config,
            state: Mutex::new(State {
                phase: IndexPhase::Opening { progress: None },
                worker: None,
                restarts: 0,
                stalls: 0,
                last_open: None,
                heard: Instant::now(),
                stopping: false,
            }),
            changed: Condvar::new(),
            next_id: AtomicU64::new(1),
        });
        let s = Arc::clone(&shared);
        let supervisor = std::thread::Builder::new()
            .name("index-supervisor".into())
            .spawn(move || supervise(&s))?;
        Ok(Arc::new(RemoteIndex {
            shared,
            supervisor: Mutex::new(Some(supervisor)),
        }))
    }

    /// Where the index is, with counters.
    pub fn status(&self) -> IndexStatus {
        let st = lock(&self.shared.state);
        IndexStatus {
            phase: st.phase.clone(),
            restarts: st.restarts,
            stalls: st.stalls,
            last_open: st.last_open.clone(),
        }
    }

    /// The process id of the running worker, if any (for operations and tests).
    pub fn worker_pid(&self) -> Option<u32> {
        let worker = lock(&self.shared.state).worker.clone()?;
        let child = lock(&worker.child);
        child.as_ref().map(Child::id)
    }

    /// Waits until the index is ready, at most `timeout`; true when it is.
    pub fn wait_ready(&self, timeout: Duration) -> bool {
        let st = lock(&self.shared.state);
        let (st, _) = self
            .shared
            .changed
            .wait_timeout_while(st, timeout, |st| {
                st.phase != IndexPhase::Ready && !st.stopping
            })
            .unwrap_or_else(PoisonError::into_inner);
        st.phase == IndexPhase::Ready
    }

    /// Applies events from SQLite up to `until` (all of them for `u64::MAX`), in
    /// chunks, each with its deadline; returns the checkpoint reached.
    pub fn catch_up_to(&self, until: u64) -> Result<u64, IndexError> {
        self.shared.catch_up_to(until)
    }

    /// Applies at least every event up to `seq`, and in the same questions whatever
    /// else SQLite holds by then (up to a chunk each): a till selling flat out is
    /// caught up in a few questions, not one question per event.
    pub fn catch_up_past(&self, seq: u64) -> Result<u64, IndexError> {
        let mut last = None;
        loop {
            let request = Request::CatchUp {
                until: u64::MAX,
                max: self.shared.config.catch_up_chunk,
            };
            let at = match self.shared.ask(request, "catch-up")? {
                Reply::At(at) => at,
                other => return Err(unexpected(&other)),
            };
            if at >= seq || last == Some(at) {
                return Ok(at);
            }
            last = Some(at);
        }
    }

    /// Document counts and the checkpoint.
    pub fn stats(&self) -> Result<IndexStats, IndexError> {
        match self.shared.ask(Request::Stats, "stats")? {
            Reply::Stats(s) => Ok(s),
            other => Err(unexpected(&other)),
        }
    }

    /// What the index holds, summed up (see [`Digest`]).
    pub fn digest(&self) -> Result<Digest, IndexError> {
        match self.shared.ask(Request::Digest, "digest")? {
            Reply::Digest(d) => Ok(d),
            other => Err(unexpected(&other)),
        }
    }

    /// Closes the worker cleanly (or kills it when it does not close in time) and
    /// stops restarting it. Returns within a few deadlines.
    pub fn shut_down(&self) {
        {
            let mut st = lock(&self.shared.state);
            st.stopping = true;
        }
        self.shared.changed.notify_all();
        if let Some(h) = lock(&self.supervisor).take() {
            let _ = h.join();
        }
    }
}

impl Drop for RemoteIndex {
    fn drop(&mut self) {
        self.shut_down();
    }
}

fn unexpected(r: &Reply) -> IndexError {
    IndexError::Worker(format!("unexpected answer {r:?}"))
}

impl SearchIndex for RemoteIndex {
    fn search_products(&self, q: &ProductSearch) -> Result<Vec<ProductId>, IndexError> {
        match self
            .shared
            .ask(Request::Search(q.clone()), "product search")?
        {
            Reply::Products(ids) => Ok(ids),
            other => Err(unexpected(&other)),
        }
    }

    fn orders(&self, q: &OrderQuery) -> Result<Vec<OrderId>, IndexError> {
        match self.shared.ask(Request::Orders(q.clone()), "order list")? {
            Reply::Orders(ids) => Ok(ids),
            other => Err(unexpected(&other)),
        }
    }

    fn content_by_slug(
        &self,
        slug: &str,
        locale: &Locale,
    ) -> Result<Option<ContentId>, IndexError> {
        let request = Request::Content {
            slug: slug.to_owned(),
            locale: locale.clone(),
        };
        match self.shared.ask(request, "content lookup")? {
            Reply::Content(id) => Ok(id),
            other => Err(unexpected(&other)),
        }
    }
}

impl Shared {
    fn notify(&self) {
        self.changed.notify_all();
    }

    /// Asks the ready worker; refuses at once when there is none.
    fn ask(&self, request: Request, what: &'static str) -> Result<Reply, IndexError> {
        let worker = {
            let st = lock(&self.state);
            match (&st.phase, &st.worker) {
                (IndexPhase::Ready, Some(w)) => Arc::clone(w),
                (phase, _) => return Err(IndexError::Unavailable(describe(phase))),
            }
        };
        self.ask_worker(&worker, request, what)
    }

    fn ask_worker(
        &self,
        worker: &Worker,
        request: Request,
        what: &'static str,
    ) -> Result<Reply, IndexError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::sync_channel(1);
        lock(&worker.pending).insert(id, tx);
        let mut frame = Vec::new();
        wire::write_frame(&mut frame, &ToWorker { id, request })?;
        let sent = lock(&worker.to_child)
            .as_ref()
            .is_some_and(|to| to.send(frame).is_ok());
        if !sent {
            lock(&worker.pending).remove(&id);
            return Err(IndexError::Unavailable("the index worker has gone".into()));
        }
        match rx.recv_timeout(self.config.deadline) {
            Ok(Reply::Failed(e)) => Err(IndexError::Worker(e)),
            Ok(reply) => Ok(reply),
            Err(RecvTimeoutError::Timeout) => {
                lock(&worker.pending).remove(&id);
                self.stalled(worker.generation, what);
                Err(IndexError::Stalled {
                    what,
                    deadline_ms: u64::try_from(self.config.deadline.as_millis())
                        .unwrap_or(u64::MAX),
                })
            }
            Err(RecvTimeoutError::Disconnected) => {
                Err(IndexError::Unavailable("the index worker has gone".into()))
            }
        }
    }

    /// A question to worker `generation` missed its deadline: take it out of service
    /// (the supervisor kills it and starts another).
    fn stalled(&self, generation: u64, what: &str) {
        let mut st = lock(&self.state);
        if st
            .worker
            .as_ref()
            .is_some_and(|w| w.generation == generation)
            && st.phase == IndexPhase::Ready
        {
            st.stalls = st.stalls.saturating_add(1);
            let reason = format!(
                "the index did not answer a {what} within {} ms; restarting it",
                self.config.deadline.as_millis()
            );
            tracing::warn!(%reason, "index worker stalled");
            st.phase = IndexPhase::Down { reason };
        }
        drop(st);
        self.notify();
    }

    fn catch_up_to(&self, until: u64) -> Result<u64, IndexError> {
        let mut last = None;
        loop {
            let request = Request::CatchUp {
                until,
                max: self.config.catch_up_chunk,
            };
            let at = match self.ask(request, "catch-up")? {
                Reply::At(at) => at,
                other => return Err(unexpected(&other)),
            };
            // Shutdown does not wait for a long catch-up to end.
            if at >= until || last == Some(at) || lock(&self.state).stopping {
                return Ok(at);
            }
            last = Some(at);
        }
    }
}

fn describe(phase: &IndexPhase) -> String {
    match phase {
        IndexPhase::Opening { progress: None } => "the index is opening".into(),
        IndexPhase::Opening { progress: Some(p) } => {
            format!("the index is being rebuilt ({} of {})", p.done, p.total)
        }
        IndexPhase::Ready => "the index is ready".into(),
        IndexPhase::Down { reason } => reason.clone(),
        IndexPhase::Stopped => "the index is shut down".into(),
    }
}

/// Starts workers one after another for as long as the index is not shut down.
fn supervise(shared: &Arc<Shared>) {
    let mut generation: u64 = 0;
    let mut failures: u32 = 0;
    loop {
        generation = generation.saturating_add(1);
        let worker = match spawn(shared, generation) {
            Ok(w) => w,
            Err(e) => {
                let reason = format!("cannot start the index worker: {e}");
                tracing::error!(%reason);
                set_phase(shared, IndexPhase::Down { reason });
                failures = failures.saturating_add(1);
                if pause(shared, failures) {
                    break;
                }
                continue;
            }
        };
        {
            let mut st = lock(&shared.state);
            st.worker = Some(Arc::clone(&worker));
            st.phase = IndexPhase::Opening { progress: None };
            st.heard = Instant::now();
            if generation > 1 {
                st.restarts = st.restarts.saturating_add(1);
            }
        }
        shared.notify();
        let ready = watch(shared);
        if ready {
            failures = 0;
        } else {
            failures = failures.saturating_add(1);
        }
        let stopping = retire(shared, &worker);
        if stopping || pause(shared, failures) {
            break;
        }
    }
    set_phase(shared, IndexPhase::Stopped);
}

fn set_phase(shared: &Shared, phase: IndexPhase) {
    lock(&shared.state).phase = phase;
    shared.notify();
}

/// Watches a worker until it is gone or shutdown is asked; true when it had become
/// ready (and so did not fail while opening).
fn watch(shared: &Arc<Shared>) -> bool {
    let tick = shared.config.deadline.min(Duration::from_millis(250));
    let mut was_ready = false;
    let mut st = lock(&shared.state);
    loop {
        if st.stopping {
            return was_ready;
        }
        match &st.phase {
            IndexPhase::Opening { .. } => {
                if st.heard.elapsed() > shared.config.open_silence {
                    let reason = format!(
                        "the index worker said nothing for {} s while opening; restarting it",
                        shared.config.open_silence.as_secs()
                    );
                    tracing::warn!(%reason);
                    st.phase = IndexPhase::Down { reason };
                    return false;
                }
            }
            IndexPhase::Ready if !was_ready => {
                was_ready = true;
                drop(st);
                // Events committed while it opened reached no one: catch up now.
                match shared.catch_up_to(u64::MAX) {
                    Ok(at) => tracing::info!(checkpoint = at, "index ready"),
                    Err(e) => tracing::warn!(error = %e, "index catch-up after opening failed"),
                }
                st = lock(&shared.state);
                continue;
            }
            IndexPhase::Ready => {}
            IndexPhase::Down { .. } | IndexPhase::Stopped => return was_ready,
        }
        st = shared
            .changed
            .wait_timeout(st, tick)
            .unwrap_or_else(PoisonError::into_inner)
            .0;
    }
}

/// Ends a worker: closes it cleanly on shutdown (when it answers in time), else
/// kills it; the process is reaped in the background. Returns whether shutdown was
/// asked.
fn retire(shared: &Shared, worker: &Arc<Worker>) -> bool {
    let (stopping, ready) = {
        let st = lock(&shared.state);
        (st.stopping, st.phase == IndexPhase::Ready)
    };
    if stopping && ready {
        // A clean close flushes sled and leaves the manifest, so the next start
        // trusts the index instead of rebuilding it.
        if let Ok(Reply::Closed) = shared.ask_worker(worker, Request::Close, "close") {
            let deadline = Instant::now() + shared.config.deadline.saturating_mul(3);
            while Instant::now() < deadline {
                let exited = lock(&worker.child)
                    .as_mut()
                    .is_none_or(|c| c.try_wait().ok().flatten().is_some());
                if exited {
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
    // Closing its stdin lets a healthy worker end by itself; kill covers the rest.
    lock(&worker.to_child).take();
    if let Some(mut child) = lock(&worker.child).take() {
        let _ = child.kill();
        // A process stuck in the kernel may take a while to die: never wait for it here.
        let _ = std::thread::Builder::new()
            .name("index-reaper".into())
            .spawn(move || {
                let _ = child.wait();
            });
    }
    {
        let mut st = lock(&shared.state);
        if st
            .worker
            .as_ref()
            .is_some_and(|w| w.generation == worker.generation)
        {
            st.worker = None;
        }
        if st.phase == IndexPhase::Ready {
            st.phase = IndexPhase::Down {
                reason: "the index worker was stopped".into(),
            };
        }
    }
    lock(&worker.pending).clear();
    shared.notify();
    stopping
}

/// Waits before the next start (doubling with each failure in a row); true when
/// shutdown was asked meanwhile.
fn pause(shared: &Shared, failures: u32) -> bool {
    let c = &shared.config;
    let wait = c
        .backoff
        .saturating_mul(1u32 << failures.saturating_sub(1).min(16))
        .min(c.backoff_max);
    let st = lock(&shared.state);
    let (st, _) = shared
        .changed
        .wait_timeout_while(st, wait, |st| !st.stopping)
        .unwrap_or_else(PoisonError::into_inner);
    st.stopping
}

/// Starts worker `generation` with its three threads.
fn spawn(shared: &Arc<Shared>, generation: u64) -> Result<Arc<Worker>, IndexError> {
    let mut child = Command::new(&shared.command.program)
        .args(&shared.command.args)
        .args(super::worker::args(&shared.db, &shared.dir))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let (Some(stdin), Some(stdout), Some(stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        let _ = child.kill();
        return Err(IndexError::Worker("the worker's pipes are missing".into()));
    };
    let (to_child, requests) = mpsc::channel::<Vec<u8>>();
    let worker = Arc::new(Worker {
        generation,
        child: Mutex::new(Some(child)),
        to_child: Mutex::new(Some(to_child)),
        pending: Mutex::new(HashMap::new()),
    });
    std::thread::Builder::new()
        .name("index-writer".into())
        .spawn(move || write_requests(stdin, &requests))?;
    let (s, w) = (Arc::clone(shared), Arc::clone(&worker));
    std::thread::Builder::new()
        .name("index-reader".into())
        .spawn(move || read_replies(&s, &w, stdout))?;
    std::thread::Builder::new()
        .name("index-log".into())
        .spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                tracing::info!(target: "index_worker", generation, "{line}");
            }
        })?;
    Ok(worker)
}

fn write_requests(mut stdin: ChildStdin, requests: &mpsc::Receiver<Vec<u8>>) {
    while let Ok(frame) = requests.recv() {
        if stdin
            .write_all(&frame)
            .and_then(|()| stdin.flush())
            .is_err()
        {
            return;
        }
    }
}

fn read_replies(shared: &Shared, worker: &Worker, stdout: std::process::ChildStdout) {
    let mut input = BufReader::new(stdout);
    let ended = loop {
        match wire::read_frame::<FromWorker>(&mut input) {
            Ok(Some(FromWorker::Reply { id, reply })) => {
                if let Some(tx) = lock(&worker.pending).remove(&id) {
                    let _ = tx.try_send(reply);
                }
            }
            Ok(Some(FromWorker::Note(note))) => {
                let mut st = lock(&shared.state);
                if st
                    .worker
                    .as_ref()
                    .is_some_and(|w| w.generation == worker.generation)
                {
                    st.heard = Instant::now();
                    match note {
                        Note::Progress(p) => {
                            st.phase = IndexPhase::Opening { progress: Some(p) };
                        }
                        Note::Ready(report) => {
                            if let Some(r) = &report.rebuilt {
                                tracing::info!(reason = ?r, "the index was rebuilt");
                            }
                            st.last_open = Some(report);
                            st.phase = IndexPhase::Ready;
                        }
                    }
                }
                drop(st);
                shared.notify();
            }
            Ok(None) => break "the index worker exited".to_owned(),
            Err(e) => break format!("the index worker's output broke: {e}"),
        }
    };
    {
        let mut st = lock(&shared.state);
        if st
            .worker
            .as_ref()
            .is_some_and(|w| w.generation == worker.generation)
            && !matches!(st.phase, IndexPhase::Down { .. } | IndexPhase::Stopped)
        {
            if !st.stopping {
                tracing::warn!(reason = %ended, "index worker gone");
            }
            st.phase = IndexPhase::Down { reason: ended };
        }
    }
    // Whoever still waits for an answer hears at once that none will come.
    lock(&worker.pending).clear();
    shared.notify();
}

/// Keeps the worker's index up to date with the committed events (the bus handler
/// named `index`). It never fails: while the worker is down, rebuilding or stuck,
/// the event is left to the next worker, which catches up from SQLite by itself.
pub struct RemoteIndexHandler {
    index: Arc<RemoteIndex>,
    /// The worker's checkpoint as last heard: events up to it need no question.
    at: AtomicU64,
}

impl RemoteIndexHandler {
    /// A handler for `index`.
    pub fn new(index: Arc<RemoteIndex>) -> Self {
        Self {
            index,
            at: AtomicU64::new(0),
        }
    }
}

impl EventHandler for RemoteIndexHandler {
    fn name(&self) -> &'static str {
        "index"
    }

    fn handle(&self, e: &Envelope) -> Result<(), HandlerError> {
        if e.seq <= self.at.load(Ordering::Relaxed) {
            return Ok(());
        }
        match self.index.catch_up_past(e.seq) {
            Ok(at) => {
                self.at.fetch_max(at, Ordering::Relaxed);
            }
            Err(err) => {
                // A new worker may start behind what this one had reached.
                self.at.store(0, Ordering::Relaxed);
                tracing::debug!(error = %err, seq = e.seq, "index not updated now; its next worker catches up");
            }
        }
        Ok(())
    }
}

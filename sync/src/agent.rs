//! The sync agent: runs the relay on its own task — periodically, shortly after local
//! commits (debounced), and on demand ("Sync now") — and keeps the status the till
//! shows: online, offline, syncing or breaker open, the queue and the last error.
//!
//! Nothing here is ever awaited by a sale: the agent listens to the store's commits,
//! and a commit only wakes its task ([`Agent::trigger`]) and returns at once.

use crate::breaker::{Breaker, BreakerConfig, BreakerState, SystemMonotonic};
use crate::client::{self, Client};
use crate::credentials::Credentials;
use crate::images::Pictures;
use crate::protocol::{DeviceKind, HealthReport, PROTOCOL_VERSION};
use crate::pull::shop_error;
use crate::pull::Puller;
use crate::relay::{BatchLimits, Relay, DEAD_LETTER_HANDLER};
use crate::retry::{Backoff, RetryPolicy};
use crate::SyncError;
use rustok_core::domain::clock::{Clock, Timestamp};
use rustok_core::domain::device::DeviceCode;
use rustok_core::domain::event::Envelope;
use rustok_core::domain::tenant::TenantSlug;
use rustok_core::service::{JoinSetup, Shop};
use rustok_core::store::{
    CommitListener, DeviceIdentity, ImageTransfers, OutboxStatus, PullState, Store, SCHEMA_VERSION,
};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;
use tokio::sync::Notify;

/// Tuning of the agent.
#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// How often to sync when nothing else asks. Also the longest wait between
    /// attempts after failures and how long an open breaker stays open, so a till
    /// that comes back online is synced within about one interval.
    pub interval: Duration,
    /// After a commit, wait this long for more before pushing (a sale is several
    /// commits; one push carries them all).
    pub debounce: Duration,
    /// Every request's timeout.
    pub timeout: Duration,
    /// How often to report health to central.
    pub health_every: Duration,
    /// This app's version, for enrolment and health.
    pub app_version: String,
    /// Batch bounds.
    pub batch: BatchLimits,
    /// How long a pull may wait at central for the feed to move (the long poll).
    pub pull_wait: Duration,
    /// What this device serves as, for its health reports (none: not said).
    pub kind: Option<DeviceKind>,
    /// Central's address instead of the one recorded at enrolment (central moved;
    /// the device's config says where).
    pub central_url: Option<String>,
}

impl Default for AgentConfig {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(30),
            debounce: Duration::from_millis(300),
            timeout: client::DEFAULT_TIMEOUT,
            health_every: Duration::from_secs(60),
            app_version: String::new(),
            batch: BatchLimits::default(),
            pull_wait: Duration::from_secs(25),
            kind: None,
            central_url: None,
        }
    }
}

impl AgentConfig {
    /// The credentials saved at `path` (none: not enrolled), addressed to
    /// [`AgentConfig::central_url`] when that is set.
    pub fn credentials(&self, path: &std::path::Path) -> Result<Option<Credentials>, SyncError> {
        Ok(Credentials::load(path)?.map(|mut c| {
            if let Some(url) = &self.central_url {
                c.central_url.clone_from(url);
            }
            c
        }))
    }

    fn breaker(&self) -> BreakerConfig {
        BreakerConfig {
            open_for: self.interval,
            slow_call: self.timeout,
            ..BreakerConfig::default()
        }
    }

    fn retry(&self) -> RetryPolicy {
        let d = RetryPolicy::default();
        RetryPolicy {
            min_delay: d.min_delay.min(self.interval),
            max_delay: self.interval.max(d.min_delay.min(self.interval)),
            ..d
        }
    }
}

/// What the till shows about sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncState {
    /// No central server configured.
    NotEnrolled,
    /// Enrolled; no attempt has finished since the app started.
    Starting,
    /// Pushing now.
    Syncing,
    /// The last exchange with central succeeded.
    Online,
    /// Central could not be reached (timeouts, refused connections, 5xx, 429).
    Offline,
    /// Failures opened the circuit breaker: central is left alone for a while.
    BreakerOpen,
    /// Central answered but refused (e.g. the device was revoked): needs a person.
    Refused,
}

impl SyncState {
    /// Stable name (UI codes, logs).
    pub const fn as_str(self) -> &'static str {
        match self {
            SyncState::NotEnrolled => "not_enrolled",
            SyncState::Starting => "starting",
            SyncState::Syncing => "syncing",
            SyncState::Online => "online",
            SyncState::Offline => "offline",
            SyncState::BreakerOpen => "breaker_open",
            SyncState::Refused => "refused",
        }
    }
}

/// A snapshot of the agent and the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncStatus {
    /// The state.
    pub state: SyncState,
    /// Central's URL and this device's tenant there, once enrolled.
    pub central: Option<(String, String)>,
    /// The store this device was enrolled into, by name, if central named one.
    pub store: Option<String>,
    /// Events not yet acknowledged by central.
    pub pending: u64,
    /// Wall time of the oldest of them.
    pub oldest_pending: Option<Timestamp>,
    /// When an attempt last finished.
    pub last_attempt: Option<Timestamp>,
    /// When central last answered a request successfully.
    pub last_success: Option<Timestamp>,
    /// The last failure, until the next success (English, for logs and details).
    pub last_error: Option<String>,
    /// What kind of failure it was ([`SyncError::kind`]), for a UI to word.
    pub last_error_kind: Option<&'static str>,
    /// The breaker's state.
    pub breaker: BreakerState,
    /// Events central rejected (dead letters of `sync`).
    pub rejected: u64,
    /// Where pulling the tenant's feed stands.
    pub pull: PullState,
    /// What kind of failure the last pull met ([`SyncError::kind`]), until a pull
    /// works (the pull state keeps the English detail).
    pub pull_error_kind: Option<&'static str>,
    /// Product pictures not yet exchanged with central.
    pub pictures: ImageTransfers,
}

#[derive(Debug)]
struct Progress {
    state: SyncState,
    last_attempt: Option<Timestamp>,
    last_success: Option<Timestamp>,
    last_error: Option<String>,
    last_error_kind: Option<&'static str>,
    last_health: Option<Timestamp>,
    pull_error_kind: Option<&'static str>,
}

/// The agent of one device.
pub struct Agent {
    store: Arc<Store>,
    clock: Arc<dyn Clock>,
    config: AgentConfig,
    credentials_path: PathBuf,
    relay: Mutex<Option<Arc<Relay>>>,
    /// The shop pulled changes are applied to; pulling starts once it is attached.
    shop: Mutex<Option<Arc<Shop>>>,
    puller: Mutex<Option<Arc<Puller>>>,
    pictures: Mutex<Option<Arc<Pictures>>>,
    progress: Mutex<Progress>,
    wake: Notify,
    now_requested: AtomicBool,
    /// "Sync now" also tries every waiting picture at once.
    pictures_now: AtomicBool,
    stopped: AtomicBool,
    on_change: Arc<dyn Fn() + Send + Sync>,
}

impl std::fmt::Debug for Agent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Agent")
            .field("credentials_path", &self.credentials_path)
            .field("progress", &self.progress)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Agent {
    /// An agent for `store`, enrolled when `credentials_path` holds credentials;
    /// every commit to `store` wakes it (debounced).
    /// `on_change` is called (from the agent's task) whenever the status changes.
    /// Unreadable credentials leave it not enrolled, with the reason as its last
    /// error (enrolling again replaces the file): the till keeps selling either way.
    pub fn new(
        store: Arc<Store>,
        clock: Arc<dyn Clock>,
        config: AgentConfig,
        credentials_path: PathBuf,
        on_change: Box<dyn Fn() + Send + Sync>,
    ) -> Arc<Agent> {
        let agent = Agent {
            store,
            clock,
            config,
            credentials_path,
            relay: Mutex::new(None),
            shop: Mutex::new(None),
            puller: Mutex::new(None),
            pictures: Mutex::new(None),
            progress: Mutex::new(Progress {
                state: SyncState::NotEnrolled,
                last_attempt: None,
                last_success: None,
                last_error: None,
                last_error_kind: None,
                last_health: None,
                pull_error_kind: None,
            }),
            wake: Notify::new(),
            now_requested: AtomicBool::new(false),
            pictures_now: AtomicBool::new(false),
            stopped: AtomicBool::new(false),
            on_change: Arc::from(on_change),
        };
        let loaded = agent
            .config
            .credentials(&agent.credentials_path)
            .and_then(|c| c.map_or(Ok(()), |c| agent.connect(c)));
        if let Err(e) = loaded {
            tracing::error!(error = %e, "sync credentials unusable; not syncing until enrolled again");
            let mut p = lock(&agent.progress);
            p.last_error = Some(e.to_string());
            p.last_error_kind = Some(e.kind());
        }
        let agent = Arc::new(agent);
        // Weak: the store outlives no agent through its listener list.
        agent
            .store
            .subscribe(Arc::new(WakeOnCommit(Arc::downgrade(&agent))));
        agent
    }

    fn connect(&self, creds: Credentials) -> Result<(), SyncError> {
        let relay = relay_for(self.store.clone(), self.clock.clone(), &self.config, creds)?;
        *lock(&self.relay) = Some(Arc::new(relay));
        self.connect_puller()?;
        lock(&self.progress).state = SyncState::Starting;
        Ok(())
    }

    /// Makes the puller when both the credentials and the shop are there.
    fn connect_puller(&self) -> Result<(), SyncError> {
        let shop = lock(&self.shop).clone();
        let creds = self.relay().map(|r| r.client().credentials().clone());
        if let (Some(shop), Some(creds)) = (shop, creds) {
            let pictures = Pictures::new(
                shop.clone(),
                Client::new(creds.clone(), self.clock.clone(), self.config.timeout)?,
                self.clock.clone(),
            );
            let puller = Puller::new(
                shop,
                creds,
                self.clock.clone(),
                self.config.timeout,
                self.config.pull_wait,
            )?;
            *lock(&self.puller) = Some(Arc::new(puller));
            *lock(&self.pictures) = Some(Arc::new(pictures));
        }
        Ok(())
    }

    /// Pulls what other devices and head office changed into `shop` from now on
    /// (after every push, on "Sync now", and while online as soon as the feed moves).
    pub fn attach_shop(&self, shop: Arc<Shop>) -> Result<(), SyncError> {
        *lock(&self.shop) = Some(shop);
        self.connect_puller()
    }

    fn relay(&self) -> Option<Arc<Relay>> {
        lock(&self.relay).clone()
    }

    fn puller(&self) -> Option<Arc<Puller>> {
        lock(&self.puller).clone()
    }

    /// Starts sending and fetching the pictures that are due, on a task of its
    /// own (a round may take a while): pushes and pulls never wait for pictures.
    /// A failure is logged and left for the next round.
    fn exchange_pictures(&self) {
        let Some(pictures) = lock(&self.pictures).clone() else {
            return;
        };
        if self.pictures_now.swap(false, Ordering::SeqCst) {
            if let Err(e) = self.store.image_transfers_due_now() {
                tracing::warn!(error = %e, "cannot make waiting pictures due");
            }
        }
        let on_change = Arc::clone(&self.on_change);
        tokio::spawn(async move {
            match pictures.exchange().await {
                Ok(done) if done.changed() => on_change(),
                Ok(_) => {}
                Err(e) => tracing::debug!(error = %e, "pictures wait for the next round"),
            }
        });
    }

    /// Something was committed: sync soon (debounced). Returns at once. The store's
    /// commits call it; others may too.
    pub fn trigger(&self) {
        self.wake.notify_one();
    }

    /// Sync right away, without waiting out the debounce or a backoff (the breaker
    /// still decides whether central is called).
    pub fn sync_now(&self) {
        self.now_requested.store(true, Ordering::SeqCst);
        self.pictures_now.store(true, Ordering::SeqCst);
        self.wake.notify_one();
    }

    /// Stops the task after its current attempt.
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        self.wake.notify_one();
    }

    /// Redeems `code` at `url` for this device, stores the credentials (owner-only)
    /// and starts syncing to that central.
    pub async fn enrol(
        &self,
        url: &str,
        code: &str,
        identity: &DeviceIdentity,
    ) -> Result<Credentials, SyncError> {
        let creds = enrol_and_save(
            url,
            code,
            identity,
            &self.config.app_version,
            self.config.timeout,
            &self.credentials_path,
        )
        .await?;
        self.connect(creds.clone())?;
        if let Some(store) = &creds_store(&creds) {
            self.store
                .set_store(&store.code, &store.name, &store.address)?;
        }
        tracing::info!(central = %creds.central_url, tenant = %creds.tenant_slug, "enrolled");
        (self.on_change)();
        self.sync_now();
        Ok(creds)
    }

    /// Joins the chain `code` belongs to with the attached shop (see
    /// [`join_and_save`]) and starts syncing: the first pull brings the chain's
    /// settings, operators and catalog.
    pub async fn join(
        &self,
        url: &str,
        code: &str,
        device_code: DeviceCode,
    ) -> Result<Credentials, SyncError> {
        let shop = lock(&self.shop)
            .clone()
            .ok_or_else(|| SyncError::Invalid("no shop to join with".into()))?;
        let creds = join_and_save(
            url,
            code,
            &shop,
            device_code,
            &self.config.app_version,
            self.config.timeout,
            &self.credentials_path,
        )
        .await?;
        self.connect(creds.clone())?;
        tracing::info!(central = %creds.central_url, tenant = %creds.tenant_slug, "joined a chain");
        (self.on_change)();
        self.sync_now();
        Ok(creds)
    }

    /// The status now (the queue read fresh from the store).
    pub fn status(&self) -> Result<SyncStatus, SyncError> {
        self.status_with(self.store.outbox_status()?)
    }

    /// The status with `outbox` as just read by the caller (e.g. through a
    /// permission-checked service call), so it is not read twice.
    pub fn status_with(&self, outbox: OutboxStatus) -> Result<SyncStatus, SyncError> {
        let rejected = self.store.dead_letters(Some(DEAD_LETTER_HANDLER))?.len() as u64;
        let relay = self.relay();
        let p = lock(&self.progress);
        Ok(SyncStatus {
            state: p.state,
            central: relay.as_ref().map(|r| {
                let c = r.client().credentials();
                (c.central_url.clone(), c.tenant_slug.clone())
            }),
            store: relay.as_ref().and_then(|r| {
                r.client()
                    .credentials()
                    .store
                    .as_ref()
                    .map(|s| s.name.clone())
            }),
            pending: outbox.pending,
            oldest_pending: outbox.oldest_pending,
            last_attempt: p.last_attempt,
            last_success: p.last_success,
            last_error: p.last_error.clone(),
            last_error_kind: p.last_error_kind,
            breaker: relay.map_or(BreakerState::Closed, |r| r.breaker().state()),
            rejected,
            pull: self.store.pull_state()?,
            pull_error_kind: p.pull_error_kind,
            pictures: self.store.image_transfers()?,
        })
    }

    /// Sends a rejected event to central again (see [`Relay::retry_dead_letter`]).
    pub async fn retry_dead_letter(&self, seq: u64) -> Result<bool, SyncError> {
        let relay = self.relay().ok_or(SyncError::NotEnrolled)?;
        let accepted = relay.retry_dead_letter(seq).await;
        (self.on_change)();
        accepted
    }

    fn set_state(&self, state: SyncState) {
        let changed = {
            let mut p = lock(&self.progress);
            std::mem::replace(&mut p.state, state) != state
        };
        if changed {
            (self.on_change)();
        }
    }

    /// Runs until [`Agent::stop`]: attempts at start, then after each wait; and,
    /// beside them, a pull that waits at central for the feed to move.
    pub async fn run(self: Arc<Self>) {
        let listening = tokio::spawn(Arc::clone(&self).listen());
        self.run_attempts().await;
        listening.abort();
    }

    /// While online, keeps one pull waiting at central: a change anywhere in the
    /// tenant reaches this till within about a second.
    async fn listen(self: Arc<Self>) {
        loop {
            if self.stopped.load(Ordering::SeqCst) {
                return;
            }
            let online = lock(&self.progress).state == SyncState::Online;
            let Some(puller) = self.puller().filter(|_| online) else {
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            };
            match puller.wait_and_pull(self.config.pull_wait).await {
                Ok(p) if p.applied + p.set_aside > 0 => {
                    (self.on_change)();
                    // What came may name pictures this till lacks.
                    self.exchange_pictures();
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::debug!(error = %e, "waiting pull failed; the next attempt pulls");
                    // The attempts notice central is gone; wait for one of them.
                    tokio::time::sleep(self.config.interval.min(Duration::from_secs(5))).await;
                }
            }
        }
    }

    async fn run_attempts(self: &Arc<Self>) {
        let mut backoff = Backoff::new(self.config.retry(), None);
        let mut delay = Duration::ZERO;
        let mut failing = false;
        loop {
            if !delay.is_zero() && !self.wait(delay, failing).await {
                return;
            }
            if self.stopped.load(Ordering::SeqCst) {
                return;
            }
            self.now_requested.store(false, Ordering::SeqCst);
            match self.attempt().await {
                Ok(()) => {
                    backoff.reset();
                    failing = false;
                    delay = self.config.interval;
                }
                Err(e) => {
                    failing = true;
                    delay = backoff.next_delay(&e);
                }
            }
        }
    }

    /// Waits `delay`, less when a commit (unless `failing`: then the backoff is
    /// waited out) or "Sync now" comes first. False when stopped.
    async fn wait(&self, delay: Duration, failing: bool) -> bool {
        let deadline = tokio::time::Instant::now() + delay;
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(deadline) => return true,
                () = self.wake.notified() => {
                    if self.stopped.load(Ordering::SeqCst) {
                        return false;
                    }
                    if self.now_requested.load(Ordering::SeqCst) {
                        return true;
                    }
                    if !failing {
                        // Let the rest of the burst commit; one push carries it all.
                        tokio::time::sleep(self.config.debounce).await;
                        return !self.stopped.load(Ordering::SeqCst);
                    }
                }
            }
        }
    }

    /// One attempt: push everything pending; report health when due, or as a probe
    /// when nothing is pending and the last exchange failed or the breaker is not
    /// closed.
    async fn attempt(&self) -> Result<(), SyncError> {
        let Some(relay) = self.relay() else {
            self.set_state(SyncState::NotEnrolled);
            return Ok(());
        };
        let pending = self.store.outbox_status()?.pending;
        let mut result = if pending > 0 {
            self.set_state(SyncState::Syncing);
            match relay.drain().await {
                Ok(acked) => {
                    tracing::debug!(acked, "synced");
                    self.report_health_if_due(&relay, false).await.map(|_| true)
                }
                Err(e) => Err(e),
            }
        } else {
            // Probe while the last exchange failed, and while the breaker is not
            // closed: a half-open breaker needs all its trial calls within its
            // timeout, and an idle till makes no other call (it used to reopen
            // every minute while central was up).
            let probe = lock(&self.progress).state != SyncState::Online
                || relay.breaker().state() != BreakerState::Closed;
            self.report_health_if_due(&relay, probe).await
        };
        if let (Ok(_), Some(puller)) = (&result, self.puller()) {
            result = match puller.pull_all().await {
                Ok(p) => {
                    lock(&self.progress).pull_error_kind = None;
                    if p.applied + p.set_aside > 0 {
                        (self.on_change)();
                    }
                    Ok(true)
                }
                Err(e) => {
                    let _ = self.store.record_pull_error(&e.to_string());
                    lock(&self.progress).pull_error_kind = Some(e.kind());
                    Err(e)
                }
            };
        }
        self.finish(&result);
        if result.is_ok() {
            self.exchange_pictures();
        }
        result.map(|_| ())
    }

    /// Reports health when due (or `force`d); true when it did, i.e. central was
    /// contacted.
    async fn report_health_if_due(&self, relay: &Relay, force: bool) -> Result<bool, SyncError> {
        let now = self.clock.now();
        let due = lock(&self.progress).last_health.is_none_or(|t| {
            now.unix_millis() - t.unix_millis() >= self.config.health_every.as_millis() as i64
        });
        if !force && !due {
            return Ok(false);
        }
        let report = health_report(&self.store, &self.config, relay, now)?;
        relay.report_health(&report).await?;
        lock(&self.progress).last_health = Some(now);
        Ok(true)
    }

    /// Records an attempt's outcome; `Ok(true)` when central answered, `Ok(false)`
    /// when there was nothing to exchange (the state stays as it was: "online" and
    /// the last contact mean a real answer from central).
    fn finish(&self, result: &Result<bool, SyncError>) {
        let now = self.clock.now();
        {
            let mut p = lock(&self.progress);
            p.last_attempt = Some(now);
            match result {
                // Nothing exchanged, nothing changed that the till shows.
                Ok(false) => return,
                Ok(true) => {
                    p.state = SyncState::Online;
                    p.last_success = Some(now);
                    p.last_error = None;
                    p.last_error_kind = None;
                }
                Err(e) => {
                    p.state = match e {
                        SyncError::BreakerOpen { .. } => SyncState::BreakerOpen,
                        e if e.is_unavailability() => SyncState::Offline,
                        _ => SyncState::Refused,
                    };
                    if p.last_error.as_deref() != Some(e.to_string().as_str()) {
                        tracing::warn!(error = %e, state = p.state.as_str(), "sync failed");
                    }
                    p.last_error = Some(e.to_string());
                    p.last_error_kind = Some(e.kind());
                }
            }
        }
        (self.on_change)();
    }
}

/// The store named in the enrolment, if central named one.
fn creds_store(creds: &Credentials) -> Option<crate::protocol::Store> {
    creds.store.clone()
}

/// Wakes the agent after each commit; never blocks the committing writer.
struct WakeOnCommit(Weak<Agent>);

impl CommitListener for WakeOnCommit {
    fn committed(&self, _: &[Envelope]) {
        if let Some(agent) = self.0.upgrade() {
            agent.trigger();
        }
    }
}

/// Redeems `code` at `url` for the device `identity` and stores the credentials at
/// `path` (owner-only). Used by the agent and the headless `enrol` subcommand.
pub async fn enrol_and_save(
    url: &str,
    code: &str,
    identity: &DeviceIdentity,
    app_version: &str,
    timeout: Duration,
    path: &std::path::Path,
) -> Result<Credentials, SyncError> {
    let request = client::enrol_request(code, identity, app_version);
    let (base, reply) = client::enrol(url, &request, timeout).await?;
    let creds = Credentials::from_enrolment(base, reply);
    creds.save(path)?;
    Ok(creds)
}

/// Joins the chain `code` belongs to: redeems it at `url` for a new device id,
/// sets `shop` up as a till of that chain ([`Shop::join`]) and stores the
/// credentials at `path`. The first pull then brings the chain's settings,
/// operators and catalog. A code that was redeemed but whose shop could not be
/// written is spent: ask for another.
pub async fn join_and_save(
    url: &str,
    code: &str,
    shop: &Shop,
    device_code: DeviceCode,
    app_version: &str,
    timeout: Duration,
    path: &std::path::Path,
) -> Result<Credentials, SyncError> {
    if shop.device().map_err(shop_error)?.is_some() {
        return Err(SyncError::Invalid("this device is already set up".into()));
    }
    let device_id = shop.new_device_id();
    let request = client::join_request(code, device_id, &device_code, app_version);
    let (base, reply) = client::enrol(url, &request, timeout).await?;
    let slug = TenantSlug::parse(&reply.tenant_slug)
        .map_err(|e| SyncError::Invalid(format!("central named the chain oddly: {e}")))?;
    shop.join(JoinSetup {
        device_id,
        tenant_id: reply.tenant_id,
        slug,
        device_code,
    })
    .map_err(shop_error)?;
    let creds = Credentials::from_enrolment(base, reply);
    creds.save(path)?;
    if let Some(store) = &creds.store {
        shop.store()
            .set_store(&store.code, &store.name, &store.address)?;
    }
    Ok(creds)
}

/// This device's health as of `now`, for central.
fn health_report(
    store: &Store,
    config: &AgentConfig,
    relay: &Relay,
    now: Timestamp,
) -> Result<HealthReport, SyncError> {
    let outbox = store.outbox_status()?;
    Ok(HealthReport {
        protocol: PROTOCOL_VERSION,
        app_version: config.app_version.clone(),
        schema_version: SCHEMA_VERSION,
        queue_depth: outbox.pending,
        oldest_pending_secs: outbox
            .oldest_pending
            .map(|t| (now.unix_millis() - t.unix_millis()).max(0) as u64 / 1000),
        breaker: relay.breaker().state().as_str().to_owned(),
        device_time_ms: now.unix_millis(),
        kind: config.kind,
    })
}

/// Pushes everything pending once, outside any agent (the headless `sync`
/// subcommand), then reports the device's health, so head office sees a till run
/// only headlessly too. Returns the events acknowledged.
pub async fn sync_once(
    store: Arc<Store>,
    clock: Arc<dyn Clock>,
    config: &AgentConfig,
    credentials_path: &std::path::Path,
) -> Result<u64, SyncError> {
    let creds = config
        .credentials(credentials_path)?
        .ok_or(SyncError::NotEnrolled)?;
    let relay = relay_for(store.clone(), clock.clone(), config, creds)?;
    let acked = relay.drain().await?;
    let report = health_report(&store, config, &relay, clock.now())?;
    relay.report_health(&report).await?;
    Ok(acked)
}

fn relay_for(
    store: Arc<Store>,
    clock: Arc<dyn Clock>,
    config: &AgentConfig,
    creds: Credentials,
) -> Result<Relay, SyncError> {
    let client = Client::new(creds, clock.clone(), config.timeout)?;
    let breaker = Breaker::new(config.breaker(), Arc::new(SystemMonotonic::default()));
    Ok(Relay::new(store, client, breaker, config.batch, clock))
}

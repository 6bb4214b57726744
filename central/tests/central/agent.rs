//! The sync agent on its own task against the real central: it syncs a sale made
//! while central was down once central is back, without being asked; a commit or
//! "Sync now" wakes it long before its interval; enrolment from the agent.

use crate::helpers::{outbox, serve_central_at, spawn_central, Device, ADMIN_TOKEN};
use rustok_central::{Central, Limits};
use rustok_core::system::SystemClock;
use rustok_sync::agent::{Agent, AgentConfig, SyncState, SyncStatus};
use rustok_sync::breaker::BreakerState;
use rustok_sync::credentials::Credentials;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a condition may take to hold; the checks poll and never sleep for timing.
const PATIENCE: Duration = Duration::from_secs(20);
const HOUR: Duration = Duration::from_secs(3600);

struct Running {
    agent: Arc<Agent>,
    changes: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

fn start(device: &Device, creds_path: PathBuf, interval: Duration) -> Running {
    let changes = Arc::new(AtomicU64::new(0));
    let counter = changes.clone();
    let agent = Agent::new(
        device.store(),
        Arc::new(SystemClock),
        AgentConfig {
            interval,
            debounce: Duration::from_millis(20),
            timeout: Duration::from_secs(2),
            health_every: HOUR,
            app_version: "test".into(),
            ..AgentConfig::default()
        },
        creds_path,
        Box::new(move || {
            counter.fetch_add(1, Ordering::SeqCst);
        }),
    );
    let task = tokio::spawn(agent.clone().run());
    Running {
        agent,
        changes,
        task,
    }
}

impl Running {
    async fn until(&self, what: &str, ok: impl Fn(&SyncStatus) -> bool) -> SyncStatus {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let s = self.agent.status().unwrap();
            if ok(&s) {
                return s;
            }
            assert!(Instant::now() < deadline, "never {what}: {s:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn stop(self) {
        self.agent.stop();
        self.task.await.unwrap();
    }
}

async fn enrolled(device: &Device, url: &str, code: &str, dir: &tempfile::TempDir) -> PathBuf {
    let path = dir.path().join("sync.json");
    device.enrol(url, code).await.save(&path).unwrap();
    path
}

async fn a_sale_made_while_central_is_down_syncs_by_itself_once_central_is_back() {
    let mut first = spawn_central(Limits::default()).await;
    let device = Device::new(21);
    let dir = tempfile::tempdir().unwrap();
    let creds = enrolled(&device, &first.url, &first.code("corner").await, &dir).await;
    let (backend, addr, keep) = (first.central.backend.clone(), first.addr, first.keep.take());
    drop(first);

    let run = start(&device, creds, Duration::from_millis(200));
    device.sell(0, 2);
    let down = run
        .until("offline with the sale pending", |s| {
            matches!(s.state, SyncState::Offline | SyncState::BreakerOpen)
                && s.pending > 0
                && s.oldest_pending.is_some()
                && s.last_error.is_some()
        })
        .await;
    assert!(down.last_success.is_none(), "{down:?}");
    assert!(
        run.changes.load(Ordering::SeqCst) > 0,
        "no status change was announced"
    );

    // Central comes back at the same address with the same data; nobody presses anything.
    let back = serve_central_at(
        Central::new(backend, ADMIN_TOKEN.into(), Limits::default()),
        keep,
        &addr.to_string(),
    )
    .await;
    let up = run
        .until("online with nothing pending", |s| {
            s.state == SyncState::Online && s.pending == 0
        })
        .await;
    assert!(
        up.last_success.is_some() && up.last_error.is_none(),
        "{up:?}"
    );
    let device_id = Credentials::load(&dir.path().join("sync.json"))
        .unwrap()
        .unwrap()
        .device_id;
    assert_eq!(
        back.central.backend.events_of(device_id).await.unwrap(),
        outbox(&device.db_path())
    );
    run.stop().await;
}

async fn a_till_left_idle_closes_its_breaker_once_central_is_back() {
    let mut first = spawn_central(Limits::default()).await;
    let device = Device::new(23);
    let dir = tempfile::tempdir().unwrap();
    let creds = enrolled(&device, &first.url, &first.code("corner").await, &dir).await;
    let run = start(&device, creds, Duration::from_millis(200));
    // Synced, and its health reported (due again only in an hour).
    run.until("online with the breaker closed", |s| {
        s.state == SyncState::Online && s.pending == 0 && s.breaker == BreakerState::Closed
    })
    .await;
    // Central goes away; a sale made meanwhile fails to go and opens the breaker.
    let (backend, addr, keep) = (first.central.backend.clone(), first.addr, first.keep.take());
    drop(first);
    device.sell(0, 1);
    run.until("the breaker open", |s| s.breaker == BreakerState::Open)
        .await;
    let _back = serve_central_at(
        Central::new(backend, ADMIN_TOKEN.into(), Limits::default()),
        keep,
        &addr.to_string(),
    )
    .await;
    // The sale goes (one trial call), then nothing is left to send: the till
    // probes until the half-open breaker's trial calls are done. It used to stop
    // at the first (health was not due), and a half-open breaker whose trials do
    // not all come within a minute opens again: an idle till cycled open,
    // half-open, open while central was up, saying sync failed.
    run.until("online with the breaker closed again", |s| {
        s.state == SyncState::Online && s.pending == 0 && s.breaker == BreakerState::Closed
    })
    .await;
    run.stop().await;
}

async fn a_commit_or_sync_now_wakes_the_agent_long_before_its_interval() {
    let central = spawn_central(Limits::default()).await;
    let device = Device::new(22);
    let dir = tempfile::tempdir().unwrap();
    let creds = enrolled(&device, &central.url, &central.code("corner").await, &dir).await;
    let run = start(&device, creds, HOUR);
    // The first attempt at start: nothing pending, a health report as the probe.
    run.until("online", |s| s.state == SyncState::Online && s.pending == 0)
        .await;
    let device_id = Credentials::load(&dir.path().join("sync.json"))
        .unwrap()
        .unwrap()
        .device_id;
    let health = central
        .central
        .backend
        .health(device_id)
        .await
        .unwrap()
        .unwrap();
    let report = health.report.expect("the agent reported its health");
    assert_eq!(
        (
            report.app_version.as_str(),
            report.queue_depth,
            report.breaker.as_str()
        ),
        ("test", 0, "closed")
    );

    // The commit itself wakes the agent (it listens to the store).
    device.sell(0, 1);
    run.until("synced after a commit", |s| s.pending == 0).await;

    // "Sync now" without a commit: events written behind the store's back.
    let c = rusqlite::Connection::open(device.db_path()).unwrap();
    c.execute("UPDATE device SET acked_seq = acked_seq - 2", [])
        .unwrap();
    drop(c);
    assert_eq!(run.agent.status().unwrap().pending, 2);
    run.agent.sync_now();
    run.until("synced on demand", |s| s.pending == 0).await;
    assert_eq!(
        central.central.backend.events_of(device_id).await.unwrap(),
        outbox(&device.db_path())
    );
    run.stop().await;
}

async fn an_agent_without_credentials_waits_until_it_is_enrolled_and_then_syncs() {
    let central = spawn_central(Limits::default()).await;
    let device = Device::new(23);
    device.sell(0, 1);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sync.json");
    let run = start(&device, path.clone(), HOUR);
    let s = run
        .until("not enrolled", |s| s.state == SyncState::NotEnrolled)
        .await;
    assert!(s.central.is_none() && s.pending > 0, "{s:?}");

    // A wrong code: a clear error, nothing stored.
    let identity = device.shop.device().unwrap().unwrap();
    let wrong = run.agent.enrol(&central.url, "NOPE-NOPE", &identity).await;
    assert!(wrong.is_err(), "{wrong:?}");
    assert!(!path.exists());

    let creds = run
        .agent
        .enrol(&central.url, &central.code("corner").await, &identity)
        .await
        .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "credentials are owner-only");
    }
    let s = run
        .until("synced after enrolling", |s| {
            s.state == SyncState::Online && s.pending == 0
        })
        .await;
    assert_eq!(s.central.map(|c| c.1), Some("corner".to_owned()));
    assert_eq!(
        central
            .central
            .backend
            .events_of(creds.device_id)
            .await
            .unwrap(),
        outbox(&device.db_path())
    );
    run.stop().await;
}

async fn unreadable_credentials_leave_the_agent_not_enrolled_with_the_reason() {
    let device = Device::new(24);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sync.json");
    std::fs::write(&path, b"{ not json").unwrap();
    let run = start(&device, path, HOUR);
    let s = run
        .until("not enrolled", |s| s.state == SyncState::NotEnrolled)
        .await;
    assert!(
        s.last_error
            .as_deref()
            .is_some_and(|e| e.contains("sync.json")),
        "{s:?}"
    );
    run.stop().await;
}

async fn idle_ticks_with_nothing_to_send_do_not_claim_a_contact_with_central() {
    let central = spawn_central(Limits::default()).await;
    let device = Device::new(25);
    let dir = tempfile::tempdir().unwrap();
    let creds = enrolled(&device, &central.url, &central.code("corner").await, &dir).await;
    let run = start(&device, creds, Duration::from_millis(50));
    let synced = run
        .until("synced", |s| s.state == SyncState::Online && s.pending == 0)
        .await;
    let contact = synced.last_success;
    // Central goes away; with nothing to send and no health report due, the idle
    // ticks make no request, so the last contact stays what it was.
    drop(central);
    let first = run.until("ticking", |s| s.last_attempt.is_some()).await;
    let later = run
        .until("a few idle ticks later", |s| {
            s.last_attempt.map(|t| t.unix_millis())
                >= first.last_attempt.map(|t| t.unix_millis() + 200)
        })
        .await;
    assert_eq!(later.last_success, contact, "{later:?}");
    run.stop().await;
}

/// A till run only headlessly (`rustok-edge sync`) reports its health after it
/// pushes, so head office does not see it as never heard from.
async fn the_headless_sync_pushes_and_then_reports_health() {
    let c = spawn_central(Limits::default()).await;
    let device = Device::new(27);
    let dir = tempfile::tempdir().unwrap();
    let creds = enrolled(&device, &c.url, &c.code("corner").await, &dir).await;
    device.sell(0, 1);
    let config = AgentConfig {
        app_version: "headless".into(),
        ..AgentConfig::default()
    };
    let acked =
        rustok_sync::agent::sync_once(device.store(), Arc::new(SystemClock), &config, &creds)
            .await
            .unwrap();
    assert!(acked > 0);
    let id = Credentials::load(&creds).unwrap().unwrap().device_id;
    let health = c.central.backend.health(id).await.unwrap().unwrap();
    let report = health.report.expect("a health report after the push");
    assert_eq!(
        (report.app_version.as_str(), report.queue_depth, report.kind),
        ("headless", 0, None)
    );
}

crate::on_both!(
    the_headless_sync_pushes_and_then_reports_health,
    a_till_left_idle_closes_its_breaker_once_central_is_back,
    a_sale_made_while_central_is_down_syncs_by_itself_once_central_is_back,
    a_commit_or_sync_now_wakes_the_agent_long_before_its_interval,
    an_agent_without_credentials_waits_until_it_is_enrolled_and_then_syncs,
    unreadable_credentials_leave_the_agent_not_enrolled_with_the_reason,
    idle_ticks_with_nothing_to_send_do_not_claim_a_contact_with_central,
);

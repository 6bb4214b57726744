//! The relay against the real central: rejected events, old event versions, a
//! central that lost data, and the breaker keeping the network untouched.

use crate::helpers::{outbox, relay, serve_central, spawn_central, Device, ADMIN_TOKEN};
use rusqlite::params;
use rustok_central::Limits;
use rustok_sync::breaker::{Breaker, BreakerConfig, Monotonic};
use rustok_sync::client::Client;
use rustok_sync::relay::{BatchLimits, Relay, DEAD_LETTER_HANDLER};
use rustok_sync::SyncError;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

const T: Duration = Duration::from_secs(5);

/// Appends a raw event row after the device's last one, as a newer app (or an old
/// one) would have written it (the device's next seq follows the newest event).
fn append_raw(device: &Device, event_type: &str, version: u32, data: &str, id: &str) -> u64 {
    let c = rusqlite::Connection::open(device.db_path()).unwrap();
    let (seq, tenant, dev): (u64, String, String) = c
        .query_row(
            "SELECT (SELECT COALESCE(max(seq), 0) + 1 FROM events), tenant_id, device_id FROM device",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    c.execute(
        "INSERT INTO events (seq, id, type, schema_version, tenant_id, device_id, hlc, occurred_at, actor_id, correlation_id, causation_id, origin, aggregate_id, data)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, '2026-11-21T11:00:00.000Z', NULL, ?2, NULL, 'device', ?2, ?8)",
        params![seq, id, event_type, version, tenant, dev, format!("1795260000{seq:03}-0000"), data],
    )
    .unwrap();
    seq
}

async fn a_rejected_event_becomes_a_dead_letter_and_later_events_are_still_acked() {
    let central = spawn_central(Limits::default()).await;
    let device = Device::new(11);
    let creds = device
        .enrol(&central.url, &central.code("corner").await)
        .await;
    device.sell(0, 1);
    let bad = append_raw(
        &device,
        "OrderPaid",
        99,
        r#"{"from":"the future"}"#,
        "0192f0e4-9999-7000-8000-000000000001",
    );
    device.sell(1, 2);
    let relay = relay(
        &device,
        creds.clone(),
        &central.url,
        T,
        BatchLimits {
            max_events: 3,
            max_bytes: 1 << 20,
        },
    );
    relay.drain().await.unwrap();

    assert_eq!(
        device.pending(),
        0,
        "every event after the rejected one is acked"
    );
    let dead = device
        .store()
        .dead_letters(Some(DEAD_LETTER_HANDLER))
        .unwrap();
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(dead[0].seq, bad);
    assert!(
        dead[0].error.starts_with("unknown_version"),
        "{}",
        dead[0].error
    );
    let held: Vec<u64> = central
        .central
        .backend
        .events_of(creds.device_id)
        .await
        .unwrap()
        .iter()
        .map(|e| e.seq)
        .collect();
    let expected: Vec<u64> = outbox(&device.db_path())
        .iter()
        .map(|e| e.seq)
        .filter(|s| *s != bad)
        .collect();
    assert_eq!(
        held, expected,
        "everything but the rejected event is stored"
    );
    assert_eq!(
        central.central.backend.counts().await.unwrap().quarantined,
        1
    );
}

async fn a_retried_dead_letter_stays_while_central_rejects_it_and_syncs_once_central_understands_it(
) {
    use rustok_core::domain::event::EventType;
    let old = spawn_central(Limits::default()).await;
    let device = Device::new(14);
    let creds = device.enrol(&old.url, &old.code("corner").await).await;
    device.sell(0, 1);
    // An event of an older app version that this central cannot upcast.
    let v0 = append_raw(
        &device,
        "OrderShipped",
        0,
        r#"{"order_id":"0192f0e4-0000-7000-8000-000000000005","tracking_number":"JJD1"}"#,
        "0192f0e4-9999-7000-8000-000000000002",
    );
    device.sell(1, 1);
    let to_old = relay(&device, creds.clone(), &old.url, T, BatchLimits::default());
    to_old.drain().await.unwrap();
    let letters = || {
        device
            .store()
            .dead_letters(Some(DEAD_LETTER_HANDLER))
            .unwrap()
    };
    assert_eq!(letters().len(), 1);

    // Retrying against the same central: rejected again, the letter stays.
    assert!(!to_old.retry_dead_letter(v0).await.unwrap());
    assert_eq!(letters()[0].attempts, 2, "{:?}", letters());
    assert_eq!(old.central.backend.counts().await.unwrap().quarantined, 1);

    // Central upgraded (same data, an upcaster for v0): the retry is accepted once.
    let mut upgraded = rustok_central::Central::new(
        old.central.backend.clone(),
        ADMIN_TOKEN.into(),
        Limits::default(),
    );
    upgraded.upcasters.register(
        EventType::OrderShipped,
        0,
        rustok_core::testing::order_shipped_v0_to_v1,
    );
    let new = serve_central(upgraded, None).await;
    let to_new = relay(&device, creds.clone(), &new.url, T, BatchLimits::default());
    assert!(to_new.retry_dead_letter(v0).await.unwrap());
    assert!(letters().is_empty());
    assert_eq!(new.central.backend.counts().await.unwrap().quarantined, 0);
    assert_eq!(
        new.central
            .backend
            .events_of(creds.device_id)
            .await
            .unwrap(),
        outbox(&device.db_path()),
        "central now holds every event, the retried one once"
    );
    // A seq with no event is refused without a request.
    assert!(matches!(
        to_new.retry_dead_letter(v0 + 1000).await,
        Err(SyncError::Invalid(_))
    ));
    to_new.drain().await.unwrap();
    assert_eq!(
        new.central.backend.counts().await.unwrap().events as usize,
        outbox(&device.db_path()).len()
    );
}

async fn an_outbox_of_v1_fixtures_syncs_and_every_event_is_accepted() {
    let central = spawn_central(Limits::default()).await;
    let device = Device::new(12);
    let creds = device
        .enrol(&central.url, &central.code("corner").await)
        .await;
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/tests/fixtures/events");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    let mut added = 0;
    for path in names
        .iter()
        .filter(|p| p.to_string_lossy().ends_with(".v1.json"))
    {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        append_raw(
            &device,
            v["type"].as_str().unwrap(),
            1,
            &v["data"].to_string(),
            v["id"].as_str().unwrap(),
        );
        added += 1;
    }
    assert!(
        added >= 20,
        "only {added} fixtures found in {}",
        dir.display()
    );
    relay(
        &device,
        creds.clone(),
        &central.url,
        T,
        BatchLimits::default(),
    )
    .drain()
    .await
    .unwrap();

    assert_eq!(device.pending(), 0);
    assert!(device
        .store()
        .dead_letters(Some(DEAD_LETTER_HANDLER))
        .unwrap()
        .is_empty());
    assert_eq!(
        central
            .central
            .backend
            .events_of(creds.device_id)
            .await
            .unwrap(),
        outbox(&device.db_path())
    );
}

async fn a_central_restored_from_an_older_backup_gets_the_missing_events_again() {
    let first = spawn_central(Limits::default()).await;
    let device = Device::new(13);
    for i in 0..3 {
        device.sell(i, 1);
    }
    let creds = device.enrol(&first.url, &first.code("corner").await).await;
    relay(&device, creds, &first.url, T, BatchLimits::default())
        .drain()
        .await
        .unwrap();
    assert_eq!(device.pending(), 0);

    // A second central that knows nothing of the device (its data was lost).
    let second = spawn_central(Limits::default()).await;
    let creds = device
        .enrol(&second.url, &second.code("corner").await)
        .await;
    device.sell(0, 1);
    let r = relay(
        &device,
        creds.clone(),
        &second.url,
        T,
        BatchLimits {
            max_events: 4,
            max_bytes: 1 << 20,
        },
    );
    for _ in 0..50 {
        r.push_once().await.unwrap();
        if second
            .central
            .backend
            .events_of(creds.device_id)
            .await
            .unwrap()
            .len()
            == outbox(&device.db_path()).len()
        {
            break;
        }
    }
    assert_eq!(
        second
            .central
            .backend
            .events_of(creds.device_id)
            .await
            .unwrap(),
        outbox(&device.db_path())
    );
}

struct FakeClock(AtomicU64);
impl Monotonic for FakeClock {
    fn now(&self) -> Duration {
        Duration::from_millis(self.0.load(Ordering::SeqCst))
    }
}

async fn while_the_breaker_is_open_a_sync_attempt_makes_no_connection() {
    // A "central" that accepts connections and hangs up, noting each peer's port.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let peers = Arc::new(std::sync::Mutex::new(Vec::<u16>::new()));
    let p = Arc::clone(&peers);
    let task = tokio::spawn(async move {
        while let Ok((s, peer)) = listener.accept().await {
            p.lock().unwrap().push(peer.port());
            drop(s);
        }
    });
    // Connections the relay made so far. A marker connection of ours is accepted
    // after every earlier one (the backlog is first in, first out), so once it shows
    // up the count is settled: no sleeping and hoping.
    let markers = AtomicU64::new(0);
    let settled = || async {
        let marker = tokio::net::TcpStream::connect(addr).await.unwrap();
        let port = marker.local_addr().unwrap().port();
        let seen = markers.fetch_add(1, Ordering::SeqCst) + 1;
        loop {
            let got = peers.lock().unwrap().clone();
            if got.contains(&port) {
                return got.len() as u64 - seen;
            }
            tokio::task::yield_now().await;
        }
    };
    let device = Device::new(14);
    device.sell(0, 1);
    let identity = device.shop.device().unwrap().unwrap();
    let creds = rustok_sync::credentials::Credentials {
        central_url: format!("http://{addr}"),
        device_id: identity.device_id,
        tenant_id: identity.tenant_id,
        tenant_slug: "corner".into(),
        secret: "00".repeat(32),
        store: None,
    };
    let clock = Arc::new(FakeClock(AtomicU64::new(0)));
    let breaker = Breaker::new(
        BreakerConfig {
            window: 4,
            minimum_calls: 2,
            failure_rate_percent: 50,
            open_for: Duration::from_secs(30),
            ..BreakerConfig::default()
        },
        clock.clone(),
    );
    let client = Client::new(creds, Arc::new(rustok_core::system::SystemClock), T).unwrap();
    let relay = Relay::new(
        device.store(),
        client,
        breaker,
        BatchLimits::default(),
        device.clock.clone(),
    );
    for _ in 0..2 {
        let e = relay.push_once().await.unwrap_err();
        assert!(e.is_unavailability(), "{e}");
    }
    let before = settled().await;
    assert!(
        before >= 2,
        "the failing calls reached the network ({before})"
    );
    for _ in 0..5 {
        match relay.push_once().await {
            Err(SyncError::BreakerOpen { retry_after }) => assert!(retry_after > Duration::ZERO),
            other => panic!("expected the breaker to refuse, got {other:?}"),
        }
    }
    assert_eq!(settled().await, before, "no connection while open");
    // After the open period one trial goes out again.
    clock.0.store(31_000, Ordering::SeqCst);
    assert!(relay.push_once().await.unwrap_err().is_unavailability());
    assert!(
        settled().await > before,
        "the half-open trial reached the network"
    );
    task.abort();
}

crate::on_both!(
    a_rejected_event_becomes_a_dead_letter_and_later_events_are_still_acked,
    a_retried_dead_letter_stays_while_central_rejects_it_and_syncs_once_central_understands_it,
    an_outbox_of_v1_fixtures_syncs_and_every_event_is_accepted,
    a_central_restored_from_an_older_backup_gets_the_missing_events_again,
    while_the_breaker_is_open_a_sync_attempt_makes_no_connection,
);

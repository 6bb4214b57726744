//! The index can never stop the till: it runs in a worker process, every question
//! has a deadline, a stuck, silent or crashed worker is replaced (rebuilding from
//! SQLite) while the shop answers from SQLite, and shutting down never waits for
//! ever. Fake workers (shell scripts) play the stuck ones; the real worker
//! (`rustok-index-worker`) plays the rest.

use crate::helpers::*;
use rustok_core::bus::{Bus, BusConfig, EventHandler, ThreadSleeper};
use rustok_core::domain::product::Product;
use rustok_core::index::remote::{
    IndexConfig, IndexPhase, RemoteIndex, RemoteIndexHandler, WorkerCommand,
};
use rustok_core::index::wire::{self, Digest, FromWorker, Note};
use rustok_core::index::{Index, IndexError, OpenReport, ProductSearch, SearchIndex};
use rustok_core::store::OrderQuery;
use rustok_core::system::SystemClock;
use rustok_core::testing::SeededEntropy;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn worker() -> WorkerCommand {
    WorkerCommand {
        program: env!("CARGO_BIN_EXE_rustok-index-worker").into(),
        args: vec![],
    }
}

/// A worker played by `sh -c script` (the worker's own arguments follow, unused).
fn fake(script: &str) -> WorkerCommand {
    WorkerCommand {
        program: "sh".into(),
        args: vec!["-c".into(), script.into(), "fake-worker".into()],
    }
}

/// A fake worker that says it is ready, then never answers again.
fn ready_then_stuck(dir: &Path) -> WorkerCommand {
    let mut frame = Vec::new();
    wire::write_frame(
        &mut frame,
        &FromWorker::Note(Note::Ready(OpenReport::default())),
    )
    .unwrap();
    let file = dir.join("ready.frame");
    std::fs::write(&file, frame).unwrap();
    fake(&format!("cat '{}'; exec sleep 600", file.display()))
}

fn quick(deadline_ms: u64) -> IndexConfig {
    IndexConfig {
        deadline: Duration::from_millis(deadline_ms),
        // Long enough for a fake worker to start and speak on a loaded machine
        // (`make test` runs test binaries beside each other).
        open_silence: Duration::from_secs(3),
        backoff: Duration::from_millis(50),
        backoff_max: Duration::from_millis(200),
        ..IndexConfig::default()
    }
}

fn start(t: &TestShop, command: WorkerCommand, config: IndexConfig) -> Arc<RemoteIndex> {
    RemoteIndex::start(command, &t.db_path(), &t.dir.path().join("index"), config).unwrap()
}

/// Polls `f` until it holds, at most `secs` seconds.
fn eventually(secs: u64, what: &str, mut f: impl FnMut() -> bool) {
    let end = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < end, "not within {secs} s: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The digest of an index rebuilt from scratch, in this process, from the shop's
/// database as it is now.
fn clean_digest(t: &TestShop) -> Digest {
    let dir = tempfile::tempdir().unwrap();
    let (index, _) = Index::open(&dir.path().join("clean"), t.shop.store(), &mut |_| {}).unwrap();
    index.digest().unwrap()
}

fn catalog(t: &TestShop, n: usize) -> Vec<Product> {
    (0..n)
        .map(|i| t.product(&format!("TEA-{i:03}"), 100 + i as i64, 1_000_000))
        .collect()
}

fn search(text: &str) -> ProductSearch {
    ProductSearch {
        text: text.into(),
        limit: 20,
        ..ProductSearch::default()
    }
}

/// Shuts `index` down on another thread; fails if that does not return in time.
fn shut_down_in_time(index: Arc<RemoteIndex>) {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        index.shut_down();
        let _ = tx.send(());
    });
    rx.recv_timeout(Duration::from_secs(15))
        .expect("shutting the index down returned");
}

#[test]
fn the_worker_process_answers_like_an_index_in_this_process_and_a_clean_close_is_trusted() {
    let t = spawn_shop();
    let products = catalog(&t, 30);
    t.open_shift(0);
    for p in products.iter().take(10) {
        t.sell(&[(p, 2)]);
    }
    let remote = start(&t, worker(), IndexConfig::default());
    assert!(
        remote.wait_ready(Duration::from_secs(60)),
        "{:?}",
        remote.status()
    );
    remote.catch_up_to(u64::MAX).unwrap();
    assert_eq!(remote.digest().unwrap(), clean_digest(&t));
    let (local, _) = Index::open(&t.dir.path().join("local"), t.shop.store(), &mut |_| {}).unwrap();
    for q in [
        "tea",
        "item tea-00",
        "товар",
        "TEA-007",
        "nothing-like-this",
    ] {
        assert_eq!(
            remote.search_products(&search(q)).unwrap(),
            local.search_products(&search(q)).unwrap(),
            "{q}"
        );
    }
    let all = OrderQuery {
        limit: 50,
        ..OrderQuery::default()
    };
    assert_eq!(remote.orders(&all).unwrap(), local.orders(&all).unwrap());

    // Events handed over by the bus handler, one at a time.
    let before = t.event_count();
    for p in products.iter().skip(10).take(5) {
        t.sell(&[(p, 1)]);
    }
    let handler = RemoteIndexHandler::new(remote.clone());
    for e in t.shop.store().events_after(before, 1_000).unwrap() {
        handler.handle(&e).unwrap();
    }
    assert_eq!(remote.digest().unwrap(), clean_digest(&t));

    // A clean close is trusted at the next start; what came meanwhile is caught up.
    shut_down_in_time(remote);
    t.sell(&[(&products[0], 1)]);
    let remote = start(&t, worker(), IndexConfig::default());
    assert!(remote.wait_ready(Duration::from_secs(60)));
    let opened = remote.status().last_open.unwrap();
    assert_eq!(opened.rebuilt, None, "{opened:?}");
    remote.catch_up_to(u64::MAX).unwrap();
    assert_eq!(remote.digest().unwrap(), clean_digest(&t));
    shut_down_in_time(remote);
}

#[test]
fn a_worker_that_misses_its_deadline_is_replaced_and_the_shop_answers_from_sqlite_meanwhile() {
    let t = spawn_shop();
    let products = catalog(&t, 3);
    // A long pause before the restart, so "at once" below is not raced by the
    // next (equally stuck) worker becoming ready.
    let config = IndexConfig {
        backoff: Duration::from_secs(3),
        backoff_max: Duration::from_secs(3),
        ..quick(300)
    };
    let remote = start(&t, ready_then_stuck(t.dir.path()), config);
    t.shop.attach_index(remote.clone());
    assert!(remote.wait_ready(Duration::from_secs(10)));
    // The supervisor's own catch-up after "ready" is as stuck as this question:
    // whichever misses its deadline first takes the worker out of service, and a
    // question still waiting then hears at once that no answer will come.
    let first = remote.search_products(&search("tea"));
    assert!(
        matches!(
            first,
            Err(IndexError::Stalled { .. } | IndexError::Unavailable(_))
        ),
        "{first:?}"
    );
    // Taken out of service at once: the next question is refused without waiting.
    let next = remote.search_products(&search("tea"));
    assert!(matches!(next, Err(IndexError::Unavailable(_))), "{next:?}");
    let found = t
        .shop
        .search_products(&t.cashier, &search("TEA-001"))
        .unwrap();
    assert_eq!(
        found.iter().map(|p| p.id).collect::<Vec<_>>(),
        vec![products[1].id]
    );
    let status = remote.status();
    assert_eq!(status.stalls, 1, "{status:?}");
    eventually(20, "a new worker was started", || {
        remote.status().restarts >= 1
    });
    shut_down_in_time(remote);
}

#[test]
fn a_worker_silent_while_opening_or_exiting_is_replaced_and_shutdown_never_hangs() {
    for (script, why) in [
        ("exec sleep 600", "said nothing"),
        ("echo boom >&2; exit 3", "exited"),
    ] {
        let t = spawn_shop();
        let remote = start(&t, fake(script), quick(300));
        let mut reasons = Vec::new();
        eventually(20, "restarted twice", || {
            if let IndexPhase::Down { reason } = remote.status().phase {
                reasons.push(reason);
            }
            remote.status().restarts >= 2
        });
        assert!(
            reasons.iter().any(|r| r.contains(why)),
            "{script}: {reasons:?}"
        );
        assert!(matches!(
            remote.orders(&OrderQuery::default()),
            Err(IndexError::Unavailable(_))
        ));
        shut_down_in_time(remote);
    }
}

/// Sells flat out for `secs` with the index attached as the app wires it (worker
/// process, bus handler), reading orders and products through the shop every
/// hundred sales; returns the longest read and sale.
fn sell_with_reads(
    t: &TestShop,
    products: &[Product],
    secs: u64,
    rng: &SeededEntropy,
) -> (Duration, Duration, u64) {
    let end = Instant::now() + Duration::from_secs(secs);
    let (mut longest_read, mut longest_sale, mut sold) = (Duration::ZERO, Duration::ZERO, 0u64);
    while Instant::now() < end {
        let p = &products[rng.next_u64() as usize % products.len()];
        let at = Instant::now();
        t.sell(&[(p, 1)]);
        longest_sale = longest_sale.max(at.elapsed());
        sold += 1;
        if sold % 100 == 0 {
            let at = Instant::now();
            let orders = t
                .shop
                .orders(
                    &t.cashier,
                    &OrderQuery {
                        limit: 20,
                        ..OrderQuery::default()
                    },
                )
                .unwrap();
            assert_eq!(orders.len(), 20);
            let word = format!("tea-{:03}", rng.next_u64() % products.len() as u64);
            let found = t.shop.search_products(&t.cashier, &search(&word)).unwrap();
            assert!(!found.is_empty(), "{word}");
            longest_read = longest_read.max(at.elapsed());
        }
    }
    (longest_read, longest_sale, sold)
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `make stall` runs this for ten minutes (RUSTOK_STALL_SECS=600); `make test` for a
/// few seconds.
#[test]
fn the_till_sells_flat_out_with_index_reads_and_never_waits_past_the_deadline() {
    let secs = env_or("RUSTOK_STALL_SECS", 8);
    let t = spawn_shop();
    let products = catalog(&t, 40);
    t.open_shift(0);
    let config = IndexConfig::default();
    let deadline = config.deadline;
    let remote = start(&t, worker(), config);
    t.shop.attach_index(remote.clone());
    let bus = Bus::start(
        t.shop.store().clone(),
        vec![Arc::new(RemoteIndexHandler::new(remote.clone()))],
        BusConfig::default(),
        Arc::new(ThreadSleeper),
        Arc::new(SystemClock),
    )
    .unwrap();
    let rng = SeededEntropy::new(0x57a11);
    let (longest_read, longest_sale, sold) = sell_with_reads(&t, &products, secs, &rng);
    let status = remote.status();
    eprintln!(
        "STALL secs={secs} sold={sold} longest_read_ms={} longest_sale_ms={} stalls={} restarts={}",
        longest_read.as_millis(),
        longest_sale.as_millis(),
        status.stalls,
        status.restarts
    );
    // The contract is the deadline; the margin is for this machine's scheduling.
    let bound = deadline + Duration::from_millis(500);
    assert!(longest_read <= bound, "a read waited {longest_read:?}");
    assert!(longest_sale <= bound, "a sale waited {longest_sale:?}");
    bus.shutdown();
    // The index recovers by itself and ends equal to a clean rebuild.
    assert!(
        remote.wait_ready(Duration::from_secs(120)),
        "{:?}",
        remote.status()
    );
    remote.catch_up_to(u64::MAX).unwrap();
    assert_eq!(remote.digest().unwrap(), clean_digest(&t));
    shut_down_in_time(remote);
}

/// `make crash-loop` runs this 200 times (RUSTOK_KILL_LOOPS=200); `make test` a few.
/// Every other round the worker is killed (kill -9) at a random moment while the
/// till sells; then the till restarts. The start never waits for the index, the shop
/// answers at once, and the index comes back equal to a clean rebuild.
#[test]
fn after_any_kill_the_till_starts_at_once_and_the_index_comes_back_whole() {
    let loops = env_or("RUSTOK_KILL_LOOPS", 4);
    let t = spawn_shop();
    let products = catalog(&t, 20);
    t.open_shift(0);
    let rng = SeededEntropy::new(0xc0ffee);
    let mut rebuilt = 0;
    for round in 0..loops {
        let at = Instant::now();
        let remote = start(&t, worker(), IndexConfig::default());
        t.shop.attach_index(remote.clone());
        // The shop answers right away, from the index or from SQLite.
        let found = t
            .shop
            .search_products(&t.cashier, &search("tea-001"))
            .unwrap();
        assert_eq!(found.len(), 1);
        let opened = at.elapsed();
        assert!(
            opened < Duration::from_secs(1),
            "round {round}: start took {opened:?}"
        );
        assert!(
            remote.wait_ready(Duration::from_secs(120)),
            "round {round}: {:?}",
            remote.status()
        );
        if remote.status().last_open.and_then(|o| o.rebuilt).is_some() {
            rebuilt += 1;
        }
        remote.catch_up_to(u64::MAX).unwrap();
        assert_eq!(remote.digest().unwrap(), clean_digest(&t), "round {round}");
        let handler = RemoteIndexHandler::new(remote.clone());
        let kill_after = (rng.next_u64() % 200) as usize;
        for i in 0..200usize {
            if i == kill_after && round % 2 == 0 {
                let pid = remote.worker_pid().expect("a worker runs");
                let killed = std::process::Command::new("kill")
                    .args(["-9", &pid.to_string()])
                    .status()
                    .unwrap();
                assert!(killed.success());
            }
            let before = t.event_count();
            t.sell(&[(&products[i % products.len()], 1)]);
            for e in t.shop.store().events_after(before, 100).unwrap() {
                handler.handle(&e).unwrap();
            }
        }
        drop(t.shop.detach_index());
        drop(handler);
        shut_down_in_time(remote);
    }
    eprintln!("KILL_LOOPS loops={loops} rebuilt_on_open={rebuilt}");
}

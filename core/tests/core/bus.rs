//! The event bus: a full queue never blocks a sale, handlers catch up from SQLite,
//! failures become dead letters that replay.

use crate::helpers::*;
use rustok_core::bus::{Bus, BusConfig, EventHandler, HandlerError, Sleeper};
use rustok_core::domain::event::Envelope;
use rustok_core::domain::stock::Quantity;
use rustok_core::index::{Index, IndexHandler};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// Records every seq it handles; can be held shut, and can refuse stock events.
#[derive(Default)]
struct Recorder {
    seen: Mutex<Vec<u64>>,
    changed: Condvar,
    gate_closed: Mutex<bool>,
    gate: Condvar,
    refuse_stock: AtomicBool,
}

impl Recorder {
    fn close(&self) {
        *self.gate_closed.lock().unwrap() = true;
    }

    fn open(&self) {
        *self.gate_closed.lock().unwrap() = false;
        self.gate.notify_all();
    }

    /// Waits (bounded) until `seq` was handled; returns every seq seen.
    fn wait_for(&self, seq: u64) -> Vec<u64> {
        let seen = self.seen.lock().unwrap();
        let (seen, timeout) = self
            .changed
            .wait_timeout_while(seen, Duration::from_secs(120), |s| {
                s.last().is_none_or(|l| *l < seq)
            })
            .unwrap();
        assert!(
            !timeout.timed_out(),
            "handler stopped at {:?}, expected {seq}",
            seen.last()
        );
        seen.clone()
    }
}

impl EventHandler for Recorder {
    fn name(&self) -> &'static str {
        "recorder"
    }

    fn handle(&self, e: &Envelope) -> Result<(), HandlerError> {
        drop(
            self.gate
                .wait_while(self.gate_closed.lock().unwrap(), |closed| *closed)
                .unwrap(),
        );
        if e.event_type == "StockMoved" && self.refuse_stock.load(Ordering::SeqCst) {
            return Err(format!("cannot index stock event {}", e.seq).into());
        }
        let mut seen = self.seen.lock().unwrap();
        if seen.last().is_none_or(|l| *l < e.seq) {
            seen.push(e.seq);
        }
        self.changed.notify_all();
        Ok(())
    }
}

#[derive(Default)]
struct NoSleep(Mutex<Vec<Duration>>);

impl Sleeper for NoSleep {
    fn sleep(&self, d: Duration) {
        self.0.lock().unwrap().push(d);
    }
}

fn start(t: &TestShop, recorder: &Arc<Recorder>, sleeper: &Arc<NoSleep>, config: BusConfig) -> Bus {
    Bus::start(
        t.shop.store().clone(),
        vec![recorder.clone() as Arc<dyn EventHandler>],
        config,
        sleeper.clone(),
        t.clock.clone(),
    )
    .unwrap()
}

fn quick() -> BusConfig {
    BusConfig {
        idle_poll: Duration::from_millis(20),
        ..BusConfig::default()
    }
}

#[test]
fn a_blocked_handler_never_blocks_commands_and_catches_up_completely() {
    const COMMANDS: usize = 20_000;
    let t = spawn_shop();
    let p = t.product("BUS", 100, 0);
    let recorder = Arc::new(Recorder::default());
    let sleeper = Arc::new(NoSleep::default());
    // No idle catch-up during the test: what the queue dropped must be recovered on
    // the queue path itself, when the next event shows the gap.
    let config = BusConfig {
        idle_poll: Duration::from_secs(3600),
        ..BusConfig::default()
    };
    // The index rides on the same bus, behind the blocked handler.
    let index_dir = t.dir.path().join("index");
    let (index, _) = Index::open(&index_dir, t.shop.store(), &mut |_| {}).unwrap();
    let index = Arc::new(index);
    let bus = Bus::start(
        t.shop.store().clone(),
        vec![
            recorder.clone() as Arc<dyn EventHandler>,
            Arc::new(IndexHandler::new(index.clone(), t.shop.store().clone())),
        ],
        config,
        sleeper.clone(),
        t.clock.clone(),
    )
    .unwrap();
    recorder.wait_for(t.event_count());
    recorder.close();
    for _ in 0..COMMANDS {
        t.shop
            .receive_stock(&t.manager, p.id, Quantity::new(1).unwrap(), None)
            .unwrap();
    }
    let stats = bus.stats();
    assert!(
        stats.overflowed > 0,
        "the queue should have overflowed: {stats:?}"
    );
    assert_eq!(stats.high_water, 1, "one warning at 70 %: {stats:?}");
    recorder.open();
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while bus.stats().queued > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the queue never drained"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    // One more command after the queue drained: its event reveals the gap.
    t.shop
        .receive_stock(&t.manager, p.id, Quantity::new(1).unwrap(), None)
        .unwrap();
    let last = t.event_count();
    let seen = recorder.wait_for(last);
    let missing: Vec<u64> = (1..=last)
        .filter(|s| seen.binary_search(s).is_err())
        .collect();
    assert!(
        missing.is_empty(),
        "{} events never reached the handler, first {:?}",
        missing.len(),
        &missing[..missing.len().min(5)]
    );
    assert_eq!(
        seen.len() as u64,
        last,
        "every event exactly once, in order"
    );
    // The index caught up completely: the same entries as a clean rebuild.
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while index.checkpoint().unwrap() < last {
        assert!(
            std::time::Instant::now() < deadline,
            "the index stopped behind"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    bus.shutdown();
    assert_eq!(t.shop.store().checkpoint("recorder").unwrap(), last);
    assert_eq!(t.shop.store().checkpoint("index").unwrap(), last);
    let clean_dir = tempfile::tempdir().unwrap();
    let (clean, _) = Index::open(&clean_dir.path().join("i"), t.shop.store(), &mut |_| {}).unwrap();
    assert_eq!(index.entries().unwrap(), clean.entries().unwrap());
    assert_eq!(index.search_keys(), clean.search_keys());
    assert_eq!(index.stats().unwrap().products, 1);
}

#[test]
fn events_committed_while_no_bus_ran_are_caught_up_and_none_twice() {
    let t = spawn_shop();
    let p = t.product("CATCH", 100, 5);
    let sleeper = Arc::new(NoSleep::default());
    let first = Arc::new(Recorder::default());
    let bus = start(&t, &first, &sleeper, quick());
    let before_restart = t.event_count();
    first.wait_for(before_restart);
    bus.shutdown();
    // Committed with no bus attached, as after a crash between commit and apply.
    for _ in 0..10 {
        t.shop
            .receive_stock(&t.manager, p.id, Quantity::new(1).unwrap(), None)
            .unwrap();
    }
    let second = Arc::new(Recorder::default());
    let bus = start(&t, &second, &sleeper, quick());
    let last = t.event_count();
    assert_eq!(
        second.wait_for(last),
        (before_restart + 1..=last).collect::<Vec<_>>()
    );
    drop(bus);
}

#[test]
fn a_failing_handler_leaves_one_dead_letter_per_event_and_replay_clears_them() {
    let t = spawn_shop();
    let p = t.product("DEAD", 100, 0);
    let recorder = Arc::new(Recorder::default());
    let sleeper = Arc::new(NoSleep::default());
    recorder.refuse_stock.store(true, Ordering::SeqCst);
    let config = BusConfig {
        max_attempts: 3,
        backoff_base: Duration::from_millis(10),
        backoff_cap: Duration::from_millis(15),
        ..quick()
    };
    let bus = start(&t, &recorder, &sleeper, config);
    for _ in 0..5 {
        t.shop
            .receive_stock(&t.manager, p.id, Quantity::new(2).unwrap(), None)
            .unwrap();
    }
    let stock_seqs: Vec<u64> = t
        .shop
        .store()
        .events_after(0, 10_000)
        .unwrap()
        .into_iter()
        .filter(|e| e.event_type == "StockMoved")
        .map(|e| e.seq)
        .collect();
    assert_eq!(stock_seqs.len(), 5);
    // Every one of them fails; wait until the fifth dead letter is written.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while bus.stats().dead_letters < 5 {
        assert!(std::time::Instant::now() < deadline, "{:?}", bus.stats());
        std::thread::yield_now();
    }
    // The handler moved on: a later event of another kind is handled.
    t.product("AFTER", 100, 0);
    recorder.wait_for(t.event_count());
    let dead = bus.dead_letters().unwrap();
    assert_eq!(
        dead.iter().map(|d| d.seq).collect::<Vec<_>>(),
        stock_seqs,
        "exactly one per failing event"
    );
    assert!(dead
        .iter()
        .all(|d| d.attempts == 3 && d.handler == "recorder" && d.error.contains("cannot index")));
    // Two waits per event between its three attempts: 10 ms, then 15 ms (capped).
    let waits = sleeper.0.lock().unwrap().clone();
    assert_eq!(waits.len(), 10);
    assert!(waits
        .chunks(2)
        .all(|w| w == [Duration::from_millis(10), Duration::from_millis(15)]));

    recorder.refuse_stock.store(false, Ordering::SeqCst);
    let report = bus.replay("recorder").unwrap();
    assert_eq!((report.replayed, report.still_failing), (5, 0));
    assert!(bus.dead_letters().unwrap().is_empty());
    assert!(matches!(
        bus.replay("nobody"),
        Err(rustok_core::bus::BusError::UnknownHandler(_))
    ));
}

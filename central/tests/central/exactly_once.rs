//! Exactly-once delivery through a fault-injecting proxy, over many seeds. Each seed
//! is a random mix of sales, pushes and faults; after the faults stop and sync
//! completes, central holds exactly the device's outbox. `RUSTOK_SYNC_SEED=n` runs
//! one seed (to replay a failure).

use crate::helpers::{outbox, relay, spawn_central, Device};
use rustok_central::Limits;
use rustok_sync::relay::{BatchLimits, DEAD_LETTER_HANDLER};
use rustok_sync::testing::{Proxy, Rng};
use std::time::Duration;

const SEEDS: u64 = 200;
const TIMEOUT: Duration = Duration::from_millis(100);
const HOLD: Duration = Duration::from_millis(120);

fn permissive() -> Limits {
    Limits {
        device_rate_per_sec: 1e6,
        device_burst: 1e6,
        ..Limits::default()
    }
}

/// Runs one seed; returns what went wrong, if anything.
async fn run_seed(seed: u64) -> Result<(usize, usize), String> {
    let central = spawn_central(permissive()).await;
    let device = Device::new(seed);
    let creds = device
        .enrol(&central.url, &central.code("corner").await)
        .await;
    let proxy = Proxy::start(central.addr, seed, HOLD).await.unwrap();
    let mut rng = Rng::new(seed ^ 0x5EED);
    let limits = BatchLimits {
        max_events: 1 + rng.below(8) as u32,
        max_bytes: if rng.below(3) == 0 { 2_000 } else { 1 << 20 },
    };
    let relay = relay(&device, creds.clone(), &proxy.url, TIMEOUT, limits);
    let rounds = 4 + rng.below(8);
    for round in 0..rounds {
        for _ in 0..rng.below(4) {
            device.sell(
                round as usize + rng.below(3) as usize,
                1 + rng.below(3) as i64,
            );
        }
        for _ in 0..1 + rng.below(4) {
            let _ = relay.push_once().await;
        }
    }
    proxy.heal();
    // Sync as the sync task would: retry whatever still fails (a loaded machine can
    // still time a request out) until nothing is pending.
    let mut last_error = None;
    for _ in 0..200 {
        if device.pending() == 0 {
            break;
        }
        if let Err(e) = relay.push_once().await {
            last_error = Some(e.to_string());
        }
    }
    let held = central
        .central
        .backend
        .events_of(creds.device_id)
        .await
        .map_err(|e| e.to_string())?;
    let local = outbox(&device.db_path());
    if device.pending() != 0 {
        return Err(format!(
            "{} events still pending; last error: {last_error:?}",
            device.pending()
        ));
    }
    if held != local {
        let h: Vec<u64> = held.iter().map(|e| e.seq).collect();
        let l: Vec<u64> = local.iter().map(|e| e.seq).collect();
        return Err(format!(
            "central holds seqs {h:?}, the device {l:?} (or the events differ)"
        ));
    }
    // Nothing counted twice in what central derives from the events either.
    let paid = local.iter().filter(|e| e.event_type == "OrderPaid").count() as u64;
    let report = central
        .central
        .backend
        .daily_sales(creds.tenant_id, "2026-11-21")
        .await
        .map_err(|e| e.to_string())?;
    let counted: u64 = report.stores.iter().map(|s| s.orders).sum();
    if counted != paid {
        return Err(format!(
            "the sales report counts {counted} paid orders, the device made {paid}"
        ));
    }
    let dead = device
        .store()
        .dead_letters(Some(DEAD_LETTER_HANDLER))
        .unwrap();
    if !dead.is_empty() {
        return Err(format!("dead letters: {dead:?}"));
    }
    let faults = proxy.faults().len();
    Ok((local.len(), faults))
}

async fn every_event_reaches_central_exactly_once_through_any_mix_of_faults() {
    let seeds: Vec<u64> = match std::env::var("RUSTOK_SYNC_SEED") {
        Ok(s) => vec![s.parse().expect("RUSTOK_SYNC_SEED must be a number")],
        Err(_) => (0..SEEDS).collect(),
    };
    let mut failed = Vec::new();
    let (mut events, mut faults) = (0, 0);
    for seed in seeds {
        match run_seed(seed).await {
            Ok((e, f)) => {
                events += e;
                faults += f;
            }
            Err(why) => {
                eprintln!("seed {seed} failed: {why}\n  replay: RUSTOK_SYNC_SEED={seed} cargo test -p rustok-central --test central exactly_once");
                failed.push(seed);
            }
        }
    }
    eprintln!("exactly-once: {events} events delivered through {faults} injected faults");
    assert!(failed.is_empty(), "failing seeds: {failed:?}");
    assert!(
        faults > 100,
        "the proxy injected only {faults} faults; the test would prove little"
    );
}

crate::on_both!(every_event_reaches_central_exactly_once_through_any_mix_of_faults,);

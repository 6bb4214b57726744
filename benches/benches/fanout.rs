//! `fanout`: one head-office price change reaching 50 online tills. Each till is a
//! real joined shop (its own SQLite database) with the real puller, online as the
//! agent keeps it: one pull waiting at central until the feed moves, then the page
//! applied and the next pull waiting. Timed: from head office's request to the
//! moment the last till has applied the new price. Against the same with one till
//! (the peer: what a single till's round trip costs). Target: at most 2 s.

// Bench setup: a failure there is a broken bench, reported by the panic.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use criterion::{criterion_group, Criterion};
use rustok_benches::chain::{chain, issue, join, Chain, TENANT, TOKEN};
use rustok_core::domain::product::Sku;
use rustok_core::service::Shop;
use rustok_core::system::SystemClock;
use rustok_sync::pull::Puller;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::mpsc;

const GROUP: &str = "fanout";
const PRODUCTS: usize = 20;
/// How long a till's pull waits at central, as the agent's (25 s).
const WAIT: Duration = Duration::from_secs(25);

fn tills() -> usize {
    if rustok_benches::full_run() {
        50
    } else {
        5
    }
}

/// The price of SKU-000000 as `shop` holds it.
fn price(shop: &Shop) -> i64 {
    let tenant = shop.device().unwrap().unwrap().tenant_id;
    shop.store()
        .read(|c| rustok_core::store::product_by_sku(c, tenant, &Sku::parse("SKU-000000").unwrap()))
        .unwrap()
        .map_or(-1, |p| p.fields.price.minor)
}

/// `n` joined tills with the catalog in, each with a task keeping a pull waiting at
/// central; a till reports its new price on `seen` whenever a pull applied something.
struct Fleet {
    _dirs: Vec<tempfile::TempDir>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    seen: mpsc::UnboundedReceiver<(usize, i64)>,
}

impl Drop for Fleet {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

async fn fleet(chain: &Chain, n: usize) -> Fleet {
    let (tx, seen) = mpsc::unbounded_channel();
    let mut dirs = Vec::new();
    let mut tasks = Vec::new();
    for i in 0..n {
        let dir = tempfile::tempdir_in(rustok_benches::scratch_dir()).unwrap();
        let code = issue(&chain.central).await;
        let (shop, creds) = join(chain, dir.path(), &code).await;
        let puller = Puller::new(
            shop.clone(),
            creds,
            Arc::new(SystemClock),
            Duration::from_secs(30),
            WAIT,
        )
        .unwrap();
        puller.pull_all().await.unwrap();
        let tx = tx.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                match puller.wait_and_pull(WAIT).await {
                    Ok(p) if p.applied > 0 => {
                        let _ = tx.send((i, price(&shop)));
                    }
                    Ok(_) => {}
                    Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                }
            }
        }));
        dirs.push(dir);
    }
    Fleet {
        _dirs: dirs,
        tasks,
        seen,
    }
}

/// Head office sets SKU-000000's price to `minor`; returns how long until every
/// till of `fleet` applied it.
async fn change(chain: &Chain, fleet: &mut Fleet, n: usize, minor: i64) -> Duration {
    let product = uuid::Uuid::from_u128(0x0192_f0e4_7000_7000_8000_0000_0000_0000);
    let http = reqwest::Client::new();
    // Let every till's pull be waiting at central again after the last change.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    let r = http
        .post(format!("{}/v1/admin/tenants/{TENANT}/changes", chain.url))
        .bearer_auth(TOKEN)
        .json(&serde_json::json!({ "protocol": 1, "changes": [
            { "kind": "product", "id": product, "fields": { "price": { "minor": minor, "currency": "EUR" } } }
        ] }))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let mut done = vec![false; n];
    while done.iter().any(|d| !d) {
        let (i, p) = tokio::time::timeout(Duration::from_secs(30), fleet.seen.recv())
            .await
            .expect("a till never applied the change")
            .expect("the fleet stopped");
        if p == minor {
            done[i] = true;
        }
    }
    started.elapsed()
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let chain = rt.block_on(chain(PRODUCTS));
    let next = AtomicI64::new(1_000);
    let mut g = c.benchmark_group(GROUP);
    g.sample_size(10);
    g.warm_up_time(Duration::from_millis(100));
    g.measurement_time(Duration::from_secs(1));
    // One fleet at a time: the peer is not slowed by the other fleet's work.
    for (name, size) in [("one_till", 1), ("tills", tills())] {
        let mut fleet = rt.block_on(fleet(&chain, size));
        g.bench_function(name, |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| {
                        let minor = next.fetch_add(1, Ordering::SeqCst);
                        rt.block_on(change(&chain, &mut fleet, size, minor))
                    })
                    .sum()
            })
        });
        drop(fleet);
    }
    g.finish();
}

criterion_group!(benches, bench);

fn main() {
    let since = SystemTime::now();
    benches();
    rustok_benches::finish(GROUP, &[("tills", "one_till")], since);
    if let Some(ns) = rustok_benches::median_ns(GROUP, "tills", since) {
        rustok_benches::report_line(&format!(
            "RESULT {GROUP}: one head-office price change applied by all {} online tills in {:.0} ms (target <= 2000 ms)",
            tills(),
            ns / 1e6
        ));
    }
}

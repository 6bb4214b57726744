//! `initial_sync`: a new till joins a chain whose head office holds a 100k-product
//! catalog (titles in English and Russian, EAN-13 barcodes) at the real central over
//! loopback (SQLite), pulls it page by page through the feed, and has it searchable
//! (the index built). Against the floor of inserting the same product rows into the
//! till's SQLite in one transaction. Targets: at most 5 s, at least 0.3× the floor's
//! products/s.
//!
//! Set-up (not timed, once): central, a first till that makes the chain (its settings
//! and operators), then head office's products through its admin API, 1,000 per
//! request. Each iteration is a new till on an empty database: join (redeem a code),
//! pull everything, build the index.

// Bench setup: a failure there is a broken bench, reported by the panic.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use criterion::{criterion_group, Criterion};
use rustok_benches::catalog::{barcode, titles, Rng};
use rustok_benches::chain::{chain, issue, join, Chain};
use rustok_core::index::Index;
use rustok_core::system::SystemClock;
use rustok_sync::pull::Puller;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

const GROUP: &str = "initial_sync";
fn products() -> usize {
    if rustok_benches::full_run() {
        100_000
    } else {
        2_000
    }
}

/// A new till on an empty database in `dir`: join, pull everything, build the
/// index. Returns how long that took and how many products it holds.
async fn new_till(chain: &Chain, dir: &Path) -> (Duration, usize) {
    let code = issue(&chain.central).await;
    let started = Instant::now();
    let (shop, creds) = join(chain, dir, &code).await;
    let puller = Puller::new(
        shop.clone(),
        creds,
        Arc::new(SystemClock),
        Duration::from_secs(60),
        Duration::from_secs(60),
    )
    .unwrap();
    let pulled = puller.pull_all().await.unwrap();
    let pull_took = started.elapsed();
    assert_eq!(pulled.cursor, pulled.head, "the whole feed in one go");
    let store = shop.store().clone();
    let ix = dir.join("index");
    let built = tokio::task::spawn_blocking(move || {
        let (index, _) = Index::open(&ix, &store, &mut |_| {}).unwrap();
        index
    })
    .await
    .unwrap();
    let took = started.elapsed();
    PHASES.lock().unwrap().push((pull_took, took - pull_took));
    let held = shop
        .store()
        .read(rustok_core::store::table_counts)
        .unwrap()
        .products as usize;
    let found = built
        .search_products(&rustok_core::index::ProductSearch {
            text: "SKU-000001".into(),
            ..Default::default()
        })
        .unwrap();
    assert!(!found.is_empty(), "searchable");
    (took, held)
}

/// The floor: the same product rows inserted into a till's database in one
/// transaction (a set-up shop; the rows as the till stores them).
fn floor(dir: &Path, rows: &[(String, String, String, String)]) -> Duration {
    let (shop, _) = rustok_benches::catalog::shop(dir);
    let tenant = shop.device().unwrap().unwrap().tenant_id.to_string();
    drop(shop);
    let mut c = rusqlite::Connection::open(dir.join("shop.db")).unwrap();
    c.pragma_update(None, "journal_mode", "WAL").unwrap();
    c.pragma_update(None, "synchronous", "FULL").unwrap();
    let started = Instant::now();
    let tx = c.transaction().unwrap();
    {
        let mut st = tx
            .prepare(
                "INSERT INTO products (id, tenant_id, sku, barcode, titles, descriptions, price, currency,
                        tax_rate_bp, status, on_hand, low_stock_threshold, version, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, '{}', 100, 'EUR', 2000, 'active', 0, 0, 1, '2026-12-06T00:00:00Z')",
            )
            .unwrap();
        for (id, sku, code, titles) in rows {
            st.execute(rusqlite::params![id, tenant, sku, code, titles])
                .unwrap();
        }
    }
    tx.commit().unwrap();
    started.elapsed()
}

fn floor_rows(n: usize) -> Vec<(String, String, String, String)> {
    let rng = Rng::new(7);
    (0..n)
        .map(|i| {
            let (en, ru) = titles(&rng);
            (
                uuid::Uuid::from_u128(0x0192_f0e4_7000_7000_8000_0000_0000_0000 | i as u128)
                    .to_string(),
                format!("SKU-{i:06}"),
                barcode(i),
                serde_json::json!({ "en": en, "ru": ru }).to_string(),
            )
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let n = products();
    let set_up = Instant::now();
    let chain = rt.block_on(chain(n));
    eprintln!(
        "{GROUP}: central holds {n} products after {:.1} s of set-up",
        set_up.elapsed().as_secs_f64()
    );
    let rows = floor_rows(n);
    let mut g = c.benchmark_group(GROUP);
    g.sample_size(10);
    g.warm_up_time(Duration::from_millis(100));
    g.measurement_time(Duration::from_secs(1));
    g.bench_function("new_till", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let dir = tempfile::tempdir_in(rustok_benches::scratch_dir()).unwrap();
                let (took, held) = rt.block_on(new_till(&chain, dir.path()));
                assert_eq!(held, n, "every product arrived");
                total += took;
            }
            total
        })
    });
    g.bench_function("sqlite_insert", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| {
                    let dir = tempfile::tempdir_in(rustok_benches::scratch_dir()).unwrap();
                    floor(dir.path(), &rows)
                })
                .sum()
        })
    });
    g.finish();
}

/// Per new till: joining and pulling, then building the index.
static PHASES: std::sync::Mutex<Vec<(Duration, Duration)>> = std::sync::Mutex::new(Vec::new());

criterion_group!(benches, bench);

fn main() {
    let since = SystemTime::now();
    benches();
    rustok_benches::finish(GROUP, &[("new_till", "sqlite_insert")], since);
    let n = products() as f64;
    let ours = rustok_benches::median_ns(GROUP, "new_till", since);
    let floor = rustok_benches::median_ns(GROUP, "sqlite_insert", since);
    if let (Some(o), Some(f)) = (ours, floor) {
        rustok_benches::report_line(&format!(
            "RESULT {GROUP}: a new till takes {n:.0} products in {:.2} s ({:.0} products/s, target <= 5 s); floor {:.0} products/s; ours/floor throughput = {:.2}x (target >= 0.3x)",
            o / 1e9,
            n / (o / 1e9),
            n / (f / 1e9),
            f / o,
        ));
    }
    let phases = PHASES.lock().unwrap();
    if let Some((pull, index)) = phases.last() {
        rustok_benches::report_line(&format!(
            "PHASES {GROUP} (last new till): join and pull {:.2} s, index built {:.2} s",
            pull.as_secs_f64(),
            index.as_secs_f64()
        ));
    }
}

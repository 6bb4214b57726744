//! `index_rebuild`: 1M documents (200k products, 800k orders) rebuilt into a new
//! sled index from the SQLite state tables, against raw sled inserts of the same
//! documents (one sled key per document, as the index encodes it, sorted, into a new
//! folder), in one run. Prints documents per second.

// Benchmark set-up that fails has nothing to measure: the panic is the report.
#![allow(clippy::expect_used)]

use criterion::{criterion_group, BatchSize, Criterion};
use rustok_benches::catalog;
use rustok_core::index::{Entry, Index};

const GROUP: &str = "index_rebuild";

fn bench(c: &mut Criterion) {
    let docs = rustok_benches::rebuild_docs();
    let (products, orders) = (docs / 5, docs - docs / 5);
    let docs = (products + orders) as f64;
    let dir = rustok_benches::fresh_dir("bench-rebuild");
    let (shop, _) = catalog::shop(&dir);
    catalog::fill(&dir.join("shop.db"), products, orders, 5);
    let store = shop.store();
    let (index, _) = catalog::ok(Index::open(&dir.join("index"), store, &mut |_| {}));
    let entries: Vec<Entry> = catalog::ok(index.entries());
    drop(index);
    // The documents themselves (products `p/`, orders `o/`, content `c/`), in key order.
    let documents: Vec<&Entry> = entries
        .iter()
        .filter(|(k, _)| [&b"p/"[..], b"o/", b"c/"].iter().any(|p| k.starts_with(p)))
        .collect();
    assert_eq!(
        documents.len() as f64,
        docs,
        "one document per product and order"
    );
    let fresh = |name: &str| {
        let path = dir.join(name);
        let _ = std::fs::remove_dir_all(&path);
        let _ = std::fs::remove_file(path.with_extension("manifest"));
        path
    };
    let mut g = c.benchmark_group(GROUP);
    g.sample_size(10);
    // A rebuild as it happens: the index folder is missing, opening rebuilds it.
    g.bench_function("rebuild_from_sqlite", |b| {
        b.iter_batched(
            || fresh("index"),
            |path| catalog::ok(Index::open(&path, store, &mut |_| {})),
            BatchSize::PerIteration,
        )
    });
    // The same documents, already encoded and sorted, inserted into a new sled folder.
    g.bench_function("raw_sled_inserts", |b| {
        b.iter_batched(
            || fresh("raw"),
            |path| {
                let raw = catalog::ok(
                    sled::Config::new()
                        .path(path)
                        .mode(sled::Mode::HighThroughput)
                        .cache_capacity(64 * 1024 * 1024)
                        .open(),
                );
                for (k, v) in &documents {
                    catalog::ok(raw.insert(k.as_slice(), v.as_slice()));
                }
                catalog::ok(raw.flush())
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
    rustok_benches::report_line(&format!(
        "ENTRIES {GROUP}: the index holds {} entries for {docs} documents",
        entries.len()
    ));
}

criterion_group!(benches, bench);

fn main() {
    let since = std::time::SystemTime::now();
    benches();
    rustok_benches::finish(GROUP, &[("rebuild_from_sqlite", "raw_sled_inserts")], since);
    let docs = rustok_benches::rebuild_docs() as f64;
    if let Some(ns) = rustok_benches::median_ns(GROUP, "rebuild_from_sqlite", since) {
        rustok_benches::report_line(&format!(
            "THROUGHPUT {GROUP}: {:.0} documents/s",
            docs / (ns / 1e9)
        ));
    }
}

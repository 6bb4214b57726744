//! `search`: 100k products with seeded English and Russian titles, 1,000 queries of
//! 1–3 word beginnings. Our sled index against SQLite FTS5 prefix queries (ranked,
//! `ORDER BY rank`) and against `LIKE`, all returning the first 20 hits, in one run.
//! Besides criterion's per-engine timing, each engine's per-query median and p99
//! over the 1,000 queries are printed (LATENCY lines).

// Benchmark set-up that fails has nothing to measure: the panic is the report.
#![allow(clippy::expect_used)]

use criterion::{criterion_group, Criterion};
use rusqlite::{params, Connection};
use rustok_benches::catalog;
use rustok_core::index::{Index, ProductSearch};
use std::time::{Duration, Instant};

const GROUP: &str = "search";
const LIMIT: u32 = 20;

struct Engines {
    index: Index,
    conn: Connection,
    queries: Vec<String>,
}

fn words(q: &str) -> Vec<String> {
    q.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

impl Engines {
    fn index(&self, q: &str) -> usize {
        let search = ProductSearch {
            text: q.to_owned(),
            limit: LIMIT,
            ..ProductSearch::default()
        };
        self.index.search_products(&search).expect("search").len()
    }

    fn fts5(&self, q: &str) -> usize {
        let expr = words(q)
            .iter()
            .map(|w| format!("\"{w}\"*"))
            .collect::<Vec<_>>()
            .join(" AND ");
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT rowid FROM bench_fts WHERE bench_fts MATCH ?1 ORDER BY rank LIMIT ?2",
            )
            .expect("prepare");
        let rows = st
            .query_map(params![expr, LIMIT], |r| r.get::<_, i64>(0))
            .expect("query");
        rows.count()
    }

    fn like(&self, q: &str) -> usize {
        let w = words(q);
        let pat = |i: usize| w.get(i).map(|w| format!("%{w}%"));
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT id FROM products WHERE status <> 'archived'
                 AND titles LIKE ?1 AND (?2 IS NULL OR titles LIKE ?2) AND (?3 IS NULL OR titles LIKE ?3)
                 LIMIT ?4",
            )
            .expect("prepare");
        let rows = st
            .query_map(params![pat(0), pat(1), pat(2), LIMIT], |r| {
                r.get::<_, String>(0)
            })
            .expect("query");
        rows.count()
    }
}

fn setup() -> Engines {
    let full = rustok_benches::full_run();
    let products = if full { 100_000 } else { 2_000 };
    let dir = rustok_benches::fresh_dir("bench-search");
    let (shop, _) = catalog::shop(&dir);
    let db = dir.join("shop.db");
    let titles = catalog::fill(&db, products, 0, 42);
    let (index, _) = Index::open(&dir.join("index"), shop.store(), &mut |_| {}).expect("index");
    let conn = Connection::open(&db).expect("open");
    conn.execute_batch(
        "CREATE VIRTUAL TABLE bench_fts USING fts5(title_en, title_ru, sku, barcode,
           tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3');
         INSERT INTO bench_fts (rowid, title_en, title_ru, sku, barcode)
           SELECT rowid, json_extract(titles, '$.en'), json_extract(titles, '$.ru'), sku, barcode
           FROM products WHERE status <> 'archived';",
    )
    .expect("fts5 table");
    Engines {
        index,
        conn,
        queries: catalog::queries(&titles, 1_000, 7),
    }
}

fn latencies(e: &Engines, name: &str, f: impl Fn(&Engines, &str) -> usize) {
    let mut samples: Vec<Duration> = Vec::with_capacity(e.queries.len() * 3);
    let mut hits = 0;
    let mut slowest: Vec<(Duration, &str)> = Vec::new();
    for _ in 0..3 {
        for q in &e.queries {
            let t = Instant::now();
            hits += f(e, q);
            samples.push(t.elapsed());
            slowest.push((t.elapsed(), q));
        }
    }
    slowest.sort();
    if std::env::var_os("RUSTOK_BENCH_SLOWEST").is_some() {
        eprintln!("slowest {name}: {:?}", &slowest[slowest.len() - 8..]);
    }
    let median = rustok_benches::percentile_us(&mut samples, 50.0);
    let p99 = rustok_benches::percentile_us(&mut samples, 99.0);
    rustok_benches::report_line(&format!(
        "LATENCY search/{name}: median {median:.1} µs, p99 {p99:.1} µs over {} queries ({} hits)",
        samples.len(),
        hits
    ));
}

fn bench(c: &mut Criterion) {
    let e = setup();
    if rustok_benches::full_run() {
        latencies(&e, "sled_index", Engines::index);
        latencies(&e, "fts5", Engines::fts5);
        latencies(&e, "like", Engines::like);
    }
    let mut g = c.benchmark_group(GROUP);
    let run =
        |g: &mut criterion::BenchmarkGroup<'_, _>, name: &str, f: fn(&Engines, &str) -> usize| {
            let mut i = 0;
            g.bench_function(name, |b| {
                b.iter(|| {
                    i = (i + 1) % e.queries.len();
                    f(&e, &e.queries[i])
                })
            });
        };
    run(&mut g, "sled_index", Engines::index);
    run(&mut g, "fts5", Engines::fts5);
    run(&mut g, "like", Engines::like);
    g.finish();
}

criterion_group!(benches, bench);

fn main() {
    let since = std::time::SystemTime::now();
    benches();
    rustok_benches::finish(
        GROUP,
        &[("sled_index", "fts5"), ("sled_index", "like")],
        since,
    );
}

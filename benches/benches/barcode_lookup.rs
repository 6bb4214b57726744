//! `barcode_lookup`: the checkout scan through the service (permission check from
//! the session cache, product from the moka cache) warm and cold, against an indexed
//! SQLite lookup of the same product, on 100k products, in one run; and the cache's
//! miss path alone (no SQLite), which the uncached lookup pays on top of the read.

// Benchmark set-up that fails has nothing to measure: the panic is the report.
#![allow(clippy::expect_used)]

use criterion::{criterion_group, BatchSize, Criterion};
use rustok_benches::catalog;
use rustok_core::cache::ProductCode;
use rustok_core::domain::product::Barcode;
use rustok_core::service::{Actor, Shop};
use rustok_core::store;
use std::sync::Arc;

const GROUP: &str = "barcode_lookup";

fn bench(c: &mut Criterion) {
    let products = if rustok_benches::full_run() {
        100_000
    } else {
        2_000
    };
    let dir = rustok_benches::fresh_dir("bench-barcode");
    let (shop, admin): (Arc<Shop>, Actor) = catalog::shop(&dir);
    catalog::fill(&dir.join("shop.db"), products, 0, 11);
    let codes: Vec<Barcode> = (0..products)
        .map(|i| catalog::ok(Barcode::parse(&catalog::barcode(i))))
        .collect();
    let hot = &codes[..1_000];
    let tenant = admin.tenant_id();
    let mut g = c.benchmark_group(GROUP);
    let mut i = 0;
    g.bench_function("sqlite_indexed", |b| {
        b.iter(|| {
            i = (i + 7) % codes.len();
            shop.store()
                .read(|c| store::product_by_barcode(c, tenant, &codes[i]))
                .expect("lookup")
        })
    });
    for code in hot {
        catalog::ok(shop.product_by_barcode(&admin, code));
    }
    g.bench_function("cached", |b| {
        b.iter(|| {
            i = (i + 7) % hot.len();
            shop.product_by_barcode(&admin, &hot[i]).expect("lookup")
        })
    });
    // The next code of the scan, forgotten by the cache (set-up, not timed).
    let forget_next = |i: &mut usize| {
        *i = (*i + 7) % codes.len();
        let code = ProductCode::Barcode(codes[*i].as_str().to_owned());
        shop.caches().forget_product(&code);
        (*i, code)
    };
    g.bench_function("uncached", |b| {
        b.iter_batched(
            || forget_next(&mut i).0,
            |i| shop.product_by_barcode(&admin, &codes[i]).expect("lookup"),
            BatchSize::SmallInput,
        )
    });
    // The cache's miss path alone: forget, then load through moka with a loader that
    // only clones a product already in memory (no SQLite). The uncached lookup pays
    // this and the SQLite read, so it cannot come under the SQLite read while this
    // costs anything.
    let loaded = catalog::ok(shop.product_by_barcode(&admin, &codes[0]));
    g.bench_function("cache_miss_only", |b| {
        b.iter_batched(
            || forget_next(&mut i).1,
            |code| {
                shop.caches()
                    .product(code, || Ok::<_, ()>(loaded.clone()), |_| ())
                    .expect("lookup")
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);

fn main() {
    let since = std::time::SystemTime::now();
    benches();
    rustok_benches::finish(
        GROUP,
        &[
            ("cached", "sqlite_indexed"),
            ("uncached", "sqlite_indexed"),
            ("cache_miss_only", "sqlite_indexed"),
        ],
        since,
    );
}

//! `catalog_import`: a CSV file of new products imported through the app's path
//! (read, every cell parsed and checked, SKU and barcode looked up, categories
//! resolved, products and their `ProductCreated` events written in batches of 500
//! rows per transaction), against the floor: the same rows, parsed and validated
//! beforehand, inserted straight into the products table with their events in one
//! transaction. Both on a fresh shop on the same disk each iteration. The ratio
//! reported is import time / floor time (the target, rows/s at least half
//! the floor's, is a ratio of at most 2).

use criterion::{criterion_group, BenchmarkId, Criterion};
use rustok_benches::catalog::{barcode, ok, shop};
use rustok_core::domain::clock::Clock;
use rustok_core::domain::event::{Origin, ProductCreated};
use rustok_core::domain::ids::{CorrelationId, ProductId};
use rustok_core::domain::locale::{Locale, Localized};
use rustok_core::domain::money::{Currency, Money};
use rustok_core::domain::product::{
    Barcode, Product, ProductFields, ProductStatus, ProductTitle, Sku, TaxRate,
};
use rustok_core::service::{Actor, Shop};
use rustok_core::store::{self, EventMeta, StoreError};
use rustok_core::system::{OsEntropy, SystemClock};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

const GROUP: &str = "catalog_import";

fn rows() -> usize {
    if rustok_benches::full_run() {
        10_000
    } else {
        1_000
    }
}

/// The file: SKU, barcode, two titles, price, tax, status, stock 0.
fn csv(n: usize) -> String {
    let mut text = String::from("sku,barcode,title_en,title_ru,price,tax,status\n");
    for i in 0..n {
        text.push_str(&format!(
            "IMP-{i:07},{},Imported product {i},Товар номер {i},{}.{:02},20,active\n",
            barcode(i),
            1 + i % 90,
            i % 100
        ));
    }
    text
}

/// The same rows as the domain's values, parsed and checked before the clock runs.
fn fields(n: usize) -> Vec<ProductFields> {
    let (en, ru) = (ok(Locale::parse("en")), ok(Locale::parse("ru")));
    let eur = ok(Currency::parse("EUR"));
    (0..n)
        .map(|i| {
            let f = ProductFields {
                sku: ok(Sku::parse(&format!("IMP-{i:07}"))),
                barcode: Some(ok(Barcode::parse(&barcode(i)))),
                titles: Localized::new()
                    .with(
                        en.clone(),
                        ok(ProductTitle::parse(&format!("Imported product {i}"))),
                    )
                    .with(
                        ru.clone(),
                        ok(ProductTitle::parse(&format!("Товар номер {i}"))),
                    ),
                descriptions: Localized::new(),
                price: Money::new(((1 + i % 90) * 100 + i % 100) as i64, eur),
                tax_rate: ok(TaxRate::from_basis_points(2000)),
                low_stock_threshold: 0,
                category: None,
                image: None,
            };
            ok(f.validate());
            f
        })
        .collect()
}

fn fresh(name: &str) -> (tempfile::TempDir, Arc<Shop>, Actor) {
    let dir = ok(tempfile::Builder::new()
        .prefix(name)
        .tempdir_in(rustok_benches::scratch_dir()));
    let (shop, admin) = shop(dir.path());
    (dir, shop, admin)
}

fn import(shop: &Shop, admin: &Actor, text: &str) {
    let r = ok(shop.import_catalog(
        admin,
        text.as_bytes(),
        None,
        &mut |_| {},
        &AtomicBool::new(false),
    ));
    assert_eq!(r.created as usize + r.rejected.len(), r.rows as usize);
    assert!(r.rejected.is_empty(), "{:?}", r.rejected.first());
}

/// The floor: one transaction of inserts and their events, no checks.
fn direct(shop: &Shop, admin: &Actor, rows: &[ProductFields]) {
    let clock = SystemClock;
    let entropy = OsEntropy;
    let now = clock.now();
    let meta = EventMeta {
        actor_id: Some(admin.operator_id()),
        correlation_id: CorrelationId::generate(now, &entropy),
        causation_id: None,
        origin: Origin::Device,
        now,
        entropy: &entropy,
    };
    ok(shop.store().write(&meta, |tx| -> Result<(), StoreError> {
        for f in rows {
            let p = Product {
                id: ProductId::from_uuid(tx.new_id()),
                tenant_id: admin.tenant_id(),
                fields: f.clone(),
                status: ProductStatus::Active,
                on_hand: 0,
                version: 1,
            };
            store::insert_product(tx, &p, tx.now())?;
            tx.append(ProductCreated {
                product_id: p.id,
                fields: p.fields,
                status: ProductStatus::Active,
            })?;
        }
        Ok(())
    }));
}

/// Each iteration on a fresh shop; only the import (or the floor) is timed.
fn timed(iters: u64, name: &str, run: &dyn Fn(&Shop, &Actor)) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let (_dir, shop, admin) = fresh(name);
        let start = Instant::now();
        run(&shop, &admin);
        total += start.elapsed();
    }
    total
}

fn bench(c: &mut Criterion) {
    let n = rows();
    let text = csv(n);
    let parsed = fields(n);
    let mut g = c.benchmark_group(GROUP);
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    g.bench_function(BenchmarkId::new("import_csv", n), |b| {
        b.iter_custom(|iters| timed(iters, "import", &|s, a| import(s, a, &text)))
    });
    g.bench_function(BenchmarkId::new("direct_insert_same_rows", n), |b| {
        b.iter_custom(|iters| timed(iters, "floor", &|s, a| direct(s, a, &parsed)))
    });
    g.finish();
}

criterion_group!(benches, bench);

fn main() {
    let since = SystemTime::now();
    benches();
    let n = rows();
    let (ours, floor) = (
        format!("import_csv/{n}"),
        format!("direct_insert_same_rows/{n}"),
    );
    rustok_benches::finish(GROUP, &[(&ours, &floor)], since);
}

//! The sled index: search behaviour, catching up after a crash, self-repair; and the
//! moka cache: fresh prices, coalesced loads.

use crate::helpers::*;
use rustok_core::domain::content::{
    ContentFields, ContentKind, ContentSlug, ContentTitle, Translation,
};
use rustok_core::domain::locale::{Locale, Localized};
use rustok_core::domain::order::OrderStatus;
use rustok_core::domain::payment::Tender;
use rustok_core::domain::product::{Barcode, Product, ProductStatus, ProductTitle, Sku};
use rustok_core::domain::stock::{Quantity, StockDelta};
use rustok_core::domain::text::Reason;
use rustok_core::index::{Index, OpenReport, ProductSearch, RebuildProgress, RebuildReason};
use rustok_core::store::OrderQuery;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Barrier};

type Entries = Vec<(Vec<u8>, Vec<u8>)>;

/// Opens (or repairs) the index in `dir`, returning what the progress callback heard.
fn open_index(t: &TestShop, dir: &Path) -> (Index, OpenReport, Vec<RebuildProgress>) {
    let mut heard = Vec::new();
    let (index, report) =
        Index::open(dir, t.shop.store(), &mut |p| heard.push(p)).expect("the index opens");
    (index, report, heard)
}

/// What an index holds: its sled entries and its in-memory search keys.
fn contents(index: &Index) -> (Entries, Vec<String>) {
    (index.entries().unwrap(), index.search_keys())
}

/// The contents of an index rebuilt from scratch in a new folder.
fn clean_rebuild(t: &TestShop) -> (Entries, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let (index, report, _) = open_index(t, &dir.path().join("clean"));
    assert_eq!(report.rebuilt, Some(RebuildReason::Missing));
    contents(&index)
}

fn titled(
    t: &TestShop,
    sku: &str,
    en_title: &str,
    ru_title: Option<&str>,
    barcode: Option<&str>,
) -> Product {
    let mut f = product_fields(sku, 250, barcode.map(|b| Barcode::parse(b).unwrap()));
    f.titles = Localized::new().with(en(), ProductTitle::parse(en_title).unwrap());
    if let Some(r) = ru_title {
        f.titles.insert(ru(), ProductTitle::parse(r).unwrap());
    }
    let p = t
        .shop
        .create_product(&t.manager, f, ProductStatus::Active)
        .unwrap();
    t.shop
        .receive_stock(&t.manager, p.id, Quantity::new(10).unwrap(), None)
        .unwrap();
    t.shop.product(&t.manager, p.id).unwrap()
}

fn page(slug: &str, locales: &[Locale]) -> ContentFields {
    let mut translations = Localized::new();
    for l in locales {
        translations.insert(
            l.clone(),
            Translation {
                title: ContentTitle::parse(&format!("{slug} {l}")).unwrap(),
                excerpt: None,
                body: None,
            },
        );
    }
    ContentFields {
        kind: ContentKind::Page,
        slug: ContentSlug::parse(slug).unwrap(),
        position: 1,
        translations,
        products: vec![],
    }
}

/// Every kind of change the index keys on: titles and codes edited, status and
/// low-stock flips, orders through every state, content slugs and locales.
fn workload(t: &TestShop, round: u32) {
    let s = &t.shop;
    let m = &t.manager;
    let p = titled(
        t,
        &format!("W{round}-A"),
        &format!("Apple juice {round}"),
        Some("Сок яблочный"),
        None,
    );
    let q = titled(t, &format!("W{round}-B"), "Pear cider", None, None);
    // New title, SKU and barcode: old tokens and codes must disappear.
    let mut f = p.fields.clone();
    f.titles = Localized::new().with(en(), ProductTitle::parse("Orange juice").unwrap());
    f.sku = Sku::parse(&format!("W{round}-A2")).unwrap();
    f.barcode = Some(ean13(u64::from(round) * 1000 + 17));
    let p = s.update_product(m, p.id, p.version, f).unwrap();
    s.adjust_stock(
        m,
        p.id,
        StockDelta::new(-8).unwrap(),
        Reason::parse("count").unwrap(),
    )
    .unwrap();
    s.set_product_status(m, q.id, q.version, ProductStatus::Archived)
        .unwrap();
    // A counter sale, a delivery order, a cancelled and a refunded order.
    t.clock.advance_ms(1_000);
    let sold = t.sell(&[(&p, 1)]);
    t.clock.advance_ms(1_000);
    let o = s.create_order(&t.kiosk, new_order(&[(&p, 1)])).unwrap();
    let id = o.data().id;
    s.confirm_order(&t.cashier, id).unwrap();
    s.pay_order(
        &t.cashier,
        id,
        vec![Tender::Card {
            amount: o.data().totals.gross,
            reference: None,
        }],
    )
    .unwrap();
    s.ship_order(&t.cashier, id, None).unwrap();
    s.deliver_order(&t.cashier, id).unwrap();
    t.clock.advance_ms(1_000);
    let c = s.create_order(&t.kiosk, new_order(&[(&p, 1)])).unwrap();
    s.cancel_order(&t.cashier, c.data().id, None).unwrap();
    s.refund_order(m, sold.data().id, card_refund(true))
        .unwrap();
    // Content: a slug and a locale change, publish, archive.
    let n = s
        .create_content(m, page(&format!("page-{round}"), &[en(), ru()]))
        .unwrap();
    let n = s
        .update_content(
            m,
            n.data().id,
            n.data().version,
            page(&format!("moved-{round}"), &[en()]),
        )
        .unwrap();
    s.publish_content(m, n.data().id).unwrap();
    s.archive_content(m, n.data().id).unwrap();
}

/// SKUs of the hits, in rank order.
fn skus(index: &Index, catalog: &[Product], q: ProductSearch) -> Vec<String> {
    index
        .search_products(&q)
        .unwrap()
        .into_iter()
        .map(|id| {
            catalog
                .iter()
                .find(|p| p.id == id)
                .unwrap()
                .fields
                .sku
                .to_string()
        })
        .collect()
}

fn text(q: &str) -> ProductSearch {
    ProductSearch {
        text: q.into(),
        ..Default::default()
    }
}

#[test]
fn search_follows_the_specified_ranking_and_folding() {
    let t = spawn_shop();
    t.open_shift(0);
    let catalog = vec![
        titled(
            &t,
            "MILK-1",
            "Whole Milk 1 L",
            Some("Молоко цельное 1 л"),
            Some("4601234567893"),
        ),
        titled(
            &t,
            "CHOC-1",
            "Milk Chocolate Bar",
            Some("Шоколад молочный"),
            None,
        ),
        titled(&t, "SHAKE", "Strawberry Milkshake", None, None),
        titled(&t, "CREME", "Crème Brûlée", Some("Десерт крем-брюле"), None),
        titled(
            &t,
            "TREE",
            "Christmas bauble",
            Some("Ёлочная игрушка"),
            None,
        ),
        titled(&t, "TEA-42", "Herbal infusion", None, None),
        titled(
            &t,
            "TEA-SET",
            "Tea 42 assortment",
            Some("Чай зелёный"),
            None,
        ),
        titled(&t, "OAT", "Oat Milk Barista", None, None),
    ];
    let oat = &catalog[7];
    t.shop
        .set_product_status(&t.manager, oat.id, oat.version, ProductStatus::Archived)
        .unwrap();
    // Low on stock: 10 received, threshold 2; sell 8 of the shake.
    t.sell(&[(&catalog[2], 8)]);
    let dir = tempfile::tempdir().unwrap();
    let (index, _, _) = open_index(&t, &dir.path().join("index"));

    let cases: &[(&str, &[&str])] = &[
        // Title starting with the query first, then word matches, shorter words first.
        ("milk", &["CHOC-1", "MILK-1", "SHAKE"]),
        ("MiLk", &["CHOC-1", "MILK-1", "SHAKE"]),
        ("whole mi", &["MILK-1"]),
        ("mi who", &["MILK-1"]),
        ("milks", &["SHAKE"]),
        // Russian, partial words, ё = е in both directions.
        ("молоко", &["MILK-1"]),
        ("мол", &["MILK-1", "CHOC-1"]),
        ("ШОКОЛАД мол", &["CHOC-1"]),
        ("елочная", &["TREE"]),
        ("ёлоч игр", &["TREE"]),
        ("зеленыи", &[]),
        ("зелен", &["TEA-SET"]),
        // Diacritics either way.
        ("creme brulee", &["CREME"]),
        ("brû", &["CREME"]),
        ("крем", &["CREME"]),
        // Exact SKU and barcode before anything else.
        ("tea-42", &["TEA-42", "TEA-SET"]),
        ("4601234567893", &["MILK-1"]),
        ("460123", &["MILK-1"]),
        // Archived products are left out unless asked for.
        ("oat", &[]),
        ("barista", &[]),
        ("nothing like this", &[]),
        // Text with no word in it finds nothing, never the whole catalog.
        ("%", &[]),
        ("* _ \\", &[]),
    ];
    for (q, expected) in cases {
        assert_eq!(&skus(&index, &catalog, text(q)), expected, "query {q:?}");
    }
    let archived = ProductSearch {
        status: Some(ProductStatus::Archived),
        ..text("oat")
    };
    let archived = skus(&index, &catalog, archived);
    assert_eq!(archived, ["OAT"]);
    let low = ProductSearch {
        low_stock: true,
        ..text("milk")
    };
    let low = skus(&index, &catalog, low);
    assert_eq!(low, ["SHAKE"]);
    let limited = ProductSearch {
        limit: 2,
        ..text("milk")
    };
    let limited = skus(&index, &catalog, limited);
    assert_eq!(limited, ["CHOC-1", "MILK-1"]);
    // Through the service: same order, authoritative rows, and the SQLite fallback
    // still finds by substring when no index is attached.
    t.shop.attach_index(Arc::new(index));
    let via_service: Vec<String> = t
        .shop
        .search_products(
            &t.cashier,
            &ProductSearch {
                text: "milk".into(),
                ..Default::default()
            },
        )
        .unwrap()
        .into_iter()
        .map(|p| p.fields.sku.to_string())
        .collect();
    assert_eq!(via_service, ["CHOC-1", "MILK-1", "SHAKE"]);
    t.shop.detach_index();
    let fallback = t
        .shop
        .search_products(
            &t.cashier,
            &ProductSearch {
                text: "Milk".into(),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(fallback.len(), 3);
}

#[test]
fn orders_and_content_are_found_by_number_status_day_and_slug() {
    let t = spawn_shop();
    t.open_shift(0);
    workload(&t, 1);
    let dir = tempfile::tempdir().unwrap();
    let (index, _, _) = open_index(&t, &dir.path().join("index"));
    let all = index
        .orders(&OrderQuery {
            limit: 100,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(all.len(), 3);
    let by = |status| {
        index
            .orders(&OrderQuery {
                status: Some(status),
                limit: 100,
                ..Default::default()
            })
            .unwrap()
            .len()
    };
    assert_eq!(
        (
            by(OrderStatus::Refunded),
            by(OrderStatus::Delivered),
            by(OrderStatus::Cancelled)
        ),
        (1, 1, 1)
    );
    assert_eq!(by(OrderStatus::Paid), 0);
    let today = START.day();
    let on_day = |day: &str, status| {
        index
            .orders(&OrderQuery {
                day: Some(day.into()),
                status,
                limit: 100,
                ..Default::default()
            })
            .unwrap()
            .len()
    };
    assert_eq!(on_day(&today, None), 3);
    assert_eq!(on_day(&today, Some(OrderStatus::Cancelled)), 1);
    assert_eq!(on_day("2020-01-01", None), 0);
    let first = t.shop.order(&t.manager, all[2]).unwrap();
    let number = first.data().number.as_str().to_owned();
    let find = |n: &str| {
        index
            .orders(&OrderQuery {
                number: Some(n.into()),
                limit: 100,
                ..Default::default()
            })
            .unwrap()
    };
    assert_eq!(find(&number), [all[2]]);
    assert_eq!(find(&number.to_lowercase()), [all[2]]);
    assert_eq!(find("1"), [all[2]], "the serial alone");
    assert_eq!(find("POS1-"), all, "the start of a number");
    assert!(find("POS9-000001").is_empty());
    // Content: the moved slug in its remaining locale only.
    assert!(index.content_by_slug("moved-1", &en()).unwrap().is_some());
    assert!(index.content_by_slug("moved-1", &ru()).unwrap().is_none());
    assert!(index.content_by_slug("page-1", &en()).unwrap().is_none());
}

#[test]
fn after_a_crash_between_commit_and_apply_the_index_equals_a_clean_rebuild() {
    let t = spawn_shop();
    t.open_shift(0);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index");
    let (index, report, heard) = open_index(&t, &path);
    assert_eq!(report.rebuilt, Some(RebuildReason::Missing));
    assert_eq!(heard.last().map(|p| p.done), heard.last().map(|p| p.total));
    let index = Arc::new(index);
    let store = t.shop.store().clone();
    let handler = rustok_core::index::IndexHandler::new(index.clone(), store.clone());
    // Applied event by event through the bus handler for a while...
    workload(&t, 1);
    for e in store.events_after(0, 100_000).unwrap() {
        rustok_core::bus::EventHandler::handle(&handler, &e).unwrap();
    }
    assert_eq!(index.checkpoint().unwrap(), t.event_count());
    // ...then the process "dies" after these commits, before applying them.
    workload(&t, 2);
    drop(handler);
    let index = Arc::into_inner(index).expect("the only reference");
    let behind = index.checkpoint().unwrap();
    assert!(behind < t.event_count());
    drop(index);
    let (index, report, _) = open_index(&t, &path);
    assert_eq!(report.rebuilt, None, "catching up is enough");
    assert_eq!(report.caught_up, t.event_count() - behind);
    let (entries, keys) = contents(&index);
    let (clean, clean_keys) = clean_rebuild(&t);
    let missing = clean.iter().filter(|e| !entries.contains(e)).count();
    let extra = entries.iter().filter(|e| !clean.contains(e)).count();
    assert_eq!((missing, extra), (0, 0), "0 missing, 0 left over");
    assert_eq!(entries, clean);
    assert_eq!(keys, clean_keys, "the search keys too");
}

#[derive(Debug)]
enum Damage {
    DeleteFolder,
    /// Every file cut to a third.
    Truncate,
    /// Bytes flipped all over every file.
    Garble,
    /// Only the data file (not sled's config) cut in half.
    TruncateData,
    /// A few bytes flipped in the data file only.
    GarbleData,
    /// One search entry removed behind the index's back (sled sees nothing wrong).
    DropEntry,
    BumpFormat,
}

/// sled's main data file.
fn data_file(path: &Path) -> PathBuf {
    path.join("db")
}

fn flip(bytes: &mut [u8], step: usize) {
    let mut x: u32 = 0x2545_f491;
    for b in bytes.iter_mut().skip(16).step_by(step) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *b ^= (x as u8) | 1;
    }
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files_in(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn damage(path: &Path, how: &Damage) {
    match how {
        Damage::DeleteFolder => std::fs::remove_dir_all(path).unwrap(),
        Damage::Truncate => {
            for f in files_in(path) {
                let len = std::fs::metadata(&f).unwrap().len();
                let file = std::fs::OpenOptions::new().write(true).open(&f).unwrap();
                file.set_len(len / 3).unwrap();
            }
        }
        Damage::Garble => {
            for f in files_in(path) {
                let mut bytes = std::fs::read(&f).unwrap();
                flip(&mut bytes, 97);
                std::fs::write(&f, bytes).unwrap();
            }
        }
        Damage::TruncateData => {
            let f = data_file(path);
            let len = std::fs::metadata(&f).unwrap().len();
            let file = std::fs::OpenOptions::new().write(true).open(&f).unwrap();
            file.set_len(len / 2).unwrap();
        }
        Damage::GarbleData => {
            let f = data_file(path);
            let mut bytes = std::fs::read(&f).unwrap();
            flip(&mut bytes, 4093);
            std::fs::write(&f, bytes).unwrap();
        }
        Damage::DropEntry => {
            // Entries live in pages (`#` and the page's first key): drop the page
            // that holds the first SKU entry.
            let db = sled_when_free(path);
            let (k, _) = db.scan_prefix(b"#ps/").next().unwrap().unwrap();
            db.remove(k).unwrap();
            db.flush().unwrap();
        }
        Damage::BumpFormat => {
            let db = sled_when_free(path);
            db.insert(b"!format", &999u64.to_be_bytes()).unwrap();
            db.flush().unwrap();
        }
    }
}

/// Opens the sled folder of an index just closed. sled lets go of its file lock
/// when its last background thread has finished, a moment after the index is
/// dropped (on a loaded machine, long enough for an immediate open to fail).
fn sled_when_free(path: &Path) -> sled::Db {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        match sled::open(path) {
            Ok(db) => return db,
            Err(e) if std::time::Instant::now() < deadline => {
                eprintln!("sled folder still held: {e}");
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            Err(e) => panic!("the closed index still holds its folder: {e}"),
        }
    }
}

#[test]
fn a_deleted_truncated_garbled_or_outdated_index_is_rebuilt_on_open() {
    let t = spawn_shop();
    t.open_shift(0);
    workload(&t, 1);
    workload(&t, 2);
    let clean = clean_rebuild(&t);
    for how in [
        Damage::DeleteFolder,
        Damage::Truncate,
        Damage::Garble,
        Damage::TruncateData,
        Damage::GarbleData,
        Damage::DropEntry,
        Damage::BumpFormat,
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("index");
        let (index, _, _) = open_index(&t, &path);
        assert_eq!(contents(&index), clean);
        drop(index);
        damage(&path, &how);
        let reopened =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| open_index(&t, &path)));
        let (index, report, heard) = reopened.unwrap_or_else(|_| panic!("a panic escaped"));
        let reason = report
            .rebuilt
            .unwrap_or_else(|| panic!("{how:?}: not rebuilt"));
        match how {
            Damage::BumpFormat => assert_eq!(
                reason,
                RebuildReason::FormatChanged {
                    found: 999,
                    expected: rustok_core::index::INDEX_FORMAT
                }
            ),
            Damage::DeleteFolder => assert_eq!(reason, RebuildReason::Missing),
            Damage::DropEntry => assert!(matches!(reason, RebuildReason::Unreadable(_))),
            _ => {}
        }
        let last = heard.last().copied().expect("progress reported");
        assert!(last.total > 0 && last.done == last.total, "{heard:?}");
        assert_eq!(contents(&index), clean, "after {reason:?}");
    }
}

#[test]
fn a_damaged_index_without_its_manifest_is_rebuilt_not_trusted() {
    // Regression: 57 random bytes in sled's data file with the clean-close manifest
    // gone (as after a crash) were once accepted, leaving stale stock in product
    // documents. Without the manifest nothing sled recovers is trusted.
    let t = spawn_shop();
    t.open_shift(0);
    workload(&t, 1);
    let clean = clean_rebuild(&t);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index");
    let (index, _, _) = open_index(&t, &path);
    drop(index);
    let manifest = path.with_extension("manifest");
    assert!(manifest.exists(), "a clean close leaves the manifest");
    std::fs::remove_file(&manifest).unwrap();
    let f = data_file(&path);
    let mut bytes = std::fs::read(&f).unwrap();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..57 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let at = (x as usize) % bytes.len();
        bytes[at] = (x >> 32) as u8;
    }
    std::fs::write(&f, bytes).unwrap();
    let (index, report, _) = open_index(&t, &path);
    assert_eq!(report.rebuilt, Some(RebuildReason::UncleanClose));
    assert_eq!(contents(&index), clean);
}

#[test]
fn an_index_ahead_of_a_restored_database_is_rebuilt() {
    let t = spawn_shop();
    t.open_shift(0);
    let backup = t.dir.path().join("backup.db");
    t.shop.backup(&t.admin, &backup).unwrap();
    workload(&t, 1);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index");
    drop(open_index(&t, &path));
    // The shop goes back to the backup (fewer events than the index has seen).
    let restored = Arc::new(rustok_core::store::Store::open(&backup).unwrap());
    let mut heard = Vec::new();
    let (_, report) = Index::open(&path, &restored, &mut |p| heard.push(p)).unwrap();
    assert!(
        matches!(report.rebuilt, Some(RebuildReason::AheadOfDatabase { .. })),
        "{report:?}"
    );
}

fn scan_price(t: &TestShop, code: &Barcode) -> i64 {
    let p = t.shop.product_by_barcode(&t.cashier, code).unwrap();
    p.fields.price.minor
}

#[test]
fn the_cache_serves_the_new_price_after_a_change_and_coalesces_cold_loads() {
    let t = spawn_shop();
    let p = t.product("CACHED", 100, 5);
    let code = p.fields.barcode.clone().unwrap();
    let loads = || t.shop.caches().stats().product_loads;
    assert_eq!(scan_price(&t, &code), 100);
    let before = loads();
    assert_eq!(scan_price(&t, &code), 100);
    assert_eq!(loads(), before, "a warm lookup reads no SQLite");
    let mut f = p.fields.clone();
    f.price = eur_cents(175);
    t.shop
        .update_product(&t.manager, p.id, p.version, f)
        .unwrap();
    assert_eq!(
        scan_price(&t, &code),
        175,
        "the next scan after a price change"
    );
    // A sale changes stock: the cached copy must not keep the old figure.
    t.open_shift(0);
    let repriced = t.shop.product(&t.manager, p.id).unwrap();
    t.sell(&[(&repriced, 2)]);
    assert_eq!(
        t.shop
            .product_by_barcode(&t.cashier, &code)
            .unwrap()
            .on_hand,
        3
    );

    // 100 concurrent lookups of a cold key: one load.
    let cold = t.product("COLD", 300, 1);
    let cold_code = cold.fields.barcode.clone().unwrap();
    let before = loads();
    let barrier = Arc::new(Barrier::new(100));
    std::thread::scope(|s| {
        for _ in 0..100 {
            let b = barrier.clone();
            let (shop, cashier, code) = (&t.shop, &t.cashier, &cold_code);
            s.spawn(move || {
                b.wait();
                assert_eq!(
                    shop.product_by_barcode(cashier, code)
                        .unwrap()
                        .fields
                        .price
                        .minor,
                    300
                );
            });
        }
    });
    assert_eq!(
        loads() - before,
        1,
        "one load for 100 concurrent cold lookups"
    );
}

#[test]
fn a_lookup_that_races_a_price_change_is_not_served_afterwards() {
    // Many rounds of: a reader loading a product while a writer changes its price.
    // Whatever the interleaving, a lookup that starts after the change returned must
    // see the new price.
    let t = spawn_shop();
    let p = t.product("RACE", 100, 0);
    let code = p.fields.barcode.clone().unwrap();
    let mut version = p.version;
    for round in 1..=40 {
        let price = 100 + round;
        std::thread::scope(|s| {
            let reader = s.spawn(|| {
                for _ in 0..5 {
                    t.shop.product_by_barcode(&t.cashier, &code).unwrap();
                }
            });
            let mut f = p.fields.clone();
            f.price = eur_cents(price);
            version = t
                .shop
                .update_product(&t.manager, p.id, version, f)
                .unwrap()
                .version;
            assert_eq!(scan_price(&t, &code), price);
            reader.join().unwrap();
        });
        assert_eq!(scan_price(&t, &code), price);
    }
}

#[test]
fn a_deactivated_operator_is_refused_at_once_despite_the_session_cache() {
    let t = spawn_shop();
    let p = t.product("SESSION", 100, 0);
    t.shop.product(&t.cashier, p.id).unwrap();
    t.shop
        .deactivate_operator(&t.admin, t.cashier.operator_id())
        .unwrap();
    assert!(matches!(
        t.shop.product(&t.cashier, p.id),
        Err(rustok_core::service::ShopError::Forbidden { .. })
    ));
}

#[test]
fn searches_and_lookups_check_permissions_like_every_other_query() {
    use rustok_core::domain::permission::Operation;
    use rustok_core::service::ShopError;
    let t = spawn_shop();
    let p = t.product("PERM", 100, 1);
    t.shop
        .create_content(&t.manager, page("perm-page", &[en()]))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (index, _, _) = open_index(&t, &dir.path().join("index"));
    t.shop.attach_index(Arc::new(index));
    let code = p.fields.barcode.clone().unwrap();
    let slug = ContentSlug::parse("perm-page").unwrap();
    for (role, _) in PINS {
        let a = t.actor(role);
        let allowed = |op: Operation| role.allows(op.permission());
        let verdict = |r: Result<(), ShopError>| match r {
            Ok(()) => true,
            Err(ShopError::Forbidden { .. }) => false,
            Err(e) => panic!("{role:?}: {e:?}"),
        };
        let search = t.shop.search_products(a, &text("perm")).map(|_| ());
        assert_eq!(
            verdict(search),
            allowed(Operation::ViewCatalog),
            "{role:?} search"
        );
        let scan = t.shop.product_by_barcode(a, &code).map(|_| ());
        assert_eq!(
            verdict(scan),
            allowed(Operation::ViewCatalog),
            "{role:?} scan"
        );
        let orders = t
            .shop
            .orders(
                a,
                &OrderQuery {
                    limit: 5,
                    ..Default::default()
                },
            )
            .map(|_| ());
        assert_eq!(
            verdict(orders),
            allowed(Operation::ViewOrders),
            "{role:?} orders"
        );
        let page = t.shop.content_by_slug(a, &slug, &en()).map(|_| ());
        assert_eq!(
            verdict(page),
            allowed(Operation::ViewContent),
            "{role:?} content"
        );
    }
}

//! Applying pulled changes (DESIGN §7): a second till of the same shop takes the
//! first one's catalog, prices and stock from feed pages, per field by the greatest
//! HLC, in one transaction with its cursor; what it cannot apply is set aside and
//! tried again; the index and the caches see what the page changed.

use crate::helpers::*;
use rustok_core::domain::clock::Clock;
use rustok_core::domain::event::{Envelope, EventType, Reach};
use rustok_core::domain::product::{ProductStatus, ProductTitle, Sku};
use rustok_core::domain::replica::Kind;
use rustok_core::index::Index;
use rustok_core::service::{PulledPage, Shop};
use std::sync::Arc;

/// A second till of `t`'s shop: its database as it is now, under another device id
/// and with none of its events (they are `t`'s).
struct Sibling {
    _dir: tempfile::TempDir,
    shop: Arc<Shop>,
}

fn sibling(t: &TestShop) -> Sibling {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shop.db");
    t.shop.store().backup_to(&path).unwrap();
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(
            "UPDATE device SET device_id = '0192f0e4-3000-7000-8000-0000000000b2', device_code = 'POS2'",
        )
        .unwrap();
    }
    let shop = Arc::new(open_shop(&path, t.clock.clone(), 99));
    Sibling { _dir: dir, shop }
}

/// `t`'s events that other tills apply, after `after` (its seq), as feed entries
/// at their seqs.
fn page_of(t: &TestShop, after: u64) -> PulledPage {
    let events = t.shop.store().events_after(after, u32::MAX).unwrap();
    let next = events.last().map_or(after, |e| e.seq);
    PulledPage {
        entries: events
            .into_iter()
            .filter(|e| EventType::parse(&e.event_type).unwrap().reach() != Reach::Device)
            .map(|e| (e.seq, e))
            .collect(),
        next,
        head: next,
        central_time_ms: t.clock.now().unix_millis(),
    }
}

#[test]
fn a_second_till_takes_the_catalog_prices_and_stock_and_its_own_edits_merge_per_field() {
    let t = spawn_shop();
    let b = sibling(&t);
    let start = t.event_count();
    let tea = t.product("TEA", 250, 10);
    let first = page_of(&t, start);
    let done = b.shop.apply_pulled(&first).unwrap();
    assert_eq!(
        (done.applied, done.set_aside),
        (2, 0),
        "the product and its stock"
    );
    assert_eq!(done.cursor, first.next);
    let got = b.shop.product(&t.manager, tea.id).unwrap();
    assert_eq!(got.fields, tea.fields);
    assert_eq!(got.on_hand, 10);
    // The same page again (a lost answer, pulled twice) changes nothing.
    let again = b.shop.apply_pulled(&first).unwrap();
    assert_eq!((again.applied, again.set_aside), (0, 0));
    assert_eq!(b.shop.product(&t.manager, tea.id).unwrap().on_hand, 10);

    // The first till sets the price; the second one, later, the title. Each page
    // reaches the other: both keep both edits.
    t.clock.advance_ms(1_000);
    let mut priced = tea.fields.clone();
    priced.price.minor = 300;
    t.shop
        .update_product(&t.manager, tea.id, tea.version, priced)
        .unwrap();
    t.clock.advance_ms(1_000);
    let local = b.shop.product(&t.manager, tea.id).unwrap();
    let mut titled = local.fields.clone();
    titled
        .titles
        .insert(en(), ProductTitle::parse("Green tea").unwrap());
    b.shop
        .update_product(&t.manager, tea.id, local.version, titled)
        .unwrap();
    let to_b = page_of(&t, first.next);
    b.shop.apply_pulled(&to_b).unwrap();
    let on_b = b.shop.product(&t.manager, tea.id).unwrap();
    assert_eq!(
        on_b.fields.price.minor, 300,
        "the price from the first till"
    );
    assert_eq!(
        on_b.fields.titles.get(&en()).unwrap().as_str(),
        "Green tea",
        "its own title"
    );

    // The second till's edit, pulled by the first, ends the same there.
    let b_events: Vec<Envelope> = b
        .shop
        .store()
        .events_after(0, u32::MAX)
        .unwrap()
        .into_iter()
        .filter(|e| e.device_id != t.shop.device().unwrap().unwrap().device_id)
        .filter(|e| EventType::parse(&e.event_type).unwrap().reach() != Reach::Device)
        .collect();
    let to_a = PulledPage {
        entries: b_events
            .iter()
            .cloned()
            .enumerate()
            .map(|(i, e)| (i as u64 + 1, e))
            .collect(),
        next: b_events.len() as u64,
        head: b_events.len() as u64,
        central_time_ms: t.clock.now().unix_millis(),
    };
    t.shop.apply_pulled(&to_a).unwrap();
    let on_a = t.shop.product(&t.manager, tea.id).unwrap();
    assert_eq!(on_a.fields, on_b.fields, "both tills hold the same product");
    let replicas = |s: &Shop| {
        s.store()
            .read(|c| rustok_core::store::replicas_of_kind(c, Kind::Product))
            .unwrap()
    };
    assert_eq!(
        replicas(&t.shop),
        replicas(&b.shop),
        "field for field, stamps too"
    );

    // Both set the same field, the second till later; each takes the other's page
    // after its own edit: both keep the later write, not the last to arrive.
    let a_seen = t.event_count();
    let b_seen = b.shop.store().outbox_status().unwrap().last_seq;
    t.clock.advance_ms(1_000);
    let mut low = on_a.fields.clone();
    low.low_stock_threshold = 5;
    t.shop
        .update_product(&t.manager, tea.id, on_a.version, low)
        .unwrap();
    t.clock.advance_ms(1_000);
    let mut low = on_b.fields.clone();
    low.low_stock_threshold = 8;
    b.shop
        .update_product(&t.manager, tea.id, on_b.version, low)
        .unwrap();
    b.shop.apply_pulled(&page_of(&t, a_seen)).unwrap();
    let from_b: Vec<Envelope> = b
        .shop
        .store()
        .events_after(b_seen, u32::MAX)
        .unwrap()
        .into_iter()
        .filter(|e| e.event_type == "ProductUpdated")
        .collect();
    assert_eq!(from_b.len(), 1);
    let cursor_a = t.shop.store().pull_state().unwrap().cursor;
    t.shop
        .apply_pulled(&PulledPage {
            entries: vec![(cursor_a + 1, from_b[0].clone())],
            next: cursor_a + 1,
            head: cursor_a + 1,
            central_time_ms: t.clock.now().unix_millis(),
        })
        .unwrap();
    let (on_a, on_b) = (
        t.shop.product(&t.manager, tea.id).unwrap(),
        b.shop.product(&t.manager, tea.id).unwrap(),
    );
    assert_eq!(on_b.fields.low_stock_threshold, 8, "the later write stays");
    assert_eq!(on_a.fields, on_b.fields);
    let to_b = PulledPage {
        next: t.event_count(),
        ..to_b
    };

    // A sale on the first till moves the second one's stock.
    t.open_shift(0);
    t.sell(&[(&on_a, 3)]);
    b.shop.apply_pulled(&page_of(&t, to_b.next)).unwrap();
    assert_eq!(b.shop.product(&t.manager, tea.id).unwrap().on_hand, 7);
}

#[test]
fn what_cannot_be_applied_is_set_aside_and_applied_once_it_can_be() {
    let t = spawn_shop();
    let b = sibling(&t);
    let start = t.event_count();
    let tea = t.product("TEA", 250, 10);
    let mut page = page_of(&t, start);
    let (created, stock) = (page.entries[0].clone(), page.entries[1].clone());
    // A type from a newer release, then the stock of a product not yet here.
    let mut newer = created.1.clone();
    newer.event_type = "ProductTeleported".into();
    page.entries = vec![(created.0 - 1, newer), stock.clone()];
    let done = b.shop.apply_pulled(&page).unwrap();
    assert_eq!((done.applied, done.set_aside), (0, 2));
    assert_eq!(done.cursor, page.next, "the page is done all the same");
    let state = b.shop.store().pull_state().unwrap();
    assert_eq!(state.set_aside, 2);
    assert!(b.shop.product(&t.manager, tea.id).is_err());
    // The product arrives: the stock set aside is applied with it.
    let next = PulledPage {
        entries: vec![(page.next + 1, created.1.clone())],
        next: page.next + 1,
        head: page.next + 1,
        central_time_ms: page.central_time_ms,
    };
    let done = b.shop.apply_pulled(&next).unwrap();
    assert_eq!((done.applied, done.released), (1, 1));
    assert_eq!(b.shop.product(&t.manager, tea.id).unwrap().on_hand, 10);
    assert_eq!(
        b.shop.store().pull_state().unwrap().set_aside,
        1,
        "the newer type waits"
    );
    // An index built from this till's tables finds it, and so does a scan.
    let dir = tempfile::tempdir().unwrap();
    let (index, _) = Index::open(&dir.path().join("ix"), b.shop.store(), &mut |_| {}).unwrap();
    assert_eq!(
        index.product_by_sku("TEA").unwrap(),
        Some(tea.id),
        "the index holds what the pulled page made"
    );
    assert_eq!(
        b.shop
            .product_by_sku(&t.cashier, &Sku::parse("TEA").unwrap())
            .unwrap()
            .id,
        tea.id
    );
}

#[test]
fn the_index_and_the_cache_follow_a_pulled_price_change() {
    let t = spawn_shop();
    let b = sibling(&t);
    let dir = tempfile::tempdir().unwrap();
    let (index, _) = Index::open(&dir.path().join("ix"), b.shop.store(), &mut |_| {}).unwrap();
    let index = Arc::new(index);
    let handler = rustok_core::index::IndexHandler::new(index.clone(), b.shop.store().clone());
    b.shop.attach_index(index.clone());
    let start = t.event_count();
    let tea = t.product("TEA", 250, 10);
    let seen_before = b.shop.store().events_after(0, u32::MAX).unwrap().len() as u64;
    b.shop.apply_pulled(&page_of(&t, start)).unwrap();
    // Warm the cache, then change the price and the status on the first till.
    let code = Sku::parse("TEA").unwrap();
    assert_eq!(
        b.shop
            .product_by_sku(&t.cashier, &code)
            .unwrap()
            .fields
            .price
            .minor,
        250
    );
    let cursor = b.shop.store().pull_state().unwrap().cursor;
    let mut f = tea.fields.clone();
    f.price.minor = 199;
    t.shop
        .update_product(&t.manager, tea.id, tea.version, f)
        .unwrap();
    t.shop
        .set_product_status(&t.manager, tea.id, tea.version + 1, ProductStatus::Archived)
        .unwrap();
    b.shop.apply_pulled(&page_of(&t, cursor)).unwrap();
    for e in b.shop.store().events_after(seen_before, u32::MAX).unwrap() {
        rustok_core::bus::EventHandler::handle(&handler, &e).unwrap();
    }
    let got = b.shop.product_by_sku(&t.cashier, &code).unwrap();
    assert_eq!(
        got.fields.price.minor, 199,
        "the next scan takes the new price"
    );
    assert_eq!(got.status, ProductStatus::Archived);
    // The index equals one rebuilt from the state tables.
    let fresh = tempfile::tempdir().unwrap();
    let (clean, _) = Index::open(&fresh.path().join("ix"), b.shop.store(), &mut |_| {}).unwrap();
    assert_eq!(index.entries().unwrap(), clean.entries().unwrap());
}

/// A till of the previous release (schema 12) with a queue of unsynced events opens
/// under this one: the replicas its events make are exactly the ones this release
/// kept while writing them, and its queue is untouched.
#[test]
fn upgrading_replays_the_tills_own_events_into_its_replicas() {
    let t = spawn_shop();
    let tea = t.product("TEA", 250, 10);
    t.shop
        .create_category(&t.manager, category_fields("Drinks", 1, None))
        .unwrap();
    let node = t
        .shop
        .create_content(
            &t.manager,
            serde_json::from_value(serde_json::json!({
                "kind": "page", "slug": "about", "position": 1,
                "translations": {"en": {"title": "About us"}},
            }))
            .unwrap(),
        )
        .unwrap();
    t.shop.publish_content(&t.manager, node.data().id).unwrap();
    let mut f = tea.fields.clone();
    f.price.minor = 275;
    t.shop
        .update_product(&t.manager, tea.id, tea.version, f)
        .unwrap();
    t.shop
        .set_product_status(&t.manager, tea.id, tea.version + 1, ProductStatus::Archived)
        .unwrap();
    let kept: Vec<_> = Kind::ALL
        .iter()
        .map(|k| {
            t.shop
                .store()
                .read(|c| rustok_core::store::replicas_of_kind(c, *k))
                .unwrap()
        })
        .collect();
    assert!(kept.iter().all(|k| !k.is_empty()), "every kind has records");
    let queue = t.shop.store().outbox_status().unwrap();
    assert!(queue.pending > 0);
    let path = t.db_path();
    drop(t.shop);
    // Back to schema 12: what schemas 13 and 15 added, gone (14 only rebuilt tables).
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(
            "DROP TABLE replicas; DROP TABLE pulled; DROP TABLE pull_dead_letters;
             DROP TABLE image_transfers; DROP INDEX stock_movements_by_id;
             ALTER TABLE device DROP COLUMN store_code; ALTER TABLE device DROP COLUMN store_name;
             ALTER TABLE device DROP COLUMN store_address; ALTER TABLE device DROP COLUMN feed_cursor;
             ALTER TABLE device DROP COLUMN feed_head; ALTER TABLE device DROP COLUMN pulled_at_ms;
             ALTER TABLE device DROP COLUMN pull_error; ALTER TABLE device DROP COLUMN clock_skew_ms;
             PRAGMA user_version = 12;",
        )
        .unwrap();
    }
    let shop = open_shop(&path, t.clock.clone(), 8);
    let replayed: Vec<_> = Kind::ALL
        .iter()
        .map(|k| {
            shop.store()
                .read(|c| rustok_core::store::replicas_of_kind(c, *k))
                .unwrap()
        })
        .collect();
    assert_eq!(replayed, kept);
    assert_eq!(
        shop.store().outbox_status().unwrap(),
        queue,
        "the queue as it was"
    );
    assert_eq!(shop.store().pull_state().unwrap().cursor, 0);
}

/// What `s` itself wrote after its `after` seq that other tills apply, as a page
/// whose positions follow `cursor`.
fn page_from(s: &Shop, after: u64, cursor: u64) -> PulledPage {
    let me = s.device().unwrap().unwrap().device_id;
    let entries: Vec<(u64, Envelope)> = s
        .store()
        .events_after(after, u32::MAX)
        .unwrap()
        .into_iter()
        .filter(|e| e.device_id == me)
        .filter(|e| EventType::parse(&e.event_type).unwrap().reach() != Reach::Device)
        .enumerate()
        .map(|(i, e)| (cursor + i as u64 + 1, e))
        .collect();
    let next = cursor + entries.len() as u64;
    PulledPage {
        entries,
        next,
        head: next,
        central_time_ms: 0,
    }
}

#[test]
fn a_sku_and_barcode_made_twice_offline_are_both_kept_listed_and_scanned_alike() {
    let t = spawn_shop();
    let b = sibling(&t);
    let (a_seen, b_seen) = (
        t.event_count(),
        b.shop.store().outbox_status().unwrap().last_seq,
    );
    // Cut off from each other, both tills make TEA (same SKU, same barcode).
    let on_a = t.product("TEA", 250, 10);
    t.clock.advance_ms(5);
    let on_b = b
        .shop
        .create_product(
            &t.manager,
            product_fields("TEA", 300, on_a.fields.barcode.clone()),
            ProductStatus::Active,
        )
        .unwrap();
    assert_ne!(on_a.id, on_b.id);
    let barcode = on_a.fields.barcode.clone().unwrap();
    assert_eq!(on_b.fields.barcode.as_ref(), Some(&barcode));
    // The network heals: each applies the other's page, and keeps both products.
    let to_b = page_from(&t.shop, a_seen, 0);
    let to_a = page_from(&b.shop, b_seen, 0);
    assert_eq!(b.shop.apply_pulled(&to_b).unwrap().set_aside, 0);
    assert_eq!(t.shop.apply_pulled(&to_a).unwrap().set_aside, 0);
    let first = on_a.id.min(on_b.id);
    for s in [&t.shop, &b.shop] {
        for id in [on_a.id, on_b.id] {
            assert!(s.product(&t.manager, id).is_ok(), "both kept");
        }
        let clashes = s.clashes(&t.manager).unwrap();
        let fields: Vec<&str> = clashes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, ["sku", "barcode"], "listed for a manager");
        assert_eq!(clashes[0].value, "TEA");
        let mut held: Vec<uuid::Uuid> = clashes[0].holders.iter().map(|h| h.id).collect();
        assert_eq!(held.len(), 2);
        held.sort();
        assert_eq!(held[0], first.as_uuid(), "first made first");
        // A scan never fails, and takes the same product on every till.
        let scanned = s.product_by_barcode(&t.cashier, &barcode).unwrap();
        assert_eq!(scanned.id, first);
        let by_sku = s
            .product_by_sku(&t.cashier, &Sku::parse("TEA").unwrap())
            .unwrap();
        assert_eq!(by_sku.id, first);
        // An index agrees, and a search lists both.
        let dir = tempfile::tempdir().unwrap();
        let (index, _) = Index::open(&dir.path().join("ix"), s.store(), &mut |_| {}).unwrap();
        assert_eq!(
            index.product_by_barcode(barcode.as_str()).unwrap(),
            Some(first)
        );
        assert_eq!(index.product_by_sku("tea").unwrap(), Some(first));
        let found = index
            .search_products(&rustok_core::index::ProductSearch {
                text: "TEA".into(),
                ..Default::default()
            })
            .unwrap();
        assert!(found.contains(&on_a.id) && found.contains(&on_b.id));
    }
    // A new third TEA is refused; editing a clashing product's price is not.
    let again = t.shop.create_product(
        &t.manager,
        product_fields("TEA", 100, None),
        ProductStatus::Active,
    );
    assert!(
        matches!(
            again,
            Err(rustok_core::service::ShopError::Validation { .. })
        ),
        "{again:?}"
    );
    let mine = t.shop.product(&t.manager, on_a.id).unwrap();
    let mut cheaper = mine.fields.clone();
    cheaper.price.minor = 240;
    t.shop
        .update_product(&t.manager, on_a.id, mine.version, cheaper)
        .unwrap();
    // Archiving the first one sends scans to the other, active one.
    let mine = t.shop.product(&t.manager, first).unwrap();
    t.shop
        .set_product_status(&t.manager, first, mine.version, ProductStatus::Archived)
        .unwrap();
    let other = if first == on_a.id { on_b.id } else { on_a.id };
    assert_eq!(
        t.shop.product_by_barcode(&t.cashier, &barcode).unwrap().id,
        other
    );
    // The manager resolves it: the second TEA gets its own SKU and barcode.
    let o = t.shop.product(&t.manager, other).unwrap();
    let mut own = o.fields.clone();
    own.sku = Sku::parse("TEA-2").unwrap();
    own.barcode = None;
    t.shop
        .update_product(&t.manager, other, o.version, own)
        .unwrap();
    assert!(t.shop.clashes(&t.manager).unwrap().is_empty());
}

/// Trial finding: head office could set a price in another currency, and every
/// till took it. A till sets such a change aside (head office now refuses it too).
#[test]
fn a_pulled_price_in_another_currency_is_set_aside() {
    let t = spawn_shop();
    let b = sibling(&t);
    let start = t.event_count();
    let tea = t.product("TEA", 250, 0);
    let mut page = page_of(&t, start);
    let (_, created) = &mut page.entries[0];
    assert_eq!(created.event_type, "ProductCreated");
    let mut data: serde_json::Value = serde_json::from_str(created.data.get()).unwrap();
    data["price"]["currency"] = "USD".into();
    created.data = serde_json::value::RawValue::from_string(data.to_string()).unwrap();
    let done = b.shop.apply_pulled(&page).unwrap();
    assert_eq!(done.set_aside, 1);
    assert!(b.shop.product(&t.manager, tea.id).is_err());
    let letters = b
        .shop
        .store()
        .read(rustok_core::store::pull_dead_letters)
        .unwrap();
    assert!(letters[0].error.contains("USD"), "{:?}", letters[0].error);
}

/// DESIGN §7, pictures by digest: a picture a manager adds is noted to be sent;
/// a pulled product's picture that this till lacks is noted to be fetched (the
/// product is applied without it); one it holds is not; and a picture gone from
/// the folder is noted again when the till looks.
#[test]
fn pictures_are_noted_to_send_or_to_fetch_and_never_hold_up_a_pulled_product() {
    let t = spawn_shop();
    let b = sibling(&t);
    let b_dir = tempfile::tempdir().unwrap();
    b.shop
        .attach_images(rustok_core::store::ImageStore::open(b_dir.path()).unwrap());
    let store = t.shop.store();
    let waiting = |s: &Shop| s.store().image_transfers().unwrap().waiting;
    let before = waiting(&t.shop);
    let start = t.event_count();
    let digest = t.shop.store_image(&t.manager, &png(50, 40)).unwrap();
    assert_eq!(
        waiting(&t.shop),
        before,
        "a picture no product names stays here"
    );
    let mut f = product_fields("PIC", 100, None);
    f.image = Some(digest.clone());
    let pic = t
        .shop
        .create_product(&t.manager, f.clone(), ProductStatus::Active)
        .unwrap();
    let due = store.image_transfers_due(i64::MAX, 10).unwrap();
    assert!(
        due.iter().any(|d| d.digest == digest && d.send),
        "{due:?}: the new picture is to be sent"
    );
    store.image_transferred(&digest).unwrap();
    // An edit that keeps the picture notes nothing.
    f.titles = f.titles.with(en(), ProductTitle::parse("Picture").unwrap());
    t.shop
        .update_product(&t.manager, pic.id, pic.version, f)
        .unwrap();
    assert!(store.image_transfers_due(i64::MAX, 10).unwrap().is_empty());

    // The other till applies the product at once and notes the picture to fetch.
    let done = b.shop.apply_pulled(&page_of(&t, start)).unwrap();
    assert_eq!(done.set_aside, 0);
    let got = b.shop.product(&t.manager, pic.id).unwrap();
    assert_eq!(got.fields.image.as_ref(), Some(&digest));
    let due = b.shop.store().image_transfers_due(i64::MAX, 10).unwrap();
    assert_eq!(due.len(), 1, "{due:?}");
    assert!(due[0].digest == digest && !due[0].send);
    // A failed try waits, longer each time; the reason is kept.
    let bs = b.shop.store();
    bs.image_transfer_failed(&digest, "central does not hold it yet", 1_000)
        .unwrap();
    assert!(bs.image_transfers_due(5_999, 10).unwrap().is_empty());
    assert_eq!(bs.image_transfers_due(6_000, 10).unwrap()[0].attempts, 1);
    bs.image_transfer_failed(&digest, "again", 6_000).unwrap();
    assert!(bs.image_transfers_due(15_999, 10).unwrap().is_empty());
    assert_eq!(
        bs.image_transfers().unwrap().last_error.as_deref(),
        Some("again")
    );
    // "Sync now" makes it due at once.
    bs.image_transfers_due_now().unwrap();
    assert_eq!(bs.image_transfers_due(0, 10).unwrap().len(), 1);
    bs.image_transferred(&digest).unwrap();
    assert_eq!(waiting(&b.shop), 0);

    // A picture missing from the folder is noted when the till looks; one that is
    // there is not.
    assert_eq!(b.shop.want_missing_pictures().unwrap(), 1);
    assert_eq!(waiting(&b.shop), 1);
    assert_eq!(t.shop.want_missing_pictures().unwrap(), 0);
}

/// Nothing counted twice: a stock movement fed again at a later position (a central
/// that feeds it twice, a till made from a copy of another's data) is one this till
/// holds already, and stock counts it once.
#[test]
fn a_stock_movement_fed_twice_is_counted_once() {
    let t = spawn_shop();
    let b = sibling(&t);
    let start = t.event_count();
    let tea = t.product("TEA", 250, 10);
    let first = page_of(&t, start);
    b.shop.apply_pulled(&first).unwrap();
    assert_eq!(b.shop.product(&t.manager, tea.id).unwrap().on_hand, 10);
    let (_, moved) = first
        .entries
        .iter()
        .find(|(_, e)| e.event_type == "StockMoved")
        .unwrap()
        .clone();
    let twice = PulledPage {
        entries: vec![(first.next + 1, moved)],
        next: first.next + 1,
        head: first.next + 1,
        central_time_ms: first.central_time_ms,
    };
    let done = b.shop.apply_pulled(&twice).unwrap();
    assert_eq!((done.set_aside, done.cursor), (0, first.next + 1));
    assert_eq!(b.shop.product(&t.manager, tea.id).unwrap().on_hand, 10);
}

/// A till that joins a chain takes the whole catalog from elsewhere: that is not
/// news, so nothing is marked as changed elsewhere; a change made elsewhere after
/// it joined is marked, with who made it.
#[test]
fn only_changes_made_elsewhere_after_a_till_joined_are_marked() {
    use rustok_core::domain::device::DeviceCode;
    use rustok_core::domain::tenant::TenantSlug;
    use rustok_core::service::JoinSetup;
    let t = spawn_shop();
    let tea = t.product("TEA", 250, 0);
    t.clock.advance_ms(60_000);
    let dir = tempfile::tempdir().unwrap();
    let b = open_shop(&dir.path().join("shop.db"), t.clock.clone(), 77);
    let me = t.shop.device().unwrap().unwrap();
    b.join(JoinSetup {
        device_id: b.new_device_id(),
        tenant_id: me.tenant_id,
        slug: TenantSlug::parse("corner").unwrap(),
        device_code: DeviceCode::parse("POS2").unwrap(),
    })
    .unwrap();
    b.apply_pulled(&page_of(&t, 0)).unwrap();
    assert!(b.ready().unwrap());
    let manager = b.login(t.manager.operator_id(), &pin(PINS[1].1)).unwrap();
    assert!(
        b.changed_elsewhere(&manager, &[tea.id]).unwrap().is_empty(),
        "the catalog as it was when the till joined"
    );
    let before = t.event_count();
    t.clock.advance_ms(1_000);
    let mut f = tea.fields.clone();
    f.price.minor = 300;
    t.shop
        .update_product(&t.manager, tea.id, tea.version, f)
        .unwrap();
    b.apply_pulled(&page_of(&t, before)).unwrap();
    let marked = b.changed_elsewhere(&manager, &[tea.id]).unwrap();
    assert_eq!(
        marked[&tea.id].stamp.device, me.device_id,
        "changed at the first till"
    );
    assert_eq!(marked[&tea.id].fields, ["price"], "what it changed");
}

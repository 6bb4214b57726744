//! Upgrade: a till of the previous release (schema 12, before stores and pulling),
//! enrolled, with sales still queued, opens under this release. It migrates (its
//! replicas made from its own events), pushes its queue exactly once, and pulls the
//! catalog head office made meanwhile; the other till of its store then takes its
//! products and stock.

use crate::world::{en, Plant, World};
use rustok_core::domain::replica::Kind;
use rustok_core::store::{Store, MIGRATIONS};
use rustok_sync::testing::Rng;
use std::path::Path;

/// Rewrites the database at `path` as the previous release (schema 12) held it: a
/// file made by migrations 1 to 12 alone, with every row of those tables copied
/// over (so the UNIQUE constraints schema 14 dropped are back, and nothing of
/// schema 13 is there).
fn as_schema_12(path: &Path) {
    let newer = path.with_extension("newer");
    std::fs::rename(path, &newer).unwrap();
    for side in ["-wal", "-shm"] {
        let p = format!("{}{side}", path.display());
        if Path::new(&p).exists() {
            std::fs::rename(&p, format!("{}{side}", newer.display())).unwrap();
        }
    }
    let c = rusqlite::Connection::open(path).unwrap();
    // Rows are copied table by table, in no order of their references.
    c.pragma_update(None, "foreign_keys", "OFF").unwrap();
    for (_, _, sql) in MIGRATIONS.iter().filter(|(v, _, _)| *v <= 12) {
        c.execute_batch(sql).unwrap();
    }
    c.pragma_update(None, "user_version", 12).unwrap();
    c.execute("ATTACH DATABASE ?1 AS newer", [newer.to_str().unwrap()])
        .unwrap();
    let tables: Vec<String> = c
        .prepare(
            "SELECT name FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for t in tables {
        let columns: Vec<String> = c
            .prepare(&format!("SELECT name FROM pragma_table_info('{t}')"))
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let list = columns.join(", ");
        c.execute_batch(&format!(
            "INSERT INTO main.\"{t}\" ({list}) SELECT {list} FROM newer.\"{t}\""
        ))
        .unwrap();
    }
    c.execute_batch("DETACH DATABASE newer").unwrap();
    let replicas: i64 = c
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'replicas'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(replicas, 0, "a schema 12 file");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_till_of_the_previous_release_migrates_pushes_its_queue_and_pulls_the_catalog() {
    let mut w = World::new(12, [0, 0, 0], Plant::None).await;
    let mut rng = Rng::new(12);
    // Everything the till had said reached central.
    w.tills[0].relay().drain().await.unwrap();
    // Then, as the previous release: its own product, stock and sales, queued.
    w.create_product(0, &mut rng);
    w.receive(0, &mut rng);
    for _ in 0..3 {
        w.sell(0, &mut rng);
    }
    // Meanwhile head office makes the chain's catalog (that release never pulled).
    for _ in 0..3 {
        w.office_product(&mut rng).await;
    }
    let before = w.tills[0].shop.store().outbox_status().unwrap();
    assert!(before.pending >= 5, "a queue: {before:?}");
    let own = w.sellable(0);
    assert_eq!(own.len(), 1);

    w.tills[0].with_database_replaced(as_schema_12);
    let till = &w.tills[0];
    let store: &Store = till.shop.store();
    assert_eq!(
        store.outbox_status().unwrap(),
        before,
        "the queue as it was"
    );
    let replicas = store
        .read(|c| rustok_core::store::replicas_of_kind(c, Kind::Product))
        .unwrap();
    assert_eq!(
        replicas.len(),
        1,
        "its own product, replayed from its events"
    );
    // It pushes its queue, exactly once.
    till.relay().drain().await.unwrap();
    let local = store.events_after(0, u32::MAX).unwrap();
    let held = w.central.backend.events_of(till.device_id()).await.unwrap();
    let ids = |v: &[rustok_core::domain::event::Envelope]| {
        v.iter().map(|e| (e.seq, e.id)).collect::<Vec<_>>()
    };
    assert_eq!(ids(&local), ids(&held));
    // It pulls head office's catalog, and keeps its own product and stock.
    till.puller().pull_all().await.unwrap();
    let now = w.every_product(till);
    let made = w.ledger.done.get("office").copied().unwrap_or(0) as usize;
    let state = store.pull_state().unwrap();
    assert_eq!(
        now.len(),
        1 + made,
        "its product and head office's {made}: {:?}, {state:?}",
        now.iter()
            .map(|p| p.fields.sku.as_str())
            .collect::<Vec<_>>()
    );
    let mine = now.iter().find(|p| p.id == own[0].id).unwrap();
    assert_eq!(
        (mine.fields.clone(), mine.on_hand),
        (own[0].fields.clone(), own[0].on_hand)
    );
    assert!(now.iter().filter(|p| p.id != own[0].id).all(|p| p
        .fields
        .titles
        .get(&en())
        .is_some_and(|t| t.as_str().starts_with("Office thing"))));
    // The other till of its store takes its product and stock.
    let other = &w.tills[1];
    other.puller().pull_all().await.unwrap();
    let there = other.shop.product(w.manager(), own[0].id).unwrap();
    assert_eq!(
        (there.fields.clone(), there.on_hand),
        (own[0].fields.clone(), own[0].on_hand)
    );
}

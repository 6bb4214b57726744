//! Opening, migrating and refusing databases.

use crate::helpers::*;
use rustok_core::store::{Store, StoreError, MIGRATIONS, SCHEMA_VERSION};

#[test]
fn a_database_from_a_newer_app_is_refused_and_left_byte_identical() {
    let t = spawn_shop();
    let path = t.db_path();
    drop(t.shop);
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        // Fold the WAL into the main file so the bytes below are the whole database.
        c.pragma_update(None, "journal_mode", "DELETE").unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(
        matches!(err, StoreError::SchemaTooNew { found, supported } if found == SCHEMA_VERSION + 1 && supported == SCHEMA_VERSION),
        "{err:?}"
    );
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "the refused file must not change"
    );
}

#[test]
fn a_file_that_is_not_a_database_is_refused_with_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("garbage.db");
    std::fs::write(
        &path,
        b"this is not a database, just text that is long enough to matter",
    )
    .unwrap();
    assert!(matches!(Store::open(&path), Err(StoreError::Sqlite(_))));
}

#[test]
fn every_migration_file_is_embedded_in_order() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations/edge");
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".sql"))
        .collect();
    files.sort();
    let embedded: Vec<String> = MIGRATIONS
        .iter()
        .map(|(_, name, _)| (*name).to_owned())
        .collect();
    assert_eq!(files, embedded);
    for (i, (v, name, _)) in MIGRATIONS.iter().enumerate() {
        assert_eq!(*v as usize, i + 1);
        assert!(name.starts_with(&format!("{:04}_", i + 1)), "{name}");
    }
}

#[test]
fn reopening_keeps_everything_and_continues_the_sequences() {
    let t = spawn_shop();
    let p = t.product("KEEP", 100, 3);
    t.open_shift(0);
    t.sell(&[(&p, 1)]);
    let path = t.db_path();
    let before = t.fingerprint();
    let seq = t.event_count();
    let clock = t.clock.clone();
    let cashier = t.cashier.clone();
    drop(t.shop);
    let shop = open_shop(&path, clock, 8);
    assert_eq!(fingerprint(&path), before);
    let o = shop
        .counter_sale(
            &cashier,
            new_order(&[(&p, 1)]),
            &[rustok_core::domain::payment::Tender::Card {
                amount: 100,
                reference: None,
            }],
        )
        .unwrap();
    assert_eq!(o.data().number.as_str(), "POS1-000002");
    assert_eq!(shop.store().events_after(seq, 10).unwrap()[0].seq, seq + 1);
    drop(t.dir);
}

//! Add-only migrations from `migrations/edge/`, embedded at compile time.

use super::StoreError;
use rusqlite::backup::Backup;
use rusqlite::{Connection, OptionalExtension};
use std::path::Path;

/// Every migration, in order: `(version, file name, SQL)`.
pub const MIGRATIONS: &[(u32, &str, &str)] = &[
    (
        1,
        "0001_init.sql",
        include_str!("../../../migrations/edge/0001_init.sql"),
    ),
    (
        2,
        "0002_bus.sql",
        include_str!("../../../migrations/edge/0002_bus.sql"),
    ),
    (
        3,
        "0003_sale_pages.sql",
        include_str!("../../../migrations/edge/0003_sale_pages.sql"),
    ),
    (
        4,
        "0004_sale_checks.sql",
        include_str!("../../../migrations/edge/0004_sale_checks.sql"),
    ),
    (
        5,
        "0005_shift_close.sql",
        include_str!("../../../migrations/edge/0005_shift_close.sql"),
    ),
    (
        6,
        "0006_line_refunds.sql",
        include_str!("../../../migrations/edge/0006_line_refunds.sql"),
    ),
    (
        7,
        "0007_discounts.sql",
        include_str!("../../../migrations/edge/0007_discounts.sql"),
    ),
    (
        8,
        "0008_parked_sales.sql",
        include_str!("../../../migrations/edge/0008_parked_sales.sql"),
    ),
    (
        9,
        "0009_shop_address.sql",
        include_str!("../../../migrations/edge/0009_shop_address.sql"),
    ),
    (
        10,
        "0010_kiosk_tickets.sql",
        include_str!("../../../migrations/edge/0010_kiosk_tickets.sql"),
    ),
    (
        11,
        "0011_categories_images.sql",
        include_str!("../../../migrations/edge/0011_categories_images.sql"),
    ),
    (
        12,
        "0012_promo_products.sql",
        include_str!("../../../migrations/edge/0012_promo_products.sql"),
    ),
    (
        13,
        "0013_store_sync.sql",
        include_str!("../../../migrations/edge/0013_store_sync.sql"),
    ),
    (
        14,
        "0014_clashes.sql",
        include_str!("../../../migrations/edge/0014_clashes.sql"),
    ),
    (
        15,
        "0015_image_transfers.sql",
        include_str!("../../../migrations/edge/0015_image_transfers.sql"),
    ),
    (
        16,
        "0016_replicas_in_rowid_table.sql",
        include_str!("../../../migrations/edge/0016_replicas_in_rowid_table.sql"),
    ),
];

/// The step that made the replicas table: this device's events are replayed into
/// it in the same transaction.
const REPLICAS_STEP: u32 = 13;

/// The schema version this app writes (`PRAGMA user_version`).
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Refuses a newer database untouched, copies an older one aside, then migrates.
pub(super) fn check_and_migrate(
    conn: &mut Connection,
    path: &Path,
    configure: fn(&Connection, bool) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    migrate_with(conn, path, configure, MIGRATIONS)
}

fn migrate_with(
    conn: &mut Connection,
    path: &Path,
    configure: fn(&Connection, bool) -> Result<(), StoreError>,
    migrations: &[(u32, &str, &str)],
) -> Result<(), StoreError> {
    let supported = u32::try_from(migrations.len()).unwrap_or(u32::MAX);
    // Read the version before any pragma that could write to the file.
    let found: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if found > supported {
        return Err(StoreError::SchemaTooNew { found, supported });
    }
    configure(conn, false)?;
    if found == supported {
        return Ok(());
    }
    if found > 0 {
        let copy = path.with_extension(format!("v{found}.bak"));
        let mut dst = Connection::open(&copy)?;
        Backup::new(conn, &mut dst)?.run_to_completion(256, std::time::Duration::ZERO, None)?;
    }
    // A step may rebuild a table (create the new one, copy, drop the old, rename),
    // which SQLite only allows with foreign keys off; they are checked before the
    // commit instead, and turned back on whatever happens.
    conn.pragma_update(None, "foreign_keys", "OFF")?;
    let migrated = run_steps(conn, found, migrations);
    conn.pragma_update(None, "foreign_keys", "ON")?;
    migrated
}

/// All pending steps in one transaction: a failing step leaves the old schema.
fn run_steps(
    conn: &mut Connection,
    found: u32,
    migrations: &[(u32, &str, &str)],
) -> Result<(), StoreError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    // Only references the steps break stop the migration: a database that already
    // had a dangling one (`doctor` reports it) must still open.
    let dangling = |c: &Connection| -> Result<i64, StoreError> {
        Ok(
            c.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
                r.get(0)
            })?,
        )
    };
    let before = dangling(&tx)?;
    for (version, _, sql) in migrations.iter().filter(|(v, _, _)| *v > found) {
        tx.execute_batch(sql)?;
        if *version == REPLICAS_STEP {
            super::replicas::replay(&tx)?;
        }
        tx.pragma_update(None, "user_version", version)?;
    }
    if dangling(&tx)? > before {
        let table: Option<String> = tx
            .query_row("SELECT \"table\" FROM pragma_foreign_key_check", [], |r| {
                r.get(0)
            })
            .optional()?;
        return Err(StoreError::MigrationBrokeReferences {
            table: table.unwrap_or_default(),
        });
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: (u32, &str, &str) = (1, "0001_a.sql", "CREATE TABLE a (x INTEGER NOT NULL);");
    const V2: (u32, &str, &str) = (2, "0002_b.sql", "CREATE TABLE b (y INTEGER NOT NULL);");
    const BROKEN: (u32, &str, &str) = (
        2,
        "0002_bad.sql",
        "CREATE TABLE c (z); INSERT INTO nowhere VALUES (1);",
    );

    fn no_pragmas(_: &Connection, _: bool) -> Result<(), StoreError> {
        Ok(())
    }

    /// An empty database file in a new folder (kept while the `TempDir` lives).
    fn fresh() -> (tempfile::TempDir, std::path::PathBuf, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shop.db");
        let c = Connection::open(&path).unwrap();
        (dir, path, c)
    }

    fn tables(c: &Connection) -> Vec<String> {
        let mut st = c
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .unwrap();
        st.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn an_older_database_is_copied_aside_before_it_is_migrated() {
        let (dir, path, mut c) = fresh();
        migrate_with(&mut c, &path, no_pragmas, &[V1]).unwrap();
        c.execute("INSERT INTO a VALUES (42)", []).unwrap();
        migrate_with(&mut c, &path, no_pragmas, &[V1, V2]).unwrap();
        assert_eq!(tables(&c), ["a", "b"]);
        let v: u32 = c
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, 2);
        let copy = Connection::open(dir.path().join("shop.v1.bak")).unwrap();
        assert_eq!(tables(&copy), ["a"]);
        let x: i64 = copy.query_row("SELECT x FROM a", [], |r| r.get(0)).unwrap();
        assert_eq!(x, 42);
    }

    fn fk_on(c: &Connection, _: bool) -> Result<(), StoreError> {
        c.pragma_update(None, "foreign_keys", "ON")?;
        Ok(())
    }

    #[test]
    fn a_migration_that_breaks_a_reference_is_refused_and_changes_nothing() {
        let (_dir, path, mut c) = fresh();
        let parent: (u32, &str, &str) = (
            1,
            "0001_p.sql",
            "CREATE TABLE p (id TEXT PRIMARY KEY);
             CREATE TABLE k (p TEXT REFERENCES p(id));
             INSERT INTO p VALUES ('x'); INSERT INTO k VALUES ('x');",
        );
        let orphan: (u32, &str, &str) = (2, "0002_o.sql", "DELETE FROM p;");
        migrate_with(&mut c, &path, fk_on, &[parent]).unwrap();
        let err = migrate_with(&mut c, &path, fk_on, &[parent, orphan]).unwrap_err();
        assert!(
            matches!(&err, StoreError::MigrationBrokeReferences { table } if table == "k"),
            "{err:?}"
        );
        let left: i64 = c
            .query_row("SELECT count(*) FROM p", [], |r| r.get(0))
            .unwrap();
        assert_eq!(left, 1);
        let fk: i64 = c
            .pragma_query_value(None, "foreign_keys", |r| r.get(0))
            .unwrap();
        assert_eq!(fk, 1, "foreign keys are back on after a failed migration");
    }

    #[test]
    fn a_database_that_already_had_a_dangling_reference_still_migrates() {
        let (_dir, path, mut c) = fresh();
        let orphaned: (u32, &str, &str) = (
            1,
            "0001_p.sql",
            "CREATE TABLE p (id TEXT PRIMARY KEY);
             CREATE TABLE k (p TEXT REFERENCES p(id));",
        );
        migrate_with(&mut c, &path, fk_on, &[orphaned]).unwrap();
        c.execute_batch("PRAGMA foreign_keys = OFF; INSERT INTO k VALUES ('gone');")
            .unwrap();
        migrate_with(&mut c, &path, fk_on, &[orphaned, V2]).unwrap();
        assert_eq!(tables(&c), ["b", "k", "p"]);
    }

    /// A schema-2 database with two orders, their events and a stock movement.
    const SCHEMA_2_SHOP: &str = "
        INSERT INTO tenants VALUES ('t1', 'shop', 'Shop', 'EUR', 'en', 'inclusive', 1, 1, 0, 0, '2026-01-01T00:00:00.000Z');
        INSERT INTO products (id, tenant_id, sku, titles, descriptions, price, currency, tax_rate_bp, status, version, updated_at)
            VALUES ('p1', 't1', 'TEA', '{}', '{}', 100, 'EUR', 0, 'active', 1, '2026-01-01T00:00:00.000Z');
        INSERT INTO orders (id, tenant_id, number, status, currency, tax_mode, net, tax, gross, lines, created_at, day, updated_at)
            VALUES ('01900000-0000-7000-8000-000000000001', 't1', 'POS1-000001', 'delivered', 'EUR', 'inclusive', 100, 0, 100, '[]',
                    '2026-01-01T00:00:00.000Z', '2026-01-01', '2026-01-01T00:00:00.000Z'),
                   ('01900000-0000-7000-8000-000000000002', 't1', 'POS1-1234567', 'pending', 'EUR', 'inclusive', 100, 0, 100, '[]',
                    '2026-01-01T00:00:00.000Z', '2026-01-01', '2026-01-01T00:00:00.000Z');
        INSERT INTO stock_movements (id, tenant_id, product_id, kind, delta, order_id, occurred_at)
            VALUES ('m1', 't1', 'p1', 'sold', -1, '01900000-0000-7000-8000-000000000001', '2026-01-01T00:00:00.000Z');
        INSERT INTO events (seq, id, type, schema_version, tenant_id, device_id, hlc, occurred_at, correlation_id, origin, aggregate_id, data)
            VALUES (1, 'e1', 'OrderCreated', 1, 't1', 'd1', 'h', 'x', 'c', 'device', '01900000-0000-7000-8000-000000000001', '{}'),
                   (2, 'e2', 'ProductCreated', 1, 't1', 'd1', 'h', 'x', 'c', 'device', 'p1', '{}'),
                   (3, 'e3', 'OrderCreated', 1, 't1', 'd1', 'h', 'x', 'c', 'device', '01900000-0000-7000-8000-000000000002', '{}'),
                   (4, 'e4', 'StockMoved', 1, 't1', 'd1', 'h', 'x', 'c', 'device', '01900000-0000-7000-8000-000000000001', '{}'),
                   (5, 'e5', 'OrderDelivered', 1, 't1', 'd1', 'h', 'x', 'c', 'device', '01900000-0000-7000-8000-000000000001', '{}');";

    #[test]
    fn schema_3_keys_orders_by_serial_and_lists_each_orders_events() {
        let (_dir, path, mut c) = fresh();
        migrate_with(&mut c, &path, fk_on, &MIGRATIONS[..2]).unwrap();
        c.execute_batch(SCHEMA_2_SHOP).unwrap();
        migrate_with(&mut c, &path, fk_on, MIGRATIONS).unwrap();

        let mut st = c
            .prepare("SELECT n, number, history FROM orders ORDER BY n")
            .unwrap();
        let rows: Vec<(i64, String, String)> = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            rows,
            [
                (1, "POS1-000001".to_owned(), "1,4,5".to_owned()),
                (1_234_567, "POS1-1234567".to_owned(), "3".to_owned()),
            ]
        );
        let first =
            crate::domain::ids::OrderId::parse("01900000-0000-7000-8000-000000000001").unwrap();
        // The same lookup as `order_events`, on placeholder envelopes.
        let listed: Vec<i64> = c
            .prepare(
                "SELECT seq FROM events WHERE seq IN (SELECT value FROM json_each('[' ||
                 (SELECT history FROM orders WHERE id = ?1) || ']')) ORDER BY seq",
            )
            .unwrap()
            .query_map([first.to_string()], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(listed, [1, 4, 5]);
        let index: Option<String> = c
            .query_row(
                "SELECT name FROM sqlite_master WHERE name = 'events_aggregate'",
                [],
                |r| r.get(0),
            )
            .optional()
            .unwrap();
        assert_eq!(index, None);
        // The movement still refers to the rebuilt orders table.
        let dangling = c.execute(
            "INSERT INTO stock_movements (id, tenant_id, product_id, kind, delta, order_id, occurred_at)
             VALUES ('m2', 't1', 'p1', 'sold', -1, 'no-such-order', 'x')",
            [],
        );
        assert!(
            dangling.is_err(),
            "a movement of a missing order is refused"
        );
        let ok = c.execute(
            "INSERT INTO stock_movements (id, tenant_id, product_id, kind, delta, order_id, occurred_at)
             VALUES ('m3', 't1', 'p1', 'sold', -1, '01900000-0000-7000-8000-000000000002', 'x')",
            [],
        );
        assert_eq!(ok.unwrap(), 1);
    }

    #[test]
    fn schema_4_keeps_every_allowed_kind_and_status_and_refuses_the_rest() {
        let (_dir, path, mut c) = fresh();
        migrate_with(&mut c, &path, fk_on, &MIGRATIONS[..2]).unwrap();
        c.execute_batch(SCHEMA_2_SHOP).unwrap();
        let movements = |c: &Connection| -> Vec<String> {
            c.prepare(
                "SELECT rowid || ':' || id || ':' || kind || ':' || order_id FROM stock_movements",
            )
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
        };
        let before = movements(&c);
        migrate_with(&mut c, &path, fk_on, MIGRATIONS).unwrap();
        assert_eq!(movements(&c), before, "movements keep their rows and order");

        let order = "01900000-0000-7000-8000-000000000001";
        for kind in ["received", "adjusted", "sold", "returned", "stolen", "SOLD"] {
            let ok = c
                .execute(
                    "INSERT INTO stock_movements (id, tenant_id, product_id, kind, delta, order_id, occurred_at)
                     VALUES ('m', 't1', 'p1', ?1, -1, ?2, 'x')",
                    [kind, order],
                )
                .is_ok();
            let allowed = ["received", "adjusted", "sold", "returned"].contains(&kind);
            assert_eq!(ok, allowed, "movement kind {kind}");
        }
        let statuses = [
            "pending",
            "confirmed",
            "paid",
            "shipped",
            "delivered",
            "cancelled",
            "partially_refunded",
            "refunded",
        ];
        for status in statuses.iter().chain(&["lost", ""]) {
            let ok = c
                .execute(
                    "UPDATE orders SET status = ?1 WHERE id = ?2",
                    [status, &order],
                )
                .is_ok();
            assert_eq!(ok, statuses.contains(status), "order status {status}");
        }
    }

    #[test]
    fn schema_6_turns_each_old_refund_into_what_the_event_upcaster_makes_of_it() {
        let (_dir, path, mut c) = fresh();
        migrate_with(&mut c, &path, fk_on, &MIGRATIONS[..2]).unwrap();
        c.execute_batch(SCHEMA_2_SHOP).unwrap();
        migrate_with(&mut c, &path, fk_on, &MIGRATIONS[..5]).unwrap();
        let old = [
            r#"{"amount":249,"method":"cash","restock":true,"reason":"Broken"}"#,
            r#"{"amount":100,"method":"card","restock":false}"#,
        ];
        c.execute(
            "UPDATE orders SET status = 'refunded', refund = ?1 WHERE n = 1",
            [old[0]],
        )
        .unwrap();
        c.execute(
            "UPDATE orders SET status = 'refunded', refund = ?1 WHERE n = 1234567",
            [old[1]],
        )
        .unwrap();
        migrate_with(&mut c, &path, fk_on, MIGRATIONS).unwrap();
        let rows: Vec<String> = c
            .prepare("SELECT refunds FROM orders ORDER BY n")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for (stored, old) in rows.iter().zip(old) {
            let stored: serde_json::Value = serde_json::from_str(stored).unwrap();
            let old: serde_json::Value = serde_json::from_str(old).unwrap();
            let upcast = crate::domain::upcast::refund_v1_to_v2(&old).unwrap();
            assert_eq!(stored, serde_json::json!([upcast]));
            let _: Vec<crate::domain::payment::Refund> = serde_json::from_value(stored).unwrap();
        }
    }

    #[test]
    fn the_rows_a_sale_writes_are_checked_without_temporary_b_trees() {
        use super::super::{cash, catalog, orders, outbox};
        let (_dir, path, mut c) = fresh();
        migrate_with(&mut c, &path, fk_on, MIGRATIONS).unwrap();
        for sql in [
            &catalog::insert_movements_sql(5),
            catalog::ADD_ON_HAND,
            orders::INSERT_ORDER,
            &outbox::insert_events_sql(9),
            outbox::APPEND_HISTORY,
            cash::UPDATE_OPEN_SESSION,
        ] {
            let mut st = c.prepare(&format!("EXPLAIN {sql}")).unwrap();
            // EXPLAIN runs nothing, so the parameters need no values.
            let mut rows = st.raw_query();
            let mut ops: Vec<String> = Vec::new();
            while let Some(r) = rows.next().unwrap() {
                ops.push(r.get(1).unwrap());
            }
            assert!(!ops.is_empty());
            assert!(
                !ops.iter().any(|op| op == "OpenEphemeral"),
                "{sql} builds a temporary B-tree: {ops:?}"
            );
        }
    }

    #[test]
    fn a_failing_migration_changes_nothing() {
        let (_dir, path, mut c) = fresh();
        migrate_with(&mut c, &path, no_pragmas, &[V1]).unwrap();
        assert!(migrate_with(&mut c, &path, no_pragmas, &[V1, BROKEN]).is_err());
        assert_eq!(tables(&c), ["a"]);
        let v: u32 = c
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, 1);
    }
}

//! Add-only migrations from `migrations/edge/`, embedded at compile time.

use super::StoreError;
use rusqlite::backup::Backup;
use rusqlite::Connection;
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
];

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
    // All pending steps in one transaction: a failing step leaves the old schema.
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    for (version, _, sql) in migrations.iter().filter(|(v, _, _)| *v > found) {
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version)?;
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
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shop.db");
        let mut c = Connection::open(&path).unwrap();
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

    #[test]
    fn a_failing_migration_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shop.db");
        let mut c = Connection::open(&path).unwrap();
        migrate_with(&mut c, &path, no_pragmas, &[V1]).unwrap();
        assert!(migrate_with(&mut c, &path, no_pragmas, &[V1, BROKEN]).is_err());
        assert_eq!(tables(&c), ["a"]);
        let v: u32 = c
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, 1);
    }
}

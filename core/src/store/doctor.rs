//! `doctor`: SQLite integrity, foreign keys, outbox gaps, and stock consistency.

use super::{Store, StoreError};
use rusqlite::Connection;

/// What `doctor` found. Clean when every list is empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DoctorReport {
    /// Problems reported by `PRAGMA integrity_check` (empty when it says `ok`).
    pub integrity: Vec<String>,
    /// Rows that break a foreign key.
    pub foreign_key_violations: u64,
    /// Missing `seq` ranges in the outbox, inclusive.
    pub seq_gaps: Vec<(u64, u64)>,
    /// `(seq the device has given out, highest seq in the log)` when the log ends
    /// below what the device row records as given out (acknowledged by central).
    pub last_seq_mismatch: Option<(u64, u64)>,
    /// Orders (by number) whose history lists an event the log does not hold, or
    /// cannot be read.
    pub history_missing: Vec<String>,
    /// Products whose stock on hand is not the sum of their movements.
    pub stock_mismatches: Vec<String>,
    /// Events in the log.
    pub events: u64,
    /// Events not yet acknowledged by central.
    pub pending: u64,
}

impl DoctorReport {
    /// True when nothing is wrong.
    pub fn is_clean(&self) -> bool {
        self.integrity.is_empty()
            && self.foreign_key_violations == 0
            && self.seq_gaps.is_empty()
            && self.last_seq_mismatch.is_none()
            && self.history_missing.is_empty()
            && self.stock_mismatches.is_empty()
    }
}

fn check(c: &Connection) -> Result<DoctorReport, StoreError> {
    let mut r = DoctorReport::default();
    let mut st = c.prepare("PRAGMA integrity_check")?;
    r.integrity = st
        .query_map([], |row| row.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .filter(|l| l != "ok")
        .collect();
    r.foreign_key_violations = c
        .prepare("PRAGMA foreign_key_check")?
        .query_map([], |_| Ok(()))?
        .count() as u64;
    let mut st = c.prepare(
        "SELECT prev + 1, seq - 1 FROM (SELECT seq, COALESCE(LAG(seq) OVER (ORDER BY seq), 0) AS prev FROM events)
         WHERE seq <> prev + 1",
    )?;
    r.seq_gaps = st
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let (events, max_seq): (u64, u64) = c.query_row(
        "SELECT count(*), COALESCE(max(seq), 0) FROM events",
        [],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    r.events = events;
    let status = super::outbox::outbox_status_in(c)?;
    r.pending = status.pending;
    if status.last_seq != max_seq {
        r.last_seq_mismatch = Some((status.last_seq, max_seq));
    }
    let mut st = c.prepare(
        "SELECT number FROM orders WHERE CASE WHEN json_valid('[' || history || ']') THEN
           EXISTS (SELECT 1 FROM json_each('[' || history || ']') AS h
                   WHERE NOT EXISTS (SELECT 1 FROM events WHERE seq = h.value))
         ELSE 1 END ORDER BY n",
    )?;
    r.history_missing = st
        .query_map([], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    let mut st = c.prepare(
        "SELECT p.sku FROM products p LEFT JOIN (SELECT product_id, sum(delta) AS s FROM stock_movements GROUP BY product_id) m
         ON m.product_id = p.id WHERE p.on_hand <> COALESCE(m.s, 0) ORDER BY p.sku",
    )?;
    r.stock_mismatches = st
        .query_map([], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(r)
}

impl Store {
    /// Checks the database: integrity, foreign keys, the outbox `seq` (gapless from 1,
    /// reaching what the device has given out), every event an order lists, and stock
    /// on hand against its movements.
    pub fn doctor(&self) -> Result<DoctorReport, StoreError> {
        self.read(check)
    }

    /// Writes a consistent copy of the live database to `dest` with SQLite's online
    /// backup, through a temporary file renamed into place, so a failed backup never
    /// leaves a half-written file under the requested name.
    pub fn backup_to(&self, dest: &std::path::Path) -> Result<(), StoreError> {
        let tmp = dest.with_extension("partial");
        let result = self.read(|c| {
            let mut dst = Connection::open(&tmp)?;
            rusqlite::backup::Backup::new(c, &mut dst)?.run_to_completion(
                1024,
                std::time::Duration::ZERO,
                None,
            )?;
            dst.close().map_err(|(_, e)| e)?;
            std::fs::File::open(&tmp)?.sync_all()?;
            std::fs::rename(&tmp, dest)?;
            Ok::<(), StoreError>(())
        });
        if result.is_err() {
            // Best effort: the error that matters is the one returned.
            let _ = std::fs::remove_file(&tmp);
        }
        result
    }
}

//! `doctor`: SQLite integrity, foreign keys, outbox gaps, and stock consistency.

use super::{Store, StoreError};
use rusqlite::Connection;
use std::path::{Path, PathBuf};

/// What a backup found besides the copy it wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BackupReport {
    /// Bytes of an unfinished copy a killed backup had left (`<dest>.partial`),
    /// removed before this one started.
    pub removed_leftover: Option<u64>,
}

/// Where a backup to `dest` is written before it is renamed into place.
pub fn partial_path(dest: &Path) -> PathBuf {
    let mut name = dest.file_name().unwrap_or_default().to_owned();
    name.push(".partial");
    dest.with_file_name(name)
}

fn journal_path(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push("-journal");
    PathBuf::from(name)
}

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
    /// backup, through `<dest>.partial` renamed into place, so a failed or killed
    /// backup never leaves a half-written file under the requested name.
    ///
    /// The copy is taken in one step over one read snapshot: a till that commits
    /// while it runs (from its own connection) never makes it start over, so it
    /// finishes in time proportional to the file, however busy the till. A
    /// `<dest>.partial` left by a backup that was killed is removed and reported;
    /// one that another backup is still writing makes this one refuse.
    pub fn backup_to(&self, dest: &Path) -> Result<BackupReport, StoreError> {
        let tmp = partial_path(dest);
        let mut report = BackupReport::default();
        let lock = std::fs::File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&tmp)?;
        if lock.try_lock().is_err() {
            return Err(StoreError::BackupBusy(dest.to_owned()));
        }
        let left = lock.metadata()?.len();
        if left > 0 {
            report.removed_leftover = Some(left);
            lock.set_len(0)?;
        }
        // SQLite's own journal of the copy, left by a killed backup that had one.
        let journal = journal_path(&tmp);
        if journal.exists() {
            std::fs::remove_file(&journal)?;
            report.removed_leftover.get_or_insert(0);
        }
        if let Some(bytes) = report.removed_leftover {
            tracing::warn!(file = %tmp.display(), bytes, "removed an unfinished backup left by an earlier run");
        }
        let result = self.read(|c| {
            let mut dst = Connection::open(&tmp)?;
            // No journal beside the copy: it is renamed into place only once whole,
            // and until then it is only ever a partial file.
            dst.pragma_update(None, "journal_mode", "OFF")?;
            dst.pragma_update(None, "synchronous", "OFF")?;
            {
                let backup = rusqlite::backup::Backup::new(c, &mut dst)?;
                // All pages in one step: one read snapshot, never restarted.
                while backup.step(-1)? != rusqlite::backup::StepResult::Done {}
            }
            dst.close().map_err(|(_, e)| e)?;
            lock.sync_all()?;
            std::fs::rename(&tmp, dest)?;
            if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
                // The rename itself must survive a power cut.
                std::fs::File::open(dir)?.sync_all()?;
            }
            Ok::<(), StoreError>(())
        });
        if result.is_err() {
            // Best effort: the error that matters is the one returned.
            let _ = std::fs::remove_file(&tmp);
        }
        drop(lock);
        result.map(|()| report)
    }
}

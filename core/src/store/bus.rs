//! Bookkeeping of the event bus: per-handler checkpoints and dead letters. These
//! rows describe derived data, not shop state, so they are written without events
//! (outside [`Store::write`]).

use super::outbox::events_of_seq;
use super::{lock, Store, StoreError};
use crate::domain::clock::Timestamp;
use crate::domain::event::Envelope;
use rusqlite::{params, Connection, OptionalExtension};

/// An event a handler gave up on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    /// Handler name.
    pub handler: String,
    /// Outbox sequence number of the event.
    pub seq: u64,
    /// The last error.
    pub error: String,
    /// Attempts made.
    pub attempts: u32,
    /// When it was recorded.
    pub recorded_at: Timestamp,
}

impl Store {
    /// How far `handler` got (0 before its first event).
    pub fn checkpoint(&self, handler: &str) -> Result<u64, StoreError> {
        self.read(|c| {
            Ok(
                c.prepare_cached("SELECT seq FROM handler_checkpoints WHERE handler = ?1")?
                    .query_row([handler], |r| r.get(0))
                    .optional()?
                    .unwrap_or(0),
            )
        })
    }

    /// Records that `handler` is done with every event up to `seq` (never moves back).
    pub fn save_checkpoint(&self, handler: &str, seq: u64) -> Result<(), StoreError> {
        let conn = lock(&self.writer);
        conn.prepare_cached(
            "INSERT INTO handler_checkpoints (handler, seq) VALUES (?1, ?2)
             ON CONFLICT (handler) DO UPDATE SET seq = max(seq, excluded.seq)",
        )?
        .execute(params![handler, seq])?;
        Ok(())
    }

    /// Records (or updates) a dead letter.
    pub fn record_dead_letter(&self, d: &DeadLetter) -> Result<(), StoreError> {
        let conn = lock(&self.writer);
        conn.prepare_cached(
            "INSERT INTO dead_letters (handler, seq, error, attempts, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (handler, seq) DO UPDATE SET error = excluded.error,
             attempts = dead_letters.attempts + excluded.attempts, recorded_at = excluded.recorded_at",
        )?
        .execute(params![d.handler, d.seq, d.error, d.attempts, d.recorded_at.to_rfc3339()])?;
        Ok(())
    }

    /// Removes a dead letter (after a successful replay).
    pub fn delete_dead_letter(&self, handler: &str, seq: u64) -> Result<bool, StoreError> {
        delete_dead_letter_in(&lock(&self.writer), handler, seq)
    }

    /// Dead letters, of one handler or all, by handler then seq.
    pub fn dead_letters(&self, handler: Option<&str>) -> Result<Vec<DeadLetter>, StoreError> {
        self.read(|c| dead_letters_in(c, handler, None))
    }

    /// One event by its sequence number.
    pub fn event(&self, seq: u64) -> Result<Option<Envelope>, StoreError> {
        self.read(|c| events_of_seq(c, seq))
    }
}

const DEAD_LETTER_COLUMNS: &str = "handler, seq, error, attempts, recorded_at";

fn dead_letter_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DeadLetter> {
    Ok(DeadLetter {
        handler: r.get(0)?,
        seq: r.get(1)?,
        error: r.get(2)?,
        attempts: super::rows::u32_col(r, 3)?,
        recorded_at: super::rows::parse(r, 4, Timestamp::parse_rfc3339)?,
    })
}

/// Dead letters of one handler or all (and of one seq or all), by handler then seq.
pub fn dead_letters_in(
    c: &Connection,
    handler: Option<&str>,
    seq: Option<u64>,
) -> Result<Vec<DeadLetter>, StoreError> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {DEAD_LETTER_COLUMNS} FROM dead_letters
         WHERE (?1 IS NULL OR handler = ?1) AND (?2 IS NULL OR seq = ?2) ORDER BY handler, seq"
    ))?;
    let rows = st.query_map(params![handler, seq], dead_letter_row)?;
    rows.collect::<Result<Vec<_>, _>>()
        .map_err(StoreError::from)
}

/// Deletes one dead letter inside a caller's transaction; false when there was none.
pub fn delete_dead_letter_in(c: &Connection, handler: &str, seq: u64) -> Result<bool, StoreError> {
    let n = c
        .prepare_cached("DELETE FROM dead_letters WHERE handler = ?1 AND seq = ?2")?
        .execute(params![handler, seq])?;
    Ok(n == 1)
}

/// One event by its sequence number, on a caller's connection.
pub fn event_in(c: &Connection, seq: u64) -> Result<Option<Envelope>, StoreError> {
    events_of_seq(c, seq)
}

//! Rows of pulling the tenant's feed: the cursor and pull state on the device row,
//! what each applied page touched (`pulled`, for the read side), and the entries set
//! aside (`pull_dead_letters`).

use super::rows::parse;
use super::{Store, StoreError};
use crate::domain::clock::Timestamp;
use crate::domain::event::Envelope;
use crate::domain::replica::Kind;
use rusqlite::{params, Connection, OptionalExtension};

/// Where pulling stands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PullState {
    /// Every feed entry up to here is applied or set aside.
    pub cursor: u64,
    /// The feed's head when central last answered.
    pub head: u64,
    /// When central last answered, Unix milliseconds.
    pub pulled_at_ms: Option<i64>,
    /// The last problem pulling, if the last try failed.
    pub error: Option<String>,
    /// This device's clock minus central's at the last answer, milliseconds.
    pub clock_skew_ms: Option<i64>,
    /// Entries set aside.
    pub set_aside: u64,
}

/// The pull state, from the device row (default before setup).
pub fn pull_state(c: &Connection) -> Result<PullState, StoreError> {
    let state = c
        .prepare_cached(
            "SELECT feed_cursor, feed_head, pulled_at_ms, pull_error, clock_skew_ms,
                    (SELECT count(*) FROM pull_dead_letters)
             FROM device WHERE singleton = 1",
        )?
        .query_row([], |r| {
            Ok(PullState {
                cursor: r.get(0)?,
                head: r.get(1)?,
                pulled_at_ms: r.get(2)?,
                error: r.get(3)?,
                clock_skew_ms: r.get(4)?,
                set_aside: r.get(5)?,
            })
        })
        .optional()?;
    Ok(state.unwrap_or_default())
}

/// Records a page's outcome: the new cursor and head, when, and the clock skew.
pub fn save_pull(
    c: &Connection,
    cursor: u64,
    head: u64,
    at_ms: i64,
    skew_ms: i64,
) -> Result<(), StoreError> {
    c.prepare_cached(
        "UPDATE device SET feed_cursor = ?1, feed_head = ?2, pulled_at_ms = ?3, pull_error = NULL,
                clock_skew_ms = ?4 WHERE singleton = 1",
    )?
    .execute(params![cursor, head, at_ms, skew_ms])?;
    Ok(())
}

/// Records what the page whose `FeedApplied` event is `seq` touched.
pub fn save_pulled(
    c: &Connection,
    seq: u64,
    touched: &[(Kind, uuid::Uuid)],
) -> Result<(), StoreError> {
    let mut st =
        c.prepare_cached("INSERT OR IGNORE INTO pulled (seq, kind, id) VALUES (?1, ?2, ?3)")?;
    for (kind, id) in touched {
        st.execute(params![seq, kind.as_str(), id.to_string()])?;
    }
    Ok(())
}

/// What the page whose `FeedApplied` event is `seq` touched.
pub fn pulled(c: &Connection, seq: u64) -> Result<Vec<(Kind, uuid::Uuid)>, StoreError> {
    let mut st =
        c.prepare_cached("SELECT kind, id FROM pulled WHERE seq = ?1 ORDER BY kind, id")?;
    let rows = st.query_map([seq], |r| {
        let kind: String = r.get(0)?;
        let id: String = r.get(1)?;
        Ok((kind, id))
    })?;
    rows.filter_map(|row| {
        let (kind, id) = match row {
            Ok(v) => v,
            Err(e) => return Some(Err(StoreError::from(e))),
        };
        let id = uuid::Uuid::parse_str(&id).ok()?;
        Some(Ok((Kind::parse(&kind)?, id)))
    })
    .collect()
}

/// An entry set aside.
#[derive(Debug, Clone, PartialEq)]
pub struct PullDeadLetter {
    /// Its feed position.
    pub position: u64,
    /// The event.
    pub envelope: Envelope,
    /// Why it was not applied.
    pub error: String,
    /// Tries so far.
    pub attempts: u32,
    /// When it was last tried.
    pub recorded_at: Timestamp,
}

/// Sets an entry aside (or counts one more try of one set aside before).
pub fn set_aside(
    c: &Connection,
    position: u64,
    envelope: &Envelope,
    error: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    c.prepare_cached(
        "INSERT INTO pull_dead_letters (position, envelope, error, attempts, recorded_at) VALUES (?1, ?2, ?3, 1, ?4)
         ON CONFLICT (position) DO UPDATE SET error = excluded.error,
             attempts = pull_dead_letters.attempts + 1, recorded_at = excluded.recorded_at",
    )?
    .execute(params![
        position,
        serde_json::to_string(envelope)?,
        error,
        now.to_rfc3339()
    ])?;
    Ok(())
}

/// Takes an entry out of the set-aside list (it was applied).
pub fn release_pulled(c: &Connection, position: u64) -> Result<(), StoreError> {
    c.prepare_cached("DELETE FROM pull_dead_letters WHERE position = ?1")?
        .execute([position])?;
    Ok(())
}

/// Every entry set aside, by position.
pub fn pull_dead_letters(c: &Connection) -> Result<Vec<PullDeadLetter>, StoreError> {
    let mut st = c.prepare_cached(
        "SELECT position, envelope, error, attempts, recorded_at FROM pull_dead_letters ORDER BY position",
    )?;
    let rows = st.query_map([], |r| {
        Ok((
            r.get::<_, u64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, u32>(3)?,
            parse(r, 4, Timestamp::parse_rfc3339)?,
        ))
    })?;
    rows.map(|row| {
        let (position, envelope, error, attempts, recorded_at) = row?;
        Ok(PullDeadLetter {
            position,
            envelope: serde_json::from_str(&envelope)?,
            error,
            attempts,
            recorded_at,
        })
    })
    .collect()
}

impl Store {
    /// Where pulling stands.
    pub fn pull_state(&self) -> Result<PullState, StoreError> {
        self.read(pull_state)
    }

    /// Records a pull that applied nothing: the cursor (moved past entries that
    /// were not for this device), the head, when, and the clock skew.
    pub fn record_pull(
        &self,
        cursor: u64,
        head: u64,
        at_ms: i64,
        skew_ms: i64,
    ) -> Result<(), StoreError> {
        let conn = super::lock(&self.writer);
        conn.prepare_cached(
            "UPDATE device SET feed_cursor = max(feed_cursor, ?1), feed_head = ?2, pulled_at_ms = ?3,
                    pull_error = NULL, clock_skew_ms = ?4 WHERE singleton = 1",
        )?
        .execute(params![cursor, head, at_ms, skew_ms])?;
        Ok(())
    }

    /// Records that a pull failed (the cursor stays).
    pub fn record_pull_error(&self, error: &str) -> Result<(), StoreError> {
        let conn = super::lock(&self.writer);
        conn.prepare_cached("UPDATE device SET pull_error = ?1 WHERE singleton = 1")?
            .execute([error])?;
        Ok(())
    }

    /// Records the store this device was enrolled into.
    pub fn set_store(&self, code: &str, name: &str, address: &str) -> Result<(), StoreError> {
        let conn = super::lock(&self.writer);
        conn.prepare_cached(
            "UPDATE device SET store_code = ?1, store_name = ?2, store_address = ?3 WHERE singleton = 1",
        )?
        .execute(params![code, name, address])?;
        Ok(())
    }
}

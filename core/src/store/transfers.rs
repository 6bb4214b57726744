//! Product pictures still to exchange with central (`image_transfers`): one this
//! device added, to send up, or one a pulled product names that is not here yet, to
//! fetch. Bookkeeping beside the catalog, like the pull cursor: no event.

use super::{Store, StoreError};
use crate::domain::image::ImageDigest;
use rusqlite::{params, Connection};

/// The first wait after a failed try; each further failure doubles it.
const FIRST_RETRY_MS: i64 = 5_000;
/// The longest wait between tries (a picture central does not have yet is asked
/// for again at least this often).
const MAX_RETRY_MS: i64 = 10 * 60 * 1000;
/// The wait after central's copy was refused (not the digest's bytes, or not a
/// picture this till can show): head office may upload it anew, but not soon.
const REFUSED_RETRY_MS: i64 = 24 * 3600 * 1000;

/// A picture to exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageTransfer {
    /// Its digest.
    pub digest: ImageDigest,
    /// Whether this device added it (send it to central when it is here).
    pub send: bool,
    /// Failed tries so far.
    pub attempts: u32,
}

/// How the exchange of pictures stands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageTransfers {
    /// Pictures not yet exchanged.
    pub waiting: u64,
    /// Why the most recent failed try failed, while any is waiting.
    pub last_error: Option<String>,
}

/// Notes that `digest` is to be exchanged: `send` when this device added it (it
/// goes up to central), otherwise a pulled product names it (it is fetched if it is
/// not here). Within the transaction that made the product name it.
pub fn want_image(c: &Connection, digest: &ImageDigest, send: bool) -> Result<(), StoreError> {
    c.prepare_cached(
        "INSERT INTO image_transfers (digest, send) VALUES (?1, ?2)
         ON CONFLICT (digest) DO UPDATE SET send = max(send, excluded.send),
             attempts = 0, next_try_ms = 0",
    )?
    .execute(params![digest.as_str(), send])?;
    Ok(())
}

/// How long to wait after the `attempts`-th failure: 5 s doubling up to 10 min.
fn retry_after_ms(attempts: u32) -> i64 {
    let doublings = attempts.saturating_sub(1).min(20);
    FIRST_RETRY_MS
        .saturating_mul(1_i64 << doublings)
        .min(MAX_RETRY_MS)
}

impl Store {
    /// Up to `limit` pictures due to be tried at `now_ms`, oldest tries first.
    pub fn image_transfers_due(
        &self,
        now_ms: i64,
        limit: usize,
    ) -> Result<Vec<ImageTransfer>, StoreError> {
        self.read(|c: &Connection| {
            let mut stmt = c.prepare_cached(
                "SELECT digest, send, attempts FROM image_transfers
                 WHERE next_try_ms <= ?1 ORDER BY next_try_ms, digest LIMIT ?2",
            )?;
            let rows = stmt.query_map(
                params![now_ms, i64::try_from(limit).unwrap_or(i64::MAX)],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, bool>(1)?,
                        r.get::<_, u32>(2)?,
                    ))
                },
            )?;
            let mut out = Vec::new();
            for row in rows {
                let (digest, send, attempts) = row?;
                // The column's CHECK keeps the length; a row that is still no digest
                // is skipped rather than stopping every other picture.
                if let Ok(digest) = ImageDigest::parse(&digest) {
                    out.push(ImageTransfer {
                        digest,
                        send,
                        attempts,
                    });
                }
            }
            Ok(out)
        })
    }

    /// How the exchange of pictures stands.
    pub fn image_transfers(&self) -> Result<ImageTransfers, StoreError> {
        self.read(|c: &Connection| {
            let waiting: u64 = c
                .prepare_cached("SELECT count(*) FROM image_transfers")?
                .query_row([], |r| r.get(0))?;
            let last_error: Option<String> = c
                .prepare_cached(
                    "SELECT last_error FROM image_transfers WHERE last_error IS NOT NULL
                     ORDER BY next_try_ms DESC LIMIT 1",
                )?
                .query_row([], |r| r.get(0))
                .or_else(|e| match e {
                    rusqlite::Error::QueryReturnedNoRows => Ok(None),
                    e => Err(e),
                })?;
            Ok(ImageTransfers {
                waiting,
                last_error,
            })
        })
    }

    /// Every picture a product names.
    pub fn product_images(&self) -> Result<Vec<ImageDigest>, StoreError> {
        self.read(|c: &Connection| {
            let mut stmt = c.prepare_cached(
                "SELECT DISTINCT image FROM products WHERE image IS NOT NULL ORDER BY image",
            )?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            let mut out = Vec::new();
            for row in rows {
                if let Ok(d) = ImageDigest::parse(&row?) {
                    out.push(d);
                }
            }
            Ok::<_, StoreError>(out)
        })
    }

    /// Notes pictures to fetch (see [`want_image`]), all at once.
    pub fn want_images(&self, digests: &[ImageDigest]) -> Result<(), StoreError> {
        let mut conn = super::lock(&self.writer);
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        for d in digests {
            want_image(&tx, d, false)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Every waiting picture is due now (a person asked to sync now).
    pub fn image_transfers_due_now(&self) -> Result<(), StoreError> {
        let conn = super::lock(&self.writer);
        conn.prepare_cached("UPDATE image_transfers SET next_try_ms = 0 WHERE next_try_ms > 0")?
            .execute([])?;
        Ok(())
    }

    /// `digest` is exchanged: central and this device both hold it.
    pub fn image_transferred(&self, digest: &ImageDigest) -> Result<(), StoreError> {
        let conn = super::lock(&self.writer);
        conn.prepare_cached("DELETE FROM image_transfers WHERE digest = ?1")?
            .execute([digest.as_str()])?;
        Ok(())
    }

    /// Central's copy of `digest` was refused at `now_ms` for `why`: tried again
    /// only after a day (every till would otherwise fetch it every ten minutes).
    pub fn image_transfer_refused(
        &self,
        digest: &ImageDigest,
        why: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        self.note_failure(digest, why, now_ms, |_| REFUSED_RETRY_MS)
    }

    /// A try at `digest` failed at `now_ms` for `why`: it is tried again later, the
    /// wait growing with the failures.
    pub fn image_transfer_failed(
        &self,
        digest: &ImageDigest,
        why: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        self.note_failure(digest, why, now_ms, retry_after_ms)
    }

    fn note_failure(
        &self,
        digest: &ImageDigest,
        why: &str,
        now_ms: i64,
        wait: fn(u32) -> i64,
    ) -> Result<(), StoreError> {
        let conn = super::lock(&self.writer);
        let attempts: Option<u32> = conn
            .prepare_cached("SELECT attempts FROM image_transfers WHERE digest = ?1")?
            .query_row([digest.as_str()], |r| r.get(0))
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                e => Err(e),
            })?;
        let Some(attempts) = attempts else {
            return Ok(());
        };
        let attempts = attempts.saturating_add(1);
        let why: String = why.chars().take(300).collect();
        conn.prepare_cached(
            "UPDATE image_transfers SET attempts = ?2, next_try_ms = ?3, last_error = ?4
             WHERE digest = ?1",
        )?
        .execute(params![
            digest.as_str(),
            attempts,
            now_ms.saturating_add(wait(attempts)),
            why
        ])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::retry_after_ms;

    #[test]
    fn the_wait_doubles_from_five_seconds_up_to_ten_minutes() {
        assert_eq!(retry_after_ms(1), 5_000);
        assert_eq!(retry_after_ms(2), 10_000);
        assert_eq!(retry_after_ms(5), 80_000);
        assert_eq!(retry_after_ms(8), 600_000);
        assert_eq!(retry_after_ms(u32::MAX), 600_000);
    }
}

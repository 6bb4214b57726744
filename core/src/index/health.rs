//! The index as `doctor` finds it, read without changing it, and the headless
//! `reindex`.

use super::{
    check, guarded, open_sled, u64_value, Index, IndexError, Manifest, Mirror, RebuildProgress,
    RebuildReason, SEQ_KEY,
};
use crate::domain::upcast::Upcasters;
use crate::store::{self, Store};
use std::fs::File;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::{Mutex, PoisonError, RwLock};

/// What `doctor` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexHealth {
    /// No index yet: the app builds it when it starts.
    Missing,
    /// The running app (its index worker) has it open: not checked.
    InUse,
    /// Not closed cleanly (a crash, a power cut): the app rebuilds it when it
    /// starts, since what sled recovers is not trusted.
    NotClosedCleanly,
    /// Sound, but behind the database: the app catches up when it starts.
    Behind {
        /// The last event the index has.
        checkpoint: u64,
        /// The newest event in the database.
        database: u64,
    },
    /// Every entry is what the database's records give.
    Consistent {
        /// Product, order and content documents.
        documents: u64,
    },
    /// Damaged or wrong: `reindex` (or the app at its next start, for most kinds)
    /// rebuilds it.
    Damaged(String),
}

impl IndexHealth {
    /// Whether the index needs rebuilding by hand.
    pub fn is_damaged(&self) -> bool {
        matches!(self, IndexHealth::Damaged(_))
    }
}

impl std::fmt::Display for IndexHealth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IndexHealth::Missing => f.write_str("none yet (built when the app starts)"),
            IndexHealth::InUse => f.write_str("in use by the running app; not checked"),
            IndexHealth::NotClosedCleanly => {
                f.write_str("not closed cleanly (rebuilt when the app starts)")
            }
            IndexHealth::Behind {
                checkpoint,
                database,
            } => write!(
                f,
                "sound, {} events behind the database (caught up when the app starts)",
                database.saturating_sub(*checkpoint)
            ),
            IndexHealth::Consistent { documents } => {
                write!(f, "ok ({documents} documents, as the database has them)")
            }
            IndexHealth::Damaged(why) => write!(f, "damaged: {why}; run `rustok-edge reindex`"),
        }
    }
}

fn reason(r: RebuildReason) -> String {
    match r {
        RebuildReason::Missing => "it has no format mark".to_owned(),
        RebuildReason::UncleanClose => "it was not closed cleanly".to_owned(),
        RebuildReason::OpenFailed(e) => format!("it cannot be opened ({e})"),
        RebuildReason::Panicked(e) => format!("reading it panicked ({e})"),
        RebuildReason::FormatChanged { found, expected } => {
            format!("it is in format {found}, this app writes {expected}")
        }
        RebuildReason::Unreadable(e) => e,
        RebuildReason::AheadOfDatabase { index, database } => format!(
            "it has events up to {index}, the database only up to {database} (a restored database?)"
        ),
        RebuildReason::CatchUpFailed(e) => format!("the database could not be read ({e})"),
        RebuildReason::CountsDiffer { index, database } => {
            format!("it holds {index:?} products, orders and pages, the database {database:?}")
        }
    }
}

impl Index {
    /// Checks the index in `dir` against `store` without changing either: it
    /// must be readable, unchanged since its last clean close, not ahead of the
    /// database, and, when it has every event, hold exactly the entries a rebuild
    /// from the database's records gives (compared by checksum against a rebuild
    /// into a temporary tree).
    pub fn inspect(dir: &Path, store: &Store) -> Result<IndexHealth, IndexError> {
        if !dir.exists() {
            return Ok(IndexHealth::Missing);
        }
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.with_extension("lock"))?;
        if lock.try_lock().is_err() {
            return Ok(IndexHealth::InUse);
        }
        let Some(manifest) = Manifest::read(dir) else {
            return Ok(IndexHealth::NotClosedCleanly);
        };
        let db = match open_sled(dir) {
            Ok(db) => db,
            Err(e) => return Ok(IndexHealth::Damaged(format!("it cannot be opened ({e})"))),
        };
        let (sum, _) = match check(&db, store, Some(manifest)) {
            Ok(found) => found,
            Err(r) => return Ok(IndexHealth::Damaged(reason(r))),
        };
        let checkpoint = match guarded(|| Ok(u64_value(db.get(SEQ_KEY)?)?.unwrap_or(0))) {
            Ok(c) => c,
            Err(e) => return Ok(IndexHealth::Damaged(e.to_string())),
        };
        drop(db);
        let database = store.read(store::table_counts)?.last_seq;
        if checkpoint < database {
            return Ok(IndexHealth::Behind {
                checkpoint,
                database,
            });
        }
        // The index the database's records give now, built in a temporary tree
        // that is never trusted (so never leaves a manifest) and dropped after.
        let scratch = Index {
            db: guarded(|| Ok(sled::Config::new().temporary(true).open()?))?,
            path: dir.to_owned(),
            upcasters: Upcasters::standard(),
            writer: Mutex::new(0),
            mirror: RwLock::new(Mirror::default()),
            trusted: AtomicBool::new(false),
            _lock: lock.try_clone()?,
        };
        scratch.rebuild(store, &mut |_| {})?;
        let want = *scratch
            .writer
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let stats = scratch.stats()?;
        drop(scratch);
        if want != sum {
            return Ok(IndexHealth::Damaged(
                "its entries differ from what the database's records give".to_owned(),
            ));
        }
        drop(lock);
        Ok(IndexHealth::Consistent {
            documents: stats.products + stats.orders + stats.content,
        })
    }

    /// Rebuilds the index in `dir` from `store`'s records (headless `reindex`),
    /// reporting progress, and closes it cleanly. Returns the documents written.
    /// Fails with [`IndexError::Locked`] while the app has it open.
    pub fn reindex(
        dir: &Path,
        store: &Store,
        progress: &mut dyn FnMut(RebuildProgress),
    ) -> Result<u64, IndexError> {
        let (index, report) = Index::open(dir, store, progress)?;
        let documents = match report.rebuilt {
            // Opening found it wanting and rebuilt it already.
            Some(_) => {
                let s = index.stats()?;
                s.products + s.orders + s.content
            }
            None => index.rebuild(store, progress)?,
        };
        drop(index);
        Ok(documents)
    }
}

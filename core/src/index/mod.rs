//! The search index (sled): products by barcode, SKU and title tokens in every
//! locale; orders by number, status and day; content by slug and locale.
//!
//! - It is derived data. SQLite is the only copy of anything; the index can always be
//!   rebuilt from the state tables ([`Index::rebuild`]).
//! - It is updated by applying committed events in `seq` order. Each event's changes
//!   and the checkpoint (the last applied `seq`) go in one sled batch, so the tree is
//!   always the state after some prefix of the event log.
//! - [`Index::open`] repairs itself: a missing, unreadable, panicking, differently
//!   formatted or inconsistent index is rebuilt (with progress reported), and so is
//!   one that was not closed cleanly (what sled recovers after a crash is not
//!   trusted); one that is merely behind catches up from SQLite. No panic from sled
//!   escapes.
//! - The till runs it in a process of its own ([`worker`], [`remote`]) behind a
//!   deadline per question, because sled can hang and nothing in it can be cancelled.

mod docs;
mod health;
mod mirror;
mod pages;
pub mod remote;
mod search;
pub mod text;
pub mod wire;
pub mod worker;

pub use docs::{Entry, INDEX_FORMAT};
pub use health::IndexHealth;
use mirror::{Mirror, MirrorBuilder};
pub use search::{ProductSearch, MAX_RESULTS};

use crate::bus::{EventHandler, HandlerError};
use crate::domain::event::{DomainEvent, Envelope, EventDecodeError};
use crate::domain::ids::{ContentId, OrderId, ProductId};
use crate::domain::locale::Locale;
use crate::domain::order::OrderStatus;
use crate::domain::upcast::Upcasters;
use crate::store::{self, OrderQuery, Store, StoreError, TableCounts};
use docs::{
    key, ContentDoc, OrderDoc, ProductDoc, C_DOC, C_SLUG, FORMAT_KEY, O_DOC, P_DOC, SEP, SEQ_KEY,
};
use std::collections::BTreeMap;
use std::fs::File;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

/// Documents read between two progress reports of a rebuild.
const PROGRESS_EVERY: u64 = 50_000;
/// Products handed to the thread that builds the search mirror at a time.
const MIRROR_BATCH: usize = 1_024;

/// What the index can fail with.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// sled failed.
    #[error("index storage failed: {0}")]
    Sled(#[from] sled::Error),
    /// Reading SQLite failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Another process has the index open.
    #[error("the index at {0} is in use by another process")]
    Locked(PathBuf),
    /// An entry does not decode.
    #[error("index entry is corrupt: {0}")]
    Corrupt(String),
    /// A stored event does not decode.
    #[error("cannot decode event {seq}: {source}")]
    Decode {
        /// The event.
        seq: u64,
        /// Why.
        #[source]
        source: EventDecodeError,
    },
    /// An event changes an entity the index does not hold.
    #[error("event {seq} changes a {entity} the index does not hold")]
    MissingDocument {
        /// The event.
        seq: u64,
        /// Kind of entity.
        entity: &'static str,
    },
    /// sled (or the index code) panicked; the panic was caught.
    #[error("the index panicked: {0}")]
    Panicked(String),
    /// A file operation failed.
    #[error("index file error: {0}")]
    Io(#[from] std::io::Error),
    /// The index worker is not answering now (opening, rebuilding or restarting);
    /// the question is answered from SQLite instead.
    #[error("the index is not available: {0}")]
    Unavailable(String),
    /// The index worker did not answer within its deadline; it is being restarted.
    #[error("the index did not answer a {what} within {deadline_ms} ms")]
    Stalled {
        /// The question.
        what: &'static str,
        /// The deadline.
        deadline_ms: u64,
    },
    /// The index worker answered with an error.
    #[error("the index worker failed: {0}")]
    Worker(String),
}

/// What the shop asks of a search index: the index in this process ([`Index`]) or
/// in its worker process ([`remote::RemoteIndex`]).
pub trait SearchIndex: Send + Sync {
    /// Products matching a search, best first.
    fn search_products(&self, q: &ProductSearch) -> Result<Vec<ProductId>, IndexError>;
    /// Orders matching `q`, newest first.
    fn orders(&self, q: &OrderQuery) -> Result<Vec<OrderId>, IndexError>;
    /// The content node with this slug that has a translation in `locale`.
    fn content_by_slug(&self, slug: &str, locale: &Locale)
        -> Result<Option<ContentId>, IndexError>;
}

impl From<serde_json::Error> for IndexError {
    fn from(e: serde_json::Error) -> Self {
        IndexError::Corrupt(e.to_string())
    }
}

/// How far a rebuild got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RebuildProgress {
    /// Documents written.
    pub done: u64,
    /// Documents to write.
    pub total: u64,
}

/// Why [`Index::open`] rebuilt the index.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum RebuildReason {
    /// There was no index (first start, or the folder was deleted).
    Missing,
    /// The index was not closed cleanly (a crash, a power cut, a killed worker):
    /// what sled recovers is not trusted.
    UncleanClose,
    /// sled could not open the folder.
    OpenFailed(String),
    /// sled panicked while opening or reading.
    Panicked(String),
    /// The index was written in another format.
    FormatChanged {
        /// Format found.
        found: u32,
        /// Format of this app.
        expected: u32,
    },
    /// Entries did not decode.
    Unreadable(String),
    /// The index has events the database does not (the database was restored).
    AheadOfDatabase {
        /// Index checkpoint.
        index: u64,
        /// Newest event in SQLite.
        database: u64,
    },
    /// Catching up from SQLite failed.
    CatchUpFailed(String),
    /// After catching up, document counts differ from the tables.
    CountsDiffer {
        /// Products, orders, content in the index.
        index: [u64; 3],
        /// The same in SQLite.
        database: [u64; 3],
    },
}

/// What [`Index::open`] did.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct OpenReport {
    /// Set when the index was rebuilt, with why.
    pub rebuilt: Option<RebuildReason>,
    /// Events applied to catch up.
    pub caught_up: u64,
}

/// Document counts and the checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct IndexStats {
    /// Product documents.
    pub products: u64,
    /// Order documents.
    pub orders: u64,
    /// Content documents.
    pub content: u64,
    /// Last applied event.
    pub checkpoint: u64,
}

/// The opened index.
pub struct Index {
    db: sled::Db,
    path: PathBuf,
    upcasters: Upcasters,
    /// Serialises writers (event application and rebuilds); readers never wait.
    /// Holds the checksum of every entry but the `!` meta keys, kept up to date
    /// with each batch and saved at a clean close, to detect damaged files.
    writer: Mutex<u64>,
    /// Product word and title search, in memory (see [`mirror`]).
    mirror: RwLock<Mirror>,
    /// Cleared when the index must not be trusted at the next open.
    trusted: AtomicBool,
    _lock: File,
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned())
}

/// Runs `f`, turning a panic into [`IndexError::Panicked`].
fn guarded<T>(f: impl FnOnce() -> Result<T, IndexError>) -> Result<T, IndexError> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|p| Err(IndexError::Panicked(panic_text(&*p))))
}

fn id_bytes(u: uuid::Uuid) -> [u8; 16] {
    *u.as_bytes()
}

fn u64_value(v: Option<sled::IVec>) -> Result<Option<u64>, IndexError> {
    v.map(|v| {
        <[u8; 8]>::try_from(v.as_ref())
            .map(u64::from_be_bytes)
            .map_err(|_| IndexError::Corrupt("number of the wrong length".into()))
    })
    .transpose()
}

/// How long opening waits for the folder's lock: a worker being replaced, or an
/// index just closed whose threads are still finishing, lets it go a moment later.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

fn open_sled(path: &Path) -> Result<sled::Db, IndexError> {
    let deadline = std::time::Instant::now() + LOCK_WAIT;
    loop {
        let opened = guarded(|| {
            Ok(sled::Config::new()
                .path(path)
                .mode(sled::Mode::HighThroughput)
                .cache_capacity(64 * 1024 * 1024)
                // No background flusher: its periodic flushes and the segment
                // cleaning they start feed the truncation deadlock of sled 0.34. The
                // index is flushed at a clean close; after any other end it is
                // rebuilt.
                .flush_every_ms(None)
                .open()?)
        });
        match opened {
            Err(IndexError::Sled(sled::Error::Io(e)))
                if e.kind() == std::io::ErrorKind::WouldBlock
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            other => return other,
        }
    }
}

/// The documents of one event, before and after.
struct Change<'d> {
    edit: pages::Edit<'d>,
    /// XOR of the hashes of entries removed and added.
    sum: u64,
}

impl<'d> Change<'d> {
    fn new(db: &'d sled::Db) -> Self {
        Self {
            edit: pages::Edit::new(db),
            sum: 0,
        }
    }

    /// A document as the events so far in this change leave it.
    fn doc<T: serde::de::DeserializeOwned>(&mut self, k: &[u8]) -> Result<Option<T>, IndexError> {
        self.edit
            .get(k)?
            .map(|v| serde_json::from_slice(&v).map_err(IndexError::from))
            .transpose()
    }

    /// Removes what `old` had and `new` has not; writes what `new` has.
    fn replace(&mut self, old: Vec<Entry>, new: Vec<Entry>) -> Result<(), IndexError> {
        let mut new: BTreeMap<Vec<u8>, Vec<u8>> = new.into_iter().collect();
        for (k, v) in old {
            if new.get(&k) == Some(&v) {
                // Unchanged: neither written nor counted.
                new.remove(&k);
                continue;
            }
            self.sum ^= entry_hash(&k, &v);
            self.edit.remove(&k)?;
        }
        for (k, v) in new {
            self.sum ^= entry_hash(&k, &v);
            self.edit.insert(k, v)?;
        }
        Ok(())
    }
}

impl Index {
    /// Opens the index in `dir`, repairing it if needed (see the module docs), and
    /// brings it up to date with `store`. `progress` hears about a rebuild.
    pub fn open(
        dir: &Path,
        store: &Store,
        progress: &mut dyn FnMut(RebuildProgress),
    ) -> Result<(Index, OpenReport), IndexError> {
        if let Some(parent) = dir.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let lock_path = dir.with_extension("lock");
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)?;
        if lock.try_lock().is_err() {
            return Err(IndexError::Locked(dir.to_owned()));
        }
        let manifest = Manifest::take(dir);
        let (mut db, mut reason) = if manifest.is_none() && dir.exists() {
            // Not closed cleanly: sled's recovery of a crashed log is where it can
            // hang, and what it recovers has been seen stale. Start afresh instead.
            (Self::wipe_and_open(dir)?, Some(RebuildReason::UncleanClose))
        } else {
            match open_sled(dir) {
                Ok(db) => (db, None),
                Err(e) => (Self::wipe_and_open(dir)?, Some(reason_of(e))),
            }
        };
        let (mut sum, mut mirror) = (0, Mirror::default());
        if reason.is_none() {
            match check(&db, store, manifest) {
                Ok((s, m)) => (sum, mirror) = (s, m),
                Err(r) => reason = Some(r),
            }
        }
        if matches!(
            reason,
            Some(RebuildReason::Panicked(_) | RebuildReason::Unreadable(_))
        ) {
            // Do not trust the files at all: start again from an empty folder.
            drop(db);
            db = Self::wipe_and_open(dir)?;
        }
        let mut index = Index {
            db,
            path: dir.to_owned(),
            upcasters: Upcasters::standard(),
            writer: Mutex::new(sum),
            mirror: RwLock::new(mirror),
            trusted: AtomicBool::new(true),
            _lock: lock,
        };
        let mut report = OpenReport::default();
        if reason.is_none() {
            match index.catch_up(store, u64::MAX) {
                Ok(n) => report.caught_up = n,
                Err(e) => reason = Some(RebuildReason::CatchUpFailed(e.to_string())),
            }
        }
        if reason.is_none() {
            reason = index.check_counts(store);
        }
        if let Some(r) = reason {
            tracing::warn!(reason = ?r, path = %dir.display(), "rebuilding the search index");
            if let Err(e) = index.rebuild(store, progress) {
                // The tree itself failed: rebuild into an empty folder.
                tracing::warn!(error = %e, "rebuilding in place failed; starting from an empty folder");
                let placeholder = guarded(|| Ok(sled::Config::new().temporary(true).open()?))?;
                drop(std::mem::replace(&mut index.db, placeholder));
                index.db = Self::wipe_and_open(dir)?;
                index.rebuild(store, progress)?;
            }
            tracing::info!(path = %dir.display(), "search index rebuilt");
            report.rebuilt = Some(r);
        }
        Ok((index, report))
    }

    fn wipe_and_open(dir: &Path) -> Result<sled::Db, IndexError> {
        // A file where the folder belongs (put there by hand) is no index either.
        if dir.is_dir() {
            std::fs::remove_dir_all(dir)?;
        } else if dir.exists() {
            std::fs::remove_file(dir)?;
        }
        open_sled(dir)
    }

    fn check_counts(&self, store: &Store) -> Option<RebuildReason> {
        let (stats, counts) = match (
            self.stats(),
            store.read(store::table_counts).map_err(IndexError::from),
        ) {
            (Ok(s), Ok(c)) => (s, c),
            (Err(e), _) | (_, Err(e)) => return Some(RebuildReason::Unreadable(e.to_string())),
        };
        let index = [stats.products, stats.orders, stats.content];
        let database = [counts.products, counts.orders, counts.content];
        (index != database).then_some(RebuildReason::CountsDiffer { index, database })
    }

    /// The in-memory search keys, one line each, sorted (for tests: two indexes
    /// search alike when these and their [`Index::entries`] are equal).
    pub fn search_keys(&self) -> Vec<String> {
        self.mirror
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .dump()
    }

    /// The folder of the index.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The last applied event (0 for none).
    pub fn checkpoint(&self) -> Result<u64, IndexError> {
        guarded(|| Ok(u64_value(self.db.get(SEQ_KEY)?)?.unwrap_or(0)))
    }

    /// Document counts and the checkpoint.
    pub fn stats(&self) -> Result<IndexStats, IndexError> {
        guarded(|| {
            let count = |p: &[u8]| -> Result<u64, IndexError> {
                let mut n = 0;
                pages::scan(&self.db, p, false, &mut |_, _| {
                    n += 1;
                    Ok(true)
                })?;
                Ok(n)
            };
            Ok(IndexStats {
                products: count(P_DOC)?,
                orders: count(O_DOC)?,
                content: count(C_DOC)?,
                checkpoint: self.checkpoint()?,
            })
        })
    }

    /// Every entry in key order (for tests and tooling: two indexes are equal when
    /// their entries are).
    pub fn entries(&self) -> Result<Vec<Entry>, IndexError> {
        guarded(|| pages::all(&self.db))
    }

    /// Writes everything to disk.
    pub fn flush(&self) -> Result<(), IndexError> {
        guarded(|| {
            self.db.flush()?;
            Ok(())
        })
    }

    /// Replaces the whole index with documents read from the SQLite state tables
    /// (one consistent snapshot), reporting progress. Returns the documents written.
    pub fn rebuild(
        &self,
        store: &Store,
        progress: &mut dyn FnMut(RebuildProgress),
    ) -> Result<u64, IndexError> {
        let mut sum_guard = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        guarded(|| {
            // Without the format key a crash mid-rebuild is seen as "missing" next time.
            self.db.remove(FORMAT_KEY)?;
            if !self.db.is_empty() {
                self.db.clear()?;
            }
            *sum_guard = 0;
            store.read(|c| -> Result<u64, IndexError> {
                let snapshot = c.unchecked_transaction().map_err(StoreError::from)?;
                let counts: TableCounts = store::table_counts(&snapshot)?;
                let total = counts.products + counts.orders + counts.content;
                progress(RebuildProgress { done: 0, total });
                // Every document's entries are read into memory first, grouped by key
                // family, then sorted and written as large pages.
                let mut runs = pages::Runs::default();
                let (mut done, mut sum) = (0u64, 0u64);
                let mut failed: Option<IndexError> = None;
                // The search mirror is built on the other core while this one reads
                // SQLite and writes pages.
                // Unbounded, so the mirror (slower per product) never holds up reading:
                // it catches up while the orders are read. At worst the queue holds
                // every product document, a fraction of the entries held anyway.
                let (to_mirror, products) =
                    std::sync::mpsc::channel::<Vec<([u8; 16], ProductDoc)>>();
                let (mirror, r) = std::thread::scope(|s| {
                    let mirror = s.spawn(move || {
                        let mut mirror = MirrorBuilder::default();
                        for batch in products {
                            for (id, doc) in &batch {
                                mirror.put(*id, doc);
                            }
                        }
                        mirror.finish()
                    });
                    let mut add =
                        |entries: Result<Vec<Entry>, serde_json::Error>| -> Result<(), StoreError> {
                            let res = entries.map_err(IndexError::from).and_then(|entries| {
                                for (k, v) in entries {
                                    sum ^= entry_hash(&k, &v);
                                    runs.push(&k, &v)?;
                                }
                                Ok(())
                            });
                            done += 1;
                            if done % PROGRESS_EVERY == 0 && done < total {
                                progress(RebuildProgress { done, total });
                            }
                            res.map_err(|e| {
                                let msg = e.to_string();
                                failed = Some(e);
                                StoreError::Io(std::io::Error::other(msg))
                            })
                        };
                    let mut batch = Vec::with_capacity(MIRROR_BATCH);
                    let r = store::scan_products(&snapshot, &mut |p| {
                        let id = id_bytes(p.id.as_uuid());
                        let doc = ProductDoc::from(p);
                        let r = add(doc.entries(&id));
                        batch.push((id, doc));
                        if batch.len() == MIRROR_BATCH {
                            // A closed channel means the mirror thread died: join says why.
                            let _ = to_mirror.send(std::mem::take(&mut batch));
                        }
                        r
                    });
                    let _ = to_mirror.send(batch);
                    drop(to_mirror);
                    let r = r
                        .and_then(|()| {
                            store::scan_orders(&snapshot, &mut |o| {
                                let id = id_bytes(o.id.as_uuid());
                                add(OrderDoc::from(o).entries(&id))
                            })
                        })
                        .and_then(|()| {
                            store::scan_content(&snapshot, &mut |n| {
                                let id = id_bytes(n.id.as_uuid());
                                add(ContentDoc::from(n).entries(&id))
                            })
                        })
                        .map_err(IndexError::from);
                    // An entry that failed is the real reason the scan stopped.
                    let r = match failed.take() {
                        Some(e) => Err(e),
                        None => r.and_then(|()| runs.write(&self.db).map(drop)),
                    };
                    (mirror.join(), r)
                });
                r?;
                let mirror = mirror.map_err(|p| IndexError::Panicked(panic_text(&*p)))?;
                self.db.insert(SEQ_KEY, &counts.last_seq.to_be_bytes())?;
                self.db
                    .insert(FORMAT_KEY, &u64::from(INDEX_FORMAT).to_be_bytes())?;
                self.db.flush()?;
                progress(RebuildProgress { done, total });
                *sum_guard = sum;
                *self.mirror.write().unwrap_or_else(PoisonError::into_inner) = mirror;
                Ok(done)
            })
        })
    }

    /// Applies events from SQLite after the checkpoint, up to `until`; returns how
    /// many were applied.
    pub fn catch_up(&self, store: &Store, until: u64) -> Result<u64, IndexError> {
        self.catch_up_at_most(store, until, u64::MAX)
    }

    /// As [`Index::catch_up`], applying at most `max` events.
    pub fn catch_up_at_most(&self, store: &Store, until: u64, max: u64) -> Result<u64, IndexError> {
        let mut applied: u64 = 0;
        loop {
            let from = self.checkpoint()?;
            if from >= until || applied >= max {
                return Ok(applied);
            }
            let want = u32::try_from(max.saturating_sub(applied))
                .unwrap_or(u32::MAX)
                .min(500);
            let batch = store.events_after(from, want)?;
            if batch.is_empty() {
                return Ok(applied);
            }
            let upto = batch.iter().take_while(|e| e.seq <= until).count();
            let n = self.apply_all(store, &batch[..upto])?;
            applied = applied.saturating_add(n);
            if n == 0 {
                return Ok(applied);
            }
        }
    }

    /// The checkpoint, the checksum of every entry and a hash of the search keys.
    pub fn digest(&self) -> Result<wire::Digest, IndexError> {
        use std::hash::BuildHasher;
        let entries = *self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let search =
            foldhash::fast::FixedState::with_seed(ENTRY_HASH_SEED).hash_one(self.search_keys());
        Ok(wire::Digest {
            checkpoint: self.checkpoint()?,
            entries,
            search,
        })
    }

    /// Closes without leaving the manifest, so the next open rebuilds (after a
    /// failure that left the index behind SQLite for good).
    pub fn discard(self) {
        self.trusted.store(false, Ordering::SeqCst);
    }

    /// Applies one committed event. Events at or before the checkpoint are skipped
    /// (returns `false`); the next one must be `checkpoint + 1`.
    pub fn apply(&self, store: &Store, e: &Envelope) -> Result<bool, IndexError> {
        self.apply_all(store, std::slice::from_ref(e))
            .map(|n| n == 1)
    }

    /// Applies consecutive committed events in one sled batch with the checkpoint of
    /// the last (so the tree is still always the state after a prefix of the log);
    /// those at or before the checkpoint are skipped. Returns how many were applied.
    /// One batch for many events is many times fewer writes for sled to queue on its
    /// I/O threads, which is what its deadlock needs (see `worker`).
    /// A page of pulled changes (`FeedApplied`) refreshes the documents of what it
    /// touched from `store`'s state tables.
    pub fn apply_all(&self, store: &Store, events: &[Envelope]) -> Result<u64, IndexError> {
        let mut sum = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        guarded(|| {
            let start = self.checkpoint()?;
            let mut cp = start;
            let mut change = Change::new(&self.db);
            let mut products = Vec::new();
            let mut applied: u64 = 0;
            for e in events.iter().filter(|e| e.seq > start) {
                if Some(e.seq) != cp.checked_add(1) {
                    return Err(IndexError::Corrupt(format!(
                        "event {} arrived but the index is at {cp}",
                        e.seq
                    )));
                }
                let event = e
                    .decode(&self.upcasters)
                    .map_err(|source| IndexError::Decode { seq: e.seq, source })?;
                self.change_for(store, e, &event, &mut change, &mut products)?;
                cp = e.seq;
                applied = applied.saturating_add(1);
            }
            if applied == 0 {
                return Ok(0);
            }
            let mut batch = sled::Batch::default();
            change.edit.write_to(&mut batch);
            batch.insert(SEQ_KEY, &cp.to_be_bytes());
            self.db.apply_batch(batch)?;
            *sum ^= change.sum;
            if !products.is_empty() {
                let mut mirror = self.mirror.write().unwrap_or_else(PoisonError::into_inner);
                for (id, doc) in &products {
                    mirror.put(*id, doc);
                }
            }
            Ok(applied)
        })
    }

    fn change_for(
        &self,
        store: &Store,
        e: &Envelope,
        event: &DomainEvent,
        change: &mut Change<'_>,
        products: &mut Vec<([u8; 16], ProductDoc)>,
    ) -> Result<(), IndexError> {
        use DomainEvent as E;
        let missing = |entity| IndexError::MissingDocument { seq: e.seq, entity };
        let (_, uuid) = event.aggregate();
        let id = id_bytes(uuid);
        match event {
            E::ProductCreated(_)
            | E::ProductUpdated(_)
            | E::ProductStatusChanged(_)
            | E::StockMoved(_) => {
                let old: Option<ProductDoc> = change.doc(&key(&[P_DOC, &id]))?;
                let new = match (event, old.clone()) {
                    (E::ProductCreated(p), _) => ProductDoc {
                        sku: p.fields.sku.as_str().to_owned(),
                        barcode: p.fields.barcode.as_ref().map(|b| b.as_str().to_owned()),
                        titles: titles(&p.fields.titles),
                        status: p.status,
                        on_hand: 0,
                        low: p.fields.low_stock_threshold,
                    },
                    (E::ProductUpdated(p), Some(d)) => ProductDoc {
                        sku: p.fields.sku.as_str().to_owned(),
                        barcode: p.fields.barcode.as_ref().map(|b| b.as_str().to_owned()),
                        titles: titles(&p.fields.titles),
                        low: p.fields.low_stock_threshold,
                        ..d
                    },
                    (E::ProductStatusChanged(p), Some(d)) => ProductDoc { status: p.to, ..d },
                    (E::StockMoved(p), Some(d)) => ProductDoc {
                        on_hand: p.on_hand_after,
                        ..d
                    },
                    _ => return Err(missing("product")),
                };
                let old = old.map(|d| d.entries(&id)).transpose()?.unwrap_or_default();
                change.replace(old, new.entries(&id)?)?;
                products.push((id, new));
                return Ok(());
            }
            E::FeedApplied(_) => {
                // What other devices changed: read back from the state tables.
                let (touched_products, touched_content) = store.read(|c| {
                    let mut ps = Vec::new();
                    let mut cs = Vec::new();
                    for (kind, id) in store::pulled(c, e.seq)? {
                        match kind {
                            crate::domain::replica::Kind::Product => {
                                ps.extend(store::product_keys(c, id)?)
                            }
                            crate::domain::replica::Kind::Content => {
                                cs.extend(store::content_keys(c, id)?)
                            }
                            _ => {}
                        }
                    }
                    Ok::<_, StoreError>((ps, cs))
                })?;
                for p in touched_products {
                    let id = id_bytes(p.id.as_uuid());
                    let old: Option<ProductDoc> = change.doc(&key(&[P_DOC, &id]))?;
                    let new = ProductDoc::from(p);
                    let old = old.map(|d| d.entries(&id)).transpose()?.unwrap_or_default();
                    change.replace(old, new.entries(&id)?)?;
                    products.push((id, new));
                }
                for n in touched_content {
                    let id = id_bytes(n.id.as_uuid());
                    let old: Option<ContentDoc> = change.doc(&key(&[C_DOC, &id]))?;
                    let new = ContentDoc::from(n);
                    let old = old.map(|d| d.entries(&id)).transpose()?.unwrap_or_default();
                    change.replace(old, new.entries(&id)?)?;
                }
            }
            E::OrderCreated(_)
            | E::OrderConfirmed(_)
            | E::OrderPaid(_)
            | E::OrderShipped(_)
            | E::OrderDelivered(_)
            | E::OrderCancelled(_)
            | E::OrderRefunded(_) => {
                let old = change
                    .edit
                    .get(&key(&[O_DOC, &id]))?
                    .map(|v| OrderDoc::decode(&v).map_err(IndexError::Corrupt))
                    .transpose()?;
                let status = match event {
                    E::OrderConfirmed(_) => OrderStatus::Confirmed,
                    E::OrderPaid(_) => OrderStatus::Paid,
                    E::OrderShipped(_) => OrderStatus::Shipped,
                    E::OrderDelivered(_) => OrderStatus::Delivered,
                    E::OrderCancelled(_) => OrderStatus::Cancelled,
                    E::OrderRefunded(p) if p.complete => OrderStatus::Refunded,
                    E::OrderRefunded(_) => OrderStatus::PartiallyRefunded,
                    _ => OrderStatus::Pending,
                };
                let new = match (event, old.clone()) {
                    (E::OrderCreated(p), _) => OrderDoc {
                        number: p.number.as_str().to_owned(),
                        status,
                        created_at: e.occurred_at,
                    },
                    (_, Some(d)) => OrderDoc { status, ..d },
                    _ => return Err(missing("order")),
                };
                let old = old.map(|d| d.entries(&id)).transpose()?.unwrap_or_default();
                change.replace(old, new.entries(&id)?)?;
            }
            E::ContentCreated(_) | E::ContentUpdated(_) => {
                let fields = match event {
                    E::ContentCreated(p) => &p.fields,
                    E::ContentUpdated(p) => &p.fields,
                    _ => return Err(missing("content")),
                };
                let old: Option<ContentDoc> = change.doc(&key(&[C_DOC, &id]))?;
                if matches!(event, E::ContentUpdated(_)) && old.is_none() {
                    return Err(missing("content"));
                }
                let new = ContentDoc {
                    slug: fields.slug.as_str().to_owned(),
                    locales: fields.translations.iter().map(|(l, _)| l.clone()).collect(),
                };
                let old = old.map(|d| d.entries(&id)).transpose()?.unwrap_or_default();
                change.replace(old, new.entries(&id)?)?;
            }
            // Status changes of content, and everything about tenants, devices,
            // operators and cash, do not change what the index holds.
            _ => {}
        }
        Ok(())
    }

    /// The product with this barcode (where two share it, the one a scan takes:
    /// an active one first, then the lowest id).
    pub fn product_by_barcode(&self, barcode: &str) -> Result<Option<ProductId>, IndexError> {
        self.product_holding(docs::P_BARCODE, barcode.trim().as_bytes())
    }

    /// The product with this SKU (any case; where two share it, as for barcodes).
    pub fn product_by_sku(&self, sku: &str) -> Result<Option<ProductId>, IndexError> {
        self.product_holding(docs::P_SKU, sku.trim().to_ascii_uppercase().as_bytes())
    }

    fn product_holding(&self, family: &[u8], code: &[u8]) -> Result<Option<ProductId>, IndexError> {
        let ids = guarded(|| search::holders(&self.db, family, code))?;
        let mirror = self.mirror.read().unwrap_or_else(PoisonError::into_inner);
        Ok(search::pick(&mirror, &ids))
    }

    /// The order with this number.
    pub fn order_by_number(&self, number: &str) -> Result<Option<OrderId>, IndexError> {
        self.lookup(
            docs::O_NUMBER,
            number.trim().to_ascii_uppercase().as_bytes(),
        )
        .map(|o| o.map(OrderId::from_uuid))
    }

    /// The content node with this slug that has a translation in `locale`.
    pub fn content_by_slug(
        &self,
        slug: &str,
        locale: &Locale,
    ) -> Result<Option<ContentId>, IndexError> {
        // Where two nodes share a slug (a clash sync brought), the first made.
        let k = key(&[slug.trim().as_bytes(), &[SEP], locale.as_str().as_bytes()]);
        let ids = guarded(|| search::holders(&self.db, C_SLUG, &k))?;
        Ok(ids.first().copied().map(ContentId::from_uuid))
    }

    fn lookup(&self, prefix: &[u8], k: &[u8]) -> Result<Option<uuid::Uuid>, IndexError> {
        guarded(|| {
            pages::get(&self.db, &key(&[prefix, k]))?
                .map(|v| uuid_of(&v))
                .transpose()
        })
    }

    /// Products matching a search, best first (see [`ProductSearch`]).
    pub fn search_products(&self, q: &ProductSearch) -> Result<Vec<ProductId>, IndexError> {
        let mirror = self.mirror.read().unwrap_or_else(PoisonError::into_inner);
        guarded(|| search::products(&self.db, &mirror, q))
    }

    /// Orders matching `q`, newest first. `q.number` matches a whole order number,
    /// or its serial (`42` finds `ABCD-000042`), or the start of a number.
    pub fn orders(&self, q: &OrderQuery) -> Result<Vec<OrderId>, IndexError> {
        guarded(|| search::orders(&self.db, q))
    }
}

impl SearchIndex for Index {
    fn search_products(&self, q: &ProductSearch) -> Result<Vec<ProductId>, IndexError> {
        Index::search_products(self, q)
    }

    fn orders(&self, q: &OrderQuery) -> Result<Vec<OrderId>, IndexError> {
        Index::orders(self, q)
    }

    fn content_by_slug(
        &self,
        slug: &str,
        locale: &Locale,
    ) -> Result<Option<ContentId>, IndexError> {
        Index::content_by_slug(self, slug, locale)
    }
}

impl Drop for Index {
    /// A clean close: flush, then leave the manifest the next open checks.
    fn drop(&mut self) {
        if !self.trusted.load(Ordering::SeqCst) {
            return;
        }
        let sum = *self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let manifest = self.flush().and_then(|()| {
            Ok(Manifest {
                format: INDEX_FORMAT,
                checkpoint: self.checkpoint()?,
                sum,
            })
        });
        let written = manifest.and_then(|m| {
            std::fs::write(Manifest::path(&self.path), serde_json::to_vec(&m)?)?;
            Ok(())
        });
        if let Err(e) = written {
            tracing::warn!(error = %e, "cannot close the search index cleanly");
        }
    }
}

/// Titles as plain strings per locale.
fn titles(
    t: &crate::domain::locale::Localized<crate::domain::product::ProductTitle>,
) -> BTreeMap<Locale, String> {
    t.iter()
        .map(|(l, v)| (l.clone(), v.as_str().to_owned()))
        .collect()
}

pub(crate) fn uuid_of(v: &[u8]) -> Result<uuid::Uuid, IndexError> {
    uuid::Uuid::from_slice(v).map_err(|_| IndexError::Corrupt("id of the wrong length".into()))
}

/// Applies committed events to the index (the bus handler named `index`).
pub struct IndexHandler {
    index: Arc<Index>,
    store: Arc<Store>,
}

impl IndexHandler {
    /// A handler that keeps `index` up to date with `store`.
    pub fn new(index: Arc<Index>, store: Arc<Store>) -> Self {
        Self { index, store }
    }
}

impl EventHandler for IndexHandler {
    fn name(&self) -> &'static str {
        "index"
    }

    fn handle(&self, e: &Envelope) -> Result<(), HandlerError> {
        // The index keeps its own checkpoint: if it is behind (a dead letter before, or
        // sled lost its last writes), catch up from SQLite first.
        if self.index.checkpoint()? + 1 < e.seq {
            self.index.catch_up(&self.store, e.seq - 1)?;
        }
        self.index.apply(&self.store, e)?;
        Ok(())
    }
}

fn reason_of(e: IndexError) -> RebuildReason {
    match e {
        IndexError::Panicked(p) => RebuildReason::Panicked(p),
        e => RebuildReason::OpenFailed(e.to_string()),
    }
}

/// Finds reasons not to trust an opened tree: format, readability, damage since the
/// last clean close, being ahead of the database. Returns the entries' checksum and
/// the search mirror built while reading them.
fn check(
    db: &sled::Db,
    store: &Store,
    manifest: Option<Manifest>,
) -> Result<(u64, Mirror), RebuildReason> {
    let unreadable = |e: IndexError| match e {
        IndexError::Panicked(p) => RebuildReason::Panicked(p),
        e => RebuildReason::Unreadable(e.to_string()),
    };
    let format = match guarded(|| u64_value(db.get(FORMAT_KEY)?)) {
        Ok(f) => f,
        Err(e) => return Err(unreadable(e)),
    };
    match format {
        None => return Err(RebuildReason::Missing),
        Some(f) if f != u64::from(INDEX_FORMAT) => {
            return Err(RebuildReason::FormatChanged {
                found: u32::try_from(f).unwrap_or(u32::MAX),
                expected: INDEX_FORMAT,
            })
        }
        Some(_) => {}
    }
    let (sum, mirror) = guarded(|| verify(db)).map_err(unreadable)?;
    let index = match guarded(|| Ok(u64_value(db.get(SEQ_KEY)?)?.unwrap_or(0))) {
        Ok(c) => c,
        Err(e) => return Err(unreadable(e)),
    };
    if let Some(m) = manifest {
        if (m.checkpoint, m.sum) != (index, sum) {
            return Err(RebuildReason::Unreadable(format!(
                "the files changed since the last clean close (checkpoint {} → {index})",
                m.checkpoint
            )));
        }
    }
    match store.read(store::table_counts) {
        Ok(t) if index > t.last_seq => Err(RebuildReason::AheadOfDatabase {
            index,
            database: t.last_seq,
        }),
        Ok(_) => Ok((sum, mirror)),
        Err(e) => Err(RebuildReason::CatchUpFailed(e.to_string())),
    }
}

/// Reads every entry, decoding every document (makes sled read every page); returns
/// the checksum of the entries and the search mirror of the product documents.
fn verify(db: &sled::Db) -> Result<(u64, Mirror), IndexError> {
    let mut sum = 0;
    let mut mirror = MirrorBuilder::default();
    pages::each(db, &mut |k, v| {
        sum ^= entry_hash(k, v);
        if let Some(id) = k.strip_prefix(P_DOC) {
            let doc: ProductDoc = serde_json::from_slice(v)?;
            mirror.put(*uuid_of(id)?.as_bytes(), &doc);
        } else if k.starts_with(O_DOC) {
            OrderDoc::decode(v).map_err(IndexError::Corrupt)?;
        } else if k.starts_with(C_DOC) {
            serde_json::from_slice::<ContentDoc>(v)?;
        }
        Ok(())
    })?;
    Ok((sum, mirror.finish()))
}

/// Seed of [`entry_hash`] (any fixed number; changing it means a rebuild).
const ENTRY_HASH_SEED: u64 = 0x5275_5374_6f4b_4564;

/// The hash of one entry; the checksum of a tree is the XOR over its entries (the
/// `!` meta keys excluded), so it can be kept up to date batch by batch.
fn entry_hash(k: &[u8], v: &[u8]) -> u64 {
    use std::hash::{BuildHasher, Hash, Hasher};
    if k.first() == Some(&b'!') {
        return 0;
    }
    // A fixed seed: the sum is kept in the manifest and compared at the next open.
    // A build whose hash differs (another foldhash version) sees a mismatch and
    // rebuilds, which is safe. foldhash is several times faster than SipHash here,
    // and a rebuild hashes every entry.
    let mut h = foldhash::fast::FixedState::with_seed(ENTRY_HASH_SEED).build_hasher();
    k.hash(&mut h);
    v.hash(&mut h);
    h.finish()
}

/// What a clean close leaves beside the folder: the checkpoint and checksum the
/// next open must find, or the files were damaged in between.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Manifest {
    format: u32,
    checkpoint: u64,
    sum: u64,
}

impl Manifest {
    fn path(dir: &Path) -> PathBuf {
        dir.with_extension("manifest")
    }

    /// Reads and removes the manifest (a crash after this open must not find it).
    fn take(dir: &Path) -> Option<Manifest> {
        let found = Self::read(dir);
        if let Err(e) = std::fs::remove_file(Self::path(dir)) {
            if e.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(error = %e, "cannot remove the index manifest");
            }
        }
        found
    }

    /// Reads the manifest, leaving it in place (`doctor` changes nothing).
    fn read(dir: &Path) -> Option<Manifest> {
        let text = std::fs::read(Self::path(dir)).ok()?;
        serde_json::from_slice::<Manifest>(&text)
            .ok()
            .filter(|m| m.format == INDEX_FORMAT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The checksum is compared across processes and restarts, so the hash must
    /// not depend on a per-process seed; a new foldhash that hashes differently
    /// fails here (then bump `INDEX_FORMAT`) instead of rebuilding every index.
    #[test]
    fn the_entry_hash_is_the_same_in_every_process() {
        assert_eq!(
            entry_hash(b"p/0123456789abcdef", b"{\"sku\":\"A-1\"}"),
            15_373_318_108_177_514_709
        );
        assert_eq!(entry_hash(b"!seq", b"anything"), 0);
    }
}

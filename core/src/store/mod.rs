//! SQLite persistence: state tables and the outbox, written in one transaction.
//!
//! - One writer connection behind a mutex; every write is `BEGIN IMMEDIATE`.
//! - A small pool of read-only connections for queries.
//! - `journal_mode=WAL`, `synchronous=FULL` (a paid sale survives a power cut),
//!   `foreign_keys=ON`, `temp_store=MEMORY`, `busy_timeout`.
//! - [`Store::write`] refuses to commit a transaction that changed state without
//!   appending an event, and hands committed events to the [`CommitListener`]s.

mod bus;
mod cash;
mod catalog;
mod categories;
mod clashes;
mod content;
mod doctor;
mod images;
mod migrate;
mod orders;
mod outbox;
mod parked;
mod people;
mod pull;
mod replicas;
mod rows;
mod scan;
mod tickets;
mod transfers;

pub use bus::{dead_letters_in, delete_dead_letter_in, event_in, DeadLetter};
pub use cash::*;
pub use catalog::*;
pub use categories::*;
pub use clashes::{clashes, Clash, ClashField, ClashHolder};
pub use content::*;
pub use doctor::{partial_path, BackupReport, DoctorReport};
pub use images::{
    check_stored_image, reencode_image, ImageStore, MAX_IMAGE_BYTES, MAX_IMAGE_EDGE,
    MAX_STORED_IMAGE_BYTES, STORED_IMAGE_EDGE,
};
pub use migrate::{MIGRATIONS, SCHEMA_VERSION};
pub use orders::*;
pub use outbox::{order_events, outbox_status_in, shift_events, EventMeta, OutboxStatus, WriteTx};
pub use parked::*;
pub use people::*;
pub use pull::*;
pub use replicas::{merge_replica, replica, replicas_of_kind};
pub use scan::*;
pub use tickets::*;
pub use transfers::{want_image, ImageTransfer, ImageTransfers};

use crate::domain::event::{Aggregate, Envelope};
use crate::domain::{DomainError, FieldError};
use outbox::Carry;
use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::Duration;

/// How long a connection waits for another process's lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Read-only connections kept open.
const READERS: usize = 2;

/// What the store can fail with.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A file operation failed.
    #[error("file error: {0}")]
    Io(#[from] std::io::Error),
    /// The database was written by a newer app; it was left untouched.
    #[error("the database has schema version {found} but this app supports up to {supported}; upgrade the app")]
    SchemaTooNew {
        /// Version in the file.
        found: u32,
        /// Newest version this app knows.
        supported: u32,
    },
    /// A migration left rows that refer to missing rows; nothing was changed.
    #[error("migrating the database would break references from {table}; nothing was changed")]
    MigrationBrokeReferences {
        /// A table with a dangling reference.
        table: String,
    },
    /// The device has no shop yet.
    #[error("the device is not set up; create the shop first")]
    NotSetUp,
    /// Another backup to the same file is still running.
    #[error("another backup to {} is still running; wait for it to finish", .0.display())]
    BackupBusy(PathBuf),
    /// An event broke its own rules; the transaction was rolled back.
    #[error("invalid {event_type} event: {source}")]
    InvalidEvent {
        /// Type.
        event_type: &'static str,
        /// Rules broken.
        #[source]
        source: DomainError,
    },
    /// An event names an entity that does not exist; the transaction was rolled back.
    #[error("{event_type} refers to a missing {aggregate:?} {id}")]
    MissingReference {
        /// Type.
        event_type: &'static str,
        /// Kind of the missing entity.
        aggregate: Aggregate,
        /// Its id.
        id: uuid::Uuid,
    },
    /// A transaction changed state but appended no event; it was rolled back.
    #[error("a transaction changed state without appending an event")]
    StateWithoutEvent,
    /// A fault injected by a test just before commit; the transaction was rolled back.
    #[error("injected fault before commit")]
    InjectedFault,
    /// A payload could not be encoded.
    #[error("could not encode an event payload: {0}")]
    Encode(#[from] serde_json::Error),
    /// A stored value does not parse.
    #[error("stored value of {column} is corrupt: {source}")]
    Corrupt {
        /// Column.
        column: &'static str,
        /// Why it does not parse.
        #[source]
        source: FieldError,
    },
}

/// Receives events right after their transaction committed, in commit order.
/// Called while the writer is still held, so it must only queue work, never block.
pub trait CommitListener: Send + Sync {
    /// The events of one committed transaction.
    fn committed(&self, events: &[Envelope]);
}

type FaultHook = Arc<dyn Fn(&[Envelope]) -> bool + Send + Sync>;

/// The device database.
pub struct Store {
    path: PathBuf,
    writer: Mutex<Connection>,
    /// What one write transaction leaves for the next.
    carry: Mutex<Carry>,
    readers: Vec<Mutex<Connection>>,
    listeners: RwLock<Vec<Arc<dyn CommitListener>>>,
    fault: RwLock<Option<FaultHook>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a connection leaves no open transaction behind
    // (rusqlite rolls back on drop), so the connection is still sound.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn configure(conn: &Connection, read_only: bool) -> Result<(), StoreError> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Savepoint sub-journals in memory, not in a temporary file: a pulled page
    // applies each entry under a savepoint (20 % of a new till's first pull went to
    // writing them out).
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    // On macOS a plain fsync does not reach the platter; ask for the real thing.
    conn.pragma_update(None, "fullfsync", "ON")?;
    if read_only {
        conn.pragma_update(None, "query_only", "ON")?;
    }
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

impl Store {
    /// Opens (creating if needed) and migrates the database at `path`.
    ///
    /// A database from a newer app is refused with [`StoreError::SchemaTooNew`] before
    /// anything is written to it. Before migrating an existing database, a copy is
    /// written next to it (`<file>.v<N>.bak`).
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let mut writer = Connection::open(path)?;
        migrate::check_and_migrate(&mut writer, path, configure)?;
        let readers = (0..READERS)
            .map(|_| {
                let c = Connection::open_with_flags(
                    path,
                    OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                configure(&c, true)?;
                Ok(Mutex::new(c))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Self::assemble(path, writer, readers))
    }

    /// Opens an existing database of this app's schema for reading only (the
    /// index worker): nothing is created or migrated, and any write fails.
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        let open = || -> Result<Connection, StoreError> {
            let c = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            c.busy_timeout(BUSY_TIMEOUT)?;
            c.set_prepared_statement_cache_capacity(64);
            Ok(c)
        };
        let writer = open()?;
        let found: u32 = writer.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::SchemaTooNew {
                found,
                supported: SCHEMA_VERSION,
            });
        }
        if found < SCHEMA_VERSION {
            return Err(StoreError::Io(std::io::Error::other(format!(
                "the database has schema {found}, older than {SCHEMA_VERSION}; the app migrates it when it opens it"
            ))));
        }
        let readers = (0..READERS)
            .map(|_| Ok(Mutex::new(open()?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Self::assemble(path, writer, readers))
    }

    fn assemble(path: &Path, writer: Connection, readers: Vec<Mutex<Connection>>) -> Store {
        Store {
            path: path.to_owned(),
            writer: Mutex::new(writer),
            carry: Mutex::new(Carry::default()),
            readers,
            listeners: RwLock::new(Vec::new()),
            fault: RwLock::new(None),
        }
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Adds a listener for committed events.
    pub fn subscribe(&self, listener: Arc<dyn CommitListener>) {
        self.listeners
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .push(listener);
    }

    /// Test hook: when set and it returns true for a transaction's events, that
    /// transaction fails with [`StoreError::InjectedFault`] after all its writes and
    /// just before commit. Used to prove atomicity; harmless when unset.
    pub fn inject_fault_before_commit(&self, hook: Option<FaultHook>) {
        *self.fault.write().unwrap_or_else(PoisonError::into_inner) = hook;
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` transaction. Commits when `f` succeeds and
    /// every state change came with at least one event; rolls back otherwise.
    pub fn write<T, E: From<StoreError>>(
        &self,
        meta: &EventMeta<'_>,
        f: impl FnOnce(&mut WriteTx<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut conn = lock(&self.writer);
        let mut carry = lock(&self.carry);
        let before = conn.total_changes();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::from)?;
        let mut w = WriteTx::new(tx, meta, &mut carry);
        let out = f(&mut w)?;
        let (tx, events, device) = w.finish()?;
        if events.is_empty() && tx.total_changes() != before {
            return Err(StoreError::StateWithoutEvent.into());
        }
        let hook = self
            .fault
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if hook.is_some_and(|h| h(&events)) {
            return Err(StoreError::InjectedFault.into());
        }
        tx.commit().map_err(StoreError::from)?;
        carry.device = device;
        if !events.is_empty() {
            for l in self
                .listeners
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .iter()
            {
                l.committed(&events);
            }
        }
        Ok(out)
    }

    /// Runs a query on a read-only connection.
    pub fn read<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, E>,
    ) -> Result<T, E> {
        let guard = self
            .readers
            .iter()
            .find_map(|m| m.try_lock().ok())
            .unwrap_or_else(|| lock(&self.readers[0]));
        f(&guard)
    }
}

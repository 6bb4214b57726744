//! The index worker: the process that owns the sled index, so that sled can never
//! stop the till.
//!
//! sled 0.34 can deadlock under load (its segment truncation waits on a job queued
//! behind I/O jobs that wait for the lock it holds), and a stuck instance blocks
//! every other sled instance in the same process (its lock and its I/O threads are
//! process-wide); nothing in sled can be cancelled. So the till keeps sled out of
//! its own process: this worker opens the index, answers questions over its
//! standard input and output ([`super::wire`]), and is killed and started afresh
//! by the till ([`super::remote`]) when it misses a deadline.
//!
//! The worker reads SQLite (read-only) to catch up and to rebuild, and never writes
//! it. It ends cleanly (flushing sled and leaving the manifest) when asked or when
//! the till goes away; a worker that was killed leaves no manifest, so the next one
//! rebuilds instead of trusting what sled recovers.

use super::wire::{self, FromWorker, Note, Reply, Request, ToWorker};
use super::{Index, IndexError};
use crate::store::{Store, StoreError};
use std::ffi::OsString;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The first argument that makes a binary act as the index worker.
pub const SUBCOMMAND: &str = "index-worker";

/// Why the worker stopped.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// The database could not be opened.
    #[error("cannot open the database: {0}")]
    Store(#[from] StoreError),
    /// The index could not be opened or failed.
    #[error(transparent)]
    Index(#[from] IndexError),
    /// The pipe to the till failed.
    #[error("the pipe to the till failed: {0}")]
    Pipe(#[from] std::io::Error),
    /// Bad arguments.
    #[error("{0}")]
    Usage(String),
    /// An event could not be applied: the index is left for a fresh worker to rebuild.
    #[error("catching up failed; a fresh worker rebuilds the index")]
    CatchUpFailed,
}

/// Runs the worker over `db` and the index folder `dir`, reading requests from
/// `input` and writing replies and notes to `output`, until asked to close or the
/// input ends.
pub fn run(db: &Path, dir: &Path, input: impl Read, output: impl Write) -> Result<(), WorkerError> {
    let store = Store::open_read_only(db)?;
    let mut out = BufWriter::new(output);
    let mut input = BufReader::new(input);
    let mut pipe_failed = None;
    let (index, report) = Index::open(dir, &store, &mut |p| {
        if pipe_failed.is_none() {
            pipe_failed = wire::write_frame(&mut out, &FromWorker::Note(Note::Progress(p))).err();
        }
    })?;
    if let Some(e) = pipe_failed {
        return Err(e.into());
    }
    tracing::info!(rebuilt = ?report.rebuilt, caught_up = report.caught_up, "index worker ready");
    wire::write_frame(&mut out, &FromWorker::Note(Note::Ready(report)))?;
    while let Some(ToWorker { id, request }) = wire::read_frame::<ToWorker>(&mut input)? {
        let close = matches!(request, Request::Close);
        let catch_up = matches!(request, Request::CatchUp { .. });
        let reply = answer(&index, &store, request);
        if let Reply::Failed(e) = &reply {
            tracing::warn!(error = %e, "index request failed");
        }
        // A failed catch-up leaves the index behind SQLite at an event it cannot
        // apply: do not let the next worker trust it.
        let poisoned = catch_up && matches!(reply, Reply::Failed(_));
        wire::write_frame(&mut out, &FromWorker::Reply { id, reply })?;
        if close {
            break;
        }
        if poisoned {
            index.discard();
            return Err(WorkerError::CatchUpFailed);
        }
    }
    drop(index);
    Ok(())
}

fn answer(index: &Index, store: &Store, request: Request) -> Reply {
    let failed = |e: IndexError| Reply::Failed(e.to_string());
    match request {
        Request::Search(q) => index
            .search_products(&q)
            .map_or_else(failed, Reply::Products),
        Request::Orders(q) => index.orders(&q).map_or_else(failed, Reply::Orders),
        Request::Content { slug, locale } => index
            .content_by_slug(&slug, &locale)
            .map_or_else(failed, Reply::Content),
        Request::CatchUp { until, max } => index
            .catch_up_at_most(store, until, u64::from(max))
            .and_then(|_| index.checkpoint())
            .map_or_else(failed, Reply::At),
        Request::Stats => index.stats().map_or_else(failed, Reply::Stats),
        Request::Digest => index.digest().map_or_else(failed, Reply::Digest),
        Request::Close => Reply::Closed,
    }
}

/// Runs the worker from command-line arguments (`--db FILE --dir FOLDER`, after
/// [`SUBCOMMAND`]) on standard input and output.
pub fn main(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    match parse(args).and_then(|(db, dir)| run(&db, &dir, std::io::stdin(), std::io::stdout())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "index worker stopped");
            #[allow(clippy::print_stderr)] // The till logs the worker's stderr.
            {
                eprintln!("index worker: {e}");
            }
            ExitCode::FAILURE
        }
    }
}

fn parse(args: impl IntoIterator<Item = OsString>) -> Result<(PathBuf, PathBuf), WorkerError> {
    let (mut db, mut dir) = (None, None);
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        let slot = match a.to_str() {
            Some("--db") => &mut db,
            Some("--dir") => &mut dir,
            _ => return Err(WorkerError::Usage(format!("unknown argument {a:?}"))),
        };
        *slot = it.next().map(PathBuf::from);
    }
    match (db, dir) {
        (Some(db), Some(dir)) => Ok((db, dir)),
        _ => Err(WorkerError::Usage(format!(
            "usage: {SUBCOMMAND} --db FILE --dir FOLDER"
        ))),
    }
}

/// The arguments that start a worker over `db` and `dir` (after [`SUBCOMMAND`]).
pub fn args(db: &Path, dir: &Path) -> Vec<OsString> {
    vec![
        "--db".into(),
        db.as_os_str().to_owned(),
        "--dir".into(),
        dir.as_os_str().to_owned(),
    ]
}

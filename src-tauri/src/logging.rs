//! Logging: `tracing` to daily rolling files in the app's log folder (non-blocking)
//! and to stderr, plus a panic hook that logs. PINs and secrets are never logged.

use std::path::Path;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, reload, EnvFilter, Registry};

/// Keeps the file writer flushing; drop it last.
pub struct LogGuard(Option<WorkerGuard>, Level);

/// Changes the log level of a running app (the config's `log.level`).
#[derive(Clone)]
pub struct Level(Option<reload::Handle<EnvFilter, Registry>>);

impl Level {
    /// Logs at `level` from now on (a filter the config checked; a bad one is
    /// logged and the old one stays).
    pub fn set(&self, level: &str) {
        let Some(handle) = &self.0 else { return };
        match EnvFilter::try_new(level) {
            Ok(filter) => match handle.reload(filter) {
                Ok(()) => tracing::info!(level, "log level changed"),
                Err(e) => tracing::warn!(error = %e, "cannot change the log level"),
            },
            Err(e) => tracing::warn!(error = %e, level, "not a log level"),
        }
    }
}

impl LogGuard {
    /// The handle that changes the level.
    pub fn level(&self) -> Level {
        self.1.clone()
    }
}

/// Starts logging at `level` (the config's `log.level`, which `RUST_LOG`
/// overrides). If the log folder cannot be created, logs go to stderr only and the
/// reason is printed there.
pub fn init(log_dir: &Path, level: &str) -> LogGuard {
    let filter = EnvFilter::try_new(level).unwrap_or_else(|_| EnvFilter::new("info"));
    let (filter, handle) = reload::Layer::new(filter);
    let (file, guard) = match std::fs::create_dir_all(log_dir) {
        Ok(()) => {
            let (writer, guard) = tracing_appender::non_blocking(tracing_appender::rolling::daily(
                log_dir,
                "rustok-edge.log",
            ));
            (
                Some(fmt::layer().with_ansi(false).with_writer(writer)),
                Some(guard),
            )
        }
        Err(e) => {
            eprintln!(
                "cannot create the log folder {}: {e}; logging to stderr only",
                log_dir.display()
            );
            (None, None)
        }
    };
    // A second init (tests) keeps the first subscriber, and its level.
    let first = tracing_subscriber::registry()
        .with(filter)
        // Colours on a terminal only: a pipe or a journal gets plain text.
        .with(
            fmt::layer()
                .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
                .with_writer(std::io::stderr),
        )
        .with(file)
        .try_init()
        .is_ok();
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        tracing::error!(panic = %info, "panic");
        default_hook(info);
    }));
    LogGuard(guard, Level(first.then_some(handle)))
}

/// Starts logging to stderr only, without colours (the index worker: the app reads
/// its stderr into its own log).
pub fn init_stderr() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(
            fmt::layer()
                .with_ansi(false)
                .without_time()
                .with_writer(std::io::stderr),
        )
        .try_init();
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        self.0.take();
    }
}

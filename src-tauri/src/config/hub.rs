//! The config in force, reloaded when its file changes (`notify`, debounced): a
//! good file replaces it and tells the listeners; a bad one leaves it as it was and
//! says why (line and key) in the log, `status` and the Settings screen. A file
//! that is deleted means the defaults.

use super::file::{self, DeviceConfig, Problem, ProblemCode, Resolved, Source};
use notify::{RecommendedWatcher, RecursiveMode, Watcher};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

/// What happened to the file at the last read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum FileState {
    /// There is no file: defaults (and the environment).
    Missing,
    /// The file is in use.
    Used,
    /// The file has problems: the last good config stays in use.
    Refused,
}

/// The config in force and what the last read of the file found.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The values in force.
    pub resolved: Resolved,
    /// The file's state at the last read.
    pub file: FileState,
    /// What is wrong with the file (then refused) and with the environment.
    pub problems: Vec<Problem>,
}

type Listener = Box<dyn Fn(&DeviceConfig, &DeviceConfig) + Send + Sync>;

/// Reads an environment variable.
type Env = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// The config in force, shared by whoever reads it.
pub struct ConfigHub {
    path: PathBuf,
    kiosk_flag: bool,
    env: Env,
    loaded: RwLock<Loaded>,
    listeners: Mutex<Vec<Listener>>,
}

impl std::fmt::Debug for ConfigHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfigHub")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// How long the file must stay quiet before it is read again (an editor's save is
/// often several writes, or a write and a rename).
pub const DEBOUNCE: Duration = Duration::from_millis(250);

impl ConfigHub {
    /// Reads `path` (a missing file means the defaults) with the process's
    /// environment over it; `kiosk_flag` is `--kiosk`.
    pub fn load(path: PathBuf, kiosk_flag: bool) -> Arc<ConfigHub> {
        Self::load_with(path, kiosk_flag, |k| std::env::var(k).ok())
    }

    /// [`ConfigHub::load`] with `env` in place of the process's environment.
    pub fn load_with(
        path: PathBuf,
        kiosk_flag: bool,
        env: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> Arc<ConfigHub> {
        let defaults = Resolved {
            config: DeviceConfig::default(),
            sources: Default::default(),
        };
        let hub = ConfigHub {
            path,
            kiosk_flag,
            env: Box::new(env),
            loaded: RwLock::new(Loaded {
                resolved: defaults.clone(),
                file: FileState::Missing,
                problems: Vec::new(),
            }),
            listeners: Mutex::new(Vec::new()),
        };
        let first = hub.read(&defaults);
        *hub.loaded.write().unwrap_or_else(PoisonError::into_inner) = first;
        Arc::new(hub)
    }

    /// The config file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The values in force.
    pub fn config(&self) -> DeviceConfig {
        self.loaded().resolved.config
    }

    /// The values in force, their sources, and the problems of the last read.
    pub fn loaded(&self) -> Loaded {
        self.loaded
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Calls `listener(old, new)` after every read of the file (the values may be
    /// the same: a refused file, or a save that changed only comments).
    pub fn listen(&self, listener: impl Fn(&DeviceConfig, &DeviceConfig) + Send + Sync + 'static) {
        self.listeners
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Box::new(listener));
    }

    /// Logs what is wrong with the config, if anything.
    pub fn log_problems(&self) {
        for p in self.loaded().problems {
            if p.line.is_none() && p.code == ProblemCode::BadValue {
                tracing::error!(problem = %p, "environment variable ignored; the file's or default value stays in use");
            } else {
                tracing::error!(file = %self.path.display(), problem = %p, "config file refused; the last good settings stay in use");
            }
        }
    }

    /// The defaults, with no file and no environment (tests on the mock runtime).
    pub fn defaults() -> Arc<ConfigHub> {
        Arc::new(ConfigHub {
            path: PathBuf::new(),
            kiosk_flag: false,
            env: Box::new(|_| None),
            loaded: RwLock::new(Loaded {
                resolved: Resolved {
                    config: DeviceConfig::default(),
                    sources: Default::default(),
                },
                file: FileState::Missing,
                problems: Vec::new(),
            }),
            listeners: Mutex::new(Vec::new()),
        })
    }

    /// Reads the file: its values over the defaults, or (when it has problems)
    /// `last_good`'s; then the environment and the flag.
    fn read(&self, last_good: &Resolved) -> Loaded {
        let (resolved, file, mut problems) = match std::fs::read_to_string(&self.path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (
                Resolved {
                    config: DeviceConfig::default(),
                    sources: Default::default(),
                },
                FileState::Missing,
                Vec::new(),
            ),
            Err(e) => (
                last_good.clone(),
                FileState::Refused,
                vec![Problem {
                    code: ProblemCode::Unreadable,
                    line: None,
                    key: None,
                    detail: if e.kind() == std::io::ErrorKind::InvalidData {
                        "the file is not UTF-8 text; save it as UTF-8".to_owned()
                    } else {
                        e.to_string()
                    },
                }],
            ),
            Ok(text) => match file::parse(&text) {
                Ok(r) => (r, FileState::Used, Vec::new()),
                Err(p) => (last_good.clone(), FileState::Refused, p),
            },
        };
        let mut resolved = resolved;
        if file == FileState::Refused {
            // The last good values keep their sources, but the environment is laid
            // over them again below.
            resolved.sources.retain(|_, s| *s == Source::File);
        }
        file::apply_env(&mut resolved, &self.env, &mut problems);
        if self.kiosk_flag {
            resolved.config.kiosk = true;
            resolved.sources.insert("kiosk.enabled", Source::Flag);
        }
        Loaded {
            resolved,
            file,
            problems,
        }
    }

    /// Reads the file again and tells the listeners.
    pub fn reload(&self) {
        let (old, next) = {
            let mut loaded = self.loaded.write().unwrap_or_else(PoisonError::into_inner);
            let next = self.read(&loaded.resolved);
            let old = std::mem::replace(&mut *loaded, next.clone());
            (old, next)
        };
        if next.file != FileState::Refused {
            tracing::info!(file = %self.path.display(), state = ?next.file, "config read");
        }
        self.log_problems();
        for l in self
            .listeners
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
        {
            l(&old.resolved.config, &next.resolved.config);
        }
    }

    /// Writes the commented example when there is no file yet (the first start).
    pub fn write_example_if_missing(&self) -> std::io::Result<bool> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&self.path)
        {
            Ok(mut f) => {
                std::io::Write::write_all(&mut f, file::example().as_bytes())?;
                Ok(true)
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(e),
        }
    }
}

/// Keeps the file watched; dropping it stops the watching.
pub struct ConfigWatch {
    _watcher: RecommendedWatcher,
}

impl std::fmt::Debug for ConfigWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ConfigWatch")
    }
}

/// Watches the file's folder (editors save by writing a new file and renaming it
/// over the old one) and reloads `hub` once the file has been quiet for
/// [`DEBOUNCE`].
pub fn watch(hub: &Arc<ConfigHub>) -> Result<ConfigWatch, String> {
    let dir = hub
        .path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let name = hub.path.file_name().map(ToOwned::to_owned);
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let ours = match &event {
            // Reading the file (as a reload does) is no change to it: an access
            // event would start the next reload, for ever.
            Ok(e) if matches!(e.kind, notify::EventKind::Access(_)) => false,
            Ok(e) => e.paths.iter().any(|p| p.file_name() == name.as_deref()),
            // An overflowed queue may have hidden our file's change.
            Err(_) => true,
        };
        if ours {
            let _ = tx.send(());
        }
    })
    .map_err(|e| format!("cannot watch the config file: {e}"))?;
    watcher
        .watch(&dir, RecursiveMode::NonRecursive)
        .map_err(|e| format!("cannot watch {}: {e}", dir.display()))?;
    let hub = Arc::downgrade(hub);
    std::thread::Builder::new()
        .name("config-watch".into())
        .spawn(move || {
            // Ends when the watcher (and so the sender) is dropped.
            while rx.recv().is_ok() {
                while rx.recv_timeout(DEBOUNCE).is_ok() {}
                match hub.upgrade() {
                    Some(hub) => hub.reload(),
                    None => return,
                }
            }
        })
        .map_err(|e| format!("cannot start the config watcher: {e}"))?;
    Ok(ConfigWatch { _watcher: watcher })
}

//! Where the app keeps its data: `--data-dir`, else `RUSTOK_DATA_DIR`, else the
//! platform's data folder for the app's identifier; and the sync tuning, from the
//! environment.

use rustok_sync::agent::AgentConfig;
use rustok_sync::protocol::DeviceKind;
use std::path::PathBuf;
use std::time::Duration;

/// This app's version, as central sees it.
pub const APP_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Environment variable: milliseconds between periodic sync attempts.
pub const SYNC_INTERVAL_ENV: &str = "RUSTOK_SYNC_INTERVAL_MS";

/// The app's identifier (as in `tauri.conf.json`).
pub const IDENTIFIER: &str = "dev.rustok.edge";

/// The folders the app uses.
#[derive(Debug, Clone)]
pub struct Paths {
    /// Root data folder.
    pub data_dir: PathBuf,
}

impl Paths {
    /// Resolves the data folder from a flag value, the environment, or the platform.
    pub fn resolve(flag: Option<PathBuf>) -> Result<Paths, String> {
        let data_dir = flag
            .or_else(|| {
                std::env::var_os("RUSTOK_DATA_DIR")
                    .filter(|v| !v.is_empty())
                    .map(PathBuf::from)
            })
            .or_else(|| dirs::data_dir().map(|d| d.join(IDENTIFIER)))
            .ok_or("no data folder: pass --data-dir or set RUSTOK_DATA_DIR")?;
        Ok(Paths { data_dir })
    }

    /// The device database.
    pub fn database(&self) -> PathBuf {
        self.data_dir.join("shop.db")
    }

    /// Product images, each named by the digest of its bytes.
    pub fn images(&self) -> PathBuf {
        self.data_dir.join("images")
    }

    /// The search index (derived from the database; rebuilt when missing).
    pub fn index(&self) -> PathBuf {
        self.data_dir.join("index")
    }

    /// The enrolment with a central server (owner-only; absent until enrolled).
    pub fn sync_credentials(&self) -> PathBuf {
        self.data_dir.join("sync.json")
    }

    /// Daily rolling log files.
    pub fn logs(&self) -> PathBuf {
        self.data_dir.join("logs")
    }
}

/// The sync agent's tuning for a device of `kind` (none: not known, the headless
/// commands): the defaults, with the periodic interval from
/// `RUSTOK_SYNC_INTERVAL_MS` when set (100 ms to 1 day; anything else is logged and
/// ignored).
pub fn sync_config(kind: Option<DeviceKind>) -> AgentConfig {
    let mut config = AgentConfig {
        app_version: APP_VERSION.to_owned(),
        kind,
        ..AgentConfig::default()
    };
    if let Some(raw) = std::env::var_os(SYNC_INTERVAL_ENV) {
        match raw.to_str().and_then(|v| v.trim().parse::<u64>().ok()) {
            Some(ms) if (100..=86_400_000).contains(&ms) => {
                config.interval = Duration::from_millis(ms);
            }
            _ => tracing::warn!(
                value = ?raw,
                "{SYNC_INTERVAL_ENV} must be milliseconds from 100 to 86400000; using the default"
            ),
        }
    }
    config
}

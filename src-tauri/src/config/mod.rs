//! Where the app keeps its data: `--data-dir`, else `RUSTOK_DATA_DIR`, else the
//! platform's data folder for the app's identifier; where its config file is; and
//! the sync tuning from that config.

pub mod file;
pub mod hub;

use file::DeviceConfig;
use rustok_sync::agent::AgentConfig;
use rustok_sync::protocol::DeviceKind;
use std::path::PathBuf;

/// This app's version, as central sees it.
pub const APP_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The config file's name.
pub const CONFIG_FILE: &str = "config.toml";

/// The app's identifier (as in `tauri.conf.json`).
pub const IDENTIFIER: &str = "dev.rustok.edge";

/// The folders the app uses.
#[derive(Debug, Clone)]
pub struct Paths {
    /// Root data folder.
    pub data_dir: PathBuf,
    /// The config file (see [`Paths::resolve`]).
    pub config_file: PathBuf,
}

fn env_path(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

impl Paths {
    /// Resolves the data folder from a flag value, the environment, or the
    /// platform; and the config file from its flag, else `RUSTOK_CONFIG`, else
    /// `config.toml` in a data folder that was named (so a device kept in a folder
    /// of its own is all in that folder), else the platform's config folder.
    pub fn resolve(flag: Option<PathBuf>, config: Option<PathBuf>) -> Result<Paths, String> {
        let named = flag.or_else(|| env_path("RUSTOK_DATA_DIR"));
        let data_dir = named
            .clone()
            .or_else(|| dirs::data_dir().map(|d| d.join(IDENTIFIER)))
            .ok_or("no data folder: pass --data-dir or set RUSTOK_DATA_DIR")?;
        let config_file = config
            .or_else(|| env_path("RUSTOK_CONFIG"))
            .or_else(|| named.map(|d| d.join(CONFIG_FILE)))
            .or_else(|| dirs::config_dir().map(|d| d.join(IDENTIFIER).join(CONFIG_FILE)))
            .ok_or("no config folder: pass --config or set RUSTOK_CONFIG")?;
        Ok(Paths {
            data_dir,
            config_file,
        })
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
/// commands) under `config`.
pub fn sync_config(kind: Option<DeviceKind>, config: &DeviceConfig) -> AgentConfig {
    AgentConfig {
        app_version: APP_VERSION.to_owned(),
        kind,
        interval: config.sync_interval,
        central_url: config.central_url.clone(),
        ..AgentConfig::default()
    }
}

//! Where the app keeps its data: `--data-dir`, else `RUSTOK_DATA_DIR`, else the
//! platform's data folder for the app's identifier.

use std::path::PathBuf;

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

    /// The search index (derived from the database; rebuilt when missing).
    pub fn index(&self) -> PathBuf {
        self.data_dir.join("index")
    }

    /// Daily rolling log files.
    pub fn logs(&self) -> PathBuf {
        self.data_dir.join("logs")
    }
}

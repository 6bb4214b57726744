//! Catalog import at the UI boundary: progress while it runs, the report after.

use crate::error::ApiFieldError;
use rustok_core::service::{ImportProgress, ImportReport};
use serde::Serialize;

/// The event that carries an import's progress to the window.
pub const IMPORT_PROGRESS: &str = "import-progress";

/// How far an import has got.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ImportProgressDto {
    /// Data rows read.
    pub rows: u64,
    /// Bytes read.
    pub bytes: u64,
    /// The file's size.
    pub total_bytes: Option<u64>,
}

impl From<ImportProgress> for ImportProgressDto {
    fn from(p: ImportProgress) -> Self {
        Self {
            rows: p.rows,
            bytes: p.bytes,
            total_bytes: p.total_bytes,
        }
    }
}

/// A row not imported.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct RejectedRowDto {
    /// Its line in the file.
    pub line: u64,
    /// Its SKU, when it has one.
    pub sku: Option<String>,
    /// Each problem; `field` is the column (or `row`).
    pub errors: Vec<ApiFieldError>,
}

/// What an import did.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ImportReportDto {
    /// Data rows read.
    pub rows: u64,
    /// Products created.
    pub created: u64,
    /// Products changed.
    pub updated: u64,
    /// Rows that matched their product already.
    pub unchanged: u64,
    /// Rows not imported, in file order.
    pub rejected: Vec<RejectedRowDto>,
    /// Stopped by Cancel after a whole batch.
    pub cancelled: bool,
}

impl From<ImportReport> for ImportReportDto {
    fn from(r: ImportReport) -> Self {
        Self {
            rows: r.rows,
            created: r.created,
            updated: r.updated,
            unchanged: r.unchanged,
            rejected: r
                .rejected
                .into_iter()
                .map(|x| RejectedRowDto {
                    line: x.line,
                    sku: x.sku,
                    errors: x.errors.into_iter().map(ApiFieldError::from).collect(),
                })
                .collect(),
            cancelled: r.cancelled,
        }
    }
}

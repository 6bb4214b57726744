//! Helpers to turn stored text back into domain types.

use crate::domain::FieldError;
use rusqlite::types::Type;
use rusqlite::Row;

/// Reads column `idx` as text and parses it; a value that does not parse is reported
/// as a conversion failure naming the column, never a panic.
pub(crate) fn parse<T>(
    row: &Row<'_>,
    idx: usize,
    f: impl FnOnce(&str) -> Result<T, FieldError>,
) -> rusqlite::Result<T> {
    let s: String = row.get(idx)?;
    f(&s).map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, Box::new(e)))
}

/// Like [`parse`] for a nullable column.
pub(crate) fn parse_opt<T>(
    row: &Row<'_>,
    idx: usize,
    f: impl FnOnce(&str) -> Result<T, FieldError>,
) -> rusqlite::Result<Option<T>> {
    let s: Option<String> = row.get(idx)?;
    s.map(|s| {
        f(&s).map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, Box::new(e)))
    })
    .transpose()
}

/// Reads column `idx` as JSON.
pub(crate) fn json<T: serde::de::DeserializeOwned>(
    row: &Row<'_>,
    idx: usize,
) -> rusqlite::Result<T> {
    let s: String = row.get(idx)?;
    serde_json::from_str(&s)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, Box::new(e)))
}

/// Like [`json`] for a nullable column.
pub(crate) fn json_opt<T: serde::de::DeserializeOwned>(
    row: &Row<'_>,
    idx: usize,
) -> rusqlite::Result<Option<T>> {
    let s: Option<String> = row.get(idx)?;
    s.map(|s| {
        serde_json::from_str(&s)
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, Box::new(e)))
    })
    .transpose()
}

/// Reads an integer column that must fit `u32`.
pub(crate) fn u32_col(row: &Row<'_>, idx: usize) -> rusqlite::Result<u32> {
    let v: i64 = row.get(idx)?;
    u32::try_from(v)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, Type::Integer, Box::new(e)))
}

/// `head` followed by `rows` copies of the placeholder tuple `row`, comma-separated:
/// one `INSERT` for many rows.
pub(crate) fn values_rows(head: &str, row: &str, rows: usize) -> String {
    let mut sql = String::with_capacity(head.len() + rows * (row.len() + 2));
    sql.push_str(head);
    for i in 0..rows {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(row);
    }
    sql
}

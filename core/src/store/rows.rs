//! Helpers to turn stored text back into domain types, and to write multi-row
//! statements.

use crate::domain::FieldError;
use rusqlite::types::Type;
use rusqlite::Row;
use std::borrow::Cow;
use std::sync::OnceLock;

/// Column `idx` as text borrowed from the row (not copied), `None` for NULL.
fn text<'r>(row: &'r Row<'_>, idx: usize) -> rusqlite::Result<Option<&'r str>> {
    let v = row.get_ref(idx)?;
    v.as_str_or_null()
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, v.data_type(), Box::new(e)))
}

/// Column `idx` as text that must be there.
fn required<'r>(row: &'r Row<'_>, idx: usize) -> rusqlite::Result<&'r str> {
    text(row, idx)?.ok_or_else(|| {
        let name = row.as_ref().column_name(idx).unwrap_or_default().to_owned();
        rusqlite::Error::InvalidColumnType(idx, name, Type::Null)
    })
}

/// A stored value in column `idx` that does not read as what it should be.
fn conversion(idx: usize, e: impl std::error::Error + Send + Sync + 'static) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, Box::new(e))
}

/// Reads column `idx` as text and parses it; a value that does not parse is reported
/// as a conversion failure naming the column, never a panic.
pub(crate) fn parse<T>(
    row: &Row<'_>,
    idx: usize,
    f: impl FnOnce(&str) -> Result<T, FieldError>,
) -> rusqlite::Result<T> {
    f(required(row, idx)?).map_err(|e| conversion(idx, e))
}

/// Like [`parse`] for a nullable column.
pub(crate) fn parse_opt<T>(
    row: &Row<'_>,
    idx: usize,
    f: impl FnOnce(&str) -> Result<T, FieldError>,
) -> rusqlite::Result<Option<T>> {
    text(row, idx)?
        .map(|s| f(s).map_err(|e| conversion(idx, e)))
        .transpose()
}

/// Reads column `idx` as JSON.
pub(crate) fn json<T: serde::de::DeserializeOwned>(
    row: &Row<'_>,
    idx: usize,
) -> rusqlite::Result<T> {
    serde_json::from_str(required(row, idx)?).map_err(|e| conversion(idx, e))
}

/// Like [`json`] for a nullable column.
pub(crate) fn json_opt<T: serde::de::DeserializeOwned>(
    row: &Row<'_>,
    idx: usize,
) -> rusqlite::Result<Option<T>> {
    text(row, idx)?
        .map(|s| serde_json::from_str(s).map_err(|e| conversion(idx, e)))
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

/// The text of a multi-row statement for each row count up to `max`, written once per
/// process the first time one is asked for (not formatted on every commit); a count
/// beyond `max` is written on demand.
pub(crate) struct RowCountSql {
    max: usize,
    write: fn(usize) -> String,
    made: OnceLock<Vec<String>>,
}

impl RowCountSql {
    pub(crate) const fn new(max: usize, write: fn(usize) -> String) -> Self {
        Self {
            max,
            write,
            made: OnceLock::new(),
        }
    }

    /// The statement for `rows` rows.
    pub(crate) fn get(&'static self, rows: usize) -> Cow<'static, str> {
        let made = self
            .made
            .get_or_init(|| (0..=self.max).map(self.write).collect());
        made.get(rows).map_or_else(
            || Cow::Owned((self.write)(rows)),
            |s| Cow::Borrowed(s.as_str()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::ProductId;
    use std::collections::BTreeMap;

    /// One row whose columns are: a good id, a bad id, NULL, an integer, text that
    /// is not UTF-8, good JSON, bad JSON.
    fn with_row<T>(f: impl FnOnce(&Row<'_>) -> T) -> T {
        let c = rusqlite::Connection::open_in_memory().unwrap();
        c.query_row(
            "SELECT '0192f0e4-0000-7000-8000-000000000001', 'not-an-id', NULL, 42,
                    CAST(x'ff00fe' AS TEXT), '{\"en\":\"Tea\"}', '{\"en\":'",
            [],
            |r| Ok(f(r)),
        )
        .unwrap()
    }

    #[test]
    fn stored_text_that_does_not_read_is_an_error_never_a_panic() {
        with_row(|r| {
            assert!(parse(r, 0, ProductId::parse).is_ok());
            for idx in 1..=4 {
                assert!(parse(r, idx, ProductId::parse).is_err(), "column {idx}");
            }
            assert_eq!(parse_opt(r, 2, ProductId::parse).unwrap(), None);
            assert!(parse_opt(r, 1, ProductId::parse).is_err());
            assert!(parse_opt(r, 4, ProductId::parse).is_err());
            let titles: BTreeMap<String, String> = json(r, 5).unwrap();
            assert_eq!(titles["en"], "Tea");
            assert!(json::<BTreeMap<String, String>>(r, 6).is_err());
            assert!(json::<BTreeMap<String, String>>(r, 2).is_err());
            assert_eq!(json_opt::<BTreeMap<String, String>>(r, 2).unwrap(), None);
            assert!(json_opt::<BTreeMap<String, String>>(r, 3).is_err());
        });
    }
}

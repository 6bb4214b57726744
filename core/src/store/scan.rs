//! Whole-table reads for rebuilding the read side: only the columns the index keys
//! on, streamed row by row inside one read transaction (a consistent snapshot).

use super::rows::{json, parse};
use super::StoreError;
use crate::domain::clock::Timestamp;
use crate::domain::ids::{ContentId, OrderId, ProductId};
use crate::domain::locale::Locale;
use crate::domain::order::OrderStatus;
use crate::domain::product::ProductStatus;
use rusqlite::{Connection, OptionalExtension};
use std::collections::BTreeMap;

/// What the index keeps of a product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductKeys {
    /// Product.
    pub id: ProductId,
    /// SKU.
    pub sku: String,
    /// Barcode.
    pub barcode: Option<String>,
    /// Titles per locale.
    pub titles: BTreeMap<Locale, String>,
    /// Status.
    pub status: ProductStatus,
    /// Stock on hand.
    pub on_hand: i64,
    /// Low-stock threshold.
    pub low_stock_threshold: i64,
}

/// What the index keeps of an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderKeys {
    /// Order.
    pub id: OrderId,
    /// Number.
    pub number: String,
    /// Status.
    pub status: OrderStatus,
    /// Creation time.
    pub created_at: Timestamp,
}

/// What the index keeps of a content node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentKeys {
    /// Node.
    pub id: ContentId,
    /// Slug.
    pub slug: String,
    /// Locales it has a translation in.
    pub locales: Vec<Locale>,
}

/// Row counts and the last event `seq` of one snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TableCounts {
    /// Products.
    pub products: u64,
    /// Orders.
    pub orders: u64,
    /// Content nodes.
    pub content: u64,
    /// Newest event in the log (0 when empty).
    pub last_seq: u64,
}

/// Counts of the indexed tables and the newest `seq`.
pub fn table_counts(c: &Connection) -> Result<TableCounts, StoreError> {
    let n = |sql: &str| -> Result<u64, StoreError> {
        let v: i64 = c.prepare_cached(sql)?.query_row([], |r| r.get(0))?;
        Ok(u64::try_from(v).unwrap_or(0))
    };
    Ok(TableCounts {
        products: n("SELECT COUNT(*) FROM products")?,
        orders: n("SELECT COUNT(*) FROM orders")?,
        content: n("SELECT COUNT(*) FROM content_nodes")?,
        last_seq: n("SELECT COALESCE(MAX(seq), 0) FROM events")?,
    })
}

/// Calls `f` for every product.
pub fn scan_products(
    c: &Connection,
    f: &mut dyn FnMut(ProductKeys) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let mut st = c.prepare(&format!("SELECT {PRODUCT_KEYS} FROM products"))?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        f(product_keys_row(r)?)?;
    }
    Ok(())
}

const PRODUCT_KEYS: &str = "id, sku, barcode, titles, status, on_hand, low_stock_threshold";

fn product_keys_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ProductKeys> {
    Ok(ProductKeys {
        id: parse(r, 0, ProductId::parse)?,
        sku: r.get(1)?,
        barcode: r.get(2)?,
        titles: json(r, 3)?,
        status: parse(r, 4, ProductStatus::parse)?,
        on_hand: r.get(5)?,
        low_stock_threshold: r.get(6)?,
    })
}

/// What the index keeps of one product, if it exists.
pub fn product_keys(c: &Connection, id: uuid::Uuid) -> Result<Option<ProductKeys>, StoreError> {
    Ok(c.prepare_cached(&format!(
        "SELECT {PRODUCT_KEYS} FROM products WHERE id = ?1"
    ))?
    .query_row([id.to_string()], product_keys_row)
    .optional()?)
}

/// Calls `f` for every order.
pub fn scan_orders(
    c: &Connection,
    f: &mut dyn FnMut(OrderKeys) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let mut st = c.prepare("SELECT id, number, status, created_at FROM orders")?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        f(OrderKeys {
            id: parse(r, 0, OrderId::parse)?,
            number: r.get(1)?,
            status: parse(r, 2, OrderStatus::parse)?,
            created_at: parse(r, 3, Timestamp::parse_rfc3339)?,
        })?;
    }
    Ok(())
}

/// Calls `f` for every content node.
pub fn scan_content(
    c: &Connection,
    f: &mut dyn FnMut(ContentKeys) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let mut st = c.prepare("SELECT id, slug, translations FROM content_nodes")?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        f(content_keys_row(r)?)?;
    }
    Ok(())
}

fn content_keys_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ContentKeys> {
    let map: BTreeMap<Locale, serde::de::IgnoredAny> = json(r, 2)?;
    Ok(ContentKeys {
        id: parse(r, 0, ContentId::parse)?,
        slug: r.get(1)?,
        locales: map.into_keys().collect(),
    })
}

/// What the index keeps of one content node, if it exists.
pub fn content_keys(c: &Connection, id: uuid::Uuid) -> Result<Option<ContentKeys>, StoreError> {
    Ok(
        c.prepare_cached("SELECT id, slug, translations FROM content_nodes WHERE id = ?1")?
            .query_row([id.to_string()], content_keys_row)
            .optional()?,
    )
}

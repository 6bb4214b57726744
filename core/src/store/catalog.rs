//! Rows of products and stock movements.

use super::rows::{json, parse, parse_opt, u32_col, RowCountSql};
use super::StoreError;
use crate::domain::clock::Timestamp;
use crate::domain::ids::{CategoryId, MovementId, OperatorId, OrderId, ProductId, TenantId};
use crate::domain::image::ImageDigest;
use crate::domain::locale::Localized;
use crate::domain::money::{Currency, Money};
use crate::domain::product::{
    Barcode, Product, ProductFields, ProductStatus, ProductTitle, Sku, TaxRate,
};
use crate::domain::stock::{MovementKind, StockMovement};
use crate::domain::text::Reason;
use rusqlite::{params, Connection, OptionalExtension};
use std::borrow::Cow;

/// The columns [`product_row`] reads, as a literal for `concat!`.
macro_rules! product_columns {
    () => {
        "id, tenant_id, sku, barcode, titles, descriptions, price, currency, tax_rate_bp,
         status, on_hand, low_stock_threshold, version, category_id, image"
    };
}

const PRODUCT_COLUMNS: &str = product_columns!();

fn product_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Product> {
    let currency = parse(r, 7, Currency::parse)?;
    Ok(Product {
        id: parse(r, 0, ProductId::parse)?,
        tenant_id: parse(r, 1, TenantId::parse)?,
        fields: ProductFields {
            sku: parse(r, 2, Sku::parse)?,
            barcode: parse_opt(r, 3, Barcode::parse)?,
            titles: json(r, 4)?,
            descriptions: json(r, 5)?,
            price: Money::new(r.get(6)?, currency),
            tax_rate: tax_rate(r, 8)?,
            low_stock_threshold: r.get(11)?,
            category: parse_opt(r, 13, CategoryId::parse)?,
            image: parse_opt(r, 14, ImageDigest::parse)?,
        },
        status: parse(r, 9, ProductStatus::parse)?,
        on_hand: r.get(10)?,
        version: u32_col(r, 12)?,
    })
}

fn tax_rate(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<TaxRate> {
    TaxRate::from_basis_points(u32_col(r, i)?).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Integer, Box::new(e))
    })
}

/// Inserts a product.
pub fn insert_product(c: &Connection, p: &Product, now: Timestamp) -> Result<(), StoreError> {
    let f = &p.fields;
    c.prepare_cached(&format!(
        "INSERT INTO products ({PRODUCT_COLUMNS}, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"
    ))?
    .execute(params![
        p.id.to_string(),
        p.tenant_id.to_string(),
        f.sku.as_str(),
        f.barcode.as_ref().map(Barcode::as_str),
        serde_json::to_string(&f.titles)?,
        serde_json::to_string(&f.descriptions)?,
        f.price.minor,
        f.price.currency.as_str(),
        f.tax_rate.basis_points(),
        p.status.as_str(),
        p.on_hand,
        f.low_stock_threshold,
        p.version,
        f.category.map(|c| c.to_string()),
        f.image.as_ref().map(ImageDigest::as_str),
        now.to_rfc3339(),
    ])?;
    Ok(())
}

/// Writes a product's catalog fields, status and version back (not its stock).
pub fn update_product(c: &Connection, p: &Product, now: Timestamp) -> Result<(), StoreError> {
    let f = &p.fields;
    c.prepare_cached(
        "UPDATE products SET sku = ?2, barcode = ?3, titles = ?4, descriptions = ?5, price = ?6, currency = ?7,
         tax_rate_bp = ?8, status = ?9, low_stock_threshold = ?10, version = ?11, updated_at = ?12,
         category_id = ?13, image = ?14 WHERE id = ?1",
    )?
    .execute(params![
        p.id.to_string(),
        f.sku.as_str(),
        f.barcode.as_ref().map(Barcode::as_str),
        serde_json::to_string(&f.titles)?,
        serde_json::to_string(&f.descriptions)?,
        f.price.minor,
        f.price.currency.as_str(),
        f.tax_rate.basis_points(),
        p.status.as_str(),
        f.low_stock_threshold,
        p.version,
        now.to_rfc3339(),
        f.category.map(|c| c.to_string()),
        f.image.as_ref().map(ImageDigest::as_str),
    ])?;
    Ok(())
}

/// A column a product is looked up by. SKU and barcode are unique per shop except
/// where sync brought a clash (two tills made the same code offline): then every
/// device picks the same product, an active one first, then the lowest id (the
/// first made, ids being time-ordered).
#[derive(Clone, Copy)]
enum ProductKey {
    Id,
    Barcode,
    Sku,
}

impl ProductKey {
    /// The lookup, written out at compile time (not formatted per lookup: this is
    /// the checkout scan's miss path).
    const fn sql(self) -> &'static str {
        macro_rules! by {
            ($column:literal) => {
                concat!(
                    "SELECT ",
                    product_columns!(),
                    " FROM products WHERE tenant_id = ?1 AND ",
                    $column,
                    " = ?2 ORDER BY status <> 'active', id LIMIT 1"
                )
            };
        }
        match self {
            ProductKey::Id => by!("id"),
            ProductKey::Barcode => by!("barcode"),
            ProductKey::Sku => by!("sku"),
        }
    }
}

/// The one product of `tenant` whose `key` column equals `value`.
fn product_where(
    c: &Connection,
    tenant: TenantId,
    key: ProductKey,
    value: &str,
) -> Result<Option<Product>, StoreError> {
    c.prepare_cached(key.sql())?
        .query_row(params![tenant.to_string(), value], product_row)
        .optional()
        .map_err(StoreError::from)
}

/// Loads a product of `tenant`.
pub fn product(
    c: &Connection,
    tenant: TenantId,
    id: ProductId,
) -> Result<Option<Product>, StoreError> {
    product_where(c, tenant, ProductKey::Id, &id.to_string())
}

/// What pricing an order line needs of a product, read in the write transaction.
#[derive(Debug, Clone)]
pub struct LineProduct {
    /// SKU, snapshotted on the line.
    pub sku: Sku,
    /// Titles, one of which is snapshotted on the line.
    pub titles: Localized<ProductTitle>,
    /// Unit price in the shop's currency, minor units.
    pub price: i64,
    /// Tax rate.
    pub tax_rate: TaxRate,
    /// Only active products are sold.
    pub status: ProductStatus,
    /// Stock on hand at this point of the transaction.
    pub on_hand: i64,
}

/// Loads what an order line needs of a product of `tenant`: six columns instead of
/// the whole product (a sale reads one per line).
pub fn line_product(
    c: &Connection,
    tenant: TenantId,
    id: ProductId,
) -> Result<Option<LineProduct>, StoreError> {
    c.prepare_cached(
        "SELECT sku, titles, price, tax_rate_bp, status, on_hand FROM products
         WHERE tenant_id = ?1 AND id = ?2",
    )?
    .query_row(params![tenant.to_string(), id.to_string()], |r| {
        Ok(LineProduct {
            sku: parse(r, 0, Sku::parse)?,
            titles: json(r, 1)?,
            price: r.get(2)?,
            tax_rate: tax_rate(r, 3)?,
            status: parse(r, 4, ProductStatus::parse)?,
            on_hand: r.get(5)?,
        })
    })
    .optional()
    .map_err(StoreError::from)
}

/// The SKU of a product holding `barcode`, if any: a clash check needs no more,
/// and without the whole product and its ordering it costs a single index seek
/// (the catalog import makes one per row).
pub fn barcode_holder(
    c: &Connection,
    tenant: TenantId,
    barcode: &Barcode,
) -> Result<Option<Sku>, StoreError> {
    c.prepare_cached("SELECT sku FROM products WHERE tenant_id = ?1 AND barcode = ?2 LIMIT 1")?
        .query_row(params![tenant.to_string(), barcode.as_str()], |r| {
            parse(r, 0, Sku::parse)
        })
        .optional()
        .map_err(StoreError::from)
}

/// Loads a product by barcode.
pub fn product_by_barcode(
    c: &Connection,
    tenant: TenantId,
    barcode: &Barcode,
) -> Result<Option<Product>, StoreError> {
    product_where(c, tenant, ProductKey::Barcode, barcode.as_str())
}

/// Loads a product by SKU.
pub fn product_by_sku(
    c: &Connection,
    tenant: TenantId,
    sku: &Sku,
) -> Result<Option<Product>, StoreError> {
    product_where(c, tenant, ProductKey::Sku, sku.as_str())
}

/// A page of the product list.
#[derive(Debug, Clone, Default)]
pub struct ProductQuery {
    /// Only this status; archived products are left out unless asked for.
    pub status: Option<ProductStatus>,
    /// Only products at or below their low-stock threshold.
    pub low_stock: bool,
    /// Case-insensitive substring of SKU, barcode or a title.
    pub text: Option<String>,
    /// Only products in this category.
    pub category: Option<CategoryId>,
    /// Page size (at most 500).
    pub limit: u32,
    /// Rows to skip.
    pub offset: u32,
}

/// Products of `tenant` by SKU.
pub fn products(
    c: &Connection,
    tenant: TenantId,
    q: &ProductQuery,
) -> Result<Vec<Product>, StoreError> {
    let pattern = q.text.as_ref().map(|t| {
        let escaped = t
            .trim()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        format!("%{escaped}%")
    });
    let mut st = c.prepare_cached(&format!(
        "SELECT {PRODUCT_COLUMNS} FROM products WHERE tenant_id = ?1
         AND (CASE WHEN ?2 IS NULL THEN status <> 'archived' ELSE status = ?2 END)
         AND (?3 = 0 OR on_hand <= low_stock_threshold)
         AND (?4 IS NULL OR sku LIKE ?4 ESCAPE '\\' OR barcode LIKE ?4 ESCAPE '\\' OR titles LIKE ?4 ESCAPE '\\')
         AND (?7 IS NULL OR category_id = ?7)
         ORDER BY sku LIMIT ?5 OFFSET ?6"
    ))?;
    let rows = st.query_map(
        params![
            tenant.to_string(),
            q.status.map(ProductStatus::as_str),
            q.low_stock,
            pattern,
            q.limit.min(500),
            q.offset,
            q.category.map(|c| c.to_string()),
        ],
        product_row,
    )?;
    rows.collect::<Result<Vec<_>, _>>()
        .map_err(StoreError::from)
}

/// Records movements (at `occurred_at`, its stored text), up to
/// [`MOVEMENTS_PER_INSERT`] rows a statement, and adds each to its product's stock
/// on hand.
pub fn insert_movements(
    c: &Connection,
    tenant: TenantId,
    ms: &[StockMovement],
    occurred_at: &str,
) -> Result<(), StoreError> {
    let tenant = tenant.to_string();
    for run in ms.chunks(MOVEMENTS_PER_INSERT) {
        let texts: Vec<MovementText<'_>> = run.iter().map(MovementText::of).collect();
        let mut values: Vec<&dyn rusqlite::ToSql> = Vec::with_capacity(run.len() * 9);
        for (m, t) in run.iter().zip(&texts) {
            values.extend_from_slice(&[
                &t.id,
                &tenant,
                &t.product,
                &t.kind,
                &m.delta,
                &t.reason,
                &t.order,
                &t.operator,
                &occurred_at,
            ]);
        }
        c.prepare_cached(&insert_movements_sql(run.len()))?
            .execute(rusqlite::params_from_iter(values))?;
        // Not `RETURNING`: SQLite runs it as a trigger with a temporary table and a
        // statement journal.
        let mut add = c.prepare_cached(ADD_ON_HAND)?;
        for (m, t) in run.iter().zip(&texts) {
            add.execute(params![t.product, m.delta])?;
        }
    }
    Ok(())
}

/// A movement's columns as stored text.
struct MovementText<'m> {
    id: String,
    product: String,
    kind: &'static str,
    reason: Option<&'m str>,
    order: Option<String>,
    operator: Option<String>,
}

impl<'m> MovementText<'m> {
    fn of(m: &'m StockMovement) -> Self {
        Self {
            id: m.id.to_string(),
            product: m.product_id.to_string(),
            kind: m.kind.as_str(),
            reason: m.reason.as_ref().map(Reason::as_str),
            order: m.order_id.map(|o| o.to_string()),
            operator: m.operator_id.map(|o| o.to_string()),
        }
    }
}

/// A product's stock on hand.
pub fn on_hand(c: &Connection, id: ProductId) -> Result<Option<i64>, StoreError> {
    c.prepare_cached("SELECT on_hand FROM products WHERE id = ?1")?
        .query_row([id.to_string()], |r| r.get(0))
        .optional()
        .map_err(StoreError::from)
}

/// Movement rows written by one statement (9 values each).
const MOVEMENTS_PER_INSERT: usize = 64;

/// `INSERT INTO stock_movements` with `rows` rows of values.
pub(super) fn insert_movements_sql(rows: usize) -> Cow<'static, str> {
    static SQL: RowCountSql = RowCountSql::new(MOVEMENTS_PER_INSERT, movements_sql);
    SQL.get(rows)
}

fn movements_sql(rows: usize) -> String {
    super::rows::values_rows(
        "INSERT INTO stock_movements (id, tenant_id, product_id, kind, delta, reason, order_id, operator_id, occurred_at) VALUES ",
        "(?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
}

/// Whether this till holds the stock movement `id` already.
pub fn movement_held(c: &Connection, id: MovementId) -> Result<bool, StoreError> {
    Ok(
        c.prepare_cached("SELECT 1 FROM stock_movements WHERE id = ?1 LIMIT 1")?
            .query_row([id.to_string()], |_| Ok(()))
            .optional()?
            .is_some(),
    )
}

pub(super) const ADD_ON_HAND: &str = "UPDATE products SET on_hand = on_hand + ?2 WHERE id = ?1";

/// A product's movements, newest first.
pub fn movements(
    c: &Connection,
    product: ProductId,
    limit: u32,
) -> Result<Vec<StockMovement>, StoreError> {
    let mut st = c.prepare_cached(
        "SELECT id, product_id, kind, delta, reason, order_id, operator_id, occurred_at FROM stock_movements
         WHERE product_id = ?1 ORDER BY rowid DESC LIMIT ?2",
    )?;
    let rows = st.query_map(params![product.to_string(), limit], |r| {
        Ok(StockMovement {
            id: parse(r, 0, MovementId::parse)?,
            product_id: parse(r, 1, ProductId::parse)?,
            kind: parse(r, 2, MovementKind::parse)?,
            delta: r.get(3)?,
            reason: parse_opt(r, 4, Reason::parse)?,
            order_id: parse_opt(r, 5, OrderId::parse)?,
            operator_id: parse_opt(r, 6, OperatorId::parse)?,
            occurred_at: parse(r, 7, Timestamp::parse_rfc3339)?,
        })
    })?;
    rows.collect::<Result<Vec<_>, _>>()
        .map_err(StoreError::from)
}

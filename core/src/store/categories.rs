//! Rows of catalog categories.

use super::rows::{json, parse, parse_opt, u32_col};
use super::StoreError;
use crate::domain::category::{Category, CategoryFields};
use crate::domain::clock::Timestamp;
use crate::domain::ids::{CategoryId, TenantId};
use rusqlite::{params, Connection, OptionalExtension};

const COLUMNS: &str = "id, tenant_id, names, position, parent_id, version";

fn category_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Category> {
    Ok(Category {
        id: parse(r, 0, CategoryId::parse)?,
        tenant_id: parse(r, 1, TenantId::parse)?,
        fields: CategoryFields {
            names: json(r, 2)?,
            position: u32_col(r, 3)?,
            parent: parse_opt(r, 4, CategoryId::parse)?,
        },
        version: u32_col(r, 5)?,
    })
}

/// Inserts a category, or writes an existing one back.
pub fn save_category(c: &Connection, k: &Category, now: Timestamp) -> Result<(), StoreError> {
    c.prepare_cached(
        "INSERT INTO categories (id, tenant_id, names, position, parent_id, version, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (id) DO UPDATE SET names = ?3, position = ?4, parent_id = ?5, version = ?6, updated_at = ?7",
    )?
    .execute(params![
        k.id.to_string(),
        k.tenant_id.to_string(),
        serde_json::to_string(&k.fields.names)?,
        k.fields.position,
        k.fields.parent.map(|p| p.to_string()),
        k.version,
        now.to_rfc3339(),
    ])?;
    Ok(())
}

/// A category of `tenant` by id.
pub fn category(
    c: &Connection,
    tenant: TenantId,
    id: CategoryId,
) -> Result<Option<Category>, StoreError> {
    c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM categories WHERE tenant_id = ?1 AND id = ?2"
    ))?
    .query_row(params![tenant.to_string(), id.to_string()], category_row)
    .optional()
    .map_err(StoreError::from)
}

/// Every category of `tenant`, by position (a shop has tens, not thousands).
pub fn categories(c: &Connection, tenant: TenantId) -> Result<Vec<Category>, StoreError> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM categories WHERE tenant_id = ?1 ORDER BY position, id"
    ))?;
    let rows = st.query_map([tenant.to_string()], category_row)?;
    rows.collect::<Result<Vec<_>, _>>()
        .map_err(StoreError::from)
}

/// Whether any category of `tenant` sits under `id`.
pub fn has_children(c: &Connection, tenant: TenantId, id: CategoryId) -> Result<bool, StoreError> {
    Ok(
        c.prepare_cached("SELECT 1 FROM categories WHERE tenant_id = ?1 AND parent_id = ?2")?
            .exists(params![tenant.to_string(), id.to_string()])?,
    )
}

//! Rows of content nodes.

use super::people::timestamp_opt;
use super::rows::{json, parse, u32_col};
use super::StoreError;
use crate::domain::clock::Timestamp;
use crate::domain::content::{
    AnyContent, ContentData, ContentFields, ContentKind, ContentSlug, ContentStatus,
};
use crate::domain::ids::{ContentId, TenantId};
use rusqlite::{params, Connection, OptionalExtension};

const COLUMNS: &str =
    "id, tenant_id, kind, slug, position, status, translations, published_at, version, products";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AnyContent> {
    let data = ContentData {
        id: parse(r, 0, ContentId::parse)?,
        tenant_id: parse(r, 1, TenantId::parse)?,
        fields: ContentFields {
            kind: parse(r, 2, ContentKind::parse)?,
            slug: parse(r, 3, ContentSlug::parse)?,
            position: r.get(4)?,
            translations: json(r, 6)?,
            products: json(r, 9)?,
        },
        published_at: timestamp_opt(r, 7)?,
        version: u32_col(r, 8)?,
    };
    Ok(AnyContent::from_stored(
        parse(r, 5, ContentStatus::parse)?,
        data,
    ))
}

/// Inserts or replaces a node.
pub fn save_content(c: &Connection, n: &AnyContent, now: Timestamp) -> Result<(), StoreError> {
    let d = n.data();
    c.prepare_cached(
        "INSERT INTO content_nodes (id, tenant_id, kind, slug, position, status, translations, published_at, version, updated_at, products)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
         ON CONFLICT (id) DO UPDATE SET kind = ?3, slug = ?4, position = ?5, status = ?6, translations = ?7,
         published_at = ?8, version = ?9, updated_at = ?10, products = ?11",
    )?
    .execute(params![
        d.id.to_string(),
        d.tenant_id.to_string(),
        d.fields.kind.as_str(),
        d.fields.slug.as_str(),
        d.fields.position,
        n.status().as_str(),
        serde_json::to_string(&d.fields.translations)?,
        d.published_at.map(Timestamp::to_rfc3339),
        d.version,
        now.to_rfc3339(),
        serde_json::to_string(&d.fields.products)?,
    ])?;
    Ok(())
}

/// Loads a node of `tenant`.
pub fn content(
    c: &Connection,
    tenant: TenantId,
    id: ContentId,
) -> Result<Option<AnyContent>, StoreError> {
    c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM content_nodes WHERE id = ?1 AND tenant_id = ?2"
    ))?
    .query_row([id.to_string(), tenant.to_string()], row)
    .optional()
    .map_err(StoreError::from)
}

/// Whether another node of `tenant` already uses `slug`.
pub fn content_slug_taken(
    c: &Connection,
    tenant: TenantId,
    slug: &ContentSlug,
    except: Option<ContentId>,
) -> Result<bool, StoreError> {
    Ok(c.prepare_cached(
        "SELECT 1 FROM content_nodes WHERE tenant_id = ?1 AND slug = ?2 AND id IS NOT ?3",
    )?
    .exists(params![
        tenant.to_string(),
        slug.as_str(),
        except.map(|e| e.to_string())
    ])?)
}

/// Nodes of `tenant`, optionally of one kind and status, by position.
pub fn contents(
    c: &Connection,
    tenant: TenantId,
    kind: Option<ContentKind>,
    status: Option<ContentStatus>,
) -> Result<Vec<AnyContent>, StoreError> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM content_nodes WHERE tenant_id = ?1 AND (?2 IS NULL OR kind = ?2)
         AND (?3 IS NULL OR status = ?3) ORDER BY position, slug"
    ))?;
    let rows = st.query_map(
        params![
            tenant.to_string(),
            kind.map(ContentKind::as_str),
            status.map(ContentStatus::as_str)
        ],
        row,
    )?;
    rows.collect::<Result<Vec<_>, _>>()
        .map_err(StoreError::from)
}

//! Uniqueness clashes sync brought (DESIGN §7): two tills cut off from each other
//! made the same SKU, barcode, page slug or operator name. Both records are kept;
//! this lists them for a manager, who resolves a clash by editing one of them.

use super::rows::parse;
use super::StoreError;
use crate::domain::ids::TenantId;
use crate::domain::FieldError;
use rusqlite::{params, Connection};

/// The code two or more records share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ClashField {
    /// Products' SKU.
    Sku,
    /// Products' barcode.
    Barcode,
    /// Content nodes' slug.
    Slug,
    /// Operators' name.
    OperatorName,
}

impl ClashField {
    /// The wire name (`sku`, `barcode`, `slug`, `operator_name`).
    pub const fn as_str(self) -> &'static str {
        match self {
            ClashField::Sku => "sku",
            ClashField::Barcode => "barcode",
            ClashField::Slug => "slug",
            ClashField::OperatorName => "operator_name",
        }
    }
}

/// One record holding a shared code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClashHolder {
    /// The record (a product, content node or operator).
    pub id: uuid::Uuid,
    /// What a person knows it by: a product's or page's title in the shop's
    /// default locale (another locale's where it has none), an operator's role.
    pub label: String,
    /// Its status (`active`, `draft`, `archived`, `published`; for an operator
    /// `active` or `inactive`).
    pub status: String,
}

/// Records sharing one code, lowest id (first made) first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clash {
    /// Which code.
    pub field: ClashField,
    /// Its value.
    pub value: String,
    /// Two or more records.
    pub holders: Vec<ClashHolder>,
}

/// Every clash in `tenant`, by field and value.
pub fn clashes(c: &Connection, tenant: TenantId) -> Result<Vec<Clash>, StoreError> {
    // A title in the default locale, else the first one there is.
    const TITLE: &str = "COALESCE(json_extract(titles, '$.\"' || t.default_locale || '\"'),
                                 (SELECT value FROM json_each(titles) LIMIT 1), '')";
    const PAGE: &str = "COALESCE(json_extract(translations, '$.\"' || t.default_locale || '\".title'),
                                (SELECT json_extract(value, '$.title') FROM json_each(translations) LIMIT 1), '')";
    let queries = [
        (
            ClashField::Sku,
            format!("SELECT p.sku, p.id, {TITLE}, p.status FROM products p JOIN tenants t ON t.id = p.tenant_id
                     WHERE p.tenant_id = ?1 AND p.sku IN
                        (SELECT sku FROM products WHERE tenant_id = ?1 GROUP BY sku HAVING count(*) > 1)
                     ORDER BY p.sku, p.id"),
        ),
        (
            ClashField::Barcode,
            format!("SELECT p.barcode, p.id, {TITLE}, p.status FROM products p JOIN tenants t ON t.id = p.tenant_id
                     WHERE p.tenant_id = ?1 AND p.barcode IN
                        (SELECT barcode FROM products WHERE tenant_id = ?1 AND barcode IS NOT NULL
                         GROUP BY barcode HAVING count(*) > 1)
                     ORDER BY p.barcode, p.id"),
        ),
        (
            ClashField::Slug,
            format!("SELECT n.slug, n.id, {PAGE}, n.status FROM content_nodes n JOIN tenants t ON t.id = n.tenant_id
                     WHERE n.tenant_id = ?1 AND n.slug IN
                        (SELECT slug FROM content_nodes WHERE tenant_id = ?1 GROUP BY slug HAVING count(*) > 1)
                     ORDER BY n.slug, n.id"),
        ),
        (
            ClashField::OperatorName,
            "SELECT name, id, role, CASE active WHEN 0 THEN 'inactive' ELSE 'active' END FROM operators
             WHERE tenant_id = ?1 AND name IN
                (SELECT name FROM operators WHERE tenant_id = ?1 GROUP BY name HAVING count(*) > 1)
             ORDER BY name, id"
                .to_owned(),
        ),
    ];
    let mut out: Vec<Clash> = Vec::new();
    for (field, sql) in queries {
        let mut st = c.prepare_cached(&sql)?;
        let mut rows = st.query(params![tenant.to_string()])?;
        while let Some(r) = rows.next()? {
            let value: String = r.get(0)?;
            let holder = ClashHolder {
                id: parse(r, 1, |s| {
                    uuid::Uuid::parse_str(s)
                        .map_err(|_| FieldError::new("id", "invalid", "not a uuid"))
                })?,
                label: r.get(2)?,
                status: r.get(3)?,
            };
            match out.last_mut() {
                Some(last) if last.field == field && last.value == value => {
                    last.holders.push(holder);
                }
                _ => out.push(Clash {
                    field,
                    value,
                    holders: vec![holder],
                }),
            }
        }
    }
    Ok(out)
}

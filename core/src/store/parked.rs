//! Rows of parked sales: carts put aside at the till, kept across restarts.

use super::rows::parse;
use super::StoreError;
use crate::domain::clock::Timestamp;
use crate::domain::ids::{OperatorId, ParkedSaleId, TenantId};
use crate::service::ParkedSale;
use rusqlite::{params, Connection, OptionalExtension};

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ParkedSale> {
    let basket: String = r.get(3)?;
    Ok(ParkedSale {
        id: parse(r, 0, ParkedSaleId::parse)?,
        parked_by: parse(r, 1, OperatorId::parse)?,
        parked_at: parse(r, 2, Timestamp::parse_rfc3339)?,
        basket: serde_json::from_str(&basket).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Text, Box::new(e))
        })?,
    })
}

/// Keeps a parked sale.
pub fn insert_parked(c: &Connection, tenant: TenantId, p: &ParkedSale) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO parked_sales (id, tenant_id, parked_by, parked_at, basket) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            p.id.to_string(),
            tenant.to_string(),
            p.parked_by.to_string(),
            p.parked_at.to_rfc3339(),
            serde_json::to_string(&p.basket)?,
        ],
    )?;
    Ok(())
}

/// The shop's parked sales, oldest first.
pub fn parked_sales(c: &Connection, tenant: TenantId) -> Result<Vec<ParkedSale>, StoreError> {
    let mut st = c.prepare_cached(
        "SELECT id, parked_by, parked_at, basket FROM parked_sales WHERE tenant_id = ?1 ORDER BY parked_at, id",
    )?;
    let rows = st.query_map([tenant.to_string()], row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Takes a parked sale out: returns it and deletes it.
pub fn take_parked(
    c: &Connection,
    tenant: TenantId,
    id: ParkedSaleId,
) -> Result<Option<ParkedSale>, StoreError> {
    let found = c
        .prepare_cached(
            "SELECT id, parked_by, parked_at, basket FROM parked_sales WHERE tenant_id = ?1 AND id = ?2",
        )?
        .query_row(params![tenant.to_string(), id.to_string()], row)
        .optional()?;
    if found.is_some() {
        c.execute("DELETE FROM parked_sales WHERE id = ?1", [id.to_string()])?;
    }
    Ok(found)
}

//! Rows of orders. Lines and payments are JSON arrays on the order row: immutable
//! snapshots that are always read with their order.

use super::rows::{json, json_opt, parse, parse_opt};
use super::StoreError;
use crate::domain::clock::Timestamp;
use crate::domain::ids::{CashSessionId, OperatorId, OrderId, TenantId};
use crate::domain::money::Currency;
use crate::domain::order::{
    Amounts, AnyOrder, OrderData, OrderNumber, OrderStatus, TrackingNumber,
};
use crate::domain::tenant::TaxMode;
use crate::domain::text::{Note, Reason};
use crate::domain::FieldError;
use rusqlite::{params, Connection, OptionalExtension};

/// Inserts a new order with its lines (and payments, for a counter sale).
pub fn insert_order(
    c: &Connection,
    o: &AnyOrder,
    created_by: Option<OperatorId>,
    cash_session: Option<CashSessionId>,
) -> Result<(), StoreError> {
    let d = o.data();
    // The serial is the row's key, so two orders can never share a number.
    let serial = d.number.serial().ok_or_else(|| StoreError::Corrupt {
        column: "orders.number",
        source: FieldError::new("number", "invalid_order_number", "serial out of range"),
    })?;
    c.prepare_cached(INSERT_ORDER)?.execute(params![
        d.id.to_string(),
        d.tenant_id.to_string(),
        d.number.as_str(),
        o.status().as_str(),
        d.currency.as_str(),
        d.tax_mode.as_str(),
        d.totals.net,
        d.totals.tax,
        d.totals.gross,
        d.customer.as_ref().map(serde_json::to_string).transpose()?,
        d.notes.as_ref().map(Note::as_str),
        created_by.map(|o| o.to_string()),
        d.created_at.to_rfc3339(),
        d.created_at.day(),
        cash_session.map(|s| s.to_string()),
        d.tracking.as_ref().map(TrackingNumber::as_str),
        serde_json::to_string(&d.lines)?,
        serde_json::to_string(&d.payments)?,
        serial,
    ])?;
    Ok(())
}

pub(super) const INSERT_ORDER: &str =
    "INSERT INTO orders (id, tenant_id, number, status, currency, tax_mode, net, tax, gross, customer, notes,
     created_by, created_at, day, updated_at, cash_session_id, tracking, lines, payments, n)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?13, ?15, ?16, ?17, ?18, ?19)";

/// Writes an order's state back: status, payments, tracking, cancellation, refunds,
/// and the cash session it was paid through.
pub fn update_order(
    c: &Connection,
    o: &AnyOrder,
    cash_session: Option<CashSessionId>,
    now: Timestamp,
) -> Result<(), StoreError> {
    let d = o.data();
    c.prepare_cached(
        "UPDATE orders SET status = ?2, tracking = ?3, cancel_reason = ?4, refunds = ?5, payments = ?6,
         cash_session_id = COALESCE(?7, cash_session_id), updated_at = ?8 WHERE id = ?1",
    )?
    .execute(params![
        d.id.to_string(),
        o.status().as_str(),
        d.tracking.as_ref().map(TrackingNumber::as_str),
        d.cancel_reason.as_ref().map(Reason::as_str),
        serde_json::to_string(&d.refunds)?,
        serde_json::to_string(&d.payments)?,
        cash_session.map(|s| s.to_string()),
        now.to_rfc3339(),
    ])?;
    Ok(())
}

const ORDER_COLUMNS: &str =
    "id, tenant_id, number, status, currency, tax_mode, net, tax, gross, customer, notes,
     tracking, cancel_reason, refunds, created_at, lines, payments";

fn order_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AnyOrder> {
    let data = OrderData {
        id: parse(r, 0, OrderId::parse)?,
        tenant_id: parse(r, 1, TenantId::parse)?,
        number: parse(r, 2, OrderNumber::parse)?,
        currency: parse(r, 4, Currency::parse)?,
        tax_mode: parse(r, 5, TaxMode::parse)?,
        totals: Amounts {
            net: r.get(6)?,
            tax: r.get(7)?,
            gross: r.get(8)?,
        },
        customer: json_opt(r, 9)?,
        notes: parse_opt(r, 10, Note::parse)?,
        tracking: parse_opt(r, 11, TrackingNumber::parse)?,
        cancel_reason: parse_opt(r, 12, Reason::parse)?,
        refunds: json(r, 13)?,
        created_at: parse(r, 14, Timestamp::parse_rfc3339)?,
        lines: json(r, 15)?,
        payments: json(r, 16)?,
    };
    Ok(AnyOrder::from_stored(
        parse(r, 3, OrderStatus::parse)?,
        data,
    ))
}

/// Loads an order of `tenant`.
pub fn order(
    c: &Connection,
    tenant: TenantId,
    id: OrderId,
) -> Result<Option<AnyOrder>, StoreError> {
    c.prepare_cached(&format!(
        "SELECT {ORDER_COLUMNS} FROM orders WHERE id = ?1 AND tenant_id = ?2"
    ))?
    .query_row([id.to_string(), tenant.to_string()], order_row)
    .optional()
    .map_err(StoreError::from)
}

/// Whether any shop has an order with this id (ids chosen by a till must not
/// take another shop's).
pub fn order_exists(c: &Connection, id: OrderId) -> Result<bool, StoreError> {
    c.prepare_cached("SELECT EXISTS (SELECT 1 FROM orders WHERE id = ?1)")?
        .query_row([id.to_string()], |r| r.get(0))
        .map_err(StoreError::from)
}

/// A page of the order list.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct OrderQuery {
    /// Only this status.
    pub status: Option<OrderStatus>,
    /// Only orders created on this UTC day (`YYYY-MM-DD`).
    pub day: Option<String>,
    /// Orders whose number contains this text.
    pub number: Option<String>,
    /// Page size (at most 500).
    pub limit: u32,
    /// Rows to skip.
    pub offset: u32,
}

/// Orders of `tenant`, newest first.
pub fn orders(
    c: &Connection,
    tenant: TenantId,
    q: &OrderQuery,
) -> Result<Vec<AnyOrder>, StoreError> {
    let number = q
        .number
        .as_ref()
        .map(|n| format!("%{}%", n.trim().to_ascii_uppercase()));
    let mut st = c.prepare_cached(&format!(
        "SELECT {ORDER_COLUMNS} FROM orders WHERE tenant_id = ?1 AND (?2 IS NULL OR status = ?2)
         AND (?3 IS NULL OR day = ?3) AND (?4 IS NULL OR number LIKE ?4)
         ORDER BY created_at DESC, number DESC LIMIT ?5 OFFSET ?6"
    ))?;
    let rows = st.query_map(
        params![
            tenant.to_string(),
            q.status.map(OrderStatus::as_str),
            q.day,
            number,
            q.limit.min(500),
            q.offset
        ],
        order_row,
    )?;
    rows.collect::<Result<Vec<_>, _>>()
        .map_err(StoreError::from)
}

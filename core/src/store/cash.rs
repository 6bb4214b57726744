//! Rows of cash sessions and cash movements.

use super::people::timestamp_opt;
use super::rows::{parse, parse_opt};
use super::StoreError;
use crate::domain::cash::{CashClosing, CashMoveKind, CashSession, CashTotals};
use crate::domain::clock::Timestamp;
use crate::domain::ids::{CashSessionId, OperatorId, TenantId};
use crate::domain::money::Currency;
use crate::domain::text::Reason;
use rusqlite::{params, Connection, OptionalExtension};

const COLUMNS: &str =
    "id, tenant_id, currency, opened_by, opened_at, float, sales, refunds, cash_in, cash_out,
     closed_by, closed_at, counted, expected, difference, unsynced_events, approved_by";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<CashSession> {
    let closed_by = parse_opt(r, 10, OperatorId::parse)?;
    let closed_at = timestamp_opt(r, 11)?;
    let closing = match (closed_by, closed_at) {
        (Some(closed_by), Some(closed_at)) => Some(CashClosing {
            closed_by,
            closed_at,
            counted: r.get(12)?,
            expected: r.get(13)?,
            difference: r.get(14)?,
            unsynced_events: r.get(15)?,
            approved_by: parse_opt(r, 16, OperatorId::parse)?,
        }),
        _ => None,
    };
    Ok(CashSession {
        id: parse(r, 0, CashSessionId::parse)?,
        tenant_id: parse(r, 1, TenantId::parse)?,
        currency: parse(r, 2, Currency::parse)?,
        opened_by: parse(r, 3, OperatorId::parse)?,
        opened_at: parse(r, 4, Timestamp::parse_rfc3339)?,
        totals: CashTotals {
            float: r.get(5)?,
            sales: r.get(6)?,
            refunds: r.get(7)?,
            cash_in: r.get(8)?,
            cash_out: r.get(9)?,
        },
        closing,
    })
}

/// Inserts a newly opened session.
pub fn insert_cash_session(c: &Connection, s: &CashSession) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO cash_sessions (id, tenant_id, currency, opened_by, opened_at, float) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            s.id.to_string(),
            s.tenant_id.to_string(),
            s.currency.as_str(),
            s.opened_by.to_string(),
            s.opened_at.to_rfc3339(),
            s.totals.float,
        ],
    )?;
    Ok(())
}

pub(super) const UPDATE_OPEN_SESSION: &str =
    "UPDATE cash_sessions SET sales = ?2, refunds = ?3, cash_in = ?4, cash_out = ?5 WHERE id = ?1";

/// Writes a session's totals back, and its closing once it has one. An open
/// session's update names only the totals: naming `closed_at` would rewrite the
/// `cash_sessions_one_open` index page on every sale.
pub fn update_cash_session(c: &Connection, s: &CashSession) -> Result<(), StoreError> {
    let id = s.id.to_string();
    let t = &s.totals;
    let Some(cl) = s.closing.as_ref() else {
        c.prepare_cached(UPDATE_OPEN_SESSION)?
            .execute(params![id, t.sales, t.refunds, t.cash_in, t.cash_out])?;
        return Ok(());
    };
    c.prepare_cached(
        "UPDATE cash_sessions SET sales = ?2, refunds = ?3, cash_in = ?4, cash_out = ?5, closed_by = ?6, closed_at = ?7,
         counted = ?8, expected = ?9, difference = ?10, unsynced_events = ?11, approved_by = ?12 WHERE id = ?1",
    )?
    .execute(params![
        id,
        t.sales,
        t.refunds,
        t.cash_in,
        t.cash_out,
        cl.closed_by.to_string(),
        cl.closed_at.to_rfc3339(),
        cl.counted,
        cl.expected,
        cl.difference,
        cl.unsynced_events,
        cl.approved_by.map(|a| a.to_string()),
    ])?;
    Ok(())
}

/// The open session of `tenant` on this device, if any.
pub fn open_cash_session(
    c: &Connection,
    tenant: TenantId,
) -> Result<Option<CashSession>, StoreError> {
    c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM cash_sessions WHERE tenant_id = ?1 AND closed_at IS NULL"
    ))?
    .query_row([tenant.to_string()], row)
    .optional()
    .map_err(StoreError::from)
}

/// The closed sessions of `tenant` on this device, the last closed first, at most
/// `limit`: their Z reports are printed again from this list.
pub fn closed_cash_sessions(
    c: &Connection,
    tenant: TenantId,
    limit: u32,
) -> Result<Vec<CashSession>, StoreError> {
    c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM cash_sessions WHERE tenant_id = ?1 AND closed_at IS NOT NULL
         ORDER BY closed_at DESC, id DESC LIMIT ?2"
    ))?
    .query_map(rusqlite::params![tenant.to_string(), limit], row)?
    .collect::<Result<_, _>>()
    .map_err(StoreError::from)
}

/// A session by id.
pub fn cash_session(
    c: &Connection,
    tenant: TenantId,
    id: CashSessionId,
) -> Result<Option<CashSession>, StoreError> {
    c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM cash_sessions WHERE id = ?1 AND tenant_id = ?2"
    ))?
    .query_row([id.to_string(), tenant.to_string()], row)
    .optional()
    .map_err(StoreError::from)
}

/// Records a cash in/out line of a session.
pub fn insert_cash_movement(
    c: &Connection,
    session: CashSessionId,
    kind: CashMoveKind,
    amount: i64,
    reason: &Reason,
    operator: OperatorId,
    now: Timestamp,
) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO cash_movements (session_id, n, kind, amount, reason, operator_id, occurred_at)
         VALUES (?1, (SELECT count(*) FROM cash_movements WHERE session_id = ?1), ?2, ?3, ?4, ?5, ?6)",
        params![session.to_string(), kind.as_str(), amount, reason.as_str(), operator.to_string(), now.to_rfc3339()],
    )?;
    Ok(())
}

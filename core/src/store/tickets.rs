//! Rows of kiosk tickets (on the kiosk) and the ticket a sale took (on the till).

use super::StoreError;
use crate::domain::clock::Timestamp;
use crate::domain::ids::{OrderId, TenantId, TicketId};
use crate::domain::ticket::Ticket;
use rusqlite::{params, Connection, OptionalExtension};

/// The number the next ticket of this kiosk shows the customer (1, 2, …).
pub fn next_ticket_number(c: &Connection) -> Result<u32, StoreError> {
    let last: Option<u32> = c
        .prepare_cached("SELECT MAX(number) FROM kiosk_tickets")?
        .query_row([], |r| r.get(0))?;
    Ok(last.unwrap_or(0).saturating_add(1))
}

/// Keeps a ticket this kiosk issued.
pub fn insert_ticket(
    c: &Connection,
    tenant: TenantId,
    t: &Ticket,
    issued_at: Timestamp,
) -> Result<(), StoreError> {
    c.prepare_cached(
        "INSERT INTO kiosk_tickets (id, tenant_id, number, lines, issued_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        t.id.to_string(),
        tenant.to_string(),
        t.number,
        serde_json::to_string(&t.lines)?,
        issued_at.to_rfc3339(),
    ])?;
    Ok(())
}

/// The number of the order on this till that took ticket `id`, if one did.
pub fn ticket_sold_as(
    c: &Connection,
    tenant: TenantId,
    id: TicketId,
) -> Result<Option<String>, StoreError> {
    c.prepare_cached("SELECT number FROM orders WHERE ticket_id = ?1 AND tenant_id = ?2")?
        .query_row([id.to_string(), tenant.to_string()], |r| r.get(0))
        .optional()
        .map_err(StoreError::from)
}

/// Records that order `order` took ticket `ticket` (once: the index refuses a second).
pub fn set_order_ticket(
    c: &Connection,
    order: OrderId,
    ticket: TicketId,
) -> Result<(), StoreError> {
    c.prepare_cached("UPDATE orders SET ticket_id = ?2 WHERE id = ?1")?
        .execute([order.to_string(), ticket.to_string()])?;
    Ok(())
}

//! Kiosk tickets: a kiosk issues one for what the customer chose (an event of the
//! kiosk, never an order there); the counter reads the ticket's code, scanned into
//! its scan field, into a cart at today's prices, and the sale records the ticket.

use super::{Actor, Shop, ShopError};
use crate::domain::clock::Timestamp;
use crate::domain::event::TicketIssued;
use crate::domain::ids::{OperatorId, ProductId, TicketId};
use crate::domain::operator::Pin;
use crate::domain::permission::Operation;
use crate::domain::product::{Product, ProductStatus};
use crate::domain::stock::Quantity;
use crate::domain::ticket::{Ticket, TicketLine};
use crate::domain::FieldError;
use crate::store;

/// A ticket as the kiosk shows and prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedTicket {
    /// The ticket, with the number the customer is shown.
    pub ticket: Ticket,
    /// The text of its QR code.
    pub code: String,
    /// When.
    pub issued_at: Timestamp,
}

/// One line of a scanned ticket, as the counter's cart takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketCartLine {
    /// The product as it is now.
    pub product: Product,
    /// Units.
    pub quantity: Quantity,
    /// The unit price the customer saw at the kiosk (the sale takes today's).
    pub price_then: i64,
}

/// A scanned ticket, read into a cart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketCart {
    /// The ticket, for the sale to record.
    pub ticket_id: TicketId,
    /// The number the kiosk showed the customer, for the cashier to call out.
    pub number: u32,
    /// Lines whose product is still for sale.
    pub lines: Vec<TicketCartLine>,
    /// Lines left out: the product is gone or no longer for sale.
    pub missing: usize,
}

impl Shop {
    /// Checks the PIN of the manager who takes this device out of kiosk mode and
    /// returns them logged in. Asked from the kiosk's screens or its login screen
    /// (a kiosk whose own operator is locked out must still be freed), so no session
    /// is needed. A wrong PIN counts towards the manager's lockout; a cashier's or
    /// the kiosk's PIN is refused.
    pub fn unlock_kiosk(&self, manager: OperatorId, pin: &Pin) -> Result<Actor, ShopError> {
        let a = self.login(manager, pin)?;
        if !a.role.unlocks_kiosk() {
            return Err(ShopError::Forbidden {
                operation: "UnlockKiosk",
            });
        }
        Ok(a)
    }

    /// Issues a ticket for `lines` (product, units) at today's prices: only active
    /// products of the shop, at most 999 of one, at most 30 lines.
    pub fn issue_ticket(
        &self,
        actor: &Actor,
        lines: &[(ProductId, Quantity)],
    ) -> Result<IssuedTicket, ShopError> {
        // Refused before any product is looked up, however many lines came.
        crate::domain::ticket::check_line_count(lines.len())?;
        self.command(actor, Operation::IssueTicket, |tx, caller| {
            let mut priced = Vec::with_capacity(lines.len());
            for (i, (id, quantity)) in lines.iter().enumerate() {
                let p = store::product(tx, caller.tenant, *id)?
                    .filter(|p| p.status == ProductStatus::Active)
                    .ok_or_else(|| {
                        FieldError::new(
                            format!("lines[{i}].product_id"),
                            "not_sellable",
                            "this product is not for sale",
                        )
                    })?;
                priced.push(TicketLine {
                    product_id: p.id,
                    quantity: *quantity,
                    unit_price: p.fields.price.minor,
                });
            }
            let number = store::next_ticket_number(tx)?;
            let issued_at = tx.now();
            let ticket = Ticket::new(
                TicketId::from_uuid(tx.new_id()),
                number,
                issued_at.plus_secs(crate::domain::ticket::VALID_SECS),
                priced,
            )?;
            store::insert_ticket(tx, caller.tenant, &ticket, issued_at)?;
            let device_id = tx.identity()?.device_id;
            tx.append(TicketIssued {
                device_id,
                ticket: ticket.clone(),
            })?;
            Ok(IssuedTicket {
                code: ticket.code(),
                ticket,
                issued_at,
            })
        })
    }

    /// Reads a ticket's code as the counter's scanner typed it: its lines with the
    /// products as they are now (the sale takes today's prices; `price_then` says
    /// what the customer saw). A code that does not check out, an expired ticket,
    /// or a ticket this till already sold, is refused.
    pub fn read_ticket(&self, actor: &Actor, code: &str) -> Result<TicketCart, ShopError> {
        let ticket = Ticket::parse_code(code)?;
        let now = self.clock.now();
        self.query(actor, Operation::ReadTicket, |c, caller| {
            // Checked after the permission; "sold" says more than "expired".
            if let Some(number) = store::ticket_sold_as(c, caller.tenant, ticket.id)? {
                return Err(
                    FieldError::new("code", "ticket_sold", "this ticket is already sold")
                        .with_param("number", number)
                        .into(),
                );
            }
            if now > ticket.expires_at {
                return Err(FieldError::new(
                    "code",
                    "ticket_expired",
                    "this ticket has expired: the customer orders again",
                )
                .into());
            }
            let mut lines = Vec::with_capacity(ticket.lines.len());
            let mut missing = 0usize;
            for l in &ticket.lines {
                match store::product(c, caller.tenant, l.product_id)? {
                    Some(product) if product.status == ProductStatus::Active => {
                        lines.push(TicketCartLine {
                            product,
                            quantity: l.quantity,
                            price_then: l.unit_price,
                        })
                    }
                    _ => missing = missing.saturating_add(1),
                }
            }
            Ok(TicketCart {
                ticket_id: ticket.id,
                number: ticket.number,
                lines,
                missing,
            })
        })
    }
}

//! Orders: creation, every lifecycle transition with its side effects (payment,
//! stock, cash drawer), and the one-transaction counter sale.

use super::catalog::{move_stock, movement};
use super::{tenant_of, Actor, Caller, Shop, ShopError};
use crate::domain::cash::CashSession;
use crate::domain::event::{
    Aggregate, Envelope, OrderCancelled, OrderConfirmed, OrderCreated, OrderDelivered, OrderPaid,
    OrderRefunded, OrderShipped,
};
use crate::domain::ids::{CashSessionId, OperatorId, OrderId, ProductId, TicketId};
use crate::domain::operator::Pin;
use crate::domain::order::OrderActionKind;
use crate::domain::order::{
    price_lines, Amounts, AnyOrder, Customer, Discount, LineSpec, Order, OrderAction, OrderData,
    OrderLine, OrderStatus, Pending, TrackingNumber,
};
use crate::domain::payment::{self, PaymentMethod, Refund, RefundRequest, RefundedItems, Tender};
use crate::domain::permission::Operation;
use crate::domain::product::ProductStatus;
use crate::domain::product::Sku;
use crate::domain::stock::{MovementKind, Quantity, StockMovement};
use crate::domain::tenant::{TaxMode, Tenant};
use crate::domain::text::{Note, Reason};
use crate::domain::FieldError;
use crate::store::{self, OrderQuery, WriteTx};
use std::collections::HashMap;

/// One line of a new order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLine {
    /// Product.
    pub product_id: ProductId,
    /// Units.
    pub quantity: Quantity,
    /// The line's discount, if any.
    pub discount: Option<Discount>,
}

/// A new order as entered.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewOrder {
    /// The id the till chose for this sale (a UUIDv7), so that a sale sent twice
    /// — a second Enter, a retry after an answer that was lost — is made once:
    /// sending it again returns the order made the first time. `None`: a new id.
    pub id: Option<OrderId>,
    /// Lines; at least one.
    pub lines: Vec<NewLine>,
    /// Customer, if known.
    pub customer: Option<Customer>,
    /// Notes.
    pub notes: Option<Note>,
    /// A discount on the whole order, if any.
    pub discount: Option<Discount>,
    /// The kiosk ticket the order is made from: sold at most once on this till.
    pub ticket: Option<TicketId>,
}

/// A line of a basket that asks for more than the stock on hand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShortLine {
    /// Position in the basket, from 0.
    pub line: usize,
    /// The product's SKU.
    pub sku: Sku,
    /// Units on hand for this line, after the lines before it of the same product
    /// took theirs (never below 0).
    pub on_hand: i64,
    /// Units the line asks for.
    pub quantity: i64,
}

/// A basket priced as a sale would price it, with the lines short of stock.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Quote {
    /// Priced lines.
    pub lines: Vec<OrderLine>,
    /// Their sum.
    pub totals: Amounts,
    /// Lines asking for more than is on hand.
    pub short: Vec<ShortLine>,
    /// Whether the shop sells beyond its stock without asking (else a manager approves).
    pub oversell_allowed: bool,
    /// Minor units taken off by discounts (lines' and the order's).
    pub discount: i64,
    /// Whether the discounts need a manager's approval for the operator asking.
    pub discount_needs_approval: bool,
}

/// The lines of `lines` (product, SKU, units) that ask for more than `on_hand` says
/// the shop has, counting earlier lines of the same product first.
fn short_lines<'a>(
    lines: impl Iterator<Item = (ProductId, &'a Sku, i64)>,
    mut on_hand: impl FnMut(ProductId) -> Result<i64, ShopError>,
) -> Result<Vec<ShortLine>, ShopError> {
    let mut left: HashMap<ProductId, i64> = HashMap::new();
    let mut short = Vec::new();
    for (line, (id, sku, quantity)) in lines.enumerate() {
        let have = match left.get(&id) {
            Some(&v) => v,
            None => on_hand(id)?,
        }
        .max(0);
        if quantity > have {
            short.push(ShortLine {
                line,
                sku: sku.clone(),
                on_hand: have,
                quantity,
            });
        }
        left.insert(id, have.saturating_sub(quantity));
    }
    Ok(short)
}

/// Snapshots the products of `lines` (each must exist and be active) for pricing.
fn line_specs(
    c: &rusqlite::Connection,
    caller: Caller,
    tenant: &Tenant,
    lines: &[NewLine],
    mut seen: impl FnMut(ProductId, i64),
) -> Result<Vec<LineSpec>, ShopError> {
    let mut specs = Vec::with_capacity(lines.len());
    for (i, l) in lines.iter().enumerate() {
        // Named only when something is wrong with the line.
        let field = || format!("lines[{i}].product_id");
        let p = store::line_product(c, caller.tenant, l.product_id)?
            .ok_or_else(|| FieldError::new(field(), "not_found", "no such product"))?;
        seen(l.product_id, p.on_hand);
        if p.status != ProductStatus::Active {
            return Err(FieldError::new(
                field(),
                "not_sellable",
                format!("{} is {}", p.sku, p.status.as_str()),
            )
            .with_param("sku", p.sku.as_str())
            .into());
        }
        let locale = &tenant.settings.default_locale;
        let title = p
            .titles
            .resolve(locale, locale)
            .cloned()
            .ok_or_else(|| FieldError::new(field(), "untitled", "product has no title"))?;
        specs.push(LineSpec {
            product_id: l.product_id,
            sku: p.sku,
            title,
            titles: p.titles,
            unit_price: p.price,
            tax_rate: p.tax_rate,
            quantity: l.quantity,
            discount: l.discount,
        });
    }
    Ok(specs)
}

/// Whether the discounts on `lines` need a manager: a role that may not discount
/// gives none; above the shop's limit a role that may not approve needs an
/// approver, who is then returned to be recorded.
fn discount_approval(
    caller: Caller,
    tenant: &Tenant,
    lines: &[OrderLine],
    approver: Option<OperatorId>,
) -> Result<Option<OperatorId>, ShopError> {
    let (mut off, mut base) = (0i64, 0i64);
    for l in lines {
        let line_off = l.line_discount.saturating_add(l.order_discount);
        off = off.saturating_add(line_off);
        base = base
            .saturating_add(match tenant.settings.tax_mode {
                TaxMode::Inclusive => l.amounts.gross,
                TaxMode::Exclusive => l.amounts.net,
            })
            .saturating_add(line_off);
    }
    if off == 0 {
        return Ok(None);
    }
    if !caller.role.gives_discounts() {
        return Err(ShopError::Forbidden {
            operation: "give discounts",
        });
    }
    if caller.role.approves_discounts() || !tenant.settings.discount_limit_exceeded(off, base) {
        return Ok(None);
    }
    match approver {
        Some(a) => Ok(Some(a)),
        None => Err(ShopError::DiscountApprovalRequired {
            limit_bp: tenant.settings.discount_limit.unwrap_or(0),
        }),
    }
}

/// The order already made with the id `new` carries, when this is the same sale
/// sent again: same lines (product, quantity, discount) and, for a sale, the
/// same tenders. The id of another order, or of another shop's, is refused.
fn made_before(
    tx: &WriteTx<'_>,
    caller: Caller,
    new: &NewOrder,
    tenders: Option<&[Tender]>,
) -> Result<Option<AnyOrder>, ShopError> {
    let Some(id) = new.id else {
        return Ok(None);
    };
    if id.as_uuid().get_version_num() != 7 {
        return Err(FieldError::new("sale_id", "invalid_sale_id", "must be a UUIDv7").into());
    }
    let used = || {
        ShopError::from(FieldError::new(
            "sale_id",
            "sale_id_used",
            "this sale id belongs to another sale",
        ))
    };
    let Some(order) = store::order(tx, caller.tenant, id)? else {
        return match store::order_exists(tx, id)? {
            true => Err(used()),
            false => Ok(None),
        };
    };
    let d = order.data();
    let same_lines = d.lines.len() == new.lines.len()
        && d.lines.iter().zip(&new.lines).all(|(had, asked)| {
            had.product_id == asked.product_id
                && had.quantity == asked.quantity
                && had.discount == asked.discount
        });
    let same_tenders = match tenders {
        Some(t) => payment::settle(d.totals.gross, t).is_ok_and(|p| p == d.payments),
        None => d.payments.is_empty(),
    };
    match same_lines && same_tenders {
        true => Ok(Some(order)),
        false => Err(used()),
    }
}

/// Snapshots the products, prices the lines and numbers the order; with the manager
/// who approved its discounts, if that was needed.
fn build_order(
    tx: &mut WriteTx<'_>,
    caller: Caller,
    tenant: &Tenant,
    new: NewOrder,
    approver: Option<OperatorId>,
) -> Result<(Order<Pending>, Option<OperatorId>), ShopError> {
    let mut seen = Vec::with_capacity(new.lines.len());
    let specs = line_specs(tx, caller, tenant, &new.lines, |id, on_hand| {
        seen.push((id, on_hand));
    })?;
    for (id, on_hand) in seen {
        tx.vouch(Aggregate::Product, id.as_uuid());
        tx.know_stock(id, on_hand);
    }
    let (lines, totals) = price_lines(specs, tenant.settings.tax_mode, new.discount)?;
    let approved_by = discount_approval(caller, tenant, &lines, approver)?;
    let number = tx.next_order_number()?;
    let id = match new.id {
        Some(id) => id,
        None => OrderId::from_uuid(tx.new_id()),
    };
    let order = Order::new(OrderData {
        id,
        tenant_id: caller.tenant,
        number,
        currency: tenant.settings.currency,
        tax_mode: tenant.settings.tax_mode,
        lines,
        totals,
        customer: new.customer,
        notes: new.notes,
        payments: Vec::new(),
        tracking: None,
        cancel_reason: None,
        refunds: Vec::new(),
        created_at: tx.now(),
    })?;
    Ok((order, approved_by))
}

/// Records that the order takes kiosk ticket `ticket`; a ticket already sold on this
/// till is refused, naming the sale that took it.
fn take_ticket(
    tx: &WriteTx<'_>,
    caller: Caller,
    order: OrderId,
    ticket: Option<TicketId>,
) -> Result<(), ShopError> {
    let Some(ticket) = ticket else {
        return Ok(());
    };
    if let Some(number) = store::ticket_sold_as(tx, caller.tenant, ticket)? {
        return Err(
            FieldError::new("ticket", "ticket_sold", "this ticket is already sold")
                .with_param("number", number)
                .into(),
        );
    }
    Ok(store::set_order_ticket(tx, order, ticket)?)
}

fn created_event(
    d: &OrderData,
    discount_approved_by: Option<OperatorId>,
    ticket_id: Option<TicketId>,
) -> OrderCreated {
    OrderCreated {
        discount_approved_by,
        ticket_id,
        order_id: d.id,
        number: d.number.clone(),
        currency: d.currency,
        tax_mode: d.tax_mode,
        lines: d.lines.clone(),
        totals: d.totals,
        customer: d.customer.clone(),
        notes: d.notes.clone(),
    }
}

fn open_session(tx: &mut WriteTx<'_>, caller: Caller) -> Result<CashSession, ShopError> {
    let s = store::open_cash_session(tx, caller.tenant)?.ok_or(ShopError::CashSessionRequired)?;
    tx.vouch(Aggregate::CashSession, s.id.as_uuid());
    Ok(s)
}

/// Takes the payment of `d` (already settled in the domain): cash into the drawer,
/// payment rows, the `OrderPaid` event, and the stock leaving the shelf. Lines
/// short of stock are recorded in the event; unless the shop allows overselling, a
/// manager approves them (the caller, or `approver`, whose PIN was checked).
fn take_payment(
    tx: &mut WriteTx<'_>,
    caller: Caller,
    tenant: &Tenant,
    d: &OrderData,
    mut session: CashSession,
    approver: Option<OperatorId>,
) -> Result<CashSessionId, ShopError> {
    let short = {
        let read: &WriteTx<'_> = tx;
        short_lines(
            d.lines
                .iter()
                .map(|l| (l.product_id, &l.sku, l.quantity.get())),
            |id| match read.known_stock(id) {
                Some(v) => Ok(v),
                None => Ok(store::on_hand(read, id)?.unwrap_or(0)),
            },
        )?
    };
    let oversell_approved_by = if short.is_empty() || tenant.settings.allow_oversell {
        None
    } else if caller.role.approves_oversell() {
        Some(caller.operator)
    } else {
        Some(approver.ok_or(ShopError::StockApprovalRequired {
            short: short.clone(),
        })?)
    };
    let cash: i64 = d
        .payments
        .iter()
        .filter(|p| p.method == PaymentMethod::Cash)
        .map(|p| p.amount)
        .sum();
    if cash > 0 {
        session.record_sale(cash)?;
        store::update_cash_session(tx, &session)?;
    }
    tx.append(OrderPaid {
        order_id: d.id,
        payments: d.payments.clone(),
        cash_session_id: session.id,
        oversold: short
            .iter()
            .map(|s| u32::try_from(s.line).unwrap_or(u32::MAX))
            .collect(),
        oversell_approved_by,
    })?;
    let sold = sold_movements(tx, caller, d);
    move_stock(tx, caller, sold)?;
    Ok(session.id)
}

/// One movement per line of `d`: goods leaving the shelf.
fn sold_movements(tx: &mut WriteTx<'_>, caller: Caller, d: &OrderData) -> Vec<StockMovement> {
    d.lines
        .iter()
        .map(|line| {
            let mut m = movement(
                tx,
                caller,
                line.product_id,
                MovementKind::Sold,
                line.quantity.get().saturating_neg(),
            );
            m.order_id = Some(d.id);
            m
        })
        .collect()
}

/// Gives back the order's latest refund: cash through the open shift's drawer, the
/// event, and the units marked for restock back on the shelf.
fn give_refund(
    tx: &mut WriteTx<'_>,
    caller: Caller,
    d: &OrderData,
    complete: bool,
) -> Result<(), ShopError> {
    let Some(refund) = d.refunds.last().cloned() else {
        return Ok(());
    };
    let mut session_id = None;
    let cash = refund.paid_by(PaymentMethod::Cash);
    if cash > 0 {
        let mut session = open_session(tx, caller)?;
        session.record_refund(cash)?;
        store::update_cash_session(tx, &session)?;
        session_id = Some(session.id);
    }
    let restock: Vec<_> = match &refund.items {
        RefundedItems::Lines(lines) => lines
            .iter()
            .filter(|l| l.restock)
            .filter_map(|l| {
                let line = d.lines.get(usize::try_from(l.line).ok()?)?;
                let mut m = movement(
                    tx,
                    caller,
                    line.product_id,
                    MovementKind::Returned,
                    l.quantity.get(),
                );
                m.order_id = Some(d.id);
                Some(m)
            })
            .collect(),
        // Only old refunds (schema 1) are recorded so; none is made any more.
        RefundedItems::Every { .. } => Vec::new(),
    };
    tx.append(OrderRefunded {
        order_id: d.id,
        refund,
        cash_session_id: session_id,
        complete,
    })?;
    move_stock(tx, caller, restock)?;
    Ok(())
}

impl Shop {
    /// Starts an order (a kiosk basket, a phone order). Stock moves when it is paid.
    pub fn create_order(&self, actor: &Actor, new: NewOrder) -> Result<AnyOrder, ShopError> {
        self.command(actor, Operation::CreateOrder, |tx, caller| {
            if let Some(order) = made_before(tx, caller, &new, None)? {
                return Ok(order);
            }
            let tenant = tenant_of(tx, caller)?;
            let ticket = new.ticket;
            let (pending, approved_by) = build_order(tx, caller, &tenant, new, None)?;
            let order = AnyOrder::Pending(pending);
            store::insert_order(tx, &order, Some(caller.operator), None)?;
            take_ticket(tx, caller, order.data().id, ticket)?;
            tx.vouch(Aggregate::Order, order.data().id.as_uuid());
            tx.append(created_event(order.data(), approved_by, ticket))?;
            Ok(order)
        })
    }

    /// Sells at the counter in one transaction: create → confirm → pay → hand over.
    /// Needs an open cash session; the tenders must add up to the total. A sale
    /// sent again with its [`NewOrder::id`] returns the order made the first time
    /// and records nothing. Selling
    /// more than is in stock, when the shop does not allow it, needs a manager (see
    /// [`Shop::counter_sale_approved`]).
    pub fn counter_sale(
        &self,
        actor: &Actor,
        new: NewOrder,
        tenders: &[Tender],
    ) -> Result<AnyOrder, ShopError> {
        self.counter_sale_approved(actor, new, tenders, None)
    }

    /// [`Shop::counter_sale`], with a manager's PIN given at the till for lines
    /// short of stock: checked like a log-in, and recorded in `OrderPaid` only when
    /// it was needed.
    pub fn counter_sale_approved(
        &self,
        actor: &Actor,
        new: NewOrder,
        tenders: &[Tender],
        approval: Option<(OperatorId, &Pin)>,
    ) -> Result<AnyOrder, ShopError> {
        let approver = self.approver(
            actor,
            approval,
            |r| r.approves_oversell() && r.approves_discounts(),
            "approve at the till",
        )?;
        self.command(actor, Operation::CounterSale, |tx, caller| {
            if let Some(order) = made_before(tx, caller, &new, Some(tenders))? {
                return Ok(order);
            }
            let tenant = tenant_of(tx, caller)?;
            let ticket = new.ticket;
            let (pending, approved_by) = build_order(tx, caller, &tenant, new, approver)?;
            let created = created_event(pending.data(), approved_by, ticket);
            let paid = pending.confirm().pay(tenders)?;
            let order = AnyOrder::Delivered(paid.hand_over());
            let d = order.data();
            let session = open_session(tx, caller)?;
            store::insert_order(tx, &order, Some(caller.operator), Some(session.id))?;
            take_ticket(tx, caller, d.id, ticket)?;
            tx.vouch(Aggregate::Order, d.id.as_uuid());
            // The order row must exist before the events that refer to it.
            tx.append(created)?;
            tx.append(OrderConfirmed { order_id: d.id })?;
            take_payment(tx, caller, &tenant, d, session, approver)?;
            tx.append(OrderDelivered {
                order_id: d.id,
                handed_over: true,
            })?;
            Ok(order)
        })
    }

    fn transition(
        &self,
        actor: &Actor,
        op: Operation,
        id: OrderId,
        action: OrderAction,
    ) -> Result<AnyOrder, ShopError> {
        self.command(actor, op, |tx, caller| {
            let order = store::order(tx, caller.tenant, id)?
                .ok_or(ShopError::NotFound { entity: "order" })?;
            tx.vouch(Aggregate::Order, id.as_uuid());
            let handed_over = action == OrderAction::HandOver;
            let next = order.apply(action)?;
            let d = next.data();
            let mut session = None;
            match next.status() {
                OrderStatus::Confirmed => {
                    tx.append(OrderConfirmed { order_id: id })?;
                }
                OrderStatus::Paid => {
                    let tenant = tenant_of(tx, caller)?;
                    let open = open_session(tx, caller)?;
                    session = Some(take_payment(tx, caller, &tenant, d, open, None)?);
                }
                OrderStatus::Shipped => {
                    tx.append(OrderShipped {
                        order_id: id,
                        tracking: d.tracking.clone(),
                    })?;
                }
                OrderStatus::Delivered => {
                    tx.append(OrderDelivered {
                        order_id: id,
                        handed_over,
                    })?;
                }
                OrderStatus::Cancelled => {
                    tx.append(OrderCancelled {
                        order_id: id,
                        reason: d.cancel_reason.clone(),
                    })?;
                }
                OrderStatus::Refunded => give_refund(tx, caller, d, true)?,
                OrderStatus::PartiallyRefunded => give_refund(tx, caller, d, false)?,
                OrderStatus::Pending => {}
            }
            store::update_order(tx, &next, session, tx.now())?;
            Ok(next)
        })
    }

    /// Pending → Confirmed.
    pub fn confirm_order(&self, actor: &Actor, id: OrderId) -> Result<AnyOrder, ShopError> {
        self.transition(actor, Operation::ConfirmOrder, id, OrderAction::Confirm)
    }

    /// Confirmed → Paid. Needs an open cash session.
    pub fn pay_order(
        &self,
        actor: &Actor,
        id: OrderId,
        tenders: Vec<Tender>,
    ) -> Result<AnyOrder, ShopError> {
        self.transition(actor, Operation::PayOrder, id, OrderAction::Pay(tenders))
    }

    /// Paid → Shipped.
    pub fn ship_order(
        &self,
        actor: &Actor,
        id: OrderId,
        tracking: Option<TrackingNumber>,
    ) -> Result<AnyOrder, ShopError> {
        self.transition(actor, Operation::ShipOrder, id, OrderAction::Ship(tracking))
    }

    /// Shipped → Delivered.
    pub fn deliver_order(&self, actor: &Actor, id: OrderId) -> Result<AnyOrder, ShopError> {
        self.transition(actor, Operation::DeliverOrder, id, OrderAction::Deliver)
    }

    /// Paid → Delivered, at the counter.
    pub fn hand_over_order(&self, actor: &Actor, id: OrderId) -> Result<AnyOrder, ShopError> {
        self.transition(actor, Operation::HandOverOrder, id, OrderAction::HandOver)
    }

    /// Pending/Confirmed → Cancelled.
    pub fn cancel_order(
        &self,
        actor: &Actor,
        id: OrderId,
        reason: Option<Reason>,
    ) -> Result<AnyOrder, ShopError> {
        self.transition(
            actor,
            Operation::CancelOrder,
            id,
            OrderAction::Cancel(reason),
        )
    }

    /// Gives back lines and units of a paid order (see
    /// [`crate::domain::order::plan_refund`]), restocking the ones marked so: the order
    /// is `PartiallyRefunded` until every unit is, then `Refunded`. Cash goes back
    /// through the open shift, whose drawer must hold enough.
    pub fn refund_order(
        &self,
        actor: &Actor,
        id: OrderId,
        req: RefundRequest,
    ) -> Result<AnyOrder, ShopError> {
        self.transition(actor, Operation::RefundOrder, id, OrderAction::Refund(req))
    }

    /// What refunding `req` would give back — per line and per tender — checked
    /// exactly as [`Shop::refund_order`] checks it, without recording anything: the
    /// order screen's confirmation names the money before it moves.
    pub fn preview_refund(
        &self,
        actor: &Actor,
        id: OrderId,
        req: RefundRequest,
    ) -> Result<Refund, ShopError> {
        self.query(actor, Operation::RefundOrder, |c, caller| {
            let order = store::order(c, caller.tenant, id)?
                .ok_or(ShopError::NotFound { entity: "order" })?;
            let next = order.apply(OrderAction::Refund(req))?;
            next.data()
                .refunds
                .last()
                .cloned()
                .ok_or(ShopError::NotFound { entity: "refund" })
        })
    }

    /// Prices a basket exactly as a sale would, without saving anything, and names
    /// the lines short of stock (the till marks them as they are scanned).
    pub fn quote(
        &self,
        actor: &Actor,
        lines: &[NewLine],
        discount: Option<Discount>,
    ) -> Result<Quote, ShopError> {
        self.query(actor, Operation::QuoteOrder, |c, caller| {
            let tenant = self.cached_tenant(c, caller)?;
            let oversell_allowed = tenant.settings.allow_oversell;
            if lines.is_empty() {
                return Ok(Quote {
                    oversell_allowed,
                    ..Quote::default()
                });
            }
            let mut seen = HashMap::with_capacity(lines.len());
            let specs = line_specs(c, caller, &tenant, lines, |id, on_hand| {
                seen.insert(id, on_hand);
            })?;
            let (lines, totals) = price_lines(specs, tenant.settings.tax_mode, discount)?;
            let discount_needs_approval = matches!(
                discount_approval(caller, &tenant, &lines, None),
                Err(ShopError::DiscountApprovalRequired { .. })
            );
            let discount = lines.iter().fold(0i64, |sum, l| {
                sum.saturating_add(l.line_discount)
                    .saturating_add(l.order_discount)
            });
            let short = short_lines(
                lines
                    .iter()
                    .map(|l| (l.product_id, &l.sku, l.quantity.get())),
                |id| Ok(seen.get(&id).copied().unwrap_or(0)),
            )?;
            Ok(Quote {
                lines,
                totals,
                short,
                oversell_allowed,
                discount,
                discount_needs_approval,
            })
        })
    }

    /// The transitions `order` has in its state that the caller's current role may
    /// perform: what a UI may offer, decided here rather than in the UI.
    pub fn order_actions(
        &self,
        actor: &Actor,
        order: &AnyOrder,
    ) -> Result<Vec<OrderActionKind>, ShopError> {
        self.query(actor, Operation::ViewOrders, |_, caller| {
            Ok(OrderActionKind::ALL
                .into_iter()
                .filter(|a| {
                    a.applies_to(order.status()) && caller.role.allows(a.operation().permission())
                })
                .collect())
        })
    }

    /// An order by id.
    pub fn order(&self, actor: &Actor, id: OrderId) -> Result<AnyOrder, ShopError> {
        self.query(actor, Operation::ViewOrders, |c, caller| {
            store::order(c, caller.tenant, id)?.ok_or(ShopError::NotFound { entity: "order" })
        })
    }

    /// A page of orders, newest first. The index finds them (by number, serial,
    /// status, day); each is read from SQLite. Without an index SQLite answers alone.
    /// With a number, it matches a whole number, a serial (`42` finds `ABCD-000042`)
    /// or the start of a number.
    pub fn orders(&self, actor: &Actor, q: &OrderQuery) -> Result<Vec<AnyOrder>, ShopError> {
        let ids = self.ask_index(|i| i.orders(q));
        self.query(actor, Operation::ViewOrders, |c, caller| {
            let Some(ids) = ids else {
                return Ok(store::orders(c, caller.tenant, q)?);
            };
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                if let Some(o) = store::order(c, caller.tenant, id)? {
                    out.push(o);
                }
            }
            Ok(out)
        })
    }

    /// An order's history: its events in order.
    pub fn order_history(&self, actor: &Actor, id: OrderId) -> Result<Vec<Envelope>, ShopError> {
        self.query(actor, Operation::ViewOrders, |c, caller| {
            store::order(c, caller.tenant, id)?.ok_or(ShopError::NotFound { entity: "order" })?;
            Ok(store::order_events(c, id)?)
        })
    }
}

//! Orders: list, detail with history and allowed actions, transitions.

use super::{actor, tenant};
use crate::dto::{self, OrderDto, PaymentInput, RefundDto};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use rustok_core::domain::error::Errors;
use rustok_core::domain::order::{OrderActionKind, OrderStatus, TrackingNumber};
use rustok_core::domain::payment::{PaymentMethod, RefundLineRequest, RefundRequest};
use rustok_core::domain::stock::Quantity;
use rustok_core::domain::text::Reason;
use rustok_core::store::OrderQuery;
use serde::Deserialize;
use tauri::State;

/// Orders, newest first, filtered by number, status and day (`YYYY-MM-DD`).
#[tauri::command(async)]
pub(crate) fn list_orders(
    state: State<'_, AppState>,
    number: Option<String>,
    status: Option<String>,
    day: Option<String>,
) -> ApiResult<Vec<OrderDto>> {
    let a = actor(&state)?;
    let status = dto::optional(status, OrderStatus::parse)?;
    let q = OrderQuery {
        status,
        day: day.filter(|d| !d.is_empty()),
        number: number.filter(|n| !n.trim().is_empty()),
        limit: 200,
        offset: 0,
    };
    Ok(state
        .shop
        .orders(&a, &q)?
        .iter()
        .map(|o| OrderDto::new(o, Vec::new(), &[]))
        .collect())
}

/// One order with its history and the actions the operator may take.
#[tauri::command(async)]
pub(crate) fn get_order(state: State<'_, AppState>, id: String) -> ApiResult<OrderDto> {
    let a = actor(&state)?;
    let id = dto::order_id(&id)?;
    let o = state.shop.order(&a, id)?;
    let actions = state.shop.order_actions(&a, &o)?;
    let history = state.shop.order_history(&a, id)?;
    Ok(OrderDto::new(&o, actions, &history))
}

/// A transition request from the order screen.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OrderActionInput {
    /// Which transition.
    pub(crate) action: OrderActionKind,
    /// Tracking number (ship).
    pub(crate) tracking: Option<String>,
    /// Reason (cancel, refund).
    pub(crate) reason: Option<String>,
    /// Payments (pay).
    #[serde(default)]
    pub(crate) payments: Vec<PaymentInput>,
    /// Lines and units to give back (refund); empty gives back everything left.
    #[serde(default)]
    pub(crate) refund_lines: Vec<RefundLineInput>,
    /// The tender to give back to first: `cash`, `card` or `other` (refund; empty:
    /// card, then other, then cash).
    pub(crate) refund_to: Option<String>,
    /// Whether the goods go back into stock (refund of everything left).
    #[serde(default)]
    pub(crate) restock: bool,
}

/// One line of a refund as the order screen sends it.
#[derive(Debug, Deserialize)]
pub(crate) struct RefundLineInput {
    /// Position of the line in the order.
    pub(crate) line: usize,
    /// Units to give back.
    pub(crate) quantity: i64,
    /// Whether they go back on the shelf.
    #[serde(default)]
    pub(crate) restock: bool,
}

/// Performs a transition; returns the order as it is now.
#[tauri::command(async)]
pub(crate) fn order_action(
    state: State<'_, AppState>,
    id: String,
    input: OrderActionInput,
) -> ApiResult<OrderDto> {
    let a = actor(&state)?;
    let id = dto::order_id(&id)?;
    let shop = &state.shop;
    match input.action {
        OrderActionKind::Confirm => shop.confirm_order(&a, id)?,
        OrderActionKind::Pay => {
            let (currency, _) = dto::shop_format(&tenant(&state, &a)?);
            shop.pay_order(&a, id, dto::parse_tenders(&input.payments, currency)?)?
        }
        OrderActionKind::Ship => shop.ship_order(
            &a,
            id,
            dto::optional(input.tracking, TrackingNumber::parse)?,
        )?,
        OrderActionKind::Deliver => shop.deliver_order(&a, id)?,
        OrderActionKind::HandOver => shop.hand_over_order(&a, id)?,
        OrderActionKind::Cancel => {
            shop.cancel_order(&a, id, dto::optional(input.reason, Reason::parse)?)?
        }
        OrderActionKind::Refund => shop.refund_order(&a, id, refund_request(input)?)?,
    };
    get_order(state, id.to_string())
}

/// What a refund would give back, per line and tender, checked like the refund
/// itself and recording nothing: the screen asks the operator to confirm it.
#[tauri::command(async)]
pub(crate) fn preview_refund(
    state: State<'_, AppState>,
    id: String,
    input: OrderActionInput,
) -> ApiResult<RefundDto> {
    let a = actor(&state)?;
    let id = dto::order_id(&id)?;
    let refund = state.shop.preview_refund(&a, id, refund_request(input)?)?;
    Ok(RefundDto::from(&refund))
}

/// The refund the order screen asks for, every bad field named at once.
fn refund_request(input: OrderActionInput) -> Result<RefundRequest, ApiError> {
    let mut e = Errors::new();
    let mut lines = Vec::with_capacity(input.refund_lines.len());
    for (i, l) in input.refund_lines.iter().enumerate() {
        if let Some(quantity) = e.take(&format!("lines[{i}].quantity"), Quantity::new(l.quantity)) {
            lines.push(RefundLineRequest {
                line: l.line,
                quantity,
                restock: l.restock,
            });
        }
    }
    let blank = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    let to = blank(input.refund_to).and_then(|s| e.take("to", PaymentMethod::parse(&s)));
    let reason = blank(input.reason).and_then(|s| e.take("reason", Reason::parse(&s)));
    dto::finish(e)?;
    Ok(RefundRequest {
        lines,
        restock: input.restock,
        to,
        reason,
    })
}

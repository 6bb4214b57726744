//! Orders: list, detail with history and allowed actions, transitions.

use super::{actor, tenant};
use crate::dto::{self, OrderDto, PaymentInput};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use rustok_core::domain::money::Money;
use rustok_core::domain::order::{OrderActionKind, OrderStatus, TrackingNumber};
use rustok_core::domain::payment::{PaymentMethod, RefundRequest};
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
    /// Amount to refund as decimal text; empty refunds everything paid.
    pub(crate) refund_amount: Option<String>,
    /// `cash`, `card` or `other` (refund).
    pub(crate) refund_method: Option<String>,
    /// Whether the goods go back into stock (refund).
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
        OrderActionKind::Refund => {
            let (currency, _) = dto::shop_format(&tenant(&state, &a)?);
            let amount = dto::optional(input.refund_amount, |s| Money::parse_decimal(s, currency))?
                .map(|m| m.minor);
            let method = PaymentMethod::parse(input.refund_method.as_deref().unwrap_or("cash"))
                .map_err(ApiError::from)?;
            let reason = dto::optional(input.reason, Reason::parse)?;
            shop.refund_order(
                &a,
                id,
                RefundRequest {
                    amount,
                    method,
                    restock: input.restock,
                    reason,
                },
            )?
        }
    };
    get_order(state, id.to_string())
}

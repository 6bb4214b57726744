//! Orders: line pricing, totals, and the lifecycle as a typestate machine.
//!
//! ```text
//! Pending ──confirm──▶ Confirmed ──pay──▶ Paid ──ship──▶ Shipped ──deliver──▶ Delivered
//!    │                    │                 │                                   ▲
//!    └──cancel──▶ Cancelled ◀──cancel──┘     └───────────hand over (counter sale)┘
//! Paid / Shipped / Delivered ──refund lines──▶ PartiallyRefunded ──refund the rest──▶ Refunded
//! ```
//!
//! A refund names lines and units ([`RefundRequest`]); it is `Refunded` once every
//! unit of every line is, `PartiallyRefunded` before. A partially refunded order
//! takes further refunds only (it is not shipped or delivered any more).
//!
//! `Order<S>` only has the transitions of state `S`, so an illegal one does not compile:
//!
//! ```compile_fail
//! use rustok_domain::order::{Order, Paid};
//! fn cancel_paid(order: Order<Paid>) {
//!     let _ = order.cancel(None); // a paid order has no `cancel`
//! }
//! ```
//!
//! At the storage boundary the state is the [`OrderStatus`] enum and a loaded order is
//! an [`AnyOrder`], whose [`AnyOrder::apply`] returns `InvalidTransition` for an action
//! the current state lacks.

use crate::clock::Timestamp;
use crate::device::DeviceCode;
use crate::error::Errors;
use crate::ids::{OrderId, ProductId, TenantId};
use crate::locale::Localized;
use crate::money::{div_round_half_away, Currency};
use crate::payment::{
    self, Payment, PaymentMethod, Refund, RefundPayment, RefundRequest, RefundedItems,
    RefundedLine, Tender,
};
use crate::product::{ProductTitle, Sku, TaxRate};
use crate::stock::Quantity;
use crate::tenant::TaxMode;
use crate::text::{bounded_text, Note, Reason};
use crate::{DomainError, FieldError};
use serde::{Deserialize, Serialize};
use std::marker::PhantomData;

/// Most lines in one order.
pub const MAX_LINES: usize = 500;

/// `{device-code}-{000001}`: unique per device, and so across devices.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OrderNumber(String);

crate::text::text_newtype!(OrderNumber);

impl OrderNumber {
    /// The `n`th order of a device.
    pub fn new(device: &DeviceCode, n: u64) -> Self {
        Self(format!("{device}-{n:06}"))
    }

    /// The serial after the device code (`42` for `POS1-000042`), if it fits a `u64`.
    pub fn serial(&self) -> Option<u64> {
        self.0.rsplit_once('-')?.1.parse().ok()
    }

    /// Parses `CODE-000123`.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let bad = || {
            FieldError::new(
                "number",
                "invalid_order_number",
                "must look like POS1-000123",
            )
        };
        let s = raw.trim().to_ascii_uppercase();
        let (code, n) = s.rsplit_once('-').ok_or_else(bad)?;
        DeviceCode::parse(code).map_err(|_| bad())?;
        if n.len() < 6 || !n.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        Ok(Self(s))
    }
}

bounded_text!(
    /// A customer's name, 1–100 characters.
    CustomerName, "customer.name", 1, 100
);
bounded_text!(
    /// A customer's phone or e-mail, 1–200 characters.
    CustomerContact, "customer.contact", 1, 200
);
bounded_text!(
    /// A carrier's tracking number, 1–100 characters.
    TrackingNumber, "tracking", 1, 100
);

/// Who the order is for (optional on counter sales).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    /// Name.
    pub name: CustomerName,
    /// Phone or e-mail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<CustomerContact>,
}

/// Net, tax and gross of a line or an order, in minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Amounts {
    /// Before tax.
    pub net: i64,
    /// Tax.
    pub tax: i64,
    /// After tax (what the customer pays).
    pub gross: i64,
}

fn overflow(field: &str) -> FieldError {
    FieldError::new(field, "overflow", "amount is too large")
}

/// Prices one line. The tax is rounded once per line, half away from zero; for
/// tax-inclusive prices it is extracted from the gross, otherwise added to the net.
pub fn price_line(
    unit_price: i64,
    qty: Quantity,
    rate: TaxRate,
    mode: TaxMode,
) -> Result<Amounts, FieldError> {
    price_base(line_base(unit_price, qty)?, rate, mode)
}

/// `unit_price × quantity`: what a line costs before any discount (gross where
/// prices include tax, net where tax is added).
fn line_base(unit_price: i64, qty: Quantity) -> Result<i128, FieldError> {
    i128::from(unit_price)
        .checked_mul(i128::from(qty.get()))
        .ok_or_else(|| overflow("price"))
}

/// A discount as the cashier gives it: a percentage (in basis points, 1000 = 10 %)
/// or an amount in minor units. On a line it comes off `unit_price × quantity`; on
/// the order it comes off the lines after their own discounts, shared between them
/// in proportion. Tax is always on the discounted amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Discount {
    /// Basis points of the amount, 0 to 10 000.
    Percent(u32),
    /// Minor units, 0 or more.
    Amount(i64),
}

impl Discount {
    /// A percentage as a person types it (`10`, `12.5`, `12,5`, with or without
    /// `%`): 0 to 100 with at most two decimals.
    pub fn parse_percent(raw: &str) -> Result<Discount, FieldError> {
        let bad = || {
            FieldError::new(
                "discount",
                "invalid_percent",
                "must be a percentage from 0 to 100, such as 10 or 12.5",
            )
        };
        let t = raw.trim().trim_end_matches('%').trim().replace(',', ".");
        let (whole, frac) = t.split_once('.').unwrap_or((&t, ""));
        let digits = |s: &str, max: usize| s.len() <= max && s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !digits(whole, 3) || !digits(frac, 2) {
            return Err(bad());
        }
        let whole: u32 = whole.parse().map_err(|_| bad())?;
        let frac: u32 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
        let bp = whole
            .checked_mul(100)
            .and_then(|w| w.checked_add(frac))
            .ok_or_else(bad)?;
        if bp > 10_000 {
            return Err(bad());
        }
        Ok(Discount::Percent(bp))
    }

    /// What comes off `base`; more than `base` is refused (`too_large`).
    fn off(self, base: i128, field: &str) -> Result<i128, FieldError> {
        let off = match self {
            Discount::Percent(bp) if bp > 10_000 => {
                return Err(FieldError::new(
                    field,
                    "out_of_range",
                    "a percentage is 0 to 100",
                ))
            }
            Discount::Percent(bp) => base
                .checked_mul(i128::from(bp))
                .and_then(|v| div_round_half_away(v, 10_000))
                .ok_or_else(|| overflow(field))?,
            Discount::Amount(a) if a < 0 => {
                return Err(FieldError::new(field, "negative", "must not be negative"))
            }
            Discount::Amount(a) => i128::from(a),
        };
        if off > base {
            return Err(FieldError::new(
                field,
                "too_large",
                "a discount cannot be more than the amount",
            ));
        }
        Ok(off)
    }
}

/// A line of a parked cart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParkedLine {
    /// Product.
    pub product_id: ProductId,
    /// Units.
    pub quantity: Quantity,
    /// The line's discount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount: Option<Discount>,
}

/// A cart put aside at the till: products, units and discounts, no prices (they are
/// taken when it is taken up again).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParkedBasket {
    /// Lines, in the cart's order.
    pub lines: Vec<ParkedLine>,
    /// The discount on the whole sale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount: Option<Discount>,
}

impl ParkedBasket {
    /// 1 to [`MAX_LINES`] lines; percentages up to 100, amounts not negative.
    pub fn validate(&self) -> Result<(), DomainError> {
        let mut e = Errors::new();
        e.check(
            self.lines.is_empty() || self.lines.len() > MAX_LINES,
            "lines",
            "required",
            "a parked sale has 1 to 500 lines",
        );
        let discounts = self
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| (format!("lines[{i}].discount"), l.discount))
            .chain([("discount".to_owned(), self.discount)]);
        for (field, d) in discounts {
            e.check(
                matches!(d, Some(Discount::Percent(bp)) if bp > 10_000)
                    || matches!(d, Some(Discount::Amount(a)) if a < 0 || !crate::money::in_range(a)),
                &field,
                "out_of_range",
                "a percentage is 0 to 100, an amount 0 or more",
            );
        }
        e.finish()
    }
}

/// Prices a discounted base amount (see [`price_line`]).
fn price_base(base: i128, rate: TaxRate, mode: TaxMode) -> Result<Amounts, FieldError> {
    let of = || overflow("price");
    let bp = i128::from(rate.basis_points());
    let taxed = base.checked_mul(bp).ok_or_else(of)?;
    let (net, tax, gross) = match mode {
        TaxMode::Inclusive => {
            let den = bp.checked_add(10_000).ok_or_else(of)?;
            let tax = div_round_half_away(taxed, den).ok_or_else(of)?;
            (base.checked_sub(tax).ok_or_else(of)?, tax, base)
        }
        TaxMode::Exclusive => {
            let tax = div_round_half_away(taxed, 10_000).ok_or_else(of)?;
            (base, tax, base.checked_add(tax).ok_or_else(of)?)
        }
    };
    let fit = |v: i128| i64::try_from(v).map_err(|_| overflow("price"));
    Ok(Amounts {
        net: fit(net)?,
        tax: fit(tax)?,
        gross: fit(gross)?,
    })
}

/// A line with a snapshot of the product as sold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    /// Product sold.
    pub product_id: ProductId,
    /// SKU at the time of sale.
    pub sku: Sku,
    /// Title at the time of sale, in the shop's default locale.
    pub title: ProductTitle,
    /// Titles at the time of sale in every locale the product had (a receipt in the
    /// UI's language); absent on lines sold before they were kept.
    #[serde(default, skip_serializing_if = "Localized::is_empty")]
    pub titles: Localized<ProductTitle>,
    /// Unit price at the time of sale.
    pub unit_price: i64,
    /// Tax rate at the time of sale.
    pub tax_rate: TaxRate,
    /// Units.
    pub quantity: Quantity,
    /// The discount this line was given, as given (shown on the receipt).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount: Option<Discount>,
    /// Minor units taken off by the line's own discount.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub line_discount: i64,
    /// Minor units taken off as this line's share of the order's discount.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub order_discount: i64,
    /// Priced amounts, after the discounts.
    #[serde(flatten)]
    pub amounts: Amounts,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's signature
fn is_zero(v: &i64) -> bool {
    *v == 0
}

/// A product snapshot and a quantity, before pricing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineSpec {
    /// Product.
    pub product_id: ProductId,
    /// SKU.
    pub sku: Sku,
    /// Title.
    pub title: ProductTitle,
    /// Titles in every locale.
    pub titles: Localized<ProductTitle>,
    /// Unit price.
    pub unit_price: i64,
    /// Tax rate.
    pub tax_rate: TaxRate,
    /// Units.
    pub quantity: Quantity,
    /// The line's discount.
    pub discount: Option<Discount>,
}

/// Prices every line and adds them up, so that the order total is by construction
/// the sum of its lines. Each line's discount comes off its amount; then the order's
/// discount comes off what is left, shared between the lines in proportion (the
/// shares are differences of rounded-down running sums, so they add up to it
/// exactly and none is more than its line); tax is on what remains.
pub fn price_lines(
    specs: Vec<LineSpec>,
    mode: TaxMode,
    order_discount: Option<Discount>,
) -> Result<(Vec<OrderLine>, Amounts), DomainError> {
    let mut e = Errors::new();
    e.check(
        specs.is_empty(),
        "lines",
        "required",
        "an order needs at least one line",
    );
    e.check(
        specs.len() > MAX_LINES,
        "lines",
        "too_many",
        "at most 500 lines",
    );
    e.finish()?;
    // Each line's amount after its own discount.
    let mut after = Vec::with_capacity(specs.len());
    for (i, s) in specs.iter().enumerate() {
        let field = format!("lines[{i}]");
        if s.unit_price < 0 {
            return Err(FieldError::new(
                format!("{field}.unit_price"),
                "negative",
                "must not be negative",
            )
            .into());
        }
        let base = line_base(s.unit_price, s.quantity).map_err(|e| e.at(&field))?;
        let off = match s.discount {
            Some(d) => d.off(base, &format!("{field}.discount"))?,
            None => 0,
        };
        after.push((off, base.checked_sub(off).ok_or_else(|| overflow(&field))?));
    }
    let left: i128 = after
        .iter()
        .try_fold(0i128, |sum, (_, a)| sum.checked_add(*a))
        .ok_or_else(|| overflow("total"))?;
    let whole = match order_discount {
        Some(d) => d.off(left, "discount")?,
        None => 0,
    };
    let fit = |v: i128, field: &str| i64::try_from(v).map_err(|_| overflow(field));
    let mut total = Amounts::default();
    let mut lines = Vec::with_capacity(specs.len());
    let (mut running, mut given) = (0i128, 0i128);
    for (i, (s, (line_off, line_after))) in specs.into_iter().zip(after).enumerate() {
        let field = format!("lines[{i}]");
        running = running
            .checked_add(line_after)
            .ok_or_else(|| overflow(&field))?;
        let upto = if left == 0 {
            0
        } else {
            whole
                .checked_mul(running)
                .and_then(|v| v.checked_div(left))
                .ok_or_else(|| overflow(&field))?
        };
        let share = upto.checked_sub(given).ok_or_else(|| overflow(&field))?;
        given = upto;
        let amounts = price_base(
            line_after
                .checked_sub(share)
                .ok_or_else(|| overflow(&field))?,
            s.tax_rate,
            mode,
        )
        .map_err(|e| e.at(&field))?;
        let add = |a: i64, b: i64| a.checked_add(b).ok_or_else(|| overflow("total"));
        total = Amounts {
            net: add(total.net, amounts.net)?,
            tax: add(total.tax, amounts.tax)?,
            gross: add(total.gross, amounts.gross)?,
        };
        lines.push(OrderLine {
            product_id: s.product_id,
            sku: s.sku,
            title: s.title,
            titles: s.titles,
            unit_price: s.unit_price,
            tax_rate: s.tax_rate,
            quantity: s.quantity,
            discount: s.discount,
            line_discount: fit(line_off, &field)?,
            order_discount: fit(share, &field)?,
            amounts,
        });
    }
    Ok((lines, total))
}

/// Status of an order, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Created, not yet confirmed.
    Pending,
    /// Confirmed, awaiting payment.
    Confirmed,
    /// Paid.
    Paid,
    /// Handed to a carrier.
    Shipped,
    /// With the customer.
    Delivered,
    /// Cancelled before payment.
    Cancelled,
    /// Some lines or units given back.
    PartiallyRefunded,
    /// Everything given back.
    Refunded,
}

impl OrderStatus {
    /// Every status.
    pub const ALL: [OrderStatus; 8] = [
        OrderStatus::Pending,
        OrderStatus::Confirmed,
        OrderStatus::Paid,
        OrderStatus::Shipped,
        OrderStatus::Delivered,
        OrderStatus::Cancelled,
        OrderStatus::PartiallyRefunded,
        OrderStatus::Refunded,
    ];

    /// Stable name.
    pub const fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Confirmed => "confirmed",
            OrderStatus::Paid => "paid",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::PartiallyRefunded => "partially_refunded",
            OrderStatus::Refunded => "refunded",
        }
    }

    /// Inverse of [`OrderStatus::as_str`].
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        OrderStatus::ALL
            .into_iter()
            .find(|st| st.as_str() == s.trim())
            .ok_or_else(|| FieldError::new("status", "invalid_status", "unknown order status"))
    }
}

/// Everything an order holds, whatever its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderData {
    /// Id.
    pub id: OrderId,
    /// Shop.
    pub tenant_id: TenantId,
    /// Per-device number.
    pub number: OrderNumber,
    /// Currency of every amount.
    pub currency: Currency,
    /// Tax mode the lines were priced with.
    pub tax_mode: TaxMode,
    /// Lines.
    pub lines: Vec<OrderLine>,
    /// Sum of the lines.
    pub totals: Amounts,
    /// Customer.
    pub customer: Option<Customer>,
    /// Notes.
    pub notes: Option<Note>,
    /// Payments (set by `pay`).
    pub payments: Vec<Payment>,
    /// Tracking number (set by `ship`).
    pub tracking: Option<TrackingNumber>,
    /// Cancellation reason.
    pub cancel_reason: Option<Reason>,
    /// Refunds, oldest first (added by `refund`).
    pub refunds: Vec<Refund>,
    /// When it was created.
    pub created_at: Timestamp,
}

/// State markers.
macro_rules! states {
    ($($name:ident),*) => {$(
        /// Typestate marker.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $name;
    )*};
}
states!(
    Pending,
    Confirmed,
    Paid,
    Shipped,
    Delivered,
    Cancelled,
    PartiallyRefunded,
    Refunded
);

/// An order in state `S`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order<S> {
    data: OrderData,
    state: PhantomData<S>,
}

impl<S> Order<S> {
    fn into_state<T>(self) -> Order<T> {
        Order {
            data: self.data,
            state: PhantomData,
        }
    }

    /// The order's data.
    pub fn data(&self) -> &OrderData {
        &self.data
    }
}

impl Order<Pending> {
    /// A new order. Lines must already be priced (see [`price_lines`]).
    pub fn new(data: OrderData) -> Result<Self, DomainError> {
        if data.lines.is_empty() {
            return Err(
                FieldError::new("lines", "required", "an order needs at least one line").into(),
            );
        }
        Ok(Order {
            data,
            state: PhantomData,
        })
    }

    /// Confirms the order.
    pub fn confirm(self) -> Order<Confirmed> {
        self.into_state()
    }
}

impl Order<Confirmed> {
    /// Takes payment; the tenders must add up to the total exactly.
    pub fn pay(mut self, tenders: &[Tender]) -> Result<Order<Paid>, DomainError> {
        self.data.payments = payment::settle(self.data.totals.gross, tenders)?;
        Ok(self.into_state())
    }
}

/// States from which an order can be cancelled (nothing has been paid yet).
pub trait Cancellable {}
impl Cancellable for Pending {}
impl Cancellable for Confirmed {}

impl<S: Cancellable> Order<S> {
    /// Cancels the order.
    pub fn cancel(mut self, reason: Option<Reason>) -> Order<Cancelled> {
        self.data.cancel_reason = reason;
        self.into_state()
    }
}

impl Order<Paid> {
    /// Hands the order to a carrier.
    pub fn ship(mut self, tracking: Option<TrackingNumber>) -> Order<Shipped> {
        self.data.tracking = tracking;
        self.into_state()
    }

    /// Hands the order over at the counter.
    pub fn hand_over(self) -> Order<Delivered> {
        self.into_state()
    }
}

impl Order<Shipped> {
    /// Marks the order delivered.
    pub fn deliver(self) -> Order<Delivered> {
        self.into_state()
    }
}

/// States from which money can be given back.
pub trait Refundable {}
impl Refundable for Paid {}
impl Refundable for Shipped {}
impl Refundable for Delivered {}
impl Refundable for PartiallyRefunded {}

/// Where a refund leaves an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundOutcome {
    /// Something is left to refund.
    Partial(Order<PartiallyRefunded>),
    /// Every unit of every line is refunded.
    Full(Order<Refunded>),
}

impl<S: Refundable> Order<S> {
    /// Gives back the lines and units asked for (see [`plan_refund`]).
    pub fn refund(mut self, req: RefundRequest) -> Result<RefundOutcome, DomainError> {
        let (refund, complete) = plan_refund(&self.data, req)?;
        self.data.refunds.push(refund);
        Ok(if complete {
            RefundOutcome::Full(self.into_state())
        } else {
            RefundOutcome::Partial(self.into_state())
        })
    }
}

/// Units of each line refunded so far.
pub fn refunded_units(d: &OrderData) -> Vec<i64> {
    let mut units = vec![0i64; d.lines.len()];
    for r in &d.refunds {
        match &r.items {
            RefundedItems::Every { .. } => {
                for (u, l) in units.iter_mut().zip(&d.lines) {
                    *u = l.quantity.get();
                }
            }
            RefundedItems::Lines(lines) => {
                for rl in lines {
                    if let Some(u) = usize::try_from(rl.line).ok().and_then(|i| units.get_mut(i)) {
                        *u = u.saturating_add(rl.quantity.get());
                    }
                }
            }
        }
    }
    units
}

/// Money given back so far through `method`.
pub fn refunded_by(d: &OrderData, method: PaymentMethod) -> i64 {
    d.refunds
        .iter()
        .fold(0i64, |sum, r| sum.saturating_add(r.paid_by(method)))
}

/// The share of `whole` that `units` of `of` units carry, rounded half away from
/// zero. A refund from `k0` to `k1` refunded units gives back
/// `share(k1) - share(k0)`, so the refunds of a line always add up to the line.
fn share(whole: i64, units: i64, of: i64) -> Option<i64> {
    let v = div_round_half_away(
        i128::from(whole).checked_mul(i128::from(units))?,
        i128::from(of),
    )?;
    i64::try_from(v).ok()
}

/// Checks `req` against what `d` has left to refund and prices it: per line the
/// units' share of the line's gross and tax, so that refunding every unit gives back
/// exactly what was paid; the money goes back to the tenders it came from (the one
/// asked for first, then card, other, cash), never more per tender than was paid
/// through it. Returns the refund and whether it completes the order's refunds.
pub fn plan_refund(d: &OrderData, req: RefundRequest) -> Result<(Refund, bool), DomainError> {
    let before = refunded_units(d);
    let asked: Vec<payment::RefundLineRequest> = if req.lines.is_empty() {
        d.lines
            .iter()
            .zip(&before)
            .enumerate()
            .filter_map(|(line, (l, &done))| {
                let left = l.quantity.get().saturating_sub(done);
                Some(payment::RefundLineRequest {
                    line,
                    quantity: crate::stock::Quantity::new(left).ok()?,
                    restock: req.restock,
                })
            })
            .collect()
    } else {
        req.lines
    };
    let mut e = Errors::new();
    e.check(
        asked.is_empty(),
        "lines",
        "nothing_left",
        "everything has already been refunded",
    );
    e.check(
        asked.len() > MAX_LINES,
        "lines",
        "too_many",
        "at most 500 lines",
    );
    e.finish()?;
    let mut e = Errors::new();
    let mut after = before.clone();
    let mut lines = Vec::with_capacity(asked.len());
    for (i, a) in asked.iter().enumerate() {
        let field = format!("lines[{i}]");
        let Some(line) = d.lines.get(a.line) else {
            e.push(FieldError::new(
                format!("{field}.line"),
                "not_found",
                "the order has no such line",
            ));
            continue;
        };
        let (k0, n) = (after[a.line], line.quantity.get());
        let left = n.saturating_sub(k0);
        if a.quantity.get() > left {
            e.push(
                FieldError::new(
                    format!("{field}.quantity"),
                    "too_many_units",
                    format!("at most {left} of {} left to refund", line.sku),
                )
                .with_param("left", left)
                .with_param("sku", line.sku.as_str()),
            );
            continue;
        }
        let k1 = k0.saturating_add(a.quantity.get());
        after[a.line] = k1;
        let gross = line.amounts.gross;
        let tax = line.amounts.tax;
        let part = |whole| {
            share(whole, k1, n)
                .zip(share(whole, k0, n))
                .map(|(x, y)| x.saturating_sub(y))
                .ok_or_else(|| overflow(&field))
        };
        match (part(gross), part(tax)) {
            (Ok(amount), Ok(tax)) => lines.push(RefundedLine {
                line: u32::try_from(a.line).unwrap_or(u32::MAX),
                quantity: a.quantity,
                amount,
                tax,
                restock: a.restock,
            }),
            (Err(x), _) | (_, Err(x)) => e.push(x),
        }
    }
    e.finish()?;
    let amount = lines
        .iter()
        .try_fold(0i64, |sum, l| sum.checked_add(l.amount))
        .ok_or_else(|| overflow("lines"))?;
    let payments = allocate(d, amount, req.to)?;
    let complete = d
        .lines
        .iter()
        .zip(&after)
        .all(|(l, &k)| k >= l.quantity.get());
    Ok((
        Refund {
            items: RefundedItems::Lines(lines),
            payments,
            amount,
            reason: req.reason,
        },
        complete,
    ))
}

/// Splits `amount` over the tenders of `d` that still hold money to give back:
/// `first` (when asked), then card, other, cash.
fn allocate(
    d: &OrderData,
    amount: i64,
    first: Option<PaymentMethod>,
) -> Result<Vec<RefundPayment>, DomainError> {
    let paid_by = |m: PaymentMethod| {
        d.payments
            .iter()
            .filter(|p| p.method == m)
            .fold(0i64, |sum, p| sum.saturating_add(p.amount))
    };
    if let Some(m) = first {
        if paid_by(m) == 0 {
            return Err(FieldError::new(
                "to",
                "not_paid_that_way",
                format!("nothing was paid by {}", m.as_str()),
            )
            .with_param("method", m.as_str())
            .into());
        }
    }
    let order = [
        PaymentMethod::Card,
        PaymentMethod::Other,
        PaymentMethod::Cash,
    ];
    let mut left = amount;
    let mut out = Vec::new();
    for m in first
        .into_iter()
        .chain(order.into_iter().filter(|m| Some(*m) != first))
    {
        if left == 0 {
            break;
        }
        let room = paid_by(m).saturating_sub(refunded_by(d, m)).max(0);
        let take = room.min(left);
        if take > 0 {
            out.push(RefundPayment {
                method: m,
                amount: take,
            });
            left = left.saturating_sub(take);
        }
    }
    if left > 0 {
        let paid = d
            .payments
            .iter()
            .fold(0i64, |sum, p| sum.saturating_add(p.amount));
        return Err(FieldError::new(
            "lines",
            "exceeds_paid",
            "the refund is more than is left of what was paid",
        )
        .with_param("paid", paid)
        .into());
    }
    Ok(out)
}

/// A requested transition, for orders loaded from storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderAction {
    /// Pending → Confirmed.
    Confirm,
    /// Confirmed → Paid.
    Pay(Vec<Tender>),
    /// Paid → Shipped.
    Ship(Option<TrackingNumber>),
    /// Shipped → Delivered.
    Deliver,
    /// Paid → Delivered.
    HandOver,
    /// Pending/Confirmed → Cancelled.
    Cancel(Option<Reason>),
    /// Paid/Shipped/Delivered/PartiallyRefunded → PartiallyRefunded or Refunded.
    Refund(RefundRequest),
}

impl OrderAction {
    /// Stable name.
    pub const fn name(&self) -> &'static str {
        match self {
            OrderAction::Confirm => "confirm",
            OrderAction::Pay(_) => "pay",
            OrderAction::Ship(_) => "ship",
            OrderAction::Deliver => "deliver",
            OrderAction::HandOver => "hand over",
            OrderAction::Cancel(_) => "cancel",
            OrderAction::Refund(_) => "refund",
        }
    }
}

/// The kinds of [`OrderAction`], without their data: what a UI may offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderActionKind {
    /// Pending → Confirmed.
    Confirm,
    /// Confirmed → Paid.
    Pay,
    /// Paid → Shipped.
    Ship,
    /// Shipped → Delivered.
    Deliver,
    /// Paid → Delivered.
    HandOver,
    /// Pending/Confirmed → Cancelled.
    Cancel,
    /// Paid/Shipped/Delivered/PartiallyRefunded → PartiallyRefunded or Refunded.
    Refund,
}

impl OrderActionKind {
    /// Every kind.
    pub const ALL: [OrderActionKind; 7] = [
        OrderActionKind::Confirm,
        OrderActionKind::Pay,
        OrderActionKind::Ship,
        OrderActionKind::Deliver,
        OrderActionKind::HandOver,
        OrderActionKind::Cancel,
        OrderActionKind::Refund,
    ];

    /// Whether an order in `status` has this transition.
    pub fn applies_to(self, status: OrderStatus) -> bool {
        use OrderActionKind as K;
        use OrderStatus as S;
        matches!(
            (self, status),
            (K::Confirm, S::Pending)
                | (K::Cancel, S::Pending | S::Confirmed)
                | (K::Pay, S::Confirmed)
                | (K::Ship | K::HandOver, S::Paid)
                | (K::Deliver, S::Shipped)
                | (
                    K::Refund,
                    S::Paid | S::Shipped | S::Delivered | S::PartiallyRefunded
                )
        )
    }

    /// The service operation that performs it.
    pub fn operation(self) -> crate::permission::Operation {
        use crate::permission::Operation as O;
        match self {
            OrderActionKind::Confirm => O::ConfirmOrder,
            OrderActionKind::Pay => O::PayOrder,
            OrderActionKind::Ship => O::ShipOrder,
            OrderActionKind::Deliver => O::DeliverOrder,
            OrderActionKind::HandOver => O::HandOverOrder,
            OrderActionKind::Cancel => O::CancelOrder,
            OrderActionKind::Refund => O::RefundOrder,
        }
    }
}

impl From<RefundOutcome> for AnyOrder {
    fn from(r: RefundOutcome) -> Self {
        match r {
            RefundOutcome::Partial(o) => AnyOrder::PartiallyRefunded(o),
            RefundOutcome::Full(o) => AnyOrder::Refunded(o),
        }
    }
}

/// An order in whatever state it is stored in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnyOrder {
    /// Pending.
    Pending(Order<Pending>),
    /// Confirmed.
    Confirmed(Order<Confirmed>),
    /// Paid.
    Paid(Order<Paid>),
    /// Shipped.
    Shipped(Order<Shipped>),
    /// Delivered.
    Delivered(Order<Delivered>),
    /// Cancelled.
    Cancelled(Order<Cancelled>),
    /// Partly refunded.
    PartiallyRefunded(Order<PartiallyRefunded>),
    /// Refunded.
    Refunded(Order<Refunded>),
}

impl AnyOrder {
    /// Rebuilds an order from storage.
    pub fn from_stored(status: OrderStatus, data: OrderData) -> Self {
        let o = Order {
            data,
            state: PhantomData::<Pending>,
        };
        match status {
            OrderStatus::Pending => AnyOrder::Pending(o),
            OrderStatus::Confirmed => AnyOrder::Confirmed(o.into_state()),
            OrderStatus::Paid => AnyOrder::Paid(o.into_state()),
            OrderStatus::Shipped => AnyOrder::Shipped(o.into_state()),
            OrderStatus::Delivered => AnyOrder::Delivered(o.into_state()),
            OrderStatus::Cancelled => AnyOrder::Cancelled(o.into_state()),
            OrderStatus::PartiallyRefunded => AnyOrder::PartiallyRefunded(o.into_state()),
            OrderStatus::Refunded => AnyOrder::Refunded(o.into_state()),
        }
    }

    /// The current status.
    pub fn status(&self) -> OrderStatus {
        match self {
            AnyOrder::Pending(_) => OrderStatus::Pending,
            AnyOrder::Confirmed(_) => OrderStatus::Confirmed,
            AnyOrder::Paid(_) => OrderStatus::Paid,
            AnyOrder::Shipped(_) => OrderStatus::Shipped,
            AnyOrder::Delivered(_) => OrderStatus::Delivered,
            AnyOrder::Cancelled(_) => OrderStatus::Cancelled,
            AnyOrder::PartiallyRefunded(_) => OrderStatus::PartiallyRefunded,
            AnyOrder::Refunded(_) => OrderStatus::Refunded,
        }
    }

    /// The order's data.
    pub fn data(&self) -> &OrderData {
        match self {
            AnyOrder::Pending(o) => o.data(),
            AnyOrder::Confirmed(o) => o.data(),
            AnyOrder::Paid(o) => o.data(),
            AnyOrder::Shipped(o) => o.data(),
            AnyOrder::Delivered(o) => o.data(),
            AnyOrder::Cancelled(o) => o.data(),
            AnyOrder::PartiallyRefunded(o) => o.data(),
            AnyOrder::Refunded(o) => o.data(),
        }
    }

    /// Applies `action`, or says that the current state has no such transition.
    pub fn apply(self, action: OrderAction) -> Result<AnyOrder, DomainError> {
        use AnyOrder as A;
        use OrderAction as Act;
        Ok(match (self, action) {
            (A::Pending(o), Act::Confirm) => A::Confirmed(o.confirm()),
            (A::Pending(o), Act::Cancel(r)) => A::Cancelled(o.cancel(r)),
            (A::Confirmed(o), Act::Pay(t)) => A::Paid(o.pay(&t)?),
            (A::Confirmed(o), Act::Cancel(r)) => A::Cancelled(o.cancel(r)),
            (A::Paid(o), Act::Ship(t)) => A::Shipped(o.ship(t)),
            (A::Paid(o), Act::HandOver) => A::Delivered(o.hand_over()),
            (A::Paid(o), Act::Refund(r)) => o.refund(r)?.into(),
            (A::Shipped(o), Act::Deliver) => A::Delivered(o.deliver()),
            (A::Shipped(o), Act::Refund(r)) => o.refund(r)?.into(),
            (A::Delivered(o), Act::Refund(r)) => o.refund(r)?.into(),
            (A::PartiallyRefunded(o), Act::Refund(r)) => o.refund(r)?.into(),
            (o, a) => {
                return Err(DomainError::InvalidTransition {
                    from: o.status().as_str(),
                    action: a.name(),
                })
            }
        })
    }
}

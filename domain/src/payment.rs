//! Payments: cash with tendered and change, card, other, split across several; refunds.
//!
//! Amounts are minor units in the order's currency.

use crate::error::Errors;
use crate::stock::Quantity;
use crate::text::{bounded_text, Reason};
use crate::{DomainError, FieldError};
use serde::{Deserialize, Serialize};

/// How money changed hands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    /// Notes and coins through the drawer.
    Cash,
    /// A card terminal.
    Card,
    /// Anything else (voucher, bank transfer…).
    Other,
}

impl PaymentMethod {
    /// Stable name.
    pub const fn as_str(self) -> &'static str {
        match self {
            PaymentMethod::Cash => "cash",
            PaymentMethod::Card => "card",
            PaymentMethod::Other => "other",
        }
    }

    /// Inverse of [`PaymentMethod::as_str`].
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        match s.trim() {
            "cash" => Ok(PaymentMethod::Cash),
            "card" => Ok(PaymentMethod::Card),
            "other" => Ok(PaymentMethod::Other),
            _ => Err(FieldError::new(
                "method",
                "invalid_method",
                "must be cash, card or other",
            )),
        }
    }
}

bounded_text!(
    /// A card terminal or voucher reference, 1–100 characters.
    PaymentReference, "reference", 1, 100
);

/// What the customer hands over for one part of the total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tender {
    /// Cash: `amount` goes towards the total, `tendered` is what was handed over.
    Cash {
        /// Part of the total paid in cash.
        amount: i64,
        /// Cash handed over; the difference is change.
        tendered: i64,
    },
    /// Card for `amount`.
    Card {
        /// Part of the total paid by card.
        amount: i64,
        /// Terminal reference.
        reference: Option<PaymentReference>,
    },
    /// Another method for `amount`.
    Other {
        /// Part of the total.
        amount: i64,
        /// What it was (voucher number…).
        reference: Option<PaymentReference>,
    },
}

/// One settled payment of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    /// Method.
    pub method: PaymentMethod,
    /// Part of the order total this payment covers.
    pub amount: i64,
    /// Cash handed over (cash only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tendered: Option<i64>,
    /// Change given back (cash only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<i64>,
    /// Reference (card, other).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<PaymentReference>,
}

/// Most tenders in one payment.
pub const MAX_TENDERS: usize = 10;

/// Turns tenders into payments for `total`: each amount positive, at most one cash
/// tender (change is given once), cash tendered at least its amount, and the amounts
/// adding up to the total exactly.
pub fn settle(total: i64, tenders: &[Tender]) -> Result<Vec<Payment>, DomainError> {
    let mut e = Errors::new();
    e.check(
        tenders.len() > MAX_TENDERS,
        "payments",
        "too_many",
        "at most 10 payments",
    );
    e.check(
        tenders
            .iter()
            .filter(|t| matches!(t, Tender::Cash { .. }))
            .count()
            > 1,
        "payments",
        "duplicate_cash",
        "at most one cash payment",
    );
    let mut sum: i64 = 0;
    let mut payments = Vec::with_capacity(tenders.len());
    for (i, t) in tenders.iter().enumerate() {
        let field = format!("payments[{i}].amount");
        let p = match t {
            Tender::Cash { amount, tendered } => {
                e.check(
                    *tendered < *amount,
                    &format!("payments[{i}].tendered"),
                    "insufficient_tender",
                    "cash handed over must cover the amount",
                );
                Payment {
                    method: PaymentMethod::Cash,
                    amount: *amount,
                    tendered: Some(*tendered),
                    change: tendered.checked_sub(*amount),
                    reference: None,
                }
            }
            Tender::Card { amount, reference } | Tender::Other { amount, reference } => Payment {
                method: if matches!(t, Tender::Card { .. }) {
                    PaymentMethod::Card
                } else {
                    PaymentMethod::Other
                },
                amount: *amount,
                tendered: None,
                change: None,
                reference: reference.clone(),
            },
        };
        e.check(
            p.amount <= 0,
            &field,
            "not_positive",
            "must be more than zero",
        );
        match sum.checked_add(p.amount) {
            Some(s) => sum = s,
            None => e.push(FieldError::new(field, "overflow", "amount is too large")),
        }
        payments.push(p);
    }
    if sum != total {
        e.push(
            FieldError::new(
                "payments",
                "sum_mismatch",
                format!("payments add up to {sum} but the total is {total}"),
            )
            .with_param("sum", sum)
            .with_param("total", total),
        );
    }
    e.finish()?;
    Ok(payments)
}

/// One line of a refund as asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundLineRequest {
    /// Position of the line in the order, from 0.
    pub line: usize,
    /// Units given back.
    pub quantity: Quantity,
    /// Whether they go back on the shelf.
    pub restock: bool,
}

/// What a refund asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRequest {
    /// The lines and units given back; empty gives back everything not yet refunded.
    pub lines: Vec<RefundLineRequest>,
    /// When `lines` is empty: whether the goods go back on the shelf.
    pub restock: bool,
    /// The tender to give back to first; `None`: card, then other, then cash.
    pub to: Option<PaymentMethod>,
    /// Why.
    pub reason: Option<Reason>,
}

impl RefundRequest {
    /// Everything not yet refunded, to the tenders it came from.
    pub fn everything(restock: bool) -> Self {
        Self {
            lines: Vec::new(),
            restock,
            to: None,
            reason: None,
        }
    }
}

/// A line of a refund as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundedLine {
    /// Position of the line in the order, from 0.
    pub line: u32,
    /// Units given back.
    pub quantity: Quantity,
    /// Money given back for them, tax included (the order's gross for them).
    pub amount: i64,
    /// The tax in `amount`.
    pub tax: i64,
    /// Whether they went back on the shelf.
    pub restock: bool,
}

/// What a refund gave back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundedItems {
    /// These lines and units.
    Lines(Vec<RefundedLine>),
    /// Every line in full: how a refund was recorded before refunds were per line
    /// (`OrderRefunded` schema 1, and order rows of database schema 5 and older).
    Every {
        /// Whether the goods went back on the shelf.
        restock: bool,
    },
}

/// Money given back through one tender.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundPayment {
    /// How.
    pub method: PaymentMethod,
    /// How much.
    pub amount: i64,
}

/// A refund as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    /// What was given back.
    pub items: RefundedItems,
    /// Where the money went, per tender (none for a refund of free goods).
    pub payments: Vec<RefundPayment>,
    /// Money given back in all: the sum of `payments`.
    pub amount: i64,
    /// Why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
}

impl Refund {
    /// The part given back through `method`.
    pub fn paid_by(&self, method: PaymentMethod) -> i64 {
        self.payments
            .iter()
            .filter(|p| p.method == method)
            .fold(0i64, |sum, p| sum.saturating_add(p.amount))
    }
}

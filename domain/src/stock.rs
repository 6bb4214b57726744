//! Stock movements: stock on hand only ever changes by one of these, so movements
//! from several devices commute when merged.

use crate::FieldError;
use serde::{Deserialize, Serialize};

/// Kind of a stock movement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MovementKind {
    /// Goods received (positive).
    Received,
    /// A correction with a reason (either sign).
    Adjusted,
    /// Sold (negative).
    Sold,
    /// Returned by a refund with restock (positive).
    Returned,
}

impl MovementKind {
    /// Stable name.
    pub const fn as_str(self) -> &'static str {
        match self {
            MovementKind::Received => "received",
            MovementKind::Adjusted => "adjusted",
            MovementKind::Sold => "sold",
            MovementKind::Returned => "returned",
        }
    }

    /// Inverse of [`MovementKind::as_str`].
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        match s {
            "received" => Ok(MovementKind::Received),
            "adjusted" => Ok(MovementKind::Adjusted),
            "sold" => Ok(MovementKind::Sold),
            "returned" => Ok(MovementKind::Returned),
            _ => Err(FieldError::new(
                "kind",
                "invalid_kind",
                "unknown stock movement kind",
            )),
        }
    }

    /// Whether `delta` has the sign this kind requires.
    pub fn accepts(self, delta: i64) -> bool {
        match self {
            MovementKind::Received | MovementKind::Returned => delta > 0,
            MovementKind::Sold => delta < 0,
            MovementKind::Adjusted => delta != 0,
        }
    }
}

/// A positive count of units, 1 to 1,000,000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct Quantity(i64);

impl Quantity {
    /// Largest quantity in one line or movement.
    pub const MAX: i64 = 1_000_000;

    /// Checks the range.
    pub fn new(n: i64) -> Result<Self, FieldError> {
        if (1..=Self::MAX).contains(&n) {
            Ok(Self(n))
        } else {
            Err(FieldError::new(
                "quantity",
                "out_of_range",
                format!("must be 1 to {}", Self::MAX),
            )
            .with_param("max", Self::MAX))
        }
    }

    /// The count.
    pub const fn get(self) -> i64 {
        self.0
    }
}

impl TryFrom<i64> for Quantity {
    type Error = FieldError;
    fn try_from(n: i64) -> Result<Self, FieldError> {
        Self::new(n)
    }
}

impl From<Quantity> for i64 {
    fn from(q: Quantity) -> i64 {
        q.0
    }
}

/// A non-zero stock correction, −1,000,000 to 1,000,000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct StockDelta(i64);

impl StockDelta {
    /// Checks the range and that it is not zero.
    pub fn new(n: i64) -> Result<Self, FieldError> {
        if n != 0 && n.abs() <= Quantity::MAX {
            Ok(Self(n))
        } else {
            Err(FieldError::new(
                "delta",
                "out_of_range",
                format!("must be non-zero and at most {} either way", Quantity::MAX),
            ))
        }
    }

    /// The signed change.
    pub const fn get(self) -> i64 {
        self.0
    }
}

impl TryFrom<i64> for StockDelta {
    type Error = FieldError;
    fn try_from(n: i64) -> Result<Self, FieldError> {
        Self::new(n)
    }
}

impl From<StockDelta> for i64 {
    fn from(d: StockDelta) -> i64 {
        d.0
    }
}

/// A recorded stock movement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockMovement {
    /// Id.
    pub id: crate::ids::MovementId,
    /// Product.
    pub product_id: crate::ids::ProductId,
    /// Kind.
    pub kind: MovementKind,
    /// Signed change of stock on hand.
    pub delta: i64,
    /// Why.
    pub reason: Option<crate::text::Reason>,
    /// Order, for sales and returns.
    pub order_id: Option<crate::ids::OrderId>,
    /// Who.
    pub operator_id: Option<crate::ids::OperatorId>,
    /// When.
    pub occurred_at: crate::clock::Timestamp,
}

//! Cash sessions (shifts): a float, cash sales and refunds, cash in and out, and a
//! close that compares counted cash with what the drawer should hold.

use crate::clock::Timestamp;
use crate::ids::{CashSessionId, OperatorId, TenantId};
use crate::money::{self, Currency};
use crate::{DomainError, FieldError};
use serde::{Deserialize, Serialize};

/// Direction of a cash movement that is not a sale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CashMoveKind {
    /// Cash put into the drawer.
    In,
    /// Cash taken out (to the safe, for a supplier…).
    Out,
}

impl CashMoveKind {
    /// Stable name.
    pub const fn as_str(self) -> &'static str {
        match self {
            CashMoveKind::In => "in",
            CashMoveKind::Out => "out",
        }
    }

    /// Inverse of [`CashMoveKind::as_str`].
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        match s.trim() {
            "in" => Ok(CashMoveKind::In),
            "out" => Ok(CashMoveKind::Out),
            _ => Err(FieldError::new("kind", "invalid_kind", "must be in or out")),
        }
    }
}

/// Running totals of an open session, in minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CashTotals {
    /// Float put in at opening.
    pub float: i64,
    /// Cash taken for sales (net of change).
    pub sales: i64,
    /// Cash given back by refunds.
    pub refunds: i64,
    /// Cash put in.
    pub cash_in: i64,
    /// Cash taken out.
    pub cash_out: i64,
}

impl CashTotals {
    /// What the drawer should hold. Every total is kept within
    /// [`money::MAX_MINOR`], so the sum is exact (saturating only in name).
    pub fn expected(&self) -> i64 {
        self.float
            .saturating_add(self.sales)
            .saturating_sub(self.refunds)
            .saturating_add(self.cash_in)
            .saturating_sub(self.cash_out)
    }
}

/// How a session ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CashClosing {
    /// Who closed it.
    pub closed_by: OperatorId,
    /// When.
    pub closed_at: Timestamp,
    /// Cash counted in the drawer.
    pub counted: i64,
    /// Cash the drawer should have held.
    pub expected: i64,
    /// `counted − expected`: negative is a shortfall.
    pub difference: i64,
    /// Events not yet acknowledged by the central server at closing.
    pub unsynced_events: u64,
    /// The manager who approved a difference above the shop's limit.
    pub approved_by: Option<OperatorId>,
}

/// A cash session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CashSession {
    /// Id.
    pub id: CashSessionId,
    /// Shop.
    pub tenant_id: TenantId,
    /// Currency of the drawer.
    pub currency: Currency,
    /// Who opened it.
    pub opened_by: OperatorId,
    /// When.
    pub opened_at: Timestamp,
    /// Running totals.
    pub totals: CashTotals,
    /// Set once closed.
    pub closing: Option<CashClosing>,
}

/// Zero or more, and an amount a shop can hold.
fn non_negative(field: &str, v: i64) -> Result<(), FieldError> {
    if v < 0 {
        Err(FieldError::new(field, "negative", "must not be negative"))
    } else if !money::in_range(v) {
        Err(FieldError::new(
            field,
            "out_of_range",
            "is larger than any amount a drawer can hold",
        ))
    } else {
        Ok(())
    }
}

impl CashSession {
    /// Opens a session with a float (zero or more).
    pub fn open(
        id: CashSessionId,
        tenant_id: TenantId,
        currency: Currency,
        opened_by: OperatorId,
        now: Timestamp,
        float: i64,
    ) -> Result<Self, DomainError> {
        non_negative("float", float)?;
        Ok(Self {
            id,
            tenant_id,
            currency,
            opened_by,
            opened_at: now,
            totals: CashTotals {
                float,
                ..CashTotals::default()
            },
            closing: None,
        })
    }

    fn ensure_open(&self, action: &'static str) -> Result<(), DomainError> {
        if self.closing.is_some() {
            Err(DomainError::InvalidTransition {
                from: "closed",
                action,
            })
        } else {
            Ok(())
        }
    }

    /// Adds the cash part of a sale.
    pub fn record_sale(&mut self, cash: i64) -> Result<(), DomainError> {
        self.ensure_open("take cash")?;
        non_negative("amount", cash)?;
        self.totals.sales = grown("amount", self.totals.sales, cash)?;
        Ok(())
    }

    /// Records cash given back; the drawer must hold it.
    pub fn record_refund(&mut self, cash: i64) -> Result<(), DomainError> {
        self.ensure_open("refund cash")?;
        non_negative("amount", cash)?;
        if cash > self.totals.expected() {
            return Err(FieldError::new(
                "amount",
                "insufficient_cash",
                "the drawer does not hold that much cash",
            )
            .into());
        }
        self.totals.refunds = grown("amount", self.totals.refunds, cash)?;
        Ok(())
    }

    /// Records cash put in or taken out; only what the drawer holds can be taken out.
    pub fn move_cash(&mut self, kind: CashMoveKind, amount: i64) -> Result<(), DomainError> {
        self.ensure_open("move cash")?;
        if amount <= 0 {
            return Err(FieldError::new("amount", "not_positive", "must be more than zero").into());
        }
        match kind {
            CashMoveKind::In => {
                // Money put in is counted money too: no drawer takes a thousand
                // times what it holds (a barcode typed into the amount, a slip).
                if !plausible_count(amount, self.totals.expected(), self.currency.exponent()) {
                    return Err(FieldError::new(
                        "amount",
                        "implausible",
                        "is far more than this drawer could hold",
                    )
                    .into());
                }
                self.totals.cash_in = grown("amount", self.totals.cash_in, amount)?
            }
            CashMoveKind::Out => {
                if amount > self.totals.expected() {
                    return Err(FieldError::new(
                        "amount",
                        "insufficient_cash",
                        "the drawer does not hold that much cash",
                    )
                    .into());
                }
                self.totals.cash_out = grown("amount", self.totals.cash_out, amount)?;
            }
        }
        Ok(())
    }

    /// Closes the session with the counted cash (checked by
    /// [`CashSession::difference_for`]); whether the difference needs approval is
    /// the caller's decision, recorded in `approved_by`.
    pub fn close(
        &mut self,
        closed_by: OperatorId,
        now: Timestamp,
        counted: i64,
        unsynced_events: u64,
        approved_by: Option<OperatorId>,
    ) -> Result<&CashClosing, DomainError> {
        self.ensure_open("close")?;
        let difference = self.difference_for(counted)?;
        Ok(self.closing.insert(CashClosing {
            closed_by,
            closed_at: now,
            counted,
            expected: self.totals.expected(),
            difference,
            unsynced_events,
            approved_by,
        }))
    }

    /// The difference (`counted − expected`; negative is a shortfall) that closing
    /// now with `counted` would record. Refuses a negative count, and one no drawer
    /// could hold (see [`plausible_count`]).
    pub fn difference_for(&self, counted: i64) -> Result<i64, DomainError> {
        non_negative("counted", counted)?;
        let expected = self.totals.expected();
        if !plausible_count(counted, expected, self.currency.exponent()) {
            return Err(FieldError::new(
                "counted",
                "implausible",
                "is far more than this drawer could hold; count again",
            )
            .into());
        }
        // Both within MAX_MINOR: exact.
        Ok(counted.saturating_sub(expected))
    }
}

/// Whether a drawer that should hold `expected` could hold `counted`: at most a
/// thousand times (`expected` plus a thousand major units). The bound is relative,
/// so it fits a yen shop and a dinar shop alike, and far above any real miscount; a
/// barcode typed into the count (thirteen digits) is far beyond it.
pub fn plausible_count(counted: i64, expected: i64, exponent: u32) -> bool {
    let unit = 10i128.pow(exponent.min(6));
    let bound = i128::from(expected.max(0))
        .saturating_add(unit.saturating_mul(1_000))
        .saturating_mul(1_000);
    i128::from(counted) <= bound
}

/// `total + amount`, refused when it leaves the amounts a shop can hold.
fn grown(field: &str, total: i64, amount: i64) -> Result<i64, FieldError> {
    total
        .checked_add(amount)
        .filter(|t| money::in_range(*t))
        .ok_or_else(|| {
            FieldError::new(
                field,
                "out_of_range",
                "would take the drawer's total past any amount a shop can hold",
            )
        })
}

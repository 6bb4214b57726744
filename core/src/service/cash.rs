//! Cash sessions (shifts): open with a float, cash in and out, close with a count.

use super::{tenant_of, Actor, Shop, ShopError};
use crate::domain::cash::{CashMoveKind, CashSession};
use crate::domain::event::{CashMoved, CashSessionClosed, CashSessionOpened};
use crate::domain::ids::{CashSessionId, OperatorId};
use crate::domain::money::Money;
use crate::domain::operator::Pin;
use crate::domain::permission::{Operation, Role};
use crate::domain::text::Reason;
use crate::store::{self, WriteTx};

fn open(tx: &WriteTx<'_>, tenant: crate::domain::ids::TenantId) -> Result<CashSession, ShopError> {
    store::open_cash_session(tx, tenant)?.ok_or(ShopError::CashSessionRequired)
}

/// What closing a shift with a given count would record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClosePreview {
    /// What the drawer should hold.
    pub expected: i64,
    /// `counted − expected`: negative is a shortfall.
    pub difference: i64,
    /// The shop's limit, when the difference is above it.
    pub limit: Option<i64>,
    /// Whether another operator (a manager) must approve: the difference is above
    /// the limit and the closing operator may not approve it.
    pub approval_needed: bool,
}

impl Shop {
    /// Opens a shift with a float. Only one session is open per device.
    pub fn open_cash_session(&self, actor: &Actor, float: i64) -> Result<CashSession, ShopError> {
        self.command(actor, Operation::OpenCashSession, |tx, caller| {
            if store::open_cash_session(tx, caller.tenant)?.is_some() {
                return Err(ShopError::CashSessionOpen);
            }
            let currency = tenant_of(tx, caller)?.settings.currency;
            let id = CashSessionId::from_uuid(tx.new_id());
            let s = CashSession::open(
                id,
                caller.tenant,
                currency,
                caller.operator,
                tx.now(),
                float,
            )?;
            store::insert_cash_session(tx, &s)?;
            tx.append(CashSessionOpened {
                session_id: s.id,
                float: Money::new(float, currency),
            })?;
            Ok(s)
        })
    }

    /// Puts cash into the drawer or takes it out, with a reason.
    pub fn move_cash(
        &self,
        actor: &Actor,
        kind: CashMoveKind,
        amount: i64,
        reason: Reason,
    ) -> Result<CashSession, ShopError> {
        self.command(actor, Operation::MoveCash, |tx, caller| {
            let mut s = open(tx, caller.tenant)?;
            s.move_cash(kind, amount)?;
            store::update_cash_session(tx, &s)?;
            store::insert_cash_movement(
                tx,
                s.id,
                kind,
                amount,
                &reason,
                caller.operator,
                tx.now(),
            )?;
            tx.append(CashMoved {
                session_id: s.id,
                kind,
                amount: Money::new(amount, s.currency),
                reason,
            })?;
            Ok(s)
        })
    }

    /// Closes the shift with the counted cash; records the difference and how many
    /// events were still unsynced at that moment.
    ///
    /// A difference (either way) above the shop's limit needs a manager: the closing
    /// operator if their role may approve, else `approval` — another operator's PIN,
    /// checked like a log-in (wrong ones count towards their lockout). Without one
    /// the shift stays open and [`ShopError::ApprovalRequired`] names the difference.
    pub fn close_cash_session(
        &self,
        actor: &Actor,
        counted: i64,
        approval: Option<(OperatorId, &Pin)>,
    ) -> Result<CashSession, ShopError> {
        let approver = self.approver(
            actor,
            approval,
            Role::approves_cash_differences,
            "approve a shift difference",
        )?;
        self.command(actor, Operation::CloseCashSession, |tx, caller| {
            let mut s = open(tx, caller.tenant)?;
            // An impossible count is refused before any talk of approval.
            let difference = s.difference_for(counted)?;
            let settings = tenant_of(tx, caller)?.settings;
            let approved_by = match settings.shift_limit_exceeded(difference) {
                None => None,
                Some(_) if caller.role.approves_cash_differences() => Some(caller.operator),
                Some(limit) => {
                    Some(approver.ok_or(ShopError::ApprovalRequired { difference, limit })?)
                }
            };
            let unsynced = store::outbox_status_in(tx)?.pending;
            let closing = s
                .close(caller.operator, tx.now(), counted, unsynced, approved_by)?
                .clone();
            store::update_cash_session(tx, &s)?;
            let m = |v| Money::new(v, s.currency);
            tx.append(CashSessionClosed {
                session_id: s.id,
                counted: m(closing.counted),
                expected: m(closing.expected),
                difference: m(closing.difference),
                unsynced_events: closing.unsynced_events,
                approved_by: closing.approved_by,
            })?;
            Ok(s)
        })
    }

    /// What closing the open shift with `counted` would record, without closing it:
    /// the confirmation names the difference before anything is written. Refuses a
    /// count no drawer could hold, as closing would.
    pub fn preview_cash_close(
        &self,
        actor: &Actor,
        counted: i64,
    ) -> Result<ClosePreview, ShopError> {
        self.query(actor, Operation::CloseCashSession, |c, caller| {
            let s = store::open_cash_session(c, caller.tenant)?
                .ok_or(ShopError::CashSessionRequired)?;
            let difference = s.difference_for(counted)?;
            let over = self
                .cached_tenant(c, caller)?
                .settings
                .shift_limit_exceeded(difference);
            Ok(ClosePreview {
                expected: s.totals.expected(),
                difference,
                limit: over,
                approval_needed: over.is_some() && !caller.role.approves_cash_differences(),
            })
        })
    }

    /// The open shift, if any.
    pub fn current_cash_session(&self, actor: &Actor) -> Result<Option<CashSession>, ShopError> {
        self.query(actor, Operation::ViewCashSession, |c, caller| {
            Ok(store::open_cash_session(c, caller.tenant)?)
        })
    }

    /// A shift by id.
    pub fn cash_session(&self, actor: &Actor, id: CashSessionId) -> Result<CashSession, ShopError> {
        self.query(actor, Operation::ViewCashSession, |c, caller| {
            store::cash_session(c, caller.tenant, id)?.ok_or(ShopError::NotFound {
                entity: "cash session",
            })
        })
    }
}

//! The X report (a shift so far) and the Z report (a closed shift): what the shift
//! sold, by tender and by tax rate, its discounts and refunds, and its cash.

use super::{Actor, Shop, ShopError};
use crate::domain::cash::CashSession;
use crate::domain::device::DeviceCode;
use crate::domain::event::DomainEvent;
use crate::domain::ids::{CashSessionId, OperatorId};
use crate::domain::operator::OperatorName;
use crate::domain::order::Amounts;
use crate::domain::payment::PaymentMethod;
use crate::domain::permission::Operation;
use crate::domain::product::TaxRate;
use crate::domain::upcast::Upcasters;
use crate::store::{self, StoreError};
use std::collections::BTreeMap;

/// The sales of one tax rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxLine {
    /// The rate.
    pub rate: TaxRate,
    /// Net, tax and gross sold at it.
    pub amounts: Amounts,
}

/// A shift's report. Amounts are minor units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShiftReport {
    /// The shift, with its cash totals and, once closed, its count.
    pub session: CashSession,
    /// Sales paid during the shift.
    pub receipts: u32,
    /// What they came to.
    pub sales: Amounts,
    /// What discounts took off them.
    pub discounts: i64,
    /// Sales per tender, in the order cash, card, other (tenders unused are left out).
    pub tenders: Vec<(PaymentMethod, i64)>,
    /// Sales per tax rate, lowest rate first.
    pub tax: Vec<TaxLine>,
    /// Refunds made during the shift.
    pub refunds: u32,
    /// What they gave back.
    pub refunded: i64,
    /// Refunds per tender.
    pub refund_tenders: Vec<(PaymentMethod, i64)>,
    /// Whether the operator asking may see what the drawer should hold (not while a
    /// blind-count shift is open, for roles that may not approve its difference).
    pub shows_expected: bool,
    /// The till the shift was kept on.
    pub till: DeviceCode,
    /// Who opened the shift, who closed it and who approved its difference, by
    /// name (as they are named now; `None` when the operator is gone).
    pub opened_by: Option<OperatorName>,
    /// See [`ShiftReport::opened_by`].
    pub closed_by: Option<OperatorName>,
    /// See [`ShiftReport::opened_by`].
    pub approved_by: Option<OperatorName>,
}

fn add(sum: &mut i64, v: i64) {
    *sum = sum.saturating_add(v);
}

fn tenders(by: BTreeMap<u8, (PaymentMethod, i64)>) -> Vec<(PaymentMethod, i64)> {
    by.into_values().filter(|(_, v)| *v != 0).collect()
}

fn rank(m: PaymentMethod) -> u8 {
    match m {
        PaymentMethod::Cash => 0,
        PaymentMethod::Card => 1,
        PaymentMethod::Other => 2,
    }
}

/// Most closed shifts [`Shop::closed_shifts`] lists.
pub const MAX_SHIFTS_LISTED: u32 = 200;

impl Shop {
    /// The shifts closed on this till, the last first (at most `limit`, capped at
    /// [`MAX_SHIFTS_LISTED`]): each one's Z report is [`Shop::shift_report`].
    pub fn closed_shifts(&self, actor: &Actor, limit: u32) -> Result<Vec<CashSession>, ShopError> {
        self.query(actor, Operation::ViewCashSession, |c, caller| {
            Ok(store::closed_cash_sessions(
                c,
                caller.tenant,
                limit.clamp(1, MAX_SHIFTS_LISTED),
            )?)
        })
    }

    /// The report of shift `id`, or of the open shift (an X report) when `id` is
    /// `None`. A closed shift's report is its Z report, and can be printed again.
    pub fn shift_report(
        &self,
        actor: &Actor,
        id: Option<CashSessionId>,
    ) -> Result<ShiftReport, ShopError> {
        self.query(actor, Operation::ViewCashSession, |c, caller| {
            let session = match id {
                Some(id) => store::cash_session(c, caller.tenant, id)?,
                None => store::open_cash_session(c, caller.tenant)?,
            }
            .ok_or(ShopError::NotFound {
                entity: "cash session",
            })?;
            let tenant = self.cached_tenant(c, caller)?;
            let upcasters = Upcasters::standard();
            let name = |id: Option<OperatorId>| -> Result<Option<OperatorName>, ShopError> {
                Ok(match id {
                    Some(id) => store::operator(c, caller.tenant, id)?.map(|o| o.name),
                    None => None,
                })
            };
            let closing = session.closing.as_ref();
            let mut r = ShiftReport {
                till: store::device_identity(c)?
                    .ok_or(StoreError::NotSetUp)?
                    .device_code,
                opened_by: name(Some(session.opened_by))?,
                closed_by: name(closing.map(|x| x.closed_by))?,
                approved_by: name(closing.and_then(|x| x.approved_by))?,
                shows_expected: session.closing.is_some()
                    || !tenant.settings.counts_blind(caller.role),
                session,
                receipts: 0,
                sales: Amounts::default(),
                discounts: 0,
                tenders: Vec::new(),
                tax: Vec::new(),
                refunds: 0,
                refunded: 0,
                refund_tenders: Vec::new(),
            };
            let (mut paid, mut back) = (BTreeMap::new(), BTreeMap::new());
            let mut rates: BTreeMap<u32, (TaxRate, Amounts)> = BTreeMap::new();
            for e in store::shift_events(c, r.session.id)? {
                let event = e.decode(&upcasters).map_err(|err| StoreError::Corrupt {
                    column: "events.data",
                    source: crate::domain::FieldError::new("data", "undecodable", err.to_string()),
                })?;
                match event {
                    DomainEvent::OrderPaid(p) => {
                        r.receipts = r.receipts.saturating_add(1);
                        for pay in &p.payments {
                            add(
                                &mut paid.entry(rank(pay.method)).or_insert((pay.method, 0)).1,
                                pay.amount,
                            );
                        }
                        let Some(order) = store::order(c, caller.tenant, p.order_id)? else {
                            continue;
                        };
                        let d = order.data();
                        add(&mut r.sales.net, d.totals.net);
                        add(&mut r.sales.tax, d.totals.tax);
                        add(&mut r.sales.gross, d.totals.gross);
                        for l in &d.lines {
                            add(
                                &mut r.discounts,
                                l.line_discount.saturating_add(l.order_discount),
                            );
                            let bp = l.tax_rate.basis_points();
                            let (_, a) =
                                rates.entry(bp).or_insert((l.tax_rate, Amounts::default()));
                            add(&mut a.net, l.amounts.net);
                            add(&mut a.tax, l.amounts.tax);
                            add(&mut a.gross, l.amounts.gross);
                        }
                    }
                    DomainEvent::OrderRefunded(p) => {
                        r.refunds = r.refunds.saturating_add(1);
                        add(&mut r.refunded, p.refund.amount);
                        for pay in &p.refund.payments {
                            add(
                                &mut back.entry(rank(pay.method)).or_insert((pay.method, 0)).1,
                                pay.amount,
                            );
                        }
                    }
                    _ => {}
                }
            }
            r.tenders = tenders(paid);
            r.refund_tenders = tenders(back);
            r.tax = rates
                .into_values()
                .map(|(rate, amounts)| TaxLine { rate, amounts })
                .collect();
            Ok(r)
        })
    }
}

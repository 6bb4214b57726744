//! Head office's sales reports, from the events central holds. A projection outside
//! the ingest path: [`rows_of`] turns a stored sale event into report rows, and each
//! backend's `project` applies the events of every device after that device's report
//! cursor, a chunk at a time, the rows keyed by their event (device, seq), so an
//! event is counted once however often it was sent, and projecting again changes
//! nothing. A report query first brings the projection up to date.

use crate::store::ReportBatch;
use crate::{Central, CentralError};
use rustok_domain::event::{DomainEvent, Envelope};
use rustok_domain::upcast::Upcasters;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

/// What one order adds (from `OrderCreated`): its currency, discount and lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRows {
    /// Order.
    pub order_id: String,
    /// ISO 4217.
    pub currency: String,
    /// Minor units taken off by line and order discounts.
    pub discount: i64,
    /// Lines: product, title, units, amount after discounts (gross).
    pub lines: Vec<LineRow>,
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineRow {
    /// Product.
    pub product_id: String,
    /// Its title at the time of sale.
    pub title: String,
    /// Units.
    pub quantity: i64,
    /// After discounts, with tax.
    pub amount: i64,
}

/// A payment or a refund (from `OrderPaid` and `OrderRefunded`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaleRows {
    /// Order.
    pub order_id: String,
    /// When it happened on the device, Unix milliseconds.
    pub at_ms: i64,
    /// `paid` or `refunded`.
    pub kind: &'static str,
    /// Money taken or given back.
    pub amount: i64,
    /// Per tender: method and amount.
    pub tenders: Vec<(&'static str, i64)>,
}

/// What a stored event adds to the report tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rows {
    /// An order was made.
    Order(OrderRows),
    /// Money was taken or given back.
    Sale(SaleRows),
}

/// The event types that add report rows (the projection reads only these).
pub const TYPES: [&str; 3] = ["OrderCreated", "OrderPaid", "OrderRefunded"];

/// The report rows of a stored event, or none (another type, or one that no longer
/// decodes: it was accepted once, so that is logged, not fatal).
pub fn rows_of(text: &str, upcasters: &Upcasters) -> Option<Rows> {
    let envelope: Envelope = serde_json::from_str(text).ok()?;
    let event = match envelope.decode(upcasters) {
        Ok(e) => e,
        Err(e) => {
            tracing::warn!(seq = envelope.seq, error = %e, "a stored event no longer decodes; left out of reports");
            return None;
        }
    };
    let at_ms = envelope.occurred_at.unix_millis();
    match event {
        DomainEvent::OrderCreated(p) => Some(Rows::Order(OrderRows {
            order_id: p.order_id.to_string(),
            currency: p.currency.as_str().to_owned(),
            discount: p.lines.iter().fold(0i64, |sum, l| {
                sum.saturating_add(l.line_discount)
                    .saturating_add(l.order_discount)
            }),
            lines: p
                .lines
                .iter()
                .map(|l| LineRow {
                    product_id: l.product_id.to_string(),
                    title: l.title.as_str().to_owned(),
                    quantity: l.quantity.get(),
                    amount: l.amounts.gross,
                })
                .collect(),
        })),
        DomainEvent::OrderPaid(p) => Some(Rows::Sale(SaleRows {
            order_id: p.order_id.to_string(),
            at_ms,
            kind: "paid",
            amount: p
                .payments
                .iter()
                .fold(0i64, |sum, x| sum.saturating_add(x.amount)),
            tenders: p
                .payments
                .iter()
                .map(|x| (x.method.as_str(), x.amount))
                .collect(),
        })),
        DomainEvent::OrderRefunded(p) => Some(Rows::Sale(SaleRows {
            order_id: p.order_id.to_string(),
            at_ms,
            kind: "refunded",
            amount: p.refund.amount,
            tenders: p
                .refund
                .payments
                .iter()
                .map(|x| (x.method.as_str(), x.amount))
                .collect(),
        })),
        _ => None,
    }
}

/// Sale events projected in one transaction at most.
pub const CHUNK: usize = 2_000;
/// How often the background projection looks for new sale events.
pub const FOLLOW_EVERY: Duration = Duration::from_secs(2);

/// Projects pending sale events, a chunk at a time, until none is left or
/// `budget` has passed; true when the projection is up to date. One projection at
/// a time in this process (another process's overlaps harmlessly: rows are keyed
/// by their event, cursors only move forward).
pub async fn project(c: &Central, budget: Duration) -> Result<bool, CentralError> {
    let _one = c.reports.lock().await;
    let started = std::time::Instant::now();
    loop {
        let pending = c.backend.report_pending(CHUNK).await?;
        if pending.is_empty() {
            return Ok(true);
        }
        let mut batch = ReportBatch::default();
        for d in pending {
            for (seq, text) in &d.events {
                match rows_of(text, &c.upcasters) {
                    Some(Rows::Order(o)) => batch.orders.push((d.tenant_id, o)),
                    Some(Rows::Sale(r)) => {
                        batch
                            .sales
                            .push((d.device_id, *seq, d.tenant_id, d.store.clone(), r));
                    }
                    None => {}
                }
            }
            batch.cursors.push((d.device_id, d.cursor_to));
        }
        c.backend.report_apply(&batch).await?;
        if started.elapsed() >= budget {
            return Ok(false);
        }
    }
}

/// The background projection: every [`FOLLOW_EVERY`], as far as there is to go.
pub async fn follow(c: Arc<Central>) {
    loop {
        if let Err(e) = project(&c, Duration::from_secs(60)).await {
            tracing::warn!(error = %e, "the sales reports could not follow the events");
        }
        tokio::time::sleep(FOLLOW_EVERY).await;
    }
}

/// The longest range a report covers: 367 days (a leap year and a day: `to` at
/// most 366 days after `from`).
pub const MAX_RANGE_MS: i64 = 367 * 24 * 3600 * 1000;
/// Products a report lists at most.
pub const TOP_PRODUCTS: usize = 10;

/// What a report is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ask {
    /// From this instant (Unix ms, inclusive).
    pub from_ms: i64,
    /// To this instant (exclusive).
    pub to_ms: i64,
    /// Added to every instant before it is cut into days and hours: the viewer's
    /// UTC offset, milliseconds.
    pub offset_ms: i64,
}

/// Money summed without overflow: each group's amounts come from the database as two
/// sums, of `amount / 10^6` and of `amount % 10^6`, neither of which can overflow
/// for any number of amounts a shop can hold; they are joined here in i128.
pub fn joined(high: i64, low: i64) -> i128 {
    i128::from(high)
        .saturating_mul(1_000_000)
        .saturating_add(i128::from(low))
}

/// An i128 sum as the report's i64, clamped (with `out_of_range` set by the caller).
pub fn clamp(v: i128) -> (i64, bool) {
    match i64::try_from(v) {
        Ok(x) => (x, false),
        Err(_) => (if v < 0 { i64::MIN } else { i64::MAX }, true),
    }
}

/// Sales of one store on one day, in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayRow {
    /// Store code.
    pub store: String,
    /// The day, `YYYY-MM-DD`, in the viewer's offset.
    pub day: String,
    /// ISO 4217.
    pub currency: String,
    /// Orders paid.
    pub orders: u64,
    /// Money taken, minor units.
    pub paid: i64,
    /// Refunds made.
    pub refunds: u64,
    /// Money given back, minor units.
    pub refunded: i64,
    /// Discounts on the orders paid, minor units.
    pub discounts: i64,
}

/// Money by tender.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenderRow {
    /// `cash`, `card` or `other`.
    pub method: String,
    /// ISO 4217.
    pub currency: String,
    /// Taken.
    pub paid: i64,
    /// Given back.
    pub refunded: i64,
}

/// A product among the best sellers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductRow {
    /// Product id.
    pub product_id: String,
    /// A title it was sold under.
    pub title: String,
    /// ISO 4217.
    pub currency: String,
    /// Units sold.
    pub quantity: i64,
    /// Money, minor units.
    pub amount: i64,
}

/// Sales by hour of the day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HourRow {
    /// 0 to 23, in the viewer's offset.
    pub hour: u8,
    /// ISO 4217.
    pub currency: String,
    /// Orders paid.
    pub orders: u64,
    /// Money taken.
    pub paid: i64,
}

/// Totals of a currency over the range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// ISO 4217.
    pub currency: String,
    /// Orders paid.
    pub orders: u64,
    /// Money taken.
    pub paid: i64,
    /// Refunds made.
    pub refunds: u64,
    /// Money given back.
    pub refunded: i64,
    /// Taken minus given back.
    pub net: i64,
    /// Discounts given on the orders paid.
    pub discounts: i64,
}

/// A tenant's sales report over a range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalesReport {
    /// The range's start, Unix ms.
    pub from_ms: i64,
    /// Its end (exclusive).
    pub to_ms: i64,
    /// The offset days and hours are cut in, minutes.
    pub offset_minutes: i32,
    /// Per currency.
    pub totals: Vec<Totals>,
    /// Per store and day.
    pub days: Vec<DayRow>,
    /// Per tender.
    pub tenders: Vec<TenderRow>,
    /// The best sellers by money, at most [`TOP_PRODUCTS`] per currency.
    pub top_products: Vec<ProductRow>,
    /// Per hour of the day.
    pub hours: Vec<HourRow>,
    /// A sum did not fit an i64 and is clamped.
    pub out_of_range: bool,
    /// False while central is still counting sale events it received (a large
    /// backlog after an upgrade): the figures are as far as it got.
    #[serde(default)]
    pub complete: bool,
}

/// A day number (days since 1970-01-01) as `YYYY-MM-DD`.
pub fn day_text(day: i64) -> String {
    let at = time::OffsetDateTime::UNIX_EPOCH
        .checked_add(time::Duration::days(day))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let d = at.date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_sums_join_and_clamp() {
        let amounts = [rustok_domain::money::MAX_MINOR; 20_000];
        let (high, low) = amounts.iter().fold((0i64, 0i64), |(h, l), a| {
            (
                h.saturating_add(a / 1_000_000),
                l.saturating_add(a % 1_000_000),
            )
        });
        let sum = joined(high, low);
        assert_eq!(
            sum,
            i128::from(rustok_domain::money::MAX_MINOR).saturating_mul(20_000)
        );
        assert_eq!(clamp(sum), (i64::MAX, true));
        assert_eq!(clamp(joined(-3, -5)), (-3_000_005, false));
        assert_eq!(clamp(sum.saturating_neg()), (i64::MIN, true));
    }

    #[test]
    fn a_range_is_whole_utc_days_and_its_ends() {
        const DAY: i64 = 86_400_000;
        // Moscow's 2026-11-21: 21:00 the day before to 21:00 UTC.
        let from = 20_778 * DAY - 3 * 3_600_000;
        let to = from + DAY;
        assert_eq!(
            product_spans(from, to),
            ProductSpans {
                days: None,
                edges: vec![(from, to)]
            }
        );
        // Ninety UTC days: the roll-up alone.
        assert_eq!(
            product_spans(20_700 * DAY, 20_790 * DAY),
            ProductSpans {
                days: Some((20_700, 20_790)),
                edges: vec![]
            }
        );
        // A week in Moscow: six whole UTC days and two parts.
        let spans = product_spans(from, from + 7 * DAY);
        assert_eq!(spans.days, Some((20_778, 20_784)));
        assert_eq!(
            spans.edges,
            [(from, 20_778 * DAY), (20_784 * DAY, from + 7 * DAY)]
        );
    }

    #[test]
    fn days_are_calendar_days() {
        assert_eq!(day_text(0), "1970-01-01");
        assert_eq!(day_text(20_794), "2026-12-07");
        assert_eq!(day_text(-1), "1969-12-31");
    }
}

/// The report's queries, the same text for both backends (`$n` are SQLite named
/// parameters, and PostgreSQL's positional ones): `$1` tenant, `$2` from, `$3` to
/// (Unix ms, whole quarters of an hour), `$4` the viewer's offset (ms). They read the
/// roll-ups the projection keeps (per quarter of an hour, per product and UTC day);
/// money comes as two sums each ([`joined`]).
pub mod sql {
    /// Per store, day, hour, currency and kind: count and money.
    pub const SALES: &str = "SELECT store, (quarter * 900000 + $4) / 86400000,
            ((quarter * 900000 + $4) / 3600000) % 24, currency, kind,
            CAST(sum(count) AS BIGINT), CAST(sum(high) AS BIGINT), CAST(sum(low) AS BIGINT)
     FROM report_quarters
     WHERE tenant_id = $1 AND quarter >= CAST($2 AS BIGINT) / 900000 AND quarter < CAST($3 AS BIGINT) / 900000
     GROUP BY 1, 2, 3, 4, 5";
    /// Per tender, currency and kind: money.
    pub const TENDERS: &str = "SELECT method, currency, kind,
            CAST(sum(high) AS BIGINT), CAST(sum(low) AS BIGINT)
     FROM report_tender_quarters
     WHERE tenant_id = $1 AND quarter >= CAST($2 AS BIGINT) / 900000 AND quarter < CAST($3 AS BIGINT) / 900000
     GROUP BY 1, 2, 3";
    /// Per store, day and currency: the discounts of the orders paid.
    pub const DISCOUNTS: &str = "SELECT store, (quarter * 900000 + $4) / 86400000, currency,
            CAST(sum(disc_high) AS BIGINT), CAST(sum(disc_low) AS BIGINT)
     FROM report_quarters
     WHERE tenant_id = $1 AND quarter >= CAST($2 AS BIGINT) / 900000 AND quarter < CAST($3 AS BIGINT) / 900000 AND kind = 'paid'
     GROUP BY 1, 2, 3";
    /// Per product and currency over whole UTC days `$2` to `$3` (day numbers,
    /// `$3` excluded): units and money of the orders paid.
    pub const PRODUCT_DAYS: &str = "SELECT product_id, max(title), currency,
            CAST(sum(quantity) AS BIGINT), CAST(sum(high) AS BIGINT), CAST(sum(low) AS BIGINT)
     FROM report_product_days
     WHERE tenant_id = $1 AND day >= $2 AND day < $3
     GROUP BY 1, 3";
    /// The same from the detail rows, for the part of a UTC day at a range's ends.
    pub const PRODUCTS: &str = "SELECT l.product_id, max(l.title), coalesce(o.currency, ''),
            CAST(sum(l.quantity) AS BIGINT),
            CAST(sum(l.amount / 1000000) AS BIGINT), CAST(sum(l.amount % 1000000) AS BIGINT)
     FROM report_sales s
     JOIN report_lines l ON l.tenant_id = s.tenant_id AND l.order_id = s.order_id
     LEFT JOIN report_orders o ON o.tenant_id = s.tenant_id AND o.order_id = s.order_id
     WHERE s.tenant_id = $1 AND s.at_ms >= $2 AND s.at_ms < $3 AND s.kind = 'paid'
     GROUP BY 1, 3";
}

/// How a range's best sellers are read: whole UTC days from the roll-up, and
/// the parts of a day at either end from the detail rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductSpans {
    /// Whole UTC days (day numbers, the end excluded), if any.
    pub days: Option<(i64, i64)>,
    /// Ranges (Unix ms, the end excluded) read from the detail rows.
    pub edges: Vec<(i64, i64)>,
}

/// Splits `[from_ms, to_ms)` into whole UTC days and the parts at its ends.
pub fn product_spans(from_ms: i64, to_ms: i64) -> ProductSpans {
    const DAY: i64 = 86_400_000;
    let first = from_ms
        .div_euclid(DAY)
        .saturating_add(i64::from(from_ms.rem_euclid(DAY) != 0));
    let last = to_ms.div_euclid(DAY);
    if first >= last {
        return ProductSpans {
            days: None,
            edges: vec![(from_ms, to_ms)],
        };
    }
    let (start, end) = (first.saturating_mul(DAY), last.saturating_mul(DAY));
    ProductSpans {
        days: Some((first, last)),
        edges: [(from_ms, start), (end, to_ms)]
            .into_iter()
            .filter(|(a, b)| a < b)
            .collect(),
    }
}

/// One row of [`sql::SALES`].
#[derive(Debug, Clone)]
pub struct SalesRow {
    /// Store.
    pub store: String,
    /// Day number in the viewer's offset.
    pub day: i64,
    /// Hour 0..23.
    pub hour: i64,
    /// Currency.
    pub currency: String,
    /// `paid` or `refunded`.
    pub kind: String,
    /// Events.
    pub count: i64,
    /// Money, split.
    pub high: i64,
    /// Money, split.
    pub low: i64,
}

/// What the four queries returned, before they are put together.
#[derive(Debug, Clone, Default)]
pub struct Raw {
    /// [`sql::SALES`].
    pub sales: Vec<SalesRow>,
    /// [`sql::TENDERS`]: method, currency, kind, high, low.
    pub tenders: Vec<(String, String, String, i64, i64)>,
    /// [`sql::DISCOUNTS`]: store, day, currency, high, low.
    pub discounts: Vec<(String, i64, String, i64, i64)>,
    /// [`sql::PRODUCTS`]: product, title, currency, quantity, high, low.
    pub products: Vec<(String, String, String, i64, i64, i64)>,
}

/// Puts the query rows together: days by store, hours, totals, tenders, the best
/// sellers per currency; sums in i128, clamped (`out_of_range`) only at the end.
pub fn assemble(ask: Ask, raw: Raw) -> SalesReport {
    use std::collections::BTreeMap;
    let mut out_of_range = false;
    let mut money = |v: i128| {
        let (x, over) = clamp(v);
        out_of_range |= over;
        x
    };
    let count = |n: i64| u64::try_from(n).unwrap_or(0);
    #[derive(Default)]
    struct Sums {
        orders: u64,
        paid: i128,
        refunds: u64,
        refunded: i128,
        discounts: i128,
    }
    let add = |s: &mut Sums, kind: &str, n: u64, v: i128| {
        if kind == "paid" {
            s.orders = s.orders.saturating_add(n);
            s.paid = s.paid.saturating_add(v);
        } else {
            s.refunds = s.refunds.saturating_add(n);
            s.refunded = s.refunded.saturating_add(v);
        }
    };
    let mut days: BTreeMap<(i64, String, String), Sums> = BTreeMap::new();
    let mut hours: BTreeMap<(i64, String), Sums> = BTreeMap::new();
    let mut totals: BTreeMap<String, Sums> = BTreeMap::new();
    for r in &raw.sales {
        let (n, v) = (count(r.count), joined(r.high, r.low));
        add(
            days.entry((r.day, r.store.clone(), r.currency.clone()))
                .or_default(),
            &r.kind,
            n,
            v,
        );
        add(
            hours.entry((r.hour, r.currency.clone())).or_default(),
            &r.kind,
            n,
            v,
        );
        add(totals.entry(r.currency.clone()).or_default(), &r.kind, n, v);
    }
    let mut discounts: BTreeMap<String, i128> = BTreeMap::new();
    for (store, day, currency, h, l) in &raw.discounts {
        let v = joined(*h, *l);
        let d = days
            .entry((*day, store.clone(), currency.clone()))
            .or_default();
        d.discounts = d.discounts.saturating_add(v);
        let t = discounts.entry(currency.clone()).or_default();
        *t = t.saturating_add(v);
    }
    let mut tenders: BTreeMap<(String, String), (i128, i128)> = BTreeMap::new();
    for (method, currency, kind, h, l) in &raw.tenders {
        let t = tenders
            .entry((method.clone(), currency.clone()))
            .or_default();
        if kind == "paid" {
            t.0 = t.0.saturating_add(joined(*h, *l));
        } else {
            t.1 = t.1.saturating_add(joined(*h, *l));
        }
    }
    // A product read from the roll-up and from a range's ends is one product.
    let mut merged: BTreeMap<(String, String), (String, i64, i128)> = BTreeMap::new();
    for (id, title, currency, q, h, l) in raw.products {
        let m = merged.entry((id, currency)).or_default();
        if title > m.0 {
            m.0 = title;
        }
        m.1 = m.1.saturating_add(q);
        m.2 = m.2.saturating_add(joined(h, l));
    }
    let mut products: Vec<(String, String, String, i64, i128)> = merged
        .into_iter()
        .map(|((id, currency), (title, q, v))| (id, title, currency, q, v))
        .collect();
    // Best first; ties by title, then id, so the order never depends on the database.
    products.sort_by(|a, b| {
        a.2.cmp(&b.2)
            .then(b.4.cmp(&a.4))
            .then(a.1.cmp(&b.1))
            .then(a.0.cmp(&b.0))
    });
    let mut per_currency: BTreeMap<String, usize> = BTreeMap::new();
    products.retain(|p| {
        let n = per_currency.entry(p.2.clone()).or_default();
        *n = n.saturating_add(1);
        *n <= TOP_PRODUCTS
    });
    SalesReport {
        from_ms: ask.from_ms,
        to_ms: ask.to_ms,
        offset_minutes: i32::try_from(ask.offset_ms / 60_000).unwrap_or(0),
        totals: totals
            .into_iter()
            .map(|(currency, s)| Totals {
                discounts: money(discounts.get(&currency).copied().unwrap_or(0)),
                net: money(s.paid.saturating_sub(s.refunded)),
                orders: s.orders,
                paid: money(s.paid),
                refunds: s.refunds,
                refunded: money(s.refunded),
                currency,
            })
            .collect(),
        days: days
            .into_iter()
            .map(|((day, store, currency), s)| DayRow {
                store,
                day: day_text(day),
                currency,
                orders: s.orders,
                paid: money(s.paid),
                refunds: s.refunds,
                refunded: money(s.refunded),
                discounts: money(s.discounts),
            })
            .collect(),
        tenders: tenders
            .into_iter()
            .map(|((method, currency), (paid, refunded))| TenderRow {
                method,
                currency,
                paid: money(paid),
                refunded: money(refunded),
            })
            .collect(),
        top_products: products
            .into_iter()
            .map(
                |(product_id, title, currency, quantity, amount)| ProductRow {
                    product_id,
                    title,
                    currency,
                    quantity,
                    amount: money(amount),
                },
            )
            .collect(),
        hours: hours
            .into_iter()
            .filter(|(_, s)| s.orders > 0)
            .map(|((hour, currency), s)| HourRow {
                hour: u8::try_from(hour.rem_euclid(24)).unwrap_or(0),
                currency,
                orders: s.orders,
                paid: money(s.paid),
            })
            .collect(),
        out_of_range,
        complete: true,
    }
}

//! The outbox: events appended inside the state transaction, with a per-device
//! gapless `seq` and a hybrid logical clock, and the queries over the event log.

use super::rows::RowCountSql;
use super::{Store, StoreError};
use crate::domain::clock::{Entropy, Timestamp};
use crate::domain::device::DeviceCode;
use crate::domain::event::{Aggregate, DomainEvent, Envelope, Origin};
use crate::domain::hlc::Hlc;
use crate::domain::ids::{
    uuid_v7_after, CashSessionId, CorrelationId, DeviceId, EventId, OperatorId, OrderId, ProductId,
    TenantId,
};
use crate::domain::order::OrderNumber;
use crate::domain::replica::Stamp;
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::ops::Deref;

/// How far past this device's clock an observed HLC time may take its clock.
const OBSERVE_AHEAD_MS: i64 = 10 * 60 * 1000;

/// What every event of one command shares.
pub struct EventMeta<'a> {
    /// Operator who issued the command.
    pub actor_id: Option<OperatorId>,
    /// Ties the command's events together.
    pub correlation_id: CorrelationId,
    /// The event that caused the command, if any.
    pub causation_id: Option<EventId>,
    /// Device or central.
    pub origin: Origin,
    /// Wall time of the command (one value for all its events).
    pub now: Timestamp,
    /// Randomness for event ids.
    pub entropy: &'a dyn Entropy,
}

/// The device's identity and counters, loaded at the first append of a transaction.
///
/// The counters are not written back: the newest event holds the last `seq` and HLC
/// and the newest order the last serial, and those rows are written by the commit
/// anyway (a counter row of its own was one more WAL page per sale). The device row
/// keeps floors under them (`last_seq`, `last_hlc`, `last_order_no`), set at setup;
/// acknowledgement raises `last_seq` with `acked_seq`, and anything that ever deletes
/// events must first raise the floors to the newest one it deletes, so a number once
/// given out is never given out again.
#[derive(Debug, Clone)]
pub(crate) struct DeviceState {
    pub(crate) device_id: DeviceId,
    pub(crate) tenant_id: TenantId,
    pub(crate) device_code: DeviceCode,
    pub(crate) last_seq: u64,
    pub(crate) acked_seq: u64,
    pub(crate) last_hlc: Hlc,
    pub(crate) last_order_no: u64,
}

/// What one write transaction on the writer connection leaves for the next.
#[derive(Debug, Default)]
pub(crate) struct Carry {
    /// The last id made; see [`WriteTx::new_id`].
    last_id: Option<uuid::Uuid>,
    /// The device state as the last commit left it, and the `PRAGMA data_version`
    /// read in that transaction. The value changes only when another connection
    /// (another process on the same file) commits, so while it reads the same the
    /// state is what [`load_device`] would return, without its query.
    pub(crate) device: Option<(i64, DeviceState)>,
}

/// An open write transaction. Dereferences to the connection for state writes.
pub struct WriteTx<'c> {
    tx: Transaction<'c>,
    meta: &'c EventMeta<'c>,
    device: Option<(i64, DeviceState)>,
    appended: Vec<Envelope>,
    /// `meta.now` as stored text, formatted once per transaction.
    now_text: String,
    /// References already checked in this transaction (they cannot disappear in it:
    /// nothing deletes rows).
    known: HashSet<(Aggregate, uuid::Uuid), foldhash::fast::RandomState>,
    /// The store's last made id (so ids increase from one transaction to the next)
    /// and the device state the last commit left.
    carry: &'c mut Carry,
    /// Seqs of appended events about an order, written to its `history` at the end.
    histories: Vec<(OrderId, u64)>,
    /// The `aggregate_id` column of each appended event, in order.
    keys: Vec<String>,
    /// Stock on hand of products as this transaction last read or moved it.
    stock: HashMap<ProductId, i64, foldhash::fast::RandomState>,
}

impl Deref for WriteTx<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.tx
    }
}

/// The device row with its counters: the highest of each floor and the newest event
/// (by `seq`, the right edge of its B-tree) or order (by serial, ditto).
pub(crate) fn load_device(conn: &Connection) -> Result<Option<DeviceState>, StoreError> {
    conn.prepare_cached(
        "SELECT d.device_id, d.tenant_id, d.device_code, d.last_seq, d.last_hlc, d.last_order_no, d.acked_seq,
                e.seq, e.hlc, (SELECT max(n) FROM orders)
         FROM device AS d LEFT JOIN (SELECT seq, hlc FROM events ORDER BY seq DESC LIMIT 1) AS e
         WHERE d.singleton = 1",
    )?
    .query_row([], |r| {
        let floor_hlc = super::rows::parse(r, 4, Hlc::parse)?;
        let newest_hlc = super::rows::parse_opt(r, 8, Hlc::parse)?;
        Ok(DeviceState {
            device_id: super::rows::parse(r, 0, DeviceId::parse)?,
            tenant_id: super::rows::parse(r, 1, TenantId::parse)?,
            device_code: super::rows::parse(r, 2, DeviceCode::parse)?,
            last_seq: r.get::<_, u64>(3)?.max(r.get::<_, Option<u64>>(7)?.unwrap_or(0)),
            last_hlc: newest_hlc.map_or(floor_hlc, |h| h.max(floor_hlc)),
            last_order_no: r.get::<_, u64>(5)?.max(r.get::<_, Option<u64>>(9)?.unwrap_or(0)),
            acked_seq: r.get(6)?,
        })
    })
    .optional()
    .map_err(StoreError::from)
}

fn table_of(a: Aggregate) -> &'static str {
    match a {
        Aggregate::Tenant => "SELECT 1 FROM tenants WHERE id = ?1",
        Aggregate::Device => "SELECT 1 FROM device WHERE device_id = ?1",
        Aggregate::Operator => "SELECT 1 FROM operators WHERE id = ?1",
        Aggregate::Product => "SELECT 1 FROM products WHERE id = ?1",
        Aggregate::Order => "SELECT 1 FROM orders WHERE id = ?1",
        Aggregate::CashSession => "SELECT 1 FROM cash_sessions WHERE id = ?1",
        Aggregate::Content => "SELECT 1 FROM content_nodes WHERE id = ?1",
        Aggregate::Category => "SELECT 1 FROM categories WHERE id = ?1",
    }
}

impl<'c> WriteTx<'c> {
    pub(super) fn new(tx: Transaction<'c>, meta: &'c EventMeta<'c>, carry: &'c mut Carry) -> Self {
        Self {
            tx,
            meta,
            device: None,
            appended: Vec::new(),
            known: HashSet::default(),
            now_text: meta.now.to_rfc3339(),
            carry,
            histories: Vec::new(),
            keys: Vec::new(),
            stock: HashMap::default(),
        }
    }

    /// A new UUIDv7 for an entity or event made in this transaction. Ids from one
    /// store increase strictly, even within a millisecond, so a new order lands at
    /// the right edge of the indexes on ids instead of splitting a full page in the
    /// middle (which rewrites it and its siblings).
    pub fn new_id(&mut self) -> uuid::Uuid {
        let id = uuid_v7_after(self.meta.now, self.meta.entropy, self.carry.last_id);
        self.carry.last_id = Some(id);
        id
    }

    /// The command's wall time as stored text (RFC 3339).
    pub fn now_text(&self) -> &str {
        &self.now_text
    }

    /// The command's wall time.
    pub fn now(&self) -> Timestamp {
        self.meta.now
    }

    /// The device state, read once per transaction: carried over from the last
    /// commit when no other connection has committed since, loaded otherwise.
    fn device(&mut self) -> Result<&mut DeviceState, StoreError> {
        if self.device.is_none() {
            let version: i64 = self
                .tx
                .prepare_cached("PRAGMA data_version")?
                .query_row([], |r| r.get(0))?;
            // Taken, not copied: if this transaction fails, the next one loads.
            let state = match self.carry.device.take() {
                Some((v, state)) if v == version => state,
                _ => load_device(&self.tx)?.ok_or(StoreError::NotSetUp)?,
            };
            self.device = Some((version, state));
        }
        // Just set above when it was missing.
        self.device
            .as_mut()
            .map(|(_, d)| d)
            .ok_or(StoreError::NotSetUp)
    }

    /// Records a product's stock on hand as this transaction has just read or moved
    /// it. Stock changes only through movements, so the figure holds until the next
    /// movement of that product, which records its own.
    pub fn know_stock(&mut self, product: ProductId, on_hand: i64) {
        self.stock.insert(product, on_hand);
    }

    /// A product's stock on hand as this transaction last read or moved it.
    pub fn known_stock(&self, product: ProductId) -> Option<i64> {
        self.stock.get(&product).copied()
    }

    /// Records that this transaction has just inserted or read the row `id` of
    /// `aggregate`, so events naming it need not look it up again.
    pub fn vouch(&mut self, aggregate: Aggregate, id: uuid::Uuid) {
        self.known.insert((aggregate, id));
    }

    /// Observes the HLC time of an event from elsewhere: this device's next events
    /// come after it (DESIGN §7). A time more than ten minutes past this device's
    /// clock is observed as ten minutes past it, so one far-off clock elsewhere
    /// cannot drag every later write along.
    pub fn observe(&mut self, remote: Hlc) -> Result<(), StoreError> {
        let now = self.meta.now;
        let cap = Hlc::parse(&format!(
            "{:013}-0000",
            now.unix_millis().saturating_add(OBSERVE_AHEAD_MS).max(0)
        ))
        .unwrap_or(remote);
        let d = self.device()?;
        d.last_hlc = d.last_hlc.observe(remote.min(cap), now);
        Ok(())
    }

    /// This device's identity, read once per transaction.
    pub fn identity(&mut self) -> Result<super::DeviceIdentity, StoreError> {
        let d = self.device()?;
        Ok(super::DeviceIdentity {
            device_id: d.device_id,
            tenant_id: d.tenant_id,
            device_code: d.device_code.clone(),
        })
    }

    /// The next order number of this device, consumed only if the transaction commits.
    pub fn next_order_number(&mut self) -> Result<OrderNumber, StoreError> {
        let d = self.device()?;
        d.last_order_no += 1;
        Ok(OrderNumber::new(&d.device_code, d.last_order_no))
    }

    /// Validates `event`, checks that what it refers to exists, and appends it with
    /// the next `seq` and HLC. An error here aborts the whole transaction.
    pub fn append(&mut self, event: impl Into<DomainEvent>) -> Result<&Envelope, StoreError> {
        let event = event.into();
        let event_type = event.event_type().as_str();
        event
            .validate()
            .map_err(|source| StoreError::InvalidEvent { event_type, source })?;
        for (aggregate, id) in event.references() {
            // Rows are never deleted, so a reference checked once in this
            // transaction stays valid for the rest of it.
            if self.known.contains(&(aggregate, id)) {
                continue;
            }
            let found = self
                .tx
                .prepare_cached(table_of(aggregate))?
                .exists([id.to_string()])?;
            if !found {
                return Err(StoreError::MissingReference {
                    event_type,
                    aggregate,
                    id,
                });
            }
            self.known.insert((aggregate, id));
        }
        let data = event.payload_raw()?;
        let meta = self.meta;
        let id = EventId::from_uuid(self.new_id());
        let d = self.device()?;
        d.last_seq += 1;
        d.last_hlc = d.last_hlc.tick(meta.now);
        let env = Envelope {
            id,
            event_type: event_type.to_owned(),
            schema_version: event.event_type().current_version(),
            tenant_id: d.tenant_id,
            device_id: d.device_id,
            seq: d.last_seq,
            hlc: d.last_hlc,
            occurred_at: meta.now,
            actor_id: meta.actor_id,
            correlation_id: meta.correlation_id,
            causation_id: meta.causation_id,
            origin: meta.origin,
            data,
        };
        // This device's write to a replicated record, with its own stamp: a change
        // pulled later wins over it only with a greater one (DESIGN §7).
        if let Some(change) = crate::domain::replica::change_of(&event) {
            super::replicas::merge_replica(&self.tx, &change, Stamp::of(&env))?;
        }
        // The row is written with the others at the end (one statement for many).
        self.keys.push(event.history_key().to_string());
        if let Some(order) = event.history_order() {
            self.histories.push((order, env.seq));
        }
        self.appended.push(env);
        // Just pushed.
        self.appended.last().ok_or(StoreError::NotSetUp)
    }

    /// Inserts the appended events, up to [`EVENTS_PER_INSERT`] rows a statement (a
    /// sale's nine in one instead of nine).
    fn insert_events(&self) -> Result<(), StoreError> {
        let Some(shared) = self.appended.first().map(SharedColumns::of) else {
            return Ok(());
        };
        for (run, keys) in self
            .appended
            .chunks(EVENTS_PER_INSERT)
            .zip(self.keys.chunks(EVENTS_PER_INSERT))
        {
            let texts: Vec<(String, String, &str, &str)> = run
                .iter()
                .map(|e| {
                    let (id, hlc) = (e.id.to_string(), e.hlc.to_string());
                    (id, hlc, e.origin.as_str(), e.data.get())
                })
                .collect();
            // The shared columns once (?1 to ?6), then each row's own eight.
            let mut values: Vec<&dyn rusqlite::ToSql> =
                Vec::with_capacity(SHARED_EVENT_VALUES + run.len() * OWN_EVENT_VALUES);
            values.extend_from_slice(&[
                &shared.tenant_id,
                &shared.device_id,
                &self.now_text,
                &shared.actor_id,
                &shared.correlation_id,
                &shared.causation_id,
            ]);
            for ((e, (id, hlc, origin, data)), key) in run.iter().zip(&texts).zip(keys) {
                values.extend_from_slice(&[
                    &e.seq,
                    id,
                    &e.event_type,
                    &e.schema_version,
                    hlc,
                    origin,
                    key,
                    data,
                ]);
            }
            self.tx
                .prepare_cached(&insert_events_sql(run.len()))?
                .execute(rusqlite::params_from_iter(values))?;
        }
        Ok(())
    }

    /// Writes the events and the orders' histories, and hands over the transaction,
    /// its events and the device state to carry once it has committed.
    pub(super) fn finish(self) -> Result<Finished<'c>, StoreError> {
        self.insert_events()?;
        let mut rest = self.histories.as_slice();
        while let Some(&(order, _)) = rest.first() {
            // One order's seqs, in order: a transaction is almost always about one.
            let n = rest.iter().take_while(|(o, _)| *o == order).count();
            let (batch, tail) = rest.split_at(n);
            rest = tail;
            let seqs = batch
                .iter()
                .map(|(_, seq)| seq.to_string())
                .collect::<Vec<_>>()
                .join(",");
            let updated = self
                .tx
                .prepare_cached(APPEND_HISTORY)?
                .execute(params![order.to_string(), seqs])?;
            if updated != 1 {
                // Unreachable: appending the event checked that the order exists.
                return Err(StoreError::MissingReference {
                    event_type: "order history",
                    aggregate: Aggregate::Order,
                    id: order.as_uuid(),
                });
            }
        }
        Ok((self.tx, self.appended, self.device))
    }
}

/// A finished write transaction, its events, and the device state it leaves.
pub(super) type Finished<'c> = (Transaction<'c>, Vec<Envelope>, Option<(i64, DeviceState)>);

/// Envelope columns that are the same for every event of a transaction (one device,
/// one command), formatted once.
struct SharedColumns {
    tenant_id: String,
    device_id: String,
    actor_id: Option<String>,
    correlation_id: String,
    causation_id: Option<String>,
}

impl SharedColumns {
    fn of(env: &Envelope) -> Self {
        Self {
            tenant_id: env.tenant_id.to_string(),
            device_id: env.device_id.to_string(),
            actor_id: env.actor_id.map(|a| a.to_string()),
            correlation_id: env.correlation_id.to_string(),
            causation_id: env.causation_id.map(|c| c.to_string()),
        }
    }
}

pub(super) const APPEND_HISTORY: &str =
    "UPDATE orders SET history = CASE history WHEN '' THEN ?2 ELSE history || ',' || ?2 END
     WHERE id = ?1";

/// Event rows written by one statement (8 values each and 6 shared, far under
/// SQLite's limit of 32,766 values).
const EVENTS_PER_INSERT: usize = 64;

/// Values every event of a transaction shares, bound once per statement as `?1` to
/// `?6`: tenant, device, time, actor, correlation, causation.
const SHARED_EVENT_VALUES: usize = 6;

/// Values of each event's own: seq, id, type, schema version, HLC, origin, aggregate,
/// data.
const OWN_EVENT_VALUES: usize = 8;

/// `INSERT INTO events` with `rows` rows of values: the shared ones are numbered `?1`
/// to `?6` in every row, each row's own follow in order (`?7` to `?14` for the
/// first).
pub(super) fn insert_events_sql(rows: usize) -> Cow<'static, str> {
    static SQL: RowCountSql = RowCountSql::new(EVENTS_PER_INSERT, events_sql);
    SQL.get(rows)
}

fn events_sql(rows: usize) -> String {
    use std::fmt::Write as _;
    let mut sql = String::with_capacity(200 + rows * 80);
    sql.push_str(
        "INSERT INTO events (seq, id, type, schema_version, tenant_id, device_id, hlc, occurred_at,
         actor_id, correlation_id, causation_id, origin, aggregate_id, data) VALUES ",
    );
    for r in 0..rows {
        let b = SHARED_EVENT_VALUES + r * OWN_EVENT_VALUES;
        if r > 0 {
            sql.push_str(", ");
        }
        // Writing to a String cannot fail.
        let _ = write!(
            sql,
            "(?{}, ?{}, ?{}, ?{}, ?1, ?2, ?{}, ?3, ?4, ?5, ?6, ?{}, ?{}, ?{})",
            b + 1,
            b + 2,
            b + 3,
            b + 4,
            b + 5,
            b + 6,
            b + 7,
            b + 8
        );
    }
    sql
}

const ENVELOPE_COLUMNS: &str =
    "id, type, schema_version, tenant_id, device_id, seq, hlc, occurred_at,
     actor_id, correlation_id, causation_id, origin, data";

fn envelope(r: &rusqlite::Row<'_>) -> rusqlite::Result<Envelope> {
    use super::rows::{parse, parse_opt};
    use crate::domain::clock::Timestamp;
    let data: String = r.get(12)?;
    Ok(Envelope {
        id: parse(r, 0, EventId::parse)?,
        event_type: r.get(1)?,
        schema_version: super::rows::u32_col(r, 2)?,
        tenant_id: parse(r, 3, TenantId::parse)?,
        device_id: parse(r, 4, DeviceId::parse)?,
        seq: r.get(5)?,
        hlc: parse(r, 6, Hlc::parse)?,
        occurred_at: parse(r, 7, Timestamp::parse_rfc3339)?,
        actor_id: parse_opt(r, 8, OperatorId::parse)?,
        correlation_id: parse(r, 9, CorrelationId::parse)?,
        causation_id: parse_opt(r, 10, EventId::parse)?,
        origin: parse(r, 11, Origin::parse)?,
        data: RawValue::from_string(data).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(12, rusqlite::types::Type::Text, Box::new(e))
        })?,
    })
}

/// Outbox state at a glance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboxStatus {
    /// Highest seq written.
    pub last_seq: u64,
    /// Events not yet acknowledged by central.
    pub pending: u64,
    /// Wall time of the oldest pending event.
    pub oldest_pending: Option<Timestamp>,
}

impl Store {
    /// Events with `seq > after`, in order, at most `limit`.
    pub fn events_after(&self, after: u64, limit: u32) -> Result<Vec<Envelope>, StoreError> {
        self.read(|c| {
            let mut st = c.prepare_cached(&format!(
                "SELECT {ENVELOPE_COLUMNS} FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2"
            ))?;
            let rows = st.query_map(params![after, limit], envelope)?;
            rows.collect::<Result<Vec<_>, _>>()
                .map_err(StoreError::from)
        })
    }

    /// The events about one order, in order.
    pub fn order_events(&self, order: OrderId) -> Result<Vec<Envelope>, StoreError> {
        self.read(|c| order_events(c, order))
    }

    /// Counts of the outbox.
    pub fn outbox_status(&self) -> Result<OutboxStatus, StoreError> {
        self.read(outbox_status_in)
    }

    /// Records that the central server holds every event up to and including `seq`
    /// (capped at the last event written; never moves back). Returns how many events
    /// were newly acknowledged.
    pub fn ack_through(&self, seq: u64) -> Result<u64, StoreError> {
        let mut conn = super::lock(&self.writer);
        // This writes the device row on the writer connection, which does not change
        // its `data_version`: the next write transaction must load the row again.
        super::lock(&self.carry).device = None;
        // Read and write in one transaction: a headless subcommand may write the same
        // file from another process.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let d = load_device(&tx)?.ok_or(StoreError::NotSetUp)?;
        let through = seq.min(d.last_seq);
        if through <= d.acked_seq {
            return Ok(0);
        }
        // The seq floor rises with it (`acked_seq <= last_seq` holds in the row).
        tx.prepare_cached(
            "UPDATE device SET acked_seq = ?1, last_seq = max(last_seq, ?1) WHERE singleton = 1",
        )?
        .execute([through])?;
        tx.commit()?;
        Ok(through - d.acked_seq)
    }

    /// Writes every unacknowledged event as one JSON envelope per line, in `seq`
    /// order. Returns how many were written.
    pub fn export_unsynced(&self, out: &mut dyn Write) -> Result<u64, StoreError> {
        self.read(|c| {
            let mut st = c.prepare(&format!(
                "SELECT {ENVELOPE_COLUMNS} FROM events WHERE seq > (SELECT acked_seq FROM device) ORDER BY seq"
            ))?;
            let mut rows = st.query([])?;
            let mut n = 0;
            while let Some(r) = rows.next()? {
                serde_json::to_writer(&mut *out, &envelope(r)?)?;
                out.write_all(b"\n")?;
                n += 1;
            }
            out.flush()?;
            Ok(n)
        })
    }
}

/// The event with sequence number `seq`.
pub(crate) fn events_of_seq(c: &Connection, seq: u64) -> Result<Option<Envelope>, StoreError> {
    c.prepare_cached(&format!(
        "SELECT {ENVELOPE_COLUMNS} FROM events WHERE seq = ?1"
    ))?
    .query_row([seq], envelope)
    .optional()
    .map_err(StoreError::from)
}

/// The events about one order (its own and the stock it moved), in order: the seqs
/// its row lists, each read by key.
pub fn order_events(c: &Connection, order: OrderId) -> Result<Vec<Envelope>, StoreError> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {ENVELOPE_COLUMNS} FROM events
         WHERE seq IN (SELECT value FROM json_each('[' || (SELECT history FROM orders WHERE id = ?1) || ']'))
         AND aggregate_id = ?1 ORDER BY seq"
    ))?;
    let rows = st.query_map([order.to_string()], envelope)?;
    rows.collect::<Result<Vec<_>, _>>()
        .map_err(StoreError::from)
}

/// The sales and refunds made on this device while shift `session` was open (from
/// its opening event to its closing one, or to now), oldest first.
pub fn shift_events(c: &Connection, session: CashSessionId) -> Result<Vec<Envelope>, StoreError> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {ENVELOPE_COLUMNS} FROM events
         WHERE type IN ('OrderPaid', 'OrderRefunded')
         AND seq > (SELECT min(seq) FROM events WHERE aggregate_id = ?1)
         AND seq < coalesce(
             (SELECT max(seq) FROM events WHERE aggregate_id = ?1 AND type = 'CashSessionClosed'),
             9223372036854775807)
         ORDER BY seq"
    ))?;
    let rows = st.query_map([session.to_string()], envelope)?;
    rows.collect::<Result<Vec<_>, _>>()
        .map_err(StoreError::from)
}

/// Outbox counts as seen by `c` (inside a write transaction, counting its own events).
pub fn outbox_status_in(c: &Connection) -> Result<OutboxStatus, StoreError> {
    let Some(d) = load_device(c)? else {
        return Ok(OutboxStatus {
            last_seq: 0,
            pending: 0,
            oldest_pending: None,
        });
    };
    let oldest: Option<String> = c
        .prepare_cached("SELECT occurred_at FROM events WHERE seq = ?1")?
        .query_row([d.acked_seq + 1], |r| r.get(0))
        .optional()?;
    let oldest_pending = oldest
        .map(|s| Timestamp::parse_rfc3339(&s))
        .transpose()
        .map_err(|source| StoreError::Corrupt {
            column: "events.occurred_at",
            source,
        })?;
    Ok(OutboxStatus {
        last_seq: d.last_seq,
        pending: d.last_seq - d.acked_seq,
        oldest_pending,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows number their own values on from the shared six, one statement's worth
    /// from the table and more than that written on demand, all alike.
    #[test]
    fn event_insert_numbers_each_rows_values_after_the_shared_ones() {
        let one = insert_events_sql(1);
        assert!(one.ends_with("(?7, ?8, ?9, ?10, ?1, ?2, ?11, ?3, ?4, ?5, ?6, ?12, ?13, ?14)"));
        let full = insert_events_sql(EVENTS_PER_INSERT);
        let last = SHARED_EVENT_VALUES + EVENTS_PER_INSERT * OWN_EVENT_VALUES;
        assert!(full.ends_with(&format!("?{})", last)), "{full}");
        assert_eq!(full.matches("?1,").count(), EVENTS_PER_INSERT);
        assert!(matches!(full, Cow::Borrowed(_)));
        let beyond = insert_events_sql(EVENTS_PER_INSERT + 1);
        assert!(matches!(beyond, Cow::Owned(_)));
        assert!(beyond.ends_with(&format!("?{})", last + OWN_EVENT_VALUES)));
        assert!(beyond.starts_with(full.as_ref()));
    }
}

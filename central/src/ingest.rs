//! Ingest, written once for every backend: [`check`] decides what central makes of
//! each received event (decoding goes through the domain's upcaster registry, so an
//! old event version is accepted exactly when the domain can read it), and [`apply`]
//! applies a checked batch over a backend's [`IngestTx`].

use crate::CentralError;
use rustok_domain::event::{
    payments_total, DomainEvent, Envelope, EventDecodeError, EventType, Origin, Reach,
};
use rustok_domain::hlc::Hlc;
use rustok_domain::ids::EventId;
use rustok_domain::replica::{change_of, Change, Kind, Replica, Stamp};
use rustok_domain::upcast::Upcasters;
use rustok_protocol::{PushResponse, RejectCode, Rejection};
use std::future::Future;

/// What an accepted event adds to the report tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Derived {
    /// Nothing.
    Nothing,
    /// An order was created in this currency.
    OrderCurrency {
        /// Order.
        order_id: String,
        /// ISO 4217.
        currency: String,
    },
    /// An order was paid.
    Paid {
        /// Order.
        order_id: String,
        /// Sum of its payments.
        amount: i64,
    },
    /// An order was refunded.
    Refunded {
        /// Order.
        order_id: String,
        /// Amount given back.
        amount: i64,
    },
}

/// Central's decision on one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Store it.
    Accept(Derived),
    /// Quarantine it.
    Reject(RejectCode, String),
}

/// What one ingest did: the answer for the device, and what it stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ingested {
    /// The answer.
    pub reply: PushResponse,
    /// Events newly stored (taken out of quarantine included).
    pub stored: u64,
    /// Events newly quarantined.
    pub quarantined: u64,
    /// Entries added to the tenant's feed.
    pub fed: u64,
}

/// An event with its verdict.
#[derive(Debug, Clone)]
pub struct Checked {
    /// Its seq on the device.
    pub seq: u64,
    /// Its id (nil when it had none that parses).
    pub id: EventId,
    /// The event, when it parses as an envelope (always, when accepted).
    pub envelope: Option<Envelope>,
    /// The event as received, JSON (what quarantine keeps).
    pub raw: String,
    /// What to do with it.
    pub verdict: Verdict,
    /// What it writes to a replicated record (accepted events only).
    pub change: Option<Change>,
}

/// An event that does not parse as an envelope but says where it belongs: its seq
/// (and maybe its id). It is quarantined like any other bad event, so the events
/// behind it keep flowing.
pub fn malformed(seq: u64, id: Option<EventId>, raw: String, why: &str) -> Checked {
    Checked {
        seq,
        id: id.unwrap_or_else(|| EventId::from_uuid(uuid::Uuid::nil())),
        envelope: None,
        raw,
        verdict: Verdict::Reject(
            RejectCode::Malformed,
            format!("not an event envelope: {why}"),
        ),
        change: None,
    }
}

/// Decides what to do with one event, `raw` being its text as received (what is
/// stored). Never panics: an event central cannot process for any reason, a bug of
/// its own included, is quarantined, so the events behind it keep flowing.
pub fn check(envelope: Envelope, raw: &str, upcasters: &Upcasters) -> Checked {
    check_from(Origin::Device, envelope, raw, upcasters)
}

/// [`check`] for a head-office change, made by central itself (origin central).
pub fn check_office(envelope: Envelope, raw: &str, upcasters: &Upcasters) -> Checked {
    check_from(Origin::Central, envelope, raw, upcasters)
}

fn check_from(origin: Origin, envelope: Envelope, raw: &str, upcasters: &Upcasters) -> Checked {
    let (verdict, change) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        verdict(origin, &envelope, upcasters)
    }))
    .unwrap_or_else(|_| {
        tracing::error!(seq = envelope.seq, event_type = %envelope.event_type, "checking an event panicked; quarantined");
        (
            Verdict::Reject(
                RejectCode::Invalid,
                "central could not process this event; it was quarantined and logged".to_owned(),
            ),
            None,
        )
    });
    Checked {
        seq: envelope.seq,
        id: envelope.id,
        envelope: Some(envelope),
        raw: raw.to_owned(),
        verdict,
        change,
    }
}

fn verdict(
    origin: Origin,
    envelope: &Envelope,
    upcasters: &Upcasters,
) -> (Verdict, Option<Change>) {
    if envelope.origin != origin {
        let why = match origin {
            Origin::Device => {
                "a device may only push events that happened on a device (origin \"device\")"
            }
            Origin::Central => "head office writes only events of origin \"central\"",
        };
        return (Verdict::Reject(RejectCode::Invalid, why.to_owned()), None);
    }
    match envelope.decode(upcasters) {
        Ok(event) => {
            let verdict = derive(&event);
            let change = matches!(verdict, Verdict::Accept(_))
                .then(|| change_of(&event))
                .flatten();
            (verdict, change)
        }
        Err(e) => {
            let code = match &e {
                EventDecodeError::UnknownType(_) => RejectCode::UnknownType,
                EventDecodeError::UnknownSchemaVersion { .. } | EventDecodeError::Upcast { .. } => {
                    RejectCode::UnknownVersion
                }
                EventDecodeError::Malformed { .. } => RejectCode::Malformed,
                EventDecodeError::Invalid { .. } => RejectCode::Invalid,
            };
            (Verdict::Reject(code, e.to_string()), None)
        }
    }
}

fn derive(event: &DomainEvent) -> Verdict {
    Verdict::Accept(match event {
        DomainEvent::OrderCreated(p) => Derived::OrderCurrency {
            order_id: p.order_id.to_string(),
            currency: p.currency.as_str().to_owned(),
        },
        DomainEvent::OrderPaid(p) => {
            // Validation bounds each payment and their sum; checked all the same.
            let Some(amount) = payments_total(&p.payments) else {
                return Verdict::Reject(
                    RejectCode::Invalid,
                    "the payments add up to more than any amount a shop can hold".to_owned(),
                );
            };
            Derived::Paid {
                order_id: p.order_id.to_string(),
                amount,
            }
        }
        DomainEvent::OrderRefunded(p) => Derived::Refunded {
            order_id: p.order_id.to_string(),
            amount: p.refund.amount,
        },
        _ => Derived::Nothing,
    })
}

// ---------------------------------------------------------------------------------
// The ingest algorithm, written once over a small transactional storage interface.
// ---------------------------------------------------------------------------------

/// An accepted event to store at its device's seq.
#[derive(Debug, Clone, Copy)]
pub struct NewEvent<'a> {
    /// The event.
    pub envelope: &'a Envelope,
    /// The event as received, JSON.
    pub raw: &'a str,
}

/// An event to quarantine at its device's seq.
#[derive(Debug, Clone, Copy)]
pub struct Quarantined<'a> {
    /// Its seq.
    pub seq: u64,
    /// Its id (nil when it had none that parses).
    pub id: EventId,
    /// Why.
    pub code: RejectCode,
    /// Why, for people.
    pub message: &'a str,
    /// The event as received.
    pub raw: &'a str,
}

/// What central already holds at some seqs of one device.
#[derive(Debug, Clone, Default)]
pub struct Held {
    /// Stored events: seq → id.
    pub events: std::collections::HashMap<u64, EventId>,
    /// Quarantined events: seq → the rejection they got.
    pub quarantined: std::collections::HashMap<u64, Rejection>,
}

/// What one committed ingest changed in a device's counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CountDelta {
    /// Events newly stored (taken out of quarantine included).
    pub stored: u64,
    /// Events newly quarantined.
    pub quarantined: u64,
    /// Events taken out of quarantine.
    pub released: u64,
}

/// One device's ingest transaction: what the algorithm needs of a database. A
/// backend opens it with the device's row locked (no other ingest of the same
/// device runs until it commits or is dropped); dropping it uncommitted rolls back.
/// The uniqueness of `(device, seq)` and of an event id within its tenant is the
/// database's (a constraint), never a check made before an insert.
pub trait IngestTx: Send {
    /// The highest contiguous seq held for the device.
    fn acked_through(&mut self) -> impl Future<Output = Result<u64, CentralError>> + Send;
    /// What is held at `seqs` (each at most the acknowledged seq; a batch's worth).
    fn held(&mut self, seqs: &[u64]) -> impl Future<Output = Result<Held, CentralError>> + Send;
    /// Stores events (one statement or one prepared loop, in this transaction);
    /// returns the seqs stored. An event whose id the tenant already holds is not
    /// stored, and not an error.
    fn insert(
        &mut self,
        events: &[NewEvent<'_>],
    ) -> impl Future<Output = Result<Vec<u64>, CentralError>> + Send;
    /// Quarantines events.
    fn quarantine(
        &mut self,
        events: &[Quarantined<'_>],
    ) -> impl Future<Output = Result<(), CentralError>> + Send;
    /// Takes events out of quarantine (they were stored again).
    fn release(&mut self, seqs: &[u64]) -> impl Future<Output = Result<(), CentralError>> + Send;
    /// Adds to the report tables what stored events derive.
    fn derive(
        &mut self,
        rows: &[(&Envelope, &Derived)],
    ) -> impl Future<Output = Result<(), CentralError>> + Send;
    /// The replicas of these records of the device's tenant (those that exist).
    fn replicas(
        &mut self,
        keys: &[(Kind, uuid::Uuid)],
    ) -> impl Future<
        Output = Result<std::collections::HashMap<(Kind, uuid::Uuid), Replica>, CentralError>,
    > + Send;
    /// Stores replicas of the device's tenant (inserted or replaced).
    fn put_replicas(
        &mut self,
        rows: &[Record<'_>],
    ) -> impl Future<Output = Result<(), CentralError>> + Send;
    /// Appends stored events of the device to its tenant's feed, in seq order, at the
    /// next positions (an event of [`Reach::Store`] only for its store). Called last
    /// before [`IngestTx::commit`]: the tenant's feed head stays locked until the
    /// commit, so positions become visible in order and a reader never skips one.
    /// `last_hlc` is the greatest HLC among them (the feed keeps the greatest ever).
    fn feed(
        &mut self,
        seqs: &[(u64, Reach)],
        last_hlc: Hlc,
    ) -> impl Future<Output = Result<(), CentralError>> + Send;
    /// Records the new highest contiguous seq and the count changes, and commits.
    fn commit(
        self,
        acked_through: u64,
        delta: CountDelta,
    ) -> impl Future<Output = Result<(), CentralError>> + Send;
}

/// Applies a checked batch of one device in `tx` (invariant 16): a seq already held
/// is a resend (its rejection is reported again; a quarantined event that central
/// now accepts is stored; a different event there is a seq conflict); the next seq
/// is stored or quarantined; a gap stops the batch and names the seq expected. The
/// reply is the highest contiguous seq held after the commit.
pub async fn apply<T: IngestTx>(mut tx: T, batch: &[Checked]) -> Result<Ingested, CentralError> {
    let start = tx.acked_through().await?;
    // Only the seqs resent, never a range: a batch naming seq 1 of a device that
    // holds a million must not read them all.
    let resent: Vec<u64> = batch
        .iter()
        .map(|i| i.seq)
        .filter(|s| *s <= start)
        .collect();
    let held = if resent.is_empty() {
        Held::default()
    } else {
        tx.held(&resent).await?
    };
    let mut acked = start;
    let mut expected = None;
    let mut rejected = Vec::new();
    // In batch order, so the first of two events with one id is the one stored: new
    // events (None) and quarantined ones accepted now (their old rejection).
    let mut to_insert: Vec<(&Checked, Option<&Rejection>)> = Vec::new();
    // Quarantined seqs already being released by this batch (a batch that resends
    // one twice releases it once).
    let mut releasing: std::collections::HashSet<u64> = std::collections::HashSet::new();
    let mut to_quarantine: Vec<Quarantined<'_>> = Vec::new();
    // Seqs decided in this batch, with their ids (a batch that names a seq twice).
    let mut decided: std::collections::HashMap<u64, EventId> = std::collections::HashMap::new();
    for item in batch {
        let (seq, id) = (item.seq, item.id);
        if seq <= acked {
            if seq > start {
                if decided.get(&seq) != Some(&id) {
                    rejected.push(conflict(seq, id));
                }
            } else if let Some(r) = held.quarantined.get(&seq) {
                if releasing.contains(&seq) && r.id == id {
                    continue;
                }
                match (&item.verdict, &item.envelope) {
                    // Sent again from the device's dead letters and accepted now
                    // (central was upgraded since): out of quarantine.
                    (Verdict::Accept(_), Some(_))
                        if r.id == id && r.code != RejectCode::SeqConflict =>
                    {
                        releasing.insert(seq);
                        to_insert.push((item, Some(r)));
                    }
                    _ if r.id != id => rejected.push(conflict(seq, id)),
                    _ => rejected.push(r.clone()),
                }
            } else if held.events.get(&seq) != Some(&id) {
                rejected.push(conflict(seq, id));
            }
            continue;
        }
        let next = acked.checked_add(1);
        if Some(seq) != next {
            expected = next;
            break;
        }
        match (&item.verdict, &item.envelope) {
            (Verdict::Accept(_), Some(_)) => to_insert.push((item, None)),
            (Verdict::Accept(_), None) => to_quarantine.push(quarantined(
                item,
                RejectCode::Malformed,
                "not an event envelope",
            )),
            (Verdict::Reject(code, message), _) => {
                to_quarantine.push(quarantined(item, *code, message));
            }
        }
        decided.insert(seq, id);
        acked = seq;
    }
    let new_events: Vec<NewEvent<'_>> = to_insert
        .iter()
        .filter_map(|(item, _)| {
            item.envelope.as_ref().map(|envelope| NewEvent {
                envelope,
                raw: &item.raw,
            })
        })
        .collect();
    let stored: std::collections::HashSet<u64> = if new_events.is_empty() {
        std::collections::HashSet::new()
    } else {
        tx.insert(&new_events).await?.into_iter().collect()
    };
    let mut delta = CountDelta::default();
    let mut derived = Vec::new();
    let mut released = Vec::new();
    for (item, release) in &to_insert {
        match (stored.contains(&item.seq), release) {
            (true, None) => derived.extend(derivation(item)),
            (true, Some(_)) => {
                released.push(item.seq);
                derived.extend(derivation(item));
            }
            // The id is held at another (device, seq) of this tenant: never twice.
            (false, None) => to_quarantine.push(quarantined(
                item,
                RejectCode::SeqConflict,
                "event id already held at another seq",
            )),
            (false, Some(r)) => rejected.push((*r).clone()),
        }
    }
    delta.stored = u64::try_from(derived.len()).unwrap_or(u64::MAX);
    delta.released = u64::try_from(released.len()).unwrap_or(u64::MAX);
    delta.quarantined = u64::try_from(to_quarantine.len()).unwrap_or(u64::MAX);
    if !released.is_empty() {
        tx.release(&released).await?;
    }
    if !to_quarantine.is_empty() {
        to_quarantine.sort_by_key(|q| q.seq);
        tx.quarantine(&to_quarantine).await?;
        rejected.extend(to_quarantine.iter().map(|q| Rejection {
            seq: q.seq,
            id: q.id,
            code: q.code,
            message: q.message.to_owned(),
        }));
    }
    let rows: Vec<(&Envelope, &Derived)> = derived
        .iter()
        .filter(|(_, d)| **d != Derived::Nothing)
        .map(|(e, d)| (*e, *d))
        .collect();
    if !rows.is_empty() {
        tx.derive(&rows).await?;
    }
    let mut changes: Vec<(Stamp, &Change)> = to_insert
        .iter()
        .filter(|(item, _)| stored.contains(&item.seq))
        .filter_map(|(item, _)| Some((Stamp::of(item.envelope.as_ref()?), item.change.as_ref()?)))
        .collect();
    if !changes.is_empty() {
        changes.sort_by_key(|(s, _)| *s);
        let mut keys: Vec<(Kind, uuid::Uuid)> =
            changes.iter().map(|(_, c)| (c.kind, c.id)).collect();
        keys.sort_unstable();
        keys.dedup();
        let mut held = tx.replicas(&keys).await?;
        let mut moved = std::collections::BTreeSet::new();
        for (stamp, c) in &changes {
            if held
                .entry((c.kind, c.id))
                .or_default()
                .merge(c, *stamp)
                .stamps
            {
                moved.insert((c.kind, c.id));
            }
        }
        let rows: Vec<Record<'_>> = moved
            .iter()
            .filter_map(|k| Some(Record::of(k.0, k.1, held.get(k)?)))
            .collect();
        if !rows.is_empty() {
            tx.put_replicas(&rows).await?;
        }
    }
    let mut feed: Vec<(u64, Reach)> = derived
        .iter()
        .filter_map(|(e, _)| {
            let reach = EventType::parse(&e.event_type)?.reach();
            (reach != Reach::Device).then_some((e.seq, reach))
        })
        .collect();
    if !feed.is_empty() {
        feed.sort_by_key(|(seq, _)| *seq);
        let last_hlc = derived
            .iter()
            .map(|(e, _)| e.hlc)
            .max()
            .unwrap_or(Hlc::ZERO);
        tx.feed(&feed, last_hlc).await?;
    }
    tx.commit(acked, delta).await?;
    rejected.sort_by_key(|r| r.seq);
    Ok(Ingested {
        reply: PushResponse {
            acked_through: acked,
            expected,
            rejected,
        },
        stored: delta.stored,
        quarantined: delta.quarantined,
        fed: u64::try_from(feed.len()).unwrap_or(u64::MAX),
    })
}

/// The envelope and derivation of an accepted event.
fn derivation(item: &Checked) -> Option<(&Envelope, &Derived)> {
    match (&item.verdict, &item.envelope) {
        (Verdict::Accept(d), Some(e)) => Some((e, d)),
        _ => None,
    }
}

fn quarantined<'a>(item: &'a Checked, code: RejectCode, message: &'a str) -> Quarantined<'a> {
    Quarantined {
        seq: item.seq,
        id: item.id,
        code,
        message,
        raw: &item.raw,
    }
}

/// A different event at a seq central already holds.
fn conflict(seq: u64, id: EventId) -> Rejection {
    Rejection {
        seq,
        id,
        code: RejectCode::SeqConflict,
        message: format!("central holds another event at seq {seq}; this device's log was rewound"),
    }
}

/// A replica to store, with a product's SKU and barcode for clash lookups.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    /// Its kind.
    pub kind: Kind,
    /// Its id.
    pub id: uuid::Uuid,
    /// The replica.
    pub replica: &'a Replica,
    /// A product's SKU.
    pub sku: Option<&'a str>,
    /// A product's barcode.
    pub barcode: Option<&'a str>,
}

impl<'a> Record<'a> {
    /// The record of `replica`, with its lookup keys.
    pub fn of(kind: Kind, id: uuid::Uuid, replica: &'a Replica) -> Record<'a> {
        let text = |f: &str| {
            (kind == Kind::Product)
                .then(|| replica.fields.get(f)?.value.as_str())
                .flatten()
        };
        Record {
            kind,
            id,
            replica,
            sku: text("sku"),
            barcode: text("barcode"),
        }
    }
}

/// The replicas that stored events make, merged in the order given (any order
/// gives the same): for filling a backend's replicas from the events it held before
/// it kept them. Events that do not decode or write no record are passed over.
pub fn replay<'e>(
    events: impl IntoIterator<Item = &'e Envelope>,
    upcasters: &Upcasters,
) -> std::collections::BTreeMap<(Kind, uuid::Uuid), Replica> {
    let mut out: std::collections::BTreeMap<(Kind, uuid::Uuid), Replica> = Default::default();
    for e in events {
        let Some(change) = e.decode(upcasters).ok().as_ref().and_then(change_of) else {
            continue;
        };
        out.entry((change.kind, change.id))
            .or_default()
            .merge(&change, Stamp::of(e));
    }
    out
}

//! The pure half of ingest: what central makes of each received event before the
//! store applies a batch. Decoding goes through the core's upcaster registry, so an
//! old event version is accepted exactly when the core can read it.

use rustok_domain::event::{payments_total, DomainEvent, Envelope, EventDecodeError, Origin};
use rustok_domain::ids::EventId;
use rustok_domain::upcast::Upcasters;
use rustok_protocol::RejectCode;

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
    }
}

/// Decides what to do with one event. Never panics: an event central cannot process
/// for any reason, a bug of its own included, is quarantined, so the events behind
/// it keep flowing.
pub fn check(envelope: Envelope, upcasters: &Upcasters) -> Checked {
    let verdict = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        verdict(&envelope, upcasters)
    }))
    .unwrap_or_else(|_| {
        tracing::error!(seq = envelope.seq, event_type = %envelope.event_type, "checking an event panicked; quarantined");
        Verdict::Reject(
            RejectCode::Invalid,
            "central could not process this event; it was quarantined and logged".to_owned(),
        )
    });
    // Serialising a parsed envelope cannot fail (its payload is already JSON).
    let raw = serde_json::to_string(&envelope).unwrap_or_default();
    Checked {
        seq: envelope.seq,
        id: envelope.id,
        envelope: Some(envelope),
        raw,
        verdict,
    }
}

fn verdict(envelope: &Envelope, upcasters: &Upcasters) -> Verdict {
    if envelope.origin != Origin::Device {
        return Verdict::Reject(
            RejectCode::Invalid,
            "a device may only push events that happened on a device (origin \"device\")"
                .to_owned(),
        );
    }
    match envelope.decode(upcasters) {
        Ok(event) => derive(&event),
        Err(e) => {
            let code = match &e {
                EventDecodeError::UnknownType(_) => RejectCode::UnknownType,
                EventDecodeError::UnknownSchemaVersion { .. } | EventDecodeError::Upcast { .. } => {
                    RejectCode::UnknownVersion
                }
                EventDecodeError::Malformed { .. } => RejectCode::Malformed,
                EventDecodeError::Invalid { .. } => RejectCode::Invalid,
            };
            Verdict::Reject(code, e.to_string())
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

//! Upcasters: turn a stored payload of an older schema version into the next one, so
//! that events written by an older app still decode after an upgrade.
//!
//! Register one step per `(type, from_version)`; decoding chains them up to the
//! current version. A step that is missing is an error, never a guess.

use crate::event::{EventDecodeError, EventType};
use serde_json::Value;
use std::collections::HashMap;

/// Why an upcaster step failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpcastError {
    /// No step is registered from this version.
    #[error("no upcaster is registered for this version")]
    Missing,
    /// The old payload lacks what the step needs.
    #[error("the old payload is not as expected: {0}")]
    Unexpected(&'static str),
}

/// One step: payload at version `v` → payload at `v + 1`.
pub type UpcastFn = fn(Value) -> Result<Value, UpcastError>;

/// The registry of upcaster steps.
#[derive(Debug, Clone, Default)]
pub struct Upcasters {
    steps: HashMap<(EventType, u32), UpcastFn>,
}

impl Upcasters {
    /// The steps this version of the app ships; bumping a version adds its step here
    /// together with a fixture of the new version (the old one stays, decoded by a
    /// test for ever).
    pub fn standard() -> Self {
        let mut u = Self::default();
        u.register(EventType::OrderRefunded, 1, order_refunded_v1_to_v2);
        u.register(EventType::TicketIssued, 1, ticket_issued_v1_to_v2);
        u
    }

    /// Registers the step from `from_version` to `from_version + 1` of `t`.
    pub fn register(&mut self, t: EventType, from_version: u32, step: UpcastFn) -> &mut Self {
        self.steps.insert((t, from_version), step);
        self
    }

    /// Applies steps from `version` until the type's current version.
    pub fn upcast(
        &self,
        t: EventType,
        version: u32,
        mut value: Value,
    ) -> Result<Value, EventDecodeError> {
        for from in version..t.current_version() {
            let step = self.steps.get(&(t, from)).ok_or(EventDecodeError::Upcast {
                event_type: t.as_str(),
                from,
                source: UpcastError::Missing,
            })?;
            value = step(value).map_err(|source| EventDecodeError::Upcast {
                event_type: t.as_str(),
                from,
                source,
            })?;
        }
        Ok(value)
    }
}

/// `OrderRefunded` 1 → 2. Schema 1 refunded a whole order at once: one amount through
/// one tender, every line restocked or none. Schema 2 names lines and tenders; an old
/// refund is a refund of every line in full ([`RefundedItems::Every`], the payload
/// does not list the order's lines) through its one tender, and it completed the order.
///
/// [`RefundedItems::Every`]: crate::payment::RefundedItems::Every
pub fn order_refunded_v1_to_v2(mut v: Value) -> Result<Value, UpcastError> {
    let data = v
        .as_object_mut()
        .ok_or(UpcastError::Unexpected("the payload is not an object"))?;
    let old = data
        .remove("refund")
        .ok_or(UpcastError::Unexpected("no refund"))?;
    data.insert("refund".into(), refund_v1_to_v2(&old)?);
    data.insert("complete".into(), Value::Bool(true));
    Ok(v)
}

/// `TicketIssued` 1 → 2. Schema 1 kept the customer's number beside the ticket and
/// had no expiry; schema 2 keeps both in the ticket, as its code carries them. A
/// schema-1 ticket's code is of code version 1, which no till of schema 2 takes, so
/// its expiry is the Unix epoch: expired.
pub fn ticket_issued_v1_to_v2(mut v: Value) -> Result<Value, UpcastError> {
    let data = v
        .as_object_mut()
        .ok_or(UpcastError::Unexpected("the payload is not an object"))?;
    let number = data
        .remove("number")
        .filter(Value::is_u64)
        .ok_or(UpcastError::Unexpected("number is not a whole number"))?;
    let ticket = data
        .get_mut("ticket")
        .and_then(Value::as_object_mut)
        .ok_or(UpcastError::Unexpected("ticket is not an object"))?;
    ticket.insert("number".into(), number);
    ticket.insert(
        "expires_at".into(),
        Value::String("1970-01-01T00:00:00.000Z".into()),
    );
    Ok(v)
}

/// A schema-1 refund (`{amount, method, restock, reason?}`) as a schema-2 one. The
/// database migration to schema 6 does the same to stored orders in SQL; a test
/// holds the two to the same result.
pub fn refund_v1_to_v2(old: &Value) -> Result<Value, UpcastError> {
    let amount = old
        .get("amount")
        .and_then(Value::as_i64)
        .ok_or(UpcastError::Unexpected("refund.amount is not an integer"))?;
    let method = old
        .get("method")
        .and_then(Value::as_str)
        .ok_or(UpcastError::Unexpected("refund.method is not text"))?;
    let restock = old
        .get("restock")
        .and_then(Value::as_bool)
        .ok_or(UpcastError::Unexpected("refund.restock is not a boolean"))?;
    let mut new = serde_json::json!({
        "items": { "every": { "restock": restock } },
        "payments": [ { "method": method, "amount": amount } ],
        "amount": amount,
    });
    if let Some(reason) = old.get("reason").filter(|r| !r.is_null()) {
        new["reason"] = reason.clone();
    }
    Ok(new)
}

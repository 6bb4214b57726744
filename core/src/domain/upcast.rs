//! Upcasters: turn a stored payload of an older schema version into the next one, so
//! that events written by an older app still decode after an upgrade.
//!
//! Register one step per `(type, from_version)`; decoding chains them up to the
//! current version. A step that is missing is an error, never a guess.

use crate::domain::event::{EventDecodeError, EventType};
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
    /// The steps this version of the app ships. Every payload is still at v1, so there
    /// are none yet; bumping a version adds its step here together with a fixture.
    pub fn standard() -> Self {
        Self::default()
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

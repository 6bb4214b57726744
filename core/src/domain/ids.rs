//! Identifier newtypes: one type per kind of entity, so ids cannot be mixed up.

use crate::domain::clock::{Entropy, Timestamp};
use crate::domain::FieldError;
use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// Makes a UUIDv7 from the given time and entropy (time-ordered, unique forever).
pub fn uuid_v7(now: Timestamp, entropy: &dyn Entropy) -> Uuid {
    let mut random = [0u8; 10];
    entropy.fill(&mut random);
    let millis = u64::try_from(now.unix_millis()).unwrap_or(0);
    uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid()
}

macro_rules! id_type {
    ($(#[$doc:meta] $name:ident),* $(,)?) => {$(
        #[$doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// Wraps an existing UUID.
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }
            /// Makes a new time-ordered id.
            pub fn generate(now: Timestamp, entropy: &dyn Entropy) -> Self {
                Self(uuid_v7(now, entropy))
            }
            /// The underlying UUID.
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
            /// Parses the hyphenated UUID form.
            pub fn parse(s: &str) -> Result<Self, FieldError> {
                Uuid::parse_str(s.trim())
                    .map(Self)
                    .map_err(|_| FieldError::new("id", "invalid_id", "must be a UUID"))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

id_type!(
    /// A shop (tenant).
    TenantId,
    /// A device (one till or kiosk).
    DeviceId,
    /// An operator (a person or kiosk login).
    OperatorId,
    /// A catalog product.
    ProductId,
    /// An order.
    OrderId,
    /// A cash session (shift).
    CashSessionId,
    /// A content node.
    ContentId,
    /// A stock movement.
    MovementId,
    /// A domain event.
    EventId,
    /// Ties together all events caused by one user intent.
    CorrelationId,
);

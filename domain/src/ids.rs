//! Identifier newtypes: one type per kind of entity, so ids cannot be mixed up.

use crate::clock::{Entropy, Timestamp};
use crate::FieldError;
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

/// Bits of a UUIDv7 below the variant: `rand_b`.
const RAND_B: u128 = (1 << 62) - 1;
/// `rand_a`, the 12 bits between the version and the variant.
const RAND_A: u128 = 0xfff << 64;

/// A UUIDv7 greater than `prev`: a fresh [`uuid_v7`] when the clock has moved past
/// `prev`, else `prev`'s successor (its random bits plus one, carrying into the
/// time). Ids from one generator then sort in the order they were made, even
/// within a millisecond or while the clock steps back, so each new one lands at the
/// right edge of the B-trees that index it.
pub fn uuid_v7_after(now: Timestamp, entropy: &dyn Entropy, prev: Option<Uuid>) -> Uuid {
    let fresh = uuid_v7(now, entropy);
    match prev {
        Some(p) if fresh <= p => successor(p),
        _ => fresh,
    }
}

/// The next UUIDv7 after `p` in sort order, keeping the version and variant bits.
fn successor(p: Uuid) -> Uuid {
    let v = p.as_u128();
    let next = if v & RAND_B != RAND_B {
        // The low bits are not all set: adding one cannot overflow.
        v.saturating_add(1)
    } else if v & RAND_A != RAND_A {
        (v & !RAND_B).saturating_add(1 << 64)
    } else {
        // Every random bit of this millisecond is used up: the next millisecond.
        let millis = (v >> 80).saturating_add(1) & ((1 << 48) - 1);
        let millis = u64::try_from(millis).unwrap_or(0);
        return uuid::Builder::from_unix_timestamp_millis(millis, &[0; 10]).into_uuid();
    };
    Uuid::from_u128(next)
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
    /// A sale parked at the till.
    ParkedSaleId,
    /// A kiosk ticket.
    TicketId,
    /// A catalog category.
    CategoryId,
);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    struct Fixed([u8; 10]);
    impl Entropy for Fixed {
        fn fill(&self, buf: &mut [u8]) {
            for (b, r) in buf.iter_mut().zip(self.0.iter().cycle()) {
                *b = *r;
            }
        }
    }

    fn is_v7(u: Uuid) -> bool {
        u.get_version_num() == 7 && u.get_variant() == uuid::Variant::RFC4122
    }

    proptest! {
        /// Whatever the clock and the random bits do, each id is a UUIDv7 above the
        /// one before it.
        #[test]
        fn ids_after_a_previous_one_increase(
            steps in proptest::collection::vec((0i64..4_000_000_000_000, any::<[u8; 10]>()), 1..60),
        ) {
            let mut prev = None;
            for (millis, random) in steps {
                let now = Timestamp::from_unix_millis(millis);
                let id = uuid_v7_after(now, &Fixed(random), prev);
                prop_assert!(is_v7(id), "{id} is not a UUIDv7");
                if let Some(p) = prev {
                    prop_assert!(id > p, "{id} is not above {p}");
                }
                prev = Some(id);
            }
        }
    }

    #[test]
    fn a_fresh_id_is_taken_when_the_clock_moved_on() {
        let early = Timestamp::from_unix_millis(1_000);
        let late = Timestamp::from_unix_millis(2_000);
        let prev = uuid_v7(early, &Fixed([0xff; 10]));
        let id = uuid_v7_after(late, &Fixed([7; 10]), Some(prev));
        assert_eq!(id, uuid_v7(late, &Fixed([7; 10])));
    }

    #[test]
    fn successors_carry_through_the_random_bits_into_the_time() {
        let t = Timestamp::from_unix_millis(5_000);
        let full = uuid_v7(t, &Fixed([0xff; 10]));
        let next = uuid_v7_after(t, &Fixed([0xff; 10]), Some(full));
        assert!(is_v7(next) && next > full);
        let millis = |u: Uuid| u.as_u128() >> 80;
        assert_eq!(millis(next), millis(full) + 1);
        // rand_b full but rand_a not: carries into rand_a, same millisecond.
        let mut r = [0xff; 10];
        r[0] = 0x0a;
        let half = uuid_v7(t, &Fixed(r));
        let next = uuid_v7_after(t, &Fixed(r), Some(half));
        assert!(is_v7(next) && next > half);
        assert_eq!(millis(next), millis(half));
    }
}

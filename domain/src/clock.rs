//! Time and randomness as injected capabilities, and the millisecond timestamp type.

use crate::FieldError;
use serde::{Deserialize, Serialize};
use std::fmt;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Milliseconds since the Unix epoch, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Timestamp(i64);

impl Timestamp {
    /// Wraps Unix milliseconds.
    pub const fn from_unix_millis(ms: i64) -> Self {
        Self(ms)
    }

    /// Unix milliseconds.
    pub const fn unix_millis(self) -> i64 {
        self.0
    }

    /// This instant plus `secs` seconds (saturating).
    pub const fn plus_secs(self, secs: i64) -> Self {
        Self(self.0.saturating_add(secs.saturating_mul(1000)))
    }

    fn datetime(self) -> OffsetDateTime {
        // i64 milliseconds in nanoseconds always fit an i128.
        let nanos = i128::from(self.0).saturating_mul(1_000_000);
        OffsetDateTime::from_unix_timestamp_nanos(nanos).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// RFC 3339 in UTC with milliseconds: `2026-11-21T10:00:00.123Z`.
    pub fn to_rfc3339(self) -> String {
        let d = self.datetime();
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            d.year(),
            u8::from(d.month()),
            d.day(),
            d.hour(),
            d.minute(),
            d.second(),
            d.millisecond()
        )
    }

    /// The UTC calendar day, `YYYY-MM-DD`.
    pub fn day(self) -> String {
        let d = self.datetime();
        format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
    }

    /// Parses RFC 3339 (any offset; kept at millisecond precision).
    pub fn parse_rfc3339(s: &str) -> Result<Self, FieldError> {
        let d = OffsetDateTime::parse(s, &Rfc3339).map_err(|_| {
            FieldError::new(
                "timestamp",
                "invalid_timestamp",
                "must be an RFC 3339 timestamp",
            )
        })?;
        let ms = d.unix_timestamp_nanos() / 1_000_000;
        i64::try_from(ms)
            .map(Self)
            .map_err(|_| FieldError::new("timestamp", "out_of_range", "timestamp out of range"))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl TryFrom<String> for Timestamp {
    type Error = FieldError;
    fn try_from(s: String) -> Result<Self, FieldError> {
        Self::parse_rfc3339(&s)
    }
}

impl From<Timestamp> for String {
    fn from(t: Timestamp) -> String {
        t.to_rfc3339()
    }
}

/// Where the current time comes from. Real code uses [`crate::system::SystemClock`];
/// tests use `rustok_core::testing::ManualClock`.
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> Timestamp;
}

/// Where randomness comes from (ids, salts).
pub trait Entropy: Send + Sync {
    /// Fills `buf` with random bytes.
    fn fill(&self, buf: &mut [u8]);
}

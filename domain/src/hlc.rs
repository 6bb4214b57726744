//! Hybrid logical clock: an ordering of events that follows wall time where it can
//! and stays monotonic when the wall clock steps back or devices disagree.

use crate::clock::Timestamp;
use crate::FieldError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// `(physical milliseconds, logical counter)`, written `1732200000123-0003`.
/// Ordered by milliseconds, then counter; the text form sorts the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Hlc {
    millis: i64,
    counter: u16,
}

/// Largest counter before the clock moves on to the next millisecond (keeps the
/// counter at four digits so the text form sorts).
const MAX_COUNTER: u16 = 9999;

impl Hlc {
    /// The clock before any event.
    pub const ZERO: Hlc = Hlc {
        millis: 0,
        counter: 0,
    };

    /// Physical part, Unix milliseconds.
    pub const fn millis(self) -> i64 {
        self.millis
    }

    /// Logical part.
    pub const fn counter(self) -> u16 {
        self.counter
    }

    fn bump(millis: i64, counter: u16) -> Hlc {
        if counter >= MAX_COUNTER {
            Hlc {
                millis: millis.saturating_add(1),
                counter: 0,
            }
        } else {
            Hlc {
                millis,
                counter: counter.saturating_add(1),
            }
        }
    }

    /// The next value for a local event at wall time `now`: always greater than `self`.
    pub fn tick(self, now: Timestamp) -> Hlc {
        if now.unix_millis() > self.millis {
            Hlc {
                millis: now.unix_millis(),
                counter: 0,
            }
        } else {
            Self::bump(self.millis, self.counter)
        }
    }

    /// The next value after seeing `remote` at wall time `now`: greater than both.
    pub fn observe(self, remote: Hlc, now: Timestamp) -> Hlc {
        let max = self.max(remote);
        if now.unix_millis() > max.millis {
            Hlc {
                millis: now.unix_millis(),
                counter: 0,
            }
        } else {
            Self::bump(max.millis, max.counter)
        }
    }

    /// Parses `millis-counter`.
    pub fn parse(s: &str) -> Result<Hlc, FieldError> {
        let bad = || FieldError::new("hlc", "invalid_hlc", "must look like 1732200000123-0003");
        let (m, c) = s.split_once('-').ok_or_else(bad)?;
        if m.len() != 13 || c.len() != 4 {
            return Err(bad());
        }
        let millis: i64 = m.parse().map_err(|_| bad())?;
        let counter: u16 = c.parse().map_err(|_| bad())?;
        if millis < 0 || counter > MAX_COUNTER {
            return Err(bad());
        }
        Ok(Hlc { millis, counter })
    }
}

impl fmt::Display for Hlc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:013}-{:04}", self.millis, self.counter)
    }
}

impl TryFrom<String> for Hlc {
    type Error = FieldError;
    fn try_from(s: String) -> Result<Self, FieldError> {
        Self::parse(&s)
    }
}

impl From<Hlc> for String {
    fn from(h: Hlc) -> String {
        h.to_string()
    }
}

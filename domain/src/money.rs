//! Money: integer minor units plus an ISO 4217 currency. No floats anywhere.
//!
//! Rounding is half away from zero, applied per line (see [`div_round_half_away`]).

use crate::FieldError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// An ISO 4217 alphabetic currency code (three upper-case ASCII letters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency([u8; 3]);

/// Currencies whose minor unit is not 1/100 (ISO 4217 exponent 0 or 3).
const EXPONENTS: &[(&str, u32)] = &[
    ("BHD", 3),
    ("BIF", 0),
    ("CLP", 0),
    ("DJF", 0),
    ("GNF", 0),
    ("IQD", 3),
    ("ISK", 0),
    ("JOD", 3),
    ("JPY", 0),
    ("KMF", 0),
    ("KRW", 0),
    ("KWD", 3),
    ("LYD", 3),
    ("OMR", 3),
    ("PYG", 0),
    ("RWF", 0),
    ("TND", 3),
    ("UGX", 0),
    ("UYI", 0),
    ("VND", 0),
    ("VUV", 0),
    ("XAF", 0),
    ("XOF", 0),
    ("XPF", 0),
];

impl Currency {
    /// Parses a three-letter code; lower case is accepted and upper-cased.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim();
        let b = s.as_bytes();
        if b.len() != 3 || !b.iter().all(u8::is_ascii_alphabetic) {
            return Err(FieldError::new(
                "currency",
                "invalid_currency",
                "must be a three-letter ISO 4217 code such as EUR",
            ));
        }
        Ok(Self([
            b[0].to_ascii_uppercase(),
            b[1].to_ascii_uppercase(),
            b[2].to_ascii_uppercase(),
        ]))
    }

    /// The code, e.g. `EUR`.
    pub fn as_str(&self) -> &str {
        // Only ASCII letters are ever stored (see `parse`).
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// Number of decimal places of the minor unit (2 for most currencies).
    pub fn exponent(&self) -> u32 {
        EXPONENTS
            .iter()
            .find(|(c, _)| *c == self.as_str())
            .map_or(2, |(_, e)| *e)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for Currency {
    type Error = FieldError;
    fn try_from(s: String) -> Result<Self, FieldError> {
        Self::parse(&s)
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.as_str().to_owned()
    }
}

/// An amount in minor units of a currency. May be negative (differences, deltas);
/// callers that need a non-negative amount check [`Money::is_negative`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    /// Amount in minor units (cents, kopecks…).
    pub minor: i64,
    /// Currency of the amount.
    pub currency: Currency,
}

/// The largest amount, in minor units, that an event may carry either way: 10^15
/// (ten trillion euros in cents). Far above any real sale or drawer, and small enough
/// that the sum of nine thousand such amounts still fits an `i64`, so what validation
/// let through cannot overflow a day's report.
pub const MAX_MINOR: i64 = 1_000_000_000_000_000;

/// Whether `minor` is an amount a shop can hold: at most [`MAX_MINOR`] either way.
pub const fn in_range(minor: i64) -> bool {
    minor >= -MAX_MINOR && minor <= MAX_MINOR
}

fn overflow() -> FieldError {
    FieldError::new("amount", "overflow", "amount is too large")
}

impl Money {
    /// An amount in minor units.
    pub const fn new(minor: i64, currency: Currency) -> Self {
        Self { minor, currency }
    }

    /// Zero in `currency`.
    pub const fn zero(currency: Currency) -> Self {
        Self { minor: 0, currency }
    }

    /// True below zero.
    pub const fn is_negative(&self) -> bool {
        self.minor < 0
    }

    fn same_currency(&self, other: &Money) -> Result<(), FieldError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(FieldError::new(
                "currency",
                "currency_mismatch",
                format!("expected {}, got {}", self.currency, other.currency),
            ))
        }
    }

    /// Sum; refuses mixed currencies and overflow.
    pub fn checked_add(self, other: Money) -> Result<Money, FieldError> {
        self.same_currency(&other)?;
        let minor = self.minor.checked_add(other.minor).ok_or_else(overflow)?;
        Ok(Money::new(minor, self.currency))
    }

    /// Difference; refuses mixed currencies and overflow.
    pub fn checked_sub(self, other: Money) -> Result<Money, FieldError> {
        self.same_currency(&other)?;
        let minor = self.minor.checked_sub(other.minor).ok_or_else(overflow)?;
        Ok(Money::new(minor, self.currency))
    }

    /// Parses a decimal amount such as `12.30` in `currency`'s minor units. At most the
    /// currency's number of decimals is accepted; more would need rounding, which is
    /// the caller's decision, not the parser's.
    pub fn parse_decimal(raw: &str, currency: Currency) -> Result<Money, FieldError> {
        let bad = || {
            FieldError::new(
                "amount",
                "invalid_amount",
                format!(
                    "must be an amount such as 12.30 with at most {} decimals",
                    currency.exponent()
                ),
            )
            .with_param("decimals", currency.exponent())
        };
        let s = raw.trim();
        let (negative, digits) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let (whole, frac) = match digits.split_once(['.', ',']) {
            Some((w, f)) => (w, f),
            None => (digits, ""),
        };
        let exp = currency.exponent() as usize;
        if whole.is_empty()
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
            || frac.len() > exp
            || (digits.contains(['.', ',']) && frac.is_empty())
        {
            return Err(bad());
        }
        let mut minor: i64 = 0;
        for b in whole
            .bytes()
            .chain(frac.bytes())
            .chain(std::iter::repeat_n(b'0', exp.saturating_sub(frac.len())))
        {
            minor = minor
                .checked_mul(10)
                .and_then(|m| m.checked_add(i64::from(b.saturating_sub(b'0'))))
                .ok_or_else(overflow)?;
        }
        let minor = if negative {
            minor.checked_neg().ok_or_else(overflow)?
        } else {
            minor
        };
        Ok(Money::new(minor, currency))
    }

    /// The amount as a decimal string with the currency's number of decimals.
    pub fn to_decimal_string(&self) -> String {
        let exp = self.currency.exponent();
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        let Some(unit) = 10u64
            .checked_pow(exp)
            .and_then(std::num::NonZeroU64::new)
            .filter(|_| exp > 0)
        else {
            return format!("{sign}{abs}");
        };
        format!(
            "{sign}{}.{:0width$}",
            abs / unit,
            abs % unit,
            width = exp as usize
        )
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.to_decimal_string(), self.currency)
    }
}

/// `num / den` rounded half away from zero; `None` when `den` is not positive or
/// the result does not fit.
pub fn div_round_half_away(num: i128, den: i128) -> Option<i128> {
    if den <= 0 {
        return None;
    }
    let q = num.checked_div(den)?;
    let r = num.checked_rem(den)?;
    if r.unsigned_abs().checked_mul(2)? >= den.unsigned_abs() {
        q.checked_add(num.signum())
    } else {
        Some(q)
    }
}

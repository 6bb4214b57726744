//! Operators: names, PINs (argon2 hashes only), and the lockout rule.

use crate::clock::Timestamp;
use crate::ids::{OperatorId, TenantId};
use crate::permission::Role;
use crate::text::bounded_text;
use crate::FieldError;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use std::fmt;

/// Wrong PINs in a row that lock an operator.
pub const MAX_WRONG_PINS: u32 = 5;
/// How long a lockout lasts, in seconds.
pub const LOCKOUT_SECS: i64 = 30;

bounded_text!(
    /// An operator's display name, 1–60 characters.
    OperatorName, "name", 1, 60
);

/// A PIN: 4 to 8 ASCII digits. Its `Debug` never shows the digits.
#[derive(Clone, PartialEq, Eq)]
pub struct Pin(String);

impl Pin {
    /// Checks the PIN's form.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        if (4..=8).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(FieldError::new(
                "pin",
                "invalid_pin",
                "must be 4 to 8 digits",
            ))
        }
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pin(****)")
    }
}

/// An argon2id PHC string. Its `Debug` never shows the hash.
#[derive(Clone, PartialEq, Eq)]
pub struct PinHash(String);

impl fmt::Debug for PinHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PinHash(…)")
    }
}

/// Why a PIN could not be hashed (only a broken salt can cause it).
#[derive(Debug, thiserror::Error)]
#[error("could not hash the pin: {0}")]
pub struct PinHashError(String);

impl PinHash {
    /// Hashes a PIN with argon2id (default parameters) and the given salt.
    pub fn create(pin: &Pin, salt: [u8; 16]) -> Result<Self, PinHashError> {
        let salt = SaltString::encode_b64(&salt).map_err(|e| PinHashError(e.to_string()))?;
        Argon2::default()
            .hash_password(pin.0.as_bytes(), &salt)
            .map(|h| Self(h.to_string()))
            .map_err(|e| PinHashError(e.to_string()))
    }

    /// Wraps a stored PHC string.
    pub fn from_stored(s: String) -> Self {
        Self(s)
    }

    /// The PHC string, for storage only.
    pub fn as_stored(&self) -> &str {
        &self.0
    }

    /// True when `pin` matches. A corrupt stored hash never matches.
    pub fn verify(&self, pin: &Pin) -> bool {
        PasswordHash::new(&self.0).is_ok_and(|h| {
            Argon2::default()
                .verify_password(pin.0.as_bytes(), &h)
                .is_ok()
        })
    }
}

/// Wrong-PIN bookkeeping of one operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PinAttempts {
    /// Wrong PINs since the last success or lockout.
    pub wrong: u32,
    /// Until when logins are refused.
    pub locked_until: Option<Timestamp>,
}

impl PinAttempts {
    /// `Err(seconds left)` while locked at `now`.
    pub fn check(&self, now: Timestamp) -> Result<(), u64> {
        match self.locked_until {
            Some(until) if until > now => {
                let ms = until.unix_millis().saturating_sub(now.unix_millis());
                // Round up: "1 second left" until the very end.
                Err(u64::try_from(ms.saturating_add(999) / 1000).unwrap_or(1))
            }
            _ => Ok(()),
        }
    }

    /// The state after a wrong PIN at `now`; the fifth in a row locks.
    pub fn after_wrong_pin(self, now: Timestamp) -> Self {
        let wrong = self.wrong.saturating_add(1);
        if wrong >= MAX_WRONG_PINS {
            Self {
                wrong: 0,
                locked_until: Some(now.plus_secs(LOCKOUT_SECS)),
            }
        } else {
            Self {
                wrong,
                locked_until: None,
            }
        }
    }

    /// Wrong PINs left before a lockout.
    pub fn attempts_left(&self) -> u32 {
        MAX_WRONG_PINS.saturating_sub(self.wrong)
    }
}

/// An operator as stored.
#[derive(Debug, Clone)]
pub struct Operator {
    /// Id.
    pub id: OperatorId,
    /// Shop.
    pub tenant_id: TenantId,
    /// Display name.
    pub name: OperatorName,
    /// Role.
    pub role: Role,
    /// PIN hash.
    pub pin_hash: PinHash,
    /// Deactivated operators cannot log in or act.
    pub active: bool,
    /// Wrong-PIN bookkeeping.
    pub attempts: PinAttempts,
}

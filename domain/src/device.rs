//! Device identity: the short code that prefixes this device's order numbers.

use crate::FieldError;
use serde::{Deserialize, Serialize};

/// A device's short code: 1–12 of `A–Z 0–9`, stored upper-case (`POS1`, `KIOSK2`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DeviceCode(String);

crate::text::text_newtype!(DeviceCode);

impl DeviceCode {
    /// Trims, upper-cases and checks a device code.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim().to_ascii_uppercase();
        if (1..=12).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric()) {
            Ok(Self(s))
        } else {
            Err(FieldError::new(
                "device_code",
                "invalid_device_code",
                "must be 1–12 letters or digits",
            ))
        }
    }
}

//! Tenants (shops): slug rules and settings.

use crate::ids::TenantId;
use crate::locale::Locale;
use crate::money::Currency;
use crate::permission::Role;
use crate::text::bounded_text;
use crate::FieldError;
use serde::{Deserialize, Serialize};

/// Slugs that name system paths and can never be a shop.
pub const RESERVED_SLUGS: &[&str] = &[
    "admin",
    "api",
    "app",
    "assets",
    "auth",
    "central",
    "dashboard",
    "help",
    "login",
    "logout",
    "metrics",
    "new",
    "root",
    "settings",
    "static",
    "status",
    "support",
    "system",
    "www",
];

/// A shop's URL-safe name: `[a-z0-9][a-z0-9-]{0,62}`, not reserved.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TenantSlug(String);

crate::text::text_newtype!(TenantSlug);

impl TenantSlug {
    /// Checks the slug. Upper case is refused, not folded: a slug is an identifier
    /// that people type into URLs, and two spellings must not name one shop.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim();
        let b = s.as_bytes();
        let ok_first = b
            .first()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        let ok_rest = b
            .iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-');
        if b.is_empty() || b.len() > 63 || !ok_first || !ok_rest {
            return Err(FieldError::new(
                "slug",
                "invalid_slug",
                "must be 1–63 characters of a–z, 0–9 and '-', starting with a letter or digit",
            ));
        }
        if RESERVED_SLUGS.contains(&s) {
            return Err(FieldError::new(
                "slug",
                "reserved",
                format!("'{s}' is reserved"),
            ));
        }
        Ok(Self(s.to_owned()))
    }
}

bounded_text!(
    /// A shop's display name, 1–100 characters.
    ShopName, "name", 1, 100
);

/// A shop's address as its receipts print it: one line, 1–200 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ShopAddress(String);

impl ShopAddress {
    /// Trims and checks the text: bounded like every text, and on one line (a
    /// receipt prints it as one).
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let s = crate::text::bounded(raw, "address", 1, 200)?;
        if s.contains(['\n', '\r', '\t']) {
            return Err(FieldError::new(
                "address",
                "one_line",
                "must be one line (street, town)",
            ));
        }
        Ok(Self(s))
    }
}

crate::text::text_newtype!(ShopAddress);

/// Whether catalog prices include tax.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaxMode {
    /// Prices include tax (tax is extracted from the price).
    Inclusive,
    /// Prices exclude tax (tax is added on top).
    Exclusive,
}

impl TaxMode {
    /// Stable name for storage.
    pub const fn as_str(self) -> &'static str {
        match self {
            TaxMode::Inclusive => "inclusive",
            TaxMode::Exclusive => "exclusive",
        }
    }

    /// Inverse of [`TaxMode::as_str`].
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        match s {
            "inclusive" => Ok(TaxMode::Inclusive),
            "exclusive" => Ok(TaxMode::Exclusive),
            _ => Err(FieldError::new(
                "tax_mode",
                "invalid_tax_mode",
                "must be inclusive or exclusive",
            )),
        }
    }
}

/// Feature switches of a shop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Features {
    /// Catalog, orders, payments.
    pub commerce: bool,
    /// Content pages and promos.
    pub content: bool,
    /// Self-service kiosk mode.
    pub kiosk: bool,
}

impl Default for Features {
    fn default() -> Self {
        Self {
            commerce: true,
            content: true,
            kiosk: false,
        }
    }
}

/// Settings a manager can change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantSettings {
    /// Display name.
    pub name: ShopName,
    /// Currency of every price and payment.
    pub currency: Currency,
    /// Locale used when a translation is missing.
    pub default_locale: Locale,
    /// Whether prices include tax.
    pub tax_mode: TaxMode,
    /// Feature switches.
    pub features: Features,
    /// Whether a sale may take stock below zero.
    pub allow_oversell: bool,
    /// How far (minor units, either way) counted cash may differ from what the
    /// drawer should hold before a manager must approve closing the shift; `None`
    /// asks no approval. Absent from settings written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shift_difference_limit: Option<i64>,
    /// Whether the cashier counts the drawer without being shown what it should hold.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub blind_count: bool,
    /// The largest discount, in basis points of a sale before discounts (1000 =
    /// 10 %), an operator whose role may not approve discounts gives alone; above
    /// it a manager approves with their PIN. `None`: no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount_limit: Option<u32>,
    /// Where the shop is, as receipts print it. Absent from settings written
    /// before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<ShopAddress>,
    /// Seconds an untouched kiosk waits before it counts down and starts over;
    /// `None` takes [`KIOSK_IDLE_DEFAULT_SECS`]. Absent from settings written
    /// before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kiosk_idle_secs: Option<u32>,
}

/// The kiosk's idle time when the shop has not set one.
pub const KIOSK_IDLE_DEFAULT_SECS: u32 = 90;
/// The shortest idle time a shop may set (a customer reading a product needs it).
pub const KIOSK_IDLE_MIN_SECS: u32 = 20;
/// The longest idle time a shop may set.
pub const KIOSK_IDLE_MAX_SECS: u32 = 3600;

impl TenantSettings {
    /// Refuses a negative shift difference limit, or one no shop can hold.
    pub fn validate(&self) -> Result<(), FieldError> {
        match self.shift_difference_limit {
            Some(l) if l < 0 => Err(FieldError::new(
                "shift_difference_limit",
                "negative",
                "must not be negative",
            )),
            Some(l) if !crate::money::in_range(l) => Err(FieldError::new(
                "shift_difference_limit",
                "out_of_range",
                "is larger than any amount a shop can hold",
            )),
            _ if self.discount_limit.is_some_and(|bp| bp > 10_000) => Err(FieldError::new(
                "discount_limit",
                "out_of_range",
                "a percentage is 0 to 100",
            )),
            _ if self
                .kiosk_idle_secs
                .is_some_and(|s| !(KIOSK_IDLE_MIN_SECS..=KIOSK_IDLE_MAX_SECS).contains(&s)) =>
            {
                Err(FieldError::new(
                    "kiosk_idle_secs",
                    "out_of_range",
                    "must be 20 to 3600 seconds",
                ))
            }
            _ => Ok(()),
        }
    }

    /// Whether a discount of `discount` on a sale of `base` (before discounts, minor
    /// units) is above the shop's limit for operators who may not approve.
    pub fn discount_limit_exceeded(&self, discount: i64, base: i64) -> bool {
        self.discount_limit.is_some_and(|bp| {
            i128::from(discount).saturating_mul(10_000)
                > i128::from(bp).saturating_mul(i128::from(base))
        })
    }

    /// The shop's limit when `difference` (either way) is above it: closing the
    /// shift then needs a manager's approval.
    pub fn shift_limit_exceeded(&self, difference: i64) -> Option<i64> {
        self.shift_difference_limit
            .filter(|l| difference.unsigned_abs() > l.unsigned_abs())
    }

    /// Seconds an untouched kiosk waits before it starts over.
    pub fn kiosk_idle_secs(&self) -> u32 {
        self.kiosk_idle_secs.unwrap_or(KIOSK_IDLE_DEFAULT_SECS)
    }

    /// Whether `role` counts the drawer blind: the shop asks for blind counts and
    /// the role is not one that approves differences (managers always see).
    pub fn counts_blind(&self, role: Role) -> bool {
        self.blind_count && !role.approves_cash_differences()
    }
}

/// A shop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    /// Id.
    pub id: TenantId,
    /// URL-safe name.
    pub slug: TenantSlug,
    /// Settings.
    pub settings: TenantSettings,
}

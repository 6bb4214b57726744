//! Products: SKU and barcode parsers, tax rates, status rules, versioned edits.

use crate::ids::{CategoryId, ProductId, TenantId};
use crate::image::ImageDigest;
use crate::locale::Localized;
use crate::money::Money;
use crate::text::bounded_text;
use crate::{DomainError, FieldError};
use serde::{Deserialize, Serialize};

/// A stock-keeping unit: 1–64 of `A–Z 0–9 . _ - /`, stored upper-case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Sku(String);

crate::text::text_newtype!(Sku);

impl Sku {
    /// Trims, upper-cases and checks a SKU.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim().to_ascii_uppercase();
        let ok = (1..=64).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-/".contains(&b));
        if ok {
            Ok(Self(s))
        } else {
            Err(FieldError::new(
                "sku",
                "invalid_sku",
                "must be 1–64 characters of letters, digits, '.', '_', '-' or '/'",
            ))
        }
    }
}

/// A GS1 barcode: EAN-8, UPC-A (12 digits) or EAN-13, with a valid check digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Barcode(String);

crate::text::text_newtype!(Barcode);

/// The GS1 check digit for `body` (all digits but the last): weights 3,1,3,… from the right.
pub fn gs1_check_digit(body: &[u8]) -> u8 {
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            u32::from(d.saturating_sub(b'0')).saturating_mul(if i % 2 == 0 { 3 } else { 1 })
        })
        .sum();
    // `sum % 10` is below 10, so the result is a single digit.
    b'0'.saturating_add(u8::try_from(10u32.saturating_sub(sum % 10) % 10).unwrap_or(0))
}

impl Barcode {
    /// Checks length, digits and the GS1 check digit.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim();
        let b = s.as_bytes();
        if !matches!(b.len(), 8 | 12 | 13) || !b.iter().all(u8::is_ascii_digit) {
            return Err(FieldError::new(
                "barcode",
                "invalid_barcode",
                "must be 8, 12 or 13 digits (EAN-8, UPC-A, EAN-13)",
            ));
        }
        let (body, check) = b.split_at(b.len().saturating_sub(1));
        if gs1_check_digit(body) != check[0] {
            return Err(FieldError::new(
                "barcode",
                "check_digit",
                "the check digit does not match",
            ));
        }
        Ok(Self(s.to_owned()))
    }
}

/// A tax rate in basis points (2000 = 20 %), 0 to 10,000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct TaxRate(u32);

impl TaxRate {
    /// Checks the range.
    pub fn from_basis_points(bp: u32) -> Result<Self, FieldError> {
        if bp <= 10_000 {
            Ok(Self(bp))
        } else {
            Err(FieldError::new(
                "tax_rate_bp",
                "out_of_range",
                "must be 0 to 10000 basis points",
            ))
        }
    }

    /// Basis points.
    pub const fn basis_points(self) -> u32 {
        self.0
    }
}

impl TryFrom<u32> for TaxRate {
    type Error = FieldError;
    fn try_from(bp: u32) -> Result<Self, FieldError> {
        Self::from_basis_points(bp)
    }
}

impl From<TaxRate> for u32 {
    fn from(t: TaxRate) -> u32 {
        t.0
    }
}

bounded_text!(
    /// A product title in one locale, 1–200 characters.
    ProductTitle, "title", 1, 200
);
bounded_text!(
    /// A product description in one locale, 1–5,000 characters.
    ProductDescription, "description", 1, 5000
);

/// Lifecycle of a product: `draft → active → archived`, and back from archived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductStatus {
    /// Being prepared; not sellable.
    Draft,
    /// Sellable.
    Active,
    /// Withdrawn; kept for history.
    Archived,
}

impl ProductStatus {
    /// Stable name.
    pub const fn as_str(self) -> &'static str {
        match self {
            ProductStatus::Draft => "draft",
            ProductStatus::Active => "active",
            ProductStatus::Archived => "archived",
        }
    }

    /// Inverse of [`ProductStatus::as_str`].
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        match s.trim() {
            "draft" => Ok(ProductStatus::Draft),
            "active" => Ok(ProductStatus::Active),
            "archived" => Ok(ProductStatus::Archived),
            _ => Err(FieldError::new(
                "status",
                "invalid_status",
                "must be draft, active or archived",
            )),
        }
    }

    /// Checks that `self → to` is allowed. A draft can be archived directly; an
    /// archived product can be re-activated; nothing returns to draft.
    pub fn transition(self, to: ProductStatus) -> Result<ProductStatus, DomainError> {
        use ProductStatus::*;
        match (self, to) {
            (Draft, Active) | (Draft, Archived) | (Active, Archived) | (Archived, Active) => Ok(to),
            _ => Err(DomainError::InvalidTransition {
                from: self.as_str(),
                action: match to {
                    Draft => "return to draft",
                    Active => "activate",
                    Archived => "archive",
                },
            }),
        }
    }
}

/// The editable part of a product (what a create or an edit supplies).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductFields {
    /// SKU, unique per shop.
    pub sku: Sku,
    /// Optional barcode, unique per shop.
    pub barcode: Option<Barcode>,
    /// Titles per locale; at least one.
    pub titles: Localized<ProductTitle>,
    /// Descriptions per locale.
    #[serde(default)]
    pub descriptions: Localized<ProductDescription>,
    /// Unit price (gross or net by the shop's tax mode).
    pub price: Money,
    /// Tax rate.
    pub tax_rate: TaxRate,
    /// At or below this on-hand quantity the product counts as low on stock.
    pub low_stock_threshold: i64,
    /// The category it is shown under (kiosk, catalog). Absent from products
    /// written before categories existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<CategoryId>,
    /// Its picture, by the digest of the stored bytes. Absent from products
    /// written before images existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageDigest>,
}

impl ProductFields {
    /// Checks the rules that span fields: a title, a non-negative price, a sane threshold.
    pub fn validate(&self) -> Result<(), DomainError> {
        let mut e = crate::error::Errors::new();
        e.check(
            self.titles.is_empty(),
            "titles",
            "required",
            "needs a title in at least one locale",
        );
        e.check(
            self.price.is_negative(),
            "price",
            "negative",
            "must not be negative",
        );
        e.check(
            !crate::money::in_range(self.price.minor),
            "price",
            "out_of_range",
            "is larger than any price a shop can hold",
        );
        e.check(
            !(0..=1_000_000_000).contains(&self.low_stock_threshold),
            "low_stock_threshold",
            "out_of_range",
            "must be 0 or more",
        );
        e.finish()
    }
}

/// A product as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    /// Id.
    pub id: ProductId,
    /// Shop.
    pub tenant_id: TenantId,
    /// Editable fields.
    pub fields: ProductFields,
    /// Lifecycle state.
    pub status: ProductStatus,
    /// Stock on hand: the sum of all movements.
    pub on_hand: i64,
    /// Bumped by every catalog edit; a stale edit is a conflict.
    pub version: u32,
}

impl Product {
    /// True when on hand is at or below the threshold.
    pub fn is_low_on_stock(&self) -> bool {
        self.on_hand <= self.fields.low_stock_threshold
    }
}

//! Catalog categories: per-locale names, a position among siblings and at most
//! one parent (two levels: a category with children has no parent itself).

use crate::error::Errors;
use crate::ids::{CategoryId, TenantId};
use crate::locale::Localized;
use crate::text::bounded_text;
use crate::DomainError;
use serde::{Deserialize, Serialize};

bounded_text!(
    /// A category name in one locale, 1–60 characters.
    CategoryName, "name", 1, 60
);

/// The highest position a category may take (enough for any shelf plan, small
/// enough that positions from outside never overflow when compared or shifted).
pub const MAX_POSITION: u32 = 10_000;

/// The editable part of a category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryFields {
    /// Names per locale; at least one.
    pub names: Localized<CategoryName>,
    /// Order among its siblings, smallest first.
    pub position: u32,
    /// The category it sits under (absent: a top-level category).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<CategoryId>,
}

impl CategoryFields {
    /// Checks what needs no other category: a name, a position in range, and not
    /// its own parent (`id` is absent for a new category).
    pub fn validate(&self, id: Option<CategoryId>) -> Result<(), DomainError> {
        let mut e = Errors::new();
        e.check(
            self.names.is_empty(),
            "names",
            "required",
            "needs a name in at least one locale",
        );
        e.check(
            self.position > MAX_POSITION,
            "position",
            "out_of_range",
            "must be 0 to 10000",
        );
        e.check(
            id.is_some() && self.parent == id,
            "parent",
            "own_parent",
            "a category cannot sit under itself",
        );
        e.finish()
    }
}

/// A category as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    /// Id.
    pub id: CategoryId,
    /// Shop.
    pub tenant_id: TenantId,
    /// Editable fields.
    pub fields: CategoryFields,
    /// Bumped by every edit; a stale edit is a conflict.
    pub version: u32,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::locale::Locale;

    fn fields(position: u32) -> CategoryFields {
        CategoryFields {
            names: Localized::new().with(
                Locale::parse("en").unwrap(),
                CategoryName::parse("Drinks").unwrap(),
            ),
            position,
            parent: None,
        }
    }

    #[test]
    fn a_category_needs_a_name_and_a_position_in_range() {
        assert!(fields(0).validate(None).is_ok());
        assert!(fields(MAX_POSITION).validate(None).is_ok());
        let e = fields(MAX_POSITION + 1).validate(None).unwrap_err();
        assert!(e.to_string().contains("position"), "{e}");
        let mut f = fields(1);
        f.names = Localized::new();
        assert!(f.validate(None).unwrap_err().to_string().contains("names"));
        assert!(CategoryName::parse("  ").is_err());
        assert!(CategoryName::parse(&"x".repeat(61)).is_err());
    }

    #[test]
    fn a_category_is_not_its_own_parent() {
        let id = CategoryId::parse("0190a0a0-0000-7000-8000-000000000001").unwrap();
        let mut f = fields(1);
        f.parent = Some(id);
        assert!(f.validate(None).is_ok());
        let e = f.validate(Some(id)).unwrap_err();
        assert!(e.to_string().contains("parent"), "{e}");
    }
}

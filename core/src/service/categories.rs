//! Catalog categories (two levels at most) and product images.

use super::{Actor, Caller, Shop, ShopError};
use crate::domain::category::{Category, CategoryFields};
use crate::domain::event::{CategoryCreated, CategoryUpdated};
use crate::domain::ids::CategoryId;
use crate::domain::image::ImageDigest;
use crate::domain::permission::Operation;
use crate::domain::replica::{changed_fields, Kind};
use crate::domain::FieldError;
use crate::store::{self, ImageStore};
use rusqlite::Connection;

fn unknown_parent() -> ShopError {
    FieldError::new("parent", "unknown", "is not a category of this shop").into()
}

/// Checks what spans categories: the parent is a top-level category of this shop,
/// and a category that has children stays top-level (two levels at most).
fn check_fields(
    c: &Connection,
    caller: Caller,
    f: &CategoryFields,
    id: Option<CategoryId>,
) -> Result<(), ShopError> {
    f.validate(id)?;
    let Some(parent) = f.parent else {
        return Ok(());
    };
    let parent = store::category(c, caller.tenant, parent)?.ok_or_else(unknown_parent)?;
    if parent.fields.parent.is_some() {
        return Err(FieldError::new(
            "parent",
            "too_deep",
            "is itself under another category (two levels at most)",
        )
        .into());
    }
    if let Some(id) = id {
        if store::has_children(c, caller.tenant, id)? {
            return Err(FieldError::new(
                "parent",
                "has_children",
                "a category with categories under it stays at the top",
            )
            .into());
        }
    }
    Ok(())
}

/// The error for a product naming `id` when it is not a category of the caller's
/// shop (a storage failure is a storage error, not a field error).
pub(crate) fn unknown_product_category(
    c: &Connection,
    caller: Caller,
    id: Option<CategoryId>,
) -> Result<Option<FieldError>, ShopError> {
    Ok(match id {
        Some(id) if store::category(c, caller.tenant, id)?.is_none() => Some(FieldError::new(
            "category",
            "unknown",
            "is not a category of this shop",
        )),
        _ => None,
    })
}

impl Shop {
    /// Keeps the folder where product images are stored. Until it is attached,
    /// images can be neither added nor named by a product.
    pub fn attach_images(&self, images: ImageStore) {
        // A second attach keeps the first folder: a shop has one.
        let _ = self.images.set(images);
    }

    /// The image folder, once attached.
    pub fn images(&self) -> Option<&ImageStore> {
        self.images.get()
    }

    /// Whether a product may name `digest`: its bytes are stored here.
    pub(crate) fn check_image(&self, digest: Option<&ImageDigest>) -> Result<(), FieldError> {
        match digest {
            Some(d) if !self.images().is_some_and(|i| i.contains(d)) => Err(FieldError::new(
                "image",
                "unknown",
                "is not a stored image; add the picture again",
            )),
            _ => Ok(()),
        }
    }

    /// Notes every picture a product names that is not in the image folder, or
    /// whose file is damaged, so it is fetched (a folder lost or restored from an
    /// older backup, a database copied from another till, a failing disk). Returns
    /// how many. Reads every picture: run once per start, off the UI thread, and by
    /// `doctor`. No event: bookkeeping.
    pub fn want_missing_pictures(&self) -> Result<usize, ShopError> {
        let Some(images) = self.images() else {
            return Ok(0);
        };
        let mut missing: Vec<ImageDigest> = Vec::new();
        for d in self.store.product_images()? {
            if !images.holds(&d)? {
                missing.push(d);
            }
        }
        if !missing.is_empty() {
            self.store.want_images(&missing)?;
        }
        Ok(missing.len())
    }

    /// Decodes a picture a manager adds (PNG, JPEG or WebP within the size
    /// limits), re-encodes it and stores it; returns the digest a product then
    /// names. Nothing is stored for a file that is refused.
    pub fn store_image(&self, actor: &Actor, bytes: &[u8]) -> Result<ImageDigest, ShopError> {
        self.query(actor, Operation::StoreImage, |_, _| Ok(()))?;
        let images = self.images().ok_or_else(|| {
            ShopError::from(FieldError::new(
                "image",
                "unavailable",
                "this device keeps no images",
            ))
        })?;
        let jpeg = store::reencode_image(bytes)?;
        Ok(images.put(&jpeg)?)
    }

    /// Adds a category.
    pub fn create_category(
        &self,
        actor: &Actor,
        fields: CategoryFields,
    ) -> Result<Category, ShopError> {
        self.command(actor, Operation::CreateCategory, |tx, caller| {
            check_fields(tx, caller, &fields, None)?;
            let k = Category {
                id: CategoryId::from_uuid(tx.new_id()),
                tenant_id: caller.tenant,
                fields,
                version: 1,
            };
            store::save_category(tx, &k, tx.now())?;
            tx.append(CategoryCreated {
                category_id: k.id,
                fields: k.fields.clone(),
            })?;
            Ok(k)
        })
    }

    /// Replaces a category's names, position and parent if it is still at
    /// `expected_version`.
    pub fn update_category(
        &self,
        actor: &Actor,
        id: CategoryId,
        expected_version: u32,
        fields: CategoryFields,
    ) -> Result<Category, ShopError> {
        self.command(actor, Operation::UpdateCategory, |tx, caller| {
            let mut k = store::category(tx, caller.tenant, id)?
                .ok_or(ShopError::NotFound { entity: "category" })?;
            if k.version != expected_version {
                return Err(ShopError::Conflict {
                    entity: "category",
                    expected: expected_version,
                    found: k.version,
                });
            }
            check_fields(tx, caller, &fields, Some(id))?;
            let changed = changed_fields(Kind::Category, &k.fields, &fields);
            k.fields = fields;
            k.version = k.version.checked_add(1).ok_or(ShopError::Conflict {
                entity: "category",
                expected: expected_version,
                found: k.version,
            })?;
            store::save_category(tx, &k, tx.now())?;
            tx.append(CategoryUpdated {
                category_id: id,
                version: k.version,
                fields: k.fields.clone(),
                changed: Some(changed),
            })?;
            Ok(k)
        })
    }

    /// Every category of the shop, by position.
    pub fn categories(&self, actor: &Actor) -> Result<Vec<Category>, ShopError> {
        self.query(actor, Operation::ViewCatalog, |c, caller| {
            Ok(store::categories(c, caller.tenant)?)
        })
    }
}

//! Catalog and stock: products with optimistic concurrency, and stock movements.

use super::{tenant_of, unshare, Actor, Caller, Shop, ShopError};
use crate::cache::ProductCode;
use crate::domain::error::Errors;
use crate::domain::event::{ProductCreated, ProductStatusChanged, ProductUpdated, StockMoved};
use crate::domain::ids::{MovementId, ProductId};
use crate::domain::permission::Operation;
use crate::domain::product::{Barcode, Product, ProductFields, ProductStatus, Sku};
use crate::domain::replica::{changed_fields, Kind};
use crate::domain::stock::{MovementKind, Quantity, StockDelta, StockMovement};
use crate::domain::text::Reason;
use crate::domain::FieldError;
use crate::index::{ProductSearch, MAX_RESULTS};
use crate::store::{self, ProductQuery, WriteTx};
use rusqlite::Connection;

/// Checks the shop-level rules of product fields: currency, and that a SKU or
/// barcode it takes is free. An edit that keeps its SKU or barcode is not refused
/// for a clash that sync brought (two tills made the same code offline): the clash
/// is listed for a manager, and editing either product is how it gets resolved.
pub(crate) fn check_fields(
    c: &Connection,
    caller: Caller,
    f: &ProductFields,
    old: Option<&ProductFields>,
) -> Result<(), ShopError> {
    f.validate()?;
    let tenant = tenant_of(c, caller)?;
    let mut e = Errors::new();
    if let Some(bad) = super::categories::unknown_product_category(c, caller, f.category)? {
        e.push(bad);
    }
    if f.price.currency != tenant.settings.currency {
        e.push(
            FieldError::new(
                "price.currency",
                "currency_mismatch",
                format!("prices must be in {}", tenant.settings.currency),
            )
            .with_param("currency", tenant.settings.currency),
        );
    }
    let takes_sku = old.is_none_or(|o| o.sku != f.sku);
    e.check(
        takes_sku && store::product_by_sku(c, caller.tenant, &f.sku)?.is_some(),
        "sku",
        "taken",
        "another product has this SKU",
    );
    if let Some(taken) = barcode_taken(c, caller, f, old)? {
        e.push(taken);
    }
    Ok(e.finish()?)
}

/// The error for a barcode `f` takes (not `old`'s) that another product has.
pub(crate) fn barcode_taken(
    c: &Connection,
    caller: Caller,
    f: &ProductFields,
    old: Option<&ProductFields>,
) -> Result<Option<FieldError>, ShopError> {
    let Some(b) = f
        .barcode
        .as_ref()
        .filter(|b| old.is_none_or(|o| o.barcode.as_ref() != Some(*b)))
    else {
        return Ok(None);
    };
    // Named, so the manager knows which product to look at.
    Ok(store::barcode_holder(c, caller.tenant, b)?.map(|sku| {
        FieldError::new("barcode", "taken", "another product has this barcode")
            .with_param("sku", sku.as_str())
    }))
}

pub(crate) fn load_product(
    c: &Connection,
    caller: Caller,
    id: ProductId,
) -> Result<Product, ShopError> {
    store::product(c, caller.tenant, id)?.ok_or(ShopError::NotFound { entity: "product" })
}

fn check_version(p: &Product, expected: u32) -> Result<(), ShopError> {
    if p.version == expected {
        Ok(())
    } else {
        Err(ShopError::Conflict {
            entity: "product",
            expected,
            found: p.version,
        })
    }
}

/// Records stock movements and their `StockMoved` events; returns the stock on hand
/// each left, in order. Stock the transaction has already read or moved is not read
/// again (a counter sale reads its products to price the lines).
pub(crate) fn move_stock(
    tx: &mut WriteTx<'_>,
    caller: Caller,
    ms: Vec<StockMovement>,
) -> Result<Vec<i64>, ShopError> {
    for m in &ms {
        if tx.known_stock(m.product_id).is_none() {
            let on_hand = store::on_hand(tx, m.product_id)?
                .ok_or(ShopError::NotFound { entity: "product" })?;
            tx.know_stock(m.product_id, on_hand);
        }
    }
    store::insert_movements(tx, caller.tenant, &ms, tx.now_text())?;
    let mut afters = Vec::with_capacity(ms.len());
    for m in ms {
        let before = tx
            .known_stock(m.product_id)
            .ok_or(ShopError::NotFound { entity: "product" })?;
        let on_hand_after = before.checked_add(m.delta).ok_or_else(|| {
            FieldError::new("quantity", "too_large", "stock on hand would overflow")
        })?;
        tx.know_stock(m.product_id, on_hand_after);
        tx.append(StockMoved {
            movement_id: m.id,
            product_id: m.product_id,
            kind: m.kind,
            delta: m.delta,
            on_hand_after,
            reason: m.reason,
            order_id: m.order_id,
        })?;
        afters.push(on_hand_after);
    }
    Ok(afters)
}

/// The stock left by the only movement recorded.
/// Moves `p` to status `to` (if the lifecycle allows it).
pub(crate) fn status_in(
    tx: &mut WriteTx<'_>,
    mut p: Product,
    to: ProductStatus,
) -> Result<Product, ShopError> {
    let from = p.status;
    p.status = from.transition(to)?;
    p.version += 1;
    store::update_product(tx, &p, tx.now())?;
    tx.append(ProductStatusChanged {
        product_id: p.id,
        version: p.version,
        from,
        to,
    })?;
    Ok(p)
}

fn one(afters: Vec<i64>) -> Result<i64, ShopError> {
    afters
        .first()
        .copied()
        .ok_or(ShopError::NotFound { entity: "product" })
}

pub(crate) fn movement(
    tx: &mut WriteTx<'_>,
    caller: Caller,
    product_id: ProductId,
    kind: MovementKind,
    delta: i64,
) -> StockMovement {
    StockMovement {
        id: MovementId::from_uuid(tx.new_id()),
        product_id,
        kind,
        delta,
        reason: None,
        order_id: None,
        operator_id: Some(caller.operator),
        occurred_at: tx.now(),
    }
}

impl Shop {
    /// Adds a product as a draft or active.
    pub fn create_product(
        &self,
        actor: &Actor,
        fields: ProductFields,
        status: ProductStatus,
    ) -> Result<Product, ShopError> {
        self.command(actor, Operation::CreateProduct, |tx, caller| {
            self.create_in(tx, caller, fields, status)
        })
    }

    /// [`Shop::create_product`] inside the caller's transaction.
    fn create_in(
        &self,
        tx: &mut WriteTx<'_>,
        caller: Caller,
        fields: ProductFields,
        status: ProductStatus,
    ) -> Result<Product, ShopError> {
        check_fields(tx, caller, &fields, None)?;
        self.insert_new(tx, caller, fields, status)
    }

    /// Writes a new product whose fields the caller has checked against the
    /// shop's rules (`check_fields`, or the import's own resolution of them).
    pub(crate) fn insert_new(
        &self,
        tx: &mut WriteTx<'_>,
        caller: Caller,
        fields: ProductFields,
        status: ProductStatus,
    ) -> Result<Product, ShopError> {
        if status == ProductStatus::Archived {
            return Err(FieldError::new(
                "status",
                "invalid_status",
                "a new product is draft or active",
            )
            .into());
        }
        self.check_image(fields.image.as_ref())?;
        let p = Product {
            id: ProductId::from_uuid(tx.new_id()),
            tenant_id: caller.tenant,
            fields,
            status,
            on_hand: 0,
            version: 1,
        };
        store::insert_product(tx, &p, tx.now())?;
        if let Some(d) = &p.fields.image {
            store::want_image(tx, d, true)?;
        }
        tx.append(ProductCreated {
            product_id: p.id,
            fields: p.fields.clone(),
            status,
        })?;
        Ok(p)
    }

    /// Replaces a product's fields if it is still at `expected_version`.
    pub fn update_product(
        &self,
        actor: &Actor,
        id: ProductId,
        expected_version: u32,
        fields: ProductFields,
    ) -> Result<Product, ShopError> {
        self.command(actor, Operation::UpdateProduct, |tx, caller| {
            let p = load_product(tx, caller, id)?;
            check_version(&p, expected_version)?;
            check_fields(tx, caller, &fields, Some(&p.fields))?;
            self.update_in(tx, p, fields)
        })
    }

    /// Writes `fields` over `p`'s (checked by the caller with `check_fields`).
    pub(crate) fn update_in(
        &self,
        tx: &mut WriteTx<'_>,
        mut p: Product,
        fields: ProductFields,
    ) -> Result<Product, ShopError> {
        if fields.image != p.fields.image {
            self.check_image(fields.image.as_ref())?;
            if let Some(d) = &fields.image {
                store::want_image(tx, d, true)?;
            }
        }
        let changed = changed_fields(Kind::Product, &p.fields, &fields);
        p.fields = fields;
        p.version += 1;
        store::update_product(tx, &p, tx.now())?;
        tx.append(ProductUpdated {
            product_id: p.id,
            version: p.version,
            fields: p.fields.clone(),
            changed: Some(changed),
        })?;
        Ok(p)
    }

    /// Activates, archives or re-activates a product if it is still at `expected_version`.
    pub fn set_product_status(
        &self,
        actor: &Actor,
        id: ProductId,
        expected_version: u32,
        to: ProductStatus,
    ) -> Result<Product, ShopError> {
        self.command(actor, Operation::ChangeProductStatus, |tx, caller| {
            let p = load_product(tx, caller, id)?;
            check_version(&p, expected_version)?;
            status_in(tx, p, to)
        })
    }

    /// A product by id.
    pub fn product(&self, actor: &Actor, id: ProductId) -> Result<Product, ShopError> {
        self.query(actor, Operation::ViewCatalog, |c, caller| {
            load_product(c, caller, id)
        })
    }

    /// Records sharing a SKU, barcode, page slug or operator name: clashes that
    /// tills made while cut off from each other, kept for a manager to resolve.
    pub fn clashes(&self, actor: &Actor) -> Result<Vec<store::Clash>, ShopError> {
        self.query(actor, Operation::ViewCatalog, |c, caller| {
            Ok(store::clashes(c, caller.tenant)?)
        })
    }

    /// A product by barcode (the checkout scan), from the cache when warm.
    pub fn product_by_barcode(
        &self,
        actor: &Actor,
        barcode: &Barcode,
    ) -> Result<Product, ShopError> {
        self.query(actor, Operation::ViewCatalog, |c, caller| {
            let p = self.caches.product(
                ProductCode::Barcode(barcode.as_str().to_owned()),
                || {
                    store::product_by_barcode(c, caller.tenant, barcode)?
                        .ok_or(ShopError::NotFound { entity: "product" })
                },
                unshare,
            )?;
            Ok(Product::clone(&p))
        })
    }

    /// A product by SKU, from the cache when warm.
    pub fn product_by_sku(&self, actor: &Actor, sku: &Sku) -> Result<Product, ShopError> {
        self.query(actor, Operation::ViewCatalog, |c, caller| {
            let p = self.caches.product(
                ProductCode::Sku(sku.as_str().to_owned()),
                || {
                    store::product_by_sku(c, caller.tenant, sku)?
                        .ok_or(ShopError::NotFound { entity: "product" })
                },
                unshare,
            )?;
            Ok(Product::clone(&p))
        })
    }

    /// A page of products: with search text, ranked by the index (see
    /// [`ProductSearch`]); without, by SKU from SQLite.
    pub fn products(&self, actor: &Actor, q: &ProductQuery) -> Result<Vec<Product>, ShopError> {
        let text = q.text.as_deref().map(str::trim).unwrap_or_default();
        if !text.is_empty() && self.index().is_some() {
            let search = ProductSearch {
                text: text.to_owned(),
                status: q.status,
                low_stock: q.low_stock,
                limit: q.limit.saturating_add(q.offset),
            };
            let mut found = self.search_products(actor, &search)?;
            found.drain(..found.len().min(q.offset as usize));
            return Ok(found);
        }
        self.query(actor, Operation::ViewCatalog, |c, caller| {
            Ok(store::products(c, caller.tenant, q)?)
        })
    }

    /// Products matching a search, best first. The index picks and ranks them; each
    /// is then read from SQLite and checked against the filters again, so a result
    /// never shows a stale price, stock or status. Without an index, a substring
    /// search in SQLite answers instead.
    pub fn search_products(
        &self,
        actor: &Actor,
        q: &ProductSearch,
    ) -> Result<Vec<Product>, ShopError> {
        let ids = self.ask_index(|i| i.search_products(q));
        self.query(actor, Operation::ViewCatalog, |c, caller| {
            let Some(ids) = ids else {
                return Ok(store::products(
                    c,
                    caller.tenant,
                    &ProductQuery {
                        status: q.status,
                        low_stock: q.low_stock,
                        text: Some(q.text.clone()),
                        limit: match q.limit {
                            0 => 20,
                            n => n.min(MAX_RESULTS),
                        },
                        offset: 0,
                        category: None,
                    },
                )?);
            };
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                let Some(p) = store::product(c, caller.tenant, id)? else {
                    continue;
                };
                let status_ok = match q.status {
                    Some(s) => p.status == s,
                    None => p.status != ProductStatus::Archived,
                };
                if status_ok && (!q.low_stock || p.on_hand <= p.fields.low_stock_threshold) {
                    out.push(p);
                }
            }
            Ok(out)
        })
    }

    /// Receives goods; returns stock on hand afterwards.
    pub fn receive_stock(
        &self,
        actor: &Actor,
        id: ProductId,
        qty: Quantity,
        note: Option<Reason>,
    ) -> Result<i64, ShopError> {
        self.command(actor, Operation::ReceiveStock, |tx, caller| {
            let p = load_product(tx, caller, id)?;
            tx.know_stock(id, p.on_hand);
            let mut m = movement(tx, caller, id, MovementKind::Received, qty.get());
            m.reason = note;
            one(move_stock(tx, caller, vec![m])?)
        })
    }

    /// Corrects stock with a reason; a correction may not take stock below zero.
    pub fn adjust_stock(
        &self,
        actor: &Actor,
        id: ProductId,
        delta: StockDelta,
        reason: Reason,
    ) -> Result<i64, ShopError> {
        self.command(actor, Operation::AdjustStock, |tx, caller| {
            let p = load_product(tx, caller, id)?;
            tx.know_stock(id, p.on_hand);
            let mut m = movement(tx, caller, id, MovementKind::Adjusted, delta.get());
            m.reason = Some(reason);
            let after = one(move_stock(tx, caller, vec![m])?)?;
            if after < 0 && delta.get() < 0 {
                return Err(FieldError::new(
                    "delta",
                    "below_zero",
                    format!("stock would fall to {after}"),
                )
                .with_param("after", after)
                .into());
            }
            Ok(after)
        })
    }

    /// A product's latest movements, newest first.
    pub fn stock_movements(
        &self,
        actor: &Actor,
        id: ProductId,
        limit: u32,
    ) -> Result<Vec<StockMovement>, ShopError> {
        self.query(actor, Operation::ViewStock, |c, caller| {
            load_product(c, caller, id)?;
            Ok(store::movements(c, id, limit.min(1000))?)
        })
    }
}

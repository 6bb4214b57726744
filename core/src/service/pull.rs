//! Applying what other devices and head office changed (DESIGN §7): a page of the
//! tenant's feed, in one transaction with the new cursor. Each entry goes through
//! the domain (its payload decoded and checked), is merged into its record's
//! replica per field, and the state tables take what the replica says; stock
//! movements of the store add to stock on hand. An entry that cannot be applied is
//! set aside without stopping the page, and tried again with every later page.

use super::{Actor, Shop, ShopError};
use crate::domain::category::Category;
use crate::domain::clock::Timestamp;
use crate::domain::content::{AnyContent, ContentData};
use crate::domain::event::{DomainEvent, Envelope, FeedApplied};
use crate::domain::ids::{CategoryId, ContentId, OperatorId, ProductId, TenantId};
use crate::domain::operator::{Operator, PinAttempts, PinHash};
use crate::domain::permission::Operation;
use crate::domain::product::Product;
use crate::domain::replica::{change_of, Kind, Replica, Stamp};
use crate::domain::stock::StockMovement;
use crate::domain::upcast::Upcasters;
use crate::store::{self, StoreError, WriteTx};
use rusqlite::{Connection, OptionalExtension};
use std::collections::HashMap;

/// One page of the feed as central answered it.
#[derive(Debug, Clone)]
pub struct PulledPage {
    /// Entries in position order: position and event.
    pub entries: Vec<(u64, Envelope)>,
    /// The cursor after this page.
    pub next: u64,
    /// The feed's head.
    pub head: u64,
    /// Central's clock when it answered, Unix milliseconds.
    pub central_time_ms: i64,
}

/// What applying a page did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PullApplied {
    /// Entries applied.
    pub applied: u32,
    /// Entries set aside this time.
    pub set_aside: u32,
    /// Entries set aside before and applied now.
    pub released: u32,
    /// The cursor now.
    pub cursor: u64,
    /// The feed's head.
    pub head: u64,
}

/// What PIN hash an operator who came without one gets: none verifies.
const NO_PIN: &str = "!no-pin-on-this-till";

/// The last write to a product that came from elsewhere: who, when, what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedElsewhere {
    /// The write's stamp (origin, device, clock time).
    pub stamp: Stamp,
    /// The fields it set (as named in the product's events), in name order.
    pub fields: Vec<String>,
}

impl Shop {
    /// Who last changed each of `ids`, and which fields, for the products whose
    /// last write came from somewhere else than this till since this till was set
    /// up: head office or another till, with its stamp (the HLC's wall part says
    /// when).
    pub fn changed_elsewhere(
        &self,
        actor: &Actor,
        ids: &[ProductId],
    ) -> Result<HashMap<ProductId, ChangedElsewhere>, ShopError> {
        let me = self.device()?.map(|d| d.device_id);
        self.query(actor, Operation::ViewCatalog, |c, _| {
            // What came before this till existed (the whole catalog of a till that
            // joined a chain) is not news: only changes made since are marked.
            let born: Option<String> = c
                .prepare_cached("SELECT hlc FROM events WHERE seq = 1")?
                .query_row([], |r| r.get(0))
                .optional()?;
            let born = born.and_then(|h| crate::domain::hlc::Hlc::parse(&h).ok());
            let mut out = HashMap::new();
            for id in ids {
                let Some(replica) = store::replica(c, Kind::Product, id.as_uuid())? else {
                    continue;
                };
                if let Some(stamp) = replica
                    .last()
                    .filter(|s| Some(s.device) != me)
                    .filter(|s| born.is_none_or(|b| s.hlc > b))
                {
                    // What that write set: the fields whose stamp is its stamp.
                    let fields = replica
                        .fields
                        .iter()
                        .filter(|(_, f)| f.stamp == stamp)
                        .map(|(name, _)| name.clone())
                        .collect();
                    out.insert(*id, ChangedElsewhere { stamp, fields });
                }
            }
            Ok(out)
        })
    }

    /// Applies a page of the tenant's feed after the cursor (a page that starts
    /// before the cursor is applied from it; one wholly behind it changes nothing).
    pub fn apply_pulled(&self, page: &PulledPage) -> Result<PullApplied, ShopError> {
        let upcasters = Upcasters::standard();
        let now = self.clock.now();
        let skew = now.unix_millis().saturating_sub(page.central_time_ms);
        let (out, wrote) = self.write_as(None, |tx| {
            let me = tx.identity()?;
            let state = store::pull_state(tx)?;
            let from = state.cursor;
            let mut out = PullApplied {
                cursor: from.max(page.next),
                head: page.head,
                ..PullApplied::default()
            };
            let fresh: Vec<&(u64, Envelope)> =
                page.entries.iter().filter(|(p, _)| *p > from).collect();
            let mut touched: Vec<(Kind, uuid::Uuid)> = Vec::new();
            let any = !fresh.is_empty();
            let before: Vec<u64> = if any {
                store::pull_dead_letters(tx)?.iter().map(|d| d.position).collect()
            } else {
                Vec::new()
            };
            for (position, e) in fresh {
                if e.device_id == me.device_id {
                    // Central never sends a device its own events; one that did
                    // changes nothing here.
                    continue;
                }
                tx.observe(e.hlc)?;
                match entry(tx, e, me.tenant_id, &upcasters) {
                    Ok(t) => {
                        touched.extend(t);
                        out.applied += 1;
                    }
                    Err(why) => {
                        tracing::warn!(position, event_type = %e.event_type, error = %why, "a pulled change was set aside");
                        store::set_aside(tx, *position, e, &why, now)?;
                        out.set_aside += 1;
                    }
                }
            }
            if any {
                // Entries set aside before may apply now (what they named arrived).
                for d in store::pull_dead_letters(tx)? {
                    if !before.contains(&d.position) {
                        continue;
                    }
                    if let Ok(t) = entry(tx, &d.envelope, me.tenant_id, &upcasters) {
                        store::release_pulled(tx, d.position)?;
                        touched.extend(t);
                        out.released += 1;
                    }
                }
            }
            let wrote = out.applied + out.set_aside + out.released > 0;
            if wrote {
                let applied = tx.append(FeedApplied {
                    device_id: me.device_id,
                    from,
                    to: out.cursor,
                    applied: out.applied + out.released,
                    set_aside: out.set_aside,
                })?;
                let seq = applied.seq;
                touched.sort_unstable();
                touched.dedup();
                store::save_pulled(tx, seq, &touched)?;
            }
            if wrote {
                store::save_pull(tx, out.cursor, page.head, now.unix_millis(), skew)?;
            }
            Ok((out, wrote))
        })?;
        if !wrote {
            // Nothing to apply: bookkeeping only, like an acknowledgement (no event).
            self.store
                .record_pull(out.cursor, page.head, now.unix_millis(), skew)?;
        }
        Ok(out)
    }
}

/// Applies one entry under a savepoint: all of it or none. Returns the records it
/// changed, or why it could not be applied.
fn entry(
    tx: &mut WriteTx<'_>,
    e: &Envelope,
    tenant: TenantId,
    upcasters: &Upcasters,
) -> Result<Vec<(Kind, uuid::Uuid)>, String> {
    let run = |c: &Connection| -> Result<Result<Vec<(Kind, uuid::Uuid)>, String>, StoreError> {
        c.execute_batch("SAVEPOINT pulled_entry")?;
        let r = apply(
            c,
            e,
            tenant,
            upcasters,
            Timestamp::from_unix_millis(e.occurred_at.unix_millis()),
        );
        match r {
            Ok(Ok(t)) => {
                c.execute_batch("RELEASE pulled_entry")?;
                Ok(Ok(t))
            }
            Ok(Err(why)) => {
                c.execute_batch("ROLLBACK TO pulled_entry; RELEASE pulled_entry")?;
                Ok(Err(why))
            }
            Err(err) => {
                c.execute_batch("ROLLBACK TO pulled_entry; RELEASE pulled_entry")?;
                Ok(Err(err.to_string()))
            }
        }
    };
    run(tx).unwrap_or_else(|e| Err(e.to_string()))
}

fn apply(
    c: &Connection,
    e: &Envelope,
    tenant: TenantId,
    upcasters: &Upcasters,
    now: Timestamp,
) -> Result<Result<Vec<(Kind, uuid::Uuid)>, String>, StoreError> {
    if e.tenant_id != tenant {
        return Ok(Err("an event of another tenant".to_owned()));
    }
    let event = match e.decode(upcasters) {
        Ok(ev) => ev,
        Err(why) => return Ok(Err(why.to_string())),
    };
    if let DomainEvent::StockMoved(p) = &event {
        if store::on_hand(c, p.product_id)?.is_none() {
            return Ok(Err(format!(
                "stock of a product this till does not hold ({})",
                p.product_id
            )));
        }
        if store::movement_held(c, p.movement_id)? {
            // Held already (fed twice): counted once.
            return Ok(Ok(Vec::new()));
        }
        let m = StockMovement {
            id: p.movement_id,
            product_id: p.product_id,
            kind: p.kind,
            delta: p.delta,
            reason: p.reason.clone(),
            // The order is the other till's; this one does not hold it.
            order_id: None,
            operator_id: e.actor_id,
            occurred_at: e.occurred_at,
        };
        store::insert_movements(c, tenant, &[m], &e.occurred_at.to_rfc3339())?;
        return Ok(Ok(vec![(Kind::Product, p.product_id.as_uuid())]));
    }
    let Some(change) = change_of(&event) else {
        // Not a change any other device applies (central sends none such).
        return Ok(Ok(Vec::new()));
    };
    let Some(replica) = store::merge_replica(c, &change, Stamp::of(e))? else {
        return Ok(Ok(Vec::new()));
    };
    if let Err(why) = project(c, change.kind, change.id, &replica, tenant, now)? {
        return Ok(Err(why));
    }
    Ok(Ok(vec![(change.kind, change.id)]))
}

/// Brings a record's state row in line with its replica.
fn project(
    c: &Connection,
    kind: Kind,
    id: uuid::Uuid,
    r: &Replica,
    tenant: TenantId,
    now: Timestamp,
) -> Result<Result<(), String>, StoreError> {
    let incomplete = |e: crate::domain::replica::Incomplete| e.to_string();
    match kind {
        Kind::Product => {
            let (fields, status) = match r.product() {
                Ok(v) => v,
                Err(e) => return Ok(Err(incomplete(e))),
            };
            // A price in another currency than the shop's is never sold at.
            if let Some(shop) = store::tenant(c, tenant)? {
                if fields.price.currency != shop.settings.currency {
                    return Ok(Err(format!(
                        "a price in {} where the shop sells in {}",
                        fields.price.currency, shop.settings.currency
                    )));
                }
            }
            if let Some(cat) = fields.category {
                if store::category(c, tenant, cat)?.is_none() {
                    return Ok(Err(format!("a category this till does not hold ({cat})")));
                }
            }
            let pid = ProductId::from_uuid(id);
            let old = store::product(c, tenant, pid)?;
            if let Some(d) = &fields.image {
                // The picture's bytes come separately, after the page: the product
                // is applied (and sold) without waiting for them.
                if old
                    .as_ref()
                    .is_none_or(|o| o.fields.image.as_ref() != Some(d))
                {
                    store::want_image(c, d, false)?;
                }
            }
            match old {
                Some(old) => {
                    let p = Product {
                        fields,
                        status,
                        version: old.version.saturating_add(1),
                        ..old
                    };
                    store::update_product(c, &p, now)?;
                }
                None => {
                    let p = Product {
                        id: pid,
                        tenant_id: tenant,
                        fields,
                        status,
                        on_hand: 0,
                        version: 1,
                    };
                    store::insert_product(c, &p, now)?;
                }
            }
        }
        Kind::Category => {
            let fields = match r.category() {
                Ok(v) => v,
                Err(e) => return Ok(Err(incomplete(e))),
            };
            if let Some(parent) = fields.parent {
                if store::category(c, tenant, parent)?.is_none() {
                    return Ok(Err(format!(
                        "a parent category this till does not hold ({parent})"
                    )));
                }
            }
            let cid = CategoryId::from_uuid(id);
            let version =
                store::category(c, tenant, cid)?.map_or(1, |k| k.version.saturating_add(1));
            store::save_category(
                c,
                &Category {
                    id: cid,
                    tenant_id: tenant,
                    fields,
                    version,
                },
                now,
            )?;
        }
        Kind::Content => {
            let (fields, status, published_at) = match r.content() {
                Ok(v) => v,
                Err(e) => return Ok(Err(incomplete(e))),
            };
            let nid = ContentId::from_uuid(id);
            let version =
                store::content(c, tenant, nid)?.map_or(1, |n| n.data().version.saturating_add(1));
            let node = AnyContent::from_stored(
                status,
                ContentData {
                    id: nid,
                    tenant_id: tenant,
                    fields,
                    published_at,
                    version,
                },
            );
            store::save_content(c, &node, now)?;
        }
        Kind::Operator => {
            let (name, role, active, pin_hash) = match r.operator() {
                Ok(v) => v,
                Err(e) => return Ok(Err(incomplete(e))),
            };
            let oid = OperatorId::from_uuid(id);
            match store::operator(c, tenant, oid)? {
                Some(old) => {
                    let op = Operator {
                        name,
                        role,
                        active,
                        pin_hash: pin_hash.map_or(old.pin_hash.clone(), PinHash::from_stored),
                        ..old
                    };
                    store::update_operator(c, &op, now)?;
                }
                None => {
                    let op = Operator {
                        id: oid,
                        tenant_id: tenant,
                        name,
                        role,
                        pin_hash: PinHash::from_stored(
                            pin_hash.unwrap_or_else(|| NO_PIN.to_owned()),
                        ),
                        active,
                        attempts: PinAttempts::default(),
                    };
                    store::insert_operator(c, &op, now)?;
                }
            }
        }
        Kind::Settings => {
            if id != tenant.as_uuid() {
                return Ok(Err("settings of another tenant".to_owned()));
            }
            let (_, settings) = match r.settings() {
                Ok(v) => v,
                Err(e) => return Ok(Err(incomplete(e))),
            };
            store::update_tenant_settings(c, tenant, &settings, now)?;
        }
    }
    Ok(Ok(()))
}

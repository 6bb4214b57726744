//! Head office's writes: edits from the admin API become events of the tenant's
//! office device (origin central), checked by the domain (`rustok_domain::office`),
//! against the records central holds (references must exist, a SKU or barcode must
//! not be another product's), then stored by the one ingest algorithm like any
//! device's push, so they enter the feed and the replicas the same way.

use crate::ingest::{self, Checked, Verdict};
use crate::store::Office;
use crate::{Central, CentralError};
use rustok_domain::event::{Aggregate, DomainEvent, Envelope, Origin};
use rustok_domain::ids::{CorrelationId, EventId};
use rustok_domain::office::{events_of, Against, Edit};
use rustok_domain::replica::{change_of, Kind, Replica, Stamp};
use rustok_domain::tenant::TenantSlug;
use rustok_domain::DomainError;
use std::collections::{BTreeSet, HashMap};
use uuid::Uuid;

/// Why head office's changes were refused (nothing was written).
#[derive(Debug)]
pub enum Refused {
    /// An edit breaks a rule; `at` is its place in the request.
    Invalid {
        /// Its index.
        at: usize,
        /// Machine-readable.
        code: &'static str,
        /// For people.
        message: String,
    },
    /// Storage failed.
    Storage(CentralError),
}

impl From<CentralError> for Refused {
    fn from(e: CentralError) -> Self {
        Refused::Storage(e)
    }
}

fn invalid(at: usize, code: &'static str, message: impl Into<String>) -> Refused {
    Refused::Invalid {
        at,
        code,
        message: message.into(),
    }
}

fn domain(at: usize, e: &DomainError) -> Refused {
    let code = match e {
        DomainError::Validation(v) => v.first().map_or("invalid", |f| f.code),
        DomainError::InvalidTransition { .. } => "invalid_transition",
    };
    invalid(at, code, e.to_string())
}

/// The kind of record an aggregate is, if it is one.
fn kind_of(a: Aggregate) -> Option<Kind> {
    match a {
        Aggregate::Tenant => Some(Kind::Settings),
        Aggregate::Operator => Some(Kind::Operator),
        Aggregate::Category => Some(Kind::Category),
        Aggregate::Product => Some(Kind::Product),
        Aggregate::Content => Some(Kind::Content),
        Aggregate::Device | Aggregate::Order | Aggregate::CashSession => None,
    }
}

/// Records an event names besides its own.
fn references(event: &DomainEvent) -> Vec<(Kind, Uuid)> {
    let mut refs: Vec<(Kind, Uuid)> = event
        .references()
        .into_iter()
        .skip(1)
        .filter_map(|(a, id)| Some((kind_of(a)?, id)))
        .collect();
    let promo = match event {
        DomainEvent::ContentCreated(p) => Some(&p.fields.products),
        DomainEvent::ContentUpdated(p) => Some(&p.fields.products),
        _ => None,
    };
    refs.extend(
        promo
            .into_iter()
            .flatten()
            .map(|p| (Kind::Product, p.as_uuid())),
    );
    refs
}

/// Head office's edits made ready to store.
pub struct Prepared {
    /// The checked events, at the office's next seqs, in order.
    pub checked: Vec<Checked>,
    /// The edited records as central held them before (those that existed).
    pub before: Records,
    /// The same records with the edits merged in (what the audit log names).
    pub after: Records,
}

/// Records by kind and id.
pub type Records = HashMap<(Kind, Uuid), Replica>;

/// The checked events that make `edits` happen, at the office's next seqs, in
/// order (an edit sees the ones before it), with the records before and after.
/// Nothing is written.
pub async fn prepare(
    c: &Central,
    slug: &TenantSlug,
    office: &Office,
    edits: &[Edit],
) -> Result<Prepared, Refused> {
    let tenant = office.tenant_id;
    let mut keys: Vec<(Kind, Uuid)> = edits.iter().map(|e| (e.kind, e.id)).collect();
    keys.sort_unstable();
    keys.dedup();
    let mut current: Records = c.backend.replicas(tenant, &keys).await?;
    let before = current.clone();
    // The pictures products name before these edits: one named again is not news.
    let pictured: HashMap<Uuid, String> = current
        .iter()
        .filter(|((kind, _), _)| *kind == Kind::Product)
        .filter_map(|((_, id), r)| {
            let image = r.fields.get("image")?.value.as_str()?;
            Some((*id, image.to_owned()))
        })
        .collect();
    let now = c.clock.now();
    let correlation = CorrelationId::generate(now, &*c.entropy);
    let (mut hlc, mut seq) = (office.last_hlc, office.acked_through);
    let mut out = Vec::new();
    let mut named: Vec<(usize, (Kind, Uuid))> = Vec::new();
    let mut products: BTreeSet<(usize, Uuid)> = BTreeSet::new();
    for (at, edit) in edits.iter().enumerate() {
        let mut salt = [0u8; 16];
        c.entropy.fill(&mut salt);
        let against = Against {
            current: current.get(&(edit.kind, edit.id)),
            tenant,
            slug,
            now,
            salt,
        };
        let events = events_of(edit, against).map_err(|e| domain(at, &e))?;
        for event in events {
            hlc = hlc.tick(now);
            seq = seq
                .checked_add(1)
                .ok_or(CentralError::Invalid("head office's seqs ran out"))?;
            let data = event
                .payload_raw()
                .map_err(|e| CentralError::Corrupt(e.to_string()))?;
            let envelope = Envelope {
                id: EventId::generate(now, &*c.entropy),
                event_type: event.event_type().as_str().to_owned(),
                schema_version: event.event_type().current_version(),
                tenant_id: tenant,
                device_id: office.device_id,
                seq,
                hlc,
                occurred_at: now,
                actor_id: None,
                correlation_id: correlation,
                causation_id: None,
                origin: Origin::Central,
                data,
            };
            if let Some(change) = change_of(&event) {
                current
                    .entry((change.kind, change.id))
                    .or_default()
                    .merge(&change, Stamp::of(&envelope));
            }
            named.extend(references(&event).into_iter().map(|r| (at, r)));
            if edit.kind == Kind::Product {
                products.insert((at, edit.id));
            }
            let raw = serde_json::to_string(&envelope)
                .map_err(|e| CentralError::Corrupt(e.to_string()))?;
            let checked = ingest::check_office(envelope, &raw, &c.upcasters);
            if let Verdict::Reject(_, why) = &checked.verdict {
                return Err(invalid(at, "invalid", why.clone()));
            }
            out.push(checked);
        }
    }
    // What the edits name must exist, here or at central.
    let unknown: Vec<(Kind, Uuid)> = named
        .iter()
        .map(|(_, k)| *k)
        .filter(|k| !current.contains_key(k))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if !unknown.is_empty() {
        let held = c.backend.replicas(tenant, &unknown).await?;
        if let Some((at, (kind, id))) = named
            .iter()
            .find(|(_, k)| !current.contains_key(k) && !held.contains_key(k))
        {
            return Err(invalid(
                *at,
                "unknown_reference",
                format!("no {} with id {id}", kind.as_str()),
            ));
        }
    }
    // Prices are in the shop's currency (as a till checks): a price in another one,
    // or in no currency at all, would be taken by every till as it is.
    let settings_key = (Kind::Settings, tenant.as_uuid());
    let settings = match current.get(&settings_key) {
        Some(r) => Some(r.clone()),
        None if !products.is_empty() => c
            .backend
            .replicas(tenant, &[settings_key])
            .await?
            .remove(&settings_key),
        None => None,
    };
    let shop_currency = settings
        .as_ref()
        .and_then(|r| r.fields.get("currency"))
        .and_then(|f| f.value.as_str().map(str::to_owned));
    if let Some(currency) = shop_currency {
        for (at, id) in &products {
            let priced = current
                .get(&(Kind::Product, *id))
                .and_then(|r| r.fields.get("price"))
                .and_then(|f| f.value.get("currency"))
                .and_then(serde_json::Value::as_str);
            if priced.is_some_and(|p| p != currency) {
                return Err(invalid(
                    *at,
                    "currency_mismatch",
                    format!("prices must be in the shop's currency, {currency}"),
                ));
            }
        }
    }
    // A picture a product is given must be one central holds for the tenant, so
    // every till can fetch it (head office uploads it first). The picture it has
    // already (a till's, perhaps not sent yet) may be named again.
    for (at, edit) in edits.iter().enumerate() {
        let Some(digest) = edit
            .fields
            .get("image")
            .filter(|_| edit.kind == Kind::Product)
            .and_then(serde_json::Value::as_str)
            .filter(|d| pictured.get(&edit.id).map(String::as_str) != Some(*d))
        else {
            continue;
        };
        let digest = rustok_domain::image::ImageDigest::parse(digest)
            .map_err(|e| invalid(at, e.code, format!("image {}", e.message)))?;
        if !c.backend.image_held(tenant, &digest).await? {
            return Err(invalid(
                at,
                "unknown_image",
                format!(
                    "central holds no picture {digest} for this tenant; upload it first (POST {})",
                    rustok_protocol::paths::ADMIN_IMAGES.replace("{slug}", slug.as_str())
                ),
            ));
        }
    }
    // Categories are two levels deep at most, as a till keeps them: a parent is a
    // top-level category, and a category with categories under it stays at the top
    // (so no category is ever under itself, however the edits are ordered).
    let moved: Vec<(usize, Uuid)> = edits
        .iter()
        .enumerate()
        .filter(|(_, e)| e.kind == Kind::Category && e.fields.contains_key("parent"))
        .map(|(at, e)| (at, e.id))
        .collect();
    if !moved.is_empty() {
        let parent_of = |r: &Replica| {
            r.fields
                .get("parent")
                .and_then(|f| f.value.as_str())
                .and_then(|p| Uuid::parse_str(p).ok())
        };
        let mut parents: HashMap<Uuid, Option<Uuid>> = c
            .backend
            .records(tenant, Kind::Category)
            .await?
            .iter()
            .map(|(id, r)| (*id, parent_of(r)))
            .collect();
        for ((kind, id), r) in &current {
            if *kind == Kind::Category {
                parents.insert(*id, parent_of(r));
            }
        }
        for (at, id) in moved {
            let Some(Some(parent)) = parents.get(&id).copied() else {
                continue;
            };
            if parents.get(&parent).is_some_and(Option::is_some) || parent == id {
                return Err(invalid(
                    at,
                    "too_deep",
                    "the parent is itself under another category (two levels at most)",
                ));
            }
            if parents.values().any(|p| *p == Some(id)) {
                return Err(invalid(
                    at,
                    "has_children",
                    "a category with categories under it stays at the top",
                ));
            }
        }
    }
    // A page's slug and an operator's name are one record's, as a till keeps them
    // (a kiosk finds a page by its slug; a cashier picks their name at login).
    for (kind, field, what) in [
        (Kind::Content, "slug", "another page uses this slug"),
        (Kind::Operator, "name", "another operator has this name"),
    ] {
        let named: Vec<(usize, Uuid)> = edits
            .iter()
            .enumerate()
            .filter(|(_, e)| e.kind == kind && e.fields.contains_key(field))
            .map(|(at, e)| (at, e.id))
            .collect();
        if named.is_empty() {
            continue;
        }
        let text = |r: &Replica| {
            r.fields
                .get(field)
                .and_then(|f| f.value.as_str().map(str::to_owned))
        };
        let mut values: HashMap<Uuid, Option<String>> = c
            .backend
            .records(tenant, kind)
            .await?
            .iter()
            .map(|(id, r)| (*id, text(r)))
            .collect();
        for ((k, id), r) in &current {
            if *k == kind {
                values.insert(*id, text(r));
            }
        }
        for (at, id) in named {
            let Some(Some(value)) = values.get(&id) else {
                continue;
            };
            if values
                .iter()
                .any(|(other, v)| *other != id && v.as_ref() == Some(value))
            {
                return Err(invalid(at, "taken", what));
            }
        }
    }
    // A SKU or barcode given is one product's: another's here or at central
    // refuses. An edit that leaves both alone is not refused for a clash tills made
    // offline (listed in the console for a person to resolve).
    let mut seen: HashMap<String, Uuid> = HashMap::new();
    let renamed = products.iter().filter(|(at, _)| {
        edits
            .get(*at)
            .is_some_and(|e| e.fields.contains_key("sku") || e.fields.contains_key("barcode"))
    });
    for (at, id) in renamed {
        let Some(r) = current.get(&(Kind::Product, *id)) else {
            continue;
        };
        let text = |f: &str| {
            r.fields
                .get(f)
                .and_then(|f| f.value.as_str().map(str::to_owned))
        };
        let (Some(sku), barcode) = (text("sku"), text("barcode")) else {
            continue;
        };
        let mut taken = c
            .backend
            .clashes(tenant, *id, &sku, barcode.as_deref())
            .await?;
        // Central's record may be the one this request moves away from the SKU.
        taken.retain(|other| {
            let moved = current.get(&(Kind::Product, *other)).is_some_and(|o| {
                let t = |f: &str| o.fields.get(f).and_then(|f| f.value.as_str());
                t("sku") != Some(sku.as_str())
                    && t("barcode")
                        .zip(barcode.as_deref())
                        .is_none_or(|(a, b)| a != b)
            });
            !moved
        });
        for key in
            std::iter::once(format!("sku:{sku}")).chain(barcode.map(|b| format!("barcode:{b}")))
        {
            if let Some(other) = seen.insert(key.clone(), *id).filter(|o| o != id) {
                taken.push(other);
            }
        }
        if let Some(other) = taken.first() {
            return Err(invalid(
                *at,
                "taken",
                format!("another product ({other}) has this SKU or barcode"),
            ));
        }
    }
    current.retain(|k, _| keys.binary_search(k).is_ok());
    Ok(Prepared {
        checked: out,
        before,
        after: current,
    })
}

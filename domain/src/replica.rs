//! Replicated records and their conflict policy (DESIGN §7).
//!
//! The tenant's settings, operators, categories, products and content nodes are
//! written on every device and at head office, and every replica must end with the
//! same values. Each is kept as a [`Replica`]: per field, its value and the
//! [`Stamp`] of the write that set it. A write ([`Change`], made from an event by
//! [`change_of`]) sets a field only when its stamp is greater than the field's:
//! the greatest hybrid-logical-clock time wins, ties go to head office, then to the
//! lower device id. Merging is therefore the same in any order and any number of
//! times, so replicas that saw the same writes hold the same values.
//!
//! Stock is not here: stock on hand is the sum of a store's movements, which commute.

use crate::category::CategoryFields;
use crate::clock::Timestamp;
use crate::content::{ContentFields, ContentStatus};
use crate::event::{DomainEvent, Envelope, Origin};
use crate::hlc::Hlc;
use crate::ids::DeviceId;
use crate::operator::OperatorName;
use crate::permission::Role;
use crate::product::{ProductFields, ProductStatus};
use crate::tenant::{TenantSettings, TenantSlug};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::cmp::Ordering;
use std::collections::BTreeMap;
use uuid::Uuid;

/// What a replicated record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The tenant's settings (the record's id is the tenant's).
    Settings,
    /// An operator.
    Operator,
    /// A catalog category.
    Category,
    /// A product (without its stock).
    Product,
    /// A content node.
    Content,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 5] = [
        Kind::Settings,
        Kind::Operator,
        Kind::Category,
        Kind::Product,
        Kind::Content,
    ];

    /// Stable name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::Settings => "settings",
            Kind::Operator => "operator",
            Kind::Category => "category",
            Kind::Product => "product",
            Kind::Content => "content",
        }
    }

    /// Inverse of [`Kind::as_str`].
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The fields a record of this kind has, as named in its events' payloads.
    pub const fn fields(self) -> &'static [&'static str] {
        match self {
            Kind::Settings => SETTINGS_FIELDS,
            Kind::Operator => OPERATOR_FIELDS,
            Kind::Category => CATEGORY_FIELDS,
            Kind::Product => PRODUCT_FIELDS,
            Kind::Content => CONTENT_FIELDS,
        }
    }
}

/// The fields of [`TenantSettings`], with the tenant's slug.
pub const SETTINGS_FIELDS: &[&str] = &[
    "slug",
    "name",
    "currency",
    "default_locale",
    "tax_mode",
    "features",
    "allow_oversell",
    "shift_difference_limit",
    "blind_count",
    "discount_limit",
    "address",
    "kiosk_idle_secs",
];
/// An operator's fields (lockout is per device and not replicated).
pub const OPERATOR_FIELDS: &[&str] = &["name", "role", "active", "pin_hash"];
/// The fields of [`CategoryFields`].
pub const CATEGORY_FIELDS: &[&str] = &["names", "position", "parent"];
/// The fields of [`ProductFields`], with the status.
pub const PRODUCT_FIELDS: &[&str] = &[
    "sku",
    "barcode",
    "titles",
    "descriptions",
    "price",
    "tax_rate",
    "low_stock_threshold",
    "category",
    "image",
    "status",
];
/// The fields of [`ContentFields`], with the status and publication time.
pub const CONTENT_FIELDS: &[&str] = &[
    "kind",
    "slug",
    "position",
    "translations",
    "products",
    "status",
    "published_at",
];

/// Who wrote a value, and when: the order in which writes to one field win.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Stamp {
    /// The writing event's hybrid logical clock time.
    pub hlc: Hlc,
    /// Device or head office.
    pub origin: Origin,
    /// The writer (head office writes as its tenant's office device).
    pub device: DeviceId,
}

impl Stamp {
    /// The stamp of an event's writes.
    pub fn of(e: &Envelope) -> Stamp {
        Stamp {
            hlc: e.hlc,
            origin: e.origin,
            device: e.device_id,
        }
    }
}

impl Ord for Stamp {
    /// Later HLC first; on a tie head office, then the lower device id.
    fn cmp(&self, o: &Self) -> Ordering {
        let office = |s: &Stamp| s.origin == Origin::Central;
        self.hlc
            .cmp(&o.hlc)
            .then_with(|| office(self).cmp(&office(o)))
            .then_with(|| o.device.cmp(&self.device))
    }
}

impl PartialOrd for Stamp {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

/// What one event writes to one replicated record.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The record's kind.
    pub kind: Kind,
    /// Its id.
    pub id: Uuid,
    /// The fields written, by name (`null` clears an optional one).
    pub fields: Vec<(&'static str, Value)>,
}

/// `fields` of `kind` taken from a serialised payload: the named ones (all of the
/// kind's when `only` is `None`); a field the payload leaves out is `null`.
fn pick(kind: Kind, id: Uuid, payload: Value, only: Option<&[String]>, skip: &[&str]) -> Change {
    let mut obj = match payload {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    let fields = kind
        .fields()
        .iter()
        .filter(|f| !skip.contains(f))
        .filter(|f| only.is_none_or(|o| o.iter().any(|n| n == *f)))
        .map(|f| (*f, obj.remove(*f).unwrap_or(Value::Null)))
        .collect();
    Change { kind, id, fields }
}

fn json<T: Serialize>(v: &T) -> Value {
    // Payload types serialise to JSON objects by construction.
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// The write an event makes to a replicated record, if it makes one.
pub fn change_of(event: &DomainEvent) -> Option<Change> {
    use DomainEvent as E;
    let status = ["status"];
    let with = |mut c: Change, more: &[(&'static str, Value)]| {
        c.fields.extend(more.iter().cloned());
        c
    };
    Some(match event {
        E::TenantCreated(p) => {
            let mut c = pick(
                Kind::Settings,
                p.tenant_id.as_uuid(),
                json(&p.settings),
                None,
                &["slug"],
            );
            c.fields.insert(0, ("slug", json(&p.slug)));
            c
        }
        E::TenantSettingsChanged(p) => pick(
            Kind::Settings,
            p.tenant_id.as_uuid(),
            json(&p.settings),
            p.changed.as_deref(),
            &["slug"],
        ),
        E::OperatorCreated(p) => {
            let mut fields = vec![
                ("name", json(&p.name)),
                ("role", json(&p.role)),
                ("active", Value::Bool(true)),
            ];
            if let Some(h) = &p.pin_hash {
                fields.push(("pin_hash", Value::String(h.clone())));
            }
            Change {
                kind: Kind::Operator,
                id: p.operator_id.as_uuid(),
                fields,
            }
        }
        E::OperatorRoleChanged(p) => Change {
            kind: Kind::Operator,
            id: p.operator_id.as_uuid(),
            fields: vec![("role", json(&p.to))],
        },
        E::OperatorDeactivated(p) => Change {
            kind: Kind::Operator,
            id: p.operator_id.as_uuid(),
            fields: vec![("active", Value::Bool(false))],
        },
        E::OperatorPinReset(p) => Change {
            kind: Kind::Operator,
            id: p.operator_id.as_uuid(),
            fields: p
                .pin_hash
                .iter()
                .map(|h| ("pin_hash", Value::String(h.clone())))
                .collect(),
        },
        E::ProductCreated(p) => with(
            pick(
                Kind::Product,
                p.product_id.as_uuid(),
                json(&p.fields),
                None,
                &status,
            ),
            &[("status", json(&p.status))],
        ),
        E::ProductUpdated(p) => pick(
            Kind::Product,
            p.product_id.as_uuid(),
            json(&p.fields),
            p.changed.as_deref(),
            &status,
        ),
        E::ProductStatusChanged(p) => Change {
            kind: Kind::Product,
            id: p.product_id.as_uuid(),
            fields: vec![("status", json(&p.to))],
        },
        E::CategoryCreated(p) => pick(
            Kind::Category,
            p.category_id.as_uuid(),
            json(&p.fields),
            None,
            &[],
        ),
        E::CategoryUpdated(p) => pick(
            Kind::Category,
            p.category_id.as_uuid(),
            json(&p.fields),
            p.changed.as_deref(),
            &[],
        ),
        E::ContentCreated(p) => with(
            pick(
                Kind::Content,
                p.content_id.as_uuid(),
                json(&p.fields),
                None,
                &["status", "published_at"],
            ),
            &[
                ("status", json(&ContentStatus::Draft)),
                ("published_at", Value::Null),
            ],
        ),
        E::ContentUpdated(p) => pick(
            Kind::Content,
            p.content_id.as_uuid(),
            json(&p.fields),
            p.changed.as_deref(),
            &["status", "published_at"],
        ),
        E::ContentPublished(p) => Change {
            kind: Kind::Content,
            id: p.content_id.as_uuid(),
            fields: vec![
                ("status", json(&ContentStatus::Published)),
                ("published_at", json(&p.published_at)),
            ],
        },
        E::ContentArchived(p) => Change {
            kind: Kind::Content,
            id: p.content_id.as_uuid(),
            fields: vec![("status", json(&ContentStatus::Archived))],
        },
        _ => return None,
    })
}

/// One field of a replica: its value and who set it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    /// The value (`null`: not set).
    pub value: Value,
    /// The write that set it.
    pub stamp: Stamp,
}

/// A replicated record: per field, the value of the greatest write.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Replica {
    /// By field name.
    pub fields: BTreeMap<String, Field>,
}

/// What [`Replica::merge`] changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Merged {
    /// A field's value (the state row must follow).
    pub values: bool,
    /// A field's stamp (the replica must be saved), values changed or not.
    pub stamps: bool,
}

/// A replica that does not (yet) hold a whole record of its kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the {kind} record is incomplete or unreadable: {why}")]
pub struct Incomplete {
    /// Its kind's name.
    pub kind: &'static str,
    /// What is missing or wrong.
    pub why: String,
}

impl Replica {
    /// Applies `change` written at `stamp`: each field takes the value and the
    /// stamp when `stamp` is greater than the field's. Says what changed: a write
    /// that sets a field to the value it holds still takes its stamp (so a later
    /// write between the two stamps is judged the same way on every replica).
    pub fn merge(&mut self, change: &Change, stamp: Stamp) -> Merged {
        let mut out = Merged::default();
        for (name, value) in &change.fields {
            match self.fields.get_mut(*name) {
                Some(f) if f.stamp >= stamp => {}
                Some(f) => {
                    out.stamps = true;
                    out.values |= f.value != *value;
                    f.value = value.clone();
                    f.stamp = stamp;
                }
                None => {
                    out = Merged {
                        values: true,
                        stamps: true,
                    };
                    self.fields.insert(
                        (*name).to_owned(),
                        Field {
                            value: value.clone(),
                            stamp,
                        },
                    );
                }
            }
        }
        out
    }

    /// The greatest stamp of any field: who wrote last.
    pub fn last(&self) -> Option<Stamp> {
        self.fields.values().map(|f| f.stamp).max()
    }

    /// The stamp of one field.
    pub fn stamp_of(&self, field: &str) -> Option<Stamp> {
        self.fields.get(field).map(|f| f.stamp)
    }

    /// The values, without those that are not set.
    pub fn values(&self) -> Map<String, Value> {
        self.fields
            .iter()
            .filter(|(_, f)| !f.value.is_null())
            .map(|(k, f)| (k.clone(), f.value.clone()))
            .collect()
    }

    fn read<T: DeserializeOwned>(&self, kind: Kind, skip: &[&str]) -> Result<T, Incomplete> {
        let mut v = self.values();
        v.retain(|k, _| !skip.contains(&k.as_str()));
        serde_json::from_value(Value::Object(v)).map_err(|e| Incomplete {
            kind: kind.as_str(),
            why: e.to_string(),
        })
    }

    fn one<T: DeserializeOwned>(&self, kind: Kind, name: &str) -> Result<T, Incomplete> {
        let v = self
            .fields
            .get(name)
            .map_or(Value::Null, |f| f.value.clone());
        serde_json::from_value(v).map_err(|e| Incomplete {
            kind: kind.as_str(),
            why: format!("{name}: {e}"),
        })
    }

    /// The settings and slug this replica holds.
    pub fn settings(&self) -> Result<(TenantSlug, TenantSettings), Incomplete> {
        let settings: TenantSettings = self.read(Kind::Settings, &["slug"])?;
        settings.validate().map_err(|e| Incomplete {
            kind: "settings",
            why: e.to_string(),
        })?;
        Ok((self.one(Kind::Settings, "slug")?, settings))
    }

    /// The operator this replica holds: name, role, active, PIN hash (if any).
    pub fn operator(&self) -> Result<(OperatorName, Role, bool, Option<String>), Incomplete> {
        Ok((
            self.one(Kind::Operator, "name")?,
            self.one(Kind::Operator, "role")?,
            self.one(Kind::Operator, "active")?,
            self.one(Kind::Operator, "pin_hash")?,
        ))
    }

    /// The category this replica holds.
    pub fn category(&self) -> Result<CategoryFields, Incomplete> {
        self.read(Kind::Category, &[])
    }

    /// The product this replica holds, checked by the domain's rules.
    pub fn product(&self) -> Result<(ProductFields, ProductStatus), Incomplete> {
        let fields: ProductFields = self.read(Kind::Product, &["status"])?;
        fields.validate().map_err(|e| Incomplete {
            kind: "product",
            why: e.to_string(),
        })?;
        Ok((fields, self.one(Kind::Product, "status")?))
    }

    /// The content node this replica holds, with its status and publication time.
    pub fn content(&self) -> Result<(ContentFields, ContentStatus, Option<Timestamp>), Incomplete> {
        let fields: ContentFields = self.read(Kind::Content, &["status", "published_at"])?;
        fields.validate().map_err(|e| Incomplete {
            kind: "content",
            why: e.to_string(),
        })?;
        Ok((
            fields,
            self.one(Kind::Content, "status")?,
            self.one(Kind::Content, "published_at")?,
        ))
    }
}

/// The fields of `kind` whose value differs between two payloads of it (what an
/// edit's `changed` names).
pub fn changed_fields<T: Serialize>(kind: Kind, old: &T, new: &T) -> Vec<String> {
    let (old, new) = (json(old), json(new));
    kind.fields()
        .iter()
        .filter(|f| old.get(**f).unwrap_or(&Value::Null) != new.get(**f).unwrap_or(&Value::Null))
        .map(|f| (*f).to_owned())
        .collect()
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::event::{ProductCreated, ProductUpdated, TenantCreated};
    use crate::ids::{ProductId, TenantId};
    use proptest::prelude::*;
    use serde_json::json;

    fn stamp(millis: i64, origin: Origin, device: u128) -> Stamp {
        Stamp {
            hlc: Hlc::parse(&format!("{millis:013}-0000")).unwrap(),
            origin,
            device: DeviceId::from_uuid(Uuid::from_u128(device)),
        }
    }

    fn product_fields() -> ProductFields {
        serde_json::from_value(json!({
            "sku": "SKU-1", "barcode": "4006381333931", "titles": {"en": "Tea", "ru": "Чай"},
            "descriptions": {"en": "Black"}, "price": {"minor": 250, "currency": "EUR"},
            "tax_rate": 2000, "low_stock_threshold": 3,
            "category": "0192f0e4-0000-7000-8000-000000000001",
            "image": "ab".repeat(32),
        }))
        .unwrap()
    }

    #[test]
    fn the_later_write_wins_then_head_office_then_the_lower_device() {
        let early = stamp(1_000, Origin::Device, 1);
        let late = stamp(2_000, Origin::Device, 9);
        assert!(late > early);
        let office = stamp(2_000, Origin::Central, 99);
        assert!(office > late, "a tie goes to head office");
        let low = stamp(2_000, Origin::Device, 3);
        assert!(low > late, "then to the lower device id");
    }

    #[test]
    fn every_field_of_every_kind_is_named() {
        let settings: TenantSettings = serde_json::from_value(json!({
            "name": "Corner", "currency": "EUR", "default_locale": "en", "tax_mode": "inclusive",
            "features": {"commerce": true, "content": true, "kiosk": true}, "allow_oversell": true,
            "shift_difference_limit": 500, "blind_count": true, "discount_limit": 1000,
            "address": "1 Main St", "kiosk_idle_secs": 60,
        }))
        .unwrap();
        let content: ContentFields = serde_json::from_value(json!({
            "kind": "promo", "slug": "tea", "position": 1,
            "translations": {"en": {"title": "Tea"}},
            "products": ["0192f0e4-0000-7000-8000-000000000002"],
        }))
        .unwrap();
        let category: CategoryFields = serde_json::from_value(json!({
            "names": {"en": "Drinks"}, "position": 2,
            "parent": "0192f0e4-0000-7000-8000-000000000003",
        }))
        .unwrap();
        for (kind, value) in [
            (Kind::Settings, json(&settings)),
            (Kind::Product, json(&product_fields())),
            (Kind::Content, json(&content)),
            (Kind::Category, json(&category)),
        ] {
            for key in value.as_object().unwrap().keys() {
                assert!(kind.fields().contains(&key.as_str()), "{kind:?}: {key}");
            }
        }
    }

    #[test]
    fn a_created_product_reads_back_and_an_edit_writes_only_what_it_changed() {
        let id = ProductId::from_uuid(Uuid::from_u128(7));
        let created: DomainEvent = ProductCreated {
            product_id: id,
            fields: product_fields(),
            status: ProductStatus::Active,
        }
        .into();
        let mut r = Replica::default();
        assert!(
            r.merge(&change_of(&created).unwrap(), stamp(1, Origin::Device, 1))
                .values
        );
        assert_eq!(
            r.product().unwrap(),
            (product_fields(), ProductStatus::Active)
        );

        let mut edited = product_fields();
        edited.price.minor = 300;
        edited.barcode = None;
        let changed = changed_fields(Kind::Product, &product_fields(), &edited);
        assert_eq!(changed, ["barcode", "price"]);
        let update: DomainEvent = ProductUpdated {
            product_id: id,
            version: 2,
            fields: edited.clone(),
            changed: Some(changed),
        }
        .into();
        let c = change_of(&update).unwrap();
        assert_eq!(
            c.fields.iter().map(|(f, _)| *f).collect::<Vec<_>>(),
            ["barcode", "price"]
        );
        // A concurrent, later title edit elsewhere survives the price edit.
        let mut titled = product_fields();
        titled.titles = serde_json::from_value(json!({"en": "Green tea"})).unwrap();
        let other: DomainEvent = ProductUpdated {
            product_id: id,
            version: 2,
            fields: titled.clone(),
            changed: Some(vec!["titles".into()]),
        }
        .into();
        r.merge(&change_of(&other).unwrap(), stamp(3, Origin::Device, 2));
        r.merge(&c, stamp(2, Origin::Central, 5));
        let (fields, _) = r.product().unwrap();
        assert_eq!(fields.price.minor, 300);
        assert_eq!(fields.barcode, None);
        assert_eq!(fields.titles, titled.titles);
        // An old edit without `changed` writes every field but the status.
        let old: DomainEvent = ProductUpdated {
            product_id: id,
            version: 2,
            fields: product_fields(),
            changed: None,
        }
        .into();
        assert_eq!(
            change_of(&old).unwrap().fields.len(),
            PRODUCT_FIELDS.len() - 1
        );
    }

    #[test]
    fn settings_read_back_with_the_slug() {
        let settings: TenantSettings = serde_json::from_value(json!({
            "name": "Corner", "currency": "JPY", "default_locale": "ru", "tax_mode": "exclusive",
            "features": {"commerce": true, "content": false, "kiosk": true}, "allow_oversell": false,
        }))
        .unwrap();
        let e: DomainEvent = TenantCreated {
            tenant_id: TenantId::from_uuid(Uuid::from_u128(1)),
            slug: TenantSlug::parse("corner").unwrap(),
            settings: settings.clone(),
        }
        .into();
        let mut r = Replica::default();
        r.merge(&change_of(&e).unwrap(), stamp(1, Origin::Device, 1));
        let (slug, read) = r.settings().unwrap();
        assert_eq!((slug.as_str(), read), ("corner", settings));
    }

    /// Regression (convergence seed 52): two tills set one price to the same value
    /// at one HLC; central kept the first stamp, a till the rule's. A later write
    /// between the two stamps would then have won on one and lost on the other.
    #[test]
    fn a_write_of_the_value_held_still_takes_its_greater_stamp() {
        let price = |minor: i64| Change {
            kind: Kind::Product,
            id: Uuid::from_u128(1),
            fields: vec![("price", json!({"minor": minor, "currency": "EUR"}))],
        };
        let mut r = Replica::default();
        let first = r.merge(&price(274), stamp(5, Origin::Device, 2));
        assert_eq!(
            first,
            Merged {
                values: true,
                stamps: true
            }
        );
        let same = r.merge(&price(274), stamp(5, Origin::Device, 1));
        assert_eq!(
            same,
            Merged {
                values: false,
                stamps: true
            },
            "the lower device wins the tie"
        );
        assert_eq!(r.stamp_of("price"), Some(stamp(5, Origin::Device, 1)));
        assert_eq!(
            r.merge(&price(274), stamp(4, Origin::Device, 0)),
            Merged::default()
        );
    }

    #[test]
    fn an_incomplete_product_says_so() {
        let mut r = Replica::default();
        let c = Change {
            kind: Kind::Product,
            id: Uuid::from_u128(1),
            fields: vec![("price", json!({"minor": 5, "currency": "EUR"}))],
        };
        r.merge(&c, stamp(1, Origin::Central, 0));
        assert!(r.product().is_err());
    }

    proptest! {
        /// Replicas that see the same writes, in any order and any number of times,
        /// hold the same values and stamps.
        #[test]
        fn merging_is_the_same_in_any_order(
            writes in prop::collection::vec(
                (0i64..4, any::<bool>(), 0u128..3, prop::collection::vec((0usize..4, 0u8..3), 1..4)),
                1..12,
            ),
            seed in any::<u64>(),
        ) {
            let names = ["sku", "price", "titles", "status"];
            let mut ticks: BTreeMap<(bool, u128), i64> = BTreeMap::new();
            let changes: Vec<(Change, Stamp)> = writes
                .iter()
                .map(|(millis, office, device, fields)| {
                    // One writer never stamps two writes alike (its clock ticks);
                    // different writers often do, and the tie-break decides.
                    let tick = ticks.entry((*office, *device)).or_default();
                    *tick += 1;
                    let origin = if *office { Origin::Central } else { Origin::Device };
                    let s = stamp(millis * 100 + *tick, origin, *device);
                    let fields = fields.iter().map(|(f, v)| (names[*f], json!(v))).collect();
                    (Change { kind: Kind::Product, id: Uuid::nil(), fields }, s)
                })
                .collect();
            let mut forward = Replica::default();
            for (c, s) in &changes {
                forward.merge(c, *s);
            }
            // Another order, with every write seen twice.
            let mut order: Vec<usize> = (0..changes.len()).chain(0..changes.len()).collect();
            let mut x = seed | 1;
            for i in (1..order.len()).rev() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                order.swap(i, (x % (i as u64 + 1)) as usize);
            }
            let mut shuffled = Replica::default();
            for i in order {
                let (c, s) = &changes[i];
                shuffled.merge(c, *s);
            }
            prop_assert_eq!(forward, shuffled);
        }
    }
}

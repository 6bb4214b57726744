//! Head office's writes (DESIGN §7): an edit from the admin API (some fields of one
//! record) becomes the events a device would have written for it, checked by the
//! same rules: a new record needs every required field, an edit names only what it
//! sets, and a transition the record's state lacks is refused.

use crate::clock::Timestamp;
use crate::content::{ContentFields, ContentStatus};
use crate::event::{
    CategoryCreated, CategoryUpdated, ContentArchived, ContentCreated, ContentPublished,
    ContentUpdated, DomainEvent, OperatorCreated, OperatorDeactivated, OperatorPinReset,
    OperatorRoleChanged, ProductCreated, ProductStatusChanged, ProductUpdated, TenantCreated,
    TenantSettingsChanged,
};
use crate::ids::{CategoryId, ContentId, OperatorId, ProductId, TenantId};
use crate::operator::{OperatorName, Pin, PinHash};
use crate::permission::Role;
use crate::product::{ProductFields, ProductStatus};
use crate::replica::{changed_fields, Kind, Replica};
use crate::tenant::{TenantSettings, TenantSlug};
use crate::{DomainError, FieldError};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

/// One record's edit: the fields head office sets (`null` clears an optional one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Edit {
    /// What the record is.
    pub kind: Kind,
    /// Its id (new for a new record; the tenant's own for settings).
    pub id: Uuid,
    /// Fields by name, as in the record's events; an operator takes `pin` (the PIN
    /// itself, hashed here) instead of `pin_hash`.
    pub fields: Map<String, Value>,
}

/// What an edit is made against.
#[derive(Debug, Clone, Copy)]
pub struct Against<'a> {
    /// The record as central holds it, if it exists.
    pub current: Option<&'a Replica>,
    /// The tenant (settings are its record).
    pub tenant: TenantId,
    /// Its slug (a tenant's first settings carry it).
    pub slug: &'a TenantSlug,
    /// Now, for publication times.
    pub now: Timestamp,
    /// Salt for a PIN's hash.
    pub salt: [u8; 16],
}

fn invalid(field: &str, code: &'static str, message: impl Into<String>) -> DomainError {
    FieldError::new(field, code, message).into()
}

/// The fields an edit may name for its kind.
fn allowed(kind: Kind) -> Vec<&'static str> {
    match kind {
        Kind::Operator => vec!["name", "role", "active", "pin"],
        Kind::Settings => kind
            .fields()
            .iter()
            .copied()
            .filter(|f| *f != "slug")
            .collect(),
        Kind::Content => kind
            .fields()
            .iter()
            .copied()
            .filter(|f| *f != "published_at")
            .collect(),
        _ => kind.fields().to_vec(),
    }
}

/// `current`'s values overlaid with the edit's, read as `T` (the fields named in
/// `skip` left out).
fn merged<T: DeserializeOwned>(
    current: Option<&Replica>,
    edit: &Map<String, Value>,
    skip: &[&str],
) -> Result<T, DomainError> {
    let mut values = current.map(Replica::values).unwrap_or_default();
    for (k, v) in edit {
        if v.is_null() {
            values.remove(k);
        } else {
            values.insert(k.clone(), v.clone());
        }
    }
    values.retain(|k, _| !skip.contains(&k.as_str()));
    let new = current.is_none();
    serde_json::from_value(Value::Object(values)).map_err(|e| {
        let mut message = e.to_string();
        if new && message.starts_with("missing field") {
            // Often a change meant for a record with a mistyped id.
            message.push_str(
                ": nothing with this id exists yet, so this makes a new record, which needs every required field",
            );
        }
        // serde names the field in its message ("missing field `sku`", "… at line").
        let field = message
            .split('`')
            .nth(1)
            .filter(|f| edit.contains_key(*f) || message.starts_with("missing field"))
            .unwrap_or("fields")
            .to_owned();
        let code = if message.starts_with("missing field") {
            "required"
        } else {
            "invalid"
        };
        invalid(&field, code, message)
    })
}

fn field<T: DeserializeOwned>(
    edit: &Map<String, Value>,
    name: &str,
) -> Result<Option<T>, DomainError> {
    edit.get(name)
        .map(|v| {
            serde_json::from_value(v.clone()).map_err(|e| invalid(name, "invalid", e.to_string()))
        })
        .transpose()
}

/// The events that make `edit` happen (none when it changes nothing).
pub fn events_of(edit: &Edit, at: Against<'_>) -> Result<Vec<DomainEvent>, DomainError> {
    let allowed = allowed(edit.kind);
    if let Some(unknown) = edit.fields.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(invalid(
            unknown,
            "unknown",
            format!(
                "a {} has no field {unknown}; it has {}",
                edit.kind.as_str(),
                allowed.join(", ")
            ),
        ));
    }
    let events = match edit.kind {
        Kind::Product => product(edit, at)?,
        Kind::Category => category(edit, at)?,
        Kind::Content => content(edit, at)?,
        Kind::Operator => operator(edit, at)?,
        Kind::Settings => settings(edit, at)?,
    };
    for e in &events {
        e.validate()?;
    }
    Ok(events)
}

/// The record, when `current` holds a whole one (a partial record is written anew).
fn existing<T>(current: Option<&Replica>, read: impl Fn(&Replica) -> Option<T>) -> Option<T> {
    current.and_then(read)
}

fn product(edit: &Edit, at: Against<'_>) -> Result<Vec<DomainEvent>, DomainError> {
    let id = ProductId::from_uuid(edit.id);
    let status: Option<ProductStatus> = field(&edit.fields, "status")?;
    let old = existing(at.current, |r| r.product().ok());
    let fields: ProductFields = merged(old.as_ref().and(at.current), &edit.fields, &["status"])?;
    fields.validate()?;
    let Some((old_fields, old_status)) = old else {
        return Ok(vec![ProductCreated {
            product_id: id,
            fields,
            status: status.unwrap_or(ProductStatus::Active),
        }
        .into()]);
    };
    let mut out = Vec::new();
    let changed = changed_fields(Kind::Product, &old_fields, &fields);
    if !changed.is_empty() {
        out.push(
            ProductUpdated {
                product_id: id,
                version: 0,
                fields,
                changed: Some(changed),
            }
            .into(),
        );
    }
    if let Some(to) = status.filter(|s| *s != old_status) {
        out.push(
            ProductStatusChanged {
                product_id: id,
                version: 0,
                from: old_status,
                to,
            }
            .into(),
        );
    }
    Ok(out)
}

fn category(edit: &Edit, at: Against<'_>) -> Result<Vec<DomainEvent>, DomainError> {
    let id = CategoryId::from_uuid(edit.id);
    let old = existing(at.current, |r| r.category().ok());
    let fields = merged(old.as_ref().and(at.current), &edit.fields, &[])?;
    Ok(match old {
        None => vec![CategoryCreated {
            category_id: id,
            fields,
        }
        .into()],
        Some(old) => {
            let changed = changed_fields(Kind::Category, &old, &fields);
            if changed.is_empty() {
                Vec::new()
            } else {
                vec![CategoryUpdated {
                    category_id: id,
                    version: 0,
                    fields,
                    changed: Some(changed),
                }
                .into()]
            }
        }
    })
}

fn content(edit: &Edit, at: Against<'_>) -> Result<Vec<DomainEvent>, DomainError> {
    let id = ContentId::from_uuid(edit.id);
    let status: Option<ContentStatus> = field(&edit.fields, "status")?;
    let old = existing(at.current, |r| r.content().ok());
    let fields: ContentFields = merged(
        old.as_ref().and(at.current),
        &edit.fields,
        &["status", "published_at"],
    )?;
    let mut out = Vec::new();
    let from = match &old {
        None => {
            out.push(
                ContentCreated {
                    content_id: id,
                    fields,
                }
                .into(),
            );
            ContentStatus::Draft
        }
        Some((old_fields, old_status, _)) => {
            let changed = changed_fields(Kind::Content, old_fields, &fields);
            if !changed.is_empty() {
                if *old_status == ContentStatus::Archived {
                    return Err(DomainError::InvalidTransition {
                        from: "archived",
                        action: "edit",
                    });
                }
                out.push(
                    ContentUpdated {
                        content_id: id,
                        version: 0,
                        fields,
                        changed: Some(changed),
                    }
                    .into(),
                );
            }
            *old_status
        }
    };
    match (from, status) {
        (_, None) => {}
        (a, Some(b)) if a == b => {}
        (ContentStatus::Draft, Some(ContentStatus::Published)) => out.push(
            ContentPublished {
                content_id: id,
                published_at: at.now,
            }
            .into(),
        ),
        (ContentStatus::Draft | ContentStatus::Published, Some(ContentStatus::Archived)) => {
            out.push(ContentArchived { content_id: id }.into())
        }
        (from, Some(_)) => {
            return Err(DomainError::InvalidTransition {
                from: from.as_str(),
                action: "change the status",
            })
        }
    }
    Ok(out)
}

fn operator(edit: &Edit, at: Against<'_>) -> Result<Vec<DomainEvent>, DomainError> {
    let id = OperatorId::from_uuid(edit.id);
    let name: Option<OperatorName> = field(&edit.fields, "name")?;
    let role: Option<Role> = field(&edit.fields, "role")?;
    let active: Option<bool> = field(&edit.fields, "active")?;
    let pin: Option<String> = field(&edit.fields, "pin")?;
    let pin_hash = pin
        .map(|p| {
            let pin = Pin::parse(&p).map_err(|mut e| {
                e.field = "pin".into();
                DomainError::from(e)
            })?;
            PinHash::create(&pin, at.salt)
                .map(|h| h.as_stored().to_owned())
                .map_err(|e| invalid("pin", "invalid", e.to_string()))
        })
        .transpose()?;
    let old = existing(at.current, |r| r.operator().ok());
    let Some((old_name, old_role, old_active, _)) = old else {
        let (Some(name), Some(role), Some(pin_hash)) = (name, role, pin_hash) else {
            return Err(invalid(
                "fields",
                "required",
                "a new operator needs a name, a role and a PIN",
            ));
        };
        if active == Some(false) {
            return Err(invalid("active", "invalid", "a new operator is active"));
        }
        return Ok(vec![OperatorCreated {
            operator_id: id,
            name,
            role,
            pin_hash: Some(pin_hash),
        }
        .into()]);
    };
    if name.as_ref().is_some_and(|n| *n != old_name) {
        return Err(invalid(
            "name",
            "read_only",
            "an operator's name cannot be changed",
        ));
    }
    if active == Some(true) && !old_active {
        return Err(invalid(
            "active",
            "read_only",
            "a deactivated operator stays deactivated; add a new one",
        ));
    }
    let mut out = Vec::new();
    if let Some(to) = role.filter(|r| *r != old_role) {
        out.push(
            OperatorRoleChanged {
                operator_id: id,
                from: old_role,
                to,
            }
            .into(),
        );
    }
    if let Some(h) = pin_hash {
        out.push(
            OperatorPinReset {
                operator_id: id,
                pin_hash: Some(h),
            }
            .into(),
        );
    }
    if active == Some(false) && old_active {
        out.push(OperatorDeactivated { operator_id: id }.into());
    }
    Ok(out)
}

fn settings(edit: &Edit, at: Against<'_>) -> Result<Vec<DomainEvent>, DomainError> {
    if edit.id != at.tenant.as_uuid() {
        return Err(invalid(
            "id",
            "invalid",
            "a tenant's settings have the tenant's id",
        ));
    }
    let old = existing(at.current, |r| r.settings().ok());
    let settings: TenantSettings = merged(old.as_ref().and(at.current), &edit.fields, &["slug"])?;
    settings.validate()?;
    Ok(match old {
        None => vec![TenantCreated {
            tenant_id: at.tenant,
            slug: at.slug.clone(),
            settings,
        }
        .into()],
        Some((_, old)) => {
            if settings.currency != old.currency {
                return Err(invalid(
                    "currency",
                    "in_use",
                    "a shop's currency cannot change once it is set",
                ));
            }
            let changed = changed_fields(Kind::Settings, &old, &settings);
            if changed.is_empty() {
                Vec::new()
            } else {
                vec![TenantSettingsChanged {
                    tenant_id: at.tenant,
                    settings,
                    changed: Some(changed),
                }
                .into()]
            }
        }
    })
}
